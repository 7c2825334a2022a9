/**
 * Observed traffic: reading a HAR file (HTTP Archive 1.2, as browser devtools, Playwright, mitmproxy and proxies
 * write it) into the requests an application made, and matching requests to the operations of a description by
 * method, server and path template.
 *
 * Secrets stay in memory: a request keeps its URL without query, fragment or credentials (`url`), and the bearer
 * token it carried only as `token`, which callers may read but never print. Cookies are not read at all.
 *
 * Pure: the caller reads the file and passes its text.
 * @see http://www.softwareishard.com/blog/har-12-spec/
 */
import { DocumentError, describe, isMapping, own } from './manifest.js';
import type { Endpoint } from './manifest.js';

/** Longest HAR read: recordings with bodies get large, but a scope question needs only the requests. */
export const MAX_HAR_CHARS = 256 * 1024 * 1024;

/** One recorded request, without its secrets. */
export interface RecordedRequest {
  readonly method: string;
  /** `https://api.box.com/2.0/files/12` — no query, fragment or user info: what may be printed. */
  readonly url: string;
  readonly origin: string;
  readonly path: string;
  /** The access token the request carried (`Authorization: Bearer …`, or `access_token` in the query). Never print. */
  readonly token?: string;
}

export interface HarReading {
  readonly requests: RecordedRequest[];
  /** Entries that were not HTTP(S) requests one can match (data: URLs, malformed entries). */
  readonly skipped: number;
  /** The token every request that carried one carried, when they all carried the same; undefined otherwise. */
  readonly token?: string;
  /** How many different tokens the requests carried. */
  readonly tokenCount: number;
}

const TOKEN_PARAMS = ['access_token'];

/**
 * Reads `log.entries[].request` (`method`, `url`, `headers`) of a HAR file.
 * @throws DocumentError (exit 2, code `invalid_har`) for a file that is not JSON or has no `log.entries` list.
 */
export function parseHar(text: string, fileName: string): HarReading {
  const fail = (message: string): never => {
    throw new DocumentError([{ file: fileName, path: '', message }], 1, 'invalid_har');
  };
  if (text.length > MAX_HAR_CHARS) fail(`the file is larger than ${MAX_HAR_CHARS / 1024 / 1024} MiB, too large to be read`);
  let root: unknown;
  try {
    root = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return fail('not a HAR file: expected JSON with "log": { "entries": [...] } (save it from the browser as "HAR")');
  }
  const log = isMapping(root) ? own(root, 'log') : undefined;
  const entries = isMapping(log) ? own(log, 'entries') : undefined;
  if (!Array.isArray(entries)) return fail(`not a HAR file: expected "log": { "entries": [...] }, got ${describe(isMapping(log) ? entries : log)}`);
  const requests: RecordedRequest[] = [];
  let skipped = 0;
  const tokens = new Set<string>();
  for (const entry of entries as unknown[]) {
    const request = isMapping(entry) ? own(entry, 'request') : undefined;
    const method = isMapping(request) ? own(request, 'method') : undefined;
    const rawUrl = isMapping(request) ? own(request, 'url') : undefined;
    if (!isMapping(request) || typeof method !== 'string' || typeof rawUrl !== 'string' || !URL.canParse(rawUrl)) {
      skipped++;
      continue;
    }
    const url = new URL(rawUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      skipped++;
      continue;
    }
    let token: string | undefined;
    const headers = own(request, 'headers');
    if (Array.isArray(headers)) {
      for (const header of headers as unknown[]) {
        if (!isMapping(header) || typeof header['name'] !== 'string' || header['name'].toLowerCase() !== 'authorization') continue;
        const match = typeof header['value'] === 'string' ? /^\s*Bearer\s+(\S+)\s*$/i.exec(header['value']) : null;
        if (match) token = match[1];
      }
    }
    for (const name of TOKEN_PARAMS) token ??= url.searchParams.get(name) ?? undefined;
    if (token !== undefined) tokens.add(token);
    const path = decodePath(url.pathname);
    requests.push({
      method: method.toUpperCase(),
      url: `${url.origin}${url.pathname}`,
      origin: url.origin,
      path,
      ...(token === undefined ? {} : { token }),
    });
  }
  const [only] = tokens;
  return { requests, skipped, tokenCount: tokens.size, ...(tokens.size === 1 && only !== undefined ? { token: only } : {}) };
}

function decodePath(pathname: string): string {
  try {
    return decodeURI(pathname);
  } catch {
    return pathname;
  }
}

// ---- matching requests to operations ---------------------------------------------------------------------

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The operation part of a path: some API descriptions name operations `/files/{file_id}#add_shared_link`, the request has no `#`. */
export const templateOf = (path: string): string => {
  const hash = path.indexOf('#');
  return hash === -1 ? path : path.slice(0, hash);
};

const patternCache = new Map<string, RegExp>();
/** A path template as a pattern: `{x}` stands for one segment. */
export function templatePattern(template: string): RegExp {
  let pattern = patternCache.get(template);
  if (pattern === undefined) {
    pattern = new RegExp(`^${templateOf(template).split(/\{[^}/]*\}/).map(escapeRegExp).join('[^/]+')}/?$`);
    if (patternCache.size < 10_000) patternCache.set(template, pattern);
  }
  return pattern;
}

/** Characters outside `{…}`: of two templates a concrete path matches, the one with more of them is meant. */
const literalLength = (path: string): number => templateOf(path).replace(/\{[^}/]*\}/g, '').length;

/**
 * The operation a request (or an argument naming one) meant: same method; the same server when both the request's
 * origin and the operation's server are known; the path with or without the server's base path (`/2.0/files/1` or
 * `/files/1`), exactly or by template. Of several, an exact name wins, then the most literal template, then one
 * without a `#` name, then the first. `fragment`: the `#name` given with the path, which must then be the operation's.
 */
export function matchEndpoint(
  endpoints: readonly Endpoint[],
  request: { readonly method: string; readonly path: string; readonly origin?: string; readonly fragment?: string },
): Endpoint | undefined {
  let best: { endpoint: Endpoint; score: number } | undefined;
  for (const endpoint of endpoints) {
    if (endpoint.method !== request.method) continue;
    const hash = endpoint.path.indexOf('#');
    const name = hash === -1 ? '' : endpoint.path.slice(hash);
    if (request.fragment !== undefined && request.fragment !== name) continue;
    let origin: string | undefined;
    if (request.origin !== undefined && endpoint.server !== undefined) {
      origin = new URL(endpoint.server).origin;
      if (origin !== request.origin) continue;
    }
    const candidates = [request.path];
    if (endpoint.basePath !== undefined && request.path.startsWith(`${endpoint.basePath}/`)) candidates.push(request.path.slice(endpoint.basePath.length));
    // with a known server, a request must carry its base path
    const paths = origin !== undefined && endpoint.basePath !== undefined ? candidates.slice(1) : candidates;
    for (const path of paths) {
      const template = templateOf(endpoint.path);
      let score: number;
      if (path === template) score = 1_000_000;
      else if (templatePattern(endpoint.path).test(path)) score = literalLength(endpoint.path) * 2;
      else continue;
      if (name === '') score += 1;
      if (best === undefined || score > best.score) best = { endpoint, score };
    }
  }
  return best?.endpoint;
}
