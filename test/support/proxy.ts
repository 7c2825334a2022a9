/**
 * A forward proxy on 127.0.0.1 that records what passed through it: `CONNECT host:port` tunnels (what undici's
 * ProxyAgent uses, for http and https targets alike) and absolute-form requests (`GET http://host/path`), which it
 * forwards to loopback only. It never reaches beyond 127.0.0.1.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RecordingProxy {
  readonly url: string;
  /** `CONNECT 127.0.0.1:1234` or `GET http://127.0.0.1:1234/path`, in order. */
  readonly seen: string[];
  /** The Proxy-Authorization headers received (to check a password travelled only there). */
  readonly proxyAuthorization: string[];
  close(): Promise<void>;
}

export async function startRecordingProxy(): Promise<RecordingProxy> {
  const seen: string[] = [];
  const proxyAuthorization: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.headers['proxy-authorization']) proxyAuthorization.push(String(req.headers['proxy-authorization']));
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (target.hostname !== '127.0.0.1') {
      res.writeHead(403).end('loopback only');
      return;
    }
    const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.once('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('connect', (req, client, head) => {
    seen.push(`CONNECT ${req.url}`);
    if (req.headers['proxy-authorization']) proxyAuthorization.push(String(req.headers['proxy-authorization']));
    const [host, port] = (req.url ?? '').split(':');
    if (host !== '127.0.0.1' || !port) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.once('error', () => client.destroy());
    client.once('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    proxyAuthorization,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
