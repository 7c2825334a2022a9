/**
 * `token --need` and `exec --need`: a token is handed out only when its granted scopes (with the profile's
 * implication rules) cover what the caller needs; otherwise exit 1 with the `scopes login --add-scope …` line that
 * gets the rest. A cached token narrower than the need is never served silently: when the grant itself is wider (the
 * cached access token was narrowed), it is refreshed and that is said; otherwise the command stops.
 */
import { scopesFromClaims } from '../core/carriers.js';
import { decodeToken } from '../providers/index.js';
import { findCover, parseScopes, type ScopeRules } from '../core/scopes.js';
import { MissingScopeError, UsageError } from '../errors.js';
import { readSessionState } from '../io/state.js';
import { addScopeCommand } from '../render/probe.js';
import { getAccessToken, type AccessToken, type TokenRequest } from '../session.js';
import type { CommandContext } from './context.js';
import { compileMerged } from './rules.js';

/** The needed scopes no granted scope covers. */
export function uncovered(granted: readonly string[], need: readonly string[], rules: ScopeRules): string[] {
  return need.filter((scope) => findCover(granted, scope, rules) === undefined);
}

/** The scopes a token carries: as stored with it, else its JWT `scope`/`scp` claim; undefined when nothing says. */
function grantedOf(token: AccessToken): string[] | undefined {
  if (token.source !== 'env' && token.scope.length > 0) return [...token.scope];
  const decoded = decodeToken(token.accessToken);
  if (decoded.format === 'jwt') {
    const claims = scopesFromClaims(decoded.claims);
    if (claims.claim !== null) return claims.scopes;
  }
  return token.source === 'env' ? undefined : [...token.scope];
}

/**
 * A token covering `needValues`, or MissingScopeError (exit 1) naming what is missing and the line to get it.
 * @throws UsageError (2) for an empty --need; what getAccessToken throws (3, 4).
 */
export async function tokenCovering(context: CommandContext, needValues: readonly string[], request: TokenRequest): Promise<AccessToken> {
  const { deps, resolved } = context;
  const need = parseScopes(needValues);
  if (need.length === 0) throw new UsageError('--need: give one or more scopes, e.g. --need "videos:read".');
  const session = { deps, profileName: resolved.name, profile: resolved.profile, warn: context.warn, trace: context.trace };
  const rules = compileMerged(resolved.profile);
  let token = await getAccessToken(session, request);
  let granted = grantedOf(token);
  if (granted === undefined) {
    throw new MissingScopeError(`Cannot tell whether the token covers ${need.join(' ')}: SCOPES_TOKEN is not a JWT with a scope claim, so nothing says what it holds.`, {
      hint: 'Unset SCOPES_TOKEN to use the profile\'s session, or drop --need.',
    });
  }
  let missing = uncovered(granted, need, rules);
  if (missing.length > 0 && token.source === 'stored') {
    // The cached access token may be narrower than the grant (a narrowed refresh, or another command's token):
    // only when the grant covers the need is a refresh worth it, and it is said, never done silently.
    const state = await readSessionState(context.stateDirectory, resolved.name);
    if (state && uncovered(state.granted, need, rules).length === 0) {
      context.warn(`The cached access token holds ${granted.join(' ') || '(no scope)'}, not ${missing.join(' ')}; the grant has it, so refreshing for a token that does.`);
      token = await getAccessToken(session, { ...request, forceRefresh: true });
      granted = grantedOf(token) ?? [];
      missing = uncovered(granted, need, rules);
    }
  }
  if (missing.length > 0) {
    const line = addScopeCommand(missing, resolved.name);
    throw new MissingScopeError(
      `The token of profile "${resolved.name}" does not cover what is needed: missing ${missing.join(' ')} (it holds ${granted.join(' ') || 'no scope'}). No token was printed.`,
      line ? { hint: line } : {},
    );
  }
  return token;
}
