import { randomBytes } from 'node:crypto';
import { link, open, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AuthError, NetworkError } from '../errors.js';
import { ensureDir } from './files.js';
import { bootId, ownStartTime, processAlive, processStartTime, processStopped, sameStart } from './processes.js';

export interface Lock {
  /**
   * Throws {@link LockLostError} when the lock file no longer holds this lock (someone removed it or judged it stale
   * during a very long pause). Called right before spending a refresh token, which must never be sent twice.
   */
  verify(): Promise<void>;
  release(): Promise<void>;
  /** Whether another process held the lock when this one first asked, and for how long this one waited. */
  readonly contended: boolean;
  /** When this process started asking (epoch ms), to tell a holder's outcome recorded meanwhile from an old one. */
  readonly askedAt: number;
}

export interface LockOptions {
  /** Give up after this long while a live holder keeps the lock (longer than a refresh that times out: 3 × 30 s). */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The lock was taken from this process while it held it: it must not go on to spend anything. */
export class LockLostError extends AuthError {
  constructor(path: string) {
    super('lock_lost', `Another scopes process took the token lock ${path} while this one was paused; stopped before spending the refresh token.`, {
      hint: 'Run the command again.',
    });
  }
}

/** What the lock file says: who holds it, told apart from a later process with the same pid. */
interface Holder {
  readonly pid: number;
  /** {@link processStartTime} of the holder. */
  readonly start?: string | undefined;
  readonly boot?: string | undefined;
  readonly nonce: string;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A garbled or empty lock file is broken once it is this old (no writer of ours ever leaves one that long). */
const GARBLED_GRACE_MS = 1000;
/** Where a holder's start time cannot be checked, a lock whose heartbeat stopped this long ago is stale. */
const UNVERIFIABLE_STALE_MS = 60_000;
const HEARTBEAT_MS = 10_000;

function parseHolder(text: string): Holder | undefined {
  try {
    const value = JSON.parse(text) as Partial<Holder>;
    if (typeof value !== 'object' || value === null) return undefined;
    if (!Number.isInteger(value.pid) || (value.pid as number) <= 0 || typeof value.nonce !== 'string') return undefined;
    return {
      pid: value.pid as number,
      nonce: value.nonce,
      start: typeof value.start === 'string' ? value.start : undefined,
      boot: typeof value.boot === 'string' ? value.boot : undefined,
    };
  } catch {
    return undefined;
  }
}

type Verdict = { readonly stale: true; readonly why: string } | { readonly stale: false; readonly holder?: Holder };

/**
 * Whether the process named by a lock file is gone. Never judged by age alone while the holder is alive and
 * verifiably the same process: a holder paused by Ctrl-Z or a closed laptop lid keeps its lock, because a second
 * holder would spend the same refresh token and a rotating server would then revoke the session for everyone.
 */
function judge(text: string, ageMs: number): Verdict {
  const holder = parseHolder(text);
  if (!holder) return ageMs >= GARBLED_GRACE_MS ? { stale: true, why: 'garbled' } : { stale: false };
  const boot = bootId();
  if (holder.boot && boot && holder.boot !== boot) return { stale: true, why: 'from before a reboot' };
  if (holder.pid !== process.pid && !processAlive(holder.pid)) return { stale: true, why: 'holder gone' };
  const same = holder.pid === process.pid ? sameStart(holder.start, ownStartTime()) : sameStart(holder.start, processStartTime(holder.pid));
  if (same === false) return { stale: true, why: 'pid reused by another process' };
  if (same === undefined && ageMs > UNVERIFIABLE_STALE_MS) return { stale: true, why: 'heartbeat stopped' };
  return { stale: false, holder };
}

/**
 * An exclusive cross-process lock for one credential.
 *
 * Why not a library: proper-lockfile, the maintained choice, judges staleness by mtime alone, so a holder stopped
 * with SIGSTOP for longer than `stale` loses its lock to a second process, which then spends the same refresh token;
 * its `onCompromised` fires after the fact. Here liveness is the holder's pid *and* its start time (pid reuse), and
 * the boot id; age only decides where neither can be checked.
 *
 * The lock file is written whole to a temporary file and then hard-linked into place: link(2) fails with EEXIST
 * when the lock is held and never leaves an empty or half-written lock file, even when killed. A stale lock is
 * broken by renaming it away (atomic, so two waiters cannot both break it) and checking that what was renamed is the
 * lock that was judged; a holder whose lock was broken finds out through {@link Lock.verify}.
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<Lock> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const sleep = options.sleep ?? defaultSleep;
  const nonce = randomBytes(8).toString('hex');
  const content = `${JSON.stringify({ pid: process.pid, start: ownStartTime(), boot: bootId(), nonce })}\n`;
  const askedAt = Date.now();
  const deadline = askedAt + timeoutMs;
  await ensureDir(dirname(path), 0o700);
  await removeLeftovers(path);
  let delay = 10;
  let contended = false;
  for (;;) {
    if (await create(path, content, nonce)) return held(path, content, contended, askedAt);
    contended = true;
    const verdict = await breakIfStale(path);
    if (Date.now() > deadline) throw timeout(path, verdict, timeoutMs);
    // Jitter keeps waiters from retrying in lockstep.
    await sleep(delay + Math.floor(Math.random() * delay));
    delay = Math.min(delay * 2, 200);
  }
}

async function create(path: string, content: string, nonce: string): Promise<boolean> {
  const temporary = `${path}.${process.pid}.${nonce.slice(0, 8)}.tmp`;
  await rm(temporary, { force: true });
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
    // A file system without hard links: O_EXCL creation, which a crash can leave empty (recovered as garbled).
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(content);
      await handle.close();
      return true;
    } catch (fallback) {
      if ((fallback as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw fallback;
    }
  } finally {
    await rm(temporary, { force: true });
  }
}

function held(path: string, content: string, contended: boolean, askedAt: number): Lock {
  // The heartbeat only matters where a holder's start time cannot be checked; unref'd so it never keeps us alive.
  const heartbeat = setInterval(() => {
    const now = new Date();
    void utimes(path, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  const ours = async () => (await readFile(path, 'utf8').catch(() => '')) === content;
  return {
    contended,
    askedAt,
    verify: async () => {
      if (!(await ours())) throw new LockLostError(path);
    },
    release: async () => {
      clearInterval(heartbeat);
      // Only remove the lock if it is still ours.
      if (await ours()) await rm(path, { force: true });
    },
  };
}

async function breakIfStale(path: string): Promise<Verdict> {
  let text: string;
  let age: number;
  try {
    text = await readFile(path, 'utf8');
    age = Date.now() - (await stat(path)).mtimeMs;
  } catch {
    return { stale: false }; // released meanwhile
  }
  const verdict = judge(text, age);
  if (!verdict.stale) return verdict;
  const aside = `${path}.stale.${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return verdict; // someone else broke it first
  }
  const taken = await readFile(aside, 'utf8').catch(() => '');
  if (taken !== text) {
    // We renamed a fresh lock another process created after our look: put it back unless the slot was taken
    // meanwhile (link, unlike rename, never overwrites). If it was, that holder's verify() tells it.
    await link(aside, path).catch(() => undefined);
  }
  await rm(aside, { force: true });
  return verdict;
}

function timeout(path: string, verdict: Verdict, timeoutMs: number): Error {
  const holder = !verdict.stale ? verdict.holder : undefined;
  const seconds = Math.round(timeoutMs / 1000);
  if (holder && processStopped(holder.pid)) {
    return new AuthError('lock_held', `Another scopes process (pid ${holder.pid}) holds the token lock and is stopped (Ctrl-Z or SIGSTOP).`, {
      hint: `Resume it (\`fg\`, or \`kill -CONT ${holder.pid}\`) or end it, then run the command again.`,
    });
  }
  // A running holder for this long is waiting on the authorization server (or a keychain prompt): the server's outcome
  // class, not "auth", is what this process has to report.
  return new NetworkError('lock_timeout', `Another scopes process${holder ? ` (pid ${holder.pid})` : ''} has been refreshing the token for over ${seconds} s without an answer from the authorization server.`, {
    hint: `Check that the server is reachable; if no scopes process is running, delete ${path}.`,
  });
}

/** Temporary lock files of killed acquirers and renamed-aside stale locks, left by a crash at the wrong moment. */
async function removeLeftovers(path: string): Promise<void> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(`${base}.`)) continue;
    const temporary = /\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name);
    const stale = name.startsWith(`${base}.stale.`);
    if (!temporary && !stale) continue;
    const file = join(dir, name);
    const age = Date.now() - ((await stat(file).catch(() => undefined))?.mtimeMs ?? Date.now());
    if ((temporary && Number(temporary[1]) !== process.pid && !processAlive(Number(temporary[1]))) || age > 10_000) {
      await rm(file, { force: true });
    }
  }
}
