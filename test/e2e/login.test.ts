/**
 * The login, token, status and logout flows of the real binary against a real OpenID provider (oidc-provider on
 * 127.0.0.1), with the scripted user agent as $BROWSER. Needs `npm run build` (npm test does it).
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as client from 'openid-client';
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../support/cli.js';
import { endToEnd, secretsFileOf } from '../support/e2e.js';
import { startTestProvider } from '../support/provider.js';

const e2e = endToEnd();

const sandbox = e2e.sandbox;

const SCOPES = 'openid offline_access profile videos:read export:write';

function loginArgs(extra: string[] = []): string[] {
  return ['login', '--issuer', e2e.provider.issuer, '--client-id', e2e.provider.publicClientId, '--scope', SCOPES, '--resource', e2e.provider.resource, '--timeout', '20', ...extra];
}

async function storedSecrets(box: Sandbox): Promise<{ refreshToken?: string; accessToken?: string; idToken?: string }> {
  return JSON.parse(await readFile(await secretsFileOf(box), 'utf8'));
}

/** The user agent's log, once it has written its last line: it runs detached and may finish after the CLI exits. */
async function userAgentLog(path: string): Promise<Record<string, unknown>[]> {
  for (let attempt = 0; ; attempt++) {
    const text = await readFile(path, 'utf8').catch(() => '');
    const entries = text.trim() ? text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) : [];
    if (entries.some((entry) => entry.step === 'done') || attempt === 100) return entries;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function providerRefresh(refreshToken: string): Promise<{ ok: true } | { ok: false; error: string }> {
  const config = await client.discovery(new URL(e2e.provider.issuer), e2e.provider.publicClientId, undefined, client.None(), {
    execute: [client.allowInsecureRequests],
  });
  try {
    await client.refreshTokenGrant(config, refreshToken);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as { error?: string }).error ?? String(error) };
  }
}

describe('scopes login', () => {
  it('logs in with everything granted, stores the secrets privately and saves the profile without them', async () => {
    const box = await sandbox();
    const result = await box.run(loginArgs(['--json']));
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ profile: 'default', issuer: e2e.provider.issuer, notGranted: [], refreshToken: true, storage: 'file' });
    expect(json.requested).toEqual(SCOPES.split(' '));
    expect(json.granted).toEqual(expect.arrayContaining(['videos:read', 'export:write']));
    expect(result.stderr).toContain('/auth?');
    expect(result.stderr).toContain('code_challenge_method=S256');

    const secrets = await storedSecrets(box);
    expect(secrets.refreshToken).toBeTruthy();
    const secretsDir = join(box.home, 'state', 'scopes', 'secrets');
    expect((await stat(secretsDir)).mode & 0o777).toBe(0o700);
    for (const file of await readdir(secretsDir)) expect((await stat(join(secretsDir, file))).mode & 0o777).toBe(0o600);

    const config = await readFile(join(box.home, 'config', 'scopes', 'config.json'), 'utf8');
    expect(JSON.parse(config).profiles.default).toMatchObject({ issuer: e2e.provider.issuer, clientId: e2e.provider.publicClientId, resource: [e2e.provider.resource] });
    const session = await readFile(join(box.home, 'state', 'scopes', 'sessions', 'default.json'), 'utf8');
    for (const secret of [secrets.refreshToken!, secrets.accessToken!, secrets.idToken!]) {
      expect(config).not.toContain(secret);
      expect(session).not.toContain(secret);
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
    }
  });

  it('shows what the user unticked as not granted, and --strict makes that exit 1', async () => {
    const box = await sandbox({ env: { SCOPES_UA_UNTICK: 'export:write' } });
    const result = await box.run(loginArgs());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/✗ not granted\s+export:write/);
    expect(result.stdout).toMatch(/✓ granted\s+videos:read/);
    expect(result.stdout).toContain('scopes login --add-scope "export:write"');

    const strict = await box.run(loginArgs(['--strict', '--json']));
    expect(strict.code).toBe(1);
    expect(JSON.parse(strict.stdout).notGranted).toEqual(['export:write']);
  });

  it('explains a scope not granted from the catalogue of the provider the profile names (text and --json)', async () => {
    const box = await sandbox({ env: { SCOPES_UA_UNTICK: 'export:write' } });
    // The test provider serves the video API of reference/seeds/003, whose catalogue src/providers/video-api.ts holds.
    await mkdir(join(box.home, 'config', 'scopes'), { recursive: true, mode: 0o700 });
    const profile = { issuer: e2e.provider.issuer, clientId: e2e.provider.publicClientId, scopes: SCOPES.split(' '), resource: [e2e.provider.resource], preset: 'video-api' };
    await writeFile(join(box.home, 'config', 'scopes', 'config.json'), JSON.stringify({ profiles: { default: profile } }), { mode: 0o600 });
    const human = await box.run(['login', '--timeout', '20']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/✗ not granted\s+export:write/);
    expect(human.stdout).toContain('export:write: Export videos');
    expect(human.stdout).not.toContain('videos:read: View videos');

    const json = await box.run(['login', '--timeout', '20', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).descriptions).toEqual({ 'videos:read': 'View videos in the workspace', 'export:write': 'Export videos' });
  });

  it('tells the browser what was granted', async () => {
    const log = join((await sandbox()).home, 'ua.log');
    const box = await sandbox({ env: { SCOPES_UA_UNTICK: 'export:write', SCOPES_UA_LOG: log } });
    expect((await box.run(loginArgs())).code).toBe(0);
    const done = (await userAgentLog(log)).find((entry) => entry.step === 'done')!;
    expect(done.callbackStatus).toBe(200);
    expect(done.callbackBody).toContain('<title>scopes: Logged in, but 1 scope was not granted</title>');
    expect(done.callbackBody).toMatch(/<h2>Not granted<\/h2>\n<ul class="refused"><li>.*<code>export:write<\/code><\/li><\/ul>/);
    expect(done.callbackBody).toMatch(/<ul class="granted">.*<code>videos:read<\/code>/);
  });

  it('ends with exit 3 and a clear message when the user declines', async () => {
    const box = await sandbox({ env: { SCOPES_UA_DECISION: 'deny' } });
    const result = await box.run(loginArgs());
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('The login was declined (access_denied)');
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await readdir(join(box.home, 'state', 'scopes')).catch(() => [])).not.toContain('secrets');
  });

  it('answers a forged callback with an error page and keeps waiting for the real one', async () => {
    const log = join((await sandbox()).home, 'ua.log');
    const box = await sandbox({ env: { SCOPES_UA_FORGE: '1', SCOPES_UA_LOG: log } });
    const result = await box.run(loginArgs());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('Ignored a callback whose state does not match this login');
    const entries = await userAgentLog(log);
    const forged = entries.find((entry) => String(entry.step).startsWith('forge'));
    expect(forged?.status).toBe(400);
    expect(entries.find((entry) => entry.step === 'done')?.callbackStatus).toBe(200);
  });

  it('gives up with exit 3 when nobody finishes the login before --timeout', async () => {
    const box = await sandbox({ env: { SCOPES_UA_DECISION: 'ignore' } });
    const result = await box.run(loginArgs(['--timeout', '2']));
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('Nobody finished the login within 2 s');
  });

  it('prints the URL and opens nothing with --no-browser', async () => {
    const box = await sandbox({ env: { SCOPES_UA_DECISION: 'allow' } });
    const result = await box.run(loginArgs(['--no-browser', '--timeout', '1']));
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`${e2e.provider.issuer}/auth?`);
    expect(result.stderr).not.toContain('Opened it with');
  });

  it('suggests --manual or --device where no browser can be opened', async () => {
    const box = await sandbox({ env: { BROWSER: '' } });
    const result = await box.run(loginArgs(['--timeout', '1']), { env: { BROWSER: undefined, DISPLAY: undefined } });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('No browser was opened');
    expect(result.stderr).toContain('--manual');
  });

  it('completes with --manual from the pasted redirect URL, checking its state', async () => {
    const box = await sandbox();
    // A first login learns nothing we can paste; so drive the browser side in process and paste what it reached.
    const { runUserAgent } = await import('../support/user-agent.js');
    const { spawn } = await import('node:child_process');
    const { binPath } = await import('../support/cli.js');
    const child = spawn(process.execPath, [binPath, ...loginArgs(['--manual'])], { env: { ...box.env, BROWSER: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    const url = await new Promise<string>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk;
        const match = /(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)/.exec(stderr);
        if (match && stderr.includes('paste the full URL')) resolve(match[1]!);
      });
    });
    const { callbackUrl: callback } = await runUserAgent(url, { deliverCallback: false });
    expect(callback, 'the user agent reports the redirect it stopped at').toBeTruthy();
    // Two separate chunks, apart in time, as a person pasting twice: the second must still be read.
    child.stdin.write('not a url\n');
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.stdin.write(`${callback}\n`);
    const code = await new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? -1)));
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('That is not a URL');
    expect(stdout).toContain('Logged in');
  });
});

describe('scopes login --device', () => {
  it('prints the verification URI and code, and logs in when the code is entered elsewhere', async () => {
    const box = await sandbox({ env: { SCOPES_UA_UNTICK: 'export:write' } });
    const result = await box.run(loginArgs(['--device', '--json']));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/To log in, open http:\/\/127\.0\.0\.1:\d+\/device on any device and enter the code\s+[A-Z0-9-]+/);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ notGranted: ['export:write'], refreshToken: true });
    expect((await box.run(['token', '--force-refresh'])).code).toBe(0);
  });

  it('ends with exit 3 when the user declines on the other device', async () => {
    const box = await sandbox({ env: { SCOPES_UA_DECISION: 'deny' } });
    const result = await box.run(loginArgs(['--device']));
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('access_denied');
  });

  it('gives up with exit 3 when nobody enters the code before --timeout', async () => {
    const box = await sandbox({ env: { SCOPES_UA_DECISION: 'ignore' } });
    const result = await box.run(loginArgs(['--device', '--timeout', '2']));
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('Nobody entered the code within 2 s');
  });
});

describe('scopes token', () => {
  it('exits 3 and says to log in when there is no session', async () => {
    const box = await sandbox();
    const result = await box.run(['token']);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('scopes login');
  });

  it('prints only the token, refreshes with rotation, and stores the new refresh token first', async () => {
    const box = await sandbox();
    expect((await box.run(loginArgs())).code).toBe(0);
    const before = await storedSecrets(box);

    const cached = await box.run(['token']);
    expect(cached.code).toBe(0);
    expect(cached.stdout).toBe(`${before.accessToken}\n`);

    const refreshed = await box.run(['token', '--force-refresh']);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(refreshed.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const after = await storedSecrets(box);
    expect(refreshed.stdout).toBe(`${after.accessToken}\n`);
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken); // rotated
    expect(after.idToken).toBeTruthy(); // replaced by the refresh's id token, or kept: never lost
    expect((await box.run(['token', '--min-ttl', '99999'])).code).toBe(0); // refreshes again, still alive
  });

  it('keeps the session alive across 8 concurrent --force-refresh processes', async () => {
    const box = await sandbox();
    expect((await box.run(loginArgs())).code).toBe(0);
    const results = await Promise.all(Array.from({ length: 8 }, () => box.run(['token', '--force-refresh'])));
    for (const result of results) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    }
    // The session survived: no reuse of a rotated refresh token made the provider revoke it.
    const again = await box.run(['token', '--force-refresh']);
    expect(again.code, again.stderr).toBe(0);
    expect(await providerRefresh((await storedSecrets(box)).refreshToken!)).toEqual({ ok: true });
    // oidc-provider revokes the grant when a consumed refresh token comes back: that must not have happened.
    expect(e2e.provider.events.filter((event) => event.name === 'grant.revoked')).toEqual([]);
  });

  it('exits 3 with a login hint when the provider rejects the refresh token', async () => {
    const box = await sandbox();
    expect((await box.run(loginArgs())).code).toBe(0);
    const { refreshToken } = await storedSecrets(box);
    // Someone else used it (a copied token file): rotation makes the stored one dead.
    expect(await providerRefresh(refreshToken!)).toEqual({ ok: true });
    const result = await box.run(['token', '--force-refresh']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('was rejected (invalid_grant)');
    expect(result.stderr).toContain('scopes login');
    expect(result.stdout).toBe('');
  });

  it('prints SCOPES_TOKEN as is without touching any storage', async () => {
    const box = await sandbox({ env: { SCOPES_STORAGE: 'keychain', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' } });
    const result = await box.run(['token'], { env: { SCOPES_TOKEN: 'given-token-value' } });
    expect(result).toMatchObject({ code: 0, stdout: 'given-token-value\n' });
  });
});

describe('scopes exec', () => {
  it('hands the token to the command in its environment, never its arguments, and returns its exit code', async () => {
    const box = await sandbox();
    const script = 'process.stdout.write(process.env.API_TOKEN + "|" + process.argv.slice(1).join(" ")); process.exit(7)';
    const result = await box.run(['exec', '--env', 'API_TOKEN', '--', process.execPath, '-e', script, 'plain-arg'], { env: { SCOPES_TOKEN: 'the-token' } });
    expect(result).toMatchObject({ code: 7, stdout: 'the-token|plain-arg' });
  });

  it('exits 3 without a session and runs nothing', async () => {
    const box = await sandbox();
    const result = await box.run(['exec', '--', process.execPath, '-e', 'process.stdout.write("ran")']);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
  });
});

describe('the HTTP trace', () => {
  it('shows requests with SCOPES_DEBUG=1, secrets redacted', async () => {
    const box = await sandbox();
    expect((await box.run(loginArgs())).code).toBe(0);
    const { refreshToken } = await storedSecrets(box);
    const result = await box.run(['token', '--force-refresh'], { env: { SCOPES_DEBUG: '1' } });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/\[http\] > POST http:\/\/127\.0\.0\.1:\d+\/token/);
    expect(result.stderr).toContain('refresh_token=[redacted]');
    expect(result.stderr).not.toContain(refreshToken!);
    expect(result.stderr).not.toContain(result.stdout.trim());
  });
});

describe('scopes status and logout', () => {
  it('reports the session, then logout revokes the refresh token at the provider and deletes everything', async () => {
    const box = await sandbox({ env: { SCOPES_UA_UNTICK: 'export:write' } });
    expect((await box.run(loginArgs())).code).toBe(0);

    const status = await box.run(['status', '--json']);
    expect(status.code).toBe(0);
    const [profile] = JSON.parse(status.stdout).profiles;
    expect(profile).toMatchObject({ profile: 'default', issuer: e2e.provider.issuer, clientId: e2e.provider.publicClientId, storage: 'file', refreshToken: true });
    expect(profile.granted).toContain('videos:read');
    expect(profile.granted).not.toContain('export:write');
    expect(Date.parse(profile.expiresAt)).toBeGreaterThan(Date.now());
    expect(Date.parse(profile.lastLogin)).toBeLessThanOrEqual(Date.now());

    const human = await box.run(['status']);
    expect(human.stdout).toContain('refresh token  held');

    const { refreshToken } = await storedSecrets(box);
    const logout = await box.run(['logout']);
    expect(logout.code, logout.stderr).toBe(0);
    expect(logout.stdout).toContain('refresh token revoked');
    expect(await providerRefresh(refreshToken!)).toEqual({ ok: false, error: 'invalid_grant' });
    expect(await readdir(join(box.home, 'state', 'scopes', 'secrets'))).toEqual([]);
    expect((await box.run(['token'])).code).toBe(3);
    const after = JSON.parse((await box.run(['status', '--json'])).stdout).profiles[0];
    expect(after).toMatchObject({ refreshToken: false, granted: [], lastLogin: null });
  });

  it('deletes the local secrets even when revocation fails', async () => {
    const box = await sandbox();
    const doomed = await startTestProvider();
    const login = await box.run(['login', '--issuer', doomed.issuer, '--client-id', doomed.publicClientId, '--scope', SCOPES, '--timeout', '20']);
    expect(login.code, login.stderr).toBe(0);
    await doomed.close(); // the server is gone: revocation cannot happen
    const logout = await box.run(['logout']);
    expect(logout.code).toBe(0);
    expect(logout.stderr).toContain('revocation failed');
    expect(await readdir(join(box.home, 'state', 'scopes', 'secrets'))).toEqual([]);
  });
});
