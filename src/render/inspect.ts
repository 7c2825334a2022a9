/**
 * What `scopes inspect` prints: an aligned block per token for people, one JSON document for scripts. The token
 * itself appears in neither unless asked for (`--show-token`); a fingerprint names it instead.
 */
import type { ScopeClaim } from '../core/carriers.js';
import type { DecodedToken, OpaqueKind } from '../core/jwt.js';
import { describeExpiry, describeInstant } from '../core/time.js';
import { descriptionsJson, renderDescriptions } from './descriptions.js';
import { pad, type Style } from './style.js';

/** One token as inspect found it, and what --verify, --introspect and --userinfo added. */
export interface Inspection {
  /** "access token", "id token", "token", "SCOPES_TOKEN": the heading of its block. */
  readonly label: string;
  /** The normalized token; printed only with --show-token. */
  readonly token: string;
  readonly decoded: DecodedToken;
  readonly fingerprint: string;
  readonly scopes: string[];
  readonly scopeClaim: ScopeClaim | null;
  readonly roles: string[];
  readonly expiresAt: string | null;
  readonly expired: boolean;
  verified: boolean | null;
  /** The issuer whose keys verified (or refused) the token. */
  verifiedBy?: string;
  verifyError?: string;
  introspection: Record<string, unknown> | null;
  userinfo?: Record<string, unknown>;
  /** What its scopes (claims and introspection) mean, from the catalogue of the provider it or the profile names. */
  descriptions?: Readonly<Record<string, string>>;
}

/** The JWT NumericDate claims shown as ISO time and relative to now. */
export const TIME_CLAIMS = ['exp', 'iat', 'nbf', 'auth_time'] as const;

const LABEL_WIDTH = 12;

/** The `--json` document of one token: the SPEC's fields first, then what this tool adds. */
export function inspectionJson(inspection: Inspection, showToken: boolean, now: Date): Record<string, unknown> {
  const { decoded } = inspection;
  return {
    format: decoded.format,
    header: decoded.format === 'opaque' ? {} : decoded.header,
    claims: decoded.format === 'jwt' ? decoded.claims : {},
    scopes: inspection.scopes,
    expiresAt: inspection.expiresAt,
    expired: inspection.expired,
    verified: inspection.verified,
    introspection: inspection.introspection,
    fingerprint: inspection.fingerprint,
    scopeClaim: inspection.scopeClaim,
    roles: inspection.roles,
    expires: decoded.format === 'jwt' && inspection.expiresAt ? describeExpiry(decoded.claims.exp, now) : null,
    ...(inspection.verifiedBy ? { verifiedBy: inspection.verifiedBy } : {}),
    ...(inspection.verifyError ? { verifyError: inspection.verifyError } : {}),
    ...(inspection.userinfo ? { userinfo: inspection.userinfo } : {}),
    ...(decoded.format === 'opaque' ? { kind: decoded.kind } : {}),
    ...descriptionsJson(inspection.descriptions ?? {}),
    ...(showToken ? { token: inspection.token } : {}),
  };
}

/**
 * An OpenID Connect id token: it says who logged in and to which client, and never carries scopes (Core §2). Known by
 * its label, or by what only an id token holds (nonce, at_hash, c_hash) when it has no scope claim either.
 */
export function isIdToken(inspection: Pick<Inspection, 'label' | 'decoded' | 'scopeClaim'>): boolean {
  if (inspection.decoded.format !== 'jwt') return false;
  if (inspection.label === 'id token') return true;
  const { claims, header } = inspection.decoded;
  if (inspection.scopeClaim !== null || String(header.typ ?? '').toLowerCase().endsWith('at+jwt')) return false;
  return ['nonce', 'at_hash', 'c_hash'].some((name) => claims[name] !== undefined);
}

/** JSON for a terminal line: C1 controls (which JSON.stringify leaves raw and some terminals obey) made visible. */
const safeJson = (value: unknown): string =>
  (JSON.stringify(value) ?? String(value)).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function describeKind(kind: OpaqueKind | null): string {
  return kind ? `${kind.provider} ${kind.description}` : 'no well-known prefix';
}

function formatLine(decoded: DecodedToken): string {
  if (decoded.format === 'opaque') return 'opaque';
  if (decoded.format === 'jwe') return `JWE: encrypted, its claims cannot be read without the key`;
  const typ = decoded.header.typ ? `, typ ${String(decoded.header.typ)}` : '';
  return `JWT (${String(decoded.header.alg ?? '?')}${typ})`;
}

const listOrText = (value: unknown): string => (Array.isArray(value) ? value.map(String).join(' ') : String(value));

/** One token as an aligned block of `name  value` rows under its label. Colour comes from `style` only. */
export function renderInspection(inspection: Inspection, showToken: boolean, now: Date, style: Style, width?: number): string {
  const { decoded } = inspection;
  const lines: string[] = [style.bold(inspection.label)];
  const row = (name: string, value: string) => lines.push(`  ${pad(name, LABEL_WIDTH)} ${value}`);
  const note = (text: string) => lines.push(`  ${text}`);
  // Under a row of scopes, what each means (the catalogue `scopes diff` and `login` explain scopes from).
  const explain = (scopes: readonly string[]) => {
    const text = renderDescriptions(scopes, inspection.descriptions ?? {}, style, width, LABEL_WIDTH + 3);
    if (text !== '') lines.push(text.trimEnd());
  };

  row('format', formatLine(decoded));
  row('fingerprint', inspection.fingerprint);
  if (decoded.format === 'opaque') {
    row('kind', describeKind(decoded.kind));
    if (decoded.kind?.bypassesScopes) {
      note(`${style.warn('warning:')} this is an API key: it bypasses scope checks entirely; scopes apply to OAuth tokens only.`);
    }
    if (decoded.kind?.scopesVia) note(style.dim(`Its scopes can be read from ${decoded.kind.scopesVia}.`));
    if (!inspection.introspection && decoded.kind?.introspectable !== false) {
      note(style.dim('An opaque token says nothing about itself: ask the server with --introspect (RFC 7662).'));
    }
  }
  if (decoded.format === 'jwe') row('header', JSON.stringify(decoded.header));
  if (decoded.format === 'jwt') renderClaims(decoded.header, decoded.claims, inspection, now, style, row, explain);

  if (inspection.verified === true) row('verified', style.ok(`yes, with the keys of ${inspection.verifiedBy}`));
  if (inspection.verified === false) {
    const by = inspection.verifiedBy ? ` (keys of ${inspection.verifiedBy})` : '';
    row('verified', style.bad(`no${by}: ${inspection.verifyError}`));
  }
  if (inspection.introspection) {
    const active = inspection.introspection.active === true;
    row('introspect', active ? style.ok('active') : style.bad('not active'));
    if (active && inspection.introspection.scope !== undefined) {
      row('  scope', listOrText(inspection.introspection.scope));
      explain(listOrText(inspection.introspection.scope).split(' '));
    }
    const rest = Object.entries(inspection.introspection).filter(([key]) => key !== 'active' && key !== 'scope');
    if (rest.length) row('  claims', JSON.stringify(Object.fromEntries(rest)));
  }
  if (inspection.userinfo) row('userinfo', JSON.stringify(inspection.userinfo));
  if (showToken) row('token', inspection.token);
  return `${lines.join('\n')}\n`;
}

function renderClaims(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  inspection: Inspection,
  now: Date,
  style: Style,
  row: (name: string, value: string) => void,
  explain: (scopes: readonly string[]) => void,
): void {
  if (claims.iss !== undefined) row('issuer', String(claims.iss));
  if (claims.aud !== undefined) row('audience', listOrText(claims.aud));
  if (claims.sub !== undefined) row('subject', String(claims.sub));
  if (claims.client_id !== undefined) row('client', String(claims.client_id));
  if (inspection.scopeClaim) {
    row('scopes', `${inspection.scopes.join(' ') || '(empty)'} ${style.dim(`(from "${inspection.scopeClaim}")`)}`);
    explain(inspection.scopes);
  } else if (isIdToken(inspection)) {
    row('scopes', style.dim('none, as for every id token: it says who logged in, the access token carries the scopes'));
  } else {
    row('scopes', style.warn('none: the token carries no scope claim (scope, scp or roles); some providers then grant full access'));
  }
  if (inspection.roles.length && inspection.scopeClaim !== 'roles') row('roles', inspection.roles.join(' '));
  for (const name of TIME_CLAIMS) {
    if (claims[name] === undefined) continue;
    // Some servers (Glewlwyd) send auth_time 0 when they do not know it: that is no time, not 1 January 1970.
    if (name === 'auth_time' && claims[name] === 0) continue;
    const instant = describeInstant(claims[name], now);
    if (!instant.valid) {
      row(name, style.warn(`invalid time (${JSON.stringify(claims[name])?.slice(0, 40)})`));
      continue;
    }
    const relative = name === 'exp' ? describeExpiry(claims[name], now) : instant.relative;
    row(name, `${instant.iso}  ${name === 'exp' && instant.past ? style.warn(relative) : style.dim(relative)}`);
  }
  row('header', safeJson(header));
  // All of them, as the token has them: the rows above are a reading aid, not a filter.
  row('claims', safeJson(claims));
}
