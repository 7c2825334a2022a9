/**
 * `npm run bench`: performance as ratios, never as timed assertions in tests.
 * - the WWW-Authenticate parser must be linear: time per KiB at 10x and 100x the input should stay near 1x;
 * - `minimal` on manifests 10x larger;
 * - `scopes token` with a cached token against bare `node` start-up (lazy imports keep it close).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWwwAuthenticate } from '../src/core/challenges.js';
import { compileRules, minimal, type Requirement } from '../src/core/scopes.js';
import { binPath } from '../test/support/cli.js';

function time(run: () => void, minMs = 300): number {
  run(); // warm-up
  let runs = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    run();
    runs++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return elapsed / runs;
}

const ratio = (a: number, b: number) => (a / b).toFixed(2);

function parserLinearity(): void {
  const cases = [
    ['well-formed challenges', '', 'Bearer realm="a\\"b", scope="x y z", error=insufficient_scope, '],
    // An unterminated quoted string full of escapes and commas: the scanner must reach the end once, not backtrack.
    ['unterminated quote of escapes', 'Bearer realm="', '\\",,\\\\ '],
    ['parameters without commas', 'Bearer ', 'a=b '],
  ] as const;
  for (const [name, prefix, piece] of cases) {
    const sizes = [10_000, 100_000, 1_000_000];
    const perKiB = sizes.map((size) => {
      const input = prefix + piece.repeat(Math.ceil(size / piece.length)).slice(0, size);
      return time(() => parseWwwAuthenticate(input)) / (size / 1024);
    });
    console.log(`parser (${name}): time per KiB at 10 KB : 100 KB : 1 MB = 1 : ${ratio(perKiB[1]!, perKiB[0]!)} : ${ratio(perKiB[2]!, perKiB[0]!)}  (linear ≈ 1)`);
  }
}

function minimalScaling(): void {
  const rules = compileRules({ implies: { admin: ['jobs:read', 'videos:read'] } });
  const manifest = (endpoints: number): Requirement[] =>
    Array.from({ length: endpoints }, (_, i) => (i % 3 === 0 ? [[`res${i % 150}:read`], ['admin']] : [[`res${i % 150}:read`, `res${(i + 7) % 150}:write`]]));
  const small = time(() => minimal(manifest(50), rules));
  const large = time(() => minimal(manifest(500), rules));
  console.log(`minimal: 500 endpoints vs 50 = ${ratio(large, small)}x the time  (${small.toFixed(2)} ms vs ${large.toFixed(2)} ms)`);
}

function tokenStartup(): void {
  const home = mkdtempSync(join(tmpdir(), 'scopes-bench-'));
  try {
    const env = { ...process.env, XDG_CONFIG_HOME: join(home, 'c'), XDG_STATE_HOME: join(home, 's'), SCOPES_STORAGE: 'file' };
    mkdirSync(join(home, 'c', 'scopes'), { recursive: true });
    writeFileSync(join(home, 'c', 'scopes', 'config.json'), JSON.stringify({ profiles: { default: { issuer: 'http://127.0.0.1:9', clientId: 'bench' } } }));
    // A cached, valid token in file storage: the fast path that scripts hit on every call.
    const secrets = join(home, 's', 'scopes', 'secrets');
    mkdirSync(secrets, { recursive: true, mode: 0o700 });
    const { createHash } = require_('node:crypto') as typeof import('node:crypto');
    const digest = createHash('sha256').update('default|http://127.0.0.1:9|bench').digest('hex').slice(0, 16);
    writeFileSync(join(secrets, `default-${digest}.json`), JSON.stringify({ accessToken: 'cached', expiresAt: Math.floor(Date.now() / 1000) + 3600, refreshToken: 'r' }), { mode: 0o600 });
    const run = (args: string[]) => () => {
      const result = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`${args.join(' ')}: ${result.stderr}`);
    };
    const bare = time(run(['-e', '0']), 1500);
    const token = time(run([binPath, 'token']), 1500);
    const help = time(run([binPath, '--version']), 1500);
    console.log(`scopes token (cached) vs bare node start-up = ${ratio(token, bare)}x; scopes --version = ${ratio(help, bare)}x  (${bare.toFixed(0)} ms bare)`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

import { createRequire } from 'node:module';
const require_ = createRequire(import.meta.url);

parserLinearity();
minimalScaling();
tokenStartup();
