import type { Command } from 'commander';
import type { Profile } from '../core/profile.js';
import type { Deps, GlobalOptions } from '../deps.js';
import { ExitCode } from '../errors.js';
import { listProfiles } from '../io/config.js';
import { deleteSessionState, listSessionProfiles, readSessionState, type SessionState } from '../io/state.js';
import type { CredentialKey } from '../io/store/types.js';
import { styleFor } from '../render/style.js';
import { clientSecret, credentialKey, resolveStorage, withCredentialLock, type OutcomeRecord } from '../session.js';
import { commandContext, type CommandContext } from './context.js';
import { jsonText } from '../render/json.js';
import { describeExpiry } from '../core/time.js';

export interface LogoutOptions {
  readonly all: boolean;
  readonly revoke: boolean;
}

interface LogoutResult {
  profile: string;
  /** true revoked, false revocation failed, null not attempted (nothing held, --no-revoke, no endpoint). */
  revoked: boolean | null;
  revocationNote?: string;
  deleted: boolean;
}

/**
 * `scopes logout`: revoke (RFC 7009) where the server offers it, then delete the local secrets and state whatever
 * happened to the revocation — a user who logs out must not be left holding a live token on disk.
 */
export async function runLogout(deps: Deps, globals: GlobalOptions, options: LogoutOptions): Promise<number> {
  const context = await commandContext(deps, globals);
  const targets: { name: string; profile: Profile }[] = [];
  if (options.all) {
    const configured = await listProfiles(context.location);
    const names = new Set([...configured.map((p) => p.name), ...(await listSessionProfiles(context.stateDirectory))]);
    for (const name of names) targets.push({ name, profile: configured.find((p) => p.name === name)?.profile ?? {} });
  } else {
    targets.push({ name: context.resolved.name, profile: context.resolved.profile });
  }
  const results: LogoutResult[] = [];
  for (const target of targets) results.push(await logoutOne(context, target.name, target.profile, options));

  if (globals.json) {
    deps.io.out.write(jsonText(deps.io.out, { profiles: results }));
    return ExitCode.ok;
  }
  const style = styleFor(deps.io.out);
  for (const result of results) {
    const revocation =
      result.revoked === true ? 'refresh token revoked' : result.revoked === false ? style.warn('revocation failed') : (result.revocationNote ?? 'nothing to revoke');
    deps.io.out.write(`${result.deleted ? style.ok('Logged out') : 'No session'} of profile ${style.bold(result.profile)}: ${revocation}${result.deleted ? '; local secrets and state deleted' : ''}.\n`);
  }
  return ExitCode.ok;
}

async function logoutOne(context: CommandContext, name: string, configured: Profile, options: LogoutOptions): Promise<LogoutResult> {
  const { deps } = context;
  const state = await readSessionState(context.stateDirectory, name);
  // The state remembers which server and client the session belongs to even if the profile was edited since: the
  // secrets are stored under them, and only that server can revoke its token.
  const sameServer = state && (configured.issuer ?? configured.tokenEndpoint) === state.issuer;
  const profile: Profile = state
    ? sameServer
      ? { ...configured, clientId: state.clientId, storage: state.storage }
      : { issuer: state.issuer, clientId: state.clientId, storage: state.storage, clientSecretEnv: configured.clientSecretEnv }
    : configured;
  const key = credentialKey(name, profile);
  const result: LogoutResult = { profile: name, revoked: null, deleted: false };
  if (!key) {
    if (state) await deleteSessionState(context.stateDirectory, name);
    result.deleted = Boolean(state);
    return result;
  }
  return await withCredentialLock(deps, key, (_lock, outcome) => revokeAndDelete(context, { name, profile, key, state, options, result, outcome }));
}

interface LogoutTarget {
  readonly name: string;
  readonly profile: Profile;
  readonly key: CredentialKey;
  readonly state: SessionState | undefined;
  readonly options: LogoutOptions;
  readonly result: LogoutResult;
  readonly outcome: OutcomeRecord;
}

/**
 * Revokes, then deletes, holding the credential's lock: a refresh in flight finishes first and the refresh token it
 * stored is the one revoked, so it can never write a working session back after "Logged out".
 */
async function revokeAndDelete(context: CommandContext, { name, profile, key, state, options, result, outcome }: LogoutTarget): Promise<LogoutResult> {
  const { deps } = context;
  const store = deps.store(state?.storage ?? resolveStorage(undefined, deps, profile));
  const secrets = await store.read(key);
  const token = secrets?.refreshToken ?? secrets?.accessToken;
  if (!token) result.revocationNote = 'nothing to revoke';
  else if (!options.revoke) result.revocationNote = 'not revoked (--no-revoke)';
  else {
    try {
      const oauth = await import('../io/oauth.js');
      const config = await oauth.connect(profile, { fetch: deps.fetch, clientSecret: clientSecret(profile, deps) });
      const lasts = untilExpiry(secrets?.refreshToken ? undefined : secrets?.expiresAt, deps.now());
      if (!config.serverMetadata().revocation_endpoint) {
        // Said once, in the result line: nothing failed, there is just no way to revoke here.
        result.revocationNote = `the server offers no revocation endpoint (the token stays valid there ${lasts})`;
      } else {
        try {
          await oauth.client.tokenRevocation(config, token, { token_type_hint: secrets?.refreshToken ? 'refresh_token' : 'access_token' });
          result.revoked = true;
        } catch (error) {
          const translated = oauth.translateOAuthError(error, 'the revocation');
          // RFC 7009 §2.2.1: a server that does not revoke this kind of token (oidc-provider: "Structured JWT Tokens
          // cannot be revoked") says unsupported_token_type. With no refresh token held that is not a failure: there
          // was nothing it could revoke.
          if (translated.code !== 'unsupported_token_type' || secrets?.refreshToken) throw translated;
          result.revocationNote = `nothing to revoke: no refresh token is held, and the server does not revoke this access token (it stays valid ${lasts})`;
        }
      }
    } catch (error) {
      result.revoked = false;
      const kind = secrets?.refreshToken ? 'refresh token' : 'access token';
      context.warn(
        `Profile "${name}": revocation failed (${(error as Error).message.replace(/\.$/, '')}). The ${kind} may still be valid at the server until it expires; ` +
          `deleting the local copy anyway.${(error as { hint?: string }).hint ? ` ${(error as { hint?: string }).hint}` : ''}`,
      );
    }
  }
  await store.delete(key);
  await deleteSessionState(context.stateDirectory, name);
  await outcome.clear();
  result.deleted = Boolean(secrets || state);
  return result;
}

/** "until it expires in 12 min", or "until it expires" when the expiry is not known. */
function untilExpiry(expiresAt: number | undefined, now: Date): string {
  if (expiresAt === undefined) return 'until it expires';
  const text = describeExpiry(expiresAt, now);
  return text.startsWith('expires ') ? `until it ${text}` : `until it expires (${text})`;
}

export const logoutAction = (deps: Deps, globalsOf: (command: Command, deps: Deps) => GlobalOptions) => (command: Command) => {
  const o = command.opts<{ all?: boolean; revoke: boolean }>();
  return runLogout(deps, globalsOf(command, deps), { all: Boolean(o.all), revoke: o.revoke });
};
