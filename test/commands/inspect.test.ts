/**
 * `scopes inspect` in process, offline: hand-made tokens of the shapes real providers issue, and what inspect refuses
 * before any request (test/e2e/inspect-verify.test.ts has --verify and --introspect against the real provider).
 * Every run also checks that the raw token never reaches stdout or stderr unless --show-token asked for it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSecretStore } from '../../src/io/store/file.js';
import { stateDir } from '../../src/io/paths.js';
import { main } from '../../src/main.js';
import { testDeps } from '../support/deps.js';

let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'scopes-inspect-cmd-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

const baseEnv = (): Record<string, string> => ({
  HOME: home,
  XDG_CONFIG_HOME: join(home, 'config'),
  XDG_STATE_HOME: join(home, 'state'),
  SCOPES_STORAGE: 'file',
});

interface RunOptions {
  stdin?: string;
  env?: Record<string, string>;
  now?: Date;
  tty?: boolean;
}

async function run(argv: string[], options: RunOptions = {}) {
  const deps = testDeps({ env: { ...baseEnv(), ...options.env }, cwd: home, stdin: options.stdin, now: options.now, tty: options.tty });
  const code = await main(argv, deps);
  return { code, stdout: deps.stdout(), stderr: deps.stderr() };
}

/** Runs inspect and asserts the secret never shows, which must hold for every run without --show-token. */
async function inspect(argv: string[], secret: string, options: RunOptions = {}) {
  const result = await run(['inspect', ...argv], options);
  expect(result.stdout).not.toContain(secret);
  expect(result.stderr).not.toContain(secret);
  return result;
}

/** stdout of a --json run must be exactly one JSON document. */
function oneDocument(stdout: string): Record<string, unknown> {
  expect(stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(stdout) as Record<string, unknown>;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'RS256', typ: 'at+jwt', kid: 'k1' }) =>
  `${b64(header)}.${b64(claims)}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`;

async function configFile(name: string, profile: Record<string, unknown>): Promise<string> {
  const path = join(home, `${name}.config.json`);
  await writeFile(path, JSON.stringify({ profiles: { default: profile } }));
  return path;
}

const now = new Date('2026-11-22T12:00:00Z');
const nowSeconds = Math.floor(now.getTime() / 1000);
const exp = nowSeconds + 12 * 60;

describe('scopes inspect: hand-made JWTs', () => {
  it.each([
    {
      description: 'Okta: scp as an array',
      input: jwt({ iss: 'https://dev-1.okta.com/oauth2/default', aud: 'api://default', scp: ['orders.read', 'orders.write'], exp }),
      expected: { scopes: ['orders.read', 'orders.write'], scopeClaim: 'scp', roles: [] },
    },
    {
      description: 'Entra: scp as a string, with roles',
      input: jwt({ iss: 'https://login.microsoftonline.com/t/v2.0', scp: 'User.Read Mail.Read', roles: ['Tasks.Admin'], exp }),
      expected: { scopes: ['User.Read', 'Mail.Read'], scopeClaim: 'scp', roles: ['Tasks.Admin'] },
    },
    {
      description: 'Entra app-only: roles stand in for scopes',
      input: jwt({ iss: 'https://login.microsoftonline.com/t/v2.0', roles: ['Mail.Read.All'], exp }),
      expected: { scopes: ['Mail.Read.All'], scopeClaim: 'roles', roles: ['Mail.Read.All'] },
    },
    {
      description: 'RFC 9068: scope as a string',
      input: jwt({ iss: 'https://as.example', scope: 'videos:read jobs:read', exp }),
      expected: { scopes: ['videos:read', 'jobs:read'], scopeClaim: 'scope', roles: [] },
    },
    {
      description: 'Laserfiche v1-style: no scope claim at all',
      input: jwt({ iss: 'https://signin.laserfiche.com', sub: 'u1', exp }),
      expected: { scopes: [], scopeClaim: null, roles: [] },
    },
  ])('--json reads $description', async ({ input, expected }) => {
    const result = await inspect([input, '--json'], input, { now });
    expect(result.code, result.stderr).toBe(0);
    const json = oneDocument(result.stdout);
    expect(json).toMatchObject({
      format: 'jwt',
      ...expected,
      expiresAt: new Date(exp * 1000).toISOString(),
      expired: false,
      verified: null,
      introspection: null,
      expires: 'expires in 12 min',
    });
    expect(json.header).toMatchObject({ alg: 'RS256', kid: 'k1' });
    expect(json.fingerprint).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(json).not.toHaveProperty('token');
  });

  it('shows issuer, audience, scopes with their claim, times as ISO and relative, and the header', async () => {
    const token = jwt({
      iss: 'https://dev-1.okta.com',
      aud: ['api://a', 'api://b'],
      scp: ['a.read'],
      exp,
      iat: nowSeconds - 60,
      nbf: nowSeconds - 60,
      auth_time: nowSeconds - 2 * 3600,
      cid: 'client-1',
    });
    const { code, stdout } = await inspect([token], token, { now });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^token\n/);
    expect(stdout).toMatch(/ {2}format {7}JWT \(RS256, typ at\+jwt\)/);
    expect(stdout).toMatch(/issuer\s+https:\/\/dev-1\.okta\.com/);
    expect(stdout).toMatch(/audience\s+api:\/\/a api:\/\/b/);
    expect(stdout).toMatch(/scopes\s+a\.read \(from "scp"\)/);
    expect(stdout).toMatch(/exp\s+2026-11-22T12:12:00\.000Z\s+expires in 12 min/);
    expect(stdout).toMatch(/iat\s+2026-11-22T11:59:00\.000Z\s+1 min ago/);
    expect(stdout).toMatch(/nbf\s+2026-11-22T11:59:00\.000Z/);
    expect(stdout).toMatch(/auth_time\s+2026-11-22T10:00:00\.000Z\s+2 h ago/);
    expect(stdout).toMatch(/header\s+\{"alg":"RS256"/);
    // Every claim, not only those without a row of their own above.
    expect(stdout).toContain(`claims       {"iss":"https://dev-1.okta.com","aud":["api://a","api://b"],"scp":["a.read"],"exp":${exp},`);
    expect(stdout).toMatch(/"cid":"client-1"\}\n/);
    expect(stdout).toMatch(/fingerprint\s+sha256:[0-9a-f]{12}/);
    // Rows line up: every value starts in the same column, after the two-space indent and the padded name.
    const rows = stdout.split('\n').filter((line) => /^ {2}[a-z_]+ +\S/.test(line));
    expect(rows.length).toBeGreaterThanOrEqual(10);
    expect(new Set(rows.map((line) => /^ {2}\S+ +/.exec(line)![0].length))).toEqual(new Set([15]));
  });

  it('recognises a pasted id token by its nonce / at_hash and does not call it a token without scopes', async () => {
    // Shape of a Google id token (https://developers.google.com/identity/openid-connect/openid-connect#an-id-tokens-payload).
    const idToken = jwt({ iss: 'https://accounts.google.com', azp: '1234.apps.googleusercontent.com', aud: '1234.apps.googleusercontent.com', sub: '10769150350006150715113082367', at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q', email: 'jsmith@example.com', nonce: 'n-0S6_WzA2Mj', iat: nowSeconds - 60, exp }, { alg: 'RS256', kid: 'k1' });
    const { code, stdout } = await inspect([idToken], idToken, { now });
    expect(code).toBe(0);
    expect(stdout).toMatch(/scopes\s+none, as for every id token/);
    expect(stdout).not.toContain('some providers then grant full access');
  });

  it('says when a JWT carries no scope claim, and that some providers then grant full access', async () => {
    const token = jwt({ iss: 'https://signin.laserfiche.com', sub: 'u1', exp });
    const { code, stdout } = await inspect([token], token, { now });
    expect(code).toBe(0);
    expect(stdout).toContain('carries no scope claim');
    expect(stdout).toContain('some providers then grant full access');
  });

  it('reports an expired token, exit 0 without --verify', async () => {
    const token = jwt({ iss: 'https://as.example', scope: 'a', exp: nowSeconds - 3 * 3600 - 30 });
    const human = await inspect([token], token, { now });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/exp\s+2026-11-22T08:59:30\.000Z\s+expired 3 h ago/);
    const json = oneDocument((await inspect([token, '--json'], token, { now })).stdout);
    expect(json).toMatchObject({ expired: true, expires: 'expired 3 h ago', expiresAt: '2026-11-22T08:59:30.000Z' });
  });

  it('gives expiresAt null when there is no exp, and says so for an invalid one', async () => {
    const noExp = jwt({ scope: 'a' });
    expect(oneDocument((await inspect([noExp, '--json'], noExp, { now })).stdout)).toMatchObject({ expiresAt: null, expired: false });
    const msExp = jwt({ scope: 'a', exp: 1e15 });
    const result = await inspect([msExp], msExp, { now });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/exp\s+invalid time/);
  });
});

describe('scopes inspect: JWE and opaque tokens', () => {
  it('says a JWE is encrypted and shows its header', async () => {
    const jwe = `${b64({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'enc-1' })}.a2V5.aXZpdg.Y2lwaGVydGV4dA.dGFn`;
    const human = await inspect([jwe], jwe);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('encrypted');
    expect(human.stdout).toMatch(/header\s+\{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"enc-1"\}/);
    const json = oneDocument((await inspect([jwe, '--json'], jwe)).stdout);
    expect(json).toMatchObject({ format: 'jwe', header: { alg: 'RSA-OAEP-256', enc: 'A256GCM' }, claims: {}, scopes: [], expiresAt: null });
  });

  it.each([
    { description: 'GitHub OAuth app token', input: 'gho_16C7e42F292c6912E7710c838347Ae178B4a', expected: ['GitHub OAuth app user access token', 'X-OAuth-Scopes'], absent: ['--introspect'] },
    // GitHub offers no RFC 7662 endpoint: a --introspect hint could not work.
    { description: 'GitHub classic PAT', input: 'ghp_16C7e42F292c6912E7710c838347Ae178B4a', expected: ['personal access token (classic)'], absent: ['--introspect'] },
    { description: 'Slack bot token', input: 'xoxb-1234-5678-abcdefghijkl', expected: ['Slack bot token'] },
    { description: 'video API OAuth token', input: 'vdo_oat_abcdef0123456789', expected: ['video API OAuth access token', '--introspect'] },
    { description: 'video API key', input: 'vdo_live_abcdef0123456789', expected: ['warning:', 'bypasses scope checks entirely'] },
    { description: 'unknown prefix', input: 'Zm9vYmFyYmF6cXV4cXV1eA', expected: ['no well-known prefix', '--introspect (RFC 7662)'] },
  ])('names the opaque $description', async ({ input, expected, absent }: { input: string; expected: string[]; absent?: string[] }) => {
    const { code, stdout } = await inspect([input], input);
    expect(code).toBe(0);
    expect(stdout).toMatch(/format\s+opaque/);
    for (const text of expected) expect(stdout).toContain(text);
    for (const text of absent ?? []) expect(stdout).not.toContain(text);
  });

  it('gives the opaque kind in --json', async () => {
    const token = 'vdo_live_abcdef0123456789';
    const json = oneDocument((await inspect([token, '--json'], token)).stdout);
    expect(json).toMatchObject({ format: 'opaque', header: {}, claims: {}, scopes: [], verified: null, introspection: null });
    expect(json.kind).toMatchObject({ prefix: 'vdo_live_', bypassesScopes: true });
  });
});

describe('scopes inspect: input and output', () => {
  it.each([
    { description: 'empty input', input: '' },
    { description: 'prose', input: 'hello world' },
    { description: 'a damaged JWT', input: 'eyJub3QganNvbg.eyJ4IjoxfQ.sig' },
    { description: 'a JWT with a segment missing', input: `${b64({ alg: 'RS256' })}.${b64({ a: 1 })}` },
    { description: 'binary', input: '\u0000\u0001\u0002binary' },
    { description: 'too short', input: 'abc' },
  ])('exits 2 for $description, without a stack trace', async ({ input }) => {
    const result = await run(['inspect', '-'], { stdin: input });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('not a token');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const json = await run(['inspect', '-', '--json'], { stdin: input });
    expect(json.code).toBe(2);
    expect(oneDocument(json.stdout)).toMatchObject({ error: { code: 'not_a_token', exitCode: 2 } });
  });

  it('reads stdin with `-`, trimming the newline and a Bearer prefix', async () => {
    const token = jwt({ scope: 'a b', exp });
    const fromArgument = oneDocument((await inspect([token, '--json'], token, { now })).stdout);
    const fromStdin = oneDocument((await inspect(['-', '--json'], token, { now, stdin: `Bearer ${token}\n` })).stdout);
    expect(fromStdin).toEqual(fromArgument);
    expect(fromStdin.scopes).toEqual(['a', 'b']);
  });

  it('prints the token only with --show-token', async () => {
    const token = jwt({ scope: 'a', exp });
    const json = await run(['inspect', token, '--show-token', '--json'], { now });
    expect(oneDocument(json.stdout).token).toBe(token);
    const human = await run(['inspect', '-', '--show-token'], { now, stdin: token });
    expect(human.stdout).toMatch(new RegExp(`token\\s+${token.replace(/[.]/g, '\\.')}`));
  });

  it('colours only a stream that wants colour', async () => {
    const token = jwt({ sub: 'x', exp: nowSeconds - 60 });
    expect((await inspect([token], token, { now, tty: true })).stdout).toContain('\u001b[');
    expect((await inspect([token], token, { now, tty: false })).stdout).not.toContain('\u001b[');
    expect((await inspect([token], token, { now, tty: true, env: { NO_COLOR: '1' } })).stdout).not.toContain('\u001b[');
  });

  it('uses SCOPES_TOKEN when no token is given', async () => {
    const token = jwt({ scope: 'from:env', exp });
    const result = await inspect([], token, { now, env: { SCOPES_TOKEN: token } });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^SCOPES_TOKEN\n/);
    expect(result.stdout).toContain('from:env');
  });

  it('exits 3 without a token and without a session', async () => {
    const result = await run(['inspect']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('No session');
    const config = await configFile('nosession', { issuer: 'http://127.0.0.1:9/nowhere', clientId: 'c1' });
    expect((await run(['inspect', '--config', config])).code).toBe(3);
  });

  it("shows the profile's stored access token and id token, without refreshing", async () => {
    const issuer = 'http://127.0.0.1:9/stored';
    const config = await configFile('stored', { issuer, clientId: 'cli-1' });
    const accessToken = jwt({ iss: issuer, aud: 'https://api.example', scope: 'videos:read', exp: nowSeconds - 60 });
    const idToken = jwt({ iss: issuer, aud: 'cli-1', sub: 'alice', email: 'alice@example.test', exp }, { alg: 'RS256', kid: 'k1' });
    const env = { ...baseEnv(), XDG_STATE_HOME: join(home, 'stored-state') };
    await new FileSecretStore(stateDir(env)).write({ profile: 'default', issuer, clientId: 'cli-1' }, { accessToken, idToken, refreshToken: 'rt-never-used-here' });

    const human = await run(['inspect', '--config', config], { now, env });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^access token\n/);
    expect(human.stdout).toMatch(/\n\nid token\n/);
    expect(human.stdout).toContain('expired 1 min ago');
    // An id token never carries scopes: that is what it is, not a warning about a token "without scopes".
    const idBlock = human.stdout.slice(human.stdout.indexOf('\n\nid token\n'));
    expect(idBlock).toMatch(/scopes\s+none, as for every id token: it says who logged in, the access token carries the scopes/);
    expect(idBlock).not.toContain('carries no scope claim');
    expect(idBlock).toContain('claims       {"iss":"http://127.0.0.1:9/stored","aud":"cli-1","sub":"alice","email":"alice@example.test"');
    for (const secret of [accessToken, idToken, 'rt-never-used-here']) {
      expect(human.stdout + human.stderr).not.toContain(secret);
    }

    const json = oneDocument((await run(['inspect', '--config', config, '--json'], { now, env })).stdout);
    expect(json).toMatchObject({ format: 'jwt', scopes: ['videos:read'], expired: true });
    expect(json.idToken).toMatchObject({ format: 'jwt', claims: { sub: 'alice', aud: 'cli-1' }, scopeClaim: null, expired: false });
  });
});

describe('scopes inspect: what it refuses to send or fetch', () => {
  it('exits 2 for --verify on a token that names no issuer when none is pinned', async () => {
    const token = jwt({ scope: 'a', exp });
    const result = await inspect([token, '--verify'], token, { now });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--issuer');
  });

  it.each([
    { description: 'a plain-http issuer elsewhere than loopback', input: ['--issuer', 'http://as.example.com'], expected: 'must use https' },
    { description: 'an issuer that is not a URL', input: ['--issuer', 'not a url'], expected: 'not a valid URL' },
  ])('exits 2 for --verify against $description, before any request', async ({ input, expected }) => {
    const token = jwt({ iss: 'https://as.example.com', scope: 'a', exp });
    const result = await inspect([token, '--verify', ...input], token, { now });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(expected);
  });

  it("exits 2 when the profile's jwksUri is plain http elsewhere than loopback", async () => {
    const issuer = 'https://as.example.com';
    const config = await configFile('http-jwks', { issuer, clientId: 'c1', jwksUri: 'http://keys.example.com/jwks' });
    const token = jwt({ iss: issuer, scope: 'a', exp });
    const result = await inspect([token, '--verify', '--config', config], token, { now });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("The profile's jwksUri must use https");
  });

  it("does not send a token to the profile's server when it names another issuer", async () => {
    const config = await configFile('other-issuer', { issuer: 'http://127.0.0.1:9/profile-issuer', clientId: 'c1' });
    const token = jwt({ iss: 'https://login.example.org', scope: 'a', exp });
    for (const flag of ['--introspect', '--userinfo']) {
      const result = await inspect([token, flag, '--config', config], token, { now });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('issued by https://login.example.org');
      expect(result.stderr).toContain('not sent there');
    }
  });

  it('exits 2 for --introspect without a profile that names a server', async () => {
    const token = 'vdo_oat_abcdef0123456789';
    const result = await inspect([token, '--introspect'], token);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--introspect');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('warns that --issuer without --verify changes nothing', async () => {
    const token = jwt({ scope: 'a', exp });
    const result = await inspect([token, '--issuer', 'https://as.example.com'], token, { now });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('without --verify');
  });
});

describe('scopes inspect: what the scopes mean, from the provider catalogue', () => {
  it('explains the scopes of a token whose issuer names the provider (Entra, scp claim), in text and --json', async () => {
    // Entra v2 access tokens carry iss https://login.microsoftonline.com/<tenant>/v2.0 and delegated scopes in scp
    // (https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference).
    const token = jwt({ iss: 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0', aud: '00000003-0000-0000-c000-000000000000', scp: 'User.Read Mail.Send', exp });
    const human = await inspect([token], token, { now });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("User.Read: Sign in and read the signed-in user's profile");
    expect(human.stdout).toContain('Mail.Send: Send mail as the user');
    const json = oneDocument((await inspect([token, '--json'], token, { now })).stdout);
    expect(json.descriptions).toEqual({ 'User.Read': "Sign in and read the signed-in user's profile", 'Mail.Send': 'Send mail as the user' });
  });

  it("explains them from the profile's preset when the token names no known issuer", async () => {
    const config = await configFile('preset-github', { issuer: 'https://auth.example.com', clientId: 'c1', preset: 'github' });
    const token = jwt({ iss: 'https://auth.example.com', scope: 'repo gist', exp });
    const json = oneDocument((await inspect(['--config', config, token, '--json'], token, { now })).stdout);
    expect(json.descriptions).toMatchObject({ gist: 'Write access to gists', repo: expect.stringContaining('Full access') });
  });

  it('explains nothing when neither the token nor the profile names a provider', async () => {
    const token = jwt({ iss: 'https://auth.example.com', scope: 'repo gist', exp });
    const json = oneDocument((await inspect([token, '--json'], token, { now })).stdout);
    expect(json).not.toHaveProperty('descriptions');
  });
});
