/**
 * Proxies from the environment. Node 20's built-in fetch ignores HTTP_PROXY, HTTPS_PROXY and NO_PROXY, so behind a
 * corporate proxy every request would fail (or leak around it). undici's EnvHttpProxyAgent reads them as curl does
 * (lower case first, NO_PROXY with host names, domain suffixes, ports and `*`); made the global dispatcher, it is
 * what the built-in fetch uses. Loaded only when a proxy variable is set, so other runs pay nothing for it.
 * NODE_EXTRA_CA_CERTS (a proxy's or a private CA's certificate) is read by Node itself at start-up.
 */
import type { Env } from './paths.js';

export interface ProxySettings {
  readonly httpProxy?: string;
  readonly httpsProxy?: string;
  readonly noProxy?: string;
}

/** The lower-case variable when set and not empty, else the upper-case one (curl's order). */
const pick = (env: Env, name: string): string | undefined => {
  for (const value of [env[name.toLowerCase()], env[name.toUpperCase()]]) if (value !== undefined && value.trim() !== '') return value.trim();
  return undefined;
};

/** The proxy variables that are set, or undefined when neither HTTP_PROXY nor HTTPS_PROXY is. */
export function proxySettings(env: Env): ProxySettings | undefined {
  const httpProxy = pick(env, 'http_proxy');
  const httpsProxy = pick(env, 'https_proxy');
  if (httpProxy === undefined && httpsProxy === undefined) return undefined;
  const noProxy = pick(env, 'no_proxy');
  return { ...(httpProxy ? { httpProxy } : {}), ...(httpsProxy ? { httpsProxy } : {}), ...(noProxy ? { noProxy } : {}) };
}

/** Routes the built-in fetch through the proxies of `env`; resolves to a line for --verbose, or undefined when none is set. */
export async function installProxy(env: Env): Promise<string | undefined> {
  const settings = proxySettings(env);
  if (settings === undefined) return undefined;
  const { EnvHttpProxyAgent, setGlobalDispatcher } = await import('undici');
  setGlobalDispatcher(quietly(() => new EnvHttpProxyAgent(settings)));
  const shown = (url: string | undefined) => (url === undefined ? 'none' : redactUserinfo(url));
  return `proxy: http ${shown(settings.httpProxy)}, https ${shown(settings.httpsProxy)}${settings.noProxy ? `, not for ${settings.noProxy}` : ''}`;
}

/**
 * Runs `make` without undici's one-time "EnvHttpProxyAgent is experimental" process warning (code UNDICI-EHPA), which
 * would reach a user's stderr on every run behind a proxy and tell them nothing they can act on. Other warnings pass.
 */
function quietly<T>(make: () => T): T {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const options = rest[0];
    if (typeof options === 'object' && options !== null && (options as { code?: unknown }).code === 'UNDICI-EHPA') return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return make();
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** A proxy URL may carry a password (`http://user:secret@proxy:3128`): never print it. */
function redactUserinfo(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return parsed.href;
    parsed.username = '';
    parsed.password = '';
    return parsed.href.replace('//', '//[redacted]@');
  } catch {
    return '(not a URL)';
  }
}
