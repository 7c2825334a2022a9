/**
 * What every command needs first: its profile, resolved from the global options and the config files, and the few
 * helpers for stderr. Kept here so each command module holds only its own behaviour.
 */
import { PROVIDER_NAMES } from '../providers/index.js';
import type { Deps, GlobalOptions } from '../deps.js';
import { join } from 'node:path';
import { loadProfile, locateConfig, type ConfigLocation, type ResolvedProfile } from '../io/config.js';
import { checkPrivateIfPresent } from '../io/files.js';
import { configDir, stateDir, userConfigFile } from '../io/paths.js';

export interface CommandContext {
  readonly deps: Deps;
  readonly globals: GlobalOptions;
  readonly location: ConfigLocation;
  readonly resolved: ResolvedProfile;
  readonly stateDirectory: string;
  /** A warning on stderr (never on stdout, which is data). */
  warn(message: string): void;
  /** Progress and prose on stderr; silent with --json only where it would be noise is the caller's choice. */
  info(message: string): void;
  trace(message: string): void;
}

export async function commandContext(deps: Deps, globals: GlobalOptions): Promise<CommandContext> {
  const warn = (message: string) => deps.io.err.write(`${deps.io.err.color ? '\u001b[33mwarning:\u001b[39m' : 'warning:'} ${message}\n`);
  const stateDirectory = stateDir(deps.env);
  // Our own folders and user config file are never used when another user owns them or can write them: they decide
  // where tokens are sent and what is stored (a secrets file others can read is refused where it is read).
  await checkPrivateIfPresent(
    [configDir(deps.env), userConfigFile(deps.env), stateDirectory, ...['secrets', 'sessions', 'locks'].map((name) => join(stateDirectory, name))],
    warn,
  );
  const location = await locateConfig({ config: globals.config, presets: PROVIDER_NAMES }, deps.env, deps.cwd);
  const resolved = await loadProfile(globals.profile, location);
  const context: CommandContext = {
    deps,
    globals,
    location,
    resolved,
    stateDirectory,
    warn,
    info: (message) => deps.io.err.write(`${message}\n`),
    trace: (message) => {
      if (globals.verbose || deps.env.SCOPES_DEBUG === '1') deps.io.err.write(`${message}\n`);
    },
  };
  for (const warning of resolved.warnings) context.warn(warning);
  return context;
}
