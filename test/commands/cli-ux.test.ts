/** What a person meets at the command line itself: --json on a terminal and in a pipe, flag errors, help. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { binPath, createSandbox } from '../support/cli.js';
import { testDeps } from '../support/deps.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'scopes-cli-ux-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const env = () => ({ HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), SCOPES_STORAGE: 'file' });

async function run(argv: string[], tty = false) {
  const deps = testDeps({ env: env(), cwd: home, tty });
  const code = await main(argv, deps);
  return { code, stdout: deps.stdout(), stderr: deps.stderr() };
}

describe('--json', () => {
  it('is indented on a terminal and one line in a pipe, the same document', async () => {
    const terminal = await run(['token', '--json'], true);
    const pipe = await run(['token', '--json'], false);
    expect(terminal.stdout).toMatch(/^\{\n {2}"error": \{\n {4}"code": "no_session",\n/);
    expect(pipe.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(terminal.stdout)).toEqual(JSON.parse(pipe.stdout));
  });

  it('scopes token --json too: indented on a terminal, one line in a pipe', async () => {
    const run2 = async (tty: boolean) => {
      const deps = testDeps({ env: { ...env(), SCOPES_TOKEN: 'given-token' }, cwd: home, tty });
      expect(await main(['token', '--json'], deps)).toBe(0);
      return deps.stdout();
    };
    expect(await run2(true)).toBe('{\n  "accessToken": "given-token",\n  "expiresAt": null,\n  "scope": [],\n  "tokenType": "Bearer"\n}\n');
    expect(await run2(false)).toBe('{"accessToken":"given-token","expiresAt":null,"scope":[],"tokenType":"Bearer"}\n');
  });

  it('gives one JSON error document on stdout for a flag error, and for a misspelt --json', async () => {
    for (const argv of [['status', '--json', '--bogus'], ['status', '--jsno']]) {
      const result = await run(argv);
      expect(result.code).toBe(2);
      expect(result.stdout.trimEnd().split('\n')).toHaveLength(1);
      expect(JSON.parse(result.stdout)).toEqual({ error: expect.objectContaining({ code: 'usage', exitCode: 2 }) });
      expect(result.stderr).toContain('error: unknown option');
    }
    expect(JSON.parse((await run(['status', '--jsno'])).stdout).error).toEqual({
      code: 'usage',
      message: "Unknown option '--jsno'.",
      hint: 'Did you mean --json?',
      exitCode: 2,
    });
    // Without --json nothing is written to stdout.
    expect((await run(['status', '--bogus'])).stdout).toBe('');
  });

  it('in a real pipe from the binary, is compact', async () => {
    const box = await createSandbox();
    try {
      const result = await box.run(['status', '--json']);
      expect(result.stdout).toBe('{"profiles":[]}\n');
    } finally {
      await box.cleanup();
    }
  });

  it.runIf(spawnSync('tmux', ['-V']).status === 0)('on a real terminal (tmux), is indented', async () => {
    const box = await createSandbox();
    const session = `scopes-json-${process.pid}`;
    try {
      const envArgs = Object.entries(box.env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
      const command = `'${process.execPath}' '${binPath}' status --json; echo "exit=$?"; sleep 30`;
      expect(spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '80', '-y', '20', ...envArgs, command]).status).toBe(0);
      let screen = '';
      for (let attempt = 0; attempt < 100 && !screen.includes('exit='); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        screen = spawnSync('tmux', ['capture-pane', '-p', '-t', session]).stdout.toString();
      }
      expect(screen).toContain('{\n  "profiles": []\n}\nexit=3');
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
      await box.cleanup();
    }
  });
});

describe('help', () => {
  it('`scopes help nope` is an unknown command: exit 2, nothing on stdout', async () => {
    const result = await run(['help', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("error: unknown command 'nope'");
    expect((await run(['help', 'status'])).code).toBe(0);
    expect((await run(['help'])).code).toBe(0);
  });

  it.each(['login', 'token', 'exec', 'status', 'logout', 'diff', 'inspect', 'probe', 'check', 'minimal'])('`%s --help` lists the global options', async (command) => {
    const result = await run([command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Global Options:');
    for (const option of ['--profile <name>', '--config <file>', '--json', '--verbose']) expect(result.stdout).toContain(option);
  });
});
