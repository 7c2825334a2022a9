/**
 * Issue 12, point 6: what probe, check, check --live and diff print on a terminal fits its width (120, 80, 60 and 40
 * columns), in colour, with nothing lost: long endpoints and scopes wrap inside their column, and at 40 columns a
 * probe row becomes a short block. Run in-process against the real provider and resource server.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { visibleWidth } from '../../src/render/table.js';
import { testDeps } from '../support/deps.js';
import { startTestProvider, type TestProvider } from '../support/provider.js';
import { DIALECT_ROUTES, startResourceServer, type ResourceServer } from '../support/resource-server.js';

let provider: TestProvider;
let api: ResourceServer;
let home: string;
let token: string;
let manifestPath: string;

const LONG_QUERY = '?fields=id,title,duration_seconds,status,language,created_at&order=created_at';
// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

beforeAll(async () => {
  provider = await startTestProvider();
  api = await startResourceServer({ issuer: provider.issuer, resource: provider.resource });
  home = await mkdtemp(join(tmpdir(), 'scopes-width-'));
  const ci = await oidc.discovery(new URL(provider.issuer), provider.ciClient.clientId, undefined, oidc.ClientSecretBasic(provider.ciClient.clientSecret), {
    execute: [oidc.allowInsecureRequests],
  });
  token = (await oidc.clientCredentialsGrant(ci, { scope: 'videos:read', resource: provider.resource })).access_token;
  manifestPath = join(home, 'scopes.manifest.json');
  await writeFile(
    manifestPath,
    JSON.stringify({
      api: api.url,
      endpoints: [
        { method: 'GET', path: '/v1/videos', scopes: ['videos:read'] },
        { method: 'GET', path: '/v1/jobs/{id}', scopes: ['jobs:read'], probe: '/v1/jobs/7' },
        { method: 'POST', path: '/v1/videos/{video_id}/exports/{export_id}/subtitles/{language}', anyOf: [['export:write', 'subtitles:write'], ['videos:write']] },
      ],
    }),
  );
});
afterAll(async () => {
  await api?.close();
  await provider?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

async function onTerminal(columns: number, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const deps = testDeps({
    env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), SCOPES_STORAGE: 'file', SCOPES_TOKEN: token },
    cwd: home,
    tty: true,
    columns,
  });
  const code = await main(args, deps);
  return { code, stdout: deps.stdout(), stderr: deps.stderr() };
}

/** The table's lines: up to the blank line before the summary. */
const tableOf = (stdout: string) => stdout.slice(0, stdout.indexOf('\n\n')).split('\n');

function expectFits(stdout: string, width: number, lines = tableOf(stdout)): void {
  for (const line of lines) expect(visibleWidth(line), `${JSON.stringify(plain(line))} is wider than ${width}`).toBeLessThanOrEqual(width);
}

describe.each([120, 80, 60, 40])('at %i columns', (width) => {
  it('probe: the table fits, and the long endpoint and missing scopes are all there', async () => {
    const run = await onTerminal(width, ['probe', `${api.url}/v1/videos${LONG_QUERY}`, `${api.url}${DIALECT_ROUTES.rfc6750.path}`]);
    expect(run.code, run.stderr).toBe(1);
    expectFits(run.stdout, width);
    const table = plain(run.stdout.slice(0, run.stdout.indexOf('\n\n')));
    const squeezed = table.replace(/\s+/g, '');
    expect(squeezed).toContain('subtitles:read');
    expect(squeezed).toContain('subtitles:write');
    for (const part of ['fields=id,title,', 'order=created_at']) expect(squeezed).toContain(part);
    if (width >= 60) expect(table.split('\n')[0]).toMatch(/^METHOD {2}ENDPOINT +STATUS {2}OUTCOME +MISSING$/);
    else expect(table).toMatch(/^ {2}status {2,}200$/m);
    if (width === 120) expect(table).toMatch(/^GET {5}\S+\/rfc6750\/subtitles +403 +missing scope +subtitles:read subtitles:write$/m);
  });

  it('check and check --live: every line fits, long paths wrap under their column', async () => {
    for (const live of [false, true]) {
      const run = await onTerminal(width, ['check', '--manifest', manifestPath, ...(live ? ['--live'] : [])]);
      expect(run.code, run.stderr).toBe(1);
      expectFits(run.stdout, width);
      const table = plain(run.stdout.slice(0, run.stdout.indexOf('\n\n')));
      const lines = table.split('\n');
      const detailAt = lines[0]!.indexOf('videos:read');
      const endpoints = lines.map((line) => line.slice(2, detailAt)).join('').replace(/\s+/g, '');
      expect(endpoints).toBe('GET/v1/videosGET/v1/jobs/{id}POST/v1/videos/{video_id}/exports/{export_id}/subtitles/{language}');
      if (live) expect(table.replace(/\s+/g, ' ')).toContain('live: 200 ok');
      // A continuation line starts under the endpoint column, never under the mark.
      for (const line of table.split('\n')) expect(line).toMatch(/^([✓✗] \S| {2})/);
      if (width === 120) expect(lines[1]).toMatch(/^✗ GET \/v1\/jobs\/\{id\} +missing jobs:read/);
    }
  });

  it('diff: every line fits', async () => {
    const run = await onTerminal(width, ['diff', '--requested', 'videos:read export:write subtitles:write organization:administration:write', '--token', token]);
    expect(run.code, run.stderr).toBe(1);
    expectFits(run.stdout, width, run.stdout.trimEnd().split('\n'));
    const text = plain(run.stdout);
    if (width >= 60) expect(text).toMatch(/✗ not granted +organization:administration:write/);
    else expect(text).toMatch(/✗ not granted +organization:administ\n {17}ration:write/);
  });
});
