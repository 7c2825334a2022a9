/**
 * CI without a browser, for real, against the test provider: `--token`, SCOPES_TOKEN, a client-credentials profile,
 * an opaque token read through introspection, and SCOPES_REFRESH_TOKEN, whose rotated successor must be printed and
 * stored nowhere. The binary runs need `npm run build` (npm test does it). `check --live` is in check-live.test.ts.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { createSandbox, type Sandbox } from '../support/cli.js';
import { testDeps } from '../support/deps.js';
import { startTestProvider, type TestProvider } from '../support/provider.js';
import { runUserAgent } from '../support/user-agent.js';

let provider: TestProvider;
let opaqueProvider: TestProvider;

beforeAll(async () => {
  provider = await startTestProvider();
  opaqueProvider = await startTestProvider({ accessTokenFormat: 'opaque' });
});
afterAll(async () => {
  await provider?.close();
  await opaqueProvider?.close();
});

const manifest = {
  endpoints: [
    { method: 'GET', path: '/v1/videos', scopes: ['videos:read'] },
    { method: 'GET', path: '/v1/jobs/{id}', scopes: ['jobs:read'], probe: '/v1/jobs/7' },
    { method: 'POST', path: '/v1/videos/{id}/export', scopes: ['export:write'] },
  ],
};

async function withConfig(profiles: Record<string, unknown>): Promise<Sandbox> {
  const box = await createSandbox();
  await mkdir(join(box.home, 'config', 'scopes'), { recursive: true });
  await writeFile(join(box.home, 'config', 'scopes', 'config.json'), JSON.stringify({ profiles }));
  await writeFile(join(box.home, 'scopes.manifest.json'), JSON.stringify(manifest));
  return box;
}

/** Every file under a folder, as text, to prove a secret was written nowhere. */
async function allText(dir: string): Promise<string> {
  let text = '';
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return text;
}

const satisfied = (stdout: string): boolean[] => JSON.parse(stdout).endpoints.map((e: { satisfied: boolean }) => e.satisfied);
const claimsOf = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());

async function ciToken(of: TestProvider, scope: string): Promise<string> {
  const config = await client.discovery(new URL(of.issuer), of.ciClient.clientId, undefined, client.ClientSecretPost(of.ciClient.clientSecret), {
    execute: [client.allowInsecureRequests],
  });
  return (await client.clientCredentialsGrant(config, { scope, resource: of.resource })).access_token;
}

describe('a token given as is', () => {
  it('--token: a real JWT access token, its scopes read from its claims, no storage touched', async () => {
    const box = await withConfig({});
    try {
      const token = await ciToken(provider, 'videos:read jobs:read');
      const result = await box.run(['check', '--token', token, '--json']);
      expect(result.code, result.stderr).toBe(1);
      expect(satisfied(result.stdout)).toEqual([true, true, false]);
      expect(JSON.parse(result.stdout)).toMatchObject({ source: 'jwt', granted: ['videos:read', 'jobs:read'] });
      expect(`${result.stdout}${result.stderr}`).not.toContain(token);
      expect(await readdir(box.home)).not.toContain('state');
    } finally {
      await box.cleanup();
    }
  });

  it('SCOPES_TOKEN: the same, from the environment, and it wins over a clientCredentials profile', async () => {
    const box = await withConfig({ default: { issuer: provider.issuer, clientId: provider.ciClient.clientId, clientSecretEnv: 'CI_SECRET', clientCredentials: true, scopes: ['videos:read'] } });
    try {
      const token = await ciToken(provider, 'videos:read jobs:read export:write');
      // No CI_SECRET: the grant is never attempted, or this would exit 2.
      const result = await box.run(['check', '--json'], { env: { SCOPES_TOKEN: token } });
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, source: 'jwt', unused: [] });
      const printed = await box.run(['token'], { env: { SCOPES_TOKEN: token } });
      expect(printed).toMatchObject({ code: 0, stdout: `${token}\n` });
    } finally {
      await box.cleanup();
    }
  });

  it("an opaque token: its scopes from the provider's introspection endpoint (RFC 7662), with the profile's client", async () => {
    const box = await withConfig({ default: { issuer: opaqueProvider.issuer, clientId: opaqueProvider.ciClient.clientId, clientSecretEnv: 'CI_SECRET' } });
    try {
      const token = await ciToken(opaqueProvider, 'videos:read export:write');
      expect(token.split('.')).toHaveLength(1);
      const result = await box.run(['check', '--token', token, '--json'], { env: { CI_SECRET: opaqueProvider.ciClient.clientSecret } });
      expect(result.code, result.stderr).toBe(1);
      expect(satisfied(result.stdout)).toEqual([true, false, true]);
      expect(JSON.parse(result.stdout)).toMatchObject({ source: 'introspection', granted: ['videos:read', 'export:write'] });

      const noProfile = await box.run(['check', '--token', token, '--profile', 'none']);
      expect(noProfile.code).toBe(2);
      expect(noProfile.stderr).toContain('Cannot tell which scopes the token holds');
    } finally {
      await box.cleanup();
    }
  });
});

describe('a clientCredentials profile', () => {
  it('gets its token from the client-credentials grant with resource and scopes, and check uses it', async () => {
    const box = await withConfig({
      ci: {
        issuer: provider.issuer,
        clientId: provider.ciClient.clientId,
        clientSecretEnv: 'CI_SECRET',
        clientCredentials: true,
        scopes: ['videos:read', 'jobs:read'],
        resource: [provider.resource],
      },
    });
    try {
      const secretEnv = { CI_SECRET: provider.ciClient.clientSecret };
      const token = await box.run(['token', '--profile', 'ci', '--json'], { env: secretEnv });
      expect(token.code, token.stderr).toBe(0);
      const minted = JSON.parse(token.stdout);
      expect(minted.scope).toEqual(['videos:read', 'jobs:read']);
      // The resource was sent: the token is minted for the API, holding exactly the scopes asked.
      expect(claimsOf(minted.accessToken)).toMatchObject({ aud: provider.resource, scope: 'videos:read jobs:read', client_id: provider.ciClient.clientId });

      const check = await box.run(['check', '--profile', 'ci', '--json'], { env: secretEnv });
      expect(check.code, check.stderr).toBe(1);
      expect(satisfied(check.stdout)).toEqual([true, true, false]);
      expect(JSON.parse(check.stdout)).toMatchObject({ source: 'jwt', granted: ['videos:read', 'jobs:read'] });
      const github = await box.run(['check', '--profile', 'ci', '--format', 'github'], { env: secretEnv });
      expect(github.stdout).toBe('::error file=scopes.manifest.json,title=Missing scope::POST /v1/videos/{id}/export needs export:write\nscopes check: 1 of 3 endpoints not satisfied\n');

      for (const output of [token.stderr, check.stdout, check.stderr, await allText(box.home)]) {
        expect(output).not.toContain(provider.ciClient.clientSecret);
      }
      expect(await readdir(box.home)).not.toContain('state');

      const missingSecret = await box.run(['check', '--profile', 'ci']);
      expect(missingSecret.code).toBe(2);
      expect(missingSecret.stderr).toContain('$CI_SECRET, which is not set');
      const wrongSecret = await box.run(['check', '--profile', 'ci'], { env: { CI_SECRET: 'not-the-secret' } });
      expect(wrongSecret.code).toBe(3);
      expect(wrongSecret.stderr).toContain('invalid_client');
    } finally {
      await box.cleanup();
    }
  });

  it('asks for the scopes of the profile only: the token holds no more than asked', async () => {
    const box = await withConfig({ ci: { issuer: provider.issuer, clientId: provider.ciClient.clientId, clientSecretEnv: 'CI_SECRET', clientCredentials: true, scopes: ['export:write'], resource: [provider.resource] } });
    try {
      const result = await box.run(['check', '--profile', 'ci', '--json', '--fail-on-unused'], { env: { CI_SECRET: provider.ciClient.clientSecret } });
      expect(result.code).toBe(1);
      expect(satisfied(result.stdout)).toEqual([false, false, true]);
      expect(JSON.parse(result.stdout)).toMatchObject({ granted: ['export:write'], unused: [] });
    } finally {
      await box.cleanup();
    }
  });
});

describe('SCOPES_REFRESH_TOKEN', () => {
  /** A user's refresh token, as `scopes login` on a developer's machine would get it. */
  async function refreshTokenFromLogin(scope = 'openid offline_access videos:read'): Promise<string> {
    const config = await client.discovery(new URL(provider.issuer), provider.publicClientId, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:1/callback',
      scope,
      resource: provider.resource,
      prompt: 'consent',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const agent = await runUserAgent(url.href, { deliverCallback: false });
    const tokens = await client.authorizationCodeGrant(config, new URL(agent.callbackUrl!), { pkceCodeVerifier: verifier, expectedState: state }, { resource: provider.resource });
    expect(tokens.refresh_token).toBeTruthy();
    return tokens.refresh_token!;
  }

  it('mints an access token for check (the binary), warns that the rotated refresh token changed, and prints or stores it nowhere', async () => {
    const refreshToken = await refreshTokenFromLogin();
    const box = await withConfig({ default: { issuer: provider.issuer, clientId: provider.publicClientId, resource: [provider.resource] } });
    try {
      const result = await box.run(['check', '--json'], { env: { SCOPES_REFRESH_TOKEN: refreshToken } });
      expect(result.code, result.stderr).toBe(1); // jobs:read and export:write are not granted
      expect(JSON.parse(result.stdout)).toMatchObject({ granted: ['videos:read'], source: 'jwt' });
      expect(result.stderr).toContain('rotated the refresh token');
      expect(result.stderr).toContain('It was not printed');
      const everything = `${result.stdout}${result.stderr}${await allText(box.home)}`;
      expect(everything).not.toContain(refreshToken);
      expect(everything).not.toMatch(/"refresh_token"|refreshToken/);
      expect(await readdir(box.home)).not.toContain('state');

      // The spent one is refused with advice, exit 3.
      const again = await box.run(['token'], { env: { SCOPES_REFRESH_TOKEN: refreshToken } });
      expect(again.code).toBe(3);
      expect(again.stderr).toContain('update the CI secret');
    } finally {
      await box.cleanup();
    }
  });

  it('keeps the new refresh token itself out of stdout, stderr and every file, and it is the one to use next', async () => {
    const refreshToken = await refreshTokenFromLogin();
    const home = await mkdtemp(join(tmpdir(), 'scopes-ci-refresh-'));
    try {
      await mkdir(join(home, 'config', 'scopes'), { recursive: true });
      await writeFile(join(home, 'config', 'scopes', 'config.json'), JSON.stringify({ profiles: { default: { issuer: provider.issuer, clientId: provider.publicClientId, resource: [provider.resource] } } }));
      await writeFile(join(home, 'scopes.manifest.json'), JSON.stringify(manifest));
      // Read the token endpoint's answers on the way in, to know the rotated refresh token the command must keep to itself.
      const issued: string[] = [];
      const recording: typeof fetch = async (input, init) => {
        const response = await globalThis.fetch(input, init);
        const url = input instanceof Request ? input.url : String(input);
        if (url.endsWith('/token') && response.ok) {
          const body = (await response.clone().json()) as { refresh_token?: string };
          if (body.refresh_token) issued.push(body.refresh_token);
        }
        return response;
      };
      const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), SCOPES_STORAGE: 'file', SCOPES_REFRESH_TOKEN: refreshToken };
      const deps = testDeps({ env, cwd: home, fetch: recording });
      const code = await main(['check'], deps);
      expect(code, deps.stderr()).toBe(1);
      expect(issued).toHaveLength(1);
      const rotated = issued[0]!;
      expect(rotated).not.toBe(refreshToken);
      expect(deps.stderr()).toContain('rotated the refresh token');
      const everything = `${deps.stdout()}${deps.stderr()}${await allText(home)}`;
      for (const secret of [rotated, refreshToken]) expect(everything).not.toContain(secret);

      // The warning tells the truth: the old secret is spent, the rotated one (had it been saved) works.
      const next = testDeps({ env: { ...env, SCOPES_REFRESH_TOKEN: rotated }, cwd: home });
      expect(await main(['check', '--json'], next), next.stderr()).toBe(1);
      expect(JSON.parse(next.stdout()).granted).toEqual(['videos:read']);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('needs a profile naming the issuer and client', async () => {
    const box = await withConfig({});
    try {
      const result = await box.run(['check'], { env: { SCOPES_REFRESH_TOKEN: 'some-refresh-token' } });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/client id|issuer/i);
      expect(`${result.stdout}${result.stderr}`).not.toContain('some-refresh-token');
    } finally {
      await box.cleanup();
    }
  });
});
