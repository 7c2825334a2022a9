/**
 * The stored access token and when it may be used as it is: shared by `getAccessToken` (src/session.ts) and the fast
 * path of `scopes token` (src/fast-token.ts), so both decide alike. Nothing here loads the OAuth client.
 */
import { credentialIssuer, type Profile, type StorageKind } from './core/profile.js';
import type { Deps } from './deps.js';
import { UsageError } from './errors.js';
import type { CredentialKey, Secrets } from './io/store/types.js';

export interface AccessToken {
  readonly accessToken: string;
  readonly expiresAt?: number | undefined;
  readonly scope: readonly string[];
  readonly tokenType: string;
  readonly source: 'env' | 'stored' | 'refreshed' | 'client_credentials' | 'refresh_token_env';
  readonly idToken?: string | undefined;
}

/** `--storage`, else SCOPES_STORAGE, else the storage the profile's login used, else the keychain. */
export function resolveStorage(flag: StorageKind | undefined, deps: Pick<Deps, 'env'>, profile: Profile): StorageKind {
  if (flag) return flag;
  const fromEnv = deps.env.SCOPES_STORAGE;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv !== 'keychain' && fromEnv !== 'file') {
      throw new UsageError(`SCOPES_STORAGE must be "keychain" or "file", not "${fromEnv.slice(0, 40)}".`);
    }
    return fromEnv;
  }
  return profile.storage ?? 'keychain';
}

export function credentialKey(profileName: string, profile: Profile): CredentialKey | undefined {
  const issuer = credentialIssuer(profile);
  if (!issuer || !profile.clientId) return undefined;
  return { profile: profileName, issuer, clientId: profile.clientId };
}

export const nowSeconds = (deps: Pick<Deps, 'now'>) => Math.floor(deps.now().getTime() / 1000);

export function usable(secrets: Secrets | undefined, deps: Pick<Deps, 'now'>, minTtl: number): secrets is Secrets & { accessToken: string } {
  if (!secrets?.accessToken) return false;
  // Without an expiry we cannot know; trust it, as the server did not say otherwise.
  if (secrets.expiresAt === undefined) return true;
  return secrets.expiresAt - nowSeconds(deps) > minTtl;
}

export const fromSecrets = (secrets: Secrets & { accessToken: string }, source: AccessToken['source']): AccessToken => ({
  accessToken: secrets.accessToken,
  expiresAt: secrets.expiresAt,
  scope: secrets.scope ?? [],
  tokenType: secrets.tokenType ?? 'Bearer',
  source,
  idToken: secrets.idToken,
});

/** What `scopes token` prints: the token and a newline, or with --json one JSON document. */
export function formatToken(token: AccessToken, json: boolean, indent = false): string {
  if (!json) return `${token.accessToken}\n`;
  const document = {
    accessToken: token.accessToken,
    expiresAt: token.expiresAt === undefined ? null : new Date(token.expiresAt * 1000).toISOString(),
    scope: token.scope,
    tokenType: token.tokenType,
  };
  // Indented on a terminal, one line in a pipe: as render/json.ts does for every other command.
  return `${JSON.stringify(document, null, indent ? 2 : undefined)}\n`;
}

/**
 * `scopes token` as scripts call it, with at most `--profile NAME` (or `-p NAME`) and `--json`, in any order: those
 * options, or undefined for any other command line (which commander then reads).
 */
export function plainTokenArgs(argv: readonly string[]): { profile?: string; json: boolean } | undefined {
  let command = false;
  let profile: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === 'token' && !command) command = true;
    else if (arg === '--json' && !json) json = true;
    else if ((arg === '--profile' || arg === '-p') && profile === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) profile = argv[++i];
    else return undefined;
  }
  if (!command) return undefined;
  return profile === undefined ? { json } : { profile, json };
}
