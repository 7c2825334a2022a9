/**
 * `npm run soak` (not in CI, a few minutes): the session store under load and faults, with the real binary against
 * the real test provider on 127.0.0.1, and figures printed at the end.
 *
 * - 16 concurrent `scopes token --force-refresh` × 5 rounds: failures, corrupt files, the session still alive;
 * - logout racing refreshes: a working session left behind (stored, or its last refresh token still valid);
 * - login racing refreshes: the old grant stored over the new one;
 * - 200 `scopes token --force-refresh` killed with SIGKILL at a random moment: corrupt files, temporary files left
 *   after the next command, stale locks (how long the next command waited), sessions lost (killed between the
 *   server's answer and the write: the window SECURITY.md describes);
 * - that window itself: from the moment a proxy in front of the token endpoint finished sending the answer to the
 *   moment the secrets file was replaced (its ctime).
 */
import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { binPath, createSandbox, type CliResult, type Sandbox } from '../test/support/cli.js';
import { testDeps } from '../test/support/deps.js';
import { startTestProvider, type TestProvider } from '../test/support/provider.js';
import { getAccessToken } from '../src/session.js';
import type { SecretStore } from '../src/io/store/types.js';
import { FileSecretStore } from '../src/io/store/file.js';

const SCOPES = ['openid', 'offline_access', 'videos:read', 'export:write'];

interface Issued {
  readonly refreshToken: string;
  /** wall clock (ms) when the provider's answer reached the proxy, which then sends it on */
  readonly sentAt: number;
}

/** A pass-through proxy for the token and revocation endpoints that notes every refresh token the provider issues. */
async function tokenProxy(provider: TestProvider): Promise<{ url: string; issued: Issued[]; close(): Promise<void> }> {
  const target = new URL(provider.issuer);
  const issued: Issued[] = [];
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: { ...incoming.headers, host: target.host } },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            const text = Buffer.concat(parts);
            // Noted when the provider has answered (it has rotated the refresh token), even if the client is gone.
            if (incoming.url?.startsWith('/token') && answer.statusCode === 200) {
              try {
                const token = (JSON.parse(text.toString()) as { refresh_token?: string }).refresh_token;
                if (token) issued.push({ refreshToken: token, sentAt: Date.now() });
              } catch {
                // not a token response
              }
            }
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            outgoing.end(text);
          });
        },
      );
      upstream.on('error', () => outgoing.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    issued,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const secretsDir = (box: Sandbox) => join(box.home, 'state', 'scopes', 'secrets');

async function secretsFile(box: Sandbox): Promise<string | undefined> {
  const names = (await readdir(secretsDir(box)).catch(() => [] as string[])).filter((name) => name.endsWith('.json'));
  return names[0] === undefined ? undefined : join(secretsDir(box), names[0]);
}

/** 'ok', 'absent' or 'corrupt' (unparsable, or no refresh token). */
async function storeHealth(box: Sandbox): Promise<'ok' | 'absent' | 'corrupt'> {
  const file = await secretsFile(box);
  if (!file) return 'absent';
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as { refreshToken?: unknown };
    return typeof value.refreshToken === 'string' && value.refreshToken !== '' ? 'ok' : 'corrupt';
  } catch {
    return 'corrupt';
  }
}

async function temporaries(box: Sandbox): Promise<number> {
  let count = 0;
  for (const dir of ['state/scopes/secrets', 'state/scopes/sessions', 'state/scopes/locks', 'config/scopes']) {
    count += (await readdir(join(box.home, dir)).catch(() => [] as string[])).filter((name) => name.endsWith('.tmp') || name.includes('.stale.')).length;
  }
  return count;
}

async function providerAccepts(provider: TestProvider, refreshToken: string): Promise<boolean> {
  const response = await fetch(`${provider.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: provider.publicClientId }),
  });
  return response.ok;
}

async function login(box: Sandbox, untick: string[] = []): Promise<CliResult> {
  return await box.run(['login', '--timeout', '30'], { env: { SCOPES_UA_UNTICK: untick.join(' ') } });
}

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

async function timed<T>(action: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  const value = await action();
  return { value, ms: Date.now() - start };
}

const stats = (values: number[]) =>
  `${percentile(values, 50).toFixed(1)} / ${percentile(values, 95).toFixed(1)} / ${Math.max(...values).toFixed(1)} (n=${values.length})`;

async function main(): Promise<void> {
  const provider = await startTestProvider();
  const proxy = await tokenProxy(provider);
  const box = await createSandbox({ storage: 'file' });
  const discovery = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
  // The token and revocation endpoints go through the proxy; everything else straight to the provider.
  const profile = {
    issuer: provider.issuer,
    clientId: provider.publicClientId,
    scopes: SCOPES,
    resource: [provider.resource],
    authorizationEndpoint: discovery.authorization_endpoint,
    tokenEndpoint: discovery.token_endpoint!.replace(provider.issuer, proxy.url),
    revocationEndpoint: discovery.revocation_endpoint!.replace(provider.issuer, proxy.url),
    jwksUri: discovery.jwks_uri,
  };
  await mkdir(join(box.home, 'config', 'scopes'), { recursive: true, mode: 0o700 });
  await writeFile(join(box.home, 'config', 'scopes', 'config.json'), JSON.stringify({ profiles: { default: profile } }), { mode: 0o600 });
  const figures: [string, string | number][] = [];
  const started = Date.now();
  try {
    const first = await login(box);
    if (first.code !== 0) throw new Error(`login failed: ${first.stderr}`);

    process.stderr.write('soak: 16 concurrent refreshes per round\n');
    // 1. 16 concurrent refreshes × 5 rounds.
    let failures = 0;
    let corrupt = 0;
    let lost = 0;
    const refreshRounds = Number(process.env.SOAK_ROUNDS ?? 5);
    for (let round = 0; round < refreshRounds; round++) {
      const results = await Promise.all(Array.from({ length: 16 }, () => box.run(['token', '--force-refresh'])));
      failures += results.filter((result) => result.code !== 0).length;
      const health = await storeHealth(box);
      if (health === 'corrupt') corrupt++;
      if ((await box.run(['token', '--force-refresh'])).code !== 0) {
        lost++;
        await login(box);
      }
    }
    figures.push([`16 × ${refreshRounds} concurrent refreshes: failed runs`, `${failures} of ${16 * refreshRounds}`], ['  corrupt secrets files', corrupt], ['  sessions lost', lost]);

    process.stderr.write('soak: logout racing refreshes\n');
    // 2. logout racing refreshes.
    const rounds = Number(process.env.SOAK_RACES ?? 10);
    let leftBehind = 0;
    let logoutFailures = 0;
    for (let round = 0; round < rounds; round++) {
      if ((await login(box)).code !== 0) throw new Error('login failed');
      const before = proxy.issued.length;
      const refreshes = Array.from({ length: 4 }, () => box.run(['token', '--force-refresh']));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 300));
      const logout = await box.run(['logout']);
      await Promise.all(refreshes);
      if (logout.code !== 0) logoutFailures++;
      const stored = (await storeHealth(box)) !== 'absent';
      const newest = proxy.issued.slice(before).at(-1);
      const alive = newest ? await providerAccepts(provider, newest.refreshToken) : false;
      if (stored || alive) leftBehind++;
    }
    figures.push([`logout racing 4 refreshes: working sessions left behind`, `${leftBehind} of ${rounds}`], ['  logout failures', logoutFailures]);

    process.stderr.write('soak: login racing refreshes\n');
    // 3. login racing refreshes: the old grant lacks export:write, the new login grants it.
    let oldGrantWon = 0;
    for (let round = 0; round < rounds; round++) {
      if ((await login(box, ['export:write'])).code !== 0) throw new Error('login failed');
      const refreshes = Array.from({ length: 4 }, () => box.run(['token', '--force-refresh']));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 100));
      const relogin = await login(box);
      await Promise.all(refreshes);
      const file = await secretsFile(box);
      const scope = file ? ((JSON.parse(await readFile(file, 'utf8')) as { scope?: string[] }).scope ?? []) : [];
      const state = JSON.parse(await readFile(join(box.home, 'state', 'scopes', 'sessions', 'default.json'), 'utf8')) as { granted: string[] };
      if (relogin.code !== 0 || !scope.includes('export:write') || !state.granted.includes('export:write')) oldGrantWon++;
      if ((await box.run(['token', '--force-refresh'])).code !== 0) oldGrantWon++;
    }
    figures.push([`login racing 4 refreshes: old grant stored or session broken`, `${oldGrantWon} of ${rounds}`]);

    // 4. 200 random SIGKILLs, and the window measured on the runs that were not killed.
    if ((await login(box)).code !== 0) throw new Error('login failed');
    const kills = Number(process.env.SOAK_KILLS ?? 200);
    let killCorrupt = 0;
    let tempsAfterKill = 0;
    let tempsAfterNext = 0;
    let killLost = 0;
    let nextFailed = 0;
    const nextDurations: number[] = [];
    const windows: number[] = [];
    const fullWrites: number[] = [];
    let locksLeft = 0;
    let inWindow = 0;
    let lostOutsideWindow = 0;
    // Kills land anywhere in a run: uniformly over 1.2 × the typical duration of an unkilled one (start-up included).
    let typical = (await timed(() => box.run(['token', '--force-refresh']))).ms;
    for (let round = 0; round < kills; round++) {
      if (round % 20 === 0) process.stderr.write(`soak: kill ${round} of ${kills} (runs take ~${typical} ms)\n`);
      const issuedBefore = proxy.issued.length;
      const child = spawn(process.execPath, [binPath, 'token', '--force-refresh'], { env: box.env, cwd: box.home, stdio: 'ignore' });
      // Listened for at once: a run may end before the kill.
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const delay = Math.random() * typical * 1.2;
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, delay))]);
      child.kill('SIGKILL');
      await exited;
      // Killed after the provider rotated and before the new refresh token was stored: the window.
      const rotated = proxy.issued.slice(issuedBefore).at(-1);
      const file = await secretsFile(box);
      const holding = file ? ((JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as { refreshToken?: string }).refreshToken) : undefined;
      const killedInWindow = rotated !== undefined && holding !== rotated.refreshToken;
      if (killedInWindow) inWindow++;
      if ((await storeHealth(box)) === 'corrupt') killCorrupt++;
      tempsAfterKill += await temporaries(box);
      const before = proxy.issued.length;
      // Every replacement of the secrets file while the next command runs (the first one is the rotated refresh
      // token's first durable copy).
      const replaced: number[] = [];
      const watcher = watch(secretsDir(box), (event, name) => {
        if (event === 'rename' && name?.endsWith('.json')) replaced.push(Date.now());
      });
      const timing = Date.now();
      const next = await box.run(['token', '--force-refresh']);
      nextDurations.push(Date.now() - timing);
      typical = percentile(nextDurations, 50);
      watcher.close();
      tempsAfterNext += await temporaries(box);
      if (next.code === 3) {
        killLost++;
        if (!killedInWindow) lostOutsideWindow++;
        if ((await login(box)).code !== 0) throw new Error('login failed');
      } else if (next.code !== 0) {
        nextFailed++;
      } else {
        const issued = proxy.issued.slice(before).at(-1);
        const file = await secretsFile(box);
        const first = replaced.find((at) => issued && at >= issued.sentAt);
        if (issued && first !== undefined) windows.push(first - issued.sentAt);
        if (issued && file) fullWrites.push((await stat(file)).ctimeMs - issued.sentAt);
      }
      locksLeft += (await readdir(join(box.home, 'state', 'scopes', 'locks')).catch(() => [] as string[])).filter((name) => name.endsWith('.lock')).length;
    }
    figures.push(
      [`${kills} random SIGKILLs of token --force-refresh: corrupt secrets files`, killCorrupt],
      ['  temporary files right after the kill (all rounds)', tempsAfterKill],
      ['  temporary files left after the next command', tempsAfterNext],
      ['  next command failed (not exit 0 or 3)', nextFailed],
      ['  kills that landed between the provider\'s answer and the write', `${inWindow} of ${kills}`],
      ['  sessions lost', `${killLost} of ${kills}`],
      ['  sessions lost by a kill outside that window (bugs)', lostOutsideWindow],
      ['  lock files left after the next command', locksLeft],
      ['  next command after a kill, ms (median / p95 / max)', stats(nextDurations)],
      ['window: answer sent → rotated refresh token stored, ms (median / p95 / max)', stats(windows)],
      ['        answer sent → full secrets written, ms (median / p95 / max)', stats(fullWrites)],
    );

    // 5. The same window inside one process, without the scheduling of a separate process on a loaded machine:
    // from the token answer reaching fetch to the first and the last write of the store.
    const inProcess: number[] = [];
    const inProcessFull: number[] = [];
    const env = box.env;
    const files = new FileSecretStore(join(box.home, 'state', 'scopes'));
    for (let round = 0; round < 30; round++) {
      let answeredAt = 0;
      const writes: number[] = [];
      const timed: SecretStore = {
        kind: 'file',
        description: files.description,
        read: (key) => files.read(key),
        write: async (key, secrets) => {
          await files.write(key, secrets);
          writes.push(performance.now());
        },
        delete: (key) => files.delete(key),
      };
      const deps = testDeps({
        env,
        cwd: box.home,
        stores: { file: timed },
        fetch: async (input, init) => {
          const response = await globalThis.fetch(input, init);
          if (String(init?.body ?? '').includes('grant_type=refresh_token')) answeredAt = performance.now();
          return response;
        },
      });
      await getAccessToken({ deps, profileName: 'default', profile, warn: () => undefined }, { minTtl: 60, forceRefresh: true });
      inProcess.push(writes[0]! - answeredAt);
      inProcessFull.push(writes.at(-1)! - answeredAt);
    }
    figures.push(
      ['in one process: answer received → rotated refresh token stored, ms', stats(inProcess)],
      ['                answer received → full secrets written, ms', stats(inProcessFull)],
    );
  } finally {
    await proxy.close();
    await provider.close();
    await box.cleanup();
  }
  figures.push(['total time, s', ((Date.now() - started) / 1000).toFixed(0)]);
  const width = Math.max(...figures.map(([label]) => label.length));
  for (const [label, value] of figures) console.log(`${label.padEnd(width)}  ${value}`);
}

await main();
