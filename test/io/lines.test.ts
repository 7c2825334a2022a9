/** The bounded line reader behind `login --manual` (issue 8, point 11: every read from outside has a cap). */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { boundedLineReader } from '../../src/io/lines.js';

describe('boundedLineReader', () => {
  it('reads lines split across chunks, with CRLF, and a last line without newline', async () => {
    const input = new PassThrough();
    const read = boundedLineReader(input);
    input.write('http://127.0.0.1:1/cb?co');
    input.write('de=1\r\nsecond');
    expect(await read()).toBe('http://127.0.0.1:1/cb?code=1');
    input.end('\nthird');
    expect(await read()).toBe('second');
    expect(await read()).toBe('third');
    expect(await read()).toBeUndefined();
  });

  it('refuses a line longer than the cap while it arrives, without waiting for its end', async () => {
    const input = new PassThrough();
    const read = boundedLineReader(input, 1024);
    const line = read();
    for (let i = 0; i < 4; i++) input.write('x'.repeat(512));
    await expect(line).rejects.toThrow(UsageError);
    await expect(read()).rejects.toThrow(/longer than 1 KiB/);
  });

  it('leaves the input paused between reads, so a finished command can exit', async () => {
    const input = new PassThrough();
    const read = boundedLineReader(input);
    input.write('one\ntwo\n');
    expect(await read()).toBe('one');
    expect(input.isPaused()).toBe(true);
    expect(await read()).toBe('two');
  });
});
