import { createHash } from 'node:crypto';
import { lstat, readlink, realpath } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { checkProfileName, validateProfile, type Profile } from '../core/profile.js';
import { UsageError } from '../errors.js';
import { readBoundedFile } from './bounded.js';
import { ensureDir, removeTemporaries, writeJsonAtomic } from './files.js';
import { acquireLock } from './lock.js';
import { stateDir, userConfigFile, type Env } from './paths.js';

/** Config files are small; anything bigger is not a config file and is refused before parsing. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export interface ConfigFile {
  readonly path: string;
  readonly profiles: Readonly<Record<string, unknown>>;
  readonly raw: Record<string, unknown>;
}

export interface ResolvedProfile {
  readonly name: string;
  readonly profile: Profile;
  /** Which file the profile came from, or undefined when no file holds it. */
  readonly source: string | undefined;
  readonly warnings: readonly string[];
}

export interface ConfigLocation {
  /** `--config FILE`, `$SCOPES_CONFIG` or `./scopes.config.json` when present. */
  readonly projectFile: string | undefined;
  /** Whether the project file was named explicitly (then `login` saves into it). */
  readonly explicit: boolean;
  readonly userFile: string;
  /** Where the lock of a config file's read-modify-write lives (the state folder's `locks/`, not the user's repo). */
  readonly lockDir: string;
  /**
   * The preset names a profile's `preset` may take, checked when a profile is read. Passed in by the caller rather
   * than imported here, so that `scopes token`'s fast path reads a config without loading every provider module.
   */
  readonly presets?: readonly string[] | undefined;
}

export async function locateConfig(
  options: { config?: string | undefined; presets?: readonly string[] | undefined },
  env: Env,
  cwd: string,
): Promise<ConfigLocation> {
  const userFile = userConfigFile(env);
  const lockDir = join(stateDir(env), 'locks');
  const presets = options.presets;
  const named = options.config ?? env.SCOPES_CONFIG;
  if (named) return { projectFile: resolve(cwd, named), explicit: true, userFile, lockDir, presets };
  const local = resolve(cwd, 'scopes.config.json');
  // Read with the cap and the regular-file check: a cloned repository can ship this file as a link to /dev/zero.
  const present = (await readBoundedFile(local, MAX_CONFIG_BYTES, 'config file')) !== undefined;
  return { projectFile: present ? local : undefined, explicit: false, userFile, lockDir, presets };
}

export async function readConfigFile(path: string, mustExist: boolean): Promise<ConfigFile | undefined> {
  const text = await readBoundedFile(path, MAX_CONFIG_BYTES, 'config file');
  if (text === undefined) {
    if (mustExist) throw new UsageError(`Config file ${path} does not exist.`);
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`Config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UsageError(`Config file ${path}: expected a JSON object with "profiles".`);
  }
  const record = raw as Record<string, unknown>;
  const profiles = record.profiles ?? {};
  if (typeof profiles !== 'object' || profiles === null || Array.isArray(profiles)) {
    throw new UsageError(`Config file ${path}: "profiles" must be an object of named profiles.`);
  }
  return { path, profiles: profiles as Record<string, unknown>, raw: record };
}

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

/**
 * Finds profile `name`: the project file wins over the user file (the whole profile, so a project never gets half of
 * someone's personal profile mixed in).
 */
export async function loadProfile(name: string, location: ConfigLocation): Promise<ResolvedProfile> {
  checkProfileName(name);
  const files = [
    location.projectFile ? await readConfigFile(location.projectFile, location.explicit) : undefined,
    await readConfigFile(location.userFile, false),
  ];
  for (const file of files) {
    if (file && hasOwn(file.profiles, name)) {
      const { profile, warnings } = validateProfile(file.profiles[name], `${file.path}: profiles.${name}`, location.presets);
      return { name, profile, source: file.path, warnings };
    }
  }
  return { name, profile: {}, source: undefined, warnings: [] };
}

/** Every profile name the config files know, project file first. */
export async function listProfiles(location: ConfigLocation): Promise<ResolvedProfile[]> {
  const names = new Set<string>();
  for (const path of [location.projectFile, location.userFile]) {
    const file = path ? await readConfigFile(path, path === location.projectFile && location.explicit) : undefined;
    for (const name of Object.keys(file?.profiles ?? {})) names.add(name);
  }
  const result: ResolvedProfile[] = [];
  for (const name of names) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) continue;
    result.push(await loadProfile(name, location));
  }
  return result;
}

/**
 * The file a write of `path` must replace: a symlinked config.json (dotfiles kept in a repository) stays a symlink
 * and its target gets the new content. Follows a dangling link too, which realpath refuses.
 */
async function writeTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    let current = path;
    for (let hops = 0; hops < 40; hops++) {
      const stats = await lstat(current).catch(() => undefined);
      if (!stats?.isSymbolicLink()) return current;
      current = resolve(dirname(current), await readlink(current));
    }
    return current;
  }
}

/**
 * Saves the fields a login was given into profile `name` of the user file (or the explicit `--config` file), keeping
 * every other profile and field. Never called with a secret: the Profile type has no field for one.
 *
 * Read, change and write happen under the file's own lock, and the write is atomic: eight logins of eight profiles
 * finishing together keep all eight.
 */
export async function saveProfileFields(
  name: string,
  fields: Partial<Profile>,
  location: ConfigLocation,
): Promise<string> {
  const path = location.explicit && location.projectFile ? location.projectFile : location.userFile;
  // Only our own folder is created (private); a project file's folder is the user's and is left as it is.
  if (path === location.userFile) await ensureDir(dirname(path), 0o700);
  const target = await writeTarget(path);
  const digest = createHash('sha256').update(target).digest('hex').slice(0, 24);
  const lock = await acquireLock(join(location.lockDir, `config-${digest}.lock`));
  try {
    const existing = await readConfigFile(path, false);
    const raw = existing?.raw ?? {};
    const profiles = { ...(existing?.profiles ?? {}) } as Record<string, unknown>;
    const current = hasOwn(profiles, name) && typeof profiles[name] === 'object' ? (profiles[name] as object) : {};
    const merged: Record<string, unknown> = { ...current };
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) merged[key] = value;
    validateProfile(merged, `${path}: profiles.${name}`, location.presets);
    profiles[name] = merged;
    await writeJsonAtomic(target, { ...raw, profiles }, 0o600);
    await removeTemporaries(target, { all: true });
  } finally {
    await lock.release();
  }
  return path;
}
