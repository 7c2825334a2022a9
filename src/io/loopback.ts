/**
 * The loopback redirect listener of RFC 8252 §7.3: bound to loopback only (127.0.0.1; ::1 for `[::1]`; both, on one
 * port, for `localhost`, so no other local process can take the family the browser resolves first), answering only
 * the redirect path, and only to a request carrying the `state` of the login in progress. Anything else gets an error
 * page and the flow keeps waiting, so a forged or stray request can neither end nor hijack a login. A request with the
 * right state whose code the caller cannot redeem is answered by the caller, and the listener keeps delivering.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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
  /** How the page looks: green for done, amber for done with fewer scopes than asked, red (default when !ok) for failed. */
  readonly tone?: 'ok' | 'partial' | 'error';
  /** Named values shown above the lines: profile, issuer. */
  readonly facts?: readonly (readonly [string, string])[];
  /** The scopes the login got and did not get, listed one a line. */
  readonly scopes?: { readonly granted: readonly string[]; readonly refused: readonly string[] };
}

export interface CallbackListener {
  readonly redirectUri: string;
  /**
   * Resolves with the next request to the redirect path that carries the expected state (queued when none is
   * awaited). Once a callback is answered with an ok page the login is over: later ones get "already done".
   */
  next(): Promise<Callback>;
  /** The addresses listened on (`127.0.0.1`, `::1`), for messages and tests. */
  readonly hosts: readonly string[];
  close(): Promise<void>;
}

export interface ListenerOptions {
  /** A fixed redirect URI from the profile, or undefined for `http://127.0.0.1:<ephemeral>/callback`. */
  readonly redirectUri?: string | undefined;
  readonly expectedState: string;
  /**
   * Told about each stray request (wrong or missing state, wrong path), for a warning on stderr. The reasons are a
   * few fixed phrases (nothing a request chose), so a caller can count them by reason.
   */
  onStray?(reason: string): void;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Light and dark colours per tone: text on the page's background passes WCAG AA contrast in both schemes. */
const TONES = {
  ok: { light: '#1a7f37', dark: '#3fb950', mark: '✓' },
  partial: { light: '#9a6700', dark: '#d29922', mark: '!' },
  error: { light: '#cf222e', dark: '#f85149', mark: '✗' },
} as const;

/**
 * The page the browser shows at the end of a login. A user reads it once, maybe in dark mode: what happened (its
 * colour and mark say it before the words), for which profile and issuer, and which scopes were refused.
 */
export function renderPage(page: CallbackPage): string {
  const tone = TONES[page.tone ?? (page.ok ? 'ok' : 'error')];
  const facts = page.facts?.length
    ? `<dl>${page.facts.map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd><code>${escapeHtml(value)}</code></dd>`).join('')}</dl>\n`
    : '';
  const list = (heading: string, scopes: readonly string[], className: string, mark: string) =>
    scopes.length === 0
      ? ''
      : `<h2>${escapeHtml(heading)}</h2>\n<ul class="${className}">${scopes.map((scope) => `<li><span aria-hidden="true">${mark}</span> <code>${escapeHtml(scope)}</code></li>`).join('')}</ul>\n`;
  const scopes = page.scopes
    ? list('Not granted', page.scopes.refused, 'refused', '✗') + list('Granted', page.scopes.granted, 'granted', '✓')
    : '';
  const items = page.lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>scopes: ${escapeHtml(page.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<style>
:root{color-scheme:light dark;--fg:#1f2328;--bg:#ffffff;--muted:#59636e;--code:#f6f8fa;--tone:${tone.light};--ok:${TONES.ok.light};--bad:${TONES.error.light}}
@media (prefers-color-scheme: dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--code:#262c36;--tone:${tone.dark};--ok:${TONES.ok.dark};--bad:${TONES.error.dark}}}
body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:var(--fg);background:var(--bg)}
main{border-top:.35rem solid var(--tone);padding-top:1rem}
h1{color:var(--tone);font-size:1.4rem;margin:0 0 1rem}h1 .mark{display:inline-block;width:1.6rem}
h2{font-size:1rem;margin:1.2rem 0 .3rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0 0 1rem}dt{color:var(--muted)}dd{margin:0}
ul{list-style:none;padding:0;margin:0}.refused span{color:var(--bad)}.granted span{color:var(--ok)}
code{background:var(--code);padding:.1rem .3rem;border-radius:4px;overflow-wrap:anywhere}
p{color:var(--fg)}
</style></head>
<body><main class="${page.tone ?? (page.ok ? 'ok' : 'error')}"><h1><span class="mark" aria-hidden="true">${tone.mark}</span>${escapeHtml(page.title)}</h1>
${facts}${scopes}${items}
</main></body></html>
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

/** Callbacks with the right state waiting to be taken; more at once than this is a flood, not a browser. */
const MAX_PENDING = 16;

/** Parses and checks a redirect URI given by the user: loopback http only (RFC 8252 §7.3). */
export function parseRedirectUri(value: string | undefined): { hosts: string[]; port: number; path: string; uri: URL | undefined } {
  if (value === undefined) return { hosts: ['127.0.0.1'], port: 0, path: '/callback', uri: undefined };
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
  // `localhost` may resolve to either family in the browser: both are taken, so neither can be someone else's.
  const hosts = uri.hostname === '[::1]' ? ['::1'] : uri.hostname === 'localhost' ? ['127.0.0.1', '::1'] : ['127.0.0.1'];
  return { hosts, port: uri.port ? Number(uri.port) : 0, path: uri.pathname || '/', uri };
}

const hostLabel = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/** Binds `server` to host:port. Resolves with the port, or rejects with the listen error. */
function bind(server: Server, host: string, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

const closeServer = (server: Server): Promise<void> =>
  new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });

/** No IPv6 on this machine: then no other process can listen on ::1 either. */
const familyMissing = (error: NodeJS.ErrnoException): boolean => error.code === 'EADDRNOTAVAIL' || error.code === 'EAFNOSUPPORT';

/**
 * Listens on every host on one port: the fixed one, or an ephemeral one the first host got (tried again a few times
 * when another process holds that port on the other family).
 */
async function listenAll(handle: (request: IncomingMessage, response: ServerResponse) => void, hosts: readonly string[], fixedPort: number): Promise<{ servers: Server[]; port: number; hosts: string[] }> {
  for (let attempt = 0; ; attempt++) {
    const servers: Server[] = [];
    const bound: string[] = [];
    let port = fixedPort;
    try {
      for (const host of hosts) {
        const server = createServer(handle);
        server.keepAliveTimeout = 1000;
        try {
          port = await bind(server, host, port);
        } catch (error) {
          if (bound.length > 0 && familyMissing(error as NodeJS.ErrnoException)) continue;
          throw error;
        }
        servers.push(server);
        bound.push(host);
      }
      return { servers, port, hosts: bound };
    } catch (error) {
      await Promise.all(servers.map(closeServer));
      const code = (error as NodeJS.ErrnoException).code;
      const host = hosts[bound.length] ?? hosts[0]!;
      if (code === 'EADDRINUSE' && fixedPort === 0 && bound.length > 0 && attempt < 5) continue;
      if (code === 'EADDRINUSE') {
        const other = bound.length > 0 ? ` Another process holds it on ${hostLabel(host)}, and "localhost" could take the browser there.` : '';
        throw new UsageError(`Port ${port} on ${hostLabel(host)} is in use; the redirect URI needs it free.${other}`, {
          hint: bound.length > 0 ? `Free the port, or use http://127.0.0.1:${port}/… as the redirect URI (and register that one).` : 'Free the port, or choose another one in the redirect URI.',
          cause: error,
        });
      }
      throw new AuthError('listener_failed', `Cannot listen on ${hostLabel(host)}: ${(error as Error).message}`, { cause: error });
    }
  }
}

export async function startCallbackListener(options: ListenerOptions): Promise<CallbackListener> {
  const target = parseRedirectUri(options.redirectUri);
  const waiters: ((callback: Callback) => void)[] = [];
  const pending: Callback[] = [];
  /** Set when a callback was answered with an ok page: the login is complete. */
  let completed = false;

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://127.0.0.1');
    } catch {
      send(response, 400, { ok: false, title: 'Bad request', lines: ['This address only receives a login redirect.'] });
      return;
    }
    if (url.pathname !== target.path) {
      if (url.pathname !== '/favicon.ico') options.onStray?.('a request to another path than the redirect path');
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
    if (completed) {
      send(response, 409, { ok: false, title: 'Already done', lines: ['This login has already been completed. You may close this window.'] });
      return;
    }
    if (pending.length >= MAX_PENDING) {
      options.onStray?.('a callback while too many others with this state were waiting');
      send(response, 503, { ok: false, title: 'Busy', lines: ['Too many responses at once; if you started this login, reload this page.'] });
      return;
    }
    let answered = false;
    const respond = (page: CallbackPage) => {
      if (answered) return;
      answered = true;
      if (page.ok) completed = true;
      send(response, page.ok ? 200 : 400, page);
    };
    // Never leave the browser spinning if the token exchange hangs.
    setTimeout(() => respond({ ok: false, title: 'Timed out', lines: ['scopes did not finish in time. See the terminal.'] }), 60_000).unref();
    const callback: Callback = { url: new URL(`${redirectUri.replace(/\?.*$/, '')}${url.search}`), respond };
    const waiter = waiters.shift();
    if (waiter) waiter(callback);
    else pending.push(callback);
  };

  const { servers, port, hosts } = await listenAll(handle, target.hosts, target.port);
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
    hosts,
    next: () =>
      new Promise<Callback>((resolve) => {
        const ready = pending.shift();
        if (ready) resolve(ready);
        else waiters.push(resolve);
      }),
    close: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeIdleConnections();
              // A page still being sent gets a moment to arrive before its connection is cut.
              setTimeout(() => server.closeAllConnections(), 300).unref();
            }),
        ),
      );
    },
  };
}
