/** readBoundedFile sizes its buffer by the file, not by the cap, and still holds the cap while reading. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readBoundedFile } from '../../src/io/bounded.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scopes-bounded-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readBoundedFile', () => {
  it('reads a small file under a cap larger than any buffer could be (the cap is not allocated)', async () => {
    await writeFile(join(dir, 'small.json'), '{"a":1}');
    // Allocating the cap up front threw here ("The argument 'size' is invalid"), and cost 128 MiB for every manifest.
    expect(await readBoundedFile(join(dir, 'small.json'), Number.MAX_SAFE_INTEGER, 'the manifest')).toBe('{"a":1}');
  });

  it('reads files larger than its first buffer, byte for byte, and multi-byte characters across the growth', async () => {
    const text = 'é'.repeat(100_000) + 'end';
    await writeFile(join(dir, 'large.txt'), text);
    expect(await readBoundedFile(join(dir, 'large.txt'), 1024 * 1024, 'the file')).toBe(text);
    await writeFile(join(dir, 'empty.txt'), '');
    expect(await readBoundedFile(join(dir, 'empty.txt'), 10, 'the file')).toBe('');
  });

  it('refuses a file over the cap, and a missing file is undefined', async () => {
    await writeFile(join(dir, 'big.txt'), 'x'.repeat(11));
    await expect(readBoundedFile(join(dir, 'big.txt'), 10, 'the file')).rejects.toThrow(/larger than 10 bytes/);
    await writeFile(join(dir, 'exact.txt'), 'x'.repeat(10));
    expect(await readBoundedFile(join(dir, 'exact.txt'), 10, 'the file')).toBe('x'.repeat(10));
    expect(await readBoundedFile(join(dir, 'none.txt'), 10, 'the file')).toBeUndefined();
  });

  it('holds the cap on a file that says it is empty but is not (/proc)', async () => {
    // /proc files stat as size 0 and read as more: the growth path with a cap in force.
    await expect(readBoundedFile('/proc/self/status', 16, 'the file')).rejects.toThrow(/larger than 16 bytes/);
    expect(await readBoundedFile('/proc/self/status', 1024 * 1024, 'the file')).toContain('Name:');
  });
});
