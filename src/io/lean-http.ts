/**
 * A lean HTTP client for many small calls whose answers are read whole up to a cap: `scopes probe` calls thousands of
 * endpoints. The built-in fetch builds a Request, a Headers, a Response, an AbortSignal and a web ReadableStream for
 * each call; on loopback that cost twice the CPU of the HTTP exchange itself (2,000 calls: a fetch loop 2.3 s, the same
 * loop over undici's dispatcher 1.1 s). This goes to undici's dispatcher directly, the one the built-in fetch uses too
 * (the global dispatcher: the proxies of installProxy apply), and reads the body into memory up to `maxBytes`.
 *
 * Redirects are not followed (the caller decides where its token may go). No Accept-Encoding is sent, so a server
 * answers uncompressed; one that compresses anyway (gzip, deflate, br) is inflated, and the cap counts what inflates.
 */
import { getGlobalDispatcher, type Dispatcher } from 'undici';
import { constants, createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { LeanAnswer, LeanRequestInit } from '../deps.js';

/**
 * What the built-in fetch sends besides the caller's headers (but Accept-Encoding and the browser's Sec-Fetch-Mode),
 * so that a server sees the same request from either client: GitHub's API refuses a request without a User-Agent
 * ("Requests with no User-Agent header will be rejected",
 * https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api#user-agent).
 */
const FETCH_DEFAULT_HEADERS: Readonly<Record<string, string>> = { 'user-agent': 'node', 'accept-language': '*' };

/**
 * Ports fetch refuses to send to (SMTP, IRC, X11, …): a request there could be read as another protocol's commands.
 * The same refusal, with fetch's word for it, as with fetch.
 * @see https://fetch.spec.whatwg.org/#bad-port
 */
const BAD_PORTS: ReadonlySet<string> = new Set(
  (
    '1 7 9 11 13 15 17 19 20 21 22 23 25 37 42 43 53 69 77 79 87 95 101 102 103 104 109 110 111 113 115 117 119 123 135 137 ' +
    '139 143 161 179 389 427 465 512 513 514 515 526 530 531 532 540 548 554 556 563 587 601 636 989 990 993 995 1719 1720 ' +
    '1723 2049 3659 4045 4190 5060 5061 6000 6566 6665 6666 6667 6668 6669 6679 6697 10080'
  ).split(' '),
);

/** The reason a body was cut: not an error of the exchange, the caller's cap. */
class CapReached extends Error {}

/** Raw header lines as one record: names lower-cased, a repeated field joined with ", " (RFC 9110 §5.3), as Headers does. */
function headerRecord(raw: Buffer[] | string[] | null): Record<string, string> {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  if (raw === null) return headers;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1').trim();
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

/** The body bytes as text; inflated first when the server compressed it although not asked to. Never more than `maxBytes`. */
async function bodyText(chunks: Buffer[], truncated: boolean, coding: string | undefined, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  const decoder = new TextDecoder();
  if (coding === undefined || coding === '' || coding === 'identity') return { text: decoder.decode(Buffer.concat(chunks)), truncated };
  // A body cut at the cap ends mid-stream: flush what inflates so far rather than fail on the missing end.
  const inflater =
    coding === 'br'
      ? createBrotliDecompress({ finishFlush: constants.BROTLI_OPERATION_FLUSH })
      : coding === 'deflate'
        ? createInflate({ finishFlush: constants.Z_SYNC_FLUSH })
        : coding === 'gzip' || coding === 'x-gzip'
          ? createGunzip({ finishFlush: constants.Z_SYNC_FLUSH })
          : undefined;
  if (inflater === undefined) throw new Error(`the answer is encoded as "${coding.slice(0, 40)}", which scopes cannot decode`);
  inflater.end(Buffer.concat(chunks));
  const out: Buffer[] = [];
  let size = 0;
  for await (const chunk of inflater as AsyncIterable<Buffer>) {
    if (size + chunk.length > maxBytes) {
      out.push(chunk.subarray(0, maxBytes - size));
      inflater.destroy();
      return { text: decoder.decode(Buffer.concat(out)), truncated: true };
    }
    out.push(chunk);
    size += chunk.length;
  }
  return { text: decoder.decode(Buffer.concat(out)), truncated };
}

/** The caller's headers, and fetch's defaults for those it does not set (names compared in any case). */
function withDefaults(given: Readonly<Record<string, string>>): Record<string, string> {
  const headers: Record<string, string> = { ...given };
  const names = new Set(Object.keys(given).map((name) => name.toLowerCase()));
  for (const [name, value] of Object.entries(FETCH_DEFAULT_HEADERS)) if (!names.has(name)) headers[name] = value;
  return headers;
}

/**
 * Sends one request and reads its answer up to `init.maxBytes`. Rejects when no answer came (network error, `signal`
 * aborted first); an answer whose body could not be read resolves with `error` set.
 */
export function leanRequest(url: string, init: LeanRequestInit): Promise<LeanAnswer> {
  return new Promise<LeanAnswer>((resolve, reject) => {
    const target = new URL(url);
    const { signal, maxBytes } = init;
    if (BAD_PORTS.has(target.port)) {
      reject(new Error('bad port'));
      return;
    }
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let abortExchange: ((reason: Error) => void) | undefined;
    let settled = false;
    let head: { status: number; statusText: string; headers: Record<string, string> } | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;

    const stop = (): void => {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (error: unknown): void => {
      if (settled) return;
      stop();
      if (head === undefined) reject(error);
      else resolve({ ...head, text: '', truncated: false, error });
    };
    const complete = (): void => {
      if (settled) return;
      if (head === undefined) {
        fail(new Error('the connection ended without an answer'));
        return;
      }
      stop();
      const answer = head;
      const coding = answer.headers['content-encoding']?.trim().toLowerCase();
      bodyText(chunks, truncated, coding, maxBytes).then(
        (body) => resolve({ ...answer, ...body }),
        (error: unknown) => resolve({ ...answer, text: '', truncated: false, error }),
      );
    };
    function onAbort(): void {
      const reason = signal!.reason as Error;
      fail(reason);
      abortExchange?.(reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });

    const handler: Dispatcher.DispatchHandlers = {
      onConnect(abort) {
        abortExchange = abort;
        if (settled && head === undefined) abort(new Error('aborted'));
      },
      onHeaders(statusCode, rawHeaders, _resume, statusText) {
        if (statusCode < 200) return true; // 1xx: the answer is still to come
        head = { status: statusCode, statusText: statusText ?? '', headers: headerRecord(rawHeaders) };
        return true;
      },
      onData(chunk) {
        if (settled) return false;
        if (size + chunk.length > maxBytes) {
          chunks.push(chunk.subarray(0, maxBytes - size));
          size = maxBytes;
          truncated = true;
          complete();
          // The rest is not read: the connection is closed rather than drained.
          abortExchange?.(new CapReached());
          return false;
        }
        chunks.push(chunk);
        size += chunk.length;
        return true;
      },
      onComplete() {
        complete();
      },
      onError(error) {
        fail(error);
      },
    };
    try {
      getGlobalDispatcher().dispatch(
        { origin: target.origin, path: `${target.pathname}${target.search}`, method: init.method as Dispatcher.HttpMethod, headers: withDefaults(init.headers) },
        handler,
      );
    } catch (error) {
      fail(error);
    }
  });
}
