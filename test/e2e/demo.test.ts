/** The README's first command: `npm run demo` must show a login, its diff, what an endpoint is missing, and the fix. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';

it('runs the main job end to end on the embedded provider and demo API', () => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of ['BROWSER', 'DISPLAY', 'WAYLAND_DISPLAY', 'SCOPES_TOKEN', 'SCOPES_PROFILE', 'SCOPES_CONFIG']) delete env[name];
  const result = spawnSync(process.execPath, [join(repoRoot, 'dist', 'demo', 'run.js')], { env, encoding: 'utf8', timeout: 60_000 });
  expect(result.status, result.stderr).toBe(0);
  const out = result.stdout;
  expect(out).toContain('a scripted user agent logs in as alice and unticks export:write');
  expect(out).toMatch(/✗ not granted\s+export:write/);
  expect(out).toContain('$ scopes diff');
  expect(out).toMatch(/GET\s+\/v1\/usage\s+403\s+missing scope\s+usage:read/);
  expect(out).toContain('To fix: scopes login --profile demo --add-scope "export:write usage:read"');
  expect(out).toContain('2 of 4 endpoints are not satisfied');
  expect(out).toContain('export:write jobs:read usage:read videos:read');
  expect(out).toContain('All 4 endpoints are satisfied by the granted scopes.');
  // One URL for the demo API, the resource its tokens are minted for (their aud), and what login is given.
  const api = /demo API +(http:\/\/127\.0\.0\.1:\d+) .*tokens for it: --resource (\S+)\)/.exec(out);
  expect(api, out).not.toBeNull();
  expect(api![2]).toBe(api![1]);
  expect(out).toContain(`--resource ${api![1]} --timeout`);
  // Two logins and six commands: more than the default 30 s on a loaded machine (spawnSync has its own 60 s).
}, 90_000);

it('removes its scratch home (it holds tokens) when interrupted with Ctrl-C, and exits 130', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', SCOPES_UA_DECISION: 'ignore' };
  for (const name of ['BROWSER', 'DISPLAY', 'WAYLAND_DISPLAY', 'SCOPES_TOKEN', 'SCOPES_PROFILE', 'SCOPES_CONFIG']) delete env[name];
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'demo', 'run.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  // Interrupt once the login waits for a browser that will never come back: the home then holds the profile.
  await new Promise<void>((resolve) => {
    const check = () => {
      if (/Waiting for the browser/.test(stderr)) resolve();
    };
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      check();
    });
  });
  const home = /scratch home +(\S+)/.exec(stdout)![1]!;
  expect(existsSync(home)).toBe(true);
  child.kill('SIGINT');
  expect(await closed).toBe(130);
  expect(existsSync(home)).toBe(false);
  expect(stdout).toContain(`Interrupted: removed the scratch home ${home} (it held tokens).`);
});
