import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { AuthError } from '../errors.js';
import { ensureDir } from './files.js';
import { dirname } from 'node:path';

export interface Lock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** Give up after this long (the refresh of another process should take a second or two). */
  readonly timeoutMs?: number;
  /** A lock older than this is taken to belong to a crashed process even if its pid looks alive (pid reuse). */
  readonly staleMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive cross-process lock: a file created with O_EXCL holding the owner's pid and a nonce. Node has no
 * flock(2), and O_EXCL creation is atomic on every local file system. A lock left by a crashed process (its pid is
 * gone, or it is older than `staleMs`) is broken by renaming it away — rename is atomic, so two waiters cannot both
 * break the same lock — and checking that what was renamed is the lock that was judged stale.
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<Lock> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const staleMs = options.staleMs ?? 60_000;
  const sleep = options.sleep ?? defaultSleep;
  const nonce = randomBytes(8).toString('hex');
  const content = `${process.pid} ${nonce}\n`;
  const deadline = Date.now() + timeoutMs;
  await ensureDir(dirname(path), 0o700);
  let delay = 10;
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(content);
      await handle.close();
      return {
        release: async () => {
          // Only remove the lock if it is still ours (it may have been broken as stale in a very long pause).
          const current = await readFile(path, 'utf8').catch(() => '');
          if (current === content) await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    await breakIfStale(path, staleMs);
    if (Date.now() > deadline) {
      throw new AuthError('lock_timeout', `Another scopes process has held the token lock for over ${Math.round(timeoutMs / 1000)} s.`, {
        hint: `If no other scopes process is running, delete ${path}.`,
      });
    }
    // Jitter keeps eight waiters from retrying in lockstep.
    await sleep(delay + Math.floor(Math.random() * delay));
    delay = Math.min(delay * 2, 200);
  }
}

async function breakIfStale(path: string, staleMs: number): Promise<void> {
  let holder: string;
  let age: number;
  try {
    holder = await readFile(path, 'utf8');
    age = Date.now() - (await stat(path)).mtimeMs;
  } catch {
    return; // released meanwhile
  }
  const pid = Number(holder.split(' ')[0]);
  // An empty file is a lock being written this instant: not stale unless it stays so.
  const dead = holder !== '' && Number.isInteger(pid) && pid > 0 && !processAlive(pid);
  if (!dead && age < staleMs) return;
  const aside = `${path}.stale.${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else broke it first
  }
  const taken = await readFile(aside, 'utf8').catch(() => '');
  if (taken !== holder) {
    // We renamed a fresh lock another process created after our look: put it back unless the slot was taken
    // meanwhile (link, unlike rename, never overwrites).
    await link(aside, path).catch(() => undefined);
    await rm(aside, { force: true });
    return;
  }
  await rm(aside, { force: true });
}
