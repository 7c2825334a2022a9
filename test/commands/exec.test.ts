/**
 * `scopes exec` passes its child's status on as shells do (issue 8, point 14): 128 + n when the child is killed by
 * signal n, 127 when the command is not found, 126 when it cannot be run; the child's own code otherwise.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { testDeps } from '../support/deps.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scopes-exec-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function exec(command: string[]): Promise<{ code: number; stderr: string }> {
  const deps = testDeps({ env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'c'), XDG_STATE_HOME: join(dir, 's'), SCOPES_TOKEN: 'the-token', PATH: process.env.PATH }, cwd: dir });
  const code = await main(['exec', '--', ...command], deps);
  return { code, stderr: deps.stderr() };
}

describe('scopes exec exit status', () => {
  it.each([
    { signal: 'SIGTERM', expected: 128 + constants.signals.SIGTERM },
    { signal: 'SIGKILL', expected: 128 + constants.signals.SIGKILL },
    { signal: 'SIGINT', expected: 128 + constants.signals.SIGINT },
  ])('a child killed by $signal exits $expected', async ({ signal, expected }) => {
    expect((await exec(['sh', '-c', `kill -${signal.slice(3)} $$`])).code).toBe(expected);
  });

  it("passes the child's own exit code through", async () => {
    expect((await exec(['sh', '-c', 'exit 7'])).code).toBe(7);
    expect((await exec(['sh', '-c', 'test "$SCOPES_ACCESS_TOKEN" = the-token'])).code).toBe(0);
  });

  it('a command that is not found exits 127 and says so', async () => {
    const result = await exec(['scopes-no-such-command-4711']);
    expect(result.code).toBe(127);
    expect(result.stderr).toContain('scopes-no-such-command-4711: command not found');
  });

  it('a file that cannot be executed exits 126', async () => {
    const script = join(dir, 'not-executable.sh');
    await writeFile(script, '#!/bin/sh\nexit 0\n');
    await chmod(script, 0o644);
    const result = await exec([script]);
    // Root may execute anything with an x bit; a file without any is still refused (EACCES).
    expect(result.code).toBe(126);
  });
});
