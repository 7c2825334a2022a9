/** The README's first command: `npm run demo` must show a login, its diff, what an endpoint is missing, and the fix. */
import { spawnSync } from 'node:child_process';
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
});
