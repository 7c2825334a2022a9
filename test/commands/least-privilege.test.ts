/**
 * Issue 11: least-privilege answers on real published descriptions (test/fixtures/published, sources and licences in
 * its README): the caller's credential (Okta), ties to the narrower scope (Google Tasks, Okta), Swagger 2.0 (Slack),
 * Box's `#` operation names and operation servers, Google discovery documents, and recorded traffic (HAR).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findEndpoint } from '../../src/commands/minimal.js';
import { parseDiscovery } from '../../src/providers/google-discovery.js';
import { parseHar } from '../../src/core/har.js';
import { loadYaml } from '../../src/core/manifest.js';
import { parseOpenApi } from '../../src/core/openapi.js';
import { main } from '../../src/main.js';
import { repoRoot } from '../support/cli.js';
import { testDeps } from '../support/deps.js';
import { HAR_COOKIE, HAR_TOKEN, makeOktaHar } from '../support/har.js';

const published = (name: string) => join(repoRoot, 'test', 'fixtures', 'published', name);
const read = (name: string) => readFile(published(name), 'utf8');
const OKTA = published('okta-management.openapi.yaml');
const BOX = published('box.openapi.json');
const SLACK = published('slack-web.swagger2.json');
const TASKS = published('google-tasks-v1.discovery.json');
const auth = (name: string) => `https://www.googleapis.com/auth/${name}`;

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'scopes-leastpriv-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'RS256', typ: 'at+jwt', kid: 'k' })}.${b64(claims)}.c2lnbmF0dXJl`;
const tokenWith = (scope: string) => jwt({ scope, exp: 4102444800 });

async function run(argv: string[], options: { fetch?: typeof fetch } = {}) {
  const deps = testDeps({ env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), SCOPES_STORAGE: 'file' }, cwd: home, fetch: options.fetch });
  const code = await main(argv, deps);
  return { code, stdout: deps.stdout(), stderr: deps.stderr() };
}


// Some readers are called directly here: the YAML parser is loaded as commands load it (readWithYamlIfNeeded).
await loadYaml();

describe('1. the caller holds an OAuth token (Okta: "apiToken OR oauth2 [scope]")', () => {
  it('reads what an OAuth caller needs, keeping the API-key reading aside', async () => {
    const doc = parseOpenApi(await read('okta-management.openapi.yaml'), 'okta.yaml');
    const listUsers = doc.endpoints.find((endpoint) => endpoint.method === 'GET' && endpoint.path === '/api/v1/users');
    expect(listUsers).toMatchObject({ required: [['okta.users.read']], anyCredential: [[]], otherCredentials: ['apiToken'], server: 'https://subdomain.okta.com' });
    // DELETE /api/v1/api-tokens/current: only an API token can call it
    expect(doc.endpoints.find((endpoint) => endpoint.path === '/api/v1/api-tokens/current')).toMatchObject({ required: [[]], oauth: false, otherCredentials: ['apiToken'] });
  });

  it('minimal answers with the scopes an OAuth caller needs, not an empty line, and names the other credential', async () => {
    const { code, stdout, stderr } = await run(['minimal', '--openapi', OKTA, 'GET /api/v1/users', 'GET /api/v1/groups']);
    expect(code).toBe(0);
    expect(stdout).toBe('okta.groups.read okta.users.read\n');
    expect(stderr).toContain('2 operations could also be called with "apiToken" instead of an OAuth token');
  });

  it('--credential any gives the reading where the API key needs nothing', async () => {
    const { code, stdout } = await run(['minimal', '--openapi', OKTA, '--credential', 'any', 'GET /api/v1/users']);
    expect(code).toBe(0);
    expect(stdout).toBe('\n');
  });

  it('check: every OAuth caller needs the scopes, so they are not "needed by no endpoint"; the report names the API token', async () => {
    const token = tokenWith('okta.users.read okta.groups.read');
    const { code, stdout } = await run(['check', '--openapi', OKTA, '--token', token, '--json']);
    const report = JSON.parse(stdout) as { ok: boolean; unused: string[]; credential: string; endpoints: { method: string; path: string; satisfied: boolean; otherCredentials?: string[]; oauth?: boolean }[] };
    expect(code).toBe(1); // the manage and directories operations are not satisfied
    expect(report.unused).toEqual([]);
    expect(report.credential).toBe('oauth');
    expect(report.endpoints.find((endpoint) => endpoint.path === '/api/v1/users' && endpoint.method === 'POST')).toMatchObject({ satisfied: false, otherCredentials: ['apiToken'] });
    expect(report.endpoints.find((endpoint) => endpoint.path === '/api/v1/api-tokens/current')).toMatchObject({ satisfied: true, oauth: false });
    const any = await run(['check', '--openapi', OKTA, '--token', token, '--credential', 'any', '--json']);
    // the API token alternative needs nothing, so the granted scopes look unused (the old reading)
    expect((JSON.parse(any.stdout) as { unused: string[] }).unused).toEqual(['okta.users.read', 'okta.groups.read']);
    const text = await run(['check', '--openapi', OKTA, '--token', token]);
    expect(text.stdout).toContain('operations could also be called with "apiToken" instead of an OAuth token');
    expect(text.stdout).toContain('1 operation accepts no OAuth token, only "apiToken"');
  });
});

describe('2. ties go to the narrower scope, and --json says why', () => {
  it('Google Tasks lists the full scope first: minimal picks tasks.readonly for the reads, and says why', async () => {
    const { code, stdout } = await run(['minimal', '--discovery', TASKS, '--json', 'GET /users/@me/lists', 'GET /lists/{tasklist}/tasks']);
    expect(code).toBe(0);
    const answer = JSON.parse(stdout) as { scopes: string[]; why: Record<string, { for: string[]; over: { over: string; because: string; detail: string }[] }> };
    expect(answer.scopes).toEqual([auth('tasks.readonly')]);
    // with the google preset (discovery documents are Google's), tasks implies tasks.readonly
    expect(answer.why[auth('tasks.readonly')]).toEqual({
      for: ['GET /users/@me/lists', 'GET /lists/{tasklist}/tasks'],
      over: [{ over: auth('tasks'), because: 'implied', detail: `implied by ${auth('tasks')}` }],
    });
  });

  it('without a rule relating them, the scope unlocking fewer operations of the document wins, whatever is listed first', async () => {
    const doc = JSON.parse(await read('google-tasks-v1.discovery.json')) as Record<string, unknown>;
    await writeFile(join(home, 'tasks.json'), JSON.stringify(doc));
    const { stdout } = await run(['minimal', '--discovery', join(home, 'tasks.json'), '--preset', 'google', '--json', 'GET /lists/{tasklist}/tasks/{task}']);
    expect((JSON.parse(stdout) as { scopes: string[] }).scopes).toEqual([auth('tasks.readonly')]);
    // a manifest with no rules: admin listed first, jobs:read unlocks fewer operations
    await writeFile(join(home, 'm.json'), JSON.stringify({ endpoints: [
      { method: 'GET', path: '/v1/jobs/{id}', anyOf: [['admin'], ['jobs:read']] },
      { method: 'DELETE', path: '/v1/jobs/{id}', scopes: ['admin'] },
      { method: 'POST', path: '/v1/users', scopes: ['admin'] },
    ] }));
    const manifest = await run(['minimal', '--manifest', join(home, 'm.json'), '--json', 'GET /v1/jobs/{id}']);
    const answer = JSON.parse(manifest.stdout) as { scopes: string[]; why: Record<string, { over: { over: string; because: string; detail: string }[] }> };
    expect(answer.scopes).toEqual(['jobs:read']);
    expect(answer.why['jobs:read']?.over).toEqual([{ over: 'admin', because: 'fewer-operations', detail: 'unlocks 1 operations of the document, admin 3' }]);
  });

  it('Okta: read before manage when an operation accepts either', async () => {
    const doc = (await read('okta-management.openapi.yaml')).replace('        - oauth2:\n            - okta.users.read\n', '        - oauth2:\n            - okta.users.manage\n        - oauth2:\n            - okta.users.read\n');
    await writeFile(join(home, 'okta.yaml'), doc);
    const { stdout } = await run(['minimal', '--openapi', join(home, 'okta.yaml'), 'GET /api/v1/users']);
    expect(stdout).toBe('okta.users.read\n');
  });
});

describe('3. undeclared scopes warn; openid may be unused when the document declares it', () => {
  it('reads a document whose operation asks for an undeclared scope, with a warning', async () => {
    const doc = (await read('okta-management.openapi.yaml')).replace('            - okta.users.read\n', '            - okta.users.read.all\n');
    await writeFile(join(home, 'okta.yaml'), doc);
    const { code, stdout, stderr } = await run(['minimal', '--openapi', join(home, 'okta.yaml'), 'GET /api/v1/users']);
    expect(code).toBe(0);
    expect(stdout).toBe('okta.users.read.all\n');
    expect(stderr).toContain('asks for the scope "okta.users.read.all", which the oauth2 scheme "oauth2" does not declare');
  });

  it('lists openid and email as unused when the document declares them, and still not when it does not', async () => {
    const declaring = (await read('okta-management.openapi.yaml')).replace('          scopes:\n', '          scopes:\n            openid: Sign in\n            email: Your email address\n');
    await writeFile(join(home, 'okta.yaml'), declaring);
    const token = tokenWith('openid email profile okta.users.read okta.users.manage okta.groups.read okta.groups.manage okta.directories.groups.manage');
    const declared = JSON.parse((await run(['check', '--openapi', join(home, 'okta.yaml'), '--token', token, '--json'])).stdout) as { unused: string[] };
    expect(declared.unused).toEqual(['openid', 'email']);
    const plain = JSON.parse((await run(['check', '--openapi', OKTA, '--token', token, '--json'])).stdout) as { unused: string[] };
    expect(plain.unused).toEqual([]);
  });
});

describe('4. Box: operations named with "#", base paths, and hints that work', () => {
  it('answers for PUT /files/{file_id}#add_shared_link, not for PUT /files/{file_id}', async () => {
    const doc = parseOpenApi(await read('box.openapi.json'), 'box.json');
    expect(findEndpoint(doc.endpoints, 'PUT /files/{file_id}#add_shared_link').path).toBe('/files/{file_id}#add_shared_link');
    expect(findEndpoint(doc.endpoints, 'PUT /files/123#add_shared_link').path).toBe('/files/{file_id}#add_shared_link');
    expect(findEndpoint(doc.endpoints, 'PUT /files/{file_id}').path).toBe('/files/{file_id}');
    expect(findEndpoint(doc.endpoints, 'PUT /2.0/files/{file_id}#remove_shared_link').path).toBe('/files/{file_id}#remove_shared_link');
    expect(findEndpoint(doc.endpoints, 'GET /2.0/users/me').path).toBe('/users/me');
    const { code, stdout } = await run(['minimal', '--openapi', BOX, '--json', 'PUT /files/{file_id}#add_shared_link']);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { endpoints: { path: string }[] }).endpoints.map((endpoint) => endpoint.path)).toEqual(['/files/{file_id}#add_shared_link']);
  });

  it('names the closest operations for an unknown one, in a command that works', async () => {
    const { code, stderr } = await run(['minimal', '--openapi', BOX, 'PUT /files/{file_id}#add_sharedlink']);
    expect(code).toBe(2);
    expect(stderr).toContain('PUT /files/{file_id}#add_shared_link');
    const hint = /For the closest: (scopes minimal .*)$/m.exec(stderr)?.[1];
    expect(hint).toBeDefined();
    // the suggested command runs
    const args = [...hint!.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] ?? m[2])!.replace(/\\(.)/g, '$1')).slice(1);
    const again = await run(args);
    expect(again.code).toBe(0);
  });
});

describe('5. check --live calls each operation at its own server, with the token for that origin only', () => {
  const recordingFetch = (calls: { url: string; authorization: string | undefined }[]) =>
    (async (input: string | URL | Request, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      calls.push({ url: String(input), authorization: headers.get('authorization') ?? undefined });
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;

  it('calls the operation server, else the root one, each with the token', async () => {
    const calls: { url: string; authorization: string | undefined }[] = [];
    const token = tokenWith('root_readonly');
    const { code } = await run(['check', '--openapi', BOX, '--token', token, '--live', '--json'], { fetch: recordingFetch(calls) });
    expect(code).toBe(0);
    // GET /authorize is served by account.box.com (its own servers), GET /users/me by the root server api.box.com/2.0
    expect(calls.map((call) => call.url).sort()).toEqual(['https://account.box.com/api/oauth2/authorize', 'https://api.box.com/2.0/users/me']);
    expect(calls.every((call) => call.authorization === `Bearer ${token}`)).toBe(true);
  });

  it('refuses, before any call, an operation server the token may not go to (plain http off loopback)', async () => {
    const doc = JSON.parse(await read('box.openapi.json')) as { paths: Record<string, unknown> };
    doc.paths['/metadata_templates'] = { get: { servers: [{ url: 'http://metadata.example.com/2.0' }] } };
    await writeFile(join(home, 'box.json'), JSON.stringify(doc));
    const calls: { url: string; authorization: string | undefined }[] = [];
    const { code, stderr } = await run(['check', '--openapi', join(home, 'box.json'), '--token', tokenWith('root_readonly'), '--live'], { fetch: recordingFetch(calls) });
    expect(code).toBe(2);
    expect(stderr).toContain('Refusing to send the token over plain http to http://metadata.example.com');
    expect(calls).toEqual([]);
  });

  it('reads operation and path-item servers with their variables\' defaults', async () => {
    const doc = parseOpenApi(await read('box.openapi.json'), 'box.json');
    const servers = Object.fromEntries(doc.endpoints.map((endpoint) => [`${endpoint.method} ${endpoint.path}`, endpoint.server]));
    expect(servers['POST /files/content']).toBe('https://upload.box.com/api/2.0');
    expect(servers['GET /files/upload_sessions/{upload_session_id}']).toBe('https://upload.box.com/api/2.0');
    expect(servers['GET /users/me']).toBe('https://api.box.com/2.0');
    const withItem = parseOpenApi(JSON.stringify({ openapi: '3.1.0', servers: [{ url: 'https://a.example.com/v1' }], paths: { '/x': { servers: [{ url: 'https://{region}.example.com/v2', variables: { region: { default: 'eu' } } }], get: {} } } }), 'x.json');
    expect(withItem.endpoints[0]).toMatchObject({ server: 'https://eu.example.com/v2', basePath: '/v2' });
  });
});

describe('6. Swagger 2.0 (Slack Web API)', () => {
  it('reads securityDefinitions, root and operation security, and host/basePath/schemes', async () => {
    const doc = parseOpenApi(await read('slack-web.swagger2.json'), 'slack.json');
    expect(doc.format).toBe('swagger');
    expect(doc.api).toBe('https://slack.com/api');
    expect(doc.declaredScopes).toContain('users:read');
    const byName = Object.fromEntries(doc.endpoints.map((endpoint) => [`${endpoint.method} ${endpoint.path}`, endpoint]));
    expect(byName['GET /users.info']).toMatchObject({ required: [['users:read']], server: 'https://slack.com/api', basePath: '/api', source: 'operationId users_info' });
    // one requirement object lists scopes that are all needed (OpenAPI's AND), as Slack wrote it
    expect(byName['POST /chat.postMessage']?.required).toEqual([['chat:write:user', 'chat:write:bot']]);
    expect(doc.warnings).toEqual([]);
  });

  it('check and minimal read it like an OpenAPI 3 document', async () => {
    const { code, stdout } = await run(['minimal', '--openapi', SLACK, 'GET /users.info', 'POST /reactions.add']);
    expect(code).toBe(0);
    expect(stdout).toBe('reactions:write users:read\n');
    const check = await run(['check', '--openapi', SLACK, '--token', tokenWith('users:read'), '--json']);
    expect(check.code).toBe(1);
    expect((JSON.parse(check.stdout) as { endpoints: { path: string; satisfied: boolean }[] }).endpoints.find((e) => e.path === '/users.info')?.satisfied).toBe(true);
  });

  it('refuses a JSON document of the wrong kind without parsing it a second time to place the error', () => {
    const big = JSON.stringify({ swagger: '1.2', apis: Array.from({ length: 2000 }, (_, i) => ({ path: `/p${i}` })) });
    expect(() => parseOpenApi(big, 'old.json')).toThrow(/^old\.json: swagger: this is a Swagger "1\.2" document/);
  });
});

describe('8. Google API discovery documents', () => {
  it('reads methods under nested resources: httpMethod, path under the service path, any one scope', async () => {
    const doc = parseDiscovery(await read('google-tasks-v1.discovery.json'), 'tasks.json');
    expect(doc.api).toBe('https://www.googleapis.com/tasks/v1');
    expect(doc.rules).toEqual({ preset: 'google' });
    expect(doc.declaredScopes).toEqual([auth('tasks'), auth('tasks.readonly')]);
    expect(doc.endpoints).toHaveLength(9);
    expect(doc.endpoints.find((endpoint) => endpoint.source === 'method tasks.tasks.list')).toMatchObject({
      method: 'GET',
      path: '/lists/{tasklist}/tasks',
      required: [[auth('tasks')], [auth('tasks.readonly')]],
      server: 'https://www.googleapis.com/tasks/v1',
      basePath: '/tasks/v1',
    });
  });

  it('reads {+name} paths, and refuses what is not a discovery document', () => {
    const doc = parseDiscovery(JSON.stringify({ kind: 'discovery#restDescription', rootUrl: 'https://x.googleapis.com/', servicePath: '', resources: { a: { methods: { get: { httpMethod: 'GET', path: 'v1/{+name}', scopes: [auth('cloud-platform')] } } } } }), 'x.json');
    expect(doc.endpoints[0]).toMatchObject({ path: '/v1/{name}', required: [[auth('cloud-platform')]] });
    expect(() => parseDiscovery('{"openapi":"3.0.0"}', 'x.json')).toThrow(/not a Google API discovery document/);
  });

  it('check --discovery judges a token against it', async () => {
    const { code, stdout } = await run(['check', '--discovery', TASKS, '--token', tokenWith(auth('tasks.readonly'))]);
    expect(code).toBe(1);
    expect(stdout).toContain('5 of 9 endpoints are not satisfied by the granted scopes.');
  });
});

describe('9. observed traffic: --har', () => {
  it('the README example is the HAR file these tests make', async () => {
    expect(await readFile(join(repoRoot, 'examples', 'okta-app.har'), 'utf8')).toBe(makeOktaHar());
  });

  it('reads requests without their secrets, and the one token they all carried', () => {
    const reading = parseHar(makeOktaHar(), 'app.har');
    expect(reading.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'GET https://subdomain.okta.com/api/v1/users',
      'GET https://subdomain.okta.com/api/v1/users/00u1example',
      'GET https://subdomain.okta.com/api/v1/groups',
      'GET https://subdomain.okta.com/oauth2/v1/userinfo',
    ]);
    expect(reading.token).toBe(HAR_TOKEN);
    expect(reading.tokenCount).toBe(1);
  });

  it('minimal --har: the scopes for what was called, what the token held in vain, requests matching nothing; no secret printed', async () => {
    await writeFile(join(home, 'app.har'), makeOktaHar());
    const text = await run(['minimal', '--har', join(home, 'app.har'), '--openapi', OKTA]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe('okta.groups.read okta.users.read\n');
    expect(text.stderr).toContain('The recorded token was granted scopes these calls never needed: okta.users.manage okta.groups.manage');
    expect(text.stderr).toContain('1 recorded request matched no operation of');
    expect(text.stderr).toContain('GET https://subdomain.okta.com/oauth2/v1/userinfo');
    const json = await run(['minimal', '--har', join(home, 'app.har'), '--openapi', OKTA, '--json']);
    const answer = JSON.parse(json.stdout) as { scopes: string[]; har: { called: { method: string; path: string; requests: number }[]; unmatched: unknown[]; unneeded: string[] } };
    expect(answer.har.called).toEqual([
      { method: 'GET', path: '/api/v1/users', requests: 1 },
      { method: 'GET', path: '/api/v1/users/{id}', requests: 1 },
      { method: 'GET', path: '/api/v1/groups', requests: 1 },
    ]);
    expect(answer.har.unneeded).toEqual(['okta.users.manage', 'okta.groups.manage']);
    for (const output of [text.stdout, text.stderr, json.stdout, json.stderr]) {
      expect(output).not.toContain(HAR_TOKEN);
      expect(output).not.toContain(HAR_TOKEN.split('.')[1]);
      expect(output).not.toContain(HAR_COOKIE);
      expect(output).not.toContain('search=');
    }
  });

  it('check --har judges the recorded token against only the operations called, and names the unneeded scopes', async () => {
    await writeFile(join(home, 'app.har'), makeOktaHar());
    const { code, stdout, stderr } = await run(['check', '--har', join(home, 'app.har'), '--openapi', OKTA, '--fail-on-unused']);
    expect(code).toBe(1);
    expect(stdout).toContain('All 3 endpoints are satisfied by the granted scopes.');
    expect(stdout).toContain('Granted but needed by no endpoint: okta.users.manage okta.groups.manage');
    expect(stdout).toContain('Requests matching no operation: GET https://subdomain.okta.com/oauth2/v1/userinfo');
    expect(stdout + stderr).not.toContain(HAR_TOKEN.split('.')[1]);
    expect(stdout + stderr).not.toContain(HAR_COOKIE);
  });

  it('exits 2 for a HAR file that is missing, a directory, or not a HAR', async () => {
    expect(await run(['minimal', '--har', join(home, 'nope.har'), '--openapi', OKTA])).toMatchObject({ code: 2, stderr: expect.stringContaining('Cannot read the HAR file') });
    expect(await run(['minimal', '--har', home, '--openapi', OKTA])).toMatchObject({ code: 2, stderr: expect.stringContaining('directory') });
    await writeFile(join(home, 'x.har'), '{"entries": []}');
    expect(await run(['minimal', '--har', join(home, 'x.har'), '--openapi', OKTA])).toMatchObject({ code: 2, stderr: expect.stringContaining('not a HAR file') });
  });

  it('reads no granted set when the requests carried different tokens', async () => {
    const other = `${HAR_TOKEN.split('.')[0]}.${Buffer.from(JSON.stringify({ scp: ['okta.groups.read'] })).toString('base64url')}.c2lnbmF0dXJl`;
    // the first request carries another token than the rest
    const har = makeOktaHar().replace(`"Bearer ${HAR_TOKEN}"`, `"Bearer ${other}"`);
    await writeFile(join(home, 'app.har'), har);
    expect(parseHar(har, 'app.har')).toMatchObject({ tokenCount: 2 });
    expect(parseHar(har, 'app.har').token).toBeUndefined();
    const { code, stdout, stderr } = await run(['minimal', '--har', join(home, 'app.har'), '--openapi', OKTA]);
    expect(code).toBe(0);
    expect(stdout).toBe('okta.groups.read okta.users.read\n');
    expect(stderr).toContain('carried 2 different tokens');
    expect(stderr).not.toContain(other.split('.')[1]);
  });

  it('matches by server: a request to another host is not an operation of the document', async () => {
    const har = makeOktaHar().replaceAll('https://subdomain.okta.com/api/v1/groups', 'https://evil.example.com/api/v1/groups');
    await writeFile(join(home, 'app.har'), har);
    const { stdout } = await run(['minimal', '--har', join(home, 'app.har'), '--openapi', OKTA]);
    expect(stdout).toBe('okta.users.read\n');
  });
});
