/** `scopes inspect` on hand-made tokens and on real ones from the test provider (--verify, --introspect). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { testDeps } from '../support/deps.js';
import { startTestProvider, type TestProvider } from '../support/provider.js';

let home: string;
let provider: TestProvider;
let opaqueProvider: TestProvider;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'scopes-inspect-'));
  provider = await startTestProvider();
  opaqueProvider = await startTestProvider({ accessTokenFormat: 'opaque' });
});
afterAll(async () => {
  await provider.close();
  await opaqueProvider.close();
  await rm(home, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({ HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), SCOPES_STORAGE: 'file', ...extra });

async function run(argv: string[], options: { stdin?: string; env?: Record<string, string>; now?: Date } = {}) {
  const deps = testDeps({ env: env(options.env), cwd: home, stdin: options.stdin, now: options.now });
  const code = await main(argv, deps);
  return { code, stdout: deps.stdout(), stderr: deps.stderr() };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'RS256', typ: 'at+jwt' }) => `${b64(header)}.${b64(claims)}.c2lnbmF0dXJl`;

async function ciToken(of: TestProvider, scope: string): Promise<string> {
  const config = await client.discovery(new URL(of.issuer), of.ciClient.clientId, undefined, client.ClientSecretPost(of.ciClient.clientSecret), { execute: [client.allowInsecureRequests] });
  return (await client.clientCredentialsGrant(config, { scope, resource: of.resource })).access_token;
}

describe('scopes inspect, offline', () => {
  const now = new Date('2026-11-22T12:00:00Z');
  const exp = Math.floor(now.getTime() / 1000) + 12 * 60;

  it.each([
    { description: 'Okta scp array', token: jwt({ iss: 'https://dev.okta.com', scp: ['a.read', 'b.read'], exp }), scopes: ['a.read', 'b.read'], claim: 'scp' },
    { description: 'Entra scp string with roles', token: jwt({ scp: 'User.Read Mail.Read', roles: ['Admin'], exp }), scopes: ['User.Read', 'Mail.Read'], claim: 'scp' },
    { description: 'RFC 9068 scope string', token: jwt({ scope: 'videos:read jobs:read', exp }), scopes: ['videos:read', 'jobs:read'], claim: 'scope' },
    { description: 'no scope claim (Laserfiche-style)', token: jwt({ sub: 'x', exp }), scopes: [], claim: null },
  ])('reads $description', async ({ token, scopes, claim }) => {
    const result = await run(['inspect', token, '--json'], { now });
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ format: 'jwt', scopes, scopeClaim: claim, expired: false, verified: null, introspection: null, expires: 'expires in 12 min' });
    expect(json.fingerprint).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(result.stdout).not.toContain(token);
  });

  it('shows times as ISO and relative, and says when a JWT carries no scope claim', async () => {
    const result = await run(['inspect', jwt({ iss: 'https://i.example', sub: 'x', exp: exp - 4 * 3600, iat: exp - 5 * 3600 })], { now });
    expect(result.code).toBe(0); // expired is reported, not an error
    expect(result.stdout).toMatch(/exp\s+2026-11-22T\d\d:\d\d:00\.000Z\s+expired 3 h ago/);
    expect(result.stdout).toContain('carries no scope claim');
    expect(result.stdout).toContain('some providers then grant full access');
  });

  it.each([
    { token: 'gho_16C7e42F292c6912E7710c838347Ae178B4a', says: 'GitHub OAuth app user access token' },
    { token: 'xoxb-1234-5678-abcdefghijkl', says: 'Slack' },
    { token: 'vdo_live_abcdef0123456789', says: 'bypasses scope checks entirely' },
    { token: 'vdo_oat_abcdef0123456789', says: '--introspect' },
  ])('names the opaque token $token', async ({ token, says }) => {
    const result = await run(['inspect', token]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('opaque');
    expect(result.stdout).toContain(says);
    expect(result.stdout).not.toContain(token);
  });

  it('reports a JWE as encrypted', async () => {
    const jwe = `${b64({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.a2V5.aXY.Y2lwaGVy.dGFn`;
    const json = JSON.parse((await run(['inspect', jwe, '--json'])).stdout);
    expect(json).toMatchObject({ format: 'jwe', header: { alg: 'RSA-OAEP', enc: 'A256GCM' }, scopes: [] });
  });

  it.each(['', 'hello world', 'eyJub3QganNvbg.eyJ4IjoxfQ.sig', '\u0000\u0001binary'])('exits 2 for %j, without a stack trace', async (input) => {
    const result = await run(['inspect', '-'], { stdin: input });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('not a token');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('prints the token only with --show-token, and reads stdin', async () => {
    const token = jwt({ scope: 'a', exp });
    const shown = await run(['inspect', '-', '--show-token', '--json'], { stdin: `${token}\n`, now });
    expect(JSON.parse(shown.stdout).token).toBe(token);
  });

  it('exits 3 with no session and no token', async () => {
    expect((await run(['inspect'])).code).toBe(3);
  });
});

describe('scopes inspect, against the real provider', () => {
  it('verifies a real access token and says whose keys did', async () => {
    const token = await ciToken(provider, 'videos:read');
    const result = await run(['inspect', token, '--verify', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ verified: true, verifiedBy: provider.issuer, scopes: ['videos:read'] });
    const human = await run(['inspect', token, '--verify']);
    expect(human.stdout).toContain(`verified     yes, with the keys of ${provider.issuer}`);
  });

  it('exits 3 for a tampered token', async () => {
    const [header, payload, signature] = (await ciToken(provider, 'videos:read')).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const tampered = `${header}.${b64({ ...claims, scope: 'videos:read admin' })}.${signature}`;
    const result = await run(['inspect', tampered, '--verify']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('did not verify');
    expect(result.stderr).toContain('signature');
  });

  it('exits 3 for an expired token with --verify, 0 without', async () => {
    const token = await ciToken(provider, 'videos:read');
    const later = new Date(Date.now() + 3600 * 1000);
    const verified = await run(['inspect', token, '--verify'], { now: later });
    expect(verified.code).toBe(3);
    expect(verified.stderr).toMatch(/exp|expired/);
    expect((await run(['inspect', token], { now: later })).code).toBe(0);
  });

  it('exits 3 when a pinned issuer is not the one that signed it', async () => {
    const token = await ciToken(provider, 'videos:read');
    const result = await run(['inspect', token, '--verify', '--issuer', opaqueProvider.issuer]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`with the keys of ${opaqueProvider.issuer}`);
  });

  it('introspects an opaque token with the profile client', async () => {
    const token = await ciToken(opaqueProvider, 'videos:read jobs:read');
    const config = join(home, 'introspect.config.json');
    await writeFile(config, JSON.stringify({ profiles: { default: { issuer: opaqueProvider.issuer, clientId: opaqueProvider.ciClient.clientId, clientSecretEnv: 'CI_SECRET' } } }));
    const result = await run(['inspect', token, '--introspect', '--config', config, '--json'], { env: { CI_SECRET: opaqueProvider.ciClient.clientSecret } });
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.format).toBe('opaque');
    expect(json.introspection).toMatchObject({ active: true, scope: 'videos:read jobs:read' });
    expect(result.stdout).not.toContain(token);
  });
});
