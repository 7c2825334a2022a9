/**
 * `scopes probe` as a user runs it: the real binary in a sandboxed home, the token from SCOPES_TOKEN (as in CI),
 * against the test resource server and the test provider. Needs `npm run build` (npm test does it).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../support/cli.js';
import { startTestProvider, type TestProvider } from '../support/provider.js';
import { startResourceServer, type ResourceServer } from '../support/resource-server.js';

let provider: TestProvider;
let api: ResourceServer;
let box: Sandbox;
let token: string;

beforeAll(async () => {
  provider = await startTestProvider();
  api = await startResourceServer({ issuer: provider.issuer, resource: provider.resource });
  box = await createSandbox();
  const ci = await oidc.discovery(new URL(provider.issuer), provider.ciClient.clientId, undefined, oidc.ClientSecretBasic(provider.ciClient.clientSecret), {
    execute: [oidc.allowInsecureRequests],
  });
  token = (await oidc.clientCredentialsGrant(ci, { scope: 'videos:read analyze:write', resource: provider.resource })).access_token;
});
afterAll(async () => {
  await box?.cleanup();
  await api?.close();
  await provider?.close();
});

describe('scopes probe (the binary)', () => {
  it('finds the missing scope with the token from SCOPES_TOKEN, and prints the fix (exit 1)', async () => {
    const result = await box.run(['probe', `${api.url}/v1/videos`, `${api.url}/v1/videos/vid_demo/subtitles`], { env: { SCOPES_TOKEN: token } });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/GET\s+\S+\/v1\/videos\s+200\s+ok/);
    expect(result.stdout).toMatch(/GET\s+\S+\/v1\/videos\/vid_demo\/subtitles\s+403\s+missing scope\s+subtitles:read/);
    expect(result.stdout).toContain('This action requires the \\"subtitles:read\\" scope. Your token has: videos:read, analyze:write');
    expect(result.stdout).toContain('To fix: scopes login --add-scope "subtitles:read"');
    expect(result.stdout).not.toContain(token);
    expect(result.stderr).toBe('');
  });

  it('prints one JSON document with --json, and sends no POST without --allow-unsafe', async () => {
    const manifest = join(box.home, 'scopes.manifest.json');
    await writeFile(
      manifest,
      JSON.stringify({
        api: api.url,
        endpoints: [
          { method: 'GET', path: '/v1/videos', scopes: ['videos:read'] },
          { method: 'POST', path: '/v1/videos/{id}/analyze', scopes: ['analyze:write'] },
          { method: 'POST', path: '/v1/videos/{id}/export', scopes: ['export:write'] },
          { method: 'GET', path: '/v1/jobs/{id}', scopes: ['jobs:read'], probe: '/v1/jobs/7' },
        ],
      }),
    );
    const before = api.received.length;
    const result = await box.run(['probe', '--manifest', manifest, '--json'], { env: { SCOPES_TOKEN: token } });
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as { results: { method: string; url: string; outcome: string; missing: string[] }[]; missing: string[] };
    expect(report.results.map((entry) => [entry.method, entry.url.slice(api.url.length), entry.outcome, entry.missing])).toEqual([
      ['GET', '/v1/videos', 'ok', []],
      ['POST', '/v1/videos/{id}/analyze', 'skipped', []],
      ['POST', '/v1/videos/{id}/export', 'skipped', ['export:write']],
      ['GET', '/v1/jobs/7', 'missing_scope', ['jobs:read']],
    ]);
    expect(report.missing).toEqual(['export:write', 'jobs:read']);
    expect(api.received.slice(before).map((entry) => `${entry.method} ${entry.path}`).sort()).toEqual(['GET /v1/jobs/7', 'GET /v1/videos']);
  });

  it('exits 3 without a token or session, and 2 for a bad URL', async () => {
    const noSession = await box.run(['probe', `${api.url}/v1/videos`]);
    expect(noSession.code).toBe(3);
    expect(noSession.stderr).toContain('scopes login');
    const badUrl = await box.run(['probe', 'not a url'], { env: { SCOPES_TOKEN: token } });
    expect(badUrl.code).toBe(2);
  });
});
