/**
 * What probe, check and minimal share: the scope document they read (a manifest or an OpenAPI document) and the
 * token they judge, with the scopes it carries.
 */
import { dirname, resolve } from 'node:path';
import { scopesFromClaims } from '../core/carriers.js';
import { decodeToken, normalizeToken } from '../core/jwt.js';
import type { ScopeDocument } from '../core/manifest.js';
import { UsageError } from '../errors.js';
import { readBoundedFile } from '../io/bounded.js';
import { registerSecret } from '../io/guard.js';
import { getAccessToken } from '../session.js';
import type { CommandContext } from './context.js';

export interface LoadedDocument {
  readonly path: string;
  readonly kind: 'manifest' | 'openapi';
  readonly document: ScopeDocument;
}

export interface DocumentFlags {
  readonly manifest?: string | undefined;
  readonly openapi?: string | undefined;
}

/** Scope documents are read up to this size: a large OpenAPI document is a few MiB. */
const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

/** An OpenAPI document says so in its first lines; a manifest never has an `openapi` key. */
const looksLikeOpenApi = (text: string): boolean => /^\s*["']?(openapi|swagger)["']?\s*:/m.test(text.slice(0, 4096));

/**
 * `--manifest FILE` or `--openapi FILE`; else the profile's `manifest` (relative to the config file naming it);
 * else `./scopes.manifest.json` or `.yaml` when `lookInCwd`. Undefined when there is none and none is required.
 * @throws UsageError (exit 2) for both flags at once, an unreadable file, or an invalid document.
 */
export async function loadScopeDocument(context: CommandContext, flags: DocumentFlags, lookInCwd: boolean): Promise<LoadedDocument | undefined> {
  if (flags.manifest !== undefined && flags.openapi !== undefined) throw new UsageError('Give --manifest or --openapi, not both.');
  const { deps, resolved } = context;
  let path: string | undefined;
  let text: string | undefined;
  let kind: LoadedDocument['kind'] | undefined;
  if (flags.manifest !== undefined) [path, kind] = [resolve(deps.cwd, flags.manifest), 'manifest'];
  else if (flags.openapi !== undefined) [path, kind] = [resolve(deps.cwd, flags.openapi), 'openapi'];
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
  const what = kind === 'openapi' ? 'the OpenAPI document' : 'the manifest';
  text ??= await readBoundedFile(path, MAX_DOCUMENT_BYTES, what);
  if (text === undefined) throw new UsageError(`Cannot read ${what} ${path}: no such file.`);
  kind ??= looksLikeOpenApi(text) ? 'openapi' : 'manifest';
  if (kind === 'openapi') {
    const { parseOpenApi } = await import('../core/openapi.js');
    return { path, kind, document: parseOpenApi(text, path) };
  }
  const { parseManifest } = await import('../core/manifest.js');
  return { path, kind, document: parseManifest(text, path) };
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
