/**
 * The lean HTTP client of `scopes probe` against a real loopback server: what it reads of an answer (status line,
 * repeated headers, the body up to a cap, a body compressed although not asked for), what it does not do (follow a
 * redirect, ask for compression), and how a timeout ends it before and after the answer's head.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leanRequest } from '../../src/io/lean-http.js';
import { guardDeps, MAX_RESPONSE_BYTES } from '../../src/io/guard.js';
import type { LeanRequestInit } from '../../src/deps.js';
import { testDeps } from '../support/deps.js';

const seen: IncomingMessage[] = [];
let server: Server;
let base: string;
let endlessClosed: Promise<void>;
let closeEndless: () => void;

const routes: Record<string, (request: IncomingMessage, response: ServerResponse) => void> = {
  '/refused': (_request, response) => {
    response.writeHead(403, 'Forbidden Here', [
      ['Content-Type', 'application/json'],
      ['WWW-Authenticate', 'Bearer error="insufficient_scope", scope="a"'],
      ['WWW-Authenticate', 'DPoP algs="ES256"'],
    ]);
    response.end('{"error":"insufficient_scope"}');
  },
  '/endless': (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.on('close', () => closeEndless());
    const chunk = 'x'.repeat(64 * 1024);
    const pump = () => {
      while (response.write(chunk));
    };
    response.on('drain', pump);
    pump();
  },
  '/gzip': (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync('{"error":"insufficient_scope","pad":"' + 'y'.repeat(10_000) + '"}'));
  },
  '/no-content-gzip': (_request, response) => {
    response.writeHead(204, { 'content-encoding': 'gzip' }).end();
  },
  '/redirect': (_request, response) => {
    response.writeHead(302, { location: '/refused' }).end('moved');
  },
  '/slow-head': () => undefined,
  '/slow-body': (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.write('start');
  },
};

beforeAll(async () => {
  endlessClosed = new Promise((resolve) => (closeEndless = resolve));
  server = createServer((request, response) => {
    seen.push(request);
    routes[request.url ?? '']?.(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const init = (overrides: Partial<LeanRequestInit> = {}): LeanRequestInit => ({
  method: 'GET',
  headers: { authorization: 'Bearer lean-client-token-1', accept: 'application/json' },
  maxBytes: 1024 * 1024,
  ...overrides,
});

describe('leanRequest', () => {
  it('reads the status line, headers by lower-case name with repeated ones joined, and the body; sends the headers given and no Accept-Encoding', async () => {
    const answer = await leanRequest(`${base}/refused`, init());
    expect(answer).toMatchObject({ status: 403, statusText: 'Forbidden Here', text: '{"error":"insufficient_scope"}', truncated: false });
    expect(answer.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="a", DPoP algs="ES256"');
    expect(answer.headers['content-type']).toBe('application/json');
    const request = seen.at(-1)!;
    expect(request.headers.authorization).toBe('Bearer lean-client-token-1');
    expect(request.headers['accept-encoding']).toBeUndefined();
    // What fetch sends too: GitHub's API refuses a request without a User-Agent.
    expect(request.headers['user-agent']).toBe('node');
    expect(request.headers['accept-language']).toBe('*');
  });

  it('reads an endless body up to the cap only, and lets the connection go', async () => {
    const answer = await leanRequest(`${base}/endless`, init({ maxBytes: 100_000 }));
    expect(answer).toMatchObject({ status: 200, truncated: true });
    expect(answer.text).toHaveLength(100_000);
    await endlessClosed;
    // The client is still good for the next request.
    expect((await leanRequest(`${base}/refused`, init())).status).toBe(403);
  });

  it('inflates a body compressed although not asked for, the cap counting what inflates', async () => {
    const whole = await leanRequest(`${base}/gzip`, init());
    expect(JSON.parse(whole.text)).toMatchObject({ error: 'insufficient_scope' });
    const cut = await leanRequest(`${base}/gzip`, init({ maxBytes: 100 }));
    expect(cut).toMatchObject({ truncated: true });
    expect(cut.text).toHaveLength(100);
  });

  it('reads an empty body as empty whatever its Content-Encoding says', async () => {
    for (const [path, method, status] of [['/no-content-gzip', 'GET', 204], ['/gzip', 'HEAD', 200]] as const) {
      const answer = await leanRequest(`${base}${path}`, init({ method }));
      expect(answer).toMatchObject({ status, text: '', truncated: false });
      expect(answer.error).toBeUndefined();
    }
  });

  it('follows no redirect: the caller decides where its token goes', async () => {
    const answer = await leanRequest(`${base}/redirect`, init());
    expect(answer).toMatchObject({ status: 302, text: 'moved' });
    expect(answer.headers.location).toBe('/refused');
  });

  it('reads HEAD without a body', async () => {
    const answer = await leanRequest(`${base}/refused`, init({ method: 'HEAD' }));
    expect(answer).toMatchObject({ status: 403, text: '' });
  });

  it('rejects with the timeout when no answer came, and keeps the head when the body did not finish', async () => {
    await expect(leanRequest(`${base}/slow-head`, init({ signal: AbortSignal.timeout(100) }))).rejects.toMatchObject({ name: 'TimeoutError' });
    const partial = await leanRequest(`${base}/slow-body`, init({ signal: AbortSignal.timeout(200) }));
    expect(partial).toMatchObject({ status: 200, text: '' });
    expect(partial.error).toMatchObject({ name: 'TimeoutError' });
    const aborted = new AbortController();
    aborted.abort(new Error('given up'));
    await expect(leanRequest(`${base}/refused`, init({ signal: aborted.signal }))).rejects.toThrow('given up');
  });

  it('rejects when nothing listens, and refuses a port fetch refuses (fetch.spec.whatwg.org/#bad-port) as fetch does', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(leanRequest(`http://127.0.0.1:${port}/`, init())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(leanRequest('http://127.0.0.1:25/', init())).rejects.toThrow('bad port');
  });
});

describe('the guard around the lean client', () => {
  it('learns the token it carries, refuses it over plain http off loopback, holds the body cap, and is left out with the HTTP trace', async () => {
    const calls: [string, LeanRequestInit][] = [];
    const base = testDeps({ env: {} });
    const inner = async (url: string, given: LeanRequestInit) => (calls.push([url, given]), { status: 200, statusText: 'OK', headers: {}, text: '', truncated: false });
    const deps = guardDeps({ ...base, request: inner });
    await expect(deps.request!('http://192.0.2.1/v1', init())).rejects.toMatchObject({ exitCode: 2 });
    expect(calls).toEqual([]);
    deps.io.out.write('lean-client-token-1\n');
    expect(base.stdout()).toBe('[redacted]\n');
    await deps.request!('http://127.0.0.1:1/v1', init({ maxBytes: MAX_RESPONSE_BYTES * 4 }));
    expect(calls.map(([, given]) => given.maxBytes)).toEqual([MAX_RESPONSE_BYTES]);
    const traced = guardDeps({ ...testDeps({ env: {} }), request: inner }, () => (fetch) => fetch);
    expect(traced.request).toBeUndefined();
  });
});
