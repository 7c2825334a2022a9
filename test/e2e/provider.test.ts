/**
 * The test provider and the scripted user agent, checked with openid-client (the library the CLI uses) against a
 * tiny loopback listener standing in for the CLI. Other end-to-end tests rely on what is asserted here.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../support/provider.js';
import { main, runUserAgent, type UserAgentOptions, type UserAgentResult } from '../support/user-agent.js';

const insecure = { execute: [oidc.allowInsecureRequests] };

/** Stands in for the CLI's loopback listener: answers the expected state with a page, anything else with 400. */
async function startListener(expectedState: string): Promise<{
  redirectUri: string;
  received: URL[];
  accepted: () => URL | undefined;
  close: () => Promise<void>;
}> {
  const received: URL[] = [];
  let accepted: URL | undefined;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    received.push(url);
    if (url.pathname !== '/callback' || url.searchParams.get('state') !== expectedState) {
      res.writeHead(400, { 'content-type': 'text/html' }).end('<title>Not this login</title><p>wrong state</p>');
      return;
    }
    accepted = url;
    res.writeHead(200, { 'content-type': 'text/html' }).end('<title>Signed in</title><p>You may close this window.</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    received,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface Login {
  readonly agent: UserAgentResult;
  readonly callback: URL | undefined;
  readonly received: URL[];
  /** The token response, when the callback carried a code. */
  readonly tokens?: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
}

/** One login as the CLI would do it: PKCE, state, nonce, a loopback redirect on an ephemeral port. */
async function login(
  config: oidc.Configuration,
  scope: string,
  agentOptions: UserAgentOptions = {},
  extra: Record<string, string> = { prompt: 'consent' },
): Promise<Login> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const listener = await startListener(state);
  try {
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: listener.redirectUri,
      scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...(scope.split(' ').includes('openid') ? { nonce } : {}),
      ...extra,
    });
    const agent = await runUserAgent(url.href, agentOptions);
    const callback = listener.accepted();
    if (!callback || !callback.searchParams.has('code')) return { agent, callback, received: listener.received };
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      ...(scope.split(' ').includes('openid') ? { expectedNonce: nonce } : {}),
    });
    return { agent, callback, received: listener.received, tokens };
  } finally {
    await listener.close();
  }
}

const scopesOf = (value: unknown): string[] => (typeof value === 'string' ? value.split(' ').filter(Boolean).sort() : []);

describe('test provider, driven by the scripted user agent', () => {
  let provider: TestProvider;
  let config: oidc.Configuration;
  const apiAsked = ['videos:read', 'export:write', 'jobs:read'];

  beforeAll(async () => {
    provider = await startTestProvider({ title: 'provider.test' });
    config = await oidc.discovery(new URL(provider.issuer), provider.publicClientId, undefined, oidc.None(), insecure);
  });
  afterAll(async () => {
    await provider?.close();
  });

  it('advertises RFC 9207 iss, S256 only, and the API scopes in its metadata', () => {
    const metadata = config.serverMetadata();
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'offline_access', ...provider.apiScopes]));
    expect(metadata.revocation_endpoint).toBeDefined();
    expect(metadata.introspection_endpoint).toBeDefined();
  });

  it('grants every ticked scope: a signed RFC 9068 JWT with the API scopes, an ID token and a refresh token', async () => {
    const { agent, tokens } = await login(config, `openid offline_access profile email ${apiAsked.join(' ')}`);

    expect(agent.outcome).toBe('callback');
    expect(agent.callbackStatus).toBe(200);
    expect(agent.callbackBody).toContain('Signed in');
    expect(tokens).toBeDefined();
    expect(scopesOf(tokens!.scope)).toEqual([...apiAsked].sort());
    expect(tokens!.refresh_token).toEqual(expect.any(String));
    expect(tokens!.claims()).toMatchObject({ sub: 'alice', iss: provider.issuer });

    const { payload, protectedHeader } = await jwtVerify(tokens!.access_token, createLocalJWKSet(provider.jwks), {
      issuer: provider.issuer,
      audience: provider.resource,
      typ: 'at+jwt',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(scopesOf(payload.scope)).toEqual([...apiAsked].sort());
    expect(payload).toMatchObject({ sub: 'alice', client_id: provider.publicClientId });
    expect(provider.events.map((event) => event.name)).toContain('interaction.consented');
  });

  it('leaves an unticked API scope out of the token response and the JWT', async () => {
    const { tokens, agent } = await login(config, `openid offline_access ${apiAsked.join(' ')}`, { untick: ['export:write'] });

    expect(agent.steps.find((step) => step.step === 'submit')?.note).not.toContain('export:write');
    expect(scopesOf(tokens!.scope)).toEqual(['jobs:read', 'videos:read']);
    expect(scopesOf(decodeJwt(tokens!.access_token).scope)).toEqual(['jobs:read', 'videos:read']);
  });

  it('issues no refresh token when offline_access is unticked', async () => {
    const { tokens } = await login(config, 'openid offline_access videos:read', { untick: ['offline_access'] });
    expect(tokens!.refresh_token).toBeUndefined();
    expect(scopesOf(tokens!.scope)).toEqual(['videos:read']);
  });

  it('drops offline_access without prompt=consent, as OpenID Connect Core §11 says', async () => {
    const { tokens } = await login(config, 'openid offline_access videos:read', {}, {});
    expect(tokens!.refresh_token).toBeUndefined();
  });

  it('gives an openid-only login an opaque token for the userinfo endpoint', async () => {
    const { tokens } = await login(config, 'openid profile email');
    expect(tokens!.access_token.split('.')).toHaveLength(1);
    expect(scopesOf(tokens!.scope)).toEqual(['email', 'openid', 'profile']);
    const userinfo = await oidc.fetchUserInfo(config, tokens!.access_token, 'alice');
    expect(userinfo).toEqual({ sub: 'alice', name: 'Alice Example', preferred_username: 'alice', email: 'alice@example.test', email_verified: true });
  });

  it('returns error=access_denied, with iss, when the user presses Deny', async () => {
    const { agent, callback, tokens } = await login(config, 'openid videos:read', { decision: 'deny' });

    expect(agent.outcome).toBe('callback');
    expect(tokens).toBeUndefined();
    expect(callback?.searchParams.get('error')).toBe('access_denied');
    expect(callback?.searchParams.get('error_description')).toBe('The user declined.');
    expect(callback?.searchParams.get('iss')).toBe(provider.issuer);
  });

  it('puts iss on a successful callback (RFC 9207)', async () => {
    const { callback } = await login(config, 'openid videos:read');
    expect(callback?.searchParams.get('iss')).toBe(provider.issuer);
    expect(callback?.searchParams.get('code')).toEqual(expect.any(String));
  });

  it('accepts the loopback redirect URI on any port, and no other redirect URI', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:1/elsewhere',
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const agent = await runUserAgent(url.href);
    expect(agent.outcome).toBe('page');
    expect(agent.page?.status).toBe(400);
    expect(agent.page?.body).toContain('redirect_uri');
  });

  it('rotates refresh tokens, and a replayed one revokes the whole grant', async () => {
    const { tokens } = await login(config, 'openid offline_access videos:read');
    const first = tokens!.refresh_token!;

    const rotated = await oidc.refreshTokenGrant(config, first);
    const second = rotated.refresh_token!;
    expect(second).toEqual(expect.any(String));
    expect(second).not.toBe(first);
    expect(scopesOf(decodeJwt(rotated.access_token).scope)).toEqual(['videos:read']);

    const before = provider.events.length;
    await expect(oidc.refreshTokenGrant(config, first)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(provider.events.slice(before)).toEqual(
      expect.arrayContaining([
        { name: 'grant.error', detail: expect.objectContaining({ error_detail: 'refresh token already used' }) },
        { name: 'grant.revoked', detail: expect.objectContaining({ clientId: provider.publicClientId }) },
      ]),
    );
    // Reuse detection: the replay killed the session, so the newest token is dead too.
    const afterReplay = provider.events.length;
    await expect(oidc.refreshTokenGrant(config, second)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(provider.events.slice(afterReplay)).toContainEqual({
      name: 'grant.error',
      detail: expect.objectContaining({ error_detail: 'refresh token not found' }),
    });
  });

  it('makes a revoked refresh token unusable', async () => {
    const { tokens } = await login(config, 'openid offline_access videos:read');
    await oidc.tokenRevocation(config, tokens!.refresh_token!);
    await expect(oidc.refreshTokenGrant(config, tokens!.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses to introspect a JWT access token (structured tokens are self-contained)', async () => {
    const { tokens } = await login(config, 'openid videos:read');
    await expect(oidc.tokenIntrospection(config, tokens!.access_token)).rejects.toMatchObject({ error: 'unsupported_token_type' });
  });

  it('gives ci-client a JWT for the API with the scopes it asks for (client credentials)', async () => {
    const ci = await oidc.discovery(
      new URL(provider.issuer),
      provider.ciClient.clientId,
      undefined,
      oidc.ClientSecretBasic(provider.ciClient.clientSecret),
      insecure,
    );
    const tokens = await oidc.clientCredentialsGrant(ci, { scope: 'videos:read jobs:read', resource: provider.resource });
    expect(scopesOf(tokens.scope)).toEqual(['jobs:read', 'videos:read']);
    const { payload } = await jwtVerify(tokens.access_token, createLocalJWKSet(provider.jwks), {
      issuer: provider.issuer,
      audience: provider.resource,
    });
    expect(payload).toMatchObject({ client_id: provider.ciClient.clientId, sub: provider.ciClient.clientId });
    expect(scopesOf(payload.scope)).toEqual(['jobs:read', 'videos:read']);

    await expect(oidc.clientCredentialsGrant(ci, { scope: 'videos:read', resource: 'http://127.0.0.1:1/other' })).rejects.toMatchObject({
      error: 'invalid_target',
    });
  });

  it('completes the device flow through the same pages', async () => {
    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid offline_access videos:read', prompt: 'consent' });
    const agent = await runUserAgent(device.verification_uri_complete!);
    expect(agent.outcome).toBe('page');
    expect(agent.page?.title).toContain('Device signed in');

    const tokens = await oidc.genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:device_code', {
      device_code: device.device_code,
    });
    expect(scopesOf(decodeJwt(tokens.access_token).scope)).toEqual(['videos:read']);
  });

  it('had no server errors along the way', () => {
    expect(provider.events.filter((event) => event.name === 'server_error' || event.name === 'interaction.failed')).toEqual([]);
  });
});

describe('test provider with opaque access tokens', () => {
  let provider: TestProvider;
  let config: oidc.Configuration;

  beforeAll(async () => {
    provider = await startTestProvider({ accessTokenFormat: 'opaque', accessTokenTtl: 120 });
    config = await oidc.discovery(new URL(provider.issuer), provider.publicClientId, undefined, oidc.None(), insecure);
  });
  afterAll(async () => {
    await provider?.close();
  });

  it('says through introspection that the access token is active, and with which scopes', async () => {
    const { tokens } = await login(config, 'openid offline_access videos:read jobs:read', { untick: ['jobs:read'] });
    expect(tokens!.access_token.split('.')).toHaveLength(1);

    const own = await oidc.tokenIntrospection(config, tokens!.access_token);
    expect(own).toMatchObject({ active: true, client_id: provider.publicClientId, sub: 'alice', aud: provider.resource });
    expect(scopesOf(own.scope)).toEqual(['videos:read']);
    expect(own.exp! - own.iat!).toBe(120);

    const ci = await oidc.discovery(
      new URL(provider.issuer),
      provider.ciClient.clientId,
      undefined,
      oidc.ClientSecretPost(provider.ciClient.clientSecret),
      insecure,
    );
    expect(await oidc.tokenIntrospection(ci, tokens!.access_token)).toMatchObject({ active: true });

    await oidc.tokenRevocation(config, tokens!.access_token);
    expect(await oidc.tokenIntrospection(config, tokens!.access_token)).toEqual({ active: false });
  });
});

describe('scripted user agent', () => {
  let provider: TestProvider;
  let config: oidc.Configuration;
  let directory: string;

  beforeAll(async () => {
    provider = await startTestProvider();
    config = await oidc.discovery(new URL(provider.issuer), provider.publicClientId, undefined, oidc.None(), insecure);
    directory = mkdtempSync(join(tmpdir(), 'scopes-ua-'));
  });
  afterAll(async () => {
    await provider?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('sends a forged callback first when asked, and still completes the real login', async () => {
    const { agent, received, tokens } = await login(config, 'openid videos:read', { forge: true });

    expect(agent.forged?.status).toBe(400);
    expect(received[0]?.searchParams.get('state')).toBe('forged-state-0000');
    expect(agent.steps.map((step) => step.step)).toEqual(['authorize', 'forge', 'follow', 'submit', 'follow', 'callback']);
    expect(tokens).toBeDefined();
  });

  it('can stop at the redirect without delivering it, for a URL to paste (--manual)', async () => {
    const { agent, received, tokens } = await login(config, 'openid videos:read', { deliverCallback: false });
    expect(received).toHaveLength(0);
    expect(tokens).toBeUndefined();
    expect(agent.outcome).toBe('callback');
    expect(agent.callbackStatus).toBeUndefined();
    const pasted = new URL(agent.callbackUrl!);
    expect(pasted.pathname).toBe('/callback');
    expect(pasted.searchParams.get('code')).toEqual(expect.any(String));
    expect(pasted.searchParams.get('iss')).toBe(provider.issuer);
  });

  it('opens the URL and does nothing more when told to ignore it', async () => {
    const { agent, received } = await login(config, 'openid videos:read', { decision: 'ignore' });
    expect(agent.outcome).toBe('ignored');
    expect(received).toHaveLength(0);
  });

  it('stops on the login page for an account the provider does not know', async () => {
    const { agent, received } = await login(config, 'openid', { account: 'mallory' });
    expect(agent.outcome).toBe('page');
    expect(agent.page?.status).toBe(401);
    expect(agent.page?.body).toContain('No such account');
    expect(received).toHaveLength(0);
  });

  it.each([
    { description: 'another host', url: 'http://example.test/authorize' },
    { description: 'localhost by name', url: 'http://localhost:9/authorize' },
  ])('refuses to send anything to $description', async ({ url }) => {
    const agent = await runUserAgent(url);
    expect(agent.outcome).toBe('error');
    expect(agent.steps).toEqual([expect.objectContaining({ step: 'refused' })]);
  });

  it('runs from the environment as $BROWSER would, logging redacted steps and what the browser was shown', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const listener = await startListener(state);
    const logFile = join(directory, 'ua.log');
    try {
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: listener.redirectUri,
        scope: 'openid videos:read export:write',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      });
      const status = await main(['--some-flag', url.href], {
        SCOPES_UA_ACCOUNT: 'bob',
        SCOPES_UA_UNTICK: 'export:write',
        SCOPES_UA_LOG: logFile,
        SCOPES_UA_DELAY_MS: '10',
      });
      expect(status).toBe(0);
    } finally {
      await listener.close();
    }

    const text = readFileSync(logFile, 'utf8');
    expect(text).not.toContain(state);
    const lines = text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.at(-1)).toMatchObject({ step: 'done', outcome: 'callback', callbackStatus: 200 });
    expect(String(lines.at(-1)!.callbackBody)).toContain('Signed in');
    expect(lines.find((line) => line.step === 'submit')?.note).toBe('login=bob; decision=allow; scope=openid videos:read');
    expect(lines.find((line) => line.step === 'callback')?.url).toContain('code=REDACTED');
  });

  it('exits 1 and logs when its environment makes no sense', async () => {
    const logFile = join(directory, 'bad.log');
    const stderr: string[] = [];
    const status = await main(['http://127.0.0.1:1/'], { SCOPES_UA_DECISION: 'maybe', SCOPES_UA_LOG: logFile }, { write: (text: string) => stderr.push(text) });
    expect(status).toBe(1);
    expect(stderr.join('')).toContain('SCOPES_UA_DECISION');
    expect(readFileSync(logFile, 'utf8')).toContain('"outcome":"error"');
  });
});
