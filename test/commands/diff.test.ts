/**
 * `scopes diff` in process: requested from --requested or the last login, granted from hand-made tokens shaped like
 * Okta's, Entra's, GitHub's and Laserfiche's, from introspection (the real test provider, opaque tokens), or from
 * the last login's token response. Every run also checks that the token never reaches stdout or stderr.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from 'openid-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stateDir } from '../../src/io/paths.js';
import { writeSessionState, type SessionState } from '../../src/io/state.js';
import { main } from '../../src/main.js';
import { testDeps } from '../support/deps.js';
import { startTestProvider, type TestProvider } from '../support/provider.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'scopes-diff-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const env = (): Record<string, string> => ({ HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), SCOPES_STORAGE: 'file' });
const now = new Date('2026-11-22T12:00:00Z');
const future = Math.floor(now.getTime() / 1000) + 3600;

interface RunOptions {
  stdin?: string;
  env?: Record<string, string>;
  tty?: boolean;
  /** Must appear in neither stdout nor stderr. */
  secret?: string;
}

async function run(argv: string[], options: RunOptions = {}) {
  const deps = testDeps({ env: { ...env(), ...options.env }, cwd: home, stdin: options.stdin, now, tty: options.tty });
  const code = await main(argv, deps);
  const result = { code, stdout: deps.stdout(), stderr: deps.stderr() };
  if (options.secret) {
    expect(result.stdout).not.toContain(options.secret);
    expect(result.stderr).not.toContain(options.secret);
  }
  return result;
}

/** `scopes diff --token TOKEN …`, asserting the token never shows. */
const diff = (token: string, args: string[], options: RunOptions = {}) => run(['diff', '--token', token, ...args], { ...options, secret: token });

/** With --json, stdout holds exactly one JSON document, whatever the exit code. */
function oneDocument(stdout: string): Record<string, unknown> {
  expect(stdout.endsWith('\n')).toBe(true);
  expect(stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(stdout) as Record<string, unknown>;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' })}.${b64({ exp: future, ...claims })}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`;

// Okta: `scp` is an array. Entra v2: `scp` is a space-separated string, app permissions in `roles`. GitHub tokens are
// opaque; a JWT with GitHub's comma-separated scope string exercises the algebra (D5, D6). Laserfiche: path rights.
const okta = jwt({ iss: 'https://dev-1.okta.com/oauth2/default', aud: 'api://default', scp: ['okta.users.read', 'okta.groups.read'] });
const entra = jwt({ iss: 'https://login.microsoftonline.com/t/v2.0', aud: '00000003-0000-0000-c000-000000000000', scp: 'mail.read User.Read' });
const entraAppOnly = jwt({ iss: 'https://login.microsoftonline.com/t/v2.0', roles: ['Mail.Read.All'] });
const github = jwt({ scope: 'user,repo' });
const githubHeaderStyle = jwt({ scope: 'user, gist' });
const laserfiche = jwt({ iss: 'https://signin.laserfiche.com', scope: 'repository.ReadWrite table.Read' });
const noScopeClaim = jwt({ iss: 'https://signin.laserfiche.com', sub: 'svc' });

describe('scopes diff --token: the algebra on tokens of real shapes', () => {
  it.each([
    {
      description: 'Okta scp array, all requested granted',
      input: { token: okta, args: ['--requested', 'okta.users.read'] },
      expected: { code: 0, notGranted: [], extra: ['okta.groups.read'], impliedBy: {} },
    },
    {
      description: 'Okta scp array, one missing',
      input: { token: okta, args: ['--requested', 'okta.users.read', '--requested', 'okta.apps.read'] },
      expected: { code: 1, notGranted: ['okta.apps.read'], extra: ['okta.groups.read'], impliedBy: {} },
    },
    {
      description: 'D3: order and repeated whitespace do not matter',
      input: { token: jwt({ scope: 'c  a ' }), args: ['--requested', ' a b   c'] },
      expected: { code: 1, notGranted: ['b'], extra: [], impliedBy: {} },
    },
    {
      description: 'D4 without a preset: scopes are case-sensitive',
      input: { token: entra, args: ['--requested', 'Mail.Read'] },
      expected: { code: 1, notGranted: ['Mail.Read'], extra: ['mail.read', 'User.Read'], impliedBy: {} },
    },
    {
      description: 'D4 with --preset entra: case folded, resource prefix stripped',
      input: { token: entra, args: ['--requested', 'Mail.Read https://graph.microsoft.com/user.read', '--preset', 'entra'] },
      expected: { code: 0, notGranted: [], extra: [], impliedBy: {} },
    },
    {
      description: 'Entra app-only token: roles stand in for scopes',
      input: { token: entraAppOnly, args: ['--requested', 'Mail.Read.All'] },
      expected: { code: 0, notGranted: [], extra: [], impliedBy: {} },
    },
    {
      description: 'D5 with --preset github: user,repo covers user:email and repo:status',
      input: { token: github, args: ['--requested', 'user:email repo:status', '--preset', 'github'] },
      expected: { code: 0, notGranted: [], extra: ['user', 'repo'], impliedBy: { 'user:email': 'user', 'repo:status': 'repo' } },
    },
    {
      description: 'D6 with --preset github: comma lists on both sides',
      input: { token: githubHeaderStyle, args: ['--requested', 'user,gist,user:email', '--preset', 'github'] },
      expected: { code: 0, notGranted: [], extra: [], impliedBy: { 'user:email': 'user' } },
    },
    {
      description: 'GitHub preset: repo does not cover workflow',
      input: { token: github, args: ['--requested', 'repo workflow', '--preset', 'github'] },
      expected: { code: 1, notGranted: ['workflow'], extra: ['user'], impliedBy: {} },
    },
    {
      description: 'no preset: no hierarchy and no comma lists are assumed',
      input: { token: github, args: ['--requested', 'user:email'] },
      expected: { code: 1, notGranted: ['user:email'], extra: ['user,repo'], impliedBy: {} },
    },
    {
      description: 'Laserfiche with --preset path-rights: ReadWrite covers an entry Read',
      input: { token: laserfiche, args: ['--requested', 'repository/Repositories/r-1/Entries/1.Read table.Read', '--preset', 'path-rights'] },
      expected: { code: 0, notGranted: [], extra: ['repository.ReadWrite'], impliedBy: { 'repository/Repositories/r-1/Entries/1.Read': 'repository.ReadWrite' } },
    },
    {
      description: 'Laserfiche without the preset: Read is not ReadWrite',
      input: { token: laserfiche, args: ['--requested', 'repository.Read'] },
      expected: { code: 1, notGranted: ['repository.Read'], extra: ['repository.ReadWrite', 'table.Read'], impliedBy: {} },
    },
    {
      description: 'an --implies rule',
      input: { token: jwt({ scope: 'videos:write' }), args: ['--requested', 'videos:read', '--implies', 'videos:write=videos:read'] },
      expected: { code: 0, notGranted: [], extra: ['videos:write'], impliedBy: { 'videos:read': 'videos:write' } },
    },
    {
      description: 'no rule, no implication: x:write does not contain x:read',
      input: { token: jwt({ scope: 'videos:write' }), args: ['--requested', 'videos:read'] },
      expected: { code: 1, notGranted: ['videos:read'], extra: ['videos:write'], impliedBy: {} },
    },
    {
      description: 'D9: an empty scope claim is the empty set',
      input: { token: jwt({ scope: '' }), args: ['--requested', 'a'] },
      expected: { code: 1, notGranted: ['a'], extra: [], impliedBy: {} },
    },
    {
      description: 'a JWT with no scope claim grants nothing that can be read',
      input: { token: noScopeClaim, args: ['--requested', 'repository.Read'] },
      expected: { code: 1, notGranted: ['repository.Read'], extra: [], impliedBy: {} },
    },
  ])('$description', async ({ input, expected }) => {
    const result = await diff(input.token, ['--json', ...input.args]);
    expect(result.code, result.stderr).toBe(expected.code);
    const json = oneDocument(result.stdout);
    expect(json).toMatchObject({ notGranted: expected.notGranted, extra: expected.extra, impliedBy: expected.impliedBy, source: 'jwt', assumed: false, evidenced: {} });
    expect(Object.keys(json).slice(0, 6)).toEqual(['requested', 'granted', 'notGranted', 'extra', 'impliedBy', 'evidenced']);
  });

  it('reads the comma dialect when the profile holds the github preset', async () => {
    const config = join(home, 'github.config.json');
    await writeFile(config, JSON.stringify({ profiles: { default: { preset: 'github' } } }));
    const result = await diff(github, ['--requested', 'user:email,repo:status', '--config', config, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(oneDocument(result.stdout)).toMatchObject({ requested: ['user:email', 'repo:status'], granted: ['user', 'repo'], notGranted: [] });
  });

  it('shows the shared requested-vs-granted view under a heading naming the source', async () => {
    const result = await diff(okta, ['--requested', 'okta.users.read okta.apps.read']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Requested vs granted \(granted from the token's claims\)\n\n/);
    expect(result.stdout).toMatch(/✓ granted\s+okta\.users\.read/);
    expect(result.stdout).toMatch(/✗ not granted\s+okta\.apps\.read/);
    expect(result.stdout).toMatch(/\+ extra\s+okta\.groups\.read\s+\(granted, not requested\)/);
    expect(result.stdout).toContain('Read from the "scp" claim');
    // Exit 1 is an outcome, not a failure of the tool: no "error:" label. The fix ends stdout, after the table; the
    // token is not the (unconfigured) default profile's, so the line names its issuer and no profile.
    expect(result.stderr).toContain('Not granted: okta.apps.read.');
    expect(result.stderr).not.toContain('error:');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe(
      "To fix: get a token that also carries okta.apps.read from https://dev-1.okta.com/oauth2/default (the token is not this profile's, so `scopes login --add-scope` would not change it).",
    );
    expect(result.stdout + result.stderr).not.toContain('--add-scope "');
  });

  it("a foreign token's fix names its issuer and client, never the unrelated default profile", async () => {
    const config = join(home, 'work.config.json');
    await writeFile(config, JSON.stringify({ profiles: { default: { issuer: 'https://auth.example.com', clientId: 'mine' } } }));
    // An Auth0-shaped access token of someone else's app (azp names its client).
    const foreign = jwt({ iss: 'https://tenant.eu.auth0.com/', azp: 'Xq3b9', scope: 'read:videos' });
    const result = await diff(foreign, ['--requested', 'read:videos write:videos', '--config', config]);
    expect(result.code).toBe(1);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe(
      "To fix: scopes login --profile tenant.eu.auth0.com --issuer https://tenant.eu.auth0.com/ --client-id Xq3b9 --scope 'read:videos write:videos'",
    );
    // The same token issued to the profile's own client at its issuer is the profile's: --add-scope is the fix.
    const own = jwt({ iss: 'https://auth.example.com', client_id: 'mine', scope: 'read:videos' });
    const mine = await diff(own, ['--requested', 'read:videos write:videos', '--config', config]);
    expect(mine.stdout.trimEnd().split('\n').at(-1)).toBe('To fix: scopes login --add-scope "write:videos"');
  });

  it('names the broader granted scope that covers a requested one', async () => {
    const result = await diff(github, ['--requested', 'user:email', '--preset', 'github']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✓ implied\s+user:email\s+\(by user\)/);
  });

  it('says when a JWT carries no scope claim, and that some providers then grant full access', async () => {
    const result = await diff(noScopeClaim, ['--requested', 'repository.Read']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('carries no scope claim');
    expect(result.stdout).toContain('some providers then grant full access');
  });

  it('reads the token from stdin with -, trimming a Bearer prefix and the newline', async () => {
    const fromStdin = await run(['diff', '--token', '-', '--requested', 'okta.users.read', '--json'], { stdin: `Bearer ${okta}\n`, secret: okta });
    const fromFlag = await diff(okta, ['--requested', 'okta.users.read', '--json']);
    expect(fromStdin.code).toBe(0);
    expect(oneDocument(fromStdin.stdout)).toEqual(oneDocument(fromFlag.stdout));
  });

  it('warns on stderr about an expired token, and still compares its scopes', async () => {
    const expired = jwt({ scope: 'a', exp: Math.floor(now.getTime() / 1000) - 60 });
    const result = await diff(expired, ['--requested', 'a', '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('expired');
    expect(oneDocument(result.stdout)).toMatchObject({ notGranted: [] });
  });

  it('colours only a stream that wants colour', async () => {
    expect((await diff(okta, ['--requested', 'x'], { tty: true })).stdout).toContain('\u001b[');
    expect((await diff(okta, ['--requested', 'x'], { tty: false })).stdout).not.toContain('\u001b[');
  });
});

describe('scopes diff: tokens it cannot read, and usage', () => {
  it.each([
    {
      description: 'an opaque GitHub token, without introspection',
      input: 'gho_16C7e42F292c6912E7710c838347Ae178B4a',
      expected: ['The token is opaque (GitHub OAuth app user access token)', 'no introspection endpoint', 'X-OAuth-Scopes'],
    },
    {
      description: 'an opaque token of no known kind',
      input: 'Zm9vYmFyYmF6cXV4cXV1eA',
      expected: ['The token is opaque: its scopes are not inside it', 'introspection'],
    },
    {
      description: 'a JWE',
      input: `${b64({ alg: 'RSA-OAEP-256', enc: 'A256GCM' })}.a2V5.aXY.Y2lwaGVydGV4dA.dGFn`,
      expected: ['encrypted (JWE)', 'no introspection endpoint'],
    },
  ])('exits 2 for $description, saying how to get its scopes', async ({ input, expected }) => {
    const result = await diff(input, ['--requested', 'repo']);
    expect(result.code).toBe(2);
    for (const text of expected) expect(result.stderr).toContain(text);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const json = await diff(input, ['--requested', 'repo', '--json']);
    expect(json.code).toBe(2);
    expect(oneDocument(json.stdout)).toMatchObject({ error: { exitCode: 2 } });
  });

  it.each([
    { description: 'prose', input: 'hello world' },
    { description: 'a damaged JWT', input: 'eyJub3QganNvbg.eyJ4IjoxfQ.sig' },
    { description: 'empty stdin', input: '' },
  ])('exits 2 for $description, without a stack trace', async ({ input }) => {
    const result = await run(['diff', '--token', '-', '--requested', 'a'], { stdin: input });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('not a token');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 for an unknown preset or a malformed --implies', async () => {
    expect((await diff(okta, ['--requested', 'a', '--preset', 'nosuchprovider'])).code).toBe(2);
    expect((await diff(okta, ['--requested', 'a', '--implies', 'no-equals-sign'])).code).toBe(2);
  });

  it('exits 3 and says to run `scopes login` when there is no session and nothing given', async () => {
    const result = await run(['diff']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('No session for profile "default"');
    expect(result.stderr).toContain('Run `scopes login` first.');
    const named = await run(['diff', '--profile', 'work']);
    expect(named.code).toBe(3);
    expect(named.stderr).toContain('scopes login --profile work');
    const json = await run(['diff', '--json']);
    expect(oneDocument(json.stdout)).toMatchObject({ error: { code: 'no_session', exitCode: 3 } });
  });

  it('exits 3 with --requested but nothing granted to compare it with', async () => {
    const result = await run(['diff', '--requested', 'a']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('scopes login');
  });

  it('exits 2 with --token but nothing requested to compare it with', async () => {
    const result = await diff(okta, []);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--requested');
  });
});

describe('scopes diff: against the last login', () => {
  const baseState: SessionState = {
    profile: 'default',
    issuer: 'https://auth.example.com',
    clientId: 'abc',
    storage: 'file',
    requested: ['openid', 'email', 'offline_access', 'videos:read', 'export:write'],
    granted: ['videos:read'],
    grantedAssumed: false,
    evidenced: { openid: 'id_token', email: 'id_token', offline_access: 'refresh_token' },
    refreshToken: true,
    lastLogin: '2026-11-22T11:00:00.000Z',
  };
  const saveState = (state: Partial<SessionState> = {}) => writeSessionState(stateDir(env()), { ...baseState, ...state });

  it('compares what was asked with the token response, OpenID scopes evidenced by the id and refresh tokens', async () => {
    await saveState();
    const json = await run(['diff', '--json']);
    expect(json.code).toBe(1);
    expect(oneDocument(json.stdout)).toEqual({
      requested: ['openid', 'email', 'offline_access', 'videos:read', 'export:write'],
      granted: ['videos:read'],
      notGranted: ['export:write'],
      extra: [],
      impliedBy: {},
      evidenced: { openid: 'id_token', email: 'id_token', offline_access: 'refresh_token' },
      assumed: false,
      source: 'token-response',
    });
    const human = await run(['diff']);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^Requested vs granted \(granted from the last login's token response\)/);
    expect(human.stdout).toMatch(/✓ evidenced\s+openid\s+\(an id token was issued\)/);
    expect(human.stdout).toMatch(/✓ evidenced\s+email\s+\(its claims are in the id token\)/);
    expect(human.stdout).toMatch(/✓ evidenced\s+offline_access\s+\(a refresh token was issued\)/);
    expect(human.stdout).toMatch(/✗ not granted\s+export:write/);
    expect(human.stdout.trimEnd().split('\n').at(-1)).toBe('To fix: scopes login --add-scope "export:write"');
  });

  it('exits 0 when everything asked was granted or evidenced', async () => {
    await saveState({ requested: ['openid', 'videos:read'], granted: ['videos:read'], evidenced: { openid: 'id_token' } });
    const result = await run(['diff']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('says when granted was assumed because the token response had no scope (RFC 6749 §5.1)', async () => {
    await saveState({ requested: ['videos:read'], granted: ['videos:read'], grantedAssumed: true, evidenced: {} });
    expect(oneDocument((await run(['diff', '--json'])).stdout)).toMatchObject({ assumed: true, notGranted: [] });
    expect((await run(['diff'])).stdout).toContain('assumed to be the requested ones');
  });

  it('ignores evidence of a damaged state file instead of trusting it', async () => {
    await saveState({ requested: ['openid', 'profile'], granted: [], evidenced: { openid: 'id_token', profile: 'a-guess' } as Record<string, string> });
    const json = oneDocument((await run(['diff', '--json'])).stdout);
    expect(json).toMatchObject({ notGranted: ['profile'], evidenced: { openid: 'id_token' } });
  });

  it('--requested replaces what the login asked; --token replaces what it was granted, without its evidence', async () => {
    await saveState();
    const requested = oneDocument((await run(['diff', '--requested', 'videos:read', '--json'])).stdout);
    expect(requested).toMatchObject({ requested: ['videos:read'], notGranted: [], source: 'token-response' });

    const token = jwt({ scope: 'videos:read export:write' });
    const granted = await diff(token, ['--json']);
    expect(granted.code).toBe(1);
    expect(oneDocument(granted.stdout)).toMatchObject({ granted: ['videos:read', 'export:write'], notGranted: ['openid', 'email', 'offline_access'], evidenced: {}, source: 'jwt' });
  });

  it('uses the named profile\'s login', async () => {
    await writeSessionState(stateDir(env()), { ...baseState, profile: 'work', requested: ['a'], granted: ['a'], evidenced: {} });
    expect((await run(['diff', '--profile', 'work'])).code).toBe(0);
    expect((await run(['diff'])).code).toBe(3);
  });
});

describe('scopes diff: opaque tokens through introspection (the real provider)', () => {
  let provider: TestProvider;
  beforeAll(async () => {
    provider = await startTestProvider({ accessTokenFormat: 'opaque' });
  });
  afterAll(async () => {
    await provider?.close();
  });

  async function mint(scope: string): Promise<string> {
    const config = await client.discovery(new URL(provider.issuer), provider.ciClient.clientId, undefined, client.ClientSecretPost(provider.ciClient.clientSecret), {
      execute: [client.allowInsecureRequests],
    });
    return (await client.clientCredentialsGrant(config, { scope, resource: provider.resource })).access_token;
  }

  async function ciProfile(): Promise<{ config: string; env: Record<string, string> }> {
    const config = join(home, 'ci.config.json');
    await writeFile(config, JSON.stringify({ profiles: { default: { issuer: provider.issuer, clientId: provider.ciClient.clientId, clientSecretEnv: 'DIFF_CI_SECRET' } } }));
    return { config, env: { DIFF_CI_SECRET: provider.ciClient.clientSecret } };
  }

  it('reads the granted scopes of an opaque token from the introspection endpoint', async () => {
    const token = await mint('videos:read jobs:read');
    const { config, env: secretEnv } = await ciProfile();
    const json = await diff(token, ['--requested', 'videos:read export:write', '--config', config, '--json'], { env: secretEnv });
    expect(json.code, json.stderr).toBe(1);
    expect(oneDocument(json.stdout)).toMatchObject({ granted: ['videos:read', 'jobs:read'], notGranted: ['export:write'], extra: ['jobs:read'], source: 'introspection' });
    expect(json.stdout + json.stderr).not.toContain(provider.ciClient.clientSecret);

    const human = await diff(token, ['--requested', 'videos:read', '--config', config], { env: secretEnv });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^Requested vs granted \(granted from the introspection endpoint \(RFC 7662\)\)/);
  });

  it('exits 3 when the server says the token is not active', async () => {
    const { config, env: secretEnv } = await ciProfile();
    const unknown = 'bm90LWEtdG9rZW4tdGhpcy1zZXJ2ZXItaXNzdWVk';
    const result = await diff(unknown, ['--requested', 'videos:read', '--config', config], { env: secretEnv });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('not active');
  });

  it('exits 2 when the profile names a client secret variable that is not set', async () => {
    const token = await mint('videos:read');
    const { config } = await ciProfile();
    const result = await diff(token, ['--requested', 'videos:read', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('$DIFF_CI_SECRET');
  });
});
