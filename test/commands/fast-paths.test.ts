/**
 * The fast paths of bin/scopes.js (issue 13): `--version` answered by the bin, and `scopes token` with a good stored
 * token answered by dist/cli/cached-token.cjs. Each must print exactly what the full CLI prints, and hand every other
 * case to it without having printed anything. Run through the bundled CLI users get, and in process on the sources.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { printCachedToken } from '../../src/fast-token.js';
import { FileSecretStore } from '../../src/io/store/file.js';
import type { Secrets } from '../../src/io/store/types.js';
import { binPath, createSandbox, type Sandbox } from '../support/cli.js';

const ISSUER = 'https://auth.example.com';
const NOW = new Date('2026-05-01T12:00:00Z');
const nowSeconds = Math.floor(NOW.getTime() / 1000);

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'scopes-fast-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const homeEnv = () => ({ HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), SCOPES_STORAGE: 'file' });

async function givenProfile(profile: Record<string, unknown>, secrets: Secrets | undefined, name = 'default'): Promise<void> {
  await mkdir(join(home, 'config', 'scopes'), { recursive: true });
  await writeFile(join(home, 'config', 'scopes', 'config.json'), JSON.stringify({ profiles: { [name]: profile } }));
  if (secrets) await new FileSecretStore(join(home, 'state', 'scopes')).write({ profile: name, issuer: ISSUER, clientId: 'cli' }, secrets);
}

async function fast(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  const printed = await printCachedToken(argv, { env: { ...homeEnv(), ...env }, cwd: home, now: () => NOW, write: (text) => (out += text) });
  return { printed, out };
}

const good: Secrets = { accessToken: 'at-good', refreshToken: 'rt', expiresAt: nowSeconds + 3600, scope: ['openid', 'videos:read'], tokenType: 'Bearer' };

describe('the cached-token fast path, in process', () => {
  it('prints the stored token when more than a minute is left, as scopes token does', async () => {
    await givenProfile({ issuer: ISSUER, clientId: 'cli' }, good);
    expect(await fast(['token'])).toEqual({ printed: true, out: 'at-good\n' });
    expect(JSON.parse((await fast(['--json', 'token'])).out)).toEqual({
      accessToken: 'at-good',
      expiresAt: new Date((nowSeconds + 3600) * 1000).toISOString(),
      scope: ['openid', 'videos:read'],
      tokenType: 'Bearer',
    });
  });

  it('reads the profile named by --profile, -p, then SCOPES_PROFILE', async () => {
    await givenProfile({ issuer: ISSUER, clientId: 'cli' }, good, 'work');
    expect((await fast(['token', '--profile', 'work'])).out).toBe('at-good\n');
    expect((await fast(['-p', 'work', 'token'])).out).toBe('at-good\n');
    expect((await fast(['token'], { SCOPES_PROFILE: 'work' })).out).toBe('at-good\n');
    expect((await fast(['token'])).printed).toBe(false);
  });

  it.each<[string, string[], Record<string, string>, Secrets | undefined, Record<string, unknown>]>([
    ['a token that expires within a minute (to refresh)', ['token'], {}, { ...good, expiresAt: nowSeconds + 59 }, {}],
    ['no stored token', ['token'], {}, undefined, {}],
    ['SCOPES_TOKEN', ['token'], { SCOPES_TOKEN: 'from-env' }, good, {}],
    ['SCOPES_REFRESH_TOKEN', ['token'], { SCOPES_REFRESH_TOKEN: 'rt-env' }, good, {}],
    ['the keychain', ['token'], { SCOPES_STORAGE: 'keychain' }, good, {}],
    ['a bad SCOPES_STORAGE (a usage error to report)', ['token'], { SCOPES_STORAGE: 'floppy' }, good, {}],
    ['SCOPES_DEBUG', ['token'], { SCOPES_DEBUG: '1' }, good, {}],
    ['a client-credentials profile', ['token'], {}, good, { clientCredentials: true, clientSecretEnv: 'S' }],
    ['a profile with a warning to show', ['token'], {}, good, { colour: 'blue' }],
    ['--force-refresh', ['token', '--force-refresh'], {}, good, {}],
    ['--min-ttl', ['token', '--min-ttl', '600'], {}, good, {}],
    ['--verbose', ['token', '--verbose'], {}, good, {}],
    ['--profile=NAME (commander reads it)', ['token', '--profile=default'], {}, good, {}],
    ['another command', ['status'], {}, good, {}],
    ['token twice', ['token', 'token'], {}, good, {}],
  ])('hands %s to the full CLI, having printed nothing', async (_name, argv, env, secrets, profile) => {
    await givenProfile({ issuer: ISSUER, clientId: 'cli', ...profile }, secrets);
    expect(await fast(argv, env)).toEqual({ printed: false, out: '' });
  });

  it('hands a damaged secrets file to the full CLI, which reports it', async () => {
    await givenProfile({ issuer: ISSUER, clientId: 'cli' }, good);
    const dir = join(home, 'state', 'scopes', 'secrets');
    const { readdir } = await import('node:fs/promises');
    for (const file of await readdir(dir)) await writeFile(join(dir, file), '{not json');
    expect(await fast(['token'])).toEqual({ printed: false, out: '' });
  });
});

describe('the fast paths of the bundled CLI print what the full CLI prints', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await createSandbox();
    await mkdir(join(sandbox.home, 'config', 'scopes'), { recursive: true });
    await writeFile(join(sandbox.home, 'config', 'scopes', 'config.json'), JSON.stringify({ profiles: { default: { issuer: ISSUER, clientId: 'cli' } } }));
    await new FileSecretStore(join(sandbox.home, 'state', 'scopes')).write(
      { profile: 'default', issuer: ISSUER, clientId: 'cli' },
      { ...good, expiresAt: Math.floor(Date.now() / 1000) + 3600 },
    );
  });
  afterEach(async () => {
    await sandbox.cleanup();
  });

  it('--version: the version of package.json, as commander prints it', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    const fastPath = await sandbox.run(['--version']);
    // With another global option the bin leaves --version to commander.
    const commander = await sandbox.run(['--json', '--version']);
    expect(fastPath).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(commander).toEqual(fastPath);
    expect(await sandbox.run(['-V'])).toEqual(fastPath);
  });

  it.each([[['token']], [['token', '--json']], [['--profile', 'default', 'token']]])('%j: the same stdout, stderr and exit code as with --min-ttl 60', async (argv) => {
    const fastPath = await sandbox.run(argv);
    // --min-ttl is the default spelled out: the fast path leaves it to commander and the token command.
    const full = await sandbox.run([...argv, '--min-ttl', '60']);
    expect(fastPath.stdout).toContain('at-good');
    expect(fastPath).toEqual(full);
  });

  it.each([[['token']], [['--version']]])('%j into a pipe its reader closed: exit 0, nothing on stderr', async (argv) => {
    const child = spawn(process.execPath, [binPath, ...argv], { env: sandbox.env, cwd: sandbox.home, stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed before the child has even started node: its one write meets a pipe with no reader (EPIPE), every time.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('a token that is not usable is left to the full CLI: exit 3 without a refresh token', async () => {
    await new FileSecretStore(join(sandbox.home, 'state', 'scopes')).write(
      { profile: 'default', issuer: ISSUER, clientId: 'cli' },
      { accessToken: 'at-old', expiresAt: Math.floor(Date.now() / 1000) - 10 },
    );
    const result = await sandbox.run(['token']);
    expect(result).toEqual(await sandbox.run(['token', '--min-ttl', '60']));
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('has expired');
  });
});
