/**
 * `scopes token` when the stored access token is still good: the one answer scripts ask for many times a minute.
 * bin/scopes.js loads this as one CommonJS file (dist/cli/cached-token.cjs, see scripts/bundle.mjs) before anything
 * else, so it costs Node's start-up, two config reads and one file read. It does what `scopes token` does in that
 * case, with the same functions (config, file store, `usable`, `formatToken`). Every other case answers false without
 * having printed anything, and the full CLI runs: SCOPES_TOKEN or SCOPES_REFRESH_TOKEN set, a client-credentials
 * profile, the keychain, a token to refresh, a warning to show, --verbose, or any error.
 */
import { loadProfile, locateConfig } from './io/config.js';
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { isatty } from 'node:tty';
import { checkPrivateIfPresent } from './io/files.js';
import { configDir, stateDir, userConfigFile } from './io/paths.js';
import { FileSecretStore } from './io/store/file.js';
import { TOKEN_DEFAULTS } from './defaults.js';
import { credentialKey, formatToken, fromSecrets, plainTokenArgs, resolveStorage, usable } from './stored-token.js';

export interface FastTokenIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  now(): Date;
  write(text: string): void;
  /** stdout is a terminal: `--json` is then indented, as every command's is. */
  readonly isTTY?: boolean;
}

/**
 * The token written to descriptor 1 directly: process.stdout (even asking it isTTY) first builds a stream and loads
 * its modules, for one short line. A pipe that cannot take it all at once gets the rest through process.stdout.
 */
function writeOut(text: string): void {
  const bytes = Buffer.from(text);
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(1, bytes, written);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // the reader is gone (`scopes token | true`): nobody to print to, and nothing to do again
    if (code === 'EPIPE') return;
    if (code !== 'EAGAIN') throw error;
    process.stdout.write(bytes.subarray(written));
  }
}

const processIo = (): FastTokenIo => ({
  env: process.env,
  cwd: process.cwd(),
  now: () => new Date(),
  write: writeOut,
  isTTY: isatty(1),
});

/** True when it printed the stored token; false when the full CLI must run (nothing was printed then). */
export async function printCachedToken(argv: readonly string[], io: FastTokenIo = processIo()): Promise<boolean> {
  try {
    const plain = plainTokenArgs(argv);
    const { env } = io;
    if (plain === undefined || env.SCOPES_TOKEN?.trim() || env.SCOPES_REFRESH_TOKEN?.trim() || env.SCOPES_DEBUG === '1') return false;
    // The same folders the full CLI checks; anything to refuse or repair (with a warning) is the full CLI's to say.
    const state = stateDir(env);
    await checkPrivateIfPresent([configDir(env), userConfigFile(env), state, join(state, 'secrets')], undefined);
    const location = await locateConfig({ config: undefined }, env, io.cwd);
    const resolved = await loadProfile(plain.profile ?? (env.SCOPES_PROFILE || 'default'), location);
    if (resolved.warnings.length > 0 || resolved.profile.clientCredentials) return false;
    const key = credentialKey(resolved.name, resolved.profile);
    if (key === undefined || resolveStorage(undefined, io, resolved.profile) !== 'file') return false;
    const secrets = await new FileSecretStore(state).read(key);
    if (!usable(secrets, io, TOKEN_DEFAULTS.minTtl)) return false;
    io.write(formatToken(fromSecrets(secrets, 'stored'), plain.json, io.isTTY));
    return true;
  } catch {
    return false;
  }
}
