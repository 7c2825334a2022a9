import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AuthError } from '../../errors.js';
import { ensureDir, readSecretIfExists, removeTemporaries, writeFileAtomic } from '../files.js';
import { credentialAccount, type CredentialKey, type SecretStore, type Secrets } from './types.js';

/**
 * Secrets in files under `$XDG_STATE_HOME/scopes/secrets/`: folder 0700, files 0600, written atomically, so a crash
 * mid-write never loses the refresh token and a reader never sees half a file. Writes and deletes happen under the
 * credential's lock (session.ts), which is what lets them remove every leftover temporary file of the credential.
 */
export class FileSecretStore implements SecretStore {
  readonly kind = 'file' as const;
  readonly description: string;
  private readonly dir: string;

  constructor(stateDirectory: string) {
    this.dir = join(stateDirectory, 'secrets');
    this.description = `file (${this.dir})`;
  }

  private pathOf(key: CredentialKey): string {
    const digest = createHash('sha256').update(credentialAccount(key)).digest('hex').slice(0, 16);
    return join(this.dir, `${key.profile}-${digest}.json`);
  }

  async read(key: CredentialKey): Promise<Secrets | undefined> {
    const text = await readSecretIfExists(this.pathOf(key));
    if (text === undefined) return undefined;
    try {
      const value = JSON.parse(text) as unknown;
      if (typeof value !== 'object' || value === null) throw new Error('not an object');
      return value as Secrets;
    } catch {
      throw new AuthError('store_corrupt', `The secrets file ${this.pathOf(key)} is damaged.`, {
        hint: 'Run `scopes logout` and `scopes login` again.',
      });
    }
  }

  async write(key: CredentialKey, secrets: Secrets): Promise<void> {
    await ensureDir(this.dir, 0o700);
    await writeFileAtomic(this.pathOf(key), `${JSON.stringify(secrets)}\n`, 0o600);
    // Callers hold the credential's lock: any other temporary file of this credential is a killed write's, holding
    // a refresh token that must not outlive it.
    await removeTemporaries(this.pathOf(key), { all: true });
  }

  async delete(key: CredentialKey): Promise<void> {
    await rm(this.pathOf(key), { force: true });
    await removeTemporaries(this.pathOf(key), { all: true });
  }
}
