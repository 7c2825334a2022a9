/**
 * Ownership and permissions (issue 8, point 5): a state or config folder others can write or that another user owns,
 * and a secrets file others can read, are refused with exit 2 naming the path and the fix — never used silently.
 * Crash leftovers (point 4): temporary files of killed writes go, and logout removes everything of its credential.
 */
import type { Stats } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScopesError } from '../../src/errors.js';
import { checkPrivate, ensureDir } from '../../src/io/files.js';
import { FileSecretStore } from '../../src/io/store/file.js';
import { printCachedToken } from '../../src/fast-token.js';
import { main } from '../../src/main.js';
import { testDeps } from '../support/deps.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scopes-perm-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const env = () => ({ HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_STATE_HOME: join(dir, 'state'), SCOPES_STORAGE: 'file' });
const key = { profile: 'default', issuer: 'https://auth.example.com', clientId: 'abc' };
const stateDir = () => join(dir, 'state', 'scopes');

/** A stored session, as a login leaves it, so that `scopes token` would print it if it used the files. */
async function storedSession(): Promise<void> {
  await mkdir(join(dir, 'config', 'scopes'), { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'config', 'scopes', 'config.json'), JSON.stringify({ profiles: { default: { issuer: key.issuer, clientId: key.clientId } } }));
  await new FileSecretStore(stateDir()).write(key, { refreshToken: 'r', accessToken: 'stored-access-token', expiresAt: Math.floor(Date.now() / 1000) + 3600 });
  await mkdir(join(stateDir(), 'locks'), { mode: 0o700 });
}

async function token(): Promise<{ code: number; stdout: string; stderr: string }> {
  const deps = testDeps({ env: env(), cwd: dir });
  const code = await main(['token'], deps);
  return { code, stdout: deps.stdout(), stderr: deps.stderr() };
}

describe('what others can write or read is refused', () => {
  it('uses a private setup (the baseline)', async () => {
    await storedSession();
    expect(await token()).toMatchObject({ code: 0, stdout: 'stored-access-token\n' });
  });

  it.each([
    { what: 'a world-writable state folder', path: () => stateDir(), mode: 0o777, fix: 'chmod go-w' },
    { what: 'a world-writable secrets folder', path: () => join(stateDir(), 'secrets'), mode: 0o757, fix: 'chmod go-w' },
    { what: 'a world-writable locks folder', path: () => join(stateDir(), 'locks'), mode: 0o703, fix: 'chmod go-w' },
    { what: 'a world-writable config folder', path: () => join(dir, 'config', 'scopes'), mode: 0o777, fix: 'chmod go-w' },
    { what: 'a world-writable config file', path: () => join(dir, 'config', 'scopes', 'config.json'), mode: 0o666, fix: 'chmod go-w' },
  ])('$what: exit 2 naming the path and the fix', async ({ path, mode, fix }) => {
    await storedSession();
    await chmod(path(), mode);
    const result = await token();
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(path());
    expect(result.stderr).toContain(`${fix} ${path()}`);
  });

  it.each([
    { what: 'state folder', path: () => stateDir(), mode: 0o770, repaired: 0o750 },
    { what: 'config folder (a umask of 002)', path: () => join(dir, 'config', 'scopes'), mode: 0o775, repaired: 0o755 },
    { what: 'config file', path: () => join(dir, 'config', 'scopes', 'config.json'), mode: 0o664, repaired: 0o644 },
  ])('a group-writable $what of ours is repaired with a warning, never silently', async ({ path, mode, repaired }) => {
    await storedSession();
    await chmod(path(), mode);
    const result = await token();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`warning: ${path()} was writable by its group`);
    expect(result.stderr).toContain('Check that nothing in it was changed');
    expect((await stat(path())).mode & 0o777).toBe(repaired);
  });

  it.each([
    { what: 'a group-writable state folder', path: () => stateDir(), mode: 0o770 },
    { what: 'a world-writable config folder', path: () => join(dir, 'config', 'scopes'), mode: 0o777 },
    { what: 'a world-writable secrets folder', path: () => join(stateDir(), 'secrets'), mode: 0o777 },
  ])('the cached-token fast path leaves $what to the full CLI (no token printed, nothing repaired)', async ({ path, mode }) => {
    await storedSession();
    const fastPath = async () => {
      let out = '';
      const printed = await printCachedToken(['token'], { env: env(), cwd: dir, now: () => new Date(), write: (text) => (out += text) });
      return { printed, out };
    };
    expect(await fastPath()).toEqual({ printed: true, out: 'stored-access-token\n' });
    await chmod(path(), mode);
    expect(await fastPath()).toEqual({ printed: false, out: '' });
    expect((await stat(path())).mode & 0o777).toBe(mode);
  });

  it('a secrets file others can read: exit 2, chmod 600, and advice to replace the tokens', async () => {
    await storedSession();
    const [file] = await readdir(join(stateDir(), 'secrets'));
    const path = join(stateDir(), 'secrets', file!);
    await chmod(path, 0o644);
    const result = await token();
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`chmod 600 ${path}`);
    expect(result.stderr).toContain('scopes login');
  });

  it('an existing folder is not silently made private when others can write it', async () => {
    const secrets = join(dir, 'secrets');
    await mkdir(secrets);
    await chmod(secrets, 0o777);
    await expect(ensureDir(secrets, 0o700)).rejects.toMatchObject({ exitCode: 2, code: 'unsafe_permissions' });
    expect((await stat(secrets)).mode & 0o777).toBe(0o777);
  });

  it('a folder owned by another user', async () => {
    const path = join(dir, 'theirs');
    await mkdir(path, { mode: 0o700 });
    let stats: Stats = await stat(path);
    if (process.getuid?.() === 0) {
      await chown(path, 65534, 65534);
      stats = await stat(path);
    } else {
      // Without root no file can be given away; the decision is the same for the stats a foreign file has.
      stats = Object.assign(Object.create(Object.getPrototypeOf(stats) as object) as Stats, stats, { uid: (process.getuid?.() ?? 0) + 1 });
    }
    const error = (() => {
      try {
        checkPrivate(path, stats);
        return undefined;
      } catch (e) {
        return e as ScopesError;
      }
    })();
    expect(error?.exitCode).toBe(2);
    expect(error?.message).toContain(`${path} belongs to another user`);
    if (process.getuid?.() === 0) {
      const theirs = join(dir, 'state', 'scopes');
      await mkdir(theirs, { recursive: true });
      await chown(theirs, 65534, 65534);
      const result = await token();
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${theirs} belongs to another user`);
    }
  });
});

describe('crash leftovers', () => {
  it("a killed write's temporary secrets file goes at the next write of the credential", async () => {
    const store = new FileSecretStore(stateDir());
    await store.write(key, { refreshToken: 'r1' });
    const [file] = await readdir(join(stateDir(), 'secrets'));
    // A temporary of a writer still "alive" (our own pid): only the credential's lock makes it safe to remove.
    const leftover = join(stateDir(), 'secrets', `${file}.${process.pid}.0123abcd.tmp`);
    await writeFile(leftover, '{"refreshToken":"stale-refresh-token"}', { mode: 0o600 });
    // And one of another credential whose writer is gone.
    const other = join(stateDir(), 'secrets', 'work-0123456789abcdef.json.999999999.89abcdef.tmp');
    await writeFile(other, '{"refreshToken":"other-stale"}', { mode: 0o600 });
    await store.write(key, { refreshToken: 'r2' });
    expect(await readdir(join(stateDir(), 'secrets'))).toEqual([file]);
  });

  it("a killed write's temporary session state file goes at the next write of the state", async () => {
    const { writeSessionState } = await import('../../src/io/state.js');
    const state = { profile: 'default', issuer: key.issuer, clientId: key.clientId, storage: 'file' as const, requested: [], granted: [], grantedAssumed: false, refreshToken: true, lastLogin: new Date().toISOString() };
    await writeSessionState(stateDir(), state);
    await writeFile(join(stateDir(), 'sessions', `default.json.${process.pid}.0123abcd.tmp`), '{}');
    await writeSessionState(stateDir(), state);
    expect(await readdir(join(stateDir(), 'sessions'))).toEqual(['default.json']);
  });

  it('deleting a credential removes its file and its temporary files', async () => {
    const store = new FileSecretStore(stateDir());
    await store.write(key, { refreshToken: 'r1' });
    const [file] = await readdir(join(stateDir(), 'secrets'));
    await writeFile(join(stateDir(), 'secrets', `${file}.${process.pid}.0123abcd.tmp`), '{}', { mode: 0o600 });
    await store.delete(key);
    expect(await readdir(join(stateDir(), 'secrets'))).toEqual([]);
  });
});
