import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { readBoundedFile } from './bounded.js';

/** Creates `dir` (and parents) with `mode`, and tightens the mode when it already exists. */
export async function ensureDir(dir: string, mode = 0o700): Promise<void> {
  await mkdir(dir, { recursive: true, mode });
  await chmod(dir, mode);
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
  } finally {
    await handle.close();
  }
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

export async function writeJsonAtomic(path: string, value: unknown, mode = 0o600): Promise<void> {
  await ensureDir(dirname(path));
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, mode);
}
