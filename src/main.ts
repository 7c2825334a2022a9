/**
 * The process entry: builds the real dependencies once, runs the command line, and is the one place where errors
 * become stderr text and exit codes. No stack trace reaches a user unless --verbose.
 */
import type { StorageKind } from './core/profile.js';
import type { Deps } from './deps.js';
import { defaultGlobals, TOKEN_DEFAULTS } from './defaults.js';
import { plainTokenArgs } from './stored-token.js';
import { ExitCode, MissingScopeError, ScopesError } from './errors.js';
import { guardDeps } from './io/guard.js';
import { redactUrl, tracingFetch } from './io/http.js';
import { installProxy, proxySettings } from './io/proxy.js';
import { stateDir, type Env } from './io/paths.js';
import { processStreams } from './io/streams.js';
import type { CredentialKey, SecretStore } from './io/store/types.js';
import { jsonText } from './render/json.js';

export function realDeps(env: Env = process.env): Deps {
  const io = processStreams(env);
  const debug = env.SCOPES_DEBUG === '1' || process.argv.includes('--verbose') || process.argv.includes('-v');
  const stores = new Map<StorageKind, SecretStore>();
  // Proxies apply before the first request; without HTTP(S)_PROXY this is one resolved promise.
  const proxy = proxySettings(env) === undefined ? Promise.resolve(undefined) : installProxy(env);
  let proxyTraced = false;
  const baseFetch: typeof fetch = async (input, init) => {
    const line = await proxy;
    if (line !== undefined && debug && !proxyTraced) {
      proxyTraced = true;
      io.err.write(`[http] ${line}\n`);
    }
    return globalThis.fetch(input, init);
  };
  const deps: Deps = {
    io,
    env,
    cwd: process.cwd(),
    now: () => new Date(),
    fetch: baseFetch,
    // undici (the package, not the copy inside Node) is loaded by the first call only: probe's many requests.
    request: async (url, init) => {
      await proxy;
      const { leanRequest } = await import('./io/lean-http.js');
      return leanRequest(url, init);
    },
    // Loaded when a command opens a browser: node:child_process is not needed by `token` or `check`.
    openBrowser: async (url) => (await import('./io/browser.js')).openBrowser(url, env),
    store: (kind) => {
      let store = stores.get(kind);
      if (!store) {
        store = createStore(kind, env);
        stores.set(kind, store);
      }
      return store;
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    onInterrupt: (listener) => {
      process.on('SIGINT', listener);
      return () => void process.off('SIGINT', listener);
    },
  };
  // The trace writes through the redacting stderr, like every other line.
  return guardDeps(deps, debug ? (err) => (inner) => tracingFetch(inner, (line) => err.write(`[http] ${line}\n`)) : undefined);
}

function createStore(kind: StorageKind, env: Env): SecretStore {
  return kind === 'file' ? new LazyFileStore(stateDir(env)) : new LazyKeychainStore(env.SCOPES_KEYCHAIN_SERVICE || 'scopes');
}

/** The stores load their modules on first use, so `scopes --help` never loads the keychain binding. */
class LazyFileStore implements SecretStore {
  readonly kind = 'file' as const;
  readonly description: string;
  private inner: Promise<SecretStore> | undefined;
  constructor(private readonly dir: string) {
    this.description = `file (${dir}/secrets)`;
  }
  private get store() {
    return (this.inner ??= import('./io/store/file.js').then(({ FileSecretStore }) => new FileSecretStore(this.dir)));
  }
  read: SecretStore['read'] = async (key) => (await this.store).read(key);
  write: SecretStore['write'] = async (key, secrets) => (await this.store).write(key, secrets);
  delete: SecretStore['delete'] = async (key) => (await this.store).delete(key);
}

class LazyKeychainStore implements SecretStore {
  readonly kind = 'keychain' as const;
  readonly description: string;
  private inner: Promise<import('./io/store/keychain.js').KeychainSecretStore> | undefined;
  constructor(private readonly service: string) {
    this.description = `keychain (service "${service}")`;
  }
  get store() {
    return (this.inner ??= import('./io/store/keychain.js').then(({ KeychainSecretStore }) => new KeychainSecretStore(this.service)));
  }
  probe = async () => (await this.store).probe();
  readRefreshToken = async (key: CredentialKey) => (await this.store).readRefreshToken(key);
  writeRefreshToken = async (key: CredentialKey, refreshToken: string) => (await this.store).writeRefreshToken(key, refreshToken);
  read: SecretStore['read'] = async (key) => (await this.store).read(key);
  write: SecretStore['write'] = async (key, secrets) => (await this.store).write(key, secrets);
  delete: SecretStore['delete'] = async (key) => (await this.store).delete(key);
}

/**
 * Prints an error the way a user should see it: text on stderr and, with --json, one JSON document on stdout so a
 * pipeline into jq still gets JSON. "A scope is missing" is the exception: that command has printed its report.
 */
export function reportError(error: unknown, deps: Pick<Deps, 'io'>, verbose: boolean, json = false): number {
  const err = deps.io.err;
  if (json && !(error instanceof MissingScopeError)) {
    const typed = error instanceof ScopesError;
    deps.io.out.write(
      jsonText(deps.io.out, {
        error: {
          code: typed ? error.code : 'internal',
          message: (error as Error)?.message ?? String(error),
          ...(typed && error.hint ? { hint: error.hint } : {}),
          exitCode: typed ? error.exitCode : ExitCode.network,
        },
      }),
    );
  }
  const red = (text: string) => (err.color ? `\u001b[31m${text}\u001b[39m` : text);
  if (error instanceof ScopesError && error.code === 'cancelled') {
    // The user asked for it: no "error:" label, just what became of the command.
    err.write(`${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof MissingScopeError) {
    // An expected outcome the command has already shown, not a failure of the tool: no "error:" label.
    err.write(`${error.message}\n${error.hint ? `${error.hint}\n` : ''}`);
    return error.exitCode;
  }
  if (error instanceof ScopesError) {
    err.write(`${red('error:')} ${error.message}\n`);
    if (error.hint) err.write(`${error.hint}\n`);
    if (verbose) err.write(`${formatCause(error)}\n`);
    return error.exitCode;
  }
  err.write(`${red('error:')} ${(error as Error)?.message ?? String(error)}\n`);
  if (verbose) err.write(`${(error as Error)?.stack ?? ''}\n`);
  else err.write('This is a bug in scopes; run again with --verbose for details.\n');
  return ExitCode.network;
}

function formatCause(error: Error): string {
  const lines = [error.stack ?? ''];
  let cause = error.cause;
  // Bounded: a cause chain from a library could loop.
  for (let depth = 0; cause && depth < 10; depth++) {
    lines.push(`caused by: ${describeCause(cause)}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return lines.join('\n');
}

/**
 * `scopes token` as scripts call it (`$(scopes token)`, many times a minute): the command without commander and the
 * help texts of every command. The options are those commander would give (`defaultGlobals`, the same defaults), so
 * output and exit code are the same; any other command line goes the general way.
 */
async function fastToken(argv: readonly string[], deps: Deps): Promise<number | undefined> {
  const plain = plainTokenArgs(argv);
  if (plain === undefined) return undefined;
  const { runToken } = await import('./commands/token.js');
  return await runToken(deps, defaultGlobals(deps, plain), TOKEN_DEFAULTS);
}

const SECRET_FIELDS = /^(access_token|refresh_token|id_token|device_code|code|client_secret|token|assertion)$/i;

/**
 * One link of a cause chain as text. openid-client hangs the HTTP Response itself on its errors ("unexpected HTTP
 * response status code"), which String() turns into "[object Response]": say its status and URL instead.
 */
function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.stack ?? `${cause.name}: ${cause.message}`;
  if (typeof Response !== 'undefined' && cause instanceof Response) {
    return `HTTP ${cause.status}${cause.statusText ? ` ${cause.statusText}` : ''} from ${redactUrl(cause.url) || '(unknown URL)'} (content-type: ${cause.headers.get('content-type') ?? 'none'})`;
  }
  if (typeof cause === 'object' && cause !== null) {
    try {
      // A response body (openid-client attaches it to some errors) may hold tokens: their values never reach stderr.
      const text = JSON.stringify(cause, (key, value: unknown) => (SECRET_FIELDS.test(key) ? '[redacted]' : value));
      return text.length > 500 ? `${text.slice(0, 500)}…` : text;
    } catch {
      return Object.prototype.toString.call(cause);
    }
  }
  return String(cause);
}

export async function main(argv: readonly string[], unguarded: Deps = realDeps()): Promise<number> {
  const deps = guardDeps(unguarded);
  try {
    const fast = await fastToken(argv, deps);
    if (fast !== undefined) return fast;
    const { runCli } = await import('./cli.js');
    return await runCli(argv, deps);
  } catch (error) {
    return reportError(error, deps, argv.includes('--verbose') || argv.includes('-v') || deps.env.SCOPES_DEBUG === '1', argv.includes('--json'));
  }
}
