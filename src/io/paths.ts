import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

/** XDG base directories; a relative XDG value is ignored, as the spec says it must be. */
function xdg(env: Env, name: string, fallback: string): string {
  const value = env[name];
  if (value && isAbsolute(value)) return value;
  return join(env.HOME || homedir(), fallback);
}

/** `$XDG_CONFIG_HOME/scopes` (default `~/.config/scopes`). */
export const configDir = (env: Env): string => join(xdg(env, 'XDG_CONFIG_HOME', '.config'), 'scopes');

/** `$XDG_STATE_HOME/scopes` (default `~/.local/state/scopes`). */
export const stateDir = (env: Env): string => join(xdg(env, 'XDG_STATE_HOME', join('.local', 'state')), 'scopes');

/** The user config file: `$XDG_CONFIG_HOME/scopes/config.json`. */
export const userConfigFile = (env: Env): string => join(configDir(env), 'config.json');
