/**
 * Every change to a credential holds its lock (issue 8, point 1): races made deterministic, never left to luck. A
 * refresh "in flight" is a real refresh whose token response the provider has sent (the refresh token is already
 * rotated there) but which a gate in `fetch` holds back from the command; a command "waiting" is one that called
 * `deps.sleep` from inside the lock loop. Everything runs in process against the real provider on 127.0.0.1.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ScopesError } from '../../src/errors.js';
import { main } from '../../src/main.js';
import { getAccessToken } from '../../src/session.js';
import { testDeps, type TestDeps } from '../support/deps.js';
import { startTestProvider, type TestProvider } from '../support/provider.js';
import { runUserAgent } from '../support/user-agent.js';

let provider: TestProvider;
const homes: string[] = [];

beforeAll(async () => {
  provider = await startTestProvider();
});
afterAll(async () => {
  await provider?.close();
});
afterEach(async () => {
  await Promise.all(homes.splice(0).map((home) => rm(home, { recursive: true, force: true })));
});

interface Home {
  readonly dir: string;
  readonly env: Record<string, string>;
  /** Deps for one command; `onSleep` runs each time it waits for the lock. */
  deps(options?: { fetch?: typeof fetch; onSleep?: () => void; untick?: string[] }): TestDeps;
}

async function home(): Promise<Home> {
  const dir = await mkdtemp(join(tmpdir(), 'scopes-races-'));
  homes.push(dir);
  const env = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_STATE_HOME: join(dir, 'state'), SCOPES_STORAGE: 'file' };
  return {
    dir,
    env,
    deps: (options = {}) => {
      const deps = testDeps({
        env,
        cwd: dir,
        fetch: options.fetch,
        // The scripted browser, in process; not awaited, as a real browser runs beside the CLI.
        openBrowser: async (url) => {
          void runUserAgent(url, { untick: options.untick ?? [] });
          return { opened: true, detail: 'test' };
        },
      });
      const sleep = deps.sleep;
      return Object.assign(deps, {
        sleep: (ms: number) => {
          options.onSleep?.();
          return sleep(ms);
        },
      });
    },
  };
}

const SCOPES = 'openid offline_access videos:read export:write';
const loginArgv = (scope = SCOPES) => ['login', '--issuer', provider.issuer, '--client-id', provider.publicClientId, '--scope', scope, '--resource', provider.resource, '--timeout', '20'];

async function login(at: Home, scope?: string, options: Parameters<Home['deps']>[0] = {}): Promise<TestDeps> {
  const deps = at.deps(options);
  const code = await main(loginArgv(scope), deps);
  expect(code, deps.stderr()).toBe(0);
  return deps;
}

async function stored(at: Home): Promise<{ refreshToken?: string; accessToken?: string; scope?: string[] } | undefined> {
  const dir = join(at.dir, 'state', 'scopes', 'secrets');
  const files = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.json'));
  if (files.length === 0) return undefined;
  return JSON.parse(await readFile(join(dir, files[0]!), 'utf8'));
}

async function stillValid(refreshToken: string): Promise<boolean> {
  const config = await client.discovery(new URL(provider.issuer), provider.publicClientId, undefined, client.None(), { execute: [client.allowInsecureRequests] });
  try {
    await client.refreshTokenGrant(config, refreshToken);
    return true;
  } catch {
    return false;
  }
}

const isRefresh = (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
  String(input instanceof Request ? input.url : input).endsWith('/token') && String(init?.body ?? '').includes('grant_type=refresh_token');

/** A fetch whose refresh responses wait, once received from the provider, until `release()`. */
function gatedFetch(): { fetch: typeof fetch; inFlight: Promise<void>; release: () => void } {
  let release!: () => void;
  let arrived!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const inFlight = new Promise<void>((resolve) => (arrived = resolve));
  return {
    inFlight,
    release,
    fetch: async (input, init) => {
      const response = await globalThis.fetch(input, init);
      if (isRefresh(input, init)) {
        arrived();
        await gate;
      }
      return response;
    },
  };
}

/** Resolves when `deps.sleep` is first called: the command is waiting for the lock. */
function waiting(): { onSleep: () => void; started: Promise<'waiting'> } {
  let signal!: (value: 'waiting') => void;
  const started = new Promise<'waiting'>((resolve) => (signal = resolve));
  return { onSleep: () => signal('waiting'), started };
}

const tokenContext = (deps: TestDeps) => ({ deps, profileName: 'default', profile: { issuer: provider.issuer, clientId: provider.publicClientId, resource: [provider.resource] }, warn: () => undefined });

describe('logout racing a refresh', () => {
  it('waits for the refresh in flight, revokes the token it stored, and leaves no working session', async () => {
    const at = await home();
    await login(at);
    const gated = gatedFetch();
    const refreshing = main(['token', '--force-refresh'], at.deps({ fetch: gated.fetch }));
    await gated.inFlight; // the provider has rotated the refresh token; the command has not stored it yet

    const wait = waiting();
    const logoutDeps = at.deps({ onSleep: wait.onSleep });
    const logout = main(['logout'], logoutDeps);
    // Either the logout waits for the lock (fixed), or it finishes while the refresh is held (the bug).
    const first = await Promise.race([wait.started, logout.then(() => 'finished' as const)]);
    gated.release();
    const [refreshCode, logoutCode] = await Promise.all([refreshing, logout]);
    expect(first).toBe('waiting');
    expect(logoutCode, logoutDeps.stderr()).toBe(0);
    expect(logoutDeps.stdout()).toContain('refresh token revoked');
    expect(refreshCode).toBe(0);
    // Nothing written back after "Logged out", and the rotated refresh token the refresh received is dead.
    expect(await stored(at)).toBeUndefined();
    expect(await readdir(join(at.dir, 'state', 'scopes', 'sessions'))).toEqual([]);
    expect(await readdir(join(at.dir, 'state', 'scopes', 'secrets'))).toEqual([]);
    const after = await main(['token'], at.deps());
    expect(after).toBe(3);
  });
});

describe('login racing a refresh', () => {
  it("stores the new grant's tokens, not those of a refresh of the old grant that finishes after", async () => {
    const at = await home();
    // The old grant lacks export:write; the new login grants it.
    await login(at, SCOPES, { untick: ['export:write'] });
    expect((await stored(at))?.scope).not.toContain('export:write');
    const gated = gatedFetch();
    const refreshing = main(['token', '--force-refresh'], at.deps({ fetch: gated.fetch }));
    await gated.inFlight;

    const wait = waiting();
    const loginDeps = at.deps({ onSleep: wait.onSleep });
    const relogin = main(loginArgv(), loginDeps);
    const first = await Promise.race([wait.started, relogin.then(() => 'finished' as const)]);
    gated.release();
    const [refreshCode, loginCode] = await Promise.all([refreshing, relogin]);
    expect(first).toBe('waiting');
    expect(refreshCode).toBe(0);
    expect(loginCode, loginDeps.stderr()).toBe(0);
    expect(loginDeps.stdout()).not.toMatch(/not granted\s+export:write/);

    const secrets = await stored(at);
    expect(secrets?.scope).toContain('export:write');
    const state = JSON.parse(await readFile(join(at.dir, 'state', 'scopes', 'sessions', 'default.json'), 'utf8'));
    expect(state.granted).toContain('export:write');
    // And the stored refresh token is the new grant's, alive.
    expect(await stillValid(secrets!.refreshToken!)).toBe(true);
  });

  it('a refresh that waited for the lock uses what the holder stored instead of spending the old token', async () => {
    const at = await home();
    await login(at, SCOPES, { untick: ['export:write'] });
    const gated = gatedFetch();
    const holder = main(['token', '--force-refresh'], at.deps({ fetch: gated.fetch }));
    await gated.inFlight;
    const wait = waiting();
    // A minimum lifetime no stored token meets, so the waiter has to go for the lock.
    const waiter = getAccessToken(tokenContext(at.deps({ onSleep: wait.onSleep })), { minTtl: 1_000_000, forceRefresh: false });
    await wait.started;
    gated.release();
    await holder;
    const token = await waiter;
    expect(token.source).toBe('refreshed');
    expect(token.accessToken).toBe((await stored(at))?.accessToken);
  });
});

describe('a holder that lost its lock while paused', () => {
  it('does not send its refresh token; it waits for the new holder and starts over', async () => {
    const at = await home();
    await login(at);
    const lockDir = join(at.dir, 'state', 'scopes', 'locks');
    const { acquireLock } = await import('../../src/io/lock.js');
    let intruder: Awaited<ReturnType<typeof acquireLock>> | undefined;
    const sentWhileIntruderHeld: boolean[] = [];
    // During discovery (before the refresh token is sent), another process takes the lock as if this one had
    // been judged stale in a long pause: its lock file is replaced.
    const fetchWithTakeover: typeof fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.includes('/.well-known/') && !intruder) {
        const [file] = (await readdir(lockDir)).filter((name) => name.endsWith('.lock'));
        await rm(join(lockDir, file!));
        intruder = await acquireLock(join(lockDir, file!));
      }
      if (isRefresh(input, init)) sentWhileIntruderHeld.push(intruder !== undefined && !released);
      return globalThis.fetch(input, init);
    };
    let released = false;
    const deps = at.deps({
      fetch: fetchWithTakeover,
      onSleep: () => {
        if (intruder && !released) {
          released = true;
          void intruder.release();
        }
      },
    });
    const token = await getAccessToken(tokenContext(deps), { minTtl: 60, forceRefresh: true });
    expect(token.source).toBe('refreshed');
    expect(sentWhileIntruderHeld).toEqual([false]);
  });
});

describe('waiters report the holder’s outcome', () => {
  let server: Server;
  let tokenRequests = 0;
  let answer: (() => void) | undefined;
  let arrived: (() => void) | undefined;

  beforeAll(async () => {
    // A token endpoint that holds each request until told, then fails as an overloaded server does (503).
    server = createServer((request, response) => {
      request.resume();
      tokenRequests++;
      arrived?.();
      answer = () => {
        response.writeHead(503, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: 'temporarily_unavailable' }));
      };
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('exits 4 like the holder when the token endpoint is down, without trying again in turn', async () => {
    const at = await home();
    const tokenEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
    const profile = { tokenEndpoint, authorizationEndpoint: tokenEndpoint.replace('/token', '/auth'), clientId: 'c' };
    await mkdir(join(at.dir, 'config', 'scopes'), { recursive: true });
    await writeFile(join(at.dir, 'config', 'scopes', 'config.json'), JSON.stringify({ profiles: { default: profile } }));
    const deps = at.deps();
    const key = { profile: 'default', issuer: tokenEndpoint, clientId: 'c' };
    await deps.store('file').write(key, { refreshToken: 'r1', accessToken: 'a1', expiresAt: 1 });

    const holderArrived = new Promise<void>((resolve) => (arrived = resolve));
    const holder = main(['token'], deps);
    await holderArrived;
    const wait = waiting();
    const waiterDeps = at.deps({ onSleep: wait.onSleep });
    const waiter = main(['token'], waiterDeps);
    await wait.started;
    answer!();
    expect(await holder, deps.stderr()).toBe(4);
    expect(await waiter, waiterDeps.stderr()).toBe(4);
    // The holder's own words, not "lock held".
    expect(waiterDeps.stderr()).toBe(deps.stderr());
    expect(tokenRequests).toBe(1);
  });
});

describe('the lock timeout', () => {
  it('is exit 4 while a running holder waits on the server, never 3 "lock held"', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scopes-lock-'));
    homes.push(dir);
    const { acquireLock } = await import('../../src/io/lock.js');
    const held = await acquireLock(join(dir, 'x.lock'));
    const error = await acquireLock(join(dir, 'x.lock'), { timeoutMs: 100 }).catch((e: unknown) => e);
    await held.release();
    expect(error).toBeInstanceOf(ScopesError);
    expect((error as ScopesError).exitCode).toBe(4);
  });
});

describe('the rotated refresh token is stored as soon as the answer arrives', () => {
  it('survives a failure while the answer is still being checked (the session goes on)', async () => {
    const at = await home();
    await login(at);
    // The provider rotates and answers; then something fails before the answer has been fully processed (here: the
    // answer loses its access_token on the way, which openid-client refuses — standing for any failure in its checks).
    const failing: typeof fetch = async (input, init) => {
      const response = await globalThis.fetch(input, init);
      if (!isRefresh(input, init)) return response;
      const { access_token: _dropped, ...rest } = (await response.json()) as Record<string, unknown>;
      return Response.json(rest);
    };
    const first = at.deps({ fetch: failing });
    expect(await main(['token', '--force-refresh'], first)).toBe(4);
    const next = at.deps();
    expect(await main(['token', '--force-refresh'], next), next.stderr()).toBe(0);
  });
});
