/** diff, check and minimal in process: hand-made tokens of real providers' shapes, manifests, OpenAPI documents. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { writeSessionState } from '../../src/io/state.js';
import { testDeps } from '../support/deps.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'scopes-cmd-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const env = () => ({ HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), SCOPES_STORAGE: 'file' });

async function run(argv: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  const deps = testDeps({ env: { ...env(), ...options.env }, cwd: home, stdin: options.stdin });
  const code = await main(argv, deps);
  return { code, stdout: deps.stdout(), stderr: deps.stderr() };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'RS256', typ: 'at+jwt', kid: 'k' })}.${b64(claims)}.c2lnbmF0dXJl`;

const okta = jwt({ iss: 'https://dev-1.okta.com/oauth2/default', scp: ['okta.users.read', 'okta.groups.read'], exp: 4102444800 });
const entra = jwt({ iss: 'https://login.microsoftonline.com/t/v2.0', scp: 'user.read Mail.ReadWrite', roles: ['Reports.Read.All'], exp: 4102444800 });
// GitHub tokens are opaque; a JWT with GitHub's scope names exercises the preset (comma lists are the token response's dialect, not a JWT's).
const githubShaped = jwt({ scope: 'user repo', exp: 4102444800 });
const laserfiche = jwt({ scope: 'repository.ReadWrite table.Read', exp: 4102444800 });
const noScope = jwt({ sub: 'svc', exp: 4102444800 });

describe('scopes diff', () => {
  it.each([
    { description: 'Okta scp array, all granted', token: okta, args: ['--requested', 'okta.users.read'], code: 0, notGranted: [] },
    { description: 'Okta scp array, one missing', token: okta, args: ['--requested', 'okta.users.read okta.apps.read'], code: 1, notGranted: ['okta.apps.read'] },
    { description: 'Entra without the preset (D4: case matters)', token: entra, args: ['--requested', 'https://graph.microsoft.com/User.Read'], code: 1, notGranted: ['https://graph.microsoft.com/User.Read'] },
    { description: 'Entra with the preset (prefix and case; ReadWrite covers Read)', token: entra, args: ['--requested', 'https://graph.microsoft.com/User.Read Mail.Read', '--preset', 'entra'], code: 0, notGranted: [] },
    { description: 'GitHub hierarchy (D5)', token: githubShaped, args: ['--requested', 'user:email repo:status', '--preset', 'github'], code: 0, notGranted: [] },
    { description: 'GitHub: repo does not cover workflow', token: githubShaped, args: ['--requested', 'workflow', '--preset', 'github'], code: 1, notGranted: ['workflow'] },
    { description: 'Laserfiche path rights', token: laserfiche, args: ['--requested', 'repository/Repositories/r-1/Entries/1.Read table.Read', '--preset', 'path-rights'], code: 0, notGranted: [] },
    { description: 'an --implies rule', token: jwt({ scope: 'videos:write' }), args: ['--requested', 'videos:read', '--implies', 'videos:write=videos:read'], code: 0, notGranted: [] },
  ])('$description', async ({ token, args, code, notGranted }) => {
    const result = await run(['diff', '--token', token, '--json', ...args]);
    expect(result.code, result.stderr).toBe(code);
    const json = JSON.parse(result.stdout);
    expect(json.notGranted).toEqual(notGranted);
    expect(json.source).toBe('jwt');
    expect(result.stdout).not.toContain(token);
  });

  it('names the broader scope that covers a requested one', async () => {
    const result = await run(['diff', '--token', githubShaped, '--requested', 'user:email', '--preset', 'github', '--json']);
    expect(JSON.parse(result.stdout).impliedBy).toEqual({ 'user:email': 'user' });
    const human = await run(['diff', '--token', githubShaped, '--requested', 'user:email', '--preset', 'github']);
    expect(human.stdout).toMatch(/implied\s+user:email\s+\(by user\)/);
  });

  it('reads the token from stdin with -', async () => {
    const result = await run(['diff', '--token', '-', '--requested', 'okta.users.read', '--json'], { stdin: `Bearer ${okta}\n` });
    expect(result.code).toBe(0);
  });

  it('says a JWT without a scope claim carries none', async () => {
    const result = await run(['diff', '--token', noScope, '--requested', 'a']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('carries no scope claim');
  });

  it('refuses an opaque token it cannot look into, naming where its scopes are', async () => {
    const result = await run(['diff', '--token', 'gho_16C7e42F292c6912E7710c838347Ae178B4a', '--requested', 'repo']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('opaque (GitHub');
    expect(result.stderr).toContain('X-OAuth-Scopes');
  });

  it('compares with the last login, evidence included, and exits 3 without one', async () => {
    expect((await run(['diff'])).code).toBe(3);
    await writeSessionState(join(home, 'state', 'scopes'), {
      profile: 'default',
      issuer: 'https://auth.example.com',
      clientId: 'abc',
      storage: 'file',
      requested: ['openid', 'offline_access', 'videos:read', 'export:write'],
      granted: ['videos:read'],
      grantedAssumed: false,
      evidenced: { openid: 'id_token', offline_access: 'refresh_token' },
      refreshToken: true,
      lastLogin: new Date().toISOString(),
    });
    const result = await run(['diff', '--json']);
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ notGranted: ['export:write'], source: 'token-response', evidenced: { openid: 'id_token', offline_access: 'refresh_token' } });
    const human = await run(['diff']);
    expect(human.stdout.trimEnd().split('\n').at(-1)).toBe('To fix: scopes login --add-scope "export:write"');
    expect(human.stderr).not.toContain('error:');
  });
});

const manifest = {
  api: 'https://api.example.com',
  implies: { 'videos:write': ['videos:read'] },
  endpoints: [
    { method: 'GET', path: '/v1/videos', scopes: ['videos:read'] },
    { method: 'POST', path: '/v1/videos/{id}/export', scopes: ['export:write'] },
    { method: 'GET', path: '/v1/jobs/{id}', anyOf: [['jobs:read'], ['admin']], probe: '/v1/jobs/7' },
  ],
};

async function writeManifest(content: unknown = manifest, name = 'scopes.manifest.json'): Promise<string> {
  const path = join(home, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('scopes check', () => {
  it('passes when every endpoint is satisfied, through implication and alternatives', async () => {
    const path = await writeManifest();
    const token = jwt({ scope: 'videos:write export:write admin' });
    const result = await run(['check', '--manifest', path, '--token', token, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.ok).toBe(true);
    expect(json.endpoints.map((e: { satisfied: boolean }) => e.satisfied)).toEqual([true, true, true]);
    expect(json.endpoints[0].live).toBeNull();
    expect(json.unused).toEqual([]);
  });

  it('fails with exit 1 naming the missing scope, and finds the manifest in the working folder', async () => {
    await writeManifest();
    const result = await run(['check', '--token', jwt({ scope: 'videos:read jobs:read openid' })]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ POST \/v1\/videos\/\{id\}\/export\s+missing export:write/);
    expect(result.stdout).toContain('1 of 3 endpoints are not satisfied');
  });

  it('reports unused scopes, and --fail-on-unused fails on them (OpenID scopes never count)', async () => {
    const path = await writeManifest();
    const token = jwt({ scope: 'videos:read export:write jobs:read usage:read openid offline_access' });
    const lenient = await run(['check', '--manifest', path, '--token', token, '--json']);
    expect(lenient.code).toBe(0);
    expect(JSON.parse(lenient.stdout).unused).toEqual(['usage:read']);
    const strict = await run(['check', '--manifest', path, '--token', token, '--fail-on-unused']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('Granted but needed by no endpoint: usage:read');
  });

  it('writes GitHub Actions annotations with --format github', async () => {
    await writeManifest();
    const result = await run(['check', '--manifest', 'scopes.manifest.json', '--token', jwt({ scope: 'videos:read usage:read' }), '--format', 'github']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      [
        '::error file=scopes.manifest.json,title=Missing scope::POST /v1/videos/{id}/export needs export:write',
        '::error file=scopes.manifest.json,title=Missing scope::GET /v1/jobs/{id} needs jobs:read (accepted: jobs:read or admin)',
        '::warning file=scopes.manifest.json,title=Unused scope::Granted but needed by no endpoint: usage:read',
        'scopes check: 2 of 3 endpoints not satisfied; 1 granted scope unused',
        '',
      ].join('\n'),
    );
  });

  it('checks an OpenAPI document', async () => {
    const result = await run(['check', '--openapi', join(process.cwd(), 'examples', 'openapi.yaml'), '--token', jwt({ scope: 'nothing:useful' }), '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).endpoints.length).toBeGreaterThan(3);
  });

  it.each([
    { description: 'a missing file', args: ['--manifest', 'nope.json'], message: 'Cannot read the manifest' },
    { description: 'both documents', args: ['--manifest', 'a', '--openapi', 'b'], message: 'not several' },
    { description: 'no document at all', args: [], message: 'No scope document' },
  ])('exits 2 for $description', async ({ args, message }) => {
    const result = await run(['check', ...args, '--token', jwt({ scope: 'a' })]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('exits 2 naming file, line and column for a broken manifest', async () => {
    const path = await writeManifest('endpoints:\n  - method: FETCH\n    path: /x\n    scopes: [a]\n', 'scopes.manifest.yaml');
    const result = await run(['check', '--manifest', path, '--token', jwt({ scope: 'a' })]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/scopes\.manifest\.yaml:2:\d+: endpoints\[0\]\.method/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses to guess the scopes of an opaque token', async () => {
    const path = await writeManifest();
    const result = await run(['check', '--manifest', path, '--token', 'opaque-token-value-123']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Cannot tell which scopes the token holds');
  });
});

describe('scopes minimal', () => {
  it('prints one line ready for --scope, honouring implication and the first-listed alternative', async () => {
    const path = await writeManifest({ ...manifest, endpoints: [...manifest.endpoints, { method: 'POST', path: '/v1/videos/upload', scopes: ['videos:write'] }] });
    const result = await run(['minimal', '--manifest', path]);
    expect(result).toMatchObject({ code: 0, stdout: 'export:write jobs:read videos:write\n' });
  });

  it('takes endpoints as arguments, concrete paths matching templates', async () => {
    const path = await writeManifest();
    const result = await run(['minimal', '--manifest', path, 'GET /v1/videos', 'get /v1/jobs/42', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ scopes: ['jobs:read', 'videos:read'], exact: true });
  });

  it('exits 2 for an unknown endpoint, listing close ones', async () => {
    const path = await writeManifest();
    const result = await run(['minimal', '--manifest', path, 'DELETE /v1/videos']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('GET /v1/videos');
  });
});
