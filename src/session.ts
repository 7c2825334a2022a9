/**
 * Getting a usable access token: from SCOPES_TOKEN, the client-credentials grant, a refresh token held in CI, or the
 * stored session, refreshed under a cross-process lock. Shared by `token`, `exec`, `probe`, `check`, `inspect`.
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Profile, StorageKind } from './core/profile.js';
import type { Deps } from './deps.js';
import { AuthError, ExitCode, NetworkError, noSession, ScopesError, UsageError } from './errors.js';
import { readTextUpTo } from './io/bounded.js';
import { writeFileAtomic } from './io/files.js';
import { acquireLock, LockLostError, type Lock } from './io/lock.js';
import { stateDir } from './io/paths.js';
import { readSessionState, recordRefreshRejected, writeSessionState } from './io/state.js';
import type { TokenResponse } from './io/oauth.js';
import type { CredentialKey, SecretStore, Secrets } from './io/store/types.js';
import { credentialKey, fromSecrets, nowSeconds, resolveStorage, usable, type AccessToken } from './stored-token.js';

export { credentialKey, resolveStorage, type AccessToken };

export interface SessionContext {
  readonly deps: Deps;
  readonly profileName: string;
  readonly profile: Profile;
  /** `--storage` when given. */
  readonly storageFlag?: StorageKind | undefined;
  /** Warnings go here (stderr), e.g. "the refresh token changed". */
  warn(message: string): void;
  /** HTTP trace (stderr) when --verbose / SCOPES_DEBUG. */
  trace?(message: string): void;
}

export interface TokenRequest {
  /** Refresh when the token expires within this many seconds. */
  readonly minTtl: number;
  readonly forceRefresh: boolean;
}

/** The client secret of a confidential client, read from the variable the profile names. */
export function clientSecret(profile: Profile, deps: Deps): string | undefined {
  if (!profile.clientSecretEnv) return undefined;
  const value = deps.env[profile.clientSecretEnv];
  if (!value) {
    throw new UsageError(`The profile reads its client secret from $${profile.clientSecretEnv}, which is not set.`);
  }
  return value;
}

/**
 * One lock per profile name rather than per credential: the session state is kept per profile, and a login that moves
 * a profile to another issuer must still wait for a refresh of the old one that would write that state back.
 */
function lockPath(deps: Deps, key: CredentialKey): string {
  const digest = createHash('sha256').update(key.profile).digest('hex').slice(0, 24);
  return join(stateDir(deps.env), 'locks', `${digest}.lock`);
}

/**
 * Runs `action` holding the credential's cross-process lock. Every change to a credential goes through here —
 * refresh, login, logout — so a refresh in flight can neither write secrets back after a logout nor overwrite a
 * newer login. `deps.sleep` paces the wait (tests observe a waiter through it).
 */
export async function withCredentialLock<T>(deps: Deps, key: CredentialKey, action: (lock: Lock, outcome: OutcomeRecord) => Promise<T>): Promise<T> {
  const path = lockPath(deps, key);
  const lock = await acquireLock(path, { sleep: deps.sleep });
  try {
    return await action(lock, outcomeRecord(`${path}.outcome`));
  } finally {
    await lock.release();
  }
}

/**
 * How the last refresh under the lock failed, so that processes that waited for it report the same class (a token
 * endpoint that is down is exit 4 for all of them) instead of each trying again in turn. Holds no secret: the
 * refresh token it was about is named by a truncated SHA-256.
 */
export interface OutcomeRecord {
  read(): Promise<{ at: number; spent: string; error: ScopesError } | undefined>;
  failed(spent: string, error: ScopesError): Promise<void>;
  clear(): Promise<void>;
}

const tokenDigest = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 16);

function outcomeRecord(path: string): OutcomeRecord {
  return {
    read: async () => {
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (!text) return undefined;
      try {
        const value = JSON.parse(text) as { at: number; spent: string; exitCode: number; code: string; message: string; hint?: string };
        if (typeof value.at !== 'number' || typeof value.spent !== 'string' || typeof value.message !== 'string') return undefined;
        const details = value.hint ? { hint: String(value.hint) } : {};
        const error = value.exitCode === ExitCode.network ? new NetworkError(String(value.code), value.message, details) : new AuthError(String(value.code), value.message, details);
        return { at: value.at, spent: value.spent, error };
      } catch {
        return undefined;
      }
    },
    failed: async (spent, error) => {
      const record = { at: Date.now(), spent: tokenDigest(spent), exitCode: error.exitCode, code: error.code, message: error.message, hint: error.hint };
      await writeFileAtomic(path, `${JSON.stringify(record)}\n`, 0o600).catch(() => undefined);
    },
    clear: async () => {
      await rm(path, { force: true });
    },
  };
}

/**
 * One valid access token. Never starts a login: without a session it fails with exit 3.
 * @throws AuthError (3) no session, refresh rejected, keychain unavailable; NetworkError (4); UsageError (2).
 */
export async function getAccessToken(context: SessionContext, request: TokenRequest): Promise<AccessToken> {
  const { deps, profile } = context;
  const fromEnv = deps.env.SCOPES_TOKEN?.trim();
  if (fromEnv) return { accessToken: fromEnv, scope: [], tokenType: 'Bearer', source: 'env' };
  if (profile.clientCredentials) return await clientCredentialsToken(context);
  if (deps.env.SCOPES_REFRESH_TOKEN?.trim()) return await refreshTokenFromEnv(context, deps.env.SCOPES_REFRESH_TOKEN.trim());

  const key = credentialKey(context.profileName, profile);
  if (!key) throw noSession(context.profileName);
  const store = deps.store(resolveStorage(context.storageFlag, deps, profile));
  const seen = await store.read(key);
  if (!seen?.refreshToken && !seen?.accessToken) throw noSession(context.profileName);
  if (!request.forceRefresh && usable(seen, deps, request.minTtl)) return fromSecrets(seen, 'stored');
  if (!seen.refreshToken) {
    if (!request.forceRefresh && usable(seen, deps, 0)) {
      context.warn('The access token expires soon and there is no refresh token to renew it.');
      return fromSecrets(seen, 'stored');
    }
    throw new AuthError('expired', `The access token of profile "${context.profileName}" has expired and no refresh token is held.`, {
      hint: loginHint(context.profileName),
    });
  }

  for (let attempt = 0; ; attempt++) {
    try {
      return await withCredentialLock(deps, key, (lock, outcome) => lockedRefresh(context, request, store, key, seen, lock, outcome));
    } catch (error) {
      // The lock was taken from us in a long pause, before the refresh token was sent: start over once, re-reading.
      if (!(error instanceof LockLostError) || attempt > 0) throw error;
    }
  }
}

async function lockedRefresh(
  context: SessionContext,
  request: TokenRequest,
  store: SecretStore,
  key: CredentialKey,
  seen: Secrets,
  lock: Lock,
  outcome: OutcomeRecord,
): Promise<AccessToken> {
  const { deps } = context;
  // Re-read under the lock: another process may have refreshed while we waited, and its refresh token is the only
  // one still valid on a server that rotates them.
  const current = await store.read(key);
  if (!current?.refreshToken) {
    if (usable(current, deps, 0)) return fromSecrets(current, 'stored');
    throw noSession(context.profileName);
  }
  const refreshedMeanwhile = current.refreshToken !== seen.refreshToken;
  if (refreshedMeanwhile && usable(current, deps, 0)) return fromSecrets(current, 'refreshed');
  if (!request.forceRefresh && usable(current, deps, request.minTtl)) return fromSecrets(current, 'stored');
  if (lock.contended) {
    // The holder we waited for tried this very refresh token and failed: report what it met rather than trying
    // again, one after the other, against a server that is down.
    const last = await outcome.read();
    if (last && last.at >= lock.askedAt && last.spent === tokenDigest(current.refreshToken)) throw last.error;
  }
  try {
    const token = await refreshStored(context, store, key, current, lock);
    await outcome.clear();
    return token;
  } catch (error) {
    if (error instanceof ScopesError && !(error instanceof LockLostError) && (error.exitCode === ExitCode.network || error.code === 'refresh_rejected')) {
      await outcome.failed(current.refreshToken, error);
    }
    throw error;
  }
}

const loginHint = (profileName: string) =>
  profileName === 'default' ? 'Run `scopes login` again.' : `Run \`scopes login --profile ${profileName}\` again.`;

async function refreshStored(context: SessionContext, store: SecretStore, key: CredentialKey, current: Secrets, lock: Lock): Promise<AccessToken> {
  const { deps, profile } = context;
  const oauth = await import('./io/oauth.js');
  const config = await oauth.connect(profile, { fetch: deps.fetch, clientSecret: clientSecret(profile, deps) });
  const parameters = refreshParameters(profile);
  // Everything the write needs is read before the refresh token is spent: between the server's answer and the write
  // the session exists only in this process's memory (see SECURITY.md), so that stretch does nothing else.
  const { scopesFromTokenResponse } = await import('./core/carriers.js');
  const state = await readSessionState(stateDir(deps.env), context.profileName);
  let refreshToken = current.refreshToken!;
  // The server has rotated the refresh token by the time it answers, and openid-client still has to check the answer
  // (an id token may need the JWKS fetched first). The rotated refresh token is stored the moment the answer arrives,
  // so a kill during those checks cannot end the session.
  const early = earlyKeeper(store, key, () => refreshToken);
  const inner = config[oauth.client.customFetch] ?? deps.fetch;
  config[oauth.client.customFetch] = async (url, options) => {
    const answer = await inner(url, options);
    if (answer.ok && String(options.body ?? '').includes('grant_type=refresh_token')) early.keep(answer.clone());
    return answer;
  };
  let response;
  for (let attempt = 0; ; attempt++) {
    // A holder paused for long (Ctrl-Z, a laptop lid) whose lock was judged stale must find out before spending.
    await lock.verify();
    try {
      try {
        response = await oauth.client.refreshTokenGrant(config, refreshToken, parameters);
      } finally {
        await early.settled();
      }
      break;
    } catch (error) {
      const translated = oauth.translateOAuthError(error, 'the token refresh');
      if (translated.code !== 'invalid_grant') throw translated;
      // Retry once, and only with a refresh token that changed in the store; replaying the same one could make a
      // rotating server revoke the whole session for every process.
      const again = attempt === 0 ? await store.read(key) : undefined;
      if (again?.refreshToken && again.refreshToken !== refreshToken) {
        refreshToken = again.refreshToken;
        continue;
      }
      // Kept in the non-secret state so that `scopes status` shows the session as ended, not as holding a refresh token.
      await recordRefreshRejected(stateDir(deps.env), context.profileName, deps.now()).catch(() => undefined);
      throw new AuthError('refresh_rejected', `The refresh token of profile "${context.profileName}" was rejected (invalid_grant): the session has ended or was revoked.`, {
        hint: loginHint(context.profileName),
        cause: error,
      });
    }
  }
  const previousScope = current.scope ?? state?.granted ?? [];
  const granted = scopesFromTokenResponse(response, previousScope);
  // A narrower answer is the server's right (RFC 6749 §6 lets the access token be narrower), but never hidden.
  const lost = previousScope.filter((scope) => !granted.granted.includes(scope));
  if (lost.length > 0) {
    context.warn(`The refresh returned fewer scopes than the stored token had: ${lost.join(' ')} ${lost.length === 1 ? 'is' : 'are'} gone (now ${granted.granted.join(' ') || 'no scope'}).`);
  }
  const expiresIn = response.expiresIn();
  const secrets: Secrets = {
    // No new refresh token in the response means the old one stays valid (RFC 6749 §6).
    refreshToken: response.refresh_token ?? refreshToken,
    accessToken: response.access_token,
    idToken: response.id_token ?? current.idToken,
    expiresAt: expiresIn === undefined ? undefined : nowSeconds(deps) + expiresIn,
    tokenType: response.token_type,
    scope: granted.granted,
  };
  // Compare-and-swap: the store must still hold the refresh token this refresh spent. Under the lock it always does;
  // if the lock was lost meanwhile, a logout (nothing stored) or a newer login (another token) wins over us.
  const storedRefreshToken = store.readRefreshToken ? await store.readRefreshToken(key) : (await store.read(key))?.refreshToken;
  if (storedRefreshToken !== refreshToken && (early.written === undefined || storedRefreshToken !== early.written)) {
    context.warn(`The session of profile "${context.profileName}" changed during this refresh (logout or a new login); its result is not stored.`);
    return fromSecrets(secrets as Secrets & { accessToken: string }, 'refreshed');
  }
  // Stored before anything is printed: losing a rotated refresh token would end the session.
  await store.write(key, secrets);
  if (state && state.issuer === key.issuer && state.clientId === key.clientId) {
    await writeSessionState(stateDir(deps.env), {
      ...state,
      expiresAt: secrets.expiresAt,
      refreshToken: true,
      lastRefresh: deps.now().toISOString(),
      refreshRejectedAt: undefined,
    });
  }
  return fromSecrets(secrets as Secrets & { accessToken: string }, 'refreshed');
}

/** Token responses are small; a bigger one is not read early (openid-client reads it, and the normal write follows). */
const EARLY_READ_LIMIT = 256 * 1024;

/**
 * Stores a rotated refresh token straight from the token response, before it is validated: the old one is spent
 * either way, so the new one is the session whatever the checks say. Compare-and-swap like the final write.
 */
function earlyKeeper(store: SecretStore, key: CredentialKey, spending: () => string) {
  let pending: Promise<void> | undefined;
  const keeper = {
    written: undefined as string | undefined,
    keep(response: Response): void {
      const spent = spending();
      pending = (async () => {
        const text = await readTextUpTo(response, EARLY_READ_LIMIT);
        const rotated = !text ? undefined : (JSON.parse(text) as { refresh_token?: unknown }).refresh_token;
        if (typeof rotated !== 'string' || rotated === '' || rotated === spent) return;
        if (store.readRefreshToken && store.writeRefreshToken) {
          if ((await store.readRefreshToken(key)) !== spent) return;
          await store.writeRefreshToken(key, rotated);
        } else {
          const stored = await store.read(key);
          if (stored?.refreshToken !== spent) return;
          await store.write(key, { ...stored, refreshToken: rotated });
        }
        keeper.written = rotated;
      })().catch(() => undefined);
    },
    settled: async (): Promise<void> => {
      await pending;
    },
  };
  return keeper;
}

function refreshParameters(profile: Profile): URLSearchParams {
  const parameters = new URLSearchParams();
  for (const resource of profile.resource ?? []) parameters.append('resource', resource);
  return parameters;
}

/** CI: a confidential client gets its own token; nothing is stored. */
async function clientCredentialsToken(context: SessionContext): Promise<AccessToken> {
  const { deps, profile } = context;
  const secret = clientSecret(profile, deps);
  if (secret === undefined) {
    throw new UsageError('A clientCredentials profile needs `clientSecretEnv`: the name of the variable that holds the client secret.');
  }
  const oauth = await import('./io/oauth.js');
  const config = await oauth.connect(profile, { fetch: deps.fetch, clientSecret: secret });
  const parameters = new URLSearchParams();
  if (profile.scopes?.length) parameters.set('scope', profile.scopes.join(' '));
  for (const resource of profile.resource ?? []) parameters.append('resource', resource);
  if (profile.audience) parameters.set('audience', profile.audience);
  let response;
  try {
    response = await oauth.client.clientCredentialsGrant(config, parameters);
  } catch (error) {
    throw oauth.translateOAuthError(error, 'the client-credentials grant');
  }
  return await unstoredToken(response, context, 'client_credentials');
}

/**
 * CI: an access token minted from a refresh token held in a CI secret. A rotated refresh token cannot be written back
 * to the secret, and printing it would leak it into logs: it is printed nowhere, and a warning says it changed.
 */
async function refreshTokenFromEnv(context: SessionContext, refreshToken: string): Promise<AccessToken> {
  const { deps, profile } = context;
  const oauth = await import('./io/oauth.js');
  const config = await oauth.connect(profile, { fetch: deps.fetch, clientSecret: clientSecret(profile, deps) });
  let response;
  try {
    response = await oauth.client.refreshTokenGrant(config, refreshToken, refreshParameters(profile));
  } catch (error) {
    const translated = oauth.translateOAuthError(error, 'the refresh with SCOPES_REFRESH_TOKEN');
    if (translated.code === 'invalid_grant') {
      throw new AuthError('refresh_rejected', 'The refresh token in SCOPES_REFRESH_TOKEN was rejected (invalid_grant).', {
        hint: 'Mint a new refresh token with `scopes login` and update the CI secret.',
        cause: error,
      });
    }
    throw translated;
  }
  if (response.refresh_token && response.refresh_token !== refreshToken) {
    context.warn(
      'The server rotated the refresh token: the one in SCOPES_REFRESH_TOKEN is now spent. It was not printed; ' +
        'update the CI secret with a new one from `scopes login` before the next run.',
    );
  }
  return await unstoredToken(response, context, 'refresh_token_env');
}

/** An access token of a CI grant, which nothing stores: its scopes as the response gives them (or as asked). */
async function unstoredToken(response: TokenResponse, context: SessionContext, source: AccessToken['source']): Promise<AccessToken> {
  const { scopesFromTokenResponse } = await import('./core/carriers.js');
  const expiresIn = response.expiresIn();
  return {
    accessToken: response.access_token,
    expiresAt: expiresIn === undefined ? undefined : nowSeconds(context.deps) + expiresIn,
    scope: scopesFromTokenResponse(response, context.profile.scopes ?? []).granted,
    tokenType: response.token_type,
    source,
  };
}
