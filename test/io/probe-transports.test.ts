/**
 * The probe engine gives the same results whichever client calls the endpoints: fetch (tests in process, --verbose,
 * `check --live`) or the lean client `scopes probe` uses. Both against one real loopback API whose answers cover what
 * the engine reads: a challenge, a plain success, redirects within and out of the origin, a body past the cap, a 5xx,
 * a refusal no reader knows, a server that never answers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRules } from '../../src/providers/index.js';
import { guardDeps } from '../../src/io/guard.js';
import { leanRequest } from '../../src/io/lean-http.js';
import { MAX_BODY_BYTES, probeEndpoints, type ProbeOptions } from '../../src/probe/engine.js';
import { testDeps } from '../support/deps.js';

const TOKEN = 'eyJhbGciOiJub25lIn0.eyJzY29wZSI6InZpZGVvczpyZWFkIn0.transport-test';
let api: Server;
let other: Server;
let base: string;
let otherBase: string;
const authorizations: (string | undefined)[] = [];

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

beforeAll(async () => {
  other = createServer((request, response) => {
    authorizations.push(request.headers.authorization);
    response.writeHead(200).end('{}');
  });
  otherBase = await listen(other);
  api = createServer((request, response) => {
    const path = request.url ?? '';
    if (path === '/challenge') {
      // RFC 6750 §3.1's example of an insufficient_scope answer, with the scope it needs.
      response.writeHead(403, { 'www-authenticate': 'Bearer realm="example", error="insufficient_scope", scope="videos:write"', 'content-type': 'application/json' });
      response.end('{"error":"insufficient_scope"}');
    } else if (path === '/ok') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"id":1}');
    } else if (path === '/moved') {
      response.writeHead(301, { location: '/challenge' }).end();
    } else if (path === '/away') {
      response.writeHead(302, { location: `${otherBase}/steal` }).end();
    } else if (path === '/big') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('z'.repeat(MAX_BODY_BYTES + 10_000));
    } else if (path === '/broken') {
      response.writeHead(503, { 'content-type': 'text/plain' }).end(`down, token ${TOKEN}`);
    } else if (path === '/hidden') {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
    } else if (path === '/hang-up') {
      request.socket.destroy();
    } else if (path === '/silent') {
      // never answers
    } else {
      response.writeHead(400).end();
    }
  });
  base = await listen(api);
});
afterAll(() => {
  for (const server of [api, other]) {
    server.closeAllConnections();
    server.close();
  }
});

describe('probeEndpoints over fetch and over the lean client', () => {
  it('gives the same results, and sends the token to no other origin', async () => {
    const targets = ['/challenge', '/ok', '/moved', '/away', '/big', '/broken', '/hidden', '/silent', '/hang-up'].map((path) => ({
      method: 'GET',
      url: `${base}${path}`,
      declared: [['videos:read']],
    }));
    // A port fetch refuses (SMTP), and one nothing listens on any more.
    const closed = createServer();
    const closedBase = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    targets.push({ method: 'GET', url: 'http://127.0.0.1:25/mail', declared: [['videos:read']] });
    targets.push({ method: 'GET', url: `${closedBase}/refused`, declared: [['videos:read']] });
    const deps = guardDeps({ ...testDeps({ env: {} }), request: leanRequest });
    const options: ProbeOptions = { token: TOKEN, granted: ['videos:read'], rules: compileRules(), fetch: deps.fetch, concurrency: 4, timeoutMs: 300, allowUnsafe: false };
    const viaFetch = await probeEndpoints(targets, options);
    const viaLean = await probeEndpoints(targets, { ...options, request: deps.request });
    expect(viaLean).toEqual(viaFetch);
    expect(viaLean.map((result) => [result.status, result.outcome])).toEqual([
      [403, 'missing_scope'],
      [200, 'ok'],
      [403, 'missing_scope'],
      [302, 'error'],
      [200, 'ok'],
      [503, 'error'],
      [404, 'error'],
      [null, 'error'],
      [null, 'error'],
      [null, 'error'],
      [null, 'error'],
    ]);
    expect(viaLean[9]!.error).toBe('request failed (bad port)');
    expect(viaLean[10]!.error).toMatch(/^connection refused \(/);
    expect(viaLean[2]).toMatchObject({ finalUrl: `${base}/challenge`, missing: ['videos:write'] });
    expect(viaLean[4]!.warnings).toEqual([expect.stringContaining(`up to ${MAX_BODY_BYTES} bytes`)]);
    expect(viaLean[7]!.error).toBe('no answer within 0.3 s');
    expect(JSON.stringify(viaLean)).not.toContain(TOKEN);
    expect(authorizations).toEqual([]);
  });
});
