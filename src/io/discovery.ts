/**
 * The fetching half of "log in from a resource URL": calls the resource without a token to read its challenge,
 * fetches its protected resource metadata (RFC 9728) and its authorization server's metadata (RFC 8414 / OpenID
 * Connect Discovery, path-aware, through openid-client), and records every document and decision as a step. The
 * decisions themselves are `core/resource-discovery.ts`.
 */
import { findBearer, parseWwwAuthenticate, readResourceMetadata as readChallengeMetadata, readScope, type Challenge } from '../core/challenges.js';
import {
  authorizationServerMetadataUrls,
  chooseAuthorizationServer,
  chooseScopes,
  issuerMismatch,
  pkceSupport,
  printable,
  protectedResourceMetadataUrls,
  readResourceMetadata,
  resourceMismatch,
  type DiscoveryStep,
  type MetadataSource,
  type ResourceMetadata,
  type ScopeChoice,
} from '../core/resource-discovery.js';
import { AuthError, NetworkError, ScopesError, UsageError } from '../errors.js';
import { checkTransport } from './transport.js';
import { readTextUpTo } from './bounded.js';

/** Metadata documents are small; anything bigger is not one. */
const MAX_METADATA_BYTES = 256 * 1024;

export interface DiscoveryInput {
  /** The resource URL the user holds (an MCP server, an API). */
  readonly resourceUrl: string;
  /** `--issuer`: picks among several authorization servers. */
  readonly pickIssuer?: string | undefined;
  /** `--allow-no-pkce-metadata`: go on when the metadata does not list S256 (servers known to support it silently). */
  readonly allowNoPkce: boolean;
  /** `--scope`, which overrides the challenge and the metadata. */
  readonly scopeFlag?: readonly string[] | undefined;
  /** Asks the user which server to use (a TTY); undefined where nobody can be asked. */
  readonly choose?: ((servers: readonly string[]) => Promise<string | undefined>) | undefined;
}

export interface DiscoveryEnvironment {
  readonly fetch: typeof fetch;
  readonly timeoutSeconds?: number;
}

/** The chain's result: everything a login from the resource needs. */
export interface Discovery {
  /** The resource identifier (the metadata's `resource`), sent as `resource` on every request (RFC 8707). */
  readonly resource: string;
  readonly resourceMetadataUrl: string;
  readonly resourceMetadata: ResourceMetadata;
  /** The scopes of the resource's 401 challenge, when it had them. */
  readonly challengeScopes?: readonly string[] | undefined;
  readonly issuer: string;
  readonly serverMetadataUrl: string;
  /** The authorization server's metadata as openid-client read it. */
  readonly serverMetadata: Readonly<Record<string, unknown>> & { readonly issuer: string };
  readonly scopes: ScopeChoice;
}

export interface DiscoveryOutcome {
  readonly steps: DiscoveryStep[];
  readonly discovery?: Discovery;
  /** Why the chain stopped; the steps show how far it got. */
  readonly failure?: ScopesError;
}

interface Fetched {
  readonly status: number | null;
  readonly headers?: Headers;
  readonly body?: unknown;
  readonly problem?: string;
}

async function fetchJson(url: string, env: DiscoveryEnvironment): Promise<Fetched> {
  let response: Response;
  try {
    response = await env.fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout((env.timeoutSeconds ?? 15) * 1000),
    });
  } catch (error) {
    return { status: null, problem: `unreachable (${(error as Error)?.cause ? String(((error as Error).cause as Error).message ?? '') : (error as Error)?.message})` };
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    return { status: response.status, headers: response.headers };
  }
  const text = await readTextUpTo(response, MAX_METADATA_BYTES);
  if (text === undefined) return { status: response.status, problem: `larger than ${MAX_METADATA_BYTES / 1024} KiB` };
  try {
    return { status: 200, headers: response.headers, body: JSON.parse(text) };
  } catch {
    return { status: 200, problem: 'not JSON' };
  }
}

/** Calls the resource without a token: a protected one answers 401 with a challenge that may name its metadata and scopes. */
async function readChallenge(url: string, env: DiscoveryEnvironment, steps: DiscoveryStep[]): Promise<Challenge | undefined> {
  let response: Response;
  try {
    response = await env.fetch(url, { method: 'GET', redirect: 'manual', headers: { accept: 'application/json, text/event-stream' }, signal: AbortSignal.timeout((env.timeoutSeconds ?? 15) * 1000) });
  } catch (error) {
    steps.push({ kind: 'fetch', purpose: 'the resource, without a token (for its 401 challenge)', url, status: null, outcome: `unreachable (${(error as Error)?.message}); trying the well-known locations` });
    return undefined;
  }
  await response.body?.cancel().catch(() => undefined);
  const header = response.headers.get('www-authenticate');
  if (response.status !== 401 || header === null) {
    steps.push({
      kind: 'fetch',
      purpose: 'the resource, without a token (for its 401 challenge)',
      url,
      status: response.status,
      outcome: response.status === 401 ? 'no WWW-Authenticate header' : 'no 401 challenge',
    });
    return undefined;
  }
  const parsed = parseWwwAuthenticate(header.slice(0, 8192));
  const challenges = parsed.challenges;
  // resource_metadata may come with the Bearer challenge or another scheme's (DPoP, RFC 9728 §5.1).
  const challenge = [findBearer(challenges), ...challenges].find((candidate) => candidate !== undefined && readChallengeMetadata(candidate) !== undefined) ?? findBearer(challenges);
  const scope = challenge ? readScope(challenge) : undefined;
  const metadata = challenge ? readChallengeMetadata(challenge) : undefined;
  steps.push({
    kind: 'fetch',
    purpose: 'the resource, without a token (for its 401 challenge)',
    url,
    status: 401,
    outcome: `challenge ${metadata ? `names resource_metadata ${metadata}` : 'has no resource_metadata'}${scope ? `, scope "${scope.join(' ')}"` : ', no scope'}`,
  });
  return challenge;
}

/**
 * Follows the chain from a resource URL to an authorization server, stopping at the first refusal (the outcome then
 * carries it, and the steps so far). Never throws for what a server sends; only a bad `resourceUrl` is a UsageError.
 */
export async function discoverFromResource(input: DiscoveryInput, env: DiscoveryEnvironment): Promise<DiscoveryOutcome> {
  const steps: DiscoveryStep[] = [];
  const asked = checkTransport(input.resourceUrl, 'The resource URL');
  if (asked.hash) throw new UsageError(`The resource URL must not have a fragment (RFC 8707 §2): ${input.resourceUrl}`);
  const resourceUrl = input.resourceUrl;
  try {
    const challenge = await readChallenge(asked.href, env, steps);
    const challengeScopes = challenge ? readScope(challenge) : undefined;

    // 1. The protected resource metadata: the challenge's resource_metadata, else path-aware, else root.
    const candidates: { url: string; source: MetadataSource }[] = [];
    const fromChallenge = challenge ? readChallengeMetadata(challenge) : undefined;
    if (fromChallenge !== undefined) candidates.push({ url: fromChallenge, source: 'challenge' });
    else candidates.push(...protectedResourceMetadataUrls(resourceUrl));
    let found: { url: string; source: MetadataSource; metadata: ResourceMetadata } | undefined;
    for (const candidate of candidates) {
      const purpose = `protected resource metadata (RFC 9728, ${candidate.source === 'challenge' ? "from the challenge's resource_metadata" : candidate.source === 'path' ? 'path-aware well-known location' : 'root well-known location'})`;
      try {
        checkTransport(candidate.url, 'The resource metadata URL');
      } catch (error) {
        steps.push({ kind: 'fetch', purpose, url: candidate.url, status: null, outcome: `not fetched: ${(error as Error).message}` });
        return { steps, failure: error as ScopesError };
      }
      const fetched = await fetchJson(candidate.url, env);
      if (fetched.status !== 200 || fetched.problem) {
        steps.push({ kind: 'fetch', purpose, url: candidate.url, status: fetched.status, outcome: fetched.problem ?? 'not there; trying the next location' });
        continue;
      }
      const metadata = readResourceMetadata(fetched.body);
      if ('invalid' in metadata) {
        steps.push({ kind: 'fetch', purpose, url: candidate.url, status: 200, outcome: `refused: ${metadata.invalid}` });
        return { steps, failure: new NetworkError('invalid_resource_metadata', `The protected resource metadata at ${candidate.url} cannot be used: ${metadata.invalid}.`) };
      }
      const mismatch = resourceMismatch(metadata.resource, resourceUrl, candidate.source);
      if (mismatch !== undefined) {
        steps.push({ kind: 'fetch', purpose, url: candidate.url, status: 200, outcome: `refused: ${mismatch}` });
        return {
          steps,
          failure: new AuthError('resource_mismatch', `The protected resource metadata at ${candidate.url} does not describe ${resourceUrl}: ${mismatch}`, {
            hint: 'Check the URL you gave (scheme, host, port, path, trailing slash); if it is right, the resource server publishes wrong metadata.',
          }),
        };
      }
      steps.push({ kind: 'fetch', purpose, url: candidate.url, status: 200, outcome: `used: resource "${metadata.resource}", authorization_servers ${JSON.stringify(metadata.authorizationServers)}${metadata.scopesSupported ? `, scopes_supported "${metadata.scopesSupported.join(' ')}"` : ''}` });
      found = { ...candidate, metadata };
      break;
    }
    if (found === undefined) {
      return {
        steps,
        failure: new NetworkError('no_resource_metadata', `No protected resource metadata (RFC 9728) for ${resourceUrl}: the resource named none in a 401 challenge and none is published at the well-known locations.`, {
          hint: 'Log in with the issuer instead: scopes login --issuer URL --client-id ID --resource ' + resourceUrl,
        }),
      };
    }
    steps.push({ kind: 'decision', subject: 'resource', value: found.metadata.resource, rule: `the metadata's resource, equal to the URL asked (RFC 9728 §3.3); sent as resource on the authorization, token and refresh requests (RFC 8707, MCP)` });

    // 2. Which authorization server.
    let choice = chooseAuthorizationServer(found.metadata.authorizationServers, input.pickIssuer);
    if ('ask' in choice) {
      const answer = input.choose ? await input.choose(choice.ask) : undefined;
      if (answer === undefined) {
        return {
          steps,
          failure: new UsageError(`The resource names ${choice.ask.length} authorization servers; choose one with --issuer:\n  ${choice.ask.join('\n  ')}`, {
            hint: `scopes login --resource ${resourceUrl} --issuer ${choice.ask[0]}`,
          }),
        };
      }
      choice = { issuer: answer, rule: 'chosen at the prompt among the servers the resource names' };
    }
    if ('refused' in choice) return { steps, failure: new UsageError(`Cannot choose an authorization server: ${choice.refused}`) };
    const issuer = choice.issuer;
    steps.push({ kind: 'decision', subject: 'authorization server', value: issuer, rule: choice.rule });

    // 3. Its metadata, path-aware, through openid-client; the issuer must be the one used to build the URL.
    const server = await discoverServer(issuer, env, steps);
    if ('failure' in server) return { steps, failure: server.failure };

    const pkce = pkceSupport(server.metadata.code_challenge_methods_supported);
    if (pkce !== 'S256') {
      const what = pkce === 'absent' ? 'has no code_challenge_methods_supported' : `lists code_challenge_methods_supported ${JSON.stringify(server.metadata.code_challenge_methods_supported)} without S256`;
      if (!input.allowNoPkce) {
        steps.push({ kind: 'decision', subject: 'PKCE', value: 'refused', rule: `the metadata ${what}: MCP clients must refuse to proceed (RFC 8414 §2: absent means no PKCE)` });
        return {
          steps,
          failure: new AuthError('no_pkce', `The authorization server ${issuer} ${what}, so it does not declare PKCE S256 support; refusing to log in (MCP requires it).`, {
            hint: 'If you know the server supports S256 without saying so, add --allow-no-pkce-metadata.',
          }),
        };
      }
      steps.push({ kind: 'decision', subject: 'PKCE', value: 'S256 (sent anyway)', rule: `the metadata ${what}; --allow-no-pkce-metadata given` });
    } else steps.push({ kind: 'decision', subject: 'PKCE', value: 'S256', rule: 'listed in code_challenge_methods_supported (RFC 7636, MCP)' });

    const serverScopes = Array.isArray(server.metadata.scopes_supported) ? (server.metadata.scopes_supported as unknown[]).filter((s): s is string => typeof s === 'string') : undefined;
    const { choice: scopes, offlineAccess } = chooseScopes({ flag: input.scopeFlag, challenge: challengeScopes, resourceScopes: found.metadata.scopesSupported, serverScopes });
    steps.push({ kind: 'decision', subject: 'scopes', value: scopes.scopes.join(' ') || '(none)', rule: scopes.rule });
    steps.push({ kind: 'decision', subject: 'offline_access', value: offlineAccess.added ? 'added' : 'not added', rule: offlineAccess.rule });

    return {
      steps,
      discovery: {
        resource: found.metadata.resource,
        resourceMetadataUrl: found.url,
        resourceMetadata: found.metadata,
        challengeScopes,
        issuer,
        serverMetadataUrl: server.url,
        serverMetadata: server.metadata,
        scopes,
      },
    };
  } catch (error) {
    if (error instanceof ScopesError) return { steps, failure: error };
    throw error;
  }
}

type ServerFound = { url: string; metadata: Readonly<Record<string, unknown>> & { issuer: string } } | { failure: ScopesError };

/**
 * The authorization server's metadata at the first location that has it, in the MCP order. openid-client reads and
 * checks each document (given a well-known URL it fetches exactly that); the exact `issuer` comparison is here.
 */
export async function discoverServer(issuer: string, env: DiscoveryEnvironment, steps: DiscoveryStep[]): Promise<ServerFound> {
  const issuerUrl = checkTransport(issuer, 'The authorization server');
  const oauth = await import('./oauth.js');
  const { client } = oauth;
  for (const candidate of authorizationServerMetadataUrls(issuer)) {
    const purpose = `authorization server metadata (${candidate.kind})`;
    let status: number | null = null;
    const recording: typeof fetch = async (input, init) => {
      const response = await env.fetch(input, init);
      status = response.status;
      return response;
    };
    let metadata: Record<string, unknown> & { issuer: string };
    try {
      const config = await client.discovery(new URL(candidate.url), 'discovery', undefined, client.None(), {
        execute: issuerUrl.protocol === 'http:' ? [client.allowInsecureRequests] : [],
        timeout: env.timeoutSeconds ?? 15,
        [client.customFetch]: recording as import('openid-client').CustomFetch,
      });
      metadata = config.serverMetadata() as unknown as Record<string, unknown> & { issuer: string };
    } catch (error) {
      if (status !== null && status !== 200) {
        steps.push({ kind: 'fetch', purpose, url: candidate.url, status, outcome: 'not there; trying the next location' });
        continue;
      }
      const translated = oauth.translateOAuthError(error, 'the authorization server discovery');
      steps.push({ kind: 'fetch', purpose, url: candidate.url, status, outcome: status === null ? `unreachable: ${translated.message}` : `not usable: ${translated.message}` });
      if (status === null) return { failure: translated };
      continue;
    }
    const mismatch = issuerMismatch(metadata.issuer, issuer);
    if (mismatch !== undefined) {
      steps.push({ kind: 'fetch', purpose, url: candidate.url, status: 200, outcome: `refused: ${mismatch}` });
      return {
        failure: new AuthError('issuer_mismatch', `The authorization server metadata at ${candidate.url} cannot be used: ${mismatch}`, {
          hint: 'A server that answers for another issuer could be an impostor; ask whoever runs the resource to fix its authorization_servers.',
        }),
      };
    }
    steps.push({ kind: 'fetch', purpose, url: candidate.url, status: 200, outcome: `used: issuer "${metadata.issuer}" equals the one used to build the URL (RFC 8414 §3.3)` });
    return { url: candidate.url, metadata };
  }
  return {
    failure: new NetworkError('no_server_metadata', `No authorization server metadata for ${issuer} at any of its well-known locations.`, {
      hint: 'Check the issuer; for a server without discovery, configure tokenEndpoint and authorizationEndpoint in a profile.',
    }),
  };
}

/** The line `discover` and `login --explain` print for a step. */
export function formatStep(step: DiscoveryStep, index: number): string {
  if (step.kind === 'fetch') {
    return printable(`${index + 1}. GET ${step.url}\n   ${step.purpose}: ${step.status === null ? 'no answer' : `HTTP ${step.status}`}, ${step.outcome}`);
  }
  return printable(`${index + 1}. ${step.subject}: ${step.value}\n   because ${step.rule}`);
}
