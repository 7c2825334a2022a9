/**
 * `scopes inspect --verify`, `--introspect` and `--userinfo` against the real test provider (oidc-provider): real RS256
 * access tokens from the client-credentials grant and real id tokens from a login, verified with the keys the issuer
 * publishes. Every run also checks that the raw token never reaches stdout or stderr.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracingFetch } from '../../src/io/http.js';
import { stateDir } from '../../src/io/paths.js';
import { FileSecretStore } from '../../src/io/store/file.js';
import { main } from '../../src/main.js';
import { testDeps } from '../support/deps.js';
import { startTestProvider, type TestProvider } from '../support/provider.js';
import { runUserAgent } from '../support/user-agent.js';

let home: string;
let provider: TestProvider;
let other: TestProvider;
let opaque: TestProvider;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'scopes-inspect-verify-'));
  [provider, other, opaque] = await Promise.all([startTestProvider(), startTestProvider(), startTestProvider({ accessTokenFormat: 'opaque' })]);
});
afterAll(async () => {
  await Promise.all([provider?.close(), other?.close(), opaque?.close()]);
  await rm(home, { recursive: true, force: true });
});

const baseEnv = (): Record<string, string> => ({ HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), SCOPES_STORAGE: 'file' });

interface RunOptions {
  env?: Record<string, string>;
  stdin?: string;
  now?: Date;
  fetch?: typeof fetch;
}

/** Runs `scopes inspect …` in process; none of `secrets` may appear on stdout or stderr. */
async function inspect(argv: string[], secrets: string[], options: RunOptions = {}) {
  const deps = testDeps({ env: { ...baseEnv(), ...options.env }, cwd: home, stdin: options.stdin, now: options.now, fetch: options.fetch });
  const code = await main(['inspect', ...argv], deps);
  const result = { code, stdout: deps.stdout(), stderr: deps.stderr() };
  for (const secret of secrets) {
    expect(result.stdout).not.toContain(secret);
    expect(result.stderr).not.toContain(secret);
  }
  expect(result.stderr).not.toMatch(/\n\s+at /);
  return result;
}

function oneDocument(stdout: string): Record<string, unknown> {
  expect(stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(stdout) as Record<string, unknown>;
}

let configs = 0;
async function configFile(profile: Record<string, unknown>): Promise<string> {
  const path = join(home, `profile-${++configs}.config.json`);
  await writeFile(path, JSON.stringify({ profiles: { default: profile } }));
  return path;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const parts = (token: string) => {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  return { header, signature, claims: JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown> };
};

async function discover(of: TestProvider, clientId: string, auth: client.ClientAuth): Promise<client.Configuration> {
  return client.discovery(new URL(of.issuer), clientId, undefined, auth, { execute: [client.allowInsecureRequests] });
}

/** A real access token for the provider's API, from the client-credentials grant of its ci-client. */
async function mint(of: TestProvider, scope = 'videos:read'): Promise<string> {
  const config = await discover(of, of.ciClient.clientId, client.ClientSecretPost(of.ciClient.clientSecret));
  return (await client.clientCredentialsGrant(config, { scope, resource: of.resource })).access_token;
}

/** A real login of the public client (alice consents to everything): the token response. */
async function login(of: TestProvider, scope: string, resource?: string): Promise<client.TokenEndpointResponse> {
  const config = await discover(of, of.publicClientId, client.None());
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: 'http://127.0.0.1:1/callback',
    scope,
    ...(resource ? { resource } : {}),
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const agent = await runUserAgent(url.href, { deliverCallback: false });
  expect(agent.callbackUrl, agent.error).toBeDefined();
  return client.authorizationCodeGrant(config, new URL(agent.callbackUrl!), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce }, resource ? { resource } : undefined);
}

describe('--verify with the keys the issuer publishes', () => {
  it('verifies a real access token, saying whose keys verified it', async () => {
    const token = await mint(provider);
    const json = await inspect([token, '--verify', '--json'], [token]);
    expect(json.code, json.stderr).toBe(0);
    expect(oneDocument(json.stdout)).toMatchObject({ format: 'jwt', verified: true, verifiedBy: provider.issuer, scopes: ['videos:read'], scopeClaim: 'scope', expired: false });
    const human = await inspect(['-', '--verify'], [token], { stdin: `${token}\n` });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`verified\\s+yes, with the keys of ${provider.issuer.replace(/[.]/g, '\\.')}\\n`));
  });

  it('exits 3 for a tampered token: a claim changed, the signature kept', async () => {
    const { header, claims, signature } = parts(await mint(provider));
    const tampered = `${header}.${b64({ ...claims, scope: 'videos:read videos:write' })}.${signature}`;
    const result = await inspect([tampered, '--verify'], [tampered]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`did not verify with the keys of ${provider.issuer}`);
    expect(result.stderr).toContain('signature verification failed');
    // The report is printed anyway: what the token claims, and that it is not to be believed.
    expect(result.stdout).toContain('videos:read videos:write');
    expect(result.stdout).toMatch(/verified\s+no/);
  });

  it('exits 3 with --json too, as one document that says why', async () => {
    const { header, claims, signature } = parts(await mint(provider));
    const tampered = `${header}.${b64({ ...claims, sub: 'mallory' })}.${signature}`;
    const result = await inspect([tampered, '--verify', '--json'], [tampered]);
    expect(result.code).toBe(3);
    expect(oneDocument(result.stdout)).toMatchObject({ verified: false, verifiedBy: provider.issuer, verifyError: expect.stringContaining('ERR_JWS_SIGNATURE_VERIFICATION_FAILED') });
    expect(result.stderr).toContain('did not verify');
  });

  it('exits 3 for a token signed by another issuer\'s key under this issuer\'s name', async () => {
    const ours = parts(await mint(provider));
    const theirs = parts(await mint(other));
    // The other provider's signature over its own header: a kid the named issuer does not publish.
    const forged = `${theirs.header}.${b64(ours.claims)}.${theirs.signature}`;
    const result = await inspect([forged, '--verify'], [forged]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`did not verify with the keys of ${provider.issuer}`);
  });

  it('exits 3 for an unsigned token (alg none) carrying real claims', async () => {
    const { claims } = parts(await mint(provider));
    const unsigned = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`;
    const result = await inspect([unsigned, '--verify'], [unsigned]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('did not verify');
  });

  it('exits 3 for an expired token with --verify, and 0 without: expiry is reported, not an error', async () => {
    const shortLived = await startTestProvider({ accessTokenTtl: 1 });
    try {
      const token = await mint(shortLived);
      await new Promise((resolve) => setTimeout(resolve, 2200));
      const verified = await inspect([token, '--verify'], [token]);
      expect(verified.code).toBe(3);
      expect(verified.stderr).toContain('"exp" claim timestamp check failed');
      const read = await inspect([token, '--json'], [token]);
      expect(read.code).toBe(0);
      expect(oneDocument(read.stdout)).toMatchObject({ expired: true, verified: null, expires: expect.stringMatching(/^expired (just now|\d+ s ago)$/) });
    } finally {
      await shortLived.close();
    }
  });

  it('judges exp by the clock: a valid token read an hour later fails --verify', async () => {
    const token = await mint(provider);
    const later = new Date(Date.now() + 3600 * 1000);
    expect((await inspect([token, '--verify'], [token], { now: later })).code).toBe(3);
    expect((await inspect([token], [token], { now: later })).code).toBe(0);
  });

  it('exits 3 when --issuer pins another issuer than the one that signed it', async () => {
    const token = await mint(provider);
    const result = await inspect([token, '--verify', '--issuer', other.issuer], [token]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`did not verify with the keys of ${other.issuer}`);
    const same = await inspect([token, '--verify', '--issuer', provider.issuer, '--json'], [token]);
    expect(same.code, same.stderr).toBe(0);
    expect(oneDocument(same.stdout)).toMatchObject({ verified: true, verifiedBy: provider.issuer });
  });

  it("exits 3 when the profile pins another issuer, and verifies with the profile's own", async () => {
    const token = await mint(provider);
    const pinnedElsewhere = await configFile({ issuer: other.issuer, clientId: 'someone' });
    const refused = await inspect([token, '--verify', '--config', pinnedElsewhere], [token]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`with the keys of ${other.issuer}`);
    const own = await configFile({ issuer: provider.issuer, clientId: 'someone' });
    expect((await inspect([token, '--verify', '--config', own], [token])).code).toBe(0);
  });

  it("checks an access token's aud against the profile's resource or audience", async () => {
    const token = await mint(provider);
    for (const profile of [{ resource: [provider.resource] }, { audience: provider.resource }]) {
      const right = await configFile({ issuer: provider.issuer, clientId: 'someone', ...profile });
      expect((await inspect([token, '--verify', '--config', right], [token])).code).toBe(0);
    }
    const wrong = await configFile({ issuer: provider.issuer, clientId: 'someone', resource: ['https://other.example/api'] });
    const refused = await inspect([token, '--verify', '--config', wrong, '--json'], [token]);
    expect(refused.code).toBe(3);
    expect(oneDocument(refused.stdout)).toMatchObject({ verified: false, verifyError: expect.stringContaining('"aud"') });
  });

  it("uses the profile's jwksUri for its own issuer", async () => {
    const token = await mint(provider);
    const config = await configFile({ issuer: provider.issuer, clientId: 'someone', jwksUri: `${provider.issuer}/jwks` });
    const result = await inspect([token, '--verify', '--config', config, '--json'], [token]);
    expect(result.code, result.stderr).toBe(0);
    expect(oneDocument(result.stdout)).toMatchObject({ verified: true, verifiedBy: provider.issuer });
  });

  // Exit 4, not 3: keys that cannot be had say nothing about the token.
  it.each([
    { description: 'an issuer that cannot be reached', profile: null, args: ['--issuer', 'http://127.0.0.1:9'] },
    { description: 'a jwksUri that cannot be reached', profile: { jwksUri: 'http://127.0.0.1:9/jwks' }, args: [] },
    { description: 'a jwksUri that answers 404', profile: { jwksUri: 'PROVIDER/no-such-jwks' }, args: [] },
  ])('exits 4 for $description', async ({ profile, args }) => {
    const token = await mint(provider);
    const config = profile
      ? ['--config', await configFile({ issuer: provider.issuer, clientId: 'someone', jwksUri: profile.jwksUri.replace('PROVIDER', provider.issuer) })]
      : [];
    const result = await inspect([token, '--verify', ...config, ...args], [token]);
    expect(result.code, result.stderr).toBe(4);
  });
});

describe("the profile's stored tokens", () => {
  it('verifies the access token against the resource and the id token against the client id, never refreshing', async () => {
    const tokens = await login(provider, 'openid email videos:read', provider.resource);
    expect(tokens.id_token).toBeDefined();
    const env = { XDG_STATE_HOME: join(home, 'stored-state') };
    const config = await configFile({ issuer: provider.issuer, clientId: provider.publicClientId, resource: [provider.resource] });
    await new FileSecretStore(stateDir({ ...baseEnv(), ...env })).write(
      { profile: 'default', issuer: provider.issuer, clientId: provider.publicClientId },
      { accessToken: tokens.access_token, idToken: tokens.id_token, refreshToken: 'rt-not-to-be-used' },
    );
    const secrets = [tokens.access_token, tokens.id_token!, 'rt-not-to-be-used'];
    const before = provider.events.length;

    const json = await inspect(['--verify', '--config', config, '--json'], secrets, { env });
    expect(json.code, json.stderr).toBe(0);
    const document = oneDocument(json.stdout);
    expect(document).toMatchObject({ format: 'jwt', verified: true, verifiedBy: provider.issuer, scopes: ['videos:read'], claims: { aud: provider.resource } });
    expect(document.idToken).toMatchObject({ format: 'jwt', verified: true, verifiedBy: provider.issuer, claims: { sub: 'alice', aud: provider.publicClientId }, scopeClaim: null });

    const human = await inspect(['--verify', '--config', config], secrets, { env });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^access token\n/);
    expect(human.stdout).toMatch(/\n\nid token\n/);
    expect(human.stdout.match(/verified\s+yes, with the keys of/g)).toHaveLength(2);
    // Nothing was asked of the token endpoint: no refresh, no new token.
    expect(provider.events.slice(before).map((event) => event.name)).not.toContain('access_token.issued');
    expect(provider.events.slice(before).map((event) => event.name)).not.toContain('refresh_token.consumed');

    // The same id token under a client id it was not issued to fails its aud check.
    const otherClient = await configFile({ issuer: provider.issuer, clientId: 'another-client', resource: [provider.resource] });
    await new FileSecretStore(stateDir({ ...baseEnv(), ...env })).write(
      { profile: 'default', issuer: provider.issuer, clientId: 'another-client' },
      { accessToken: tokens.access_token, idToken: tokens.id_token },
    );
    const refused = await inspect(['--verify', '--config', otherClient], secrets, { env });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('The id token did not verify');
    expect(refused.stderr).toContain('"aud"');
  });
});

describe('--introspect and --userinfo', () => {
  const secretEnv = () => ({ INSPECT_CI_SECRET: provider.ciClient.clientSecret });

  // oidc-provider introspects only the tokens it keeps (it refuses structured JWTs), so the scopes come from the
  // provider that issues opaque tokens; the JWT case is the refusal, below.
  it('introspects an access token with the ci-client profile: active, its scopes and the rest', async () => {
    const token = await mint(opaque, 'videos:read jobs:read');
    const config = await configFile({ issuer: opaque.issuer, clientId: opaque.ciClient.clientId, clientSecretEnv: 'INSPECT_CI_SECRET' });
    const env = { INSPECT_CI_SECRET: opaque.ciClient.clientSecret };
    const secrets = [token, opaque.ciClient.clientSecret];

    const json = await inspect([token, '--introspect', '--config', config, '--json'], secrets, { env });
    expect(json.code, json.stderr).toBe(0);
    expect(oneDocument(json.stdout)).toMatchObject({
      format: 'opaque',
      scopes: [],
      verified: null,
      introspection: { active: true, scope: 'videos:read jobs:read', client_id: opaque.ciClient.clientId, iss: opaque.issuer },
    });

    const human = await inspect([token, '--introspect', '--config', config], secrets, { env });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/introspect\s+active/);
    expect(human.stdout).toMatch(/scope\s+videos:read jobs:read/);
    expect(human.stdout).not.toContain('ask the server with --introspect');

    // The HTTP trace (--verbose) of the introspection request holds neither the token nor the secret.
    const trace: string[] = [];
    const traced = await inspect([token, '--introspect', '--config', config], secrets, { env, fetch: tracingFetch(globalThis.fetch, (line) => trace.push(line)) });
    expect(traced.code).toBe(0);
    const introspectionRequest = trace.find((line) => line.startsWith('> POST') && line.includes('introspect'));
    expect(introspectionRequest).toContain('token=[redacted]');
    for (const secret of secrets) expect(trace.join('\n')).not.toContain(secret);
  });

  it('a JWT the server will not introspect: the refusal is translated, exit 3, the secret nowhere', async () => {
    const token = await mint(provider);
    const config = await configFile({ issuer: provider.issuer, clientId: provider.ciClient.clientId, clientSecretEnv: 'INSPECT_CI_SECRET' });
    const result = await inspect([token, '--introspect', '--config', config], [token, provider.ciClient.clientSecret], { env: secretEnv() });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('refused the introspection: unsupported_token_type');
  });

  it('shows a token the server does not know as not active, exit 0', async () => {
    const unknown = 'bm90LWEtdG9rZW4tdGhpcy1zZXJ2ZXItaXNzdWVk';
    const config = await configFile({ issuer: provider.issuer, clientId: provider.ciClient.clientId, clientSecretEnv: 'INSPECT_CI_SECRET' });
    const result = await inspect([unknown, '--introspect', '--config', config], [unknown], { env: secretEnv() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/introspect\s+not active/);
  });

  it('exits 3 when the server refuses the client: a wrong secret', async () => {
    const token = await mint(provider);
    const config = await configFile({ issuer: provider.issuer, clientId: provider.ciClient.clientId, clientSecretEnv: 'INSPECT_CI_SECRET' });
    const result = await inspect([token, '--introspect', '--config', config], [token, 'wrong-secret'], { env: { INSPECT_CI_SECRET: 'wrong-secret' } });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('invalid_client');
  });

  it("--userinfo shows the claims of a login's userinfo access token", async () => {
    const tokens = await login(provider, 'openid email');
    const config = await configFile({ issuer: provider.issuer, clientId: provider.publicClientId });
    const result = await inspect([tokens.access_token, '--userinfo', '--config', config, '--json'], [tokens.access_token, tokens.id_token!]);
    expect(result.code, result.stderr).toBe(0);
    expect(oneDocument(result.stdout)).toMatchObject({ userinfo: { sub: 'alice', email: 'alice@example.test' } });
    const human = await inspect([tokens.access_token, '--userinfo', '--config', config], [tokens.access_token]);
    expect(human.stdout).toMatch(/userinfo\s+\{"sub":"alice"/);
  });

  it('--userinfo with a token for the API, not for userinfo: the refusal is translated, exit 3', async () => {
    const token = await mint(provider);
    const config = await configFile({ issuer: provider.issuer, clientId: provider.ciClient.clientId, clientSecretEnv: 'INSPECT_CI_SECRET' });
    const result = await inspect([token, '--userinfo', '--config', config], [token], { env: secretEnv() });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('userinfo');
  });
});
