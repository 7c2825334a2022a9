/** `scopes status` as a user reads it: what is true of each session now, and an exit code a script can test. */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { writeSessionState, type SessionState } from '../../src/io/state.js';
import { binPath } from '../support/cli.js';
import { testDeps } from '../support/deps.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'scopes-status-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const NOW = new Date('2026-12-01T12:00:00Z');
const env = () => ({ HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), SCOPES_STORAGE: 'file' });
const ISSUER = 'https://auth.example.com';

async function profiles(names: string[]) {
  await mkdir(join(home, 'config', 'scopes'), { recursive: true });
  const entries = Object.fromEntries(names.map((name) => [name, { issuer: ISSUER, clientId: `client-${name}` }]));
  await writeFile(join(home, 'config', 'scopes', 'config.json'), JSON.stringify({ profiles: entries }));
}

async function session(profile: string, fields: Partial<SessionState> = {}) {
  await writeSessionState(join(home, 'state', 'scopes'), {
    profile,
    issuer: ISSUER,
    clientId: `client-${profile}`,
    storage: 'file',
    requested: ['openid', 'videos:read'],
    granted: ['openid', 'videos:read'],
    grantedAssumed: false,
    expiresAt: NOW.getTime() / 1000 + 3600,
    refreshToken: true,
    lastLogin: '2026-12-01T11:00:00.000Z',
    ...fields,
  });
}

async function run(argv: string[]) {
  const deps = testDeps({ env: env(), cwd: home, now: NOW });
  const code = await main(argv, deps);
  return { code, stdout: deps.stdout(), stderr: deps.stderr() };
}

describe('scopes status', () => {
  it('shows a live session as usable and exits 0', async () => {
    await profiles(['default']);
    await session('default');
    const result = await run(['status']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('refresh token  held');
    expect(result.stdout).toContain('session        usable');
    expect(result.stdout).toContain('last login     2026-12-01T11:00:00.000Z (1 h ago)');
  });

  it('shows a refresh token the server rejected, when, and the login to run; exit 3', async () => {
    await profiles(['work']);
    await session('work', { refreshRejectedAt: '2026-12-01T11:57:00.000Z' });
    const result = await run(['status', '--profile', 'work']);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('refresh token  rejected by the server at 2026-12-01T11:57:00.000Z (3 min ago)');
    expect(result.stdout).toContain('session        the server rejected the refresh token at 2026-12-01T11:57:00.000Z (3 min ago): run `scopes login --profile work`');
    const json = JSON.parse((await run(['status', '--profile', 'work', '--json'])).stdout);
    expect(json.profiles[0]).toMatchObject({ profile: 'work', usable: false, refreshRejectedAt: '2026-12-01T11:57:00.000Z' });
  });

  it('calls an expired access token without a refresh token a dead session; exit 3', async () => {
    await profiles(['default']);
    await session('default', { refreshToken: false, expiresAt: NOW.getTime() / 1000 - 7200 });
    const result = await run(['status']);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('session        the access token expired 2 h ago and there is no refresh token to renew it: run `scopes login`');
  });

  it('with --profile shows only that profile, and its exit code only', async () => {
    await profiles(['default', 'work']);
    await session('work');
    const only = await run(['status', '--profile', 'work']);
    expect(only.code).toBe(0);
    expect(only.stdout).toMatch(/^work\n/);
    expect(only.stdout).not.toContain('default');
    // Without --profile, any profile without a usable session makes it exit 3 (as gh auth status does).
    const all = await run(['status']);
    expect(all.code).toBe(3);
    expect(all.stdout).toContain('default (current)');
    expect(all.stdout).toContain('session        no session: run `scopes login`');
  });

  it('exits 3 for a profile asked for that has never logged in, and when there are no profiles', async () => {
    expect((await run(['status'])).code).toBe(3);
    const result = await run(['status', '--profile', 'nobody', '--json']);
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout).profiles).toEqual([expect.objectContaining({ profile: 'nobody', usable: false, loggedIn: false })]);
  });
});

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

describe.runIf(hasTmux)('scopes status on a 60-column terminal (tmux)', () => {
  it('wraps a long value under its column, not under the labels', async () => {
    await profiles(['work']);
    // The real clock: the binary runs with its own.
    const now = Date.now();
    await session('work', { refreshRejectedAt: new Date(now - 180_000).toISOString(), expiresAt: Math.floor(now / 1000) + 3600, lastLogin: new Date(now - 3_600_000).toISOString() });
    const tmuxSession = `scopes-status-${process.pid}`;
    const vars = { ...env(), NO_COLOR: '1', TERM: 'xterm-256color' };
    const envArgs = Object.entries(vars).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
    const command = `'${process.execPath}' '${binPath}' status --profile work; echo "exit=$?"; sleep 30`;
    expect(spawnSync('tmux', ['new-session', '-d', '-s', tmuxSession, '-x', '60', '-y', '30', ...envArgs, command], { cwd: home }).status).toBe(0);
    try {
      let screen = '';
      for (let attempt = 0; attempt < 100 && !screen.includes('exit='); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        screen = spawnSync('tmux', ['capture-pane', '-p', '-t', tmuxSession]).stdout.toString();
      }
      const lines = screen.split('\n');
      expect(lines.every((line) => line.length <= 60)).toBe(true);
      const at = lines.findIndex((line) => line.startsWith('  session        '));
      expect(lines[at]).toMatch(/^ {2}session {8}the server rejected the refresh token at/);
      // Its continuation starts in the value column.
      expect(lines[at + 1]).toMatch(/^ {17}\S/);
      expect(screen).toContain('`scopes login --profile work`');
      expect(screen).toContain('exit=3');
    } finally {
      spawnSync('tmux', ['kill-session', '-t', tmuxSession]);
    }
  });
});
