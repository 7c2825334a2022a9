/**
 * `token --need` and `exec --need` end to end: the real binary, the real provider, a real login; a token is printed
 * (or a command run) only when the granted scopes cover the need.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../support/cli.js';
import { endToEnd, secretsFileOf } from '../support/e2e.js';

const e2e = endToEnd();

async function loggedIn(scopes = 'openid offline_access videos:read'): Promise<Sandbox> {
  const box = await e2e.sandbox();
  const login = await box.run(['login', '--issuer', e2e.provider.issuer, '--client-id', e2e.provider.publicClientId, '--scope', scopes, '--resource', e2e.provider.resource, '--timeout', '20']);
  expect(login.code, login.stderr).toBe(0);
  return box;
}

describe('scopes token --need', () => {
  it('prints the token when the granted scopes cover the need', async () => {
    const box = await loggedIn();
    const result = await box.run(['token', '--need', 'videos:read']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split('.')).toHaveLength(3);
  });

  it('prints no token and exits 1 with the --add-scope line when a scope is missing', async () => {
    const box = await loggedIn();
    const result = await box.run(['token', '--need', 'videos:read export:write']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('missing export:write (it holds videos:read). No token was printed.');
    expect(result.stderr).toContain('scopes login --add-scope "export:write"');
  });

  it('says so when the cached token is narrower than the need, refreshes from the wider grant, and reports a narrower refresh', async () => {
    const box = await loggedIn();
    // The cached access token as a narrowed one would be stored: the grant (session state) still holds videos:read.
    const path = await secretsFileOf(box);
    const secrets = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...secrets, scope: ['usage:read'] }));
    const result = await box.run(['token', '--need', 'videos:read']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('The cached access token holds usage:read, not videos:read; the grant has it, so refreshing');
    expect(result.stderr).toContain('The refresh returned fewer scopes than the stored token had: usage:read is gone (now videos:read).');
    expect(result.stdout.trim()).not.toBe(secrets.accessToken);
  });
});

describe('scopes exec --need', () => {
  it('runs the command only when the token covers the need', async () => {
    const box = await loggedIn();
    const script = 'process.stdout.write(process.env.SCOPES_ACCESS_TOKEN ? "ran with a token" : "ran without")';
    const ok = await box.run(['exec', '--need', 'videos:read', '--', process.execPath, '-e', script]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('ran with a token');

    const refused = await box.run(['exec', '--need', 'jobs:read', '--', process.execPath, '-e', script]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('scopes login --add-scope "jobs:read"');
  });
});
