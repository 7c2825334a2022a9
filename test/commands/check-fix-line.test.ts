/**
 * `check` ends with the same `scopes login --add-scope …` line `probe` prints, naming the scopes that satisfy every
 * unsatisfied endpoint without those another implies (MCP 2026-07-28 step-up: ask for the union, no redundant scope).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { testDeps } from '../support/deps.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'scopes-check-fix-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
// The profiles' own issuer and client: the token is theirs, so adding scopes to the profile is the fix.
const tokenWith = (scope: string) =>
  `${b64({ alg: 'RS256', typ: 'at+jwt' })}.${b64({ scope, exp: 4102444800, iss: 'https://auth.example.com', client_id: 'abc' })}.c2ln`;

async function check(args: string[]) {
  const path = join(home, 'scopes.manifest.json');
  await writeFile(
    path,
    JSON.stringify({
      api: 'https://api.example.com',
      implies: { 'videos:write': ['videos:read'] },
      endpoints: [
        { method: 'GET', path: '/v1/videos', scopes: ['videos:read'] },
        { method: 'POST', path: '/v1/videos/upload', scopes: ['videos:write'] },
        { method: 'GET', path: '/v1/usage', scopes: ['usage:read'] },
      ],
    }),
  );
  const profile = { issuer: 'https://auth.example.com', clientId: 'abc' };
  await writeFile(join(home, 'scopes.config.json'), JSON.stringify({ profiles: { default: profile, work: profile } }));
  const deps = testDeps({ env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state') }, cwd: home });
  const code = await main(['check', '--manifest', path, '--token', tokenWith('usage:read'), ...args], deps);
  return { code, stdout: deps.stdout() };
}

describe('check: the fix line', () => {
  it('asks for videos:write alone, which implies the videos:read another endpoint lacks', async () => {
    const result = await check(['--profile', 'work']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('To fix: scopes login --profile work --add-scope "videos:write"\n');
  });
  it('gives the same line in JSON', async () => {
    const result = await check(['--json']);
    expect(JSON.parse(result.stdout).addScope).toBe('scopes login --add-scope "videos:write"');
  });
});
