/**
 * `scopes status` against the real provider: a refresh token the provider has rejected is recorded and shown, and
 * `--check` finds out online. Needs `npm run build` (npm test does it).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as client from 'openid-client';
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../support/cli.js';
import { endToEnd, secretsFileOf } from '../support/e2e.js';

const e2e = endToEnd();

const sandbox = () => e2e.sandbox();

const loginArgs = () => ['login', '--issuer', e2e.provider.issuer, '--client-id', e2e.provider.publicClientId, '--scope', 'openid offline_access videos:read', '--resource', e2e.provider.resource, '--timeout', '20'];

async function storedRefreshToken(box: Sandbox): Promise<string> {
  return (JSON.parse(await readFile(await secretsFileOf(box), 'utf8')) as { refreshToken: string }).refreshToken;
}

/** Someone else spends the refresh token (a copied secrets file): with rotation, the stored one is now dead. */
async function spendElsewhere(refreshToken: string): Promise<void> {
  const config = await client.discovery(new URL(e2e.provider.issuer), e2e.provider.publicClientId, undefined, client.None(), { execute: [client.allowInsecureRequests] });
  await client.refreshTokenGrant(config, refreshToken, new URLSearchParams({ resource: e2e.provider.resource }));
}

describe('scopes status against the provider', () => {
  it('--check confirms a live session with a refresh, and exits 0', async () => {
    const box = await sandbox();
    expect((await box.run(loginArgs())).code).toBe(0);
    const result = await box.run(['status', '--check']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('session        usable');
    expect(result.stdout).toMatch(/online check {3}the refresh worked; the new access token expires in \d+ min/);
  });

  it('records the rejection that `scopes token` met, and shows it with the login to run; exit 3', async () => {
    const box = await sandbox();
    expect((await box.run(loginArgs())).code).toBe(0);
    await spendElsewhere(await storedRefreshToken(box));
    // Not known yet: nothing has asked the server.
    expect((await box.run(['status'])).code).toBe(0);
    expect((await box.run(['token', '--force-refresh'])).code).toBe(3);
    const status = await box.run(['status']);
    expect(status.code).toBe(3);
    expect(status.stdout).toMatch(/refresh token {2}rejected by the server at \d{4}-\d\d-\d\dT[\d:.]+Z \(just now\)/);
    expect(status.stdout).toContain('run `scopes login`');
    // A new login clears it.
    expect((await box.run(loginArgs())).code).toBe(0);
    expect((await box.run(['status'])).stdout).toContain('refresh token  held');
  });

  it('--check finds the rejection online, records it and exits 3', async () => {
    const box = await sandbox();
    expect((await box.run(loginArgs())).code).toBe(0);
    await spendElsewhere(await storedRefreshToken(box));
    const checked = await box.run(['status', '--check', '--json']);
    expect(checked.code).toBe(3);
    const [profile] = JSON.parse(checked.stdout).profiles;
    expect(profile).toMatchObject({ usable: false, checked: { ok: false, code: 'refresh_rejected' } });
    expect(profile.problem).toContain('the server rejected the refresh token');
    expect((await box.run(['status'])).stdout).toContain('rejected by the server at');
  });
});

describe('scopes logout with nothing it can revoke', () => {
  it('says once that a JWT access token without a refresh token cannot be revoked, and warns of nothing', async () => {
    const box = await sandbox();
    // No offline_access: no refresh token; the resource indicator makes the access token a JWT, which oidc-provider
    // refuses to revoke (unsupported_token_type, RFC 7009 §2.2.1).
    const login = await box.run(['login', '--issuer', e2e.provider.issuer, '--client-id', e2e.provider.publicClientId, '--scope', 'openid videos:read', '--resource', e2e.provider.resource, '--timeout', '20']);
    expect(login.code, login.stderr).toBe(0);
    const logout = await box.run(['logout']);
    expect(logout.code).toBe(0);
    expect(logout.stdout).toMatch(
      /^Logged out of profile default: nothing to revoke: no refresh token is held, and the server does not revoke this access token \(it stays valid until it expires in \d+ min\); local secrets and state deleted\.\n$/,
    );
    expect(logout.stderr).toBe('');
  });

  it('says once that the server offers no revocation endpoint', async () => {
    const box = await sandbox();
    const login = await box.run([
      'login', '--issuer', e2e.provider.issuer, '--client-id', e2e.provider.publicClientId, '--scope', 'openid offline_access videos:read', '--resource', e2e.provider.resource, '--timeout', '20',
    ]);
    expect(login.code, login.stderr).toBe(0);
    // The same session, as a profile for a server without discovery that names no revocationEndpoint (GitHub-style).
    const configPath = join(box.home, 'config', 'scopes', 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    config.profiles.default = { ...config.profiles.default, authorizationEndpoint: `${e2e.provider.issuer}/auth`, tokenEndpoint: `${e2e.provider.issuer}/token` };
    const { writeFile } = await import('node:fs/promises');
    await writeFile(configPath, JSON.stringify(config));
    const logout = await box.run(['logout']);
    expect(logout.code).toBe(0);
    expect(logout.stdout).toBe('Logged out of profile default: the server offers no revocation endpoint (the token stays valid there until it expires); local secrets and state deleted.\n');
    expect(logout.stderr).toBe('');
  });
});
