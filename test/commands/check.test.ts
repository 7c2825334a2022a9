/**
 * `scopes check` in process (buffers for the streams, hand-made tokens, a fake introspection endpoint) and through the
 * real binary (needs `npm run build`): verdicts with alternatives and implication, least privilege, the outputs for
 * people, programs and GitHub Actions, where the document and the token come from, and the ways a document is wrong.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { stateDir } from '../../src/io/paths.js';
import { FileSecretStore } from '../../src/io/store/file.js';
import { createSandbox } from '../support/cli.js';
import { testDeps } from '../support/deps.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'scopes-check-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const baseEnv = () => ({ HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), SCOPES_STORAGE: 'file' });

interface RunOptions {
  readonly env?: Record<string, string>;
  readonly stdin?: string;
  readonly tty?: boolean;
  readonly fetch?: typeof fetch;
}

async function run(argv: string[], options: RunOptions = {}) {
  const deps = testDeps({ env: { ...baseEnv(), ...options.env }, cwd: home, stdin: options.stdin, tty: options.tty, fetch: options.fetch });
  const code = await main(argv, deps);
  return { code, stdout: deps.stdout(), stderr: deps.stderr() };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** An unsigned-looking JWT access token: check reads its claims, it never verifies them. */
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'RS256', typ: 'at+jwt', kid: 'k' })}.${b64(claims)}.c2lnbmF0dXJl`;
const tokenWith = (scope: string) => jwt({ scope, exp: 4102444800 });

/** The SPEC's manifest. */
const manifest = {
  api: 'https://api.example.com',
  implies: { 'videos:write': ['videos:read'] },
  endpoints: [
    { method: 'GET', path: '/v1/videos', scopes: ['videos:read'] },
    { method: 'POST', path: '/v1/videos/{id}/export', scopes: ['export:write'] },
    { method: 'GET', path: '/v1/jobs/{id}', anyOf: [['jobs:read'], ['admin']], probe: '/v1/jobs/7' },
  ],
};

async function write(name: string, content: unknown): Promise<string> {
  const path = join(home, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

const satisfiedOf = (stdout: string): boolean[] => JSON.parse(stdout).endpoints.map((endpoint: { satisfied: boolean }) => endpoint.satisfied);

describe('scopes check: verdicts', () => {
  const githubManifest = {
    endpoints: [
      { method: 'GET', path: '/repos/{owner}/{repo}/statuses/{ref}', scopes: ['repo:status'] },
      { method: 'GET', path: '/user/emails', scopes: ['user:email'] },
    ],
  };

  it.each([
    { description: 'every scope granted as named', document: manifest, args: [], scope: 'videos:read export:write jobs:read', expected: [true, true, true], code: 0 },
    { description: 'the second alternative of anyOf', document: manifest, args: [], scope: 'videos:read export:write admin', expected: [true, true, true], code: 0 },
    { description: "a broader scope through the document's implies", document: manifest, args: [], scope: 'videos:write export:write jobs:read', expected: [true, true, true], code: 0 },
    { description: 'no implication without a rule', document: { endpoints: manifest.endpoints }, args: [], scope: 'videos:write export:write jobs:read', expected: [false, true, true], code: 1 },
    { description: 'a rule given with --implies', document: { endpoints: manifest.endpoints }, args: ['--implies', 'videos:write=videos:read'], scope: 'videos:write export:write jobs:read', expected: [true, true, true], code: 0 },
    { description: 'the github preset from the flag', document: githubManifest, args: ['--preset', 'github'], scope: 'repo user', expected: [true, true], code: 0 },
    { description: 'the github preset named by the manifest', document: { ...githubManifest, preset: 'github' }, args: [], scope: 'repo user', expected: [true, true], code: 0 },
    { description: 'the github preset does not make repo cover user:email', document: githubManifest, args: ['--preset', 'github'], scope: 'repo', expected: [true, false], code: 1 },
    { description: 'one missing scope fails the whole check', document: manifest, args: [], scope: 'videos:read jobs:read', expected: [true, false, true], code: 1 },
    { description: 'an endpoint that needs no scope, with no scope at all', document: { endpoints: [{ method: 'GET', path: '/health', scopes: [] }] }, args: [], scope: '', expected: [true], code: 0 },
  ])('$description', async ({ document, args, scope, expected, code }) => {
    const path = await write('scopes.manifest.json', document);
    const result = await run(['check', '--manifest', path, '--token', tokenWith(scope), '--json', ...args]);
    expect(result.code, result.stderr).toBe(code);
    expect(satisfiedOf(result.stdout)).toEqual(expected);
    expect(JSON.parse(result.stdout).ok).toBe(code === 0);
  });

  it('names the closest group of alternatives as missing', async () => {
    const path = await write('m.json', { endpoints: [{ method: 'GET', path: '/x', anyOf: [['a', 'b', 'c'], ['a', 'd'], ['e', 'f', 'g']] }] });
    const result = await run(['check', '--manifest', path, '--token', tokenWith('a'), '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).endpoints[0]).toMatchObject({ satisfied: false, missing: ['d'], required: [['a', 'b', 'c'], ['a', 'd'], ['e', 'f', 'g']] });
  });

  it("merges the profile's rules with the document's and the flags'", async () => {
    await write('scopes.config.json', { profiles: { default: { implies: { 'export:admin': ['export:write'] } } } });
    const path = await write('scopes.manifest.json', manifest);
    const result = await run(['check', '--manifest', path, '--token', tokenWith('videos:write export:admin root'), '--implies', 'root=jobs:read', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).endpoints.map((e: { coveredBy: object }) => e.coveredBy)).toEqual([
      { 'videos:read': 'videos:write' },
      { 'export:write': 'export:admin' },
      { 'jobs:read': 'root' },
    ]);
  });

  it('exits 2 for an unknown --preset', async () => {
    const path = await write('scopes.manifest.json', manifest);
    const result = await run(['check', '--manifest', path, '--token', tokenWith('a'), '--preset', 'nosuchprovider']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"nosuchprovider" is not one of');
  });
});

describe('scopes check: least privilege', () => {
  it.each([
    { description: 'a scope no endpoint names', scope: 'videos:read export:write jobs:read usage:read', unused: ['usage:read'] },
    { description: 'OpenID scopes never count', scope: 'openid profile email offline_access videos:read export:write jobs:read', unused: [] },
    { description: 'a broader scope used through implication is used', scope: 'videos:write export:write jobs:read', unused: [] },
    { description: 'both alternatives held: each is one the API accepts', scope: 'videos:read export:write jobs:read admin', unused: [] },
    { description: 'several, in the order granted', scope: 'zeta videos:read export:write jobs:read alpha', unused: ['zeta', 'alpha'] },
  ])('$description', async ({ scope, unused }) => {
    const path = await write('scopes.manifest.json', manifest);
    const lenient = await run(['check', '--manifest', path, '--token', tokenWith(scope), '--json']);
    expect(lenient.code).toBe(0);
    expect(JSON.parse(lenient.stdout)).toMatchObject({ ok: true, unused });
    const strict = await run(['check', '--manifest', path, '--token', tokenWith(scope), '--json', '--fail-on-unused']);
    expect(strict.code).toBe(unused.length ? 1 : 0);
    expect(JSON.parse(strict.stdout)).toMatchObject({ ok: unused.length === 0, unused });
  });
});

describe('scopes check: output', () => {
  it('prints the SPEC\'s JSON document and nothing else on stdout', async () => {
    const path = await write('scopes.manifest.json', manifest);
    const result = await run(['check', '--manifest', path, '--token', tokenWith('videos:write jobs:read usage:read'), '--json']);
    expect(result.code).toBe(1);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      endpoints: [
        { method: 'GET', path: '/v1/videos', required: [['videos:read']], satisfied: true, missing: [], coveredBy: { 'videos:read': 'videos:write' }, live: null },
        { method: 'POST', path: '/v1/videos/{id}/export', required: [['export:write']], satisfied: false, missing: ['export:write'], coveredBy: {}, live: null },
        { method: 'GET', path: '/v1/jobs/{id}', required: [['jobs:read'], ['admin']], satisfied: true, missing: [], coveredBy: { 'jobs:read': 'jobs:read' }, live: null },
      ],
      unused: ['usage:read'],
      granted: ['videos:write', 'jobs:read', 'usage:read'],
      source: 'jwt',
      document: path,
      credential: 'oauth',
      // A --token from no known issuer: no --add-scope line would change it (the text says so in words).
      addScope: null,
    });
  });

  it('prints a table for people: marks, what is missing, what covered what, a summary and the unused scopes', async () => {
    const path = await write('scopes.manifest.json', manifest);
    const result = await run(['check', '--manifest', path, '--token', tokenWith('videos:write admin usage:read')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      [
        '✓ GET /v1/videos               videos:read (videos:read via videos:write)',
        '✗ POST /v1/videos/{id}/export  missing export:write',
        '✓ GET /v1/jobs/{id}            jobs:read or admin',
        '',
        '1 of 3 endpoints are not satisfied by the granted scopes.',
        'Granted (jwt): videos:write admin usage:read',
        'Granted but needed by no endpoint: usage:read (least privilege: consider not asking for them)',
        '',
        // A --token from no known issuer: the fix is said in words, it names no profile it is not from.
        "To fix: get a token that also carries export:write from the server that issued it (the token is not this profile's, so `scopes login --add-scope` would not change it).",
        '',
      ].join('\n'),
    );
    expect(result.stdout).not.toContain('\u001b[');
    expect(result.stderr).toBe('');
  });

  it("ends with the profile's --add-scope line on stdout, after the table, for the profile's own token", async () => {
    const path = await write('scopes.manifest.json', manifest);
    const result = await run(['check', '--manifest', path], { env: { SCOPES_TOKEN: tokenWith('videos:read') } });
    expect(result.code).toBe(1);
    // jobs:read, not admin: the narrower alternative.
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('To fix: scopes login --add-scope "export:write jobs:read"');
  });

  it('says which alternatives an unsatisfied endpoint accepts', async () => {
    const path = await write('scopes.manifest.json', manifest);
    const result = await run(['check', '--manifest', path, '--token', tokenWith('videos:read export:write')]);
    expect(result.stdout).toMatch(/✗ GET \/v1\/jobs\/\{id\}\s+missing jobs:read {2}\(needs jobs:read or admin\)/);
    expect(result.stdout).toContain('1 of 3 endpoints are not satisfied');
  });

  it('colours the table on a terminal only', async () => {
    const path = await write('scopes.manifest.json', manifest);
    const args = ['check', '--manifest', path, '--token', tokenWith('videos:read')];
    const terminal = await run(args, { tty: true });
    expect(terminal.stdout).toContain('\u001b[31m✗\u001b[39m');
    expect(terminal.stdout).toContain('\u001b[32m✓\u001b[39m');
    const noColor = await run(args, { tty: true, env: { NO_COLOR: '1' } });
    expect(noColor.stdout).not.toContain('\u001b[');
    expect(noColor.stdout.replace(/\u001b\[[0-9;]*m/g, '')).toBe(terminal.stdout.replace(/\u001b\[[0-9;]*m/g, ''));
  });

  it('says so when every endpoint is satisfied', async () => {
    const path = await write('scopes.manifest.json', manifest);
    const result = await run(['check', '--manifest', path, '--token', tokenWith('videos:read export:write jobs:read')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('All 3 endpoints are satisfied by the granted scopes.');
    expect(result.stdout).not.toContain('needed by no endpoint');
  });
});

describe('scopes check --format github', () => {
  it('writes one ::error per unsatisfied endpoint, a ::warning for unused scopes and a summary, exactly', async () => {
    await write('scopes.manifest.json', { endpoints: [...manifest.endpoints, { method: 'GET', path: '/v1/usage', scopes: ['usage:read'] }] });
    const result = await run(['check', '--manifest', 'scopes.manifest.json', '--token', tokenWith('usage:read analyze:write'), '--format', 'github']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      [
        '::error file=scopes.manifest.json,title=Missing scope::GET /v1/videos needs videos:read',
        '::error file=scopes.manifest.json,title=Missing scope::POST /v1/videos/{id}/export needs export:write',
        '::error file=scopes.manifest.json,title=Missing scope::GET /v1/jobs/{id} needs jobs:read (accepted: jobs:read or admin)',
        '::warning file=scopes.manifest.json,title=Unused scope::Granted but needed by no endpoint: analyze:write',
        'scopes check: 3 of 4 endpoints not satisfied; 1 granted scope unused',
        '',
      ].join('\n'),
    );
    expect(result.stderr).toBe('');
  });

  it('makes unused scopes an ::error with --fail-on-unused, and exits 1 though every endpoint is satisfied', async () => {
    await write('api/scopes.manifest.json', manifest);
    const result = await run(['check', '--manifest', 'api/scopes.manifest.json', '--token', tokenWith('videos:read export:write jobs:read a b'), '--format', 'github', '--fail-on-unused']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      [
        '::error file=api/scopes.manifest.json,title=Unused scope::Granted but needed by no endpoint: a b',
        'scopes check: all 3 endpoints satisfied; 2 granted scopes unused',
        '',
      ].join('\n'),
    );
  });

  it('prints only the summary when all is well', async () => {
    await write('scopes.manifest.json', manifest);
    const result = await run(['check', '--token', tokenWith('videos:read export:write jobs:read'), '--format', 'github']);
    expect(result).toMatchObject({ code: 0, stdout: 'scopes check: all 3 endpoints satisfied\n' });
  });

  it('escapes %, CR, LF, ":" and "," in properties and %, CR, LF in messages, as GitHub requires', async () => {
    // A path holding "%" and a file name holding ":", "," and "%": a workflow command must not be cut or forged by them.
    await write('odd, name: 100%.json', { endpoints: [{ method: 'GET', path: '/v1/100%/a,b:c', scopes: ['x:y'] }] });
    const result = await run(['check', '--manifest', 'odd, name: 100%.json', '--token', tokenWith(''), '--format', 'github']);
    expect(result.stdout.split('\n')[0]).toBe('::error file=odd%2C name%3A 100%25.json,title=Missing scope::GET /v1/100%25/a,b:c needs x:y');
  });

  it('names the document relative to the working folder, as annotations need', async () => {
    const path = await write('config/scopes.manifest.json', manifest);
    const result = await run(['check', '--manifest', path, '--token', tokenWith('videos:read jobs:read'), '--format', 'github']);
    expect(result.stdout).toContain('::error file=config/scopes.manifest.json,title=Missing scope::POST /v1/videos/{id}/export needs export:write');
  });

  it('gives way to --json', async () => {
    const path = await write('scopes.manifest.json', manifest);
    const result = await run(['check', '--manifest', path, '--token', tokenWith('videos:read'), '--format', 'github', '--json']);
    expect(JSON.parse(result.stdout).ok).toBe(false);
  });

  it('rejects another format with exit 2', async () => {
    const result = await run(['check', '--format', 'junit']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('junit');
  });
});

describe('scopes check: the document', () => {
  it("reads the profile's manifest", async () => {
    await write('api/scopes.yaml', 'endpoints:\n  - { method: GET, path: /v1/videos, scopes: [videos:read] }\n');
    await write('scopes.config.json', { profiles: { default: { manifest: 'api/scopes.yaml' } } });
    const result = await run(['check', '--token', tokenWith('videos:read'), '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).document).toBe(join(home, 'api', 'scopes.yaml'));
  });

  it("reads a profile's manifest that is an OpenAPI document", async () => {
    await write('openapi.json', {
      openapi: '3.0.3',
      info: { title: 't', version: '1' },
      paths: { '/v1/videos': { get: { security: [{ oauth: ['videos:read'] }], responses: { 200: { description: 'ok' } } } } },
      components: { securitySchemes: { oauth: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://a.example/token', scopes: { 'videos:read': 'read' } } } } } },
    });
    await write('scopes.config.json', { profiles: { default: { manifest: 'openapi.json' } } });
    const result = await run(['check', '--token', tokenWith('videos:read'), '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).endpoints).toEqual([expect.objectContaining({ method: 'GET', path: '/v1/videos', satisfied: true })]);
  });

  it.each(['scopes.manifest.json', 'scopes.manifest.yaml'])('finds ./%s in the working folder', async (name) => {
    await write(name, name.endsWith('.json') ? manifest : 'endpoints:\n  - method: GET\n    path: /v1/videos\n    scopes: [videos:read]\n');
    const result = await run(['check', '--token', tokenWith('videos:read export:write jobs:read'), '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).document).toBe(join(home, name));
  });

  it('checks every operation of an OpenAPI document (security: [] needs nothing, alternatives, per-operation overrides)', async () => {
    const result = await run(['check', '--openapi', join(process.cwd(), 'examples', 'openapi.yaml'), '--token', tokenWith('tasks:read admin'), '--json']);
    const json = JSON.parse(result.stdout);
    const verdicts = Object.fromEntries(json.endpoints.map((e: { method: string; path: string; satisfied: boolean }) => [`${e.method} ${e.path}`, e.satisfied]));
    expect(verdicts).toMatchObject({
      'GET /status': true,
      'GET /projects': true,
      'POST /projects': false,
      'GET /projects/{projectId}/tasks': true,
      'POST /projects/{projectId}/tasks': false,
      'DELETE /tasks/{taskId}': true,
      'GET /reports/weekly': false,
    });
    expect(result.code).toBe(1);
  });

  it.each([
    { description: 'both --manifest and --openapi', setup: {}, args: ['--manifest', 'a.json', '--openapi', 'b.yaml'], message: 'Give one of --manifest, --openapi or --discovery, not several.' },
    { description: 'no document anywhere, naming the flags', setup: {}, args: [], message: '--manifest FILE, --openapi FILE or --discovery FILE' },
    { description: 'a missing --manifest, naming it', setup: {}, args: ['--manifest', 'missing.json'], message: `Cannot read the manifest ${join('HOME', 'missing.json')}: no such file.` },
    { description: 'a missing --openapi, naming it', setup: {}, args: ['--openapi', 'missing.yaml'], message: `Cannot read the OpenAPI document ${join('HOME', 'missing.yaml')}: no such file.` },
    { description: "a missing profile manifest, naming it", setup: { 'scopes.config.json': { profiles: { default: { manifest: 'gone.json' } } } }, args: [], message: join('HOME', 'gone.json') },
    { description: 'a folder given as the manifest', setup: { 'folder/x.json': {} }, args: ['--manifest', 'folder'], message: `Cannot read the manifest ${join('HOME', 'folder')}` },
    { description: 'broken JSON, with line and column', setup: { 'bad.json': '{\n  "endpoints": [\n    { "method": "GET", }\n  ]\n}' }, args: ['--manifest', 'bad.json'], message: `${join('HOME', 'bad.json')}:3:` },
    { description: 'an invalid endpoint, with line, column and what was expected', setup: { 'bad.yaml': 'endpoints:\n  - method: GET\n    path: v1/videos\n    scopes: [videos:read]\n' }, args: ['--manifest', 'bad.yaml'], message: `${join('HOME', 'bad.yaml')}:3:11: endpoints[0].path` },
    {
      description: 'an OpenAPI operation naming an undeclared security scheme',
      setup: {
        'openapi.yaml':
          'openapi: 3.1.0\ninfo: { title: t, version: "1" }\npaths:\n  /a:\n    get:\n      security: [{ nope: [] }]\n      responses: { "200": { description: ok } }\ncomponents:\n  securitySchemes:\n    oauth: { type: oauth2, flows: { clientCredentials: { tokenUrl: "https://a.example/t", scopes: { yes: y } } } }\n',
      },
      args: ['--openapi', 'openapi.yaml'],
      message: `${join('HOME', 'openapi.yaml')}:6:`,
    },
  ])('exits 2 for $description, without a stack trace', async ({ setup, args, message }) => {
    for (const [name, content] of Object.entries(setup)) await write(name, content);
    const result = await run(['check', ...args, '--token', tokenWith('a')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message.replace('HOME', home));
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a broken document as one JSON error document with --json', async () => {
    await write('bad.json', '{');
    const result = await run(['check', '--manifest', 'bad.json', '--token', tokenWith('a'), '--json']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { exitCode: 2, message: expect.stringContaining(join(home, 'bad.json')) } });
  });
});

describe('scopes check: the token', () => {
  beforeEach(async () => {
    await write('scopes.manifest.json', manifest);
  });

  it('reads SCOPES_TOKEN', async () => {
    const result = await run(['check', '--json'], { env: { SCOPES_TOKEN: tokenWith('videos:read export:write jobs:read') } });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ source: 'jwt', granted: ['videos:read', 'export:write', 'jobs:read'] });
  });

  it('prefers --token to SCOPES_TOKEN, and reads it from stdin with -', async () => {
    const result = await run(['check', '--token', '-', '--json'], { stdin: `Bearer ${tokenWith('videos:read')}\n`, env: { SCOPES_TOKEN: tokenWith('videos:read export:write jobs:read') } });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).granted).toEqual(['videos:read']);
  });

  it.each([
    { description: 'Okta scp array', claims: { scp: ['videos:read', 'export:write', 'jobs:read'] } },
    { description: 'Entra scp string', claims: { scp: 'videos:read export:write jobs:read' } },
  ])('reads the granted scopes of $description', async ({ claims }) => {
    const result = await run(['check', '--token', jwt({ ...claims, exp: 4102444800 })]);
    expect(result.code, result.stdout).toBe(0);
  });

  it('uses the stored session and its token response for an opaque token', async () => {
    await write('scopes.config.json', { profiles: { default: { issuer: 'https://auth.example.com', clientId: 'abc' } } });
    const env = baseEnv();
    await new FileSecretStore(stateDir(env)).write(
      { profile: 'default', issuer: 'https://auth.example.com', clientId: 'abc' },
      { accessToken: 'opaque-access-token-0123456789', scope: ['videos:read', 'jobs:read'], expiresAt: 4102444800, tokenType: 'Bearer' },
    );
    const result = await run(['check', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ source: 'token-response', granted: ['videos:read', 'jobs:read'] });
    expect(result.stdout).not.toContain('opaque-access-token');
  });

  it("asks the profile's introspection endpoint about an opaque token (RFC 7662)", async () => {
    await write('scopes.config.json', {
      profiles: { default: { tokenEndpoint: 'https://auth.example.com/token', introspectionEndpoint: 'https://auth.example.com/introspect', clientId: 'rs', clientSecretEnv: 'RS_SECRET' } },
    });
    const asked: { url: string; body: string }[] = [];
    const fakeFetch: typeof fetch = async (input, init) => {
      asked.push({ url: String(input instanceof Request ? input.url : input), body: String(init?.body ?? '') });
      return Response.json({ active: true, scope: 'videos:read export:write jobs:read', client_id: 'ci' });
    };
    const result = await run(['check', '--token', 'opaque-0123456789', '--json'], { fetch: fakeFetch, env: { RS_SECRET: 's3cret' } });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ source: 'introspection', granted: ['videos:read', 'export:write', 'jobs:read'] });
    expect(asked).toHaveLength(1);
    expect(asked[0]!.url).toBe('https://auth.example.com/introspect');
    expect(new URLSearchParams(asked[0]!.body).get('token')).toBe('opaque-0123456789');
  });

  it('exits 3 when introspection says the token is not active', async () => {
    await write('scopes.config.json', {
      profiles: { default: { tokenEndpoint: 'https://auth.example.com/token', introspectionEndpoint: 'https://auth.example.com/introspect', clientId: 'rs', clientSecretEnv: 'RS_SECRET' } },
    });
    const result = await run(['check', '--token', 'opaque-0123456789'], { fetch: async () => Response.json({ active: false }), env: { RS_SECRET: 's' } });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('not active');
  });

  it.each([
    { description: 'an opaque token and no introspection endpoint', token: 'opaque-0123456789' },
    { description: 'a JWT without a scope claim', token: jwt({ sub: 'svc', exp: 4102444800 }) },
  ])('exits 2 rather than guess for $description', async ({ token }) => {
    const result = await run(['check', '--token', token]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Cannot tell which scopes the token holds');
    expect(result.stdout).toBe('');
  });

  it('exits 3 without any token, naming the login', async () => {
    const result = await run(['check']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('scopes login');
  });

  it('warns about an expired token but still judges its scopes', async () => {
    const result = await run(['check', '--token', jwt({ scope: 'videos:read export:write jobs:read', exp: 1_000_000_000 })]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('expired');
  });

  it('never prints the token', async () => {
    const token = tokenWith('videos:read');
    for (const format of [['--json'], ['--format', 'github'], []]) {
      const result = await run(['check', '--token', token, ...format]);
      expect(`${result.stdout}${result.stderr}`).not.toContain(token);
    }
  });
});

describe('scopes check (the binary)', () => {
  it('gates a build: exit 1 and annotations for a missing scope, exit 0 once granted', async () => {
    const box = await createSandbox();
    try {
      await writeFile(join(box.home, 'scopes.manifest.json'), JSON.stringify(manifest));
      const failing = await box.run(['check', '--manifest', 'scopes.manifest.json', '--format', 'github'], { env: { SCOPES_TOKEN: tokenWith('videos:read jobs:read') } });
      expect(failing.code, failing.stderr).toBe(1);
      expect(failing.stdout).toBe(
        '::error file=scopes.manifest.json,title=Missing scope::POST /v1/videos/{id}/export needs export:write\nscopes check: 1 of 3 endpoints not satisfied\n',
      );
      const passing = await box.run(['check', '--json'], { env: { SCOPES_TOKEN: tokenWith('videos:read export:write admin') } });
      expect(passing.code, passing.stderr).toBe(0);
      expect(JSON.parse(passing.stdout)).toMatchObject({ ok: true, unused: [] });
    } finally {
      await box.cleanup();
    }
  });

  it('exits 2 naming the file for a broken manifest, with no stack trace', async () => {
    const box = await createSandbox();
    try {
      await writeFile(join(box.home, 'scopes.manifest.yaml'), 'endpoints:\n  - method: GET\n    path: /x\n    anyOf: [[a], [3]]\n');
      const result = await box.run(['check', '--manifest', 'scopes.manifest.yaml', '--token', tokenWith('a')]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${join(box.home, 'scopes.manifest.yaml')}:4:`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      const missing = await box.run(['check', '--openapi', 'nope.yaml', '--token', tokenWith('a')]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(`${join(box.home, 'nope.yaml')}: no such file`);
    } finally {
      await box.cleanup();
    }
  });
});
