import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, NetworkError, UsageError } from '../../src/errors.js';
import { loadProfile, locateConfig, saveProfileFields } from '../../src/io/config.js';
import { PROVIDER_NAMES } from '../../src/providers/index.js';
import { redactParameters, redactUrl, tracingFetch } from '../../src/io/http.js';
import { acquireLock } from '../../src/io/lock.js';
import { KeychainSecretStore } from '../../src/io/store/keychain.js';
import { FileSecretStore } from '../../src/io/store/file.js';
import { wantsColor } from '../../src/io/streams.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scopes-io-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const key = { profile: 'default', issuer: 'https://auth.example.com', clientId: 'abc' };

describe('file storage', () => {
  it('keeps secrets in a 0700 folder and 0600 files, leaving no temporary files behind', async () => {
    const store = new FileSecretStore(dir);
    await store.write(key, { refreshToken: 'r1', accessToken: 'a1', expiresAt: 5 });
    await store.write(key, { refreshToken: 'r2', accessToken: 'a2' });
    expect(await store.read(key)).toEqual({ refreshToken: 'r2', accessToken: 'a2' });
    const secrets = join(dir, 'secrets');
    expect((await stat(secrets)).mode & 0o777).toBe(0o700);
    const files = await readdir(secrets);
    expect(files).toHaveLength(1);
    expect((await stat(join(secrets, files[0]!))).mode & 0o777).toBe(0o600);
    await store.delete(key);
    expect(await store.read(key)).toBeUndefined();
  });

  it('keeps credentials of another issuer or client apart', async () => {
    const store = new FileSecretStore(dir);
    await store.write(key, { refreshToken: 'mine' });
    expect(await store.read({ ...key, issuer: 'https://other.example.com' })).toBeUndefined();
    expect(await store.read({ ...key, clientId: 'other' })).toBeUndefined();
  });

  it('says what to do when a secrets file is damaged', async () => {
    const store = new FileSecretStore(dir);
    await store.write(key, { refreshToken: 'r' });
    const [file] = await readdir(join(dir, 'secrets'));
    await writeFile(join(dir, 'secrets', file!), '{not json');
    await expect(store.read(key)).rejects.toThrow(AuthError);
  });
});

describe('keychain storage errors', () => {
  it('turns any keychain failure into exit 3 naming --storage file', async () => {
    const broken = new KeychainSecretStore('scopes-test', () => {
      throw new Error('DBus error: no session bus');
    });
    const error = await broken.read(key).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).exitCode).toBe(3);
    expect((error as AuthError).hint).toContain('--storage file');
  });

  it('chunks a large bundle and ignores chunks of another generation', async () => {
    const entries = new Map<string, string>();
    const store = new KeychainSecretStore('svc', (service, account) => ({
      getPassword: async () => entries.get(`${service}/${account}`) ?? null,
      setPassword: async (value) => void entries.set(`${service}/${account}`, value),
      deletePassword: async () => entries.delete(`${service}/${account}`),
    }));
    const big = 'x'.repeat(5000);
    await store.write(key, { refreshToken: 'r', accessToken: big });
    for (const value of entries.values()) expect(value.length).toBeLessThan(2560 / 2);
    expect((await store.read(key))?.accessToken).toBe(big);
    // A reader racing a writer: one chunk from another write makes the bundle unreadable, never glued.
    const chunkKey = [...entries.keys()].find((k) => k.endsWith('|bundle#1'))!;
    entries.set(chunkKey, `0000000000000000:${'y'.repeat(10)}`);
    expect(await store.read(key)).toEqual({ refreshToken: 'r' });
  });

  it('replaces only the refresh token entry when asked to (the first write after a rotation)', async () => {
    const entries = new Map<string, string>();
    const calls: string[] = [];
    const store = new KeychainSecretStore('svc', (service, account) => ({
      getPassword: async () => entries.get(`${service}/${account}`) ?? null,
      setPassword: async (value) => {
        calls.push(account);
        entries.set(`${service}/${account}`, value);
      },
      deletePassword: async () => entries.delete(`${service}/${account}`),
    }));
    await store.write(key, { refreshToken: 'r1', accessToken: 'a1' });
    calls.length = 0;
    await store.writeRefreshToken(key, 'r2');
    expect(calls).toHaveLength(1);
    expect(await store.readRefreshToken(key)).toBe('r2');
    expect(await store.read(key)).toMatchObject({ refreshToken: 'r2', accessToken: 'a1' });
  });

  it('leaves no chunk of a longer earlier bundle behind, and delete removes every entry', async () => {
    const entries = new Map<string, string>();
    const store = new KeychainSecretStore('svc', (service, account) => ({
      getPassword: async () => entries.get(`${service}/${account}`) ?? null,
      setPassword: async (value) => void entries.set(`${service}/${account}`, value),
      deletePassword: async () => entries.delete(`${service}/${account}`),
    }));
    await store.write(key, { refreshToken: 'r', accessToken: 'old-'.repeat(2000) });
    await store.write(key, { refreshToken: 'r2', accessToken: 'new' });
    expect([...entries.values()].join()).not.toContain('old-');
    await store.delete(key);
    expect(entries.size).toBe(0);
  });
});

describe('the token lock', () => {
  it('lets one holder in at a time', async () => {
    const path = join(dir, 'locks', 'a.lock');
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const lock = await acquireLock(path);
        inside++;
        most = Math.max(most, inside);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inside--;
        await lock.release();
      }),
    );
    expect(most).toBe(1);
  });

  it('breaks a lock left by a process that no longer exists', async () => {
    const path = join(dir, 'b.lock');
    await writeFile(path, '999999999 deadbeef\n');
    const lock = await acquireLock(path, { timeoutMs: 2000 });
    expect(await readFile(path, 'utf8')).toContain(String(process.pid));
    await lock.release();
  });

  it('gives up with exit 4 when a running holder keeps it too long (it is waiting on the server)', async () => {
    const path = join(dir, 'c.lock');
    const held = await acquireLock(path);
    const error = await acquireLock(path, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).code).toBe('lock_timeout');
    await held.release();
  });
});

describe('config files', () => {
  const env = () => ({ HOME: dir, XDG_CONFIG_HOME: join(dir, 'config') });

  it('prefers the project file over the user file, and saves login flags into the user file', async () => {
    const project = join(dir, 'project');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'scopes.config.json'), JSON.stringify({ profiles: { default: { issuer: 'https://project.example.com', clientId: 'p' } } }));
    const location = await locateConfig({}, env(), project);
    await saveProfileFields('default', { issuer: 'https://user.example.com', clientId: 'u', scopes: ['a'] }, location);
    await saveProfileFields('work', { issuer: 'https://work.example.com', clientId: 'w' }, location);
    expect((await loadProfile('default', location)).profile.issuer).toBe('https://project.example.com');
    expect((await loadProfile('work', location)).profile.issuer).toBe('https://work.example.com');
    const user = JSON.parse(await readFile(join(dir, 'config', 'scopes', 'config.json'), 'utf8'));
    expect(user.profiles.default).toEqual({ issuer: 'https://user.example.com', clientId: 'u', scopes: ['a'] });
    expect((await loadProfile('default', await locateConfig({}, env(), dir))).profile.issuer).toBe('https://user.example.com');
  });

  it.each([
    { description: 'invalid JSON', content: '{', message: 'is not valid JSON' },
    { description: 'profiles not an object', content: '{"profiles": []}', message: '"profiles" must be an object' },
    { description: 'a bad URL', content: '{"profiles":{"default":{"issuer":"ftp://x"}}}', message: 'issuer: expected an absolute http(s) URL' },
    { description: 'a bad preset', content: '{"profiles":{"default":{"preset":"nosuchprovider"}}}', message: 'preset: expected one of' },
    { description: 'a secret-looking field is not a field', content: '{"profiles":{"default":{"clientSecretEnv":""}}}', message: 'clientSecretEnv: expected a non-empty string' },
  ])('refuses a config file with $description (exit 2, naming the file)', async ({ content, message }) => {
    const file = join(dir, 'scopes.config.json');
    await writeFile(file, content);
    const error = await loadProfile('default', await locateConfig({ config: file, presets: PROVIDER_NAMES }, env(), dir)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain(message);
  });

  it('refuses a profile name that could escape a file name', async () => {
    await expect(loadProfile('../evil', await locateConfig({}, env(), dir))).rejects.toThrow(UsageError);
  });
});

describe('the HTTP trace', () => {
  it.each([
    ['grant_type=refresh_token&refresh_token=SECRET&client_id=abc', 'grant_type=refresh_token&refresh_token=[redacted]&client_id=abc'],
    ['code=SECRET&code_verifier=SECRET2&state=s', 'code=[redacted]&code_verifier=[redacted]&state=s'],
    ['token=SECRET&token_type_hint=refresh_token', 'token=[redacted]&token_type_hint=refresh_token'],
    ['client_secret=SECRET', 'client_secret=[redacted]'],
  ])('redacts %s', (input, expected) => {
    expect(redactParameters(input)).toBe(expected);
  });

  it('redacts URLs and never logs the Authorization value', async () => {
    expect(redactUrl('http://127.0.0.1:1/cb?code=SECRET&state=x#frag')).toBe('http://127.0.0.1:1/cb?code=[redacted]&state=x#[redacted]');
    const lines: string[] = [];
    const traced = tracingFetch(async () => new Response('ok', { status: 200 }), (line) => lines.push(line));
    await traced('http://127.0.0.1:1/token', { method: 'POST', headers: { authorization: 'Bearer SECRET' }, body: new URLSearchParams({ refresh_token: 'SECRET' }) });
    expect(lines.join('\n')).not.toContain('SECRET');
    expect(lines.join('\n')).toContain('POST http://127.0.0.1:1/token (authorization: Bearer [redacted])');
  });
});

describe('colour', () => {
  it.each([
    { isTTY: true, env: {}, expected: true },
    { isTTY: false, env: {}, expected: false },
    { isTTY: true, env: { NO_COLOR: '1' }, expected: false },
    { isTTY: false, env: { FORCE_COLOR: '1' }, expected: true },
    { isTTY: true, env: { FORCE_COLOR: '0' }, expected: false },
    { isTTY: true, env: { TERM: 'dumb' }, expected: false },
  ])('is $expected for a TTY=$isTTY with $env', ({ isTTY, env, expected }) => {
    expect(wantsColor(isTTY, env)).toBe(expected);
  });
});
