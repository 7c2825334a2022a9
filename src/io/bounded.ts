/**
 * Reads from outside with a cap enforced while reading, never after: a file in a cloned repository, a server's
 * answer or a pipe can be huge, endless (/dev/zero) or never-ending (a FIFO nobody writes to).
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { NetworkError, UsageError } from '../errors.js';

/** What a file that is not a regular file is, in words. */
function kindOf(stats: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

const formatBytes = (bytes: number): string => (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`);

/**
 * A regular file's text, read up to `maxBytes`; `undefined` when it does not exist.
 * Opened with O_NONBLOCK so a FIFO cannot hang the open, then fstat'ed (a symlink is followed, and judged by what it
 * points at): a directory, FIFO, device or socket is refused at once.
 * @param what how a person knows the file, as it reads after "Cannot read": `the manifest`, `config file`.
 * @throws UsageError (exit 2) "Cannot read {what} {path}: {why}": not a regular file, larger than the cap, unreadable.
 */
export async function readBoundedFile(path: string, maxBytes: number, what: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EISDIR') throw new UsageError(`Cannot read ${what} ${path}: it is a directory, not a file.`);
    throw new UsageError(`Cannot read ${what} ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new UsageError(`Cannot read ${what} ${path}: it is ${kindOf(stats)}, not a regular file.`);
    if (stats.size > maxBytes) throw new UsageError(`Cannot read ${what} ${path}: it is larger than ${formatBytes(maxBytes)} (${stats.size} bytes).`);
    // The size can change (or lie, for special files that claim to be regular): the cap holds while reading too.
    // The buffer starts at the size stat gave (one byte more, to see growth), not at the cap: a cap of 128 MiB must not
    // cost 128 MiB of zeroed memory for a file of a few kilobytes.
    let buffer = Buffer.allocUnsafe(Math.min(maxBytes, stats.size) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const grown = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(64 * 1024, buffer.length * 2)));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw new UsageError(`Cannot read ${what} ${path}: it is larger than ${formatBytes(maxBytes)}.`);
    }
    return buffer.subarray(0, length).toString('utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Cannot read ${what} ${path}: ${(error as Error).message}`, { cause: error });
  } finally {
    await handle.close();
  }
}

/** Raised inside a response body stream when it passes the cap; found again in openid-client's error causes. */
export class BodyTooLargeError extends NetworkError {
  constructor(url: string, maxBytes: number) {
    super('response_too_large', `The answer of ${url} is larger than ${formatBytes(maxBytes)}; it was not read further.`);
  }
}

/** Statuses whose responses have no body (a Response with one cannot be built for them). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * Set on a RequestInit (to a number of bytes) by a caller that reads the body itself and never past that many bytes:
 * the probe engine, which cuts each of thousands of bodies at 1 MiB. When that is within the guard's cap, the guard
 * does not count the body a second time (a counting stream and a second Response per answer cost as much CPU as the
 * request itself on loopback). fetch ignores the member: only the guard reads it.
 */
export const READS_AT_MOST: unique symbol = Symbol('scopes.readsAtMost');

/** A RequestInit that may say how much of the body its caller reads at most. */
export type CappedRequestInit = RequestInit & { readonly [READS_AT_MOST]?: number };

/**
 * The same response, with a body that errors (BodyTooLargeError) as soon as more than `maxBytes` arrive: whoever
 * reads it (openid-client's `response.json()`, jose, the probe engine) holds at most the cap in memory. A declared
 * Content-Length over the cap is refused before a byte is read.
 * @param readerCap what the caller reads at most ({@link READS_AT_MOST}): when within `maxBytes`, the body is left
 *   as it is (the caller's own reading is the cap), and only a declared Content-Length over `maxBytes` is refused.
 */
export function capResponse(response: Response, url: string, maxBytes: number, readerCap?: number): Response {
  if (response.body === null || NULL_BODY_STATUSES.has(response.status)) return response;
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    void response.body.cancel().catch(() => undefined);
    throw new BodyTooLargeError(url, maxBytes);
  }
  if (readerCap !== undefined && Number.isFinite(readerCap) && readerCap >= 0 && readerCap <= maxBytes) return response;
  // A body framed by its Content-Length (no Transfer-Encoding) and not decompressed by fetch (no Content-Encoding) is
  // exactly that long: the check above is the cap, and a counting stream would only double the cost of every
  // response (probe reads thousands). A compressed body is counted as it is inflated: a small gzip can inflate to
  // gigabytes.
  const encoding = response.headers.get('content-encoding');
  if (
    /^\d+$/.test(response.headers.get('content-length')?.trim() ?? '') &&
    response.headers.get('transfer-encoding') === null &&
    (encoding === null || encoding.trim().toLowerCase() === 'identity')
  ) {
    return response;
  }
  let seen = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > maxBytes) controller.error(new BodyTooLargeError(url, maxBytes));
      else controller.enqueue(chunk);
    },
  });
  const capped = new Response(response.body.pipeThrough(counter), { status: response.status, statusText: response.statusText, headers: response.headers });
  // openid-client and jose read these; a Response built by hand has them empty.
  Object.defineProperty(capped, 'url', { value: response.url });
  Object.defineProperty(capped, 'redirected', { value: response.redirected });
  return capped;
}

/** Finds a BodyTooLargeError among an error's causes (openid-client wraps the body's failure). */
export function tooLargeCause(error: unknown): BodyTooLargeError | undefined {
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 6; depth++) {
    if (current instanceof BodyTooLargeError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A response body as text, read only up to `maxBytes`: undefined (and the rest left unread, the stream cancelled)
 * when it is larger; '' when there is no body. For callers that decide for themselves what too large means.
 */
export async function readTextUpTo(response: Response, maxBytes: number): Promise<string | undefined> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
