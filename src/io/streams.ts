import type { Streams } from '../deps.js';
import { UsageError } from '../errors.js';
import { boundedLineReader } from './lines.js';
import type { Env } from './paths.js';

/** Colour: NO_COLOR (any value) turns it off, FORCE_COLOR (not "0") on; otherwise a TTY gets it. */
export function wantsColor(isTTY: boolean, env: Env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTTY && env.TERM !== 'dumb';
}

/** A token or a pasted URL is small; a runaway pipe is not ours to buffer. */
export const MAX_STDIN_BYTES = 1024 * 1024;

/**
 * A reader that stops early (`scopes help | head`, `scopes check --json | jq -e .ok` on a failure) closes the pipe:
 * that ends the output, as it ends `git log | head`, without a stack trace. Stdout's exit status is the command's.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}

export function processStreams(env: Env): Streams {
  const out = process.stdout;
  const err = process.stderr;
  quietOnClosedPipe(out);
  quietOnClosedPipe(err);
  let lines: (() => Promise<string | undefined>) | undefined;
  return {
    out: { write: (text) => void out.write(text), isTTY: Boolean(out.isTTY), color: wantsColor(Boolean(out.isTTY), env), columns: out.columns },
    err: { write: (text) => void err.write(text), isTTY: Boolean(err.isTTY), color: wantsColor(Boolean(err.isTTY), env), columns: err.columns },
    stdinIsTTY: Boolean(process.stdin.isTTY),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of process.stdin) {
        size += (chunk as Buffer).length;
        if (size > MAX_STDIN_BYTES) {
          process.stdin.destroy();
          throw new UsageError('Standard input is larger than 1 MiB: that is not a token (nor a pasted URL).', {
            hint: 'Pipe only the token: e.g. `printf %s "$TOKEN" | scopes inspect -`.',
          });
        }
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks).toString('utf8');
    },
    readLine: async () => {
      lines ??= boundedLineReader(process.stdin);
      return await lines();
    },
  };
}
