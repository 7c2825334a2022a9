/**
 * The config file is read, changed and written under its own lock, atomically (issue 8, point 2): logins of many
 * profiles finishing together lose none, and a symlinked config.json (dotfiles in a repository) stays a symlink.
 */
import { spawn } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { locateConfig, saveProfileFields } from '../../src/io/config.js';
import { repoRoot } from '../support/cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scopes-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const env = () => ({ HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_STATE_HOME: join(dir, 'state') });
const userFile = () => join(dir, 'config', 'scopes', 'config.json');
const profilesIn = async (path: string) => Object.keys(JSON.parse(await readFile(path, 'utf8')).profiles).sort();
const fields = (index: number) => ({ issuer: `https://auth${index}.example.com`, clientId: `client-${index}` });

/** Saves profile `name` from another process, as `scopes login --profile name` does when it finishes. */
function saveInProcess(name: string, index: number): Promise<number> {
  const module = join(repoRoot, 'dist', 'src', 'io', 'config.js');
  const script = `const { locateConfig, saveProfileFields } = await import(${JSON.stringify(module)});
    const location = await locateConfig({}, process.env, process.cwd());
    await saveProfileFields(${JSON.stringify(name)}, ${JSON.stringify(fields(index))}, location);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env() }, cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
}

describe('saving profiles', () => {
  it('keeps all 8 profiles when 8 processes save 8 different profiles at once', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `p${i}`);
    const codes = await Promise.all(names.map((name, i) => saveInProcess(name, i)));
    expect(codes).toEqual(Array(8).fill(0));
    expect(await profilesIn(userFile())).toEqual(names.sort());
    expect((await readdir(join(dir, 'config', 'scopes'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps all 24 when saved concurrently in one process too', async () => {
    const location = await locateConfig({}, env(), dir);
    const names = Array.from({ length: 24 }, (_, i) => `q${String(i).padStart(2, '0')}`);
    await Promise.all(names.map((name, i) => saveProfileFields(name, fields(i), location)));
    expect(await profilesIn(userFile())).toEqual(names);
  });

  it('writes through a symlinked config.json, which stays a symlink', async () => {
    const dotfiles = join(dir, 'dotfiles');
    await mkdir(dotfiles);
    await mkdir(join(dir, 'config', 'scopes'), { recursive: true });
    await writeFile(join(dotfiles, 'scopes.json'), JSON.stringify({ profiles: { kept: fields(0) } }));
    await symlink(join(dotfiles, 'scopes.json'), userFile());
    await saveProfileFields('added', fields(1), await locateConfig({}, env(), dir));
    expect((await lstat(userFile())).isSymbolicLink()).toBe(true);
    expect(await readlink(userFile())).toBe(join(dotfiles, 'scopes.json'));
    expect(await profilesIn(join(dotfiles, 'scopes.json'))).toEqual(['added', 'kept']);
    expect((await readdir(dotfiles)).sort()).toEqual(['scopes.json']);
  });

  it('creates the target of a dangling symlink rather than replacing the link', async () => {
    await mkdir(join(dir, 'config', 'scopes'), { recursive: true });
    await mkdir(join(dir, 'dotfiles'));
    await symlink('../../dotfiles/new.json', userFile());
    await saveProfileFields('first', fields(0), await locateConfig({}, env(), dir));
    expect((await lstat(userFile())).isSymbolicLink()).toBe(true);
    expect(await profilesIn(join(dir, 'dotfiles', 'new.json'))).toEqual(['first']);
  });

  it('removes temporary files that killed writes left beside it', async () => {
    await mkdir(join(dir, 'config', 'scopes'), { recursive: true });
    const leftover = `${userFile()}.999999999.0123abcd.tmp`;
    await writeFile(leftover, '{"profiles":{}}');
    await saveProfileFields('one', fields(0), await locateConfig({}, env(), dir));
    expect(await readdir(join(dir, 'config', 'scopes'))).toEqual(['config.json']);
  });
});
