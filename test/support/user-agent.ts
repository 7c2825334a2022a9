/**
 * A scripted browser for the test provider's login: it follows an authorization URL the way a person with a browser
 * would (redirects, cookies, the login and consent form), then delivers the redirect to the client's loopback
 * listener and reads the page the client shows. It speaks only to 127.0.0.1.
 *
 * Used two ways:
 * - in process: `runUserAgent(url, options)`;
 * - as `$BROWSER` for the CLI, which runs `sh -c "$BROWSER \"$1\"" sh <url>`:
 *   `BROWSER="node /abs/path/dist/test/support/user-agent.js"` (the URL is the last argument).
 *
 * Environment, when run as a script:
 * - `SCOPES_UA_ACCOUNT`   account to sign in as (default `alice`);
 * - `SCOPES_UA_DECISION`  `allow` (default) | `deny` (press Deny) | `ignore` (open the URL, then do nothing: nobody
 *                         finishes the login);
 * - `SCOPES_UA_UNTICK`    space-separated scopes the user unticks on the consent form;
 * - `SCOPES_UA_FORGE=1`   first send a forged callback (wrong `state`, fake `code`) to the authorization URL's
 *                         `redirect_uri`, record what it answered, then carry on with the real flow;
 * - `SCOPES_UA_LOG`       file to append one JSON line per step to: `{ step, url, status, note }` (with `code`,
 *                         `state` and similar values redacted), and last `{ step: 'done', outcome, callbackStatus,
 *                         callbackBody, forgedStatus?, forgedBody?, pageStatus?, pageTitle?, pageBody?, error? }`;
 * - `SCOPES_UA_DELAY_MS`  wait this long before starting.
 * Exit status: 0 when the flow ran (whatever the client did with it), 1 on the user agent's own failure (a refused
 * non-127.0.0.1 URL, an unreachable server, a page it could not handle).
 */
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { pageTitle, parseForms, type HtmlForm } from './html.js';

export type UserAgentDecision = 'allow' | 'deny' | 'ignore';

export interface UserAgentOptions {
  /** Default `alice`. */
  readonly account?: string;
  /** Default `allow`. */
  readonly decision?: UserAgentDecision;
  /** Scopes to untick on the consent form. */
  readonly untick?: readonly string[];
  /** Send a forged callback (wrong state, fake code) to the `redirect_uri` before finishing the real flow. */
  readonly forge?: boolean;
  /**
   * Default true. False stops at the redirect to the client without sending it, as when the person copies the URL
   * from the address bar instead (`scopes login --manual`): `callbackUrl` is then the URL to paste.
   */
  readonly deliverCallback?: boolean;
  /** Append each step as a JSON line to this file. */
  readonly logFile?: string;
  readonly delayMs?: number;
  /** Requests before giving up (a page that keeps coming back); default 25. */
  readonly maxSteps?: number;
  /** Per request; default 10 000 ms. */
  readonly requestTimeoutMs?: number;
}

export interface UserAgentStep {
  readonly step: string;
  /** With `code`, `state`, `nonce`, … values redacted. */
  readonly url?: string;
  readonly status?: number;
  readonly note?: string;
}

export interface UserAgentPage {
  readonly url: string;
  readonly status: number;
  readonly title: string;
  readonly body: string;
}

export interface UserAgentResult {
  /**
   * `callback`: the provider redirected to the client and the client's page was read; `page`: the flow stopped on a
   * provider page (an error page, or the device flow's last page); `ignored`: SCOPES_UA_DECISION=ignore; `error`: the
   * user agent itself failed (see `error`).
   */
  readonly outcome: 'callback' | 'page' | 'ignored' | 'error';
  readonly steps: readonly UserAgentStep[];
  /** The redirect to the client, unredacted (it carries the code). Status and body are absent when not delivered. */
  readonly callbackUrl?: string;
  readonly callbackStatus?: number;
  readonly callbackBody?: string;
  /** What the client answered to the forged callback. */
  readonly forged?: { readonly status: number; readonly body: string };
  /** The last page shown when the outcome is `page`. */
  readonly page?: UserAgentPage;
  readonly error?: string;
}

const SECRET_PARAMS = ['code', 'state', 'nonce', 'code_challenge', 'code_verifier', 'access_token', 'refresh_token', 'id_token'];
const MAX_BODY_CHARS = 64 * 1024;

/** The URL with the values of `code`, `state` and other secrets replaced, for logs. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(not a URL)';
  }
  for (const name of SECRET_PARAMS) {
    if (parsed.searchParams.has(name)) parsed.searchParams.set(name, 'REDACTED');
  }
  return parsed.href;
}

/** Reads the `SCOPES_UA_*` variables; throws on a value it does not understand. */
export function userAgentOptionsFromEnv(env: NodeJS.ProcessEnv): UserAgentOptions {
  const decision = env.SCOPES_UA_DECISION?.trim() || 'allow';
  if (decision !== 'allow' && decision !== 'deny' && decision !== 'ignore') {
    throw new Error(`SCOPES_UA_DECISION must be allow, deny or ignore, not "${decision}"`);
  }
  const delay = env.SCOPES_UA_DELAY_MS?.trim();
  const delayMs = delay ? Number(delay) : 0;
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error(`SCOPES_UA_DELAY_MS must be a number of milliseconds, not "${delay}"`);
  return {
    account: env.SCOPES_UA_ACCOUNT?.trim() || 'alice',
    decision,
    untick: (env.SCOPES_UA_UNTICK ?? '').split(/\s+/).filter(Boolean),
    forge: env.SCOPES_UA_FORGE === '1',
    ...(env.SCOPES_UA_LOG ? { logFile: env.SCOPES_UA_LOG } : {}),
    delayMs,
  };
}

class RefusedError extends Error {}

interface Exchange {
  readonly url: URL;
  readonly status: number;
  readonly location: URL | undefined;
  readonly contentType: string;
  readonly body: string;
}

/** Cookies per host:port, with RFC 6265 path matching, expiry and deletion; enough for oidc-provider's cookies. */
class CookieJar {
  readonly #byOrigin = new Map<string, Map<string, { name: string; value: string; path: string; expiresAt: number }>>();

  store(url: URL, setCookies: readonly string[]): void {
    const jar = this.#byOrigin.get(url.host) ?? new Map();
    this.#byOrigin.set(url.host, jar);
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const equals = pair.indexOf('=');
      if (equals <= 0) continue;
      const name = pair.slice(0, equals).trim();
      const value = pair.slice(equals + 1).trim();
      let path = defaultPath(url.pathname);
      let expiresAt = Infinity;
      for (const attribute of attributes) {
        const [key = '', ...rest] = attribute.split('=');
        const attributeValue = rest.join('=').trim();
        switch (key.trim().toLowerCase()) {
          case 'path':
            if (attributeValue.startsWith('/')) path = attributeValue;
            break;
          case 'max-age': {
            const seconds = Number(attributeValue);
            if (Number.isFinite(seconds)) expiresAt = seconds <= 0 ? 0 : Date.now() + seconds * 1000;
            break;
          }
          case 'expires': {
            const when = Date.parse(attributeValue);
            if (!Number.isNaN(when) && expiresAt === Infinity) expiresAt = when;
            break;
          }
        }
      }
      const key = `${name};${path}`;
      if (expiresAt <= Date.now()) jar.delete(key);
      else jar.set(key, { name, value, path, expiresAt });
    }
  }

  header(url: URL): string | undefined {
    const jar = this.#byOrigin.get(url.host);
    if (!jar) return undefined;
    const now = Date.now();
    const matching = [...jar.values()]
      .filter((cookie) => cookie.expiresAt > now && pathMatches(url.pathname, cookie.path))
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length ? matching.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ') : undefined;
  }
}

function defaultPath(requestPath: string): string {
  const slash = requestPath.lastIndexOf('/');
  return slash <= 0 ? '/' : requestPath.slice(0, slash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  return requestPath.startsWith(cookiePath) && (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/');
}

/**
 * Follows `url` (an authorization URL, or a device flow's verification URL) to its end. Never throws: a failure of
 * its own is the outcome `error`.
 */
export async function runUserAgent(url: string, options: UserAgentOptions = {}): Promise<UserAgentResult> {
  const account = options.account ?? 'alice';
  const decision = options.decision ?? 'allow';
  const untick = new Set(options.untick ?? []);
  const maxSteps = options.maxSteps ?? 25;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const jar = new CookieJar();
  const steps: UserAgentStep[] = [];

  const log = (entry: Record<string, unknown>): void => {
    if (!options.logFile) return;
    try {
      appendFileSync(options.logFile, `${JSON.stringify(entry)}\n`);
    } catch {
      // A log that cannot be written must not change what the browser does.
    }
  };
  const record = (step: UserAgentStep): void => {
    steps.push(step);
    log({ ...step });
  };
  const finish = (result: Omit<UserAgentResult, 'steps'>): UserAgentResult => {
    log({
      step: 'done',
      outcome: result.outcome,
      callbackStatus: result.callbackStatus,
      callbackBody: result.callbackBody,
      ...(result.forged ? { forgedStatus: result.forged.status, forgedBody: result.forged.body } : {}),
      ...(result.page ? { pageStatus: result.page.status, pageTitle: result.page.title, pageBody: result.page.body } : {}),
      ...(result.error ? { error: result.error } : {}),
    });
    return { ...result, steps };
  };

  async function send(method: 'GET' | 'POST', target: URL, body?: URLSearchParams): Promise<Exchange> {
    if (target.hostname !== '127.0.0.1' || (target.protocol !== 'http:' && target.protocol !== 'https:')) {
      throw new RefusedError(`refused to send a request to ${redactUrl(target.href)}: only 127.0.0.1 is allowed`);
    }
    const headers: Record<string, string> = { accept: 'text/html,*/*', 'user-agent': 'scopes-test-user-agent/1' };
    const cookie = jar.header(target);
    if (cookie) headers.cookie = cookie;
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(target, {
      method,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      ...(body ? { body: body.toString() } : {}),
    });
    jar.store(target, response.headers.getSetCookie());
    const text = (await response.text()).slice(0, MAX_BODY_CHARS);
    const location = response.headers.get('location');
    return {
      url: target,
      status: response.status,
      location: location && response.status >= 300 && response.status < 400 ? new URL(location, target) : undefined,
      contentType: response.headers.get('content-type') ?? '',
      body: text,
    };
  }

  let forged: { status: number; body: string } | undefined;
  try {
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));

    const start = new URL(url);
    const providerOrigin = start.origin;
    let exchange = await send('GET', start);
    record({ step: 'authorize', url: redactUrl(start.href), status: exchange.status });

    if (decision === 'ignore') return finish({ outcome: 'ignored' });

    if (options.forge) {
      const redirectUri = start.searchParams.get('redirect_uri');
      if (redirectUri) {
        const target = new URL(redirectUri);
        target.searchParams.set('code', 'forged-code-0000');
        target.searchParams.set('state', 'forged-state-0000');
        const answer = await send('GET', target);
        forged = { status: answer.status, body: answer.body };
        record({ step: 'forge', url: redactUrl(target.href), status: answer.status, note: 'wrong state, fake code' });
      } else {
        record({ step: 'forge', note: 'no redirect_uri in the URL: nothing to forge' });
      }
    }

    for (let count = 1; count < maxSteps; count += 1) {
      if (exchange.location) {
        const next = exchange.location;
        if (next.origin !== providerOrigin) return finish(await deliverCallback(next));
        exchange = await send('GET', next);
        record({ step: 'follow', url: redactUrl(next.href), status: exchange.status });
        continue;
      }

      const form = exchange.status === 200 ? parseForms(exchange.body, exchange.url.href)[0] : undefined;
      if (!form) {
        const page = { url: redactUrl(exchange.url.href), status: exchange.status, title: pageTitle(exchange.body), body: exchange.body };
        record({ step: 'page', url: page.url, status: page.status, note: page.title });
        return finish({ outcome: 'page', page, ...(forged ? { forged } : {}) });
      }

      const { fields, note } = fillForm(form, { account, decision, untick });
      const target = new URL(form.action);
      if (form.method === 'GET') {
        target.search = fields.toString();
        exchange = await send('GET', target);
      } else {
        exchange = await send('POST', target, fields);
      }
      record({ step: 'submit', url: redactUrl(target.href), status: exchange.status, note });
    }
    throw new Error(`gave up after ${maxSteps} requests`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    record({ step: error instanceof RefusedError ? 'refused' : 'error', note: message });
    return finish({ outcome: 'error', error: message, ...(forged ? { forged } : {}) });
  }

  async function deliverCallback(callback: URL): Promise<Omit<UserAgentResult, 'steps'>> {
    if (options.deliverCallback === false) {
      record({ step: 'callback', url: redactUrl(callback.href), note: 'not delivered: the URL is the result' });
      return { outcome: 'callback', callbackUrl: callback.href, ...(forged ? { forged } : {}) };
    }
    let answer = await send('GET', callback);
    record({ step: 'callback', url: redactUrl(callback.href), status: answer.status });
    // A client may redirect its own callback to a "done" page on the same listener.
    for (let hops = 0; answer.location && answer.location.origin === callback.origin && hops < 5; hops += 1) {
      const next = answer.location;
      answer = await send('GET', next);
      record({ step: 'callback-follow', url: redactUrl(next.href), status: answer.status });
    }
    return {
      outcome: 'callback',
      callbackUrl: callback.href,
      callbackStatus: answer.status,
      callbackBody: answer.body,
      ...(forged ? { forged } : {}),
    };
  }
}

/** What a person would submit: hidden fields as they are, the account typed in, ticked boxes minus the unticked. */
function fillForm(
  form: HtmlForm,
  choice: { account: string; decision: UserAgentDecision; untick: ReadonlySet<string> },
): { fields: URLSearchParams; note: string } {
  const fields = new URLSearchParams();
  for (const control of form.controls) {
    if (control.disabled || !control.name) continue;
    if (control.tag === 'button' || control.type === 'submit' || control.type === 'image' || control.type === 'reset') continue;
    if (control.type === 'checkbox' || control.type === 'radio') {
      if (!control.checked) continue;
      if (control.name === 'scope' && choice.untick.has(control.value)) continue;
      fields.append(control.name, control.value);
      continue;
    }
    fields.append(control.name, control.name === 'login' ? choice.account : control.value);
  }

  const buttons = form.controls.filter((control) => control.type === 'submit' && !control.disabled);
  const button =
    buttons.find((candidate) => candidate.name === 'decision' && candidate.value === choice.decision) ??
    buttons.find((candidate) => candidate.name !== 'decision' && candidate.name !== 'abort');
  if (button?.name) fields.append(button.name, button.value);

  const noted = ['login', 'decision', 'scope', 'user_code'];
  const note = noted
    .filter((name) => fields.has(name))
    .map((name) => `${name}=${fields.getAll(name).join(' ')}`)
    .join('; ');
  return { fields, note: note || 'form submitted' };
}

/** The script: options from the environment, the URL from the last argument. Resolves to the exit status. */
export async function main(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
  stderr: { write(text: string): unknown } = process.stderr,
): Promise<number> {
  const url = argv.at(-1);
  let options: UserAgentOptions;
  try {
    options = userAgentOptionsFromEnv(env);
    if (!url) throw new Error('usage: user-agent.js <url>');
  } catch (error) {
    const message = (error as Error).message;
    stderr.write(`user-agent: ${message}\n`);
    if (env.SCOPES_UA_LOG) {
      try {
        appendFileSync(env.SCOPES_UA_LOG, `${JSON.stringify({ step: 'error', note: message })}\n${JSON.stringify({ step: 'done', outcome: 'error', error: message })}\n`);
      } catch {
        // nothing more to do
      }
    }
    return 1;
  }
  const result = await runUserAgent(url, options);
  if (result.outcome === 'error') stderr.write(`user-agent: ${result.error}\n`);
  return result.outcome === 'error' ? 1 : 0;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  void main().then((status) => {
    process.exitCode = status;
  });
}
