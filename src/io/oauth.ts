/**
 * The one adapter over openid-client: every protocol exchange goes through here, and every error openid-client (or
 * the network) raises is translated here into ours, with an exit code and a message a user can act on.
 */
import * as client from 'openid-client';
import type { Profile } from '../core/profile.js';
import { AuthError, NetworkError, ScopesError, UsageError } from '../errors.js';
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

/** Converts any error from openid-client or fetch into a ScopesError. */
export function translateOAuthError(error: unknown, during: string): ScopesError {
  if (error instanceof ScopesError) return error;
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
    if (typeof value === 'string') checkTransport(value, `The server's ${field}`);
  }
  // checkTransport has limited plain http to loopback.
  if (Object.values(config.serverMetadata()).some((value) => typeof value === 'string' && value.startsWith('http:'))) {
    client.allowInsecureRequests(config);
  }
  config[client.customFetch] = context.fetch as client.CustomFetch;
  config.timeout = context.timeoutSeconds ?? 30;
  return config;
}

async function discover(issuer: URL, clientId: string, auth: client.ClientAuth, context: OAuthContext): Promise<client.Configuration> {
  const execute = issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [];
  const options = { execute, timeout: context.timeoutSeconds ?? 30, [client.customFetch]: context.fetch as client.CustomFetch };
  try {
    return await client.discovery(issuer, clientId, undefined, auth, options);
  } catch (first) {
    // OpenID Connect Discovery first, then RFC 8414 for plain OAuth servers.
    try {
      return await client.discovery(issuer, clientId, undefined, auth, { ...options, algorithm: 'oauth2' });
    } catch {
      const translated = translateOAuthError(first, 'discovery');
      throw new NetworkError(
        'discovery_failed',
        `Cannot read the discovery document of ${issuer.href}: ${translated.message}`,
        {
          hint: 'Check --issuer; for a server without discovery set tokenEndpoint and authorizationEndpoint in the profile.',
          cause: first,
        },
      );
    }
  }
}

export { client };
