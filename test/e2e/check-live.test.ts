/**
 * `scopes check --live` as CI runs it: the real binary, a real token from the test provider's client-credentials grant
 * (in SCOPES_TOKEN), and the test resource server, which refuses a missing scope the way the video API does.
 * Needs `npm run build` (npm test does it).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../support/cli.js';
import { startTestProvider, type TestProvider } from '../support/provider.js';
import { startResourceServer, type ResourceServer } from '../support/resource-server.js';

let provider: TestProvider;
let api: ResourceServer;
let box: Sandbox;

beforeAll(async () => {
  provider = await startTestProvider();
  api = await startResourceServer({ issuer: provider.issuer, resource: provider.resource });
  box = await createSandbox();
});
afterAll(async () => {
  await box?.cleanup();
  await api?.close();
  await provider?.close();
});

async function ciToken(scope: string): Promise<string> {
  const config = await client.discovery(new URL(provider.issuer), provider.ciClient.clientId, undefined, client.ClientSecretPost(provider.ciClient.clientSecret), {
    execute: [client.allowInsecureRequests],
  });
  return (await client.clientCredentialsGrant(config, { scope, resource: provider.resource })).access_token;
}

const manifest = () => ({
  api: api.url,
  endpoints: [
    { method: 'GET', path: '/v1/videos', scopes: ['videos:read'] },
    { method: 'GET', path: '/v1/jobs/{id}', scopes: ['jobs:read'], probe: '/v1/jobs/7' },
    { method: 'POST', path: '/v1/videos/{id}/export', scopes: ['export:write'] },
    { method: 'GET', path: '/v1/videos/{id}/subtitles', scopes: ['subtitles:read'] },
  ],
});

async function writeManifest(content: unknown, name = 'scopes.manifest.json'): Promise<string> {
  const path = join(box.home, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** What reached the resource server during `action`, as "METHOD /path". */
async function sentDuring<T>(action: () => Promise<T>): Promise<{ result: T; sent: string[] }> {
  const before = api.received.length;
  const result = await action();
  return { result, sent: api.received.slice(before).map((request) => `${request.method} ${request.path}`).sort() };
}

describe('scopes check --live', () => {
  it("calls the safe endpoints (a templated one through its probe path) and reports each answer in --json", async () => {
    const path = await writeManifest(manifest());
    const token = await ciToken('videos:read');
    const { result, sent } = await sentDuring(() => box.run(['check', '--manifest', path, '--live', '--json'], { env: { SCOPES_TOKEN: token } }));
    expect(result.code, result.stderr).toBe(1);
    expect(sent).toEqual(['GET /v1/jobs/7', 'GET /v1/videos']);
    const [videos, jobs, exportEndpoint, subtitles] = JSON.parse(result.stdout).endpoints;
    expect(videos).toMatchObject({ satisfied: true, missing: [], live: { status: 200, outcome: 'ok', url: `${api.url}/v1/videos` } });
    expect(jobs).toMatchObject({ satisfied: false, missing: ['jobs:read'], live: { status: 403, outcome: 'missing_scope', url: `${api.url}/v1/jobs/7`, missing: ['jobs:read'] } });
    expect(jobs.live.evidence.join('\n')).toContain('insufficient_scope');
    expect(exportEndpoint).toMatchObject({ satisfied: false, missing: ['export:write'], live: null, liveNote: 'not called: POST may change data' });
    expect(subtitles).toMatchObject({ satisfied: false, live: null, liveNote: 'not called: the path is templated and has no "probe" path' });
    expect(result.stdout).not.toContain(token);
    expect(result.stderr).not.toContain(token);
  });

  it('shows the answers in the table for people', async () => {
    const path = await writeManifest(manifest());
    const result = await box.run(['check', '--manifest', path, '--live'], { env: { SCOPES_TOKEN: await ciToken('videos:read jobs:read export:write subtitles:read') } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/✓ GET \/v1\/videos\s+videos:read {2}live: 200 ok\n/);
    expect(result.stdout).toMatch(/✓ GET \/v1\/jobs\/\{id\}\s+jobs:read {2}live: 200 ok\n/);
    expect(result.stdout).toMatch(/✓ POST \/v1\/videos\/\{id\}\/export\s+export:write {2}live: not called: POST may change data\n/);
    expect(result.stdout).toContain('All 4 endpoints are satisfied by the granted scopes.');
  });

  it('lets the API overrule a document that claims less than the endpoint needs, in every format', async () => {
    const path = await writeManifest({ api: api.url, endpoints: [{ method: 'GET', path: '/v1/usage', scopes: ['videos:read'] }] }, 'wrong.json');
    const env = { SCOPES_TOKEN: await ciToken('videos:read') };
    const json = await box.run(['check', '--manifest', path, '--live', '--json'], { env });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).endpoints[0]).toMatchObject({ satisfied: false, missing: ['usage:read'], live: { status: 403, outcome: 'missing_scope' } });
    const github = await box.run(['check', '--manifest', 'wrong.json', '--live', '--format', 'github'], { env });
    expect(github.code).toBe(1);
    expect(github.stdout).toBe('::error file=wrong.json,title=Missing scope::GET /v1/usage needs usage:read\nscopes check: 1 of 1 endpoints not satisfied\n');
  });

  it("takes the API's base URL from the profile when the document has none", async () => {
    const { api: _, ...withoutApi } = manifest();
    const path = await writeManifest(withoutApi, 'no-api.json');
    await writeFile(join(box.home, 'live.config.json'), JSON.stringify({ profiles: { live: { api: `${api.url}/` } } }));
    const env = { SCOPES_TOKEN: await ciToken('videos:read jobs:read') };
    const { result, sent } = await sentDuring(() => box.run(['check', '--manifest', path, '--live', '--json', '--config', 'live.config.json', '--profile', 'live'], { env }));
    expect(result.code, result.stderr).toBe(1); // the export and the subtitles are not granted
    expect(sent).toEqual(['GET /v1/jobs/7', 'GET /v1/videos']);
    expect(JSON.parse(result.stdout).endpoints.slice(0, 2).map((e: { live: { status: number } }) => e.live.status)).toEqual([200, 200]);
  });

  it('exits 2 when neither the document nor the profile says where the API is', async () => {
    const { api: _, ...withoutApi } = manifest();
    const path = await writeManifest(withoutApi, 'nowhere.json');
    const { result, sent } = await sentDuring(() => box.run(['check', '--manifest', path, '--live'], { env: { SCOPES_TOKEN: 'x.y.z' } }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--live needs the API's base URL");
    expect(sent).toEqual([]);
  });

  it('warns when the API answers without a scope verdict (a token it rejects), and judges from the document', async () => {
    // Right scopes, wrong signature: the API says 401 invalid_token, which says nothing about scopes.
    const forged = `${Buffer.from('{"alg":"RS256","typ":"at+jwt"}').toString('base64url')}.${Buffer.from(JSON.stringify({ scope: 'videos:read jobs:read', exp: 4102444800 })).toString('base64url')}.c2ln`;
    const path = await writeManifest({ api: api.url, endpoints: manifest().endpoints.slice(0, 2) }, 'two.json');
    const result = await box.run(['check', '--manifest', path, '--live', '--json'], { env: { SCOPES_TOKEN: forged } });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).endpoints.map((e: { live: { outcome: string } }) => e.live.outcome)).toEqual(['unauthorized', 'unauthorized']);
    expect(result.stderr).toContain('warning: --live: GET /v1/videos (HTTP 401, unauthorized) told nothing about scopes; judged from the document alone.');
  });

  it('probes an OpenAPI document through its servers URL and x-scopes-probe', async () => {
    const openapi = [
      'openapi: 3.1.0',
      'info: { title: video API, version: "1" }',
      `servers: [{ url: "${api.url}" }]`,
      'security: [{ oauth: [videos:read] }]',
      'paths:',
      '  /v1/videos: { get: { responses: { "200": { description: ok } } } }',
      '  /v1/videos/{id}/subtitles:',
      '    get:',
      '      x-scopes-probe: /v1/videos/vid_demo/subtitles',
      '      security: [{ oauth: [subtitles:read] }]',
      '      responses: { "200": { description: ok } }',
      'components:',
      '  securitySchemes:',
      '    oauth: { type: oauth2, flows: { clientCredentials: { tokenUrl: "https://a.example/t", scopes: { videos:read: r, subtitles:read: s } } } }',
      '',
    ].join('\n');
    const path = await writeManifest(openapi, 'openapi.yaml');
    const env = { SCOPES_TOKEN: await ciToken('videos:read') };
    const { result, sent } = await sentDuring(() => box.run(['check', '--openapi', path, '--live', '--json'], { env }));
    expect(result.code).toBe(1);
    expect(sent).toEqual(['GET /v1/videos', 'GET /v1/videos/vid_demo/subtitles']);
    const [, subtitles] = JSON.parse(result.stdout).endpoints;
    expect(subtitles).toMatchObject({ satisfied: false, missing: ['subtitles:read'], live: { status: 403, outcome: 'missing_scope' } });
  });
});

describe('scopes check --live: each operation at its own server (issue 11)', () => {
  it('calls an operation with its own servers there, and the others at the root server, nothing anywhere else', async () => {
    const other = await startResourceServer({ issuer: provider.issuer, resource: provider.resource });
    try {
      const openapi = {
        openapi: '3.1.0',
        info: { title: 'two servers', version: '1' },
        servers: [{ url: other.url }],
        paths: {
          '/v1/videos': { get: { servers: [{ url: '{base}', variables: { base: { default: api.url } } }], security: [{ oauth: ['videos:read'] }], responses: { '200': { description: 'ok' } } } },
          '/v1/jobs/{id}': { get: { 'x-scopes-probe': '/v1/jobs/7', security: [{ oauth: ['jobs:read'] }], responses: { '200': { description: 'ok' } } } },
        },
        components: { securitySchemes: { oauth: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: `${provider.issuer}/token`, scopes: { 'videos:read': 'r', 'jobs:read': 'j' } } } } } },
      };
      const path = await writeManifest(openapi, 'openapi.json');
      const token = await ciToken('videos:read jobs:read');
      const otherBefore = other.received.length;
      const { result, sent } = await sentDuring(() => box.run(['check', '--openapi', path, '--live', '--json'], { env: { SCOPES_TOKEN: token } }));
      expect(result.code, result.stderr).toBe(0);
      expect(sent).toEqual(['GET /v1/videos']);
      expect(other.received.slice(otherBefore).map((request) => `${request.method} ${request.path}`)).toEqual(['GET /v1/jobs/7']);
      const [videos, jobs] = JSON.parse(result.stdout).endpoints;
      expect(videos.live).toMatchObject({ status: 200, url: `${api.url}/v1/videos` });
      expect(jobs.live).toMatchObject({ status: 200, url: `${other.url}/v1/jobs/7` });
    } finally {
      await other.close();
    }
  });
});
