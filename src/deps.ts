/**
 * Everything a command touches in the world, built once in main.ts. Tests build their own: buffers for the streams,
 * a fixed clock, a temporary XDG folder, the real provider on loopback.
 */
import type { StorageKind } from './core/profile.js';
import type { Env } from './io/paths.js';
import type { SecretStore } from './io/store/types.js';

export interface OutputStream {
  write(text: string): void;
  readonly isTTY: boolean;
  /** Whether colour is wanted on this stream (TTY, NO_COLOR, FORCE_COLOR). */
  readonly color: boolean;
  /** Terminal width when a TTY, for wrapping tables. */
  readonly columns?: number | undefined;
  /** Writes past the redaction layer: only for the one output whose purpose is a secret (`scopes token`). */
  writeSecret?(text: string): void;
}

export interface Streams {
  readonly out: OutputStream;
  readonly err: OutputStream;
  readonly stdinIsTTY: boolean;
  /** Reads all of standard input (for `--token -` and `login --manual`). */
  readStdin(): Promise<string>;
  /** Reads one line of standard input. */
  readLine(): Promise<string | undefined>;
}

export interface BrowserResult {
  readonly opened: boolean;
  /** How it was opened (`$BROWSER`, `system browser`) or why not. */
  readonly detail: string;
  /** `$BROWSER` only: resolves with its exit status when it ends, so a failing one can be noticed (it may never). */
  readonly exited?: Promise<{ readonly code: number | null; readonly signal: string | null }>;
}

/** A request of {@link Deps.request}: the answer's body is read up to `maxBytes`. */
export interface LeanRequestInit {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Covers the whole exchange: the request, the answer and its body. */
  readonly signal?: AbortSignal;
  readonly maxBytes: number;
}

/** An answer of {@link Deps.request}, read whole (up to the cap). */
export interface LeanAnswer {
  readonly status: number;
  readonly statusText: string;
  /** Names lower-cased; a repeated field joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The body as text, up to the cap ('' when `error` is set). */
  readonly text: string;
  /** Whether the body went on past the cap. */
  readonly truncated: boolean;
  /** Why the body could not be read (the status and headers came). */
  readonly error?: unknown;
}

export interface Deps {
  readonly io: Streams;
  readonly env: Env;
  readonly cwd: string;
  now(): Date;
  readonly fetch: typeof fetch;
  /**
   * For many small calls whose answers are read whole (probe): the same HTTP without the Request, Response and web
   * stream objects fetch builds per call. Optional: where absent (tests in process, --verbose), `fetch` does the work.
   * It follows no redirect.
   */
  readonly request?: ((url: string, init: LeanRequestInit) => Promise<LeanAnswer>) | undefined;
  openBrowser(url: string): Promise<BrowserResult>;
  /** The secret store of a kind; the keychain one may fail lazily with exit 3. */
  store(kind: StorageKind): SecretStore;
  sleep(ms: number): Promise<void>;
  /**
   * Calls `listener` on Ctrl-C (SIGINT) instead of letting the process die, until the returned function is called.
   * Optional: where absent (tests in process), Ctrl-C cannot happen.
   */
  onInterrupt?(listener: () => void): () => void;
}

/** Global options every command takes. */
export interface GlobalOptions {
  readonly profile: string;
  readonly config?: string | undefined;
  readonly json: boolean;
  readonly verbose: boolean;
}
