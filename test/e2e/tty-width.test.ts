/**
 * Issue 12, point 6, on a real terminal: the built binary runs inside tmux at a fixed width, and the test reads the
 * screen tmux shows (`capture-pane -J` joins the rows the terminal wrapped, so a line that overflowed shows up as
 * longer than the width). Needs `npm run build` (npm test does it) and tmux (.ci/run installs it).
 */
import { execFile, execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, createSandbox, type Sandbox } from '../support/cli.js';
import { startTestProvider, type TestProvider } from '../support/provider.js';

const run = promisify(execFile);
/** Outside CI a machine without tmux skips these; in CI (CI=true, .ci/run installs tmux) they must run. */
const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
})();
const socket = `scopes-test-${process.pid}`;
let provider: TestProvider;
let box: Sandbox;

beforeAll(async () => {
  if (!hasTmux && process.env.CI !== 'true') return;
  provider = await startTestProvider();
  box = await createSandbox();
});
afterAll(async () => {
  await run('tmux', ['-L', socket, 'kill-server']).catch(() => undefined);
  await box?.cleanup();
  await provider?.close();
});

const shellQuote = (value: string) => `'${value.split("'").join(`'\\''`)}'`;

/**
 * Runs `scopes ARGS` in a fresh tmux window of `columns` × 40 and returns the screen once `until` shows on it (the
 * process may still be running: a spinner is read while it spins).
 */
async function screen(name: string, columns: number, args: string[], env: Record<string, string>, until: RegExp): Promise<string> {
  const command = `${shellQuote(process.execPath)} ${shellQuote(binPath)} ${args.map(shellQuote).join(' ')}; echo __exit=$?; sleep 600`;
  // The tmux server starts with this environment; colour stays on (a terminal), as a user would have it.
  const tmuxEnv: Record<string, string> = { ...box.env, ...env, TERM: 'xterm-256color' };
  delete tmuxEnv.NO_COLOR;
  delete tmuxEnv.TMUX;
  await run('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-s', name, '-x', String(columns), '-y', '40', command], { env: tmuxEnv, cwd: box.home });
  for (;;) {
    const { stdout } = await run('tmux', ['-L', socket, 'capture-pane', '-p', '-J', '-t', name]);
    if (until.test(stdout)) return stdout;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const lines = (text: string) => text.replace(/\n+$/, '').split('\n');

describe.skipIf(!hasTmux && process.env.CI !== 'true')('on a real terminal (tmux)', () => {
  it('check at 60 columns: no row overflows, long paths wrap inside their column', async () => {
    const config = await client.discovery(new URL(provider.issuer), provider.ciClient.clientId, undefined, client.ClientSecretPost(provider.ciClient.clientSecret), {
      execute: [client.allowInsecureRequests],
    });
    const token = (await client.clientCredentialsGrant(config, { scope: 'videos:read', resource: provider.resource })).access_token;
    const manifest = join(box.home, 'scopes.manifest.json');
    await writeFile(
      manifest,
      JSON.stringify({
        endpoints: [
          { method: 'GET', path: '/v1/videos', scopes: ['videos:read'] },
          { method: 'POST', path: '/v1/videos/{video_id}/exports/{export_id}/subtitles/{language}', anyOf: [['export:write', 'subtitles:write'], ['videos:write']] },
        ],
      }),
    );
    const shown = await screen('check', 60, ['check', '--manifest', manifest], { SCOPES_TOKEN: token }, /__exit=\d+/);
    expect(shown).toContain('__exit=1');
    for (const line of lines(shown)) expect(line.length, line).toBeLessThanOrEqual(60);
    expect(shown).toMatch(/^✗ POST \/v1\/videos\/\{video_id\}\/\S* +missing videos:write/m);
    expect(shown).toMatch(/^ {2}exports\/\{export_id\}\/ +/m);
  });

  it('the login spinner at 36 columns is cut to the width and rewrites one line', async () => {
    const shown = await screen(
      'spinner',
      36,
      ['login', '--issuer', provider.issuer, '--client-id', provider.publicClientId, '--scope', 'openid', '--no-browser', '--timeout', '30'],
      {},
      /browser: [1-9]\d* s of/,
    );
    // Uncut, "⠋ waiting for the browser: 1 s of 30 s" (38) would wrap, and each \r would then rewrite only its tail.
    const spinner = lines(shown).filter((line) => /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] waiting/.test(line));
    expect(spinner, shown).toHaveLength(1);
    expect(spinner[0]).toMatch(/^. waiting for the browser: \d+ s of …$/);
    expect(spinner[0]!.length).toBe(35);
  });
});
