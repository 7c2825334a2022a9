/**
 * What a person reads when a login fails or is stopped: a hint that works when copied (the profile was not saved, so
 * it repeats every flag), the likely causes of a timeout, Ctrl-C, and who logged in. Real binary, real e2e.provider.
 * Needs `npm run build` (npm test does it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { binPath, type Sandbox } from '../support/cli.js';
import { endToEnd } from '../support/e2e.js';

const e2e = endToEnd();

const sandbox = (env: Record<string, string> = {}) => e2e.sandbox({ env });

const SCOPES = 'openid offline_access videos:read';
const loginArgs = (extra: string[] = [], clientId = e2e.provider.publicClientId) => ['login', '--issuer', e2e.provider.issuer, '--client-id', clientId, '--scope', SCOPES, '--resource', e2e.provider.resource, ...extra];
const retryLine = (clientId: string, extra = '') =>
  `  scopes login --issuer ${e2e.provider.issuer} --client-id ${clientId} --scope '${SCOPES}' --resource ${e2e.provider.resource}${extra}\n`;

describe('a failed first login', () => {
  it('after access_denied, repeats the whole command: `scopes login` alone would say "No issuer"', async () => {
    const box = await sandbox({ SCOPES_UA_DECISION: 'deny' });
    const result = await box.run(loginArgs(['--timeout', '20']));
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`To try again, and allow access:\n${retryLine(e2e.provider.publicClientId, ' --timeout 20')}`);
    // The line really is the command: run as printed (the user agent allows this time), it logs in.
    const copied = retryLine(e2e.provider.publicClientId, ' --timeout 20').trim().split(' ');
    expect(copied.slice(0, 8)).toEqual(['scopes', 'login', '--issuer', e2e.provider.issuer, '--client-id', e2e.provider.publicClientId, '--scope', `'openid`]);
    const again = await box.run(loginArgs(['--timeout', '20']), { env: { SCOPES_UA_DECISION: 'allow' } });
    expect(again.code, again.stderr).toBe(0);
  });

  it('on a timeout with an unknown client id, names the likely causes and repeats the command', async () => {
    const box = await sandbox();
    const result = await box.run(loginArgs(['--timeout', '3'], 'no-such-client'));
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/Nobody finished the login within 3 s: nothing came back to http:\/\/127\.0\.0\.1:\d+\/callback\./);
    expect(result.stderr).toContain('the browser shows an error page from the server: a wrong client id, or a redirect URI the client does not');
    expect(result.stderr).toContain(`To try again (raise --timeout if you need longer):\n${retryLine('no-such-client', ' --timeout 3')}`);
    expect(result.stderr).not.toContain('exited with status');
  });

  it('notices at once when $BROWSER exits non-zero, and counts it among the causes', async () => {
    const box = await sandbox({ BROWSER: 'sh -c "exit 7"' });
    const result = await box.run(loginArgs(['--timeout', '2']));
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('warning: $BROWSER exited with status 7: the login page may not have opened. Open the URL above yourself.');
    expect(result.stderr).toContain('  - $BROWSER exited with status 7, so the login page probably never opened;');
  });

  it('with --device, a timeout repeats the command with --device', async () => {
    const box = await sandbox({ SCOPES_UA_DECISION: 'ignore' });
    const result = await box.run(loginArgs(['--device', '--timeout', '2']));
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(retryLine(e2e.provider.publicClientId, ' --device --timeout 2'));
  });
});

/** Starts a login and presses Ctrl-C (SIGINT) once it waits; resolves with its exit code and stderr. */
async function interruptWhileWaiting(box: Sandbox, args: string[], waitingFor: string): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const child = spawn(process.execPath, [binPath, ...args], { env: box.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
    if (!sent && stderr.includes(waitingFor)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  return await new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stderr })));
}

describe('Ctrl-C during a login', () => {
  it('says the login was cancelled and exits 130 (browser flow)', async () => {
    const box = await sandbox({ SCOPES_UA_DECISION: 'ignore' });
    const result = await interruptWhileWaiting(box, loginArgs(['--timeout', '60']), 'Waiting for the browser');
    expect(result).toMatchObject({ code: 130, signal: null });
    expect(result.stderr).toContain('Login cancelled (Ctrl-C); nothing was saved.\n');
    expect(result.stderr).not.toContain('error:');
  });

  it('says the login was cancelled and exits 130 (device flow), without waiting for the polling to end', async () => {
    const box = await sandbox({ SCOPES_UA_DECISION: 'ignore' });
    const result = await interruptWhileWaiting(box, loginArgs(['--device', '--timeout', '60']), 'Waiting for the code to be entered');
    expect(result).toMatchObject({ code: 130, signal: null });
    expect(result.stderr).toContain('Login cancelled (Ctrl-C); nothing was saved.\n');
  });
});

describe('a successful login', () => {
  it('names who logged in and says when the access token expires, relative too', async () => {
    const box = await sandbox();
    const result = await box.run(loginArgs(['--timeout', '20']));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Signed in as .*\(sub alice\)\.$|^Signed in as sub alice\.$/m);
    expect(result.stdout).toMatch(/Access token expires in \d+ min \(\d{4}-\d\d-\d\dT[\d:.]+Z\); refresh token stored/);
    const json = JSON.parse((await box.run(loginArgs(['--timeout', '20', '--json']))).stdout);
    expect(json.account).toMatchObject({ sub: 'alice' });
  });
});

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

describe.runIf(hasTmux)('the device flow on a terminal (tmux)', () => {
  it('its spinner says it waits for the code to be entered, not for a browser', async () => {
    const box = await sandbox({ SCOPES_UA_DECISION: 'ignore' });
    const session = `scopes-device-${process.pid}`;
    const envArgs = Object.entries(box.env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
    const command = [process.execPath, binPath, ...loginArgs(['--device', '--timeout', '30'])].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
    expect(spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '100', '-y', '30', ...envArgs, command]).status).toBe(0);
    try {
      let screen = '';
      for (let attempt = 0; attempt < 100 && !/waiting for the code to be entered: \d+ s of 30 s/.test(screen); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        screen = spawnSync('tmux', ['capture-pane', '-p', '-t', session]).stdout.toString();
      }
      expect(screen).toMatch(/waiting for the code to be entered: \d+ s of 30 s/);
      expect(screen).not.toContain('waiting for the browser');
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
    }
  });
});
