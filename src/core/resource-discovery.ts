/**
 * From a resource URL to an authorization server, as the MCP authorization specification (2026-07-28) describes it:
 * protected resource metadata (RFC 9728), path-aware authorization server metadata (RFC 8414, OpenID Connect
 * Discovery), the checks on both, and the choice of scopes. Pure decisions only: the fetching is `io/discovery.ts`.
 * Every decision is recorded as a step with the rule behind it, so `scopes discover` can show the whole chain.
 */
import { parseScopes } from './scopes.js';

/** One thing the discovery did: a document fetched, or a decision and the rule that made it. */
export type DiscoveryStep =
  | {
      readonly kind: 'fetch';
      /** What the document is for, e.g. "protected resource metadata (RFC 9728, path-aware)". */
      readonly purpose: string;
      readonly url: string;
      /** The HTTP status, or null when nothing came back (unreachable, timed out). */
      readonly status: number | null;
      /** What came of it, in words: "used", "404: not there, trying the next", "refused: …". */
      readonly outcome: string;
    }
  | {
      readonly kind: 'decision';
      /** What was decided: "resource", "authorization server", "client", "scopes", "PKCE"… */
      readonly subject: string;
      readonly value: string;
      /** The rule behind it, with its source (RFC section or MCP specification). */
      readonly rule: string;
    };

/** The fields of RFC 9728 protected resource metadata that the login uses; unknown members are ignored (§2). */
export interface ResourceMetadata {
  readonly resource: string;
  readonly authorizationServers: readonly string[];
  readonly scopesSupported?: readonly string[] | undefined;
  readonly resourceName?: string | undefined;
  readonly bearerMethodsSupported?: readonly string[] | undefined;
}

/** Where a protected resource metadata document was found, which decides what its `resource` must equal. */
export type MetadataSource = 'challenge' | 'path' | 'root';

const MAX_LIST = 100;

/**
 * The well-known locations of a resource's metadata, in the order a client tries them: the path-aware one (the
 * well-known path inserted between host and path), then the root one. A URL without a path has only the root one.
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.1
 */
export function protectedResourceMetadataUrls(resource: string): { url: string; source: MetadataSource }[] {
  const parsed = new URL(resource);
  const path = parsed.pathname.replace(/\/+$/, '');
  const root = `${parsed.origin}/.well-known/oauth-protected-resource`;
  const urls: { url: string; source: MetadataSource }[] = [];
  if (path !== '') urls.push({ url: `${root}${path}`, source: 'path' });
  urls.push({ url: root, source: 'root' });
  return urls;
}

/**
 * The metadata locations of an authorization server in the MCP order. For an issuer with a path:
 * `/.well-known/oauth-authorization-server/<path>`, `/.well-known/openid-configuration/<path>`,
 * `<path>/.well-known/openid-configuration`; without one: `/.well-known/oauth-authorization-server`, then
 * `/.well-known/openid-configuration`.
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.1
 */
export function authorizationServerMetadataUrls(issuer: string): { url: string; kind: 'RFC 8414' | 'OpenID Connect Discovery' }[] {
  const parsed = new URL(issuer);
  const path = parsed.pathname.replace(/\/+$/, '');
  if (path === '') {
    return [
      { url: `${parsed.origin}/.well-known/oauth-authorization-server`, kind: 'RFC 8414' },
      { url: `${parsed.origin}/.well-known/openid-configuration`, kind: 'OpenID Connect Discovery' },
    ];
  }
  return [
    { url: `${parsed.origin}/.well-known/oauth-authorization-server${path}`, kind: 'RFC 8414' },
    { url: `${parsed.origin}/.well-known/openid-configuration${path}`, kind: 'OpenID Connect Discovery' },
    { url: `${parsed.origin}${path}/.well-known/openid-configuration`, kind: 'OpenID Connect Discovery' },
  ];
}

const isString = (value: unknown): value is string => typeof value === 'string';

/** Visible ASCII only: what a server sends here reaches a terminal, where control characters could rewrite the screen. */
const VISIBLE = /^[\x21-\x7E]+$/;

function isVisibleUrl(value: string): boolean {
  if (!VISIBLE.test(value)) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Control characters (C0 but newline, DEL, C1) as `\u{…}` escapes, for text a server chose. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g, (char) => `\\u{${char.charCodeAt(0).toString(16)}}`);
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter(isString).slice(0, MAX_LIST);
}

/**
 * Reads a protected resource metadata document. Returns a reason instead when it is not one (not an object, no
 * `resource` string), so the caller can say which document was wrong.
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
 */
export function readResourceMetadata(body: unknown): ResourceMetadata | { readonly invalid: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { invalid: 'it is not a JSON object' };
  const record = body as Record<string, unknown>;
  if (!isString(record.resource) || record.resource === '') return { invalid: 'it has no "resource" string (REQUIRED, RFC 9728 §2)' };
  // Entries that are not plain http(s) URLs are dropped: they could be neither fetched nor shown safely.
  const servers = (stringList(record.authorization_servers) ?? []).filter(isVisibleUrl);
  const scopes = stringList(record.scopes_supported)?.filter((scope) => VISIBLE.test(scope));
  return {
    resource: record.resource,
    authorizationServers: servers,
    scopesSupported: scopes === undefined ? undefined : parseScopes(scopes),
    resourceName: isString(record.resource_name) ? printable(record.resource_name.slice(0, 200)) : undefined,
    bearerMethodsSupported: stringList(record.bearer_methods_supported),
  };
}

/** The resource identifiers a document may name for a URL: as typed, as a URL parser writes it, and without the lone trailing slash. */
function identifiersOf(url: string): string[] {
  const forms = new Set<string>([url]);
  try {
    const parsed = new URL(url);
    forms.add(parsed.href);
    if (parsed.pathname === '/' && !parsed.search) forms.add(parsed.origin);
  } catch {
    // not a URL: only the string as typed
  }
  return [...forms];
}

/** Where two strings first differ, for a message that says exactly what did not match. */
function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * Whether a metadata document's `resource` may be used for the URL asked. From a challenge's `resource_metadata` or the
 * path-aware location it must be the URL asked (code point for code point, RFC 9728 §3.3 and §7.3); from the root
 * location it may also be the origin the well-known path was inserted into.
 * @returns undefined when it matches, else a sentence naming both values and where they differ.
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.3
 */
export function resourceMismatch(documentResource: string, asked: string, source: MetadataSource): string | undefined {
  const allowed = identifiersOf(asked);
  if (source === 'root') {
    try {
      allowed.push(...identifiersOf(new URL(asked).origin));
    } catch {
      // asked is not a URL; nothing more to allow
    }
  }
  if (allowed.includes(documentResource)) return undefined;
  const at = firstDifference(documentResource, asked);
  const shown = JSON.stringify(documentResource.slice(0, 300));
  return (
    `its "resource" is ${shown} but you asked for "${asked}" (they differ from character ${at + 1}: ` +
    `${JSON.stringify(documentResource.slice(at, at + 30))} versus ${JSON.stringify(asked.slice(at, at + 30))}). ` +
    'RFC 9728 §3.3: metadata that names another resource must not be used.'
  );
}

export type ServerChoice =
  | { readonly issuer: string; readonly rule: string }
  | { readonly ask: readonly string[] }
  | { readonly refused: string };

/**
 * Which authorization server to use among those the resource names: the only one; the one `--issuer` (or the profile)
 * names, which must be among them; else the user must choose.
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-7.6
 */
export function chooseAuthorizationServer(servers: readonly string[], pick: string | undefined): ServerChoice {
  if (servers.length === 0) return { refused: 'the resource metadata names no authorization_servers, so there is no server to log in to.' };
  if (pick !== undefined) {
    const found = servers.find((server) => server === pick || server.replace(/\/+$/, '') === pick.replace(/\/+$/, ''));
    if (found === undefined) return { refused: `--issuer ${pick} is not one the resource names (${servers.join(', ')}).` };
    return { issuer: found, rule: '--issuer picked it among the servers the resource names' };
  }
  if (servers.length === 1) return { issuer: servers[0]!, rule: 'the only server in authorization_servers (RFC 9728 §2)' };
  return { ask: servers };
}

/**
 * The authorization server metadata's `issuer` must be the issuer its URL was built from, exactly (RFC 8414 §3.3).
 * @returns undefined when equal, else what differs.
 */
export function issuerMismatch(documentIssuer: unknown, expected: string): string | undefined {
  if (documentIssuer === expected) return undefined;
  const shown = typeof documentIssuer === 'string' ? JSON.stringify(documentIssuer.slice(0, 300)) : 'missing';
  return `its "issuer" is ${shown}, not "${expected}", the issuer the metadata URL was built from (RFC 8414 §3.3: such metadata must not be used).`;
}

/**
 * PKCE support as the metadata declares it. Absent `code_challenge_methods_supported` means no PKCE (RFC 8414 §2), and
 * MCP clients must refuse to go on without S256.
 */
export function pkceSupport(methods: unknown): 'S256' | 'absent' | 'without-S256' {
  if (!Array.isArray(methods)) return 'absent';
  return methods.includes('S256') ? 'S256' : 'without-S256';
}

export interface ScopeChoice {
  readonly scopes: string[];
  readonly rule: string;
}

/**
 * The scopes a first login asks for: `--scope`; else the challenge's `scope` (authoritative, MCP); else the resource
 * metadata's `scopes_supported`; else none. `offline_access` is added only when the authorization server lists it.
 * @see MCP authorization, "Scope Selection Strategy"
 */
export function chooseScopes(input: {
  readonly flag?: readonly string[] | undefined;
  readonly challenge?: readonly string[] | undefined;
  readonly resourceScopes?: readonly string[] | undefined;
  readonly serverScopes?: readonly string[] | undefined;
}): { choice: ScopeChoice; offlineAccess: { added: boolean; rule: string } } {
  let choice: ScopeChoice;
  if (input.flag !== undefined && input.flag.length > 0) choice = { scopes: parseScopes(input.flag), rule: '--scope given' };
  else if (input.challenge !== undefined && input.challenge.length > 0) {
    choice = { scopes: parseScopes(input.challenge), rule: "the 401 challenge's scope, which MCP makes authoritative" };
  } else if (input.resourceScopes !== undefined && input.resourceScopes.length > 0) {
    choice = { scopes: parseScopes(input.resourceScopes), rule: "no scope in the challenge: the resource metadata's scopes_supported (MCP)" };
  } else choice = { scopes: [], rule: 'no scope in the challenge nor scopes_supported in the metadata: no scope parameter (MCP)' };
  if (choice.scopes.includes('offline_access')) return { choice, offlineAccess: { added: false, rule: 'already among the scopes' } };
  if (input.flag !== undefined && input.flag.length > 0) return { choice, offlineAccess: { added: false, rule: '--scope says exactly what to ask' } };
  if (input.serverScopes?.includes('offline_access')) {
    return {
      choice: { scopes: [...choice.scopes, 'offline_access'], rule: choice.rule },
      offlineAccess: { added: true, rule: 'the authorization server lists it in scopes_supported (MCP: only then)' },
    };
  }
  return { choice, offlineAccess: { added: false, rule: 'the authorization server does not list it in scopes_supported (MCP: add it only when listed)' } };
}

/**
 * Optimal string alignment distance (Levenshtein with adjacent transpositions), so "vidoes" is one edit from "videos".
 * Bounded: strings over 200 characters are compared by their first 200.
 */
export function editDistance(a: string, b: string): number {
  const s = a.slice(0, 200);
  const t = b.slice(0, 200);
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let value = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) value = Math.min(value, d[i - 2]![j - 2]! + 1);
      d[i]![j] = value;
    }
  }
  return d[s.length]![t.length]!;
}

/** The closest supported scope when it is close enough to be a typo (at most 2 edits, and under a third of the length), or a case-only difference. */
export function closestScope(scope: string, supported: readonly string[]): string | undefined {
  let best: { scope: string; distance: number } | undefined;
  for (const candidate of supported) {
    if (candidate.toLowerCase() === scope.toLowerCase()) return candidate;
    const distance = editDistance(scope, candidate);
    if (best === undefined || distance < best.distance) best = { scope: candidate, distance };
  }
  if (best === undefined) return undefined;
  return best.distance <= 2 && best.distance * 3 <= Math.max(scope.length, 3) ? best.scope : undefined;
}

export interface UnlistedScope {
  readonly scope: string;
  readonly suggestion?: string | undefined;
}

/**
 * The requested scopes a server's `scopes_supported` does not list, each with a "did you mean" where one is close.
 * `scopes_supported` may be partial (RFC 8414 §2), so this is a warning a user may override, not proof.
 */
export function unlistedScopes(requested: readonly string[], supported: readonly string[]): UnlistedScope[] {
  const listed = new Set(supported);
  return requested.filter((scope) => !listed.has(scope)).map((scope) => ({ scope, suggestion: closestScope(scope, supported) }));
}

/**
 * Without `scopes_supported`, the scopes that look unusual: characters outside RFC 6749's scope-token, a comma
 * (another separator), a URL-encoded character, or a scope differing from another asked only in case.
 */
export function unusualScopes(requested: readonly string[]): { scope: string; why: string }[] {
  const result: { scope: string; why: string }[] = [];
  for (const scope of requested) {
    if (/[^\x21\x23-\x5B\x5D-\x7E]/.test(scope)) result.push({ scope, why: 'a character RFC 6749 §3.3 does not allow' });
    else if (scope.includes(',')) result.push({ scope, why: 'a comma: this server may separate scopes with spaces only' });
    else if (/%[0-9A-Fa-f]{2}/.test(scope)) result.push({ scope, why: 'looks URL-encoded' });
    else if (requested.some((other) => other !== scope && other.toLowerCase() === scope.toLowerCase())) {
      result.push({ scope, why: 'differs from another scope asked only in case' });
    }
  }
  return result;
}

/** The scopes of the last login that a new request drops and that cost something: `openid` (ID token) and `offline_access` (refresh token). */
export function droppedOidcScopes(previous: readonly string[], requested: readonly string[]): string[] {
  return ['openid', 'offline_access'].filter((scope) => previous.includes(scope) && !requested.includes(scope));
}
