/**
 * Where granted scopes are read from: JWT claims, a token response, an introspection response, and the OpenID
 * evidence (id token, refresh token) for scopes an access token's `scope` leaves out. Pure: no node:*, no IO.
 * Every input is untrusted JSON, so each reader accepts `unknown`-shaped values and ignores what it cannot read.
 */

import { NetworkError } from '../errors.js';
import { parseScopes } from './scopes.js';

export type ScopeClaim = 'scope' | 'scp' | 'roles';

export interface ClaimScopes {
  readonly scopes: string[];
  /** The claim the scopes were read from, or null when the token carries none (some providers then grant all). */
  readonly claim: ScopeClaim | null;
  /** `roles` (application permissions, app roles), always reported on their own as well. */
  readonly roles: string[];
}

/**
 * The scopes a decoded JWT carries: `scope` (RFC 9068, space-separated string), else `scp` (an array in some
 * providers' tokens, a space-separated string in others), else `roles` (app-only tokens: an array, or a
 * space-separated string in older tokens). A claim of another type is ignored. Never throws.
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2.2.3
 * @see https://www.rfc-editor.org/rfc/rfc8693#section-4.2
 */
export function scopesFromClaims(claims: Readonly<Record<string, unknown>>): ClaimScopes {
  const rolesClaim = readClaimList(claims?.['roles']);
  const roles = rolesClaim ?? [];
  for (const claim of ['scope', 'scp'] as const) {
    const scopes = readClaimList(claims?.[claim]);
    if (scopes !== null) return { scopes, claim, roles };
  }
  if (rolesClaim !== null) return { scopes: [...roles], claim: 'roles', roles };
  return { scopes: [], claim: null, roles };
}

export interface TokenResponseScopes {
  readonly granted: string[];
  /** True when the response had no `scope` and granted was taken to equal requested (RFC 6749 §5.1). */
  readonly assumed: boolean;
  /**
   * True when nothing can be said: no scope was requested and none returned (the server's default applies), or the
   * `scope` member is of a type no server sends. Verify by decoding the token, introspection or a probe.
   */
  readonly unknown: boolean;
}

/**
 * The scopes a token response granted. An absent `scope` means "as requested" when scopes were requested, and
 * "unknown" when none were. Tolerates comma lists (`repo,gist`), percent-encoded values
 * (`https%3A%2F%2Fapi.example.com%2Fmail.read`) and an array; `""` is the empty set.
 * Never throws.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function scopesFromTokenResponse(
  response: { readonly scope?: unknown },
  requested: readonly string[],
): TokenResponseScopes {
  const scope: unknown = isRecord(response) ? response.scope : undefined;
  if (scope === undefined || scope === null) {
    const asRequested = parseScopes(requested);
    if (asRequested.length === 0) return { granted: [], assumed: false, unknown: true };
    return { granted: asRequested, assumed: true, unknown: false };
  }
  const text = listText(scope);
  if (text === null) return { granted: [], assumed: false, unknown: true };
  return { granted: parseScopes(percentDecoded(text), { commas: true }), assumed: false, unknown: false };
}

export interface IntrospectionScopes {
  readonly active: boolean;
  /** The `scope` member of an active token; empty for an inactive one, whatever else the server sent. */
  readonly scopes: string[];
  /** Every member of the response, for display (`sub`, `client_id`, `exp`, `aud`…). */
  readonly claims: Record<string, unknown>;
}

/**
 * Reads an introspection response. Only `active: true` is active: a missing `active`, or one that is not a boolean,
 * is read as inactive, since acting on a token the server did not vouch for is the worse mistake.
 * @throws NetworkError `introspection_malformed` (exit 4) when the body is not a JSON object.
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2.2
 */
export function scopesFromIntrospection(body: unknown): IntrospectionScopes {
  if (!isRecord(body)) {
    throw new NetworkError(
      'introspection_malformed',
      `The introspection endpoint answered with ${describeJson(body)}, not a JSON object (RFC 7662 §2.2).`,
    );
  }
  const claims = { ...body };
  if (body['active'] !== true) return { active: false, scopes: [], claims };
  const text = listText(body['scope']);
  return { active: true, scopes: text === null ? [] : parseScopes(text), claims };
}

/** The scopes OpenID Connect defines; servers often leave them out of the access token's `scope`. */
export const OPENID_SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'] as const;
export type OpenIdScope = (typeof OPENID_SCOPES)[number];

export type OpenIdEvidence = 'id_token' | 'refresh_token';

export interface OpenIdEvidenceInput {
  readonly requested: readonly string[];
  readonly accessTokenScopes: readonly string[];
  /** The claims of the id token held with the access token, or null / absent when there is none. */
  readonly idTokenClaims?: Readonly<Record<string, unknown>> | null;
  readonly hasRefreshToken: boolean;
}

/**
 * Claims whose presence in an id token shows the scope was granted. Their absence proves nothing: with the code flow
 * a server may return them from the userinfo endpoint only (OpenID Connect Core §5.4), so only presence counts.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#ScopeClaims
 */
const CLAIMS_OF_SCOPE: Readonly<Record<Exclude<OpenIdScope, 'openid' | 'offline_access'>, readonly string[]>> = {
  profile: [
    'name',
    'family_name',
    'given_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};

/**
 * The requested OpenID scopes that the access token's `scope` leaves out but that are evidenced elsewhere, so that
 * diff shows them as granted-by-evidence rather than missing: `openid` by an id token being held, `profile`/`email`/
 * `address`/`phone` by their claims in that id token, `offline_access` by a refresh token being held.
 * Comparison is exact, as OpenID scope values are fixed lowercase strings. Never throws.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#ScopeClaims
 * @see https://openid.net/specs/openid-connect-core-1_0.html#OfflineAccess
 */
export function openidEvidence(input: OpenIdEvidenceInput): Record<string, OpenIdEvidence> {
  const inAccessToken = new Set(input.accessTokenScopes);
  const idToken = isRecord(input.idTokenClaims) ? input.idTokenClaims : null;
  const evidence: Record<string, OpenIdEvidence> = {};
  for (const scope of OPENID_SCOPES) {
    if (!input.requested.includes(scope) || inAccessToken.has(scope)) continue;
    if (scope === 'offline_access') {
      if (input.hasRefreshToken) evidence[scope] = 'refresh_token';
    } else if (scope === 'openid') {
      if (idToken !== null) evidence[scope] = 'id_token';
    } else if (idToken !== null && CLAIMS_OF_SCOPE[scope].some((claim) => idToken[claim] !== undefined)) {
      evidence[scope] = 'id_token';
    }
  }
  return evidence;
}

/** A scope claim as one space-separated string, or null when the claim is absent or of a shape no issuer uses. */
function readClaimList(value: unknown): string[] | null {
  const text = listText(value);
  return text === null ? null : parseScopes(text);
}

/** A string as is; an array's string elements joined by spaces (elements of other types dropped); else null. */
function listText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string').join(' ');
  return null;
}

/** Decodes `%XX` escapes when the whole value is validly percent-encoded; otherwise keeps it as it came. */
function percentDecoded(text: string): string {
  if (!/%[0-9A-Fa-f]{2}/.test(text)) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
