/** `scopes providers`, `login --provider` refusals and `--provider` as the new name of `--preset`, in process. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { PROVIDERS, providersFor } from '../../src/providers/index.js';
import { testDeps } from '../support/deps.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'scopes-providers-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function run(argv: string[]) {
  const deps = testDeps({ env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), SCOPES_STORAGE: 'file' }, cwd: home });
  const code = await main(argv, deps);
  return { code, stdout: deps.stdout(), stderr: deps.stderr() };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'RS256', typ: 'at+jwt', kid: 'k' })}.${b64(claims)}.c2lnbmF0dXJl`;

describe('scopes providers', () => {
  it('lists every provider on stdout, one line each, with what the tool knows', async () => {
    const result = await run(['providers']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.map((line) => line.split(/\s+/)[0])).toEqual(PROVIDERS.map((provider) => provider.id));
    expect(lines.find((line) => line.startsWith('github'))).toMatch(/reads github-rest, github-permissions, github-graphql; implication rules; 6 token prefixes; login \(endpoints\)/);
  });

  it('--json: one document with each provider\'s dialects, rules, prefixes, login template and catalogue', async () => {
    const result = await run(['providers', '--json']);
    expect(result.code).toBe(0);
    const { providers } = JSON.parse(result.stdout) as { providers: { id: string; login: { issuer?: string; authorizationParams: Record<string, string> } | null; catalogue: Record<string, string> }[] };
    expect(providers).toHaveLength(PROVIDERS.length);
    const google = providers.find((provider) => provider.id === 'google')!;
    expect(google.login).toMatchObject({ issuer: 'https://accounts.google.com', authorizationParams: { access_type: 'offline', include_granted_scopes: 'true' } });
    expect(providers.find((provider) => provider.id === 'video-api')!.catalogue['export:write']).toBe('Export videos');
  });

  it('shows one provider in full, by id or alias', async () => {
    const result = await run(['providers', 'path-rights']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Laserfiche (laserfiche, path-rights)');
    expect(result.stdout).toContain('repository.Read  Allows the app to read');
  });

  it('exits 2 for a provider it does not know', async () => {
    const result = await run(['providers', 'nosuchprovider']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"nosuchprovider" is not a provider the tool knows');
  });
});

describe('scopes login --provider (refusals that need no network)', () => {
  it.each([
    { args: ['--provider', 'entra', '--client-id', 'x'], message: 'needs --tenant' },
    { args: ['--provider', 'auth0', '--domain', 'tenant.us.auth0.com', '--client-id', 'x'], message: 'needs --audience' },
    { args: ['--provider', 'github', '--issuer', 'https://github.com', '--client-id', 'x'], message: '--provider and --issuer' },
    { args: ['--tenant', 'contoso.onmicrosoft.com', '--client-id', 'x', '--issuer', 'https://login.microsoftonline.com/x/v2.0'], message: 'add --provider NAME' },
  ])('exits 2: $message', async ({ args, message }) => {
    const result = await run(['login', ...args, '--no-browser']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe('--provider is the new name of --preset', () => {
  const token = jwt({ scope: 'user repo', exp: 4102444800 });
  it.each([['--provider'], ['--preset']])('%s github applies GitHub\'s implication rules', async (flag) => {
    const result = await run(['diff', '--token', token, '--requested', 'user:email repo:status', flag, 'github']);
    expect(result.code).toBe(0);
  });

  it('exits 2 for an unknown --provider, naming the known ones', async () => {
    const result = await run(['diff', '--token', token, '--requested', 'a', '--provider', 'nosuchprovider']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"nosuchprovider" is not one of github');
  });
});

describe('the scope catalogue explains scopes in diff', () => {
  const token = jwt({ scope: 'user repo', exp: 4102444800 });
  it('says what a scope that was not granted would grant, from the provider named', async () => {
    const human = await run(['diff', '--token', token, '--requested', 'repo gist', '--provider', 'github']);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('gist: Write access to gists');
    const json = await run(['diff', '--token', token, '--requested', 'repo gist', '--provider', 'github', '--json']);
    expect(JSON.parse(json.stdout).descriptions).toMatchObject({ gist: 'Write access to gists', repo: expect.stringContaining('Full access') });
  });

  it('explains nothing without a provider (names mean different things to different providers)', async () => {
    const json = await run(['diff', '--token', token, '--requested', 'repo gist', '--json']);
    expect(JSON.parse(json.stdout)).not.toHaveProperty('descriptions');
  });
});

describe('providersFor: which provider a token or profile names', () => {
  it('by prefix, by an issuer with a fixed host, by preset; never by a tenant host anyone could own', () => {
    expect(providersFor({ token: 'vdo_oat_abc', preset: ['github', 'nosuch'] })).toEqual(['video-api', 'github']);
    expect(providersFor({ issuers: ['https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0', 'https://accounts.google.com/', 'https://gitlab.com'] })).toEqual(['entra', 'google', 'gitlab']);
    expect(providersFor({ issuers: ['https://tenant.us.auth0.com/', 'https://example.okta.com', 'https://auth.example.com', undefined] })).toEqual([]);
  });

  it('lets diff explain the scopes of a token whose issuer is Entra without --provider', async () => {
    const token = jwt({ iss: 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0', scp: 'User.Read', exp: 4102444800 });
    const result = await run(['diff', '--token', token, '--requested', 'User.Read Mail.Send']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Mail.Send: Send mail as the user');
  });
});

describe('login --provider keeps one server per profile', () => {
  it('refuses a template whose server differs from the profile\'s, naming both (exit 2)', async () => {
    const { writeFile, mkdir } = await import('node:fs/promises');
    await mkdir(join(home, 'config', 'scopes'), { recursive: true, mode: 0o700 });
    await writeFile(join(home, 'config', 'scopes', 'config.json'), JSON.stringify({ profiles: { default: { issuer: 'https://auth.example.com', clientId: 'abc' } } }), { mode: 0o600 });
    const result = await run(['login', '--provider', 'github', '--client-id', 'x', '--no-browser']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('already logs in at https://auth.example.com');
    expect(result.stderr).toContain('https://github.com/login/oauth/access_token');
  });
});
