/**
 * `scopes probe` of 2,000 loopback endpoints from a manifest at concurrency 32, against a bare fetch loop calling the
 * same URLs with the same token, headers and concurrency and reading each body. The API runs in this process: a
 * quarter of its endpoints answer 403 with an RFC 6750 insufficient_scope challenge, the rest 200.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binPath } from '../../test/support/cli.js';
import { homeWithCachedToken, jwtWithScopes } from '../fixtures.js';
import { interleaved, ms, type Row } from '../lib.js';

const ENDPOINTS = 2000;
const CONCURRENCY = 32;

function startApi(): Promise<Server> {
  const server = createServer((request, response) => {
    const index = Number(/^\/v1\/r(\d+)$/.exec(request.url ?? '')?.[1] ?? -1);
    if (index < 0) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
    } else if (index % 4 === 0) {
      response
        .writeHead(403, { 'content-type': 'application/json', 'www-authenticate': `Bearer realm="bench", error="insufficient_scope", scope="r${index}:read"` })
        .end('{"error":"insufficient_scope"}');
    } else {
      response.writeHead(200, { 'content-type': 'application/json' }).end(`{"id":${index},"items":[1,2,3]}`);
    }
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The floor: what any script calling those URLs does at the least. */
const FETCH_LOOP = `
const urls = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'));
const headers = { authorization: 'Bearer ' + process.env.BENCH_TOKEN, accept: 'application/json, */*;q=0.5' };
let next = 0;
const worker = async () => {
  while (next < urls.length) {
    const response = await fetch(urls[next++], { headers, redirect: 'manual' });
    await response.text();
  }
};
Promise.all(Array.from({ length: ${CONCURRENCY} }, worker)).then(() => {}, (error) => { console.error(error); process.exitCode = 1; });
`;

export const rows: Row[] = [
  {
    name: `scopes probe (${ENDPOINTS} loopback endpoints, concurrency ${CONCURRENCY})`,
    floor: 'a bare fetch loop, same URLs and concurrency',
    goal: 1.15,
    async measure(runs) {
      const home = await homeWithCachedToken();
      const server = await startApi();
      try {
        const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const endpoints = Array.from({ length: ENDPOINTS }, (_, i) => ({ method: 'GET', path: `/v1/r${i}`, scopes: [`r${i}:read`] }));
        const manifest = join(home.dir, 'scopes.manifest.json');
        writeFileSync(manifest, JSON.stringify({ api, endpoints }));
        const urls = join(home.dir, 'urls.json');
        writeFileSync(urls, JSON.stringify(endpoints.map((endpoint) => `${api}${endpoint.path}`)));
        const loop = join(home.dir, 'fetch-loop.cjs');
        writeFileSync(loop, FETCH_LOOP);
        // A few scopes only: a header of thousands would pass Node's 16 KB header limit. The API, not the token, decides.
        const token = jwtWithScopes(['r1:read', 'r2:read', 'r3:read']);
        const env = { ...home.env, BENCH_TOKEN: token };
        const [floor, scopes] = await interleaved(
          [
            { argv: [loop, urls], env },
            { argv: [binPath, 'probe', '--manifest', manifest, '--concurrency', String(CONCURRENCY), '--token', token], env, cwd: home.dir, exitCodes: [1] },
          ],
          runs,
        );
        return { ratio: scopes! / floor!, detail: `${ms(scopes!)} vs ${ms(floor!)}` };
      } finally {
        server.closeAllConnections();
        server.close();
        home.cleanup();
      }
    },
  },
];
