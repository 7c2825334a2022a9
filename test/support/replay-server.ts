/**
 * A real HTTP server on 127.0.0.1 (random port) that replays recorded responses: one route per path, each answered
 * with the status, headers and body it was given, byte for byte. For tests that check how a real provider's answer
 * is read once it has crossed a socket (header casing, repeated headers, bodies), without reaching the provider.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedResponse {
  readonly status: number;
  /** A repeated header as an array of its lines. */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  /** A string is sent as is; anything else as JSON. */
  readonly body?: unknown;
}

export interface ReplayServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  /** Paths requested, in order, with whether an Authorization header came. */
  readonly received: { readonly path: string; readonly authorization: boolean }[];
  close(): Promise<void>;
}

export async function startReplayServer(routes: Readonly<Record<string, RecordedResponse>>): Promise<ReplayServer> {
  const received: { path: string; authorization: boolean }[] = [];
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '/';
    received.push({ path, authorization: request.headers.authorization !== undefined });
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (route === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('no such route');
      return;
    }
    const body = route.body === undefined ? '' : typeof route.body === 'string' ? route.body : JSON.stringify(route.body);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(route.headers ?? {})) headers[name] = typeof value === 'string' ? value : [...value];
    if (body !== '' && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
      headers['content-type'] = typeof route.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
    }
    response.writeHead(route.status, headers).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
