/**
 * What probe, check and minimal share: the scope document they read (a manifest or an OpenAPI document) and the
 * token they judge, with the scopes it carries.
 */
import { dirname, resolve } from 'node:path';
import { scopesFromClaims } from '../core/carriers.js';
import { normalizeToken } from '../core/jwt.js';
import { decodeToken, PROVIDER_NAMES } from '../providers/index.js';
import type { Endpoint, ScopeDocument } from '../core/manifest.js';
import { UsageError } from '../errors.js';
import { readBoundedFile } from '../io/bounded.js';
import { registerSecret } from '../io/guard.js';
import { getAccessToken } from '../session.js';
import type { CommandContext } from './context.js';

export interface LoadedDocument {
  readonly path: string;
  readonly kind: 'manifest' | 'openapi' | 'discovery';
  readonly document: ScopeDocument;
}

export interface DocumentFlags {
  readonly manifest?: string | undefined;
  readonly openapi?: string | undefined;
  readonly discovery?: string | undefined;
}

/** Scope documents are read up to this size: Microsoft Graph's OpenAPI description is about 40 MB. */
const MAX_DOCUMENT_BYTES = 128 * 1024 * 1024;

/** An OpenAPI document says so in its first lines; a manifest never has an `openapi` key. */
const looksLikeOpenApi = (text: string): boolean => /^\s*["']?(openapi|swagger)["']?\s*:/m.test(text.slice(0, 4096));
const looksLikeDiscovery = (text: string): boolean => /"kind"\s*:\s*"discovery#restDescription"/.test(text.slice(0, 4096));

/** Whose credential counts: an OAuth token's (the default), or any (an API key alternative needs no scope). */
export type Credential = 'oauth' | 'any';

/** The endpoints as a caller holding `credential` needs them. */
export function endpointsFor(document: ScopeDocument, credential: Credential): Endpoint[] {
  if (credential === 'oauth') return document.endpoints;
  return document.endpoints.map((endpoint) => (endpoint.anyCredential === undefined ? endpoint : { ...endpoint, required: endpoint.anyCredential }));
}

/**
 * What to tell about other credentials: operations an API key (…) could call instead of an OAuth token, and those
 * only another credential can call.
 */
export function credentialNotes(endpoints: readonly Endpoint[], credential: Credential): string[] {
  const notes: string[] = [];
  const label = (endpoint: Endpoint): string => `${endpoint.method} ${endpoint.path}`;
  const some = (list: readonly Endpoint[]): string => `${list.slice(0, 5).map(label).join(', ')}${list.length > 5 ? `, … and ${list.length - 5} more` : ''}`;
  const schemes = (list: readonly Endpoint[]): string => {
    // a loop, not flatMap: a large description has tens of thousands of such operations
    const names = new Set<string>();
    for (const endpoint of list) for (const name of endpoint.otherCredentials ?? []) names.add(name);
    return [...names].map((name) => JSON.stringify(name)).join(' or ');
  };
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const alternatives = endpoints.filter((endpoint) => endpoint.otherCredentials !== undefined && endpoint.oauth !== false);
  const only = endpoints.filter((endpoint) => endpoint.oauth === false);
  if (alternatives.length > 0) {
    notes.push(
      credential === 'oauth'
        ? `${plural(alternatives.length, 'operation')} could also be called with ${schemes(alternatives)} instead of an OAuth token; judged for an OAuth token (--credential any reads ${alternatives.length === 1 ? 'it' : 'them'} as needing no scope): ${some(alternatives)}`
        : `${plural(alternatives.length, 'operation')} can be called with ${schemes(alternatives)} alone, a credential without scopes, so ${alternatives.length === 1 ? 'it needs' : 'they need'} no scope (--credential any): ${some(alternatives)}`,
    );
  }
  if (only.length > 0) notes.push(`${plural(only.length, 'operation')} ${only.length === 1 ? 'accepts' : 'accept'} no OAuth token, only ${schemes(only)}: no scope can help there: ${some(only)}`);
  return notes;
}

/**
 * `--manifest FILE` or `--openapi FILE`; else the profile's `manifest` (relative to the config file naming it);
 * else `./scopes.manifest.json` or `.yaml` when `lookInCwd`. Undefined when there is none and none is required.
 * @throws UsageError (exit 2) for both flags at once, an unreadable file, or an invalid document.
 */
export async function loadScopeDocument(context: CommandContext, flags: DocumentFlags, lookInCwd: boolean): Promise<LoadedDocument | undefined> {
  const given = [flags.manifest, flags.openapi, flags.discovery].filter((flag) => flag !== undefined).length;
  if (given > 1) throw new UsageError('Give one of --manifest, --openapi or --discovery, not several.');
  const { deps, resolved } = context;
  let path: string | undefined;
  let text: string | undefined;
  let kind: LoadedDocument['kind'] | undefined;
  if (flags.manifest !== undefined) [path, kind] = [resolve(deps.cwd, flags.manifest), 'manifest'];
  else if (flags.openapi !== undefined) [path, kind] = [resolve(deps.cwd, flags.openapi), 'openapi'];
  else if (flags.discovery !== undefined) [path, kind] = [resolve(deps.cwd, flags.discovery), 'discovery'];
  else if (resolved.profile.manifest !== undefined) {
    const base = resolved.source === undefined ? deps.cwd : dirname(resolved.source);
    path = resolve(base, resolved.profile.manifest);
  } else if (lookInCwd) {
    for (const name of ['scopes.manifest.json', 'scopes.manifest.yaml', 'scopes.manifest.yml']) {
      const candidate = resolve(deps.cwd, name);
      const found = await readBoundedFile(candidate, MAX_DOCUMENT_BYTES, 'the manifest');
      if (found !== undefined) {
        [path, text] = [candidate, found];
        break;
      }
    }
  }
  if (path === undefined) return undefined;
  const what = kind === 'openapi' ? 'the OpenAPI document' : kind === 'discovery' ? 'the discovery document' : 'the manifest';
  text ??= await readBoundedFile(path, MAX_DOCUMENT_BYTES, what);
  if (text === undefined) throw new UsageError(`Cannot read ${what} ${path}: no such file.`);
  kind ??= looksLikeOpenApi(text) ? 'openapi' : looksLikeDiscovery(text) ? 'discovery' : 'manifest';
  const source = text;
  const { parseManifest, readWithYamlIfNeeded } = await import('../core/manifest.js');
  if (kind === 'discovery') {
    const { parseDiscovery } = await import('../providers/google-discovery.js');
    return { path, kind, document: await readWithYamlIfNeeded(source, () => parseDiscovery(source, path)) };
  }
  if (kind === 'openapi') {
    const { parseOpenApi } = await import('../core/openapi.js');
    return { path, kind, document: await readWithYamlIfNeeded(source, () => parseOpenApi(source, path, PROVIDER_NAMES)) };
  }
  return { path, kind, document: await readWithYamlIfNeeded(source, () => parseManifest(source, path, PROVIDER_NAMES)) };
}

export interface TokenInfo {
  readonly token: string;
  readonly granted: string[];
  /** False when nothing tells the token's scopes (an opaque token, a JWT without a scope claim, SCOPES_TOKEN). */
  readonly known: boolean;
  /** Where the granted scopes were read. */
  readonly source: 'jwt' | 'token-response' | 'introspection' | 'unknown';
}

/** `--token` (or `-` for stdin), else the profile's token as `scopes token` gets it; and the scopes it carries. */
export async function resolveToken(context: CommandContext, flag: string | undefined): Promise<TokenInfo> {
  const { deps } = context;
  let token: string;
  let fromResponse: readonly string[] | undefined;
  if (flag !== undefined) {
    token = normalizeToken(flag === '-' ? await deps.io.readStdin() : flag);
    if (token === '') throw new UsageError(flag === '-' ? '--token -: standard input held no token.' : '--token: the token is empty.');
    registerSecret(deps, token);
  } else {
    const access = await getAccessToken(
      { deps, profileName: context.resolved.name, profile: context.resolved.profile, warn: context.warn, trace: context.trace },
      { minTtl: 60, forceRefresh: false },
    );
    token = access.accessToken;
    // SCOPES_TOKEN comes with no token response: its scopes are only what the token itself carries.
    if (access.source !== 'env') fromResponse = access.scope;
  }

  const decoded = decodeToken(token);
  if (decoded.format === 'jwt') {
    const exp = decoded.claims.exp;
    if (typeof exp === 'number' && exp * 1000 < deps.now().getTime()) context.warn('The token has expired (its exp claim is in the past): expect 401s.');
    const claims = scopesFromClaims(decoded.claims);
    if (claims.claim !== null) return { token, granted: claims.scopes, known: true, source: 'jwt' };
  }
  if (fromResponse !== undefined) return { token, granted: [...fromResponse], known: true, source: 'token-response' };
  return { token, granted: [], known: false, source: 'unknown' };
}

/**
 * The scopes of a token nothing else describes (opaque), from the profile's introspection endpoint (RFC 7662).
 * @returns undefined when the profile has no introspection endpoint to ask.
 * @throws AuthError (exit 3) when the server says the token is not active.
 */
export async function introspectScopes(context: CommandContext, token: string): Promise<string[] | undefined> {
  const { deps, resolved } = context;
  const profile = resolved.profile;
  if (!profile.clientId || (!profile.issuer && !profile.introspectionEndpoint)) return undefined;
  const oauth = await import('../io/oauth.js');
  const { clientSecret } = await import('../session.js');
  const config = await oauth.connect(profile, { fetch: deps.fetch, clientSecret: clientSecret(profile, deps) });
  if (!config.serverMetadata().introspection_endpoint) return undefined;
  let body: unknown;
  try {
    body = await oauth.client.tokenIntrospection(config, token);
  } catch (error) {
    throw oauth.translateOAuthError(error, 'the introspection');
  }
  const { scopesFromIntrospection } = await import('../core/carriers.js');
  const introspected = scopesFromIntrospection(body);
  if (!introspected.active) {
    const { AuthError } = await import('../errors.js');
    throw new AuthError('inactive_token', 'The introspection endpoint says the token is not active (expired, revoked, or never issued there).');
  }
  return introspected.scopes;
}

/**
 * Whom a fix line should address: the profile, unless the token was given (--token) and its claims do not show it was
 * issued by the profile's issuer to the profile's client. A foreign token's fix must not name an unrelated profile.
 * @param given the token passed with --token, or undefined when the profile's own token was used.
 * @param keep scopes a login of its own should ask for besides the missing ones (what the token was asked or has).
 */
export function fixTargetFor(context: CommandContext, given: string | undefined, keep: readonly string[]): import('../render/fix.js').FixTarget {
  const profileTarget = { kind: 'profile', profile: context.resolved.name } as const;
  if (given === undefined) return profileTarget;
  let claims: Record<string, unknown> | undefined;
  try {
    const decoded = decodeToken(given);
    if (decoded.format === 'jwt') claims = decoded.claims as Record<string, unknown>;
  } catch {
    claims = undefined;
  }
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const issuer = text(claims?.iss);
  // RFC 9068 access tokens carry client_id; id-token-shaped ones azp; some providers cid (Okta) or appid (Entra v1).
  const clientId = text(claims?.client_id) ?? text(claims?.azp) ?? text(claims?.cid) ?? text(claims?.appid);
  const profile = context.resolved.profile;
  const profileIssuer = profile.issuer ?? profile.tokenEndpoint;
  const sameIssuer = issuer !== undefined && profileIssuer !== undefined && issuer.replace(/\/+$/, '') === profileIssuer.replace(/\/+$/, '');
  const sameClient = clientId === undefined || clientId === profile.clientId;
  if (sameIssuer && sameClient && profile.clientId !== undefined) return profileTarget;
  return { kind: 'foreign', issuer, clientId, keep };
}
