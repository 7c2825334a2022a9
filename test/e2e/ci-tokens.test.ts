/**
 * CI without a browser, for real: a client-credentials profile, SCOPES_REFRESH_TOKEN, SCOPES_TOKEN, and
 * `check --live` against the test resource server, with tokens from the real provider.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../support/cli.js';
import { startTestProvider, type TestProvider } from '../support/provider.js';
import { startResourceServer } from '../support/resource-server.js';
import { runUserAgent } from '../support/user-agent.js';

let provider: TestProvider;
let api: Awaited<ReturnType<typeof startResourceServer>>;

beforeAll(async () => {
  provider = await startTestProvider();
  api = await startResourceServer({ issuer: provider.issuer, resource: provider.resource });
});
afterAll(async () => {
  await api.close();
  await provider.close();
});

async function withConfig(profiles: Record<string, unknown>, manifest: unknown): Promise<Sandbox> {
  const box = await createSandbox();
  await mkdir(join(box.home, 'config', 'scopes'), { recursive: true });
  await writeFile(join(box.home, 'config', 'scopes', 'config.json'), JSON.stringify({ profiles }));
  await writeFile(join(box.home, 'scopes.manifest.json'), JSON.stringify(manifest));
  return box;
}

const manifest = () => ({
  api: api.url,
  endpoints: [
    { method: 'GET', path: '/v1/videos', scopes: ['videos:read'] },
    { method: 'GET', path: '/v1/jobs/{id}', scopes: ['jobs:read'], probe: '/v1/jobs/7' },
    { method: 'POST', path: '/v1/videos/{id}/export', scopes: ['export:write'] },
  ],
});

/** Every file under a folder, as text, to prove a secret was written nowhere. */
async function allText(dir: string): Promise<string> {
  let text = '';
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return text;
}

describe('a clientCredentials profile', () => {
  it('gets its token from the client-credentials grant with resource and scopes, and check uses it', async () => {
    const box = await withConfig(
      {
        ci: {
          issuer: provider.issuer,
          clientId: provider.ciClient.clientId,
          clientSecretEnv: 'CI_CLIENT_SECRET',
          clientCredentials: true,
          scopes: ['videos:read', 'jobs:read'],
          resource: [provider.resource],
        },
      },
      manifest(),
    );
    try {
      const secretEnv = { CI_CLIENT_SECRET: provider.ciClient.clientSecret };
      const token = await box.run(['token', '--profile', 'ci', '--json'], { env: secretEnv });
      expect(token.code, token.stderr).toBe(0);
      expect(JSON.parse(token.stdout).scope).toEqual(['videos:read', 'jobs:read']);

      const check = await box.run(['check', '--profile', 'ci', '--json'], { env: secretEnv });
      expect(check.code, check.stderr).toBe(1);
      const json = JSON.parse(check.stdout);
      expect(json.endpoints.map((e: { satisfied: boolean }) => e.satisfied)).toEqual([true, true, false]);
      expect(json.source).toBe('jwt');
      for (const output of [token.stderr, check.stdout, check.stderr, await allText(box.home)]) {
        expect(output).not.toContain(provider.ciClient.clientSecret);
      }
      expect(await readdir(box.home)).not.toContain('state');

      const missingSecret = await box.run(['token', '--profile', 'ci']);
      expect(missingSecret.code).toBe(2);
      expect(missingSecret.stderr).toContain('$CI_CLIENT_SECRET, which is not set');
    } finally {
      await box.cleanup();
    }
  });
});

describe('SCOPES_REFRESH_TOKEN', () => {
  async function refreshTokenFromLogin(): Promise<string> {
    const config = await client.discovery(new URL(provider.issuer), provider.publicClientId, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:1/callback',
      scope: 'openid offline_access videos:read',
      resource: provider.resource,
      prompt: 'consent',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const agent = await runUserAgent(url.href, { deliverCallback: false });
    const tokens = await client.authorizationCodeGrant(config, new URL(agent.callbackUrl!), { pkceCodeVerifier: verifier, expectedState: state }, { resource: provider.resource });
    return tokens.refresh_token!;
  }

  it('mints an access token for check, warns that the rotated refresh token changed, and prints or stores it nowhere', async () => {
    const refreshToken = await refreshTokenFromLogin();
    const box = await withConfig({ default: { issuer: provider.issuer, clientId: provider.publicClientId, resource: [provider.resource] } }, manifest());
    try {
      const result = await box.run(['check', '--json'], { env: { SCOPES_REFRESH_TOKEN: refreshToken } });
      expect(result.code, result.stderr).toBe(1); // jobs:read and export:write are not granted
      expect(JSON.parse(result.stdout).granted).toEqual(['videos:read']);
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
});

describe('check --live', () => {
  async function ciToken(scope: string): Promise<string> {
    const config = await client.discovery(new URL(provider.issuer), provider.ciClient.clientId, undefined, client.ClientSecretPost(provider.ciClient.clientSecret), {
      execute: [client.allowInsecureRequests],
    });
    return (await client.clientCredentialsGrant(config, { scope, resource: provider.resource })).access_token;
  }

  it('probes the safe endpoints (probe paths for templated ones) and never sends the unsafe one', async () => {
    const box = await withConfig({}, manifest());
    try {
      const before = api.received.length;
      const result = await box.run(['check', '--live', '--json'], { env: { SCOPES_TOKEN: await ciToken('videos:read') } });
      expect(result.code, result.stderr).toBe(1);
      const [videos, jobs, exportEndpoint] = JSON.parse(result.stdout).endpoints;
      expect(videos).toMatchObject({ satisfied: true, live: { status: 200, outcome: 'ok' } });
      expect(jobs).toMatchObject({ satisfied: false, missing: ['jobs:read'], live: { status: 403, outcome: 'missing_scope' } });
      expect(exportEndpoint.live).toBeNull();
      const sent = api.received.slice(before);
      expect(sent.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['GET /v1/jobs/7', 'GET /v1/videos']);
    } finally {
      await box.cleanup();
    }
  });

  it('lets the API overrule a manifest that claims less than it needs', async () => {
    const wrong = { api: api.url, endpoints: [{ method: 'GET', path: '/v1/usage', scopes: ['videos:read'] }] };
    const box = await withConfig({}, wrong);
    try {
      const result = await box.run(['check', '--live', '--json'], { env: { SCOPES_TOKEN: await ciToken('videos:read') } });
      expect(result.code).toBe(1);
      const [usage] = JSON.parse(result.stdout).endpoints;
      expect(usage).toMatchObject({ satisfied: false, missing: ['usage:read'], live: { outcome: 'missing_scope' } });
    } finally {
      await box.cleanup();
    }
  });
});
