import { UsageError } from '../errors.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** 127.0.0.0/8, ::1 and `localhost`: traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Whether a credential sent to this URL could be read on the way: plain http to a host that is not loopback. */
export function isExposedTransport(url: URL): boolean {
  return url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/**
 * Plain http is accepted for loopback only: a token sent over http anywhere else can be read on the way.
 * Kept apart from the openid-client adapter so commands can apply it without loading that library.
 * @throws UsageError (exit 2) for a URL that is invalid or not https/loopback http.
 */
export function checkTransport(url: string, what: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${what} is not a valid URL: ${url}`);
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return parsed;
  throw new UsageError(`${what} must use https (plain http is allowed only on 127.0.0.1/localhost): ${url}`);
}

/**
 * The rule for a URL a bearer token is about to be sent to (a probed API, `check --live`): https, or plain http on
 * loopback; anything else only with `--allow-insecure`.
 * @throws UsageError (exit 2) naming the URL.
 */
export function refuseExposedBearer(url: string, allowInsecure: boolean): void {
  if (allowInsecure) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return; // not a URL: the caller reports it
  }
  if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname)) {
    throw new UsageError(`Refusing to send the token over plain http to ${parsed.origin} (${url}): anyone on the way could read it and use it.`, {
      hint: 'Use the https URL of the API; --allow-insecure sends it anyway (only on a network you trust).',
    });
  }
}
