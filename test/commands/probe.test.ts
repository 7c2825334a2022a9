/**
 * `scopes probe` in-process against the real thing: the test provider (oidc-provider) mints JWT access tokens with a
 * chosen set of scopes (client credentials on ci-client), and the test resource server verifies them and refuses in
 * every dialect it speaks. Each dialect must be recognised and name the right scopes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { testDeps } from '../support/deps.js';
import { startTestProvider, type TestProvider } from '../support/provider.js';
import { DIALECT_ROUTES, startResourceServer, type ResourceServer } from '../support/resource-server.js';

let provider: TestProvider;
let api: ResourceServer;
let home: string;
let ci: oidc.Configuration;
const tokens = new Map<string, string>();

beforeAll(async () => {
  provider = await startTestProvider();
  api = await startResourceServer({ issuer: provider.issuer, resource: provider.resource, slowMs: 2500 });
  home = await mkdtemp(join(tmpdir(), 'scopes-probe-'));
  ci = await oidc.discovery(new URL(provider.issuer), provider.ciClient.clientId, undefined, oidc.ClientSecretBasic(provider.ciClient.clientSecret), {
    execute: [oidc.allowInsecureRequests],
  });
});
afterAll(async () => {
  await api?.close();
  await provider?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

/** A JWT access token for the API holding exactly `scope` (cached per scope set). */
async function tokenWith(scope: string): Promise<string> {
  let token = tokens.get(scope);
  if (token === undefined) {
    token = (await oidc.clientCredentialsGrant(ci, { scope, resource: provider.resource })).access_token;
    tokens.set(scope, token);
  }
  return token;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A config file whose profiles are the ci client's at the test provider: its tokens are theirs, not foreign. */
async function matchingConfig(): Promise<string[]> {
  const path = join(home, 'matching.config.json');
  const profile = { issuer: provider.issuer, clientId: provider.ciClient.clientId };
  await writeFile(path, JSON.stringify({ profiles: { default: profile, ci: profile } }));
  return ['--config', path];
}

async function probe(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const deps = testDeps({
    env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), SCOPES_STORAGE: 'file', ...env },
    cwd: home,
  });
  const code = await main(['probe', ...args], deps);
  return { code, stdout: deps.stdout(), stderr: deps.stderr() };
}

interface JsonReport {
  results: {
    method: string;
    url: string;
    status: number | null;
    outcome: string;
    required: string[][];
    missing: string[];
    evidence: string[];
    dialect?: string;
    error?: string;
    stepUp?: { acrValues?: string[]; maxAge?: number };
    resourceMetadata?: { url: string; resource?: string; scopesSupported?: string[]; valid: boolean; problem?: string };
    tokenHas?: string[];
    finalUrl?: string;
    requiredFrom?: string;
  }[];
  missing: string[];
  addScope: string | null;
  granted: string[] | null;
}

async function probeJson(args: string[], env?: Record<string, string>): Promise<Run & { report: JsonReport }> {
  const run = await probe([...args, '--json'], env);
  const lines = run.stdout.trimEnd().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  return { ...run, report: JSON.parse(run.stdout) as JsonReport };
}

describe('each dialect, against the resource server', () => {
  const cases: {
    description: string;
    path: string;
    expected: { status: number; outcome: string; dialect: string; required: string[][]; missing: string[]; exit: number };
  }[] = [
    {
      description: 'RFC 6750 challenge: every scope of the challenge is needed',
      path: DIALECT_ROUTES.rfc6750.path,
      expected: { status: 403, outcome: 'missing_scope', dialect: 'rfc6750', required: [['subtitles:read', 'subtitles:write']], missing: ['subtitles:read', 'subtitles:write'], exit: 1 },
    },
    {
      description: 'GitLab-style RFC 6750 body without a header',
      path: DIALECT_ROUTES.gitlab.path,
      expected: { status: 403, outcome: 'missing_scope', dialect: 'rfc6750-body', required: [['article:read']], missing: ['article:read'], exit: 1 },
    },
    {
      description: "Google: the challenge's scopes are alternatives",
      path: DIALECT_ROUTES.google.path,
      expected: { status: 403, outcome: 'missing_scope', dialect: 'google', required: [['tools:read'], ['tools:write']], missing: ['tools:read'], exit: 1 },
    },
    {
      description: 'GitHub REST 403: X-Accepted-OAuth-Scopes are alternatives',
      path: DIALECT_ROUTES.githubRest.path,
      expected: { status: 403, outcome: 'missing_scope', dialect: 'github-rest', required: [['jobs:read'], ['usage:read']], missing: ['jobs:read'], exit: 1 },
    },
    {
      description: 'GitHub REST 404 with X-Accepted-OAuth-Scopes is a scope gap, not a missing page',
      path: DIALECT_ROUTES.githubNotFound.path,
      expected: { status: 404, outcome: 'missing_scope', dialect: 'github-rest', required: [['videos:write']], missing: ['videos:write'], exit: 1 },
    },
    {
      description: 'GitHub GraphQL INSUFFICIENT_SCOPES on HTTP 200',
      path: DIALECT_ROUTES.githubGraphql.path,
      expected: { status: 200, outcome: 'missing_scope', dialect: 'github-graphql', required: [['usage:read']], missing: ['usage:read'], exit: 1 },
    },
    {
      description: "Slack missing_scope on HTTP 200: needed lists alternatives",
      path: DIALECT_ROUTES.slack.path,
      expected: { status: 200, outcome: 'missing_scope', dialect: 'slack', required: [['jobs:read'], ['usage:read']], missing: ['jobs:read'], exit: 1 },
    },
    {
      description: "Shopify's merchant-approval sentence",
      path: DIALECT_ROUTES.shopify.path,
      expected: { status: 403, outcome: 'missing_scope', dialect: 'shopify', required: [['translate:write']], missing: ['translate:write'], exit: 1 },
    },
    {
      description: 'Microsoft Graph 403 names no scope: forbidden, nothing to add without a manifest',
      path: DIALECT_ROUTES.microsoftGraph.path,
      expected: { status: 403, outcome: 'forbidden', dialect: 'microsoft-graph', required: [], missing: [], exit: 0 },
    },
    {
      description: 'the video API (seed 003): its JSON error and its RFC 6750 header agree',
      path: '/v1/jobs/7',
      expected: { status: 403, outcome: 'missing_scope', dialect: 'rfc6750', required: [['jobs:read']], missing: ['jobs:read'], exit: 1 },
    },
  ];

  it.each(cases)('$description', async ({ path, expected }) => {
    const { code, report } = await probeJson([`${api.url}${path}`, '--token', await tokenWith('videos:read')]);
    const [result] = report.results;
    expect(result).toMatchObject({
      method: 'GET',
      url: `${api.url}${path}`,
      status: expected.status,
      outcome: expected.outcome,
      dialect: expected.dialect,
      required: expected.required,
      missing: expected.missing,
    });
    expect(result!.evidence.length).toBeGreaterThan(0);
    expect(report.missing).toEqual(expected.missing);
    expect(report.granted).toEqual(['videos:read']);
    expect(code).toBe(expected.exit);
  });

  it('tells the video API dialect from its body alone too, and keeps both as evidence', async () => {
    const { report } = await probeJson([`${api.url}/v1/usage`, '--token', await tokenWith('videos:read jobs:read')]);
    const evidence = report.results[0]!.evidence.join('\n');
    expect(evidence).toContain('WWW-Authenticate: Bearer realm="video-api", error="insufficient_scope", scope="usage:read"');
    expect(evidence).toContain('This action requires the \\"usage:read\\" scope. Your token has: videos:read, jobs:read');
  });

  it('RFC 9728: reports scopes_supported from the valid metadata document, and never as required', async () => {
    const { code, report } = await probeJson([`${api.url}${DIALECT_ROUTES.rfc9728.path}`, '--token', await tokenWith('videos:read')]);
    const [result] = report.results;
    expect(result).toMatchObject({ outcome: 'missing_scope', required: [['videos:write']], missing: ['videos:write'] });
    expect(result!.resourceMetadata).toEqual({
      url: `${api.url}/.well-known/oauth-protected-resource${DIALECT_ROUTES.rfc9728.path}`,
      resource: `${api.url}${DIALECT_ROUTES.rfc9728.path}`,
      scopesSupported: ['videos:read', 'videos:write', 'subtitles:read', 'subtitles:write', 'export:write', 'jobs:read', 'usage:read'],
      authorizationServers: [provider.issuer],
      valid: true,
    });
    expect(report.missing).toEqual(['videos:write']);
    expect(code).toBe(1);
    expect(api.received.filter((entry) => entry.path.startsWith('/.well-known/')).every((entry) => !entry.authorization)).toBe(true);
  });

  it('RFC 9728: a metadata document whose resource is another URL is reported and not used', async () => {
    const { report } = await probeJson([`${api.url}${DIALECT_ROUTES.rfc9728Mismatch.path}`, '--token', await tokenWith('videos:read')]);
    const metadata = report.results[0]!.resourceMetadata!;
    expect(metadata).toMatchObject({ valid: false, resource: `${api.url}/somewhere-else` });
    expect(metadata.problem).toContain('RFC 9728 §3.3');
    expect(metadata.scopesSupported).toBeUndefined();
  });

  it('RFC 9470 step-up: outcome step_up with acr_values and max_age, and not a missing scope (exit 0)', async () => {
    const { code, report } = await probeJson([`${api.url}${DIALECT_ROUTES.stepUp.path}`, '--token', await tokenWith('videos:read')]);
    expect(report.results[0]).toMatchObject({
      status: 401,
      outcome: 'step_up',
      dialect: 'rfc9470',
      stepUp: { acrValues: [...DIALECT_ROUTES.stepUp.acrValues], maxAge: DIALECT_ROUTES.stepUp.maxAge },
      missing: [],
    });
    expect(report.missing).toEqual([]);
    expect(code).toBe(0);
  });

  it('says in the table what step-up needs, and how to log in for it', async () => {
    const { stdout } = await probe([`${api.url}${DIALECT_ROUTES.stepUp.path}`, '--token', await tokenWith('videos:read')]);
    expect(stdout).toContain('step-up');
    expect(stdout).toContain('acr_values=urn:example:acr:mfa');
    expect(stdout).toContain('Step-up: 1 endpoint wants a stronger or more recent sign-in, not another scope: scopes login --param acr_values=urn:example:acr:mfa --param max_age=300');
  });

  it('accepts a token that holds the scope: ok, exit 0', async () => {
    const { code, report } = await probeJson([`${api.url}/v1/jobs/7`, `${api.url}${DIALECT_ROUTES.google.path}`, '--token', await tokenWith('jobs:read tools:write')]);
    expect(report.results.map((result) => [result.status, result.outcome])).toEqual([
      [200, 'ok'],
      [200, 'ok'],
    ]);
    expect(report.missing).toEqual([]);
    expect(code).toBe(0);
  });

  it('calls an invalid token unauthorized', async () => {
    const forged = `${(await tokenWith('videos:read')).slice(0, -4)}AAAA`;
    const { code, report, stdout } = await probeJson([`${api.url}/v1/videos`, '--token', forged]);
    expect(report.results[0]).toMatchObject({ status: 401, outcome: 'unauthorized' });
    expect(code).toBe(0);
    expect(stdout).not.toContain(forged);
  });
});

describe('what is sent, and where', () => {
  it('does not send POST without --allow-unsafe, and sends it with', async () => {
    const url = `${api.url}/v1/videos/vid_demo/export`;
    const before = api.received.length;
    const skipped = await probeJson(['--method', 'POST', url, '--token', await tokenWith('videos:read')]);
    expect(skipped.report.results[0]).toMatchObject({ outcome: 'skipped', status: null, required: [], missing: [] });
    expect(api.received.slice(before).filter((entry) => entry.method === 'POST')).toEqual([]);
    expect(api.received.length).toBe(before);

    const sent = await probeJson(['--method', 'POST', url, '--allow-unsafe', '--token', await tokenWith('videos:read')]);
    expect(sent.report.results[0]).toMatchObject({ status: 403, outcome: 'missing_scope', missing: ['export:write'] });
    expect(api.received.slice(before).filter((entry) => entry.method === 'POST')).toEqual([{ method: 'POST', path: '/v1/videos/vid_demo/export', authorization: true }]);
  });

  it('does not follow a redirect to another origin: the other origin never sees the token', async () => {
    const { code, report } = await probeJson([`${api.url}/redirect/elsewhere`, '--token', await tokenWith('videos:read')]);
    expect(report.results[0]).toMatchObject({ status: 302, outcome: 'error' });
    expect(report.results[0]!.evidence.join('\n')).toContain('redirected to another origin');
    expect(report.results[0]!.evidence.join('\n')).toContain('not followed, the token was not sent');
    expect(api.otherOrigin.received.filter((entry) => entry.authorization)).toEqual([]);
    expect(code).toBe(4);
  });

  it('follows a redirect within the origin', async () => {
    const { report } = await probeJson([`${api.url}/redirect/same`, '--token', await tokenWith('videos:read')]);
    expect(report.results[0]).toMatchObject({ status: 200, outcome: 'ok', finalUrl: `${api.url}/v1/videos` });
  });

  it('reports an unreachable endpoint and a slow one as errors; exit 4 only when nothing could be probed', async () => {
    const closedPort = await freePort();
    const token = await tokenWith('videos:read');
    const unreachable = `http://127.0.0.1:${closedPort}/v1/videos`;
    const allFailed = await probeJson([unreachable, `${api.url}/slow`, '--timeout', '1', '--token', token]);
    expect(allFailed.report.results.map((result) => [result.outcome, result.status])).toEqual([
      ['error', null],
      ['error', null],
    ]);
    expect(allFailed.report.results[0]!.error).toContain('connection refused');
    expect(allFailed.report.results[1]!.error).toBe('no answer within 1 s');
    expect(allFailed.code).toBe(4);
    expect(allFailed.stderr).toContain('None of the 2 endpoints could be probed');

    // One endpoint alone: the sentence must still say it failed (it once read "The endpoint could be probed").
    const onlyOne = await probe([unreachable, '--timeout', '1', '--token', token]);
    expect(onlyOne.code).toBe(4);
    expect(onlyOne.stderr).toContain('The endpoint could not be probed.');
    expect(onlyOne.stdout).toContain('Errors: 1 endpoint could not be probed.');

    const oneWorked = await probeJson([unreachable, `${api.url}/v1/videos`, '--timeout', '1', '--token', token]);
    expect(oneWorked.report.results.map((result) => result.outcome)).toEqual(['error', 'ok']);
    expect(oneWorked.code).toBe(0);

    const oneMissing = await probeJson([unreachable, `${api.url}/v1/usage`, '--timeout', '1', '--token', token]);
    expect(oneMissing.code).toBe(1);
  });

  it('calls a 5xx an error', async () => {
    const { report, code } = await probeJson([`${api.url}/broken`, '--token', await tokenWith('videos:read')]);
    expect(report.results[0]).toMatchObject({ status: 500, outcome: 'error' });
    expect(code).toBe(4);
  });
});

describe('the human report', () => {
  it('shows a table, the evidence under a refusal, and the exact --add-scope line (exit 1)', async () => {
    const { code, stdout, stderr } = await probe([`${api.url}/v1/videos`, `${api.url}/v1/jobs/7`, `${api.url}/v1/usage`, '--token', await tokenWith('videos:read'), ...(await matchingConfig())]);
    expect(code).toBe(1);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^METHOD\s+ENDPOINT\s+STATUS\s+OUTCOME\s+MISSING$/);
    expect(lines.find((line) => line.includes('/v1/videos'))).toMatch(/GET\s+http:\/\/127\.0\.0\.1:\d+\/v1\/videos\s+200\s+ok/);
    expect(lines.find((line) => line.includes('/v1/jobs/7'))).toMatch(/403\s+missing scope\s+jobs:read$/);
    expect(stdout).toContain('    WWW-Authenticate: Bearer realm="video-api", error="insufficient_scope", scope="jobs:read"');
    expect(stdout).toContain('Missing: jobs:read usage:read');
    expect(stdout).toContain('To fix: scopes login --add-scope "jobs:read usage:read"');
    expect(stdout).not.toContain('\u001b[');
    expect(stderr).toBe('');
  });

  it('colours the table and shows progress on stderr only on a terminal', async () => {
    const deps = testDeps({ env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state') }, cwd: home, tty: true });
    const code = await main(['probe', `${api.url}/v1/videos`, `${api.url}/v1/jobs/7`, '--token', await tokenWith('videos:read')], deps);
    expect(code).toBe(1);
    expect(deps.stdout()).toContain('\u001b[31mmissing scope\u001b[39m');
    expect(deps.stderr()).toContain('probing 2 endpoints… 2/2');
  });

  it('names the profile in the fix when it is not the default', async () => {
    const { stdout } = await probe([`${api.url}/v1/jobs/7`, '--profile', 'ci', '--token', await tokenWith('videos:read'), ...(await matchingConfig())]);
    expect(stdout).toContain('To fix: scopes login --profile ci --add-scope "jobs:read"');
  });

  it('does not send a foreign token\'s fix to the unrelated default profile: it names the token\'s issuer and client', async () => {
    // No profile knows this issuer: `scopes login --add-scope` would change the default profile, not this token.
    const { stdout } = await probe([`${api.url}/v1/jobs/7`, '--token', await tokenWith('videos:read')]);
    expect(stdout).not.toContain('--add-scope');
    expect(stdout).toContain(
      `To fix: scopes login --profile 127.0.0.1 --issuer ${provider.issuer} --client-id ${provider.ciClient.clientId} --scope 'videos:read jobs:read'`,
    );
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/^To fix: /);
  });

  it('prints exactly one JSON document with --json, carrying the fix', async () => {
    const { report } = await probeJson([`${api.url}/v1/jobs/7`, `${api.url}/v1/tools`, '--token', await tokenWith('videos:read'), ...(await matchingConfig())]);
    expect(report.missing).toEqual(['jobs:read', 'tools:read']);
    expect(report.addScope).toBe('scopes login --add-scope "jobs:read tools:read"');
    for (const result of report.results) expect(Object.keys(result)).toEqual(expect.arrayContaining(['method', 'url', 'status', 'outcome', 'required', 'missing', 'evidence']));
  });
});

describe('with a manifest', () => {
  it('probes its endpoints: probe paths stand in for templates, unsafe and unprobeable ones are judged from it', async () => {
    const dir = await mkdtemp(join(home, 'manifest-'));
    const manifest = join(dir, 'scopes.manifest.json');
    await writeFile(
      manifest,
      JSON.stringify({
        api: api.url,
        implies: { 'videos:write': ['videos:read'] },
        endpoints: [
          { method: 'GET', path: '/v1/videos', scopes: ['videos:read'] },
          { method: 'GET', path: '/v1/jobs/{id}', anyOf: [['jobs:read'], ['usage:read']], probe: '/v1/jobs/7' },
          { method: 'GET', path: '/v1/videos/{id}/subtitles', scopes: ['subtitles:read'] },
          { method: 'POST', path: '/v1/videos/{id}/export', scopes: ['export:write'] },
          { method: 'GET', path: '/graph/me', scopes: ['usage:read'] },
        ],
      }),
    );
    const before = api.received.length;
    const { code, report } = await probeJson(['--manifest', manifest, '--token', await tokenWith('videos:read')]);
    const byUrl = Object.fromEntries(report.results.map((result) => [result.url.slice(api.url.length), result]));
    expect(byUrl['/v1/videos']).toMatchObject({ method: 'GET', outcome: 'ok', status: 200 });
    expect(byUrl['/v1/jobs/7']).toMatchObject({ outcome: 'missing_scope', required: [['jobs:read']], missing: ['jobs:read'], requiredFrom: 'response' });
    expect(byUrl['/v1/videos/{id}/subtitles']).toMatchObject({ outcome: 'skipped', status: null, required: [['subtitles:read']], missing: ['subtitles:read'] });
    expect(byUrl['/v1/videos/{id}/subtitles']!.evidence[0]).toContain('templated');
    expect(byUrl['/v1/videos/{id}/export']).toMatchObject({ method: 'POST', outcome: 'skipped', required: [['export:write']], missing: ['export:write'] });
    expect(byUrl['/graph/me']).toMatchObject({ outcome: 'missing_scope', required: [['usage:read']], missing: ['usage:read'], requiredFrom: 'manifest', dialect: 'microsoft-graph' });
    // The manifest would let usage:read serve /v1/jobs/{id} too, but the API itself named jobs:read: the API wins.
    expect(report.missing).toEqual(['export:write', 'jobs:read', 'subtitles:read', 'usage:read']);
    expect(code).toBe(1);
    const sent = api.received.slice(before);
    expect(sent.map((entry) => `${entry.method} ${entry.path}`).sort()).toEqual(['GET /graph/me', 'GET /v1/jobs/7', 'GET /v1/videos']);
  });

  it('resolves a path given on the command line against the manifest api, and takes its declared scopes', async () => {
    const dir = await mkdtemp(join(home, 'manifest-'));
    const manifest = join(dir, 'scopes.manifest.yaml');
    await writeFile(manifest, `api: ${api.url}\nendpoints:\n  - method: GET\n    path: /graph/{who}\n    scopes: [usage:read]\n`);
    const { report } = await probeJson(['/graph/me', '--manifest', manifest, '--token', await tokenWith('videos:read')]);
    expect(report.results[0]).toMatchObject({ url: `${api.url}/graph/me`, outcome: 'missing_scope', missing: ['usage:read'], requiredFrom: 'manifest' });
  });

  it('honours implication rules from --implies', async () => {
    const { report, code } = await probeJson([`${api.url}/v1/jobs/7`, '--implies', 'jobs:admin=jobs:read', '--token', await tokenWith('jobs:read')]);
    expect(report.results[0]!.outcome).toBe('ok');
    expect(code).toBe(0);
  });
});

describe('usage and authentication errors', () => {
  it.each([
    { description: 'a relative path without an api', args: ['/v1/videos'] },
    { description: 'not a URL', args: ['api.example.com/v1/videos'] },
    { description: 'another scheme', args: ['ftp://127.0.0.1/x'] },
    { description: 'a method probe does not know', args: ['http://127.0.0.1/x', '--method', 'BREW'] },
    { description: 'nothing to probe', args: [] },
    { description: 'a manifest that does not exist', args: ['--manifest', 'missing.json'] },
  ])('exit 2: $description', async ({ args }) => {
    const { code, stderr } = await probe([...args, '--token', await tokenWith('videos:read')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: /);
  });

  it('exit 3 without a session, saying to log in', async () => {
    const { code, stderr } = await probe([`${api.url}/v1/videos`]);
    expect(code).toBe(3);
    expect(stderr).toContain('scopes login');
  });

  it('reads the token from SCOPES_TOKEN, and from stdin with --token -', async () => {
    const token = await tokenWith('jobs:read');
    expect((await probe([`${api.url}/v1/jobs/7`], { SCOPES_TOKEN: token })).code).toBe(0);
    const deps = testDeps({ env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state') }, cwd: home, stdin: `${token}\n` });
    expect(await main(['probe', `${api.url}/v1/jobs/7`, '--token', '-'], deps)).toBe(0);
  });
});

/** A port nothing listens on: bound, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
