/**
 * The credential lock (issue 8, point 3): a paused holder keeps it; what a crash leaves (an empty or garbled lock
 * file, a lock naming a pid now used by an unrelated process, temporary files) is recovered at once. A real second
 * process holds the lock where the point is another process (needs `npm run build`, which npm test does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScopesError } from '../../src/errors.js';
import { acquireLock } from '../../src/io/lock.js';
import { bootId, processStartTime } from '../../src/io/processes.js';
import { repoRoot } from '../support/cli.js';

let dir: string;
const children: ChildProcess[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scopes-lock-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
  await rm(dir, { recursive: true, force: true });
});

/** Backdates a file, as if written `seconds` ago. */
const age = async (path: string, seconds: number) => {
  const then = new Date(Date.now() - seconds * 1000);
  await utimes(path, then, then);
};

/** Another process that takes the lock and keeps it until killed; resolves once it holds it. */
async function holderProcess(path: string): Promise<ChildProcess> {
  const lockModule = join(repoRoot, 'dist', 'src', 'io', 'lock.js');
  const script = `const { acquireLock } = await import(${JSON.stringify(lockModule)}); await acquireLock(${JSON.stringify(path)}); console.log('held'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve());
    child.once('exit', (code) => reject(new Error(`the holder exited ${code}`)));
  });
  return child;
}

/** A process unrelated to scopes: its pid is alive, as a reused pid would be. */
function unrelatedProcess(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

const quick = { timeoutMs: 2000 };

describe('a lock left by a crash is recovered within 2 s', () => {
  it.each([
    { what: 'an empty lock file', content: '' },
    { what: 'a garbled lock file', content: '\u0000\u0000garbage' },
    { what: 'a lock file of the old "pid nonce" format', content: `${process.ppid} deadbeef\n` },
  ])('$what', async ({ content }) => {
    const path = join(dir, 'a.lock');
    await writeFile(path, content);
    await age(path, 2);
    const lock = await acquireLock(path, quick);
    expect(JSON.parse(await readFile(path, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('a lock naming a process that is gone', async () => {
    const path = join(dir, 'b.lock');
    await writeFile(path, JSON.stringify({ pid: 999_999_999, nonce: 'x' }));
    const lock = await acquireLock(path, quick);
    await lock.release();
  });

  it('a lock naming a live pid that now belongs to an unrelated process (pid reuse)', async () => {
    const path = join(dir, 'c.lock');
    const other = unrelatedProcess();
    await new Promise((resolve) => other.once('spawn', resolve));
    const start = processStartTime(other.pid!);
    expect(start, 'this platform can tell when a process started').toBeDefined();
    // The holder recorded its own start time; the process now behind the pid started at another time.
    const recorded = start!.startsWith('proc:') ? `proc:${Number(start!.slice(5)) - 1}` : `epoch:${Number(start!.slice(6)) - 60_000}`;
    await writeFile(path, JSON.stringify({ pid: other.pid, start: recorded, boot: bootId(), nonce: 'x' }));
    const lock = await acquireLock(path, quick);
    await lock.release();
  });

  it('a lock from before a reboot', async () => {
    if (!bootId()) return; // only Linux tells the boot apart
    const path = join(dir, 'd.lock');
    await writeFile(path, JSON.stringify({ pid: process.ppid, start: processStartTime(process.ppid), boot: 'another-boot', nonce: 'x' }));
    const lock = await acquireLock(path, quick);
    await lock.release();
  });

  it('removes the temporary and renamed-aside files of killed acquirers', async () => {
    const path = join(dir, 'e.lock');
    await writeFile(`${path}.999999999.0123abcd.tmp`, '{}');
    await writeFile(`${path}.stale.0123abcd`, '{}');
    await age(`${path}.stale.0123abcd`, 60);
    const lock = await acquireLock(path, quick);
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('a paused holder', () => {
  it('keeps its lock however long it is stopped: a waiter gives up with exit 3 naming it, and takes nothing', async () => {
    const path = join(dir, 'f.lock');
    const holder = await holderProcess(path);
    holder.kill('SIGSTOP');
    // As if stopped for minutes (Ctrl-Z, a closed laptop lid): age alone must not make the lock stale.
    await age(path, 300);
    const before = await readFile(path, 'utf8');
    const error = await acquireLock(path, { timeoutMs: 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScopesError);
    expect((error as ScopesError).exitCode).toBe(3);
    expect((error as ScopesError).message).toContain(`pid ${holder.pid}`);
    expect((error as ScopesError).message).toContain('stopped');
    expect((error as ScopesError).hint).toContain('fg');
    expect(await readFile(path, 'utf8')).toBe(before);
  });

  it('is taken over at once when the holder is killed', async () => {
    const path = join(dir, 'g.lock');
    const holder = await holderProcess(path);
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    const lock = await acquireLock(path, quick);
    await lock.release();
  });

  it('finds out it lost the lock before it spends anything (verify)', async () => {
    const path = join(dir, 'h.lock');
    const lock = await acquireLock(path);
    await lock.verify();
    // Someone judged it stale and took it meanwhile.
    await rm(path);
    const other = await acquireLock(path);
    await expect(lock.verify()).rejects.toMatchObject({ code: 'lock_lost' });
    await lock.release();
    expect(JSON.parse(await readFile(path, 'utf8')).pid).toBe(process.pid);
    await other.verify();
    await other.release();
  });
});
