import { randomBytes } from 'node:crypto';
import { AuthError } from '../../errors.js';
import { credentialAccount, type CredentialKey, type SecretStore, type Secrets } from './types.js';

/**
 * Windows limits one credential to 2,560 bytes (UTF-16 on some versions), and a JWT access or id token is often
 * bigger. The refresh token, the one secret that must never be lost, keeps an entry of its own; the rest is a JSON
 * bundle cut into chunks well under the limit.
 */
const CHUNK_CHARS = 1000;
const MAX_CHUNKS = 64;

interface Entry {
  getPassword(): Promise<string | null>;
  setPassword(password: string): Promise<void>;
  deletePassword(): Promise<boolean>;
}

type EntryFactory = (service: string, account: string) => Entry;

/** The bundle: everything but the refresh token. */
interface Bundle {
  accessToken?: string | undefined;
  idToken?: string | undefined;
  expiresAt?: number | undefined;
  tokenType?: string | undefined;
  scope?: readonly string[] | undefined;
}

const unavailable = (cause: unknown): AuthError =>
  new AuthError(
    'keychain_unavailable',
    `The OS keychain cannot be reached: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`,
    {
      hint: 'Use file storage instead: add `--storage file` to `scopes login`, or set SCOPES_STORAGE=file.',
      cause,
    },
  );

async function loadEntryFactory(): Promise<EntryFactory> {
  const { AsyncEntry } = await import('@napi-rs/keyring');
  // Pinned to the Secret Service on Linux: the library's default falls back to the kernel keyring, which loses
  // secrets on reboot and would be exactly the silent fallback the contract forbids.
  return (service, account) => new AsyncEntry(service, account, { linux: { store: 'secret-service' } });
}

export class KeychainSecretStore implements SecretStore {
  readonly kind = 'keychain' as const;
  readonly description: string;
  private factory: Promise<EntryFactory> | undefined;

  constructor(
    private readonly service: string,
    factory?: EntryFactory,
  ) {
    this.description = `keychain (service "${service}")`;
    if (factory) this.factory = Promise.resolve(factory);
  }

  private async entry(account: string): Promise<Entry> {
    this.factory ??= loadEntryFactory();
    try {
      return (await this.factory)(this.service, account);
    } catch (error) {
      throw unavailable(error);
    }
  }

  private async call<T>(account: string, action: (entry: Entry) => Promise<T>): Promise<T> {
    const entry = await this.entry(account);
    try {
      return await action(entry);
    } catch (error) {
      throw unavailable(error);
    }
  }

  private get = (account: string) => this.call(account, (entry) => entry.getPassword());
  private set = (account: string, value: string) => this.call(account, (entry) => entry.setPassword(value));
  private remove = (account: string) => this.call(account, (entry) => entry.deletePassword());

  /** Verifies the keychain answers at all, so `login` fails before the browser opens rather than after. */
  async probe(): Promise<void> {
    await this.get('scopes-probe');
  }

  async read(key: CredentialKey): Promise<Secrets | undefined> {
    const account = credentialAccount(key);
    const refreshToken = await this.get(`${account}|refresh_token`);
    const bundle = await this.readBundle(account);
    if (refreshToken === null && bundle === undefined) return undefined;
    return { ...bundle, refreshToken: refreshToken ?? undefined };
  }

  /**
   * Reads the chunked bundle. Every chunk carries the generation of the write it belongs to, so a reader racing a
   * writer sees a mismatch and treats the bundle as absent (and goes on to the locked path) instead of gluing two
   * tokens together.
   */
  private async readBundle(account: string): Promise<Bundle | undefined> {
    const header = await this.get(`${account}|bundle`);
    if (header === null) return undefined;
    const match = /^([0-9a-f]{16}):(\d{1,2})$/.exec(header);
    if (!match) return undefined;
    const [, generation, countText] = match;
    const count = Number(countText);
    if (count > MAX_CHUNKS) return undefined;
    let text = '';
    for (let index = 0; index < count; index++) {
      const chunk = await this.get(`${account}|bundle#${index}`);
      if (chunk === null || !chunk.startsWith(`${generation}:`)) return undefined;
      text += chunk.slice(generation!.length + 1);
    }
    try {
      const value = JSON.parse(text) as unknown;
      return typeof value === 'object' && value !== null ? (value as Bundle) : undefined;
    } catch {
      return undefined;
    }
  }

  async readRefreshToken(key: CredentialKey): Promise<string | undefined> {
    return (await this.get(`${credentialAccount(key)}|refresh_token`)) ?? undefined;
  }

  /** One keychain call: the bundle (the old access token) stays until the full write that follows. */
  async writeRefreshToken(key: CredentialKey, refreshToken: string): Promise<void> {
    await this.set(`${credentialAccount(key)}|refresh_token`, refreshToken);
  }

  async write(key: CredentialKey, secrets: Secrets): Promise<void> {
    const account = credentialAccount(key);
    // The refresh token first: if anything after it fails, the session survives and the next run refreshes again.
    if (secrets.refreshToken) await this.set(`${account}|refresh_token`, secrets.refreshToken);
    else await this.remove(`${account}|refresh_token`);
    const bundle: Bundle = {
      accessToken: secrets.accessToken,
      idToken: secrets.idToken,
      expiresAt: secrets.expiresAt,
      tokenType: secrets.tokenType,
      scope: secrets.scope,
    };
    const text = JSON.stringify(bundle);
    const count = Math.ceil(text.length / CHUNK_CHARS);
    if (count > MAX_CHUNKS) {
      // Too big to keep: not caching the access token costs one refresh later; failing the login would cost more.
      await this.remove(`${account}|bundle`);
      return;
    }
    const generation = randomBytes(8).toString('hex');
    for (let index = 0; index < count; index++) {
      await this.set(`${account}|bundle#${index}`, `${generation}:${text.slice(index * CHUNK_CHARS, (index + 1) * CHUNK_CHARS)}`);
    }
    await this.set(`${account}|bundle`, `${generation}:${count}`);
    // Chunks of an earlier, longer bundle would keep an old access token in the keychain: remove them.
    for (let index = count; index < MAX_CHUNKS; index++) {
      if (!(await this.remove(`${account}|bundle#${index}`))) break;
    }
  }

  async delete(key: CredentialKey): Promise<void> {
    const account = credentialAccount(key);
    await this.remove(`${account}|refresh_token`);
    await this.remove(`${account}|bundle`);
    for (let index = 0; index < MAX_CHUNKS; index++) {
      if (!(await this.remove(`${account}|bundle#${index}`))) break;
    }
  }
}
