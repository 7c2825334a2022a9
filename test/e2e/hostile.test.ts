/**
 * Issue 8, points 6-13 and 15: hostile input and what real servers send. Each test reproduces the behaviour on
 * loopback (a small server, a hostile file, a flood of forged requests) and fails without its protection.
 * In process through main() with test Deps, except where the real binary is needed (the --verbose trace, stdin,
 * files in the working folder): those need `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { Agent, createServer, get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserResult } from '../../src/deps.js';
import { stateDir } from '../../src/io/paths.js';
import { FileSecretStore } from '../../src/io/store/file.js';
import { main } from '../../src/main.js';
import { createSandbox, type Sandbox } from '../support/cli.js';
import { testDeps } from '../support/deps.js';
import { startQuirkyServer, type QuirkyServer, type QuirkyServerOptions } from '../support/quirky-server.js';

const homes: string[] = [];
const servers: { close(): Promise<void> }[] = [];
const sandboxes: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(sandboxes.splice(0).map((box) => box.cleanup()));
  await Promise.all(homes.splice(0).map((home) => rm(home, { recursive: true, force: true })));
});

async function quirky(options: QuirkyServerOptions = {}): Promise<QuirkyServer> {
  const server = await startQuirkyServer(options);
  servers.push(server);
  return server;
}

async function home(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scopes-hostile-'));
  homes.push(dir);
  return dir;
}

async function sandbox(): Promise<Sandbox> {
  const box = await createSandbox();
  sandboxes.push(box);
  return box;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(dir: string, args: string[], options: { env?: Record<string, string>; openBrowser?: (url: string) => Promise<BrowserResult>; readLine?: () => Promise<string | undefined> } = {}): Promise<Run> {
  const base = testDeps({
    env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_STATE_HOME: join(dir, 'state'), SCOPES_STORAGE: 'file', NO_COLOR: '1', ...options.env },
    cwd: dir,
    ...(options.openBrowser ? { openBrowser: options.openBrowser } : {}),
  });
  const deps = options.readLine ? { ...base, io: { ...base.io, readLine: options.readLine } } : base;
  const code = await main(args, deps);
  return { code, stdout: base.stdout(), stderr: base.stderr() };
}

/** A profile on the quirky server, with a stored (expired) session when `session` is set. */
async function profileOn(server: QuirkyServer, session: boolean): Promise<string> {
  const dir = await home();
  await mkdir(join(dir, 'config', 'scopes'), { recursive: true });
  await writeFile(join(dir, 'config', 'scopes', 'config.json'), JSON.stringify({ profiles: { default: { issuer: server.issuer, clientId: 'glewlwyd-client', storage: 'file' } } }));
  if (session) {
    const store = new FileSecretStore(stateDir({ HOME: dir, XDG_STATE_HOME: join(dir, 'state') }));
    await store.write({ profile: 'default', issuer: server.issuer, clientId: 'glewlwyd-client' }, { refreshToken: 'a-revoked-refresh-token', accessToken: 'an-expired-access-token', expiresAt: 1, tokenType: 'Bearer', scope: [] });
  }
  return dir;
}

/** The page a browser reads arrives just after the login has answered it: wait for it (bounded, not timed). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
}

/** A GET on a keep-alive agent: 10,000 of them through fetch take long on a busy machine. */
function get(url: string, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** Plays the browser: reads the authorization URL, then sends the callbacks `plan` makes from its state. */
function browserSending(plan: (redirectUri: string, state: string) => string[], pages: { status: number; body: string }[]): (url: string) => Promise<BrowserResult> {
  return async (url) => {
    const authorization = new URL(url);
    const redirectUri = authorization.searchParams.get('redirect_uri')!;
    const state = authorization.searchParams.get('state')!;
    void (async () => {
      for (const callback of plan(redirectUri, state)) {
        const response = await fetch(callback);
        pages.push({ status: response.status, body: await response.text() });
      }
    })();
    return { opened: true, detail: 'test browser' };
  };
}

describe('the loopback login against what real servers send (issue 8, points 6, 8 and 13)', () => {
  it('answers a callback with the right state but a code the server refuses with an error page, and completes with the real one', async () => {
    const server = await quirky();
    const dir = await home();
    const pages: { status: number; body: string }[] = [];
    const result = await run(dir, ['login', '--issuer', server.issuer, '--client-id', 'c', '--scope', 'videos:read', '--timeout', '20'], {
      openBrowser: browserSending((uri, state) => [`${uri}?code=forged-code&state=${state}`, `${uri}?code=good-code&state=${state}`], pages),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('still waiting for the real one');
    await until(() => pages.length === 2);
    expect(pages[0]?.status).toBe(400);
    expect(pages[0]?.body).toContain('could not be used');
    expect(pages[1]?.status).toBe(200);
  });

  it('refuses a redirect whose iss names another issuer as a mix-up defence, on the terminal and on the page (exit 3)', async () => {
    const server = await quirky({ discovery: { authorization_response_iss_parameter_supported: true } });
    const dir = await home();
    const pages: { status: number; body: string }[] = [];
    const result = await run(dir, ['login', '--issuer', server.issuer, '--client-id', 'c', '--scope', 'videos:read', '--timeout', '20'], {
      openBrowser: browserSending((uri, state) => [`${uri}?code=good-code&state=${state}&iss=${encodeURIComponent('https://attacker.example')}`], pages),
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('mix-up defence');
    expect(result.stderr).toContain('https://attacker.example');
    await until(() => pages.length === 1);
    expect(pages[0]?.body).toContain('mix-up defence');
    expect(server.requests).not.toContain('POST /token');
  });

  it('refuses a redirect without iss where the server promised one, as a failed security check (exit 3)', async () => {
    const server = await quirky({ discovery: { authorization_response_iss_parameter_supported: true } });
    const dir = await home();
    const result = await run(dir, ['login', '--issuer', server.issuer, '--client-id', 'c', '--scope', 'videos:read', '--timeout', '20'], {
      openBrowser: browserSending((uri, state) => [`${uri}?code=good-code&state=${state}`], []),
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('security check');
    expect(result.stderr).toContain('RFC 9207');
    expect(server.requests).not.toContain('POST /token');
  });

  it('completes after 10,000 forged requests, with a short stderr that counts them', async () => {
    const server = await quirky();
    const dir = await home();
    const pages: { status: number; body: string }[] = [];
    const result = await run(dir, ['login', '--issuer', server.issuer, '--client-id', 'c', '--scope', 'videos:read', '--timeout', '120'], {
      openBrowser: async (url) => {
        const authorization = new URL(url);
        const redirectUri = authorization.searchParams.get('redirect_uri')!;
        const state = authorization.searchParams.get('state')!;
        void (async () => {
          const agent = new Agent({ keepAlive: true, maxSockets: 16 });
          let sent = 0;
          const worker = async () => {
            while (sent < 10_000) {
              const n = sent++;
              const forged = n % 2 === 0 ? `${redirectUri}?code=x${n}&state=forged-${n}` : new URL(`/probe-${n}?state=${state}`, redirectUri).href;
              await get(forged, agent);
            }
          };
          await Promise.all(Array.from({ length: 16 }, worker));
          pages.push(await get(`${redirectUri}?code=good-code&state=${state}`, agent));
          agent.destroy();
        })();
        return { opened: true, detail: 'test browser' };
      },
    });
    expect(result.code, result.stderr.slice(0, 2000)).toBe(0);
    expect(result.stderr).toContain('Ignored 10000 stray requests');
    expect(result.stderr.split('\n').length).toBeLessThan(20);
    await until(() => pages.length === 1);
    expect(pages[0]?.status).toBe(200);
  }, 120_000);

  it('--manual: a pasted URL with another state is refused as from an older login, and the right paste still completes', async () => {
    const server = await quirky();
    const dir = await home();
    let stderr = () => '';
    const pasted: string[] = [];
    const result = await (async () => {
      const base = testDeps({
        env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_STATE_HOME: join(dir, 'state'), SCOPES_STORAGE: 'file', NO_COLOR: '1' },
        cwd: dir,
      });
      stderr = base.stderr;
      const readLine = async () => {
        const match = /(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)/.exec(stderr());
        const authorization = new URL(match![1]!);
        const redirectUri = authorization.searchParams.get('redirect_uri')!;
        const line = pasted.length === 0 ? `${redirectUri}?code=good-code&state=state-of-an-older-login` : `${redirectUri}?code=good-code&state=${authorization.searchParams.get('state')}`;
        pasted.push(line);
        return line;
      };
      const code = await main(['login', '--issuer', server.issuer, '--client-id', 'c', '--scope', 'videos:read', '--manual', '--timeout', '20'], { ...base, io: { ...base.io, readLine } });
      return { code, stderr: base.stderr() };
    })();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('a URL from an older login?');
    expect(pasted).toHaveLength(2);
  });
});

describe('refusals classified by what the server meant (issue 8, point 13)', () => {
  it('a refresh answered 400 with an empty body is a rejected refresh token: exit 3 with the login line', async () => {
    const server = await quirky();
    const dir = await profileOn(server, true);
    const result = await run(dir, ['token']);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain('was rejected');
    expect(result.stderr).toContain('scopes login');
    expect(result.stderr).not.toContain('content-type');
  });

  it('SCOPES_REFRESH_TOKEN used twice on a server that answers a bare 400: the second run is exit 3 with the login line', async () => {
    const server = await quirky();
    const dir = await profileOn(server, false);
    const first = await run(dir, ['token'], { env: { SCOPES_REFRESH_TOKEN: server.refreshToken } });
    expect(first.code, first.stderr).toBe(0);
    const second = await run(dir, ['token'], { env: { SCOPES_REFRESH_TOKEN: server.refreshToken } });
    expect(second.code, second.stderr).toBe(3);
    expect(second.stderr).toContain('SCOPES_REFRESH_TOKEN was rejected');
    expect(second.stderr).toContain('scopes login');
  });

  it('introspection refused with a bare 401 names the status and asks for client authentication (clientSecretEnv)', async () => {
    const server = await quirky();
    const dir = await profileOn(server, false);
    const result = await run(dir, ['inspect', 'an-opaque-access-token-value', '--introspect']);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain('HTTP 401');
    expect(result.stderr).toContain('client authentication');
    expect(result.stderr).toContain('clientSecretEnv');
  });

  it('logout whose revocation is refused with 401 says the refresh token may still be valid at the server', async () => {
    const server = await quirky();
    const dir = await profileOn(server, true);
    const result = await run(dir, ['logout']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('HTTP 401');
    expect(result.stderr).toContain('refresh token may still be valid at the server');
    expect(result.stderr).toContain('clientSecretEnv');
  });

  it('discovery errors name every URL tried and its HTTP status', async () => {
    const server = await quirky({ discovery: null });
    const dir = await home();
    const result = await run(dir, ['login', '--issuer', server.issuer, '--client-id', 'c', '--timeout', '5', '--no-browser']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`${server.issuer}/.well-known/openid-configuration (HTTP 404)`);
    expect(result.stderr).toContain(`${server.issuer}/.well-known/oauth-authorization-server (HTTP 404)`);
  });

  it('an issuer mismatch in discovery names both issuers', async () => {
    const server = await quirky({ discovery: { issuer: 'https://auth.elsewhere.example/realms/x' } });
    const dir = await home();
    const result = await run(dir, ['login', '--issuer', server.issuer, '--client-id', 'c', '--timeout', '5', '--no-browser']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('https://auth.elsewhere.example/realms/x');
    expect(result.stderr).toContain(`${server.issuer}/`);
  });

  it('shows an id token auth_time of 0 as absent, not as 1970', async () => {
    const dir = await home();
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const jwt = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iss: 'https://glewlwyd.example', sub: 'u', auth_time: 0, iat: 1_900_000_000, exp: 1_900_003_600 })}.c2lnbmF0dXJl`;
    const result = await run(dir, ['inspect', jwt]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('1970');
    // No auth_time row; the claims row shows every claim as the token has it, this one too.
    expect(result.stdout).not.toMatch(/^ {2}auth_time\s/m);
    expect(result.stdout).toContain('"auth_time":0');
  });

  it('a discovery document naming a plain-http endpoint off loopback is broken: exit 4, nothing sent there', async () => {
    const server = await quirky({ discovery: { token_endpoint: 'http://192.0.2.10/token' } });
    const dir = await home();
    const result = await run(dir, ['login', '--issuer', server.issuer, '--client-id', 'c', '--timeout', '5', '--no-browser']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('is broken');
    expect(result.stderr).toContain('http://192.0.2.10/token');
  });
});

describe('tokens only where they belong (issue 8, point 9)', () => {
  const TOKEN = 'a-bearer-token-that-must-not-cross-plain-http';

  it.each([
    { what: 'a probed URL', config: undefined, args: ['probe', 'http://192.0.2.1/v1/videos', '--token', TOKEN] },
    { what: "a profile's api", config: { api: 'http://192.0.2.1' }, args: ['probe', '/v1/videos', '--token', TOKEN] },
    { what: "a manifest's api", manifest: { api: 'http://192.0.2.1', endpoints: [{ method: 'GET', path: '/v1/videos', scopes: ['videos:read'] }] }, args: ['probe', '--manifest', 'm.json', '--token', TOKEN] },
    { what: 'check --live', manifest: { api: 'http://192.0.2.1', endpoints: [{ method: 'GET', path: '/v1/videos', scopes: ['videos:read'] }] }, args: ['check', '--manifest', 'm.json', '--live', '--token', TOKEN] },
  ] as { what: string; config?: Record<string, unknown>; manifest?: unknown; args: string[] }[])('refuses to send the token over plain http off loopback: $what (exit 2, naming the URL)', async ({ config, manifest, args }) => {
    const dir = await home();
    if (config) await writeFile(join(dir, 'scopes.config.json'), JSON.stringify({ profiles: { default: config } }));
    if (manifest) await writeFile(join(dir, 'm.json'), JSON.stringify(manifest));
    const sent: string[] = [];
    const base = testDeps({ env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_STATE_HOME: join(dir, 'state'), NO_COLOR: '1' }, cwd: dir, fetch: async (input) => {
      sent.push(String(input));
      throw new Error('no request may leave in this test');
    } });
    const code = await main(args, base);
    expect(code, base.stderr()).toBe(2);
    expect(base.stderr()).toContain('http://192.0.2.1');
    expect(base.stderr()).toContain('--allow-insecure');
    expect(sent).toEqual([]);
  });
});

/** An API that echoes the bearer token back everywhere it can: a redirect URL, a `provided` list, a metadata URL. */
async function startEchoingApi(): Promise<{ url: string; close(): Promise<void> }> {
  let origin = '';
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', origin);
    const token = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    if (url.pathname === '/v1/echo') {
      response.writeHead(302, { location: `/v1/landing?echo=${encodeURIComponent(token)}` });
      response.end();
    } else if (url.pathname === '/v1/landing') {
      response.writeHead(403, {
        'www-authenticate': `Bearer error="insufficient_scope", scope="videos:write", resource_metadata="${origin}/.well-known/oauth-protected-resource?leak=${token}"`,
        'content-type': 'application/json',
      });
      response.end(JSON.stringify({ error: 'insufficient_scope', error_description: `token ${token} lacks videos:write` }));
    } else if (url.pathname === '/v1/slack') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ok: false, error: 'missing_scope', needed: 'chat:write', provided: `users:read,${token}` }));
    } else if (url.pathname.startsWith('/.well-known/oauth-protected-resource')) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ resource: `${origin}/v1/landing?echo=${encodeURIComponent(url.searchParams.get('leak') ?? '')}`, scopes_supported: ['videos:write'] }));
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: origin, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('no output carries a secret the tool holds (issue 8, point 10)', () => {
  let api: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    api = await startEchoingApi();
  });
  afterAll(async () => api?.close());

  const TOKEN = 'echoed-opaque-token-Zk3vQ9xW2pL7mN4bR8tY';

  it.each([
    { what: 'probe --json', args: ['--json'], env: {} },
    { what: 'probe -v (the HTTP trace)', args: ['-v'], env: {} },
    { what: 'probe with SCOPES_DEBUG=1 and --json', args: ['--json'], env: { SCOPES_DEBUG: '1' } },
  ])('$what never prints the token an API echoes back', async ({ args, env }) => {
    const box = await sandbox();
    const result = await box.run(['probe', `${api.url}/v1/echo`, `${api.url}/v1/slack`, '--token', TOKEN, ...args], { env });
    expect([0, 1]).toContain(result.code);
    // It was echoed: the redaction shows where.
    expect(`${result.stdout}${result.stderr}`).toContain('[redacted]');
    expect(result.stdout).not.toContain(TOKEN);
    expect(result.stderr).not.toContain(TOKEN);
    expect(result.stdout).not.toContain(encodeURIComponent(TOKEN));
  });

  it('scopes token still prints the token it is asked for (the one output meant to carry it)', async () => {
    const box = await sandbox();
    const result = await box.run(['token'], { env: { SCOPES_TOKEN: TOKEN } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${TOKEN}\n`);
  });
});

describe('bounded input (issue 8, points 11 and 12)', () => {
  it.each([
    { what: 'a symlink to /dev/zero', make: (path: string) => symlink('/dev/zero', path), message: 'a device' },
    { what: 'a FIFO nobody writes to', make: async (path: string) => void execFileSync('mkfifo', [path]), message: 'a FIFO' },
    { what: 'a directory', make: (path: string) => mkdir(path), message: 'directory' },
    { what: 'a symlink to a directory', make: (path: string) => symlink('/tmp', path), message: 'directory' },
  ])('./scopes.config.json as $what is refused at once with exit 2', async ({ make, message }) => {
    const box = await sandbox();
    await make(join(box.home, 'scopes.config.json'));
    const result = await box.run(['status'], { timeoutMs: 20_000 });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('scopes.config.json');
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain('This is a bug');
  });

  it('a manifest that is a symlink to /dev/zero is refused with exit 2', async () => {
    const box = await sandbox();
    await symlink('/dev/zero', join(box.home, 'zero.json'));
    const result = await box.run(['check', '--manifest', 'zero.json', '--token', 'x'], { timeoutMs: 20_000 });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('not a regular file');
  });

  it('a HAR recording that is a FIFO is refused at once with exit 2, not waited on', async () => {
    const box = await sandbox();
    await writeFile(join(box.home, 'm.json'), JSON.stringify({ endpoints: [{ method: 'GET', path: '/v1/videos', scopes: ['videos:read'] }] }));
    execFileSync('mkfifo', [join(box.home, 'app.har')]);
    const result = await box.run(['minimal', '--manifest', 'm.json', '--har', 'app.har'], { timeoutMs: 20_000 });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('Cannot read the HAR file');
    expect(result.stderr).toContain('a FIFO');
  });

  it('a 100 MB discovery document is cut at the cap while read: exit 4, and far less than it was read', async () => {
    const server = await quirky({ hugeDiscoveryBytes: 100 * 1024 * 1024 });
    const box = await sandbox();
    const result = await box.run(['login', '--issuer', server.issuer, '--client-id', 'c', '--no-browser', '--timeout', '5'], { timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toContain('larger than 2 MiB');
    expect(server.hugeBytesWritten()).toBeLessThan(40 * 1024 * 1024);
  });

  it.each([
    { what: 'inspect -', args: ['inspect', '-'] },
    { what: 'probe --token -', args: ['probe', 'http://127.0.0.1:9/x', '--token', '-'] },
  ])('too much standard input for $what is exit 2 with a message', async ({ args }) => {
    const box = await sandbox();
    const result = await box.run(args, { stdin: 'x'.repeat(3 * 1024 * 1024) });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('larger than 1 MiB');
    expect(result.stderr).not.toContain('This is a bug');
  });
});
