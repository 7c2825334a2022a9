import { UsageError } from '../errors.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

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
  if (parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname)) return parsed;
  throw new UsageError(`${what} must use https (plain http is allowed only on 127.0.0.1/localhost): ${url}`);
}
