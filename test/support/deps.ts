/** Deps for running a command in-process: buffers for the streams, a settable clock, the real file store. */
import type { StorageKind } from '../../src/core/profile.js';
import type { BrowserResult, Deps } from '../../src/deps.js';
import type { SecretStore } from '../../src/io/store/types.js';
import { FileSecretStore } from '../../src/io/store/file.js';
import { stateDir } from '../../src/io/paths.js';

export interface TestDeps extends Deps {
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly opened: string[];
  setNow(date: Date): void;
}

export function testDeps(options: {
  env: Record<string, string | undefined>;
  cwd?: string;
  tty?: boolean;
  stdin?: string;
  now?: Date;
  openBrowser?: (url: string) => Promise<BrowserResult>;
  stores?: Partial<Record<StorageKind, SecretStore>>;
  fetch?: typeof fetch;
  /** The terminal's width (with `tty`): what `process.stdout.columns` would say. */
  columns?: number;
}): TestDeps {
  let out = '';
  let err = '';
  let now = options.now;
  const opened: string[] = [];
  const tty = Boolean(options.tty);
  const stdinLines = (options.stdin ?? '').split('\n');
  const fileStore = new FileSecretStore(stateDir(options.env));
  return {
    io: {
      out: { write: (text) => void (out += text), isTTY: tty, color: tty && options.env.NO_COLOR === undefined, columns: options.columns },
      err: { write: (text) => void (err += text), isTTY: tty, color: tty && options.env.NO_COLOR === undefined, columns: options.columns },
      stdinIsTTY: false,
      readStdin: async () => options.stdin ?? '',
      readLine: async () => stdinLines.shift(),
    },
    env: options.env,
    cwd: options.cwd ?? process.cwd(),
    now: () => now ?? new Date(),
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    openBrowser: async (url) => {
      opened.push(url);
      return options.openBrowser ? options.openBrowser(url) : { opened: true, detail: 'test' };
    },
    store: (kind) => options.stores?.[kind] ?? fileStore,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    stdout: () => out,
    stderr: () => err,
    opened,
    setNow: (date) => {
      now = date;
    },
  };
}
