/**
 * What `login` checks about the scopes before the browser opens, and says after the server refused them: scopes the
 * server does not list (with "did you mean"), an `invalid_scope` answer (which scopes, and the line without them), and
 * `openid` / `offline_access` that a new login would silently drop (and what that costs).
 */
import type { Profile } from '../core/profile.js';
import { droppedOidcScopes, unlistedScopes, unusualScopes } from '../core/resource-discovery.js';
import type { ScopeRules } from '../core/scopes.js';
import { AuthError, UsageError } from '../errors.js';
import { shellWord } from '../render/probe.js';
import type { CommandContext } from './context.js';
import type { ResourceLogin } from './login-resource.js';

/** What the login was given, to print a line the user can run again. */
export interface LineFlags {
  readonly issuer?: string | undefined;
  readonly clientId?: string | undefined;
  readonly resource: readonly string[];
}

/** `scopes login …` with the flags the profile does not already hold, and these scopes. */
export function loginLine(profileName: string, flags: LineFlags, saved: Profile, scopes: readonly string[]): string {
  const parts = ['scopes login'];
  if (profileName !== 'default') parts.push(`--profile ${shellWord(profileName)}`);
  if (flags.issuer && flags.issuer !== saved.issuer) parts.push(`--issuer ${shellWord(flags.issuer)}`);
  if (flags.clientId && flags.clientId !== saved.clientId) parts.push(`--client-id ${shellWord(flags.clientId)}`);
  for (const resource of flags.resource) if (!saved.resource?.includes(resource)) parts.push(`--resource ${shellWord(resource)}`);
  parts.push(`--scope ${shellWord(scopes.join(' '))}`);
  return parts.join(' ');
}

/** The scopes the authorization server and the resource list, or undefined when neither publishes any. */
export function supportedScopes(server: unknown, resource: readonly string[] | undefined): string[] | undefined {
  const fromServer = Array.isArray(server) ? server.filter((scope): scope is string => typeof scope === 'string') : undefined;
  if (fromServer === undefined && resource === undefined) return undefined;
  return [...new Set([...(fromServer ?? []), ...(resource ?? [])])];
}

/**
 * Stops a login whose scopes the server does not list, before the browser opens (exit 2), naming each and the close
 * name it probably meant; `--force` turns that into a warning, for servers whose `scopes_supported` is partial.
 */
export function checkScopesBeforeBrowser(
  context: CommandContext,
  requested: readonly string[],
  supported: readonly string[] | undefined,
  force: boolean,
  line: (scopes: readonly string[]) => string,
): void {
  if (supported === undefined || supported.length === 0) return;
  const unlisted = unlistedScopes(requested, supported);
  if (unlisted.length === 0) return;
  const described = unlisted.map(({ scope, suggestion }) => `  ${scope}${suggestion ? `  (did you mean ${suggestion}?)` : ''}`).join('\n');
  const message = `The server does not list ${unlisted.length === 1 ? 'this scope' : 'these scopes'} in its scopes_supported:\n${described}`;
  if (force) {
    context.warn(`${message}\nAsking anyway (--force).`);
    return;
  }
  const fixed = requested.map((scope) => unlisted.find((entry) => entry.scope === scope)?.suggestion ?? scope);
  const withoutUnlisted = requested.filter((scope) => !unlisted.some((entry) => entry.scope === scope));
  const anySuggestion = unlisted.some((entry) => entry.suggestion !== undefined);
  throw new UsageError(`${message}\nNothing was sent; the browser was not opened.`, {
    hint:
      `${anySuggestion ? `With the suggested names: ${line([...new Set(fixed)])}\n` : `Without ${unlisted.length === 1 ? 'it' : 'them'}: ${line(withoutUnlisted)}\n`}` +
      'If the server accepts scopes it does not list, add --force.',
  }, 'unlisted_scope');
}

/** The profile's saved scopes the server does not list: a warning only, as a server accepted them before. */
export function warnUnlistedSaved(context: CommandContext, scopes: readonly string[], supported: readonly string[] | undefined): void {
  if (supported === undefined || supported.length === 0) return;
  for (const { scope, suggestion } of unlistedScopes(scopes, supported)) {
    context.warn(`The profile asks for ${scope}, which the server does not list in scopes_supported${suggestion ? ` (did you mean ${suggestion}?)` : ''}.`);
  }
}

/**
 * After `invalid_scope`: which of the scopes asked the server does not list (or, without a list, which look unusual),
 * and the login line without them.
 */
export function explainInvalidScope(
  error: unknown,
  requested: readonly string[],
  supported: readonly string[] | undefined,
  line: (scopes: readonly string[]) => string,
): unknown {
  if (!(error instanceof AuthError) || error.code !== 'invalid_scope') return error;
  let suspects: string[];
  let why: string;
  if (supported !== undefined && supported.length > 0) {
    suspects = unlistedScopes(requested, supported).map((entry) => entry.scope);
    why = suspects.length
      ? `Not in the server's scopes_supported: ${suspects.join(' ')}`
      : 'Every scope asked is in the server\'s scopes_supported: this client is probably not allowed one of them (check its registration).';
  } else {
    const unusual = unusualScopes(requested);
    suspects = unusual.map((entry) => entry.scope);
    why = unusual.length
      ? `The server publishes no scopes_supported; these look unusual: ${unusual.map((entry) => `${entry.scope} (${entry.why})`).join(', ')}`
      : 'The server publishes no scopes_supported, and no scope asked looks unusual: this client may not be allowed one of them.';
  }
  const rest = requested.filter((scope) => !suspects.includes(scope));
  return new AuthError('invalid_scope', `${error.message}\n${why}`, {
    hint: suspects.length ? `Without ${suspects.length === 1 ? 'it' : 'them'}: ${line(rest)}` : error.hint ?? '',
    cause: error,
  });
}

const COSTS: Record<string, string> = {
  offline_access: 'no refresh token: when the access token expires you must run `scopes login` again (and `scopes token` will fail with exit 3 instead of refreshing)',
  openid: 'no ID token: `scopes status` cannot say who logged in, and userinfo is not available',
};

/**
 * When the new request drops `openid` / `offline_access` that the last login asked for, say what that costs; with
 * `--keep-oidc` keep them instead.
 */
export function keepOrWarnDropped(context: CommandContext, previous: readonly string[], requested: string[], keep: boolean): string[] {
  const dropped = droppedOidcScopes(previous, requested);
  if (dropped.length === 0) return requested;
  if (keep) {
    context.info(`Keeping ${dropped.join(' and ')} from the last login (--keep-oidc).`);
    return [...requested, ...dropped];
  }
  for (const scope of dropped) context.warn(`This login drops ${scope}, which the last login asked for: ${COSTS[scope]}. Add --keep-oidc to keep it.`);
  return requested;
}

/**
 * A scope list without the scopes another scope of the list implies (GitHub's `repo` makes `repo:status` redundant):
 * the request step-up sends. Equal scopes keep their first occurrence.
 */
export function withoutImplied(scopes: readonly string[], rules: ScopeRules): string[] {
  return scopes.filter((scope, index) =>
    !scopes.some((other, otherIndex) => otherIndex !== index && rules.normalize(other) !== rules.normalize(scope) && rules.covers(other, scope) && !rules.covers(scope, other)),
  );
}

/** The profile fields a login from a resource saves: the registration under its issuer, and where the issuer came from. */
export function resourceProfileFields(login: ResourceLogin, saved: Profile, resourceUrl: string): Partial<Profile> {
  return {
    discoveredFrom: resourceUrl,
    ...(login.registered ? { registrations: { ...saved.registrations, [login.discovery.issuer]: login.registered } } : {}),
  };
}
