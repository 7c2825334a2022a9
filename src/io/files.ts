import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { processAlive } from './processes.js';
import { readBoundedFile } from './bounded.js';

const uid = (): number | undefined => (typeof process.getuid === 'function' ? process.getuid() : undefined);

/**
 * Refuses a folder or file of ours that another user owns or can write (they could swap the issuer a token is sent
 * to, or plant a lock or a session), and a secret that others can read. Never repaired silently: the user has to
 * know, because whatever was there may have been read or changed already. No-op on Windows (ACLs, not modes).
 * @throws UsageError (exit 2) naming the path and the command that fixes it.
 */
export function checkPrivate(path: string, stats: Stats, options: { secret?: boolean } = {}): void {
  const me = uid();
  if (me === undefined) return;
  const what = stats.isDirectory() ? 'folder' : 'file';
  if (stats.uid !== me) {
    throw new UsageError(`The ${what} ${path} belongs to another user (uid ${stats.uid}), so scopes will not use it.`, {
      hint: `Move it aside (\`mv ${path} ${path}.bak\`) and let scopes create its own, or set XDG_STATE_HOME / XDG_CONFIG_HOME to a folder of yours.`,
    }, 'unsafe_permissions');
  }
  const mode = (stats.mode & 0o777).toString(8).padStart(3, '0');
  if (stats.mode & 0o022) {
    throw new UsageError(`The ${what} ${path} can be written by other users (mode ${mode}), so scopes will not use it.`, {
      hint: `Run \`chmod go-w ${path}\`${options.secret ? '' : ' and check that nothing in it was changed'}.`,
    }, 'unsafe_permissions');
  }
  if (options.secret && stats.mode & 0o077) {
    throw new UsageError(`The secrets ${what} ${path} can be read by other users (mode ${mode}), so scopes will not use it.`, {
      hint: `Run \`chmod ${what === 'folder' ? '700' : '600'} ${path}\`, then \`scopes logout\` and \`scopes login\` to replace the tokens it held.`,
    }, 'unsafe_permissions');
  }
}

/**
 * Checks each of `paths` that exists with {@link checkPrivate}; missing ones are fine (created private later). One
 * that is writable by its group only, and is ours, is repaired (`chmod g-w`) with a warning rather than refused: a
 * umask of 002 (user private groups, the default on many desktops) gives every folder a user makes that mode, and
 * the warning still says to check what is in it. Owned by another user or writable by everyone: refused.
 */
export async function checkPrivateIfPresent(paths: readonly string[], warn: ((message: string) => void) | undefined, options: { secret?: boolean } = {}): Promise<void> {
  for (const path of paths) {
    const stats = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    });
    if (!stats) continue;
    // Without `warn` (the cached-token fast path, which shows no warning) nothing is repaired: the check refuses, and
    // the full CLI repairs it and says so.
    const groupOnly = (stats.mode & 0o022) === 0o020 && stats.uid === uid();
    if (groupOnly && warn) {
      await chmod(path, stats.mode & 0o7757);
      warn(`${path} was writable by its group (mode ${(stats.mode & 0o777).toString(8)}); scopes made it ${((stats.mode & 0o7757) & 0o777).toString(8)}. Check that nothing in it was changed by someone else.`);
      continue;
    }
    checkPrivate(path, stats, options);
  }
}

/**
 * Creates `dir` (and parents) with `mode`. An existing one must be ours and not writable by others
 * ({@link checkPrivate}); read bits beyond `mode` are tightened.
 */
export async function ensureDir(dir: string, mode = 0o700): Promise<void> {
  const existing = await stat(dir).catch(() => undefined);
  if (!existing) {
    await mkdir(dir, { recursive: true, mode });
    await chmod(dir, mode); // the umask may have narrowed it, never widened it; set it exactly
    return;
  }
  if (!existing.isDirectory()) throw new UsageError(`${dir} is not a folder.`, { hint: `Move it aside: scopes keeps its files in ${dir}.` });
  checkPrivate(dir, existing);
  if ((existing.mode & 0o777 & ~mode) !== 0) await chmod(dir, mode);
}

/** `<file>.<pid>.<8 hex>.tmp`: the temporary files {@link writeFileAtomic} makes. */
const TEMPORARY = /^(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;
/** A temporary file lives for milliseconds; one this old was left by a write that was killed. */
const TEMPORARY_STALE_MS = 60_000;

/**
 * Removes temporary files that killed writes left next to `path` (a secrets one holds a refresh token): those of
 * `path` itself when `all` (the caller holds the file's lock, so no other write is under way), and those of any file
 * in the folder whose writer is gone or that are older than a minute.
 */
export async function removeTemporaries(path: string, options: { all?: boolean } = {}): Promise<number> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const match = TEMPORARY.exec(name);
    if (!match) continue;
    const pid = Number(match[2]);
    let stale = (options.all === true && match[1] === base) || (pid !== process.pid && !processAlive(pid));
    if (!stale) {
      const stats = await stat(join(dir, name)).catch(() => undefined);
      stale = stats !== undefined && Date.now() - stats.mtimeMs > TEMPORARY_STALE_MS;
    }
    if (stale) {
      await rm(join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}

/**
 * Writes a file so that readers see the old content or the new, never half of it: a temporary file in the same
 * folder, fsync, rename. The temporary file is created with `mode` so a secret is never readable by others, not
 * even for a moment.
 */
export async function writeFileAtomic(path: string, content: string, mode = 0o600): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Reads a text file (at most 1 MiB, a regular file only: see bounded.ts), or `undefined` when it does not exist.
 * @throws UsageError for anything else.
 */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  return await readBoundedFile(path, 1024 * 1024, 'the file');
}

/** Reads a secrets file, or `undefined` when it does not exist; refuses one others can read ({@link checkPrivate}). */
export async function readSecretIfExists(path: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    checkPrivate(path, await handle.stat(), { secret: true });
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Writes JSON atomically; the folder must exist (callers decide whether to create it, and with which mode). */
export async function writeJsonAtomic(path: string, value: unknown, mode = 0o600): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, mode);
}
