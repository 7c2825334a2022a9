/**
 * Lines of standard input (`login --manual` pastes), with a cap on each line enforced while reading: readline alone
 * buffers a line without end for as long as it grows. readline does the splitting (and lets a finished command exit
 * with stdin still open); a byte counter beside it refuses a line past the cap as soon as it gets there.
 */
import { createInterface } from 'node:readline';
import { UsageError } from '../errors.js';

/** A pasted redirect URL is a few KiB; a line longer than this is not one. */
export const MAX_LINE_BYTES = 64 * 1024;

export function boundedLineReader(input: NodeJS.ReadableStream, maxLineBytes = MAX_LINE_BYTES): () => Promise<string | undefined> {
  let reader: ReturnType<typeof createInterface> | undefined;
  let lines: AsyncIterator<string> | undefined;
  let failure: UsageError | undefined;
  let fail: ((error: UsageError) => void) | undefined;
  let sinceNewline = 0;
  const countBytes = (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const newline = bytes.lastIndexOf(0x0a);
    sinceNewline = newline < 0 ? sinceNewline + bytes.length : bytes.length - newline - 1;
    if (sinceNewline > maxLineBytes && !failure) {
      failure = new UsageError(`A line of standard input is longer than ${maxLineBytes / 1024} KiB: that is not a pasted URL.`);
      fail?.(failure);
      reader?.close();
    }
  };
  return async () => {
    if (failure) throw failure;
    if (!reader) {
      input.on('data', countBytes);
      reader = createInterface({ input, crlfDelay: Infinity });
      lines = reader[Symbol.asyncIterator]();
    }
    // Paused between reads so the process can exit when the command is done; the async iterator does not resume
    // the input by itself, so a line arriving in a later chunk would never be read without this.
    reader.resume();
    try {
      const refused = new Promise<never>((_, reject) => (fail = reject));
      const next = await Promise.race([lines!.next(), refused]);
      return next.done ? undefined : next.value;
    } finally {
      fail = undefined;
      reader.pause();
    }
  };
}
