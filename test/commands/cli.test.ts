/** The command-line layer as a whole, in process: flags, help, exit codes, error output. */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { openBrowser } from '../../src/io/browser.js';
import type { SecretStore } from '../../src/io/store/types.js';
import { testDeps } from '../support/deps.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'scopes-cli-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const env = () => ({ HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), SCOPES_STORAGE: 'file' });

async function run(argv: string[], options: Partial<Parameters<typeof testDeps>[0]> = {}) {
  const deps = testDeps({ env: env(), cwd: home, ...options });
  const code = await main(argv, deps);
  return { code, stdout: deps.stdout(), stderr: deps.stderr(), deps };
}

describe('the command line', () => {
  it.each([
    [['bogus'], 2],
    [['token', '--no-such-flag'], 2],
    [['login', '--timeout', 'soon'], 2],
    [['login', '--storage', 'floppy'], 2],
    [['probe', '--concurrency', '0'], 2],
    [['--version'], 0],
    [['--help'], 0],
  ])('%j exits %i', async (argv, expected) => {
    expect((await run(argv)).code).toBe(expected);
  });

  it.each(['login', 'token', 'exec', 'status', 'logout', 'diff', 'inspect', 'probe', 'check', 'minimal'])('%s --help shows examples', async (command) => {
    const result = await run([command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toContain(`scopes ${command === 'exec' ? 'exec' : command}`);
  });

  it('prints the package version', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    expect((await run(['--version'])).stdout.trim()).toBe(version);
  });

  it('with --json, an error is one JSON document on stdout and prose on stderr', async () => {
    const result = await run(['token', '--json']);
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toEqual({ error: { code: 'no_session', message: 'No session for profile "default".', hint: 'Run `scopes login` first.', exitCode: 3 } });
    expect(result.stderr).toContain('error: No session');
  });

  it('names the profile from --profile, then SCOPES_PROFILE', async () => {
    expect((await run(['token', '--profile', 'work'])).stderr).toContain('profile "work"');
    expect((await run(['token'], { env: { ...env(), SCOPES_PROFILE: 'ci' } })).stderr).toContain('profile "ci"');
  });

  it('shows no stack trace for an unexpected failure unless --verbose', async () => {
    const exploding: SecretStore = {
      kind: 'file',
      description: 'exploding',
      read: async () => {
        throw new TypeError('boom inside');
      },
      write: async () => undefined,
      delete: async () => undefined,
    };
    await writeFile(join(home, 'scopes.config.json'), JSON.stringify({ profiles: { default: { issuer: 'http://127.0.0.1:9', clientId: 'x' } } }));
    const quiet = await run(['token'], { stores: { file: exploding } });
    expect(quiet.code).toBe(4);
    expect(quiet.stderr).toContain('boom inside');
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    expect(quiet.stderr).toContain('--verbose');
    const verbose = await run(['token', '--verbose'], { stores: { file: exploding } });
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });

  it('refuses --param that would override what the flow sets', async () => {
    const result = await run(['login', '--issuer', 'http://127.0.0.1:9', '--client-id', 'x', '--param', 'state=fixed']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--param cannot set state');
  });

  it('refuses a plain-http issuer that is not loopback', async () => {
    const result = await run(['login', '--issuer', 'http://auth.example.com', '--client-id', 'x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('must use https');
  });

  it('exits 4 with a discovery message when the issuer cannot be reached', async () => {
    const result = await run(['login', '--issuer', 'http://127.0.0.1:9', '--client-id', 'x']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('Cannot read the discovery document of http://127.0.0.1:9/');
  });
});

describe('$BROWSER', () => {
  it('gets the URL as its last argument, never interpreted by a shell', async () => {
    const script = join(home, 'browser.sh');
    const seen = join(home, 'seen');
    await writeFile(script, `#!/bin/sh\nfor last; do :; done\nprintf '%s' "$last" > ${JSON.stringify(seen)}\n`);
    await chmod(script, 0o755);
    const pwned = join(home, 'pwned');
    const url = `http://127.0.0.1:1/auth?a=$(touch ${pwned})&b=\`touch ${pwned}\`&c=";touch ${pwned};"`;
    const result = await openBrowser(url, { BROWSER: `${script} --new-window` });
    expect(result).toMatchObject({ opened: true, detail: '$BROWSER' });
    for (let i = 0; i < 100 && !existsSync(seen); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await readFile(seen, 'utf8')).toBe(url);
    expect(existsSync(pwned)).toBe(false);
  });

  it('does not try a system browser without a display or over SSH', async () => {
    expect(await openBrowser('http://127.0.0.1:1/', { SSH_CONNECTION: '1 2 3 4' })).toMatchObject({ opened: false, detail: 'this is an SSH session' });
  });
});
