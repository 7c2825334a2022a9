/**
 * `scopes help | true`: the reader has closed the pipe before the first write (`true` exits at once, long before Node
 * has started; as `head -1` does after one line). The rest of the output is dropped quietly, as
 * `git log | head` does (regression: an unhandled EPIPE stack trace on stderr, exit 1).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { binPath } from '../support/cli.js';

describe('a reader that closes the pipe early', () => {
  it('ends the output without a stack trace', async () => {
    const child = spawn('bash', ['-c', `"${process.execPath}" "${binPath}" help | true; exit "\${PIPESTATUS[0]}"`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });
});
