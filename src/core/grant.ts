/**
 * The requested-vs-granted view shared by `login` and `diff`: the scope diff, with OpenID scopes evidenced by an id
 * token or refresh token taken out of "not granted" (the access token's `scope` often leaves them out).
 */
import { openidEvidence, type OpenIdEvidence } from './carriers.js';
import { diffScopes, type ScopeDiff, type ScopeRules } from './scopes.js';

export type GrantSource = 'token-response' | 'jwt' | 'introspection';

export interface GrantReport extends ScopeDiff {
  /** Requested OpenID scopes shown as granted by evidence rather than by the access token's scope. */
  readonly evidenced: Record<string, OpenIdEvidence>;
  /** Granted was assumed equal to requested: the token response had no `scope` (RFC 6749 §5.1). */
  readonly assumed: boolean;
  readonly source: GrantSource;
}

export interface GrantInput {
  readonly requested: readonly string[];
  readonly granted: readonly string[];
  readonly rules: ScopeRules;
  readonly assumed?: boolean;
  readonly source: GrantSource;
  readonly idTokenClaims?: Readonly<Record<string, unknown>> | null;
  readonly hasRefreshToken?: boolean;
  /**
   * Evidence already known (the last login recorded it), used instead of computing it from `idTokenClaims` and
   * `hasRefreshToken`. Only entries for requested scopes that the access token did not grant are kept.
   */
  readonly evidence?: Readonly<Record<string, OpenIdEvidence>> | undefined;
}

/** Builds the view. Pure; never throws. */
export function grantReport(input: GrantInput): GrantReport {
  const diff = diffScopes(input.requested, input.granted, input.rules);
  const evidenced = input.evidence
    ? knownEvidence(input.evidence, diff.notGranted)
    : openidEvidence({
        requested: diff.notGranted,
        accessTokenScopes: input.granted,
        idTokenClaims: input.idTokenClaims ?? null,
        hasRefreshToken: Boolean(input.hasRefreshToken),
      });
  return {
    requested: diff.requested,
    granted: diff.granted,
    asRequested: diff.asRequested,
    notGranted: diff.notGranted.filter((scope) => !(scope in evidenced)),
    extra: diff.extra,
    impliedBy: diff.impliedBy,
    evidenced,
    assumed: Boolean(input.assumed),
    source: input.source,
  };
}

/** The recorded evidence for the scopes still missing; entries of any other shape (a damaged state file) are dropped. */
function knownEvidence(evidence: Readonly<Record<string, unknown>>, notGranted: readonly string[]): Record<string, OpenIdEvidence> {
  const kept: Record<string, OpenIdEvidence> = {};
  for (const scope of notGranted) {
    const value = Object.hasOwn(evidence, scope) ? evidence[scope] : undefined;
    if (value === 'id_token' || value === 'refresh_token') kept[scope] = value;
  }
  return kept;
}
