/**
 * The loopback redirect listener of RFC 8252 §7.3: bound to 127.0.0.1 only, answering only the redirect path, and
 * only to a request carrying the `state` of the login in progress. Anything else gets an error page and the flow
 * keeps waiting, so a forged or stray request can neither end nor hijack a login.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError, UsageError } from '../errors.js';

export interface Callback {
  /** The full callback URL, as openid-client wants it. */
  readonly url: URL;
  /** Answers the browser (the page shows what was granted, or what went wrong). */
  respond(page: CallbackPage): void;
}

export interface CallbackPage {
  readonly ok: boolean;
  readonly title: string;
  readonly lines: readonly string[];
}

export interface CallbackListener {
  readonly redirectUri: string;
  /** Resolves with the first request to the redirect path that carries the expected state. */
  next(): Promise<Callback>;
  close(): Promise<void>;
}

export interface ListenerOptions {
  /** A fixed redirect URI from the profile, or undefined for `http://127.0.0.1:<ephemeral>/callback`. */
  readonly redirectUri?: string | undefined;
  readonly expectedState: string;
  /** Told about each stray request (wrong or missing state, wrong path), for a warning on stderr. */
  onStray?(reason: string): void;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function renderPage(page: CallbackPage): string {
  const colour = page.ok ? '#1a7f37' : '#cf222e';
  const items = page.lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>scopes: ${escapeHtml(page.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}
h1{color:${colour};font-size:1.4rem}code{background:#f6f8fa;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>${escapeHtml(page.title)}</h1>
${items}
</body></html>
`;
}

function send(response: ServerResponse, status: number, page: CallbackPage): void {
  const body = renderPage(page);
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'x-content-type-options': 'nosniff',
  });
  response.end(body);
}

/** Parses and checks a redirect URI given by the user: loopback http only (RFC 8252 §7.3). */
export function parseRedirectUri(value: string | undefined): { host: string; port: number; path: string; uri: URL | undefined } {
  if (value === undefined) return { host: '127.0.0.1', port: 0, path: '/callback', uri: undefined };
  let uri: URL;
  try {
    uri = new URL(value);
  } catch {
    throw new UsageError(`Invalid redirect URI: ${value}`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(uri.hostname);
  if (uri.protocol !== 'http:' || !loopback) {
    throw new UsageError(`The redirect URI must be http on a loopback address (http://127.0.0.1:PORT/PATH), got ${value}`);
  }
  return { host: '127.0.0.1', port: uri.port ? Number(uri.port) : 0, path: uri.pathname || '/', uri };
}

export async function startCallbackListener(options: ListenerOptions): Promise<CallbackListener> {
  const target = parseRedirectUri(options.redirectUri);
  const waiters: ((callback: Callback) => void)[] = [];
  const pending: Callback[] = [];
  let delivered = false;

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://127.0.0.1');
    } catch {
      send(response, 400, { ok: false, title: 'Bad request', lines: ['This address only receives a login redirect.'] });
      return;
    }
    if (url.pathname !== target.path) {
      if (url.pathname !== '/favicon.ico') options.onStray?.(`a request to ${url.pathname.slice(0, 80)} (not the redirect path)`);
      send(response, 404, { ok: false, title: 'Not found', lines: ['This address only receives a login redirect.'] });
      return;
    }
    if (request.method !== 'GET') {
      send(response, 405, { ok: false, title: 'Method not allowed', lines: ['The login redirect is a GET request.'] });
      return;
    }
    const state = url.searchParams.getAll('state');
    if (state.length !== 1 || state[0] !== options.expectedState) {
      options.onStray?.(
        state.length === 0 ? 'a callback without state' : 'a callback whose state does not match this login',
      );
      send(response, 400, {
        ok: false,
        title: 'This response does not belong to the login in progress',
        lines: [
          'Its state parameter is missing or does not match, so it was ignored.',
          'If you started this login, finish it in the browser window that scopes opened.',
        ],
      });
      return;
    }
    if (delivered) {
      send(response, 409, { ok: false, title: 'Already done', lines: ['This login has already been completed. You may close this window.'] });
      return;
    }
    delivered = true;
    let answered = false;
    const respond = (page: CallbackPage) => {
      if (answered) return;
      answered = true;
      send(response, page.ok ? 200 : 400, page);
    };
    // Never leave the browser spinning if the token exchange hangs.
    setTimeout(() => respond({ ok: false, title: 'Timed out', lines: ['scopes did not finish in time. See the terminal.'] }), 60_000).unref();
    const callback: Callback = { url: new URL(`${redirectUri.replace(/\?.*$/, '')}${url.search}`), respond };
    const waiter = waiters.shift();
    if (waiter) waiter(callback);
    else pending.push(callback);
  };

  const server = createServer(handle);
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new UsageError(`Port ${target.port} on 127.0.0.1 is in use; the redirect URI needs it free.`, { cause: error })
          : new AuthError('listener_failed', `Cannot listen on 127.0.0.1: ${error.message}`, { cause: error }),
      );
    });
    server.listen(target.port, target.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let redirectUri: string;
  if (target.uri) {
    const uri = new URL(target.uri.href);
    if (!uri.port) uri.port = String(port);
    redirectUri = uri.href;
  } else {
    redirectUri = `http://127.0.0.1:${port}${target.path}`;
  }

  return {
    redirectUri,
    next: () =>
      new Promise<Callback>((resolve) => {
        const ready = pending.shift();
        if (ready) resolve(ready);
        else waiters.push(resolve);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // A page still being sent gets a moment to arrive before its connection is cut.
        setTimeout(() => server.closeAllConnections(), 300).unref();
      }),
  };
}
