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

describe('capResponse', () => {
  const body = (text: string) => new Response(text).body!;
  const read = (response: Response) => response.text();

  it('passes a body within its declared Content-Length through, and refuses one declared over the cap', async () => {
    const { capResponse } = await import('../../src/io/bounded.js');
    const small = new Response(body('{"a":1}'), { headers: { 'content-length': '7' } });
    expect(await read(capResponse(small, 'http://127.0.0.1/x', 10))).toBe('{"a":1}');
    const declaredLarge = new Response(body('x'.repeat(11)), { headers: { 'content-length': '11' } });
    expect(() => capResponse(declaredLarge, 'http://127.0.0.1/x', 10)).toThrow(/larger than/);
  });

  it.each([
    ['no Content-Length', {}],
    ['a Content-Length that is not a number', { 'content-length': 'ten' }],
    ['a compressed body (fetch inflates it past its Content-Length)', { 'content-length': '5', 'content-encoding': 'gzip' }],
    ['Transfer-Encoding beside Content-Length', { 'content-length': '5', 'transfer-encoding': 'chunked' }],
  ])('counts the body as it is read when there is %s', async (_name, headers) => {
    const { capResponse } = await import('../../src/io/bounded.js');
    // The body is longer than any header says: only counting while reading catches it.
    const response = new Response(body('x'.repeat(100)), { headers });
    await expect(read(capResponse(response, 'http://127.0.0.1/x', 10))).rejects.toThrow(/larger than/);
  });
});
