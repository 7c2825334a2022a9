/**
 * The one adapter over openid-client: every protocol exchange goes through here, and every error openid-client (or
 * the network) raises is translated here into ours, with an exit code and a message a user can act on.
 */
import * as client from 'openid-client';
import type { Profile } from '../core/profile.js';
import { AuthError, NetworkError, ScopesError, UsageError } from '../errors.js';
import { tooLargeCause } from './bounded.js';
import { checkTransport } from './transport.js';

export type TokenResponse = client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;

export interface OAuthContext {
  readonly fetch: typeof fetch;
  /** Per-request timeout in seconds. */
  readonly timeoutSeconds?: number;
  readonly clientSecret?: string | undefined;
}

const ENDPOINT_FIELDS = [
  'authorization_endpoint',
  'token_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
  'device_authorization_endpoint',
  'userinfo_endpoint',
  'jwks_uri',
] as const;

/** The exchanges whose refusals mean something of their own. */
export type OAuthOperation = 'refresh' | 'introspection' | 'revocation' | 'other';

const operationOf = (during: string): OAuthOperation =>
  /refresh/i.test(during) ? 'refresh' : /introspection/i.test(during) ? 'introspection' : /revocation/i.test(during) ? 'revocation' : 'other';

/** The HTTP response an openid-client error was raised about, when it keeps one. */
function responseOf(error: unknown): Response | undefined {
  const candidates = [(error as { response?: unknown } | undefined)?.response, (error as { cause?: unknown } | undefined)?.cause];
  return candidates.find((value): value is Response => value instanceof Response);
}

/**
 * What a refusal means, by status and operation rather than by the shape of its body: servers such as Glewlwyd answer
 * a spent or revoked refresh token with a bare `400` and no body, and an endpoint that wants client authentication
 * with a bare `401`.
 */
function classifyRefusal(error: unknown, during: string, operation: OAuthOperation): ScopesError | undefined {
  const response = responseOf(error);
  if (!response) return undefined;
  const status = response.status;
  const oauthError = error instanceof client.ResponseBodyError ? error.error : undefined;
  if (operation === 'refresh' && status === 400 && oauthError === undefined) {
    // RFC 6749 §5.2 gives 400 to every token-endpoint refusal; for a refresh that worked before, the grant is what changed.
    return new AuthError('invalid_grant', `The token endpoint refused ${during} with HTTP 400 and no OAuth error in its body: the refresh token was rejected (spent, revoked or expired).`, { cause: error });
  }
  if ((operation === 'introspection' || operation === 'revocation') && status === 401) {
    const endpoint = operation === 'introspection' ? 'introspection endpoint (RFC 7662)' : 'revocation endpoint (RFC 7009)';
    return new AuthError('client_authentication_required', `The ${endpoint} refused ${during} with HTTP 401${oauthError ? ` (${oauthError})` : ''}: it wants client authentication.`, {
      hint: 'Register a confidential client and set "clientSecretEnv" in the profile to the name of the variable that holds its secret.',
      cause: error,
    });
  }
  return undefined;
}

/** The RFC 9207 and state checks of an authorization response, named as the security checks they are. */
function classifyAuthorizationResponse(error: unknown): ScopesError | undefined {
  const code = (error as { code?: string } | undefined)?.code;
  if (code !== 'OAUTH_INVALID_RESPONSE') return undefined;
  const inner = (error as { cause?: { message?: string; cause?: { expected?: unknown; parameters?: unknown } } }).cause;
  const detail = inner?.message ?? (error as Error).message;
  if (/"iss" \(issuer\) missing/.test(detail)) {
    return new AuthError(
      'iss_missing',
      'The authorization response failed a security check: it carries no "iss" although the server promises one (authorization_response_iss_parameter_supported, RFC 9207). It may come from another server; it was not used.',
      { cause: error },
    );
  }
  if (/unexpected "iss"/.test(detail)) {
    const parameters = inner?.cause?.parameters;
    const got = parameters instanceof URLSearchParams ? parameters.get('iss') : null;
    const expected = typeof inner?.cause?.expected === 'string' ? inner.cause.expected : 'this login\'s server';
    return new AuthError(
      'issuer_mismatch',
      `Refused as a mix-up defence (RFC 9207): the authorization response names the issuer ${JSON.stringify(got ?? '')}, but this login talks to ${expected}. A code from another server was not sent anywhere.`,
      { cause: error },
    );
  }
  if (/"state"/.test(detail)) return new AuthError('invalid_response', `The authorization response failed a security check: ${detail}.`, { cause: error });
  return undefined;
}

/** Converts any error from openid-client or fetch into a ScopesError. */
export function translateOAuthError(error: unknown, during: string, operation: OAuthOperation = operationOf(during)): ScopesError {
  if (error instanceof ScopesError) return error;
  const tooLarge = tooLargeCause(error);
  if (tooLarge) return tooLarge;
  const refusal = classifyRefusal(error, during, operation) ?? classifyAuthorizationResponse(error);
  if (refusal) return refusal;
  if (error instanceof client.ResponseBodyError) {
    const description = error.error_description ? `: ${error.error_description}` : '';
    if (error.status >= 500) {
      return new NetworkError('server_error', `The authorization server failed during ${during} (HTTP ${error.status}, ${error.error}${description}).`, { cause: error });
    }
    return new AuthError(error.error, `The authorization server refused ${during}: ${error.error}${description}`, { cause: error });
  }
  if (error instanceof client.AuthorizationResponseError) {
    const description = error.error_description ? `: ${error.error_description}` : '';
    return new AuthError(error.error, `The authorization server returned ${error.error}${description}`, { cause: error });
  }
  if (error instanceof client.WWWAuthenticateChallengeError) {
    return new AuthError('challenge', `The server refused ${during}: ${error.message}`, { cause: error });
  }
  // openid-client wraps an aborted request in a ClientError whose cause is the DOMException.
  const names = [(error as Error | undefined)?.name, ((error as Error | undefined)?.cause as Error | undefined)?.name];
  const code = (error as { code?: string } | undefined)?.code;
  if (names.includes('TimeoutError') || names.includes('AbortError')) {
    return new NetworkError('timeout', `The authorization server did not answer in time during ${during}.`, { cause: error });
  }
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return new NetworkError('unreachable', `Cannot reach the authorization server during ${during}: ${cause?.code ?? cause?.message ?? error.message}.`, { cause: error });
  }
  if (typeof code === 'string' && code.startsWith('OAUTH_')) {
    const message = (error as Error).message;
    const protocolCheck = code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' || code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' || /"(iss|state)"/.test(message);
    if (protocolCheck) return new AuthError('invalid_response', `The response of ${during} failed a security check: ${message}.`, { cause: error });
    return new NetworkError('invalid_response', `The authorization server sent an invalid response during ${during}: ${message}.`, { cause: error });
  }
  return new NetworkError('unexpected', `Unexpected failure during ${during}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/** Server metadata, from discovery or from a profile's explicit endpoints (for servers without discovery, like GitHub). */
export async function connect(profile: Profile, context: OAuthContext): Promise<client.Configuration> {
  const clientId = profile.clientId;
  if (!clientId) throw new UsageError('No client id: pass `--client-id ID` or set `clientId` in the profile.');
  const auth = context.clientSecret === undefined ? client.None() : client.ClientSecretPost(context.clientSecret);
  let config: client.Configuration;
  if (profile.tokenEndpoint || profile.authorizationEndpoint) {
    if (!profile.tokenEndpoint) throw new UsageError('The profile names an authorizationEndpoint but no tokenEndpoint.');
    const metadata: client.ServerMetadata = {
      issuer: profile.issuer ?? new URL(profile.tokenEndpoint).origin,
      token_endpoint: checkTransport(profile.tokenEndpoint, 'tokenEndpoint').href,
    };
    const optional = {
      authorization_endpoint: profile.authorizationEndpoint,
      revocation_endpoint: profile.revocationEndpoint,
      introspection_endpoint: profile.introspectionEndpoint,
      device_authorization_endpoint: profile.deviceAuthorizationEndpoint,
      userinfo_endpoint: profile.userinfoEndpoint,
      jwks_uri: profile.jwksUri,
    };
    for (const [field, value] of Object.entries(optional)) {
      if (value) (metadata as Record<string, unknown>)[field] = checkTransport(value, field).href;
    }
    config = new client.Configuration(metadata, clientId, undefined, auth);
  } else {
    if (!profile.issuer) {
      throw new UsageError('No issuer: pass `--issuer URL` or set `issuer` (or explicit endpoints) in the profile.');
    }
    const issuer = checkTransport(profile.issuer, 'issuer');
    config = await discover(issuer, clientId, auth, context);
  }
  const metadata = config.serverMetadata() as unknown as Record<string, unknown>;
  for (const field of ENDPOINT_FIELDS) {
    const value = metadata[field];
    if (typeof value !== 'string') continue;
    try {
      checkTransport(value, `The server's ${field}`);
    } catch (error) {
      // The profile's own endpoints were checked above (exit 2); a discovered one is the server's fault.
      throw new NetworkError('insecure_discovery', `The discovery document of ${profile.issuer} is broken: its ${field} ${value} is plain http to a host that is not loopback, where tokens could be read on the way.`, {
        hint: 'The server must publish https endpoints; nothing was sent to it.',
        cause: error,
      });
    }
  }
  // checkTransport has limited plain http to loopback.
  if (Object.values(config.serverMetadata()).some((value) => typeof value === 'string' && value.startsWith('http:'))) {
    client.allowInsecureRequests(config);
  }
  config[client.customFetch] = context.fetch as client.CustomFetch;
  config.timeout = context.timeoutSeconds ?? 30;
  return config;
}

/** A discovery document that names another issuer than the one asked for (OpenID Discovery §4.3, RFC 8414 §3.3). */
function issuerMismatch(error: unknown, issuer: URL): ScopesError | undefined {
  if ((error as { code?: string } | undefined)?.code !== 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') return undefined;
  type Detail = { attribute?: unknown; body?: { issuer?: unknown }; expected?: unknown; cause?: Detail };
  // openid-client's own check keeps the detail as the cause; oauth4webapi's, one level further down.
  const cause = (error as { cause?: Detail }).cause;
  const detail = cause?.attribute === 'issuer' ? cause : cause?.cause;
  if (detail?.attribute !== 'issuer') return undefined;
  const named = typeof detail.body?.issuer === 'string' ? detail.body.issuer : '(none)';
  return new NetworkError(
    'issuer_mismatch',
    `The discovery document of ${issuer.href} names another issuer: it says ${JSON.stringify(named)}, but ${JSON.stringify(String(detail.expected ?? issuer.href))} was asked for. The two must be identical, so it was not used.`,
    { hint: `If ${named} is the server you mean, pass exactly that as --issuer.`, cause: error },
  );
}

/** Whether the error only says the document was not found where looked (any other failure is worth reporting first). */
const isStatusOnly = (error: unknown): boolean => (error as { code?: string } | undefined)?.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM';

async function discover(issuer: URL, clientId: string, auth: client.ClientAuth, context: OAuthContext): Promise<client.Configuration> {
  const execute = issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [];
  // Each URL tried and what it answered, for a message that says where the document was looked for.
  const tried: string[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    try {
      const response = await context.fetch(input, init);
      tried.push(`${url} (HTTP ${response.status})`);
      return response;
    } catch (error) {
      const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
      const reason = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : (error as Error).message;
      tried.push(`${url} (no answer: ${reason})`);
      throw error;
    }
  };
  const options = { execute, timeout: context.timeoutSeconds ?? 30, [client.customFetch]: recordingFetch as client.CustomFetch };
  try {
    return await client.discovery(issuer, clientId, undefined, auth, options);
  } catch (first) {
    // OpenID Connect Discovery first, then RFC 8414 for plain OAuth servers.
    try {
      return await client.discovery(issuer, clientId, undefined, auth, { ...options, algorithm: 'oauth2' });
    } catch (second) {
      // The third place MCP (2026-07-28) looks for an issuer with a path: /.well-known/openid-configuration/<path>.
      const third = await insertedOpenIdConfiguration(issuer, clientId, auth, options);
      if (third) return third;
      const chosen = isStatusOnly(first) && !isStatusOnly(second) ? second : first;
      const mismatch = issuerMismatch(chosen, issuer);
      if (mismatch) throw mismatch;
      const translated = translateOAuthError(chosen, 'discovery');
      if (translated.code === 'response_too_large') throw translated;
      const where = tried.length > 0 ? ` Tried ${tried.join('; ')}.` : '';
      const reason = isStatusOnly(chosen) ? 'no discovery document was found.' : translated.message;
      throw new NetworkError('discovery_failed', `Cannot read the discovery document of ${issuer.href}: ${reason}${where}`, {
        hint: 'Check --issuer; for a server without discovery set tokenEndpoint and authorizationEndpoint in the profile.',
        cause: chosen,
      });
    }
  }
}

/**
 * OpenID configuration at `/.well-known/openid-configuration/<path>` (the well-known path inserted, as RFC 8414 does),
 * which some servers with a path issuer publish and openid-client does not try; used only when its `issuer` is exactly
 * the issuer asked (RFC 8414 §3.3). Undefined when the issuer has no path or the document is not there or not its own.
 */
async function insertedOpenIdConfiguration(
  issuer: URL,
  clientId: string,
  auth: client.ClientAuth,
  options: Parameters<typeof client.discovery>[4],
): Promise<client.Configuration | undefined> {
  const path = issuer.pathname.replace(/\/+$/, '');
  if (path === '') return undefined;
  try {
    const config = await client.discovery(new URL(`${issuer.origin}/.well-known/openid-configuration${path}`), clientId, undefined, auth, options);
    const found = config.serverMetadata().issuer;
    return found === issuer.href ? config : undefined;
  } catch {
    return undefined;
  }
}

export { client };
