/**
 * Profiles: how to reach a provider. Validation is pure so a config file from anywhere (a project repository, a
 * CI secret) is checked the same way before anything is sent to a server.
 */
import { UsageError } from '../errors.js';
import type { Preset } from './scopes.js';

export type StorageKind = 'keychain' | 'file';

export interface Profile {
  readonly issuer?: string;
  readonly authorizationEndpoint?: string;
  readonly tokenEndpoint?: string;
  readonly revocationEndpoint?: string;
  readonly introspectionEndpoint?: string;
  readonly deviceAuthorizationEndpoint?: string;
  readonly userinfoEndpoint?: string;
  readonly jwksUri?: string;
  readonly clientId?: string;
  /** The NAME of the environment variable that holds the client secret: a secret never sits in a config file. */
  readonly clientSecretEnv?: string;
  readonly scopes?: readonly string[];
  readonly resource?: readonly string[];
  readonly audience?: string;
  readonly redirectUri?: string;
  readonly authorizationParams?: Readonly<Record<string, string>>;
  readonly api?: string;
  readonly manifest?: string;
  readonly implies?: Readonly<Record<string, readonly string[]>>;
  readonly preset?: Preset | readonly Preset[];
  readonly clientCredentials?: boolean;
  /** Where the secrets of this profile were stored at login (an extension of the SPEC, so later commands find them). */
  readonly storage?: StorageKind;
  /**
   * Clients registered dynamically (RFC 7591), by the issuer they were registered at: a registration is used with that
   * issuer only (MCP 2026-07-28). No secret: they are public clients.
   */
  readonly registrations?: Readonly<Record<string, { readonly clientId: string; readonly registeredAt: string }>>;
  /** The resource URL this profile's issuer was found from (`login --resource` without an issuer, RFC 9728). */
  readonly discoveredFrom?: string;
}

const URL_FIELDS = [
  'issuer',
  'authorizationEndpoint',
  'tokenEndpoint',
  'revocationEndpoint',
  'introspectionEndpoint',
  'deviceAuthorizationEndpoint',
  'userinfoEndpoint',
  'jwksUri',
  'redirectUri',
  'api',
  'discoveredFrom',
] as const;
const STRING_FIELDS = ['clientId', 'clientSecretEnv', 'audience', 'manifest'] as const;
const KNOWN_FIELDS = new Set<string>([
  ...URL_FIELDS,
  ...STRING_FIELDS,
  'scopes',
  'resource',
  'authorizationParams',
  'implies',
  'preset',
  'clientCredentials',
  'storage',
  'registrations',
]);

/** Profile names end up in file names and keychain accounts: keep them to a safe alphabet. */
export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw new UsageError(
      `Invalid profile name "${name.slice(0, 70)}": use letters, digits, ".", "_" and "-" (at most 64 characters).`,
    );
  }
  return name;
}

/** True for an absolute http(s) URL without credentials or fragment. */
export function isHttpUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password && !url.hash;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/**
 * Checks one profile read from a config file.
 * @param where names the file and profile in messages, e.g. `~/.config/scopes/config.json: profiles.work`.
 * @returns the profile and warnings (unknown fields are warned about, not rejected, so newer files still load).
 * @throws UsageError listing every problem found.
 */
export function validateProfile(raw: unknown, where: string, presets?: readonly string[]): { profile: Profile; warnings: string[] } {
  if (!isPlainObject(raw)) throw new UsageError(`${where}: expected an object.`);
  const problems: string[] = [];
  const warnings: string[] = [];
  const profile: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!KNOWN_FIELDS.has(key)) {
      warnings.push(`${where}.${key}: unknown field, ignored.`);
      continue;
    }
    if ((URL_FIELDS as readonly string[]).includes(key)) {
      if (typeof value !== 'string' || !isHttpUrl(value)) problems.push(`${key}: expected an absolute http(s) URL.`);
      else profile[key] = value;
    } else if ((STRING_FIELDS as readonly string[]).includes(key)) {
      if (typeof value !== 'string' || value === '') problems.push(`${key}: expected a non-empty string.`);
      else profile[key] = value;
    } else if (key === 'scopes' || key === 'resource') {
      const list = typeof value === 'string' ? value.split(/\s+/).filter(Boolean) : value;
      if (!isStringArray(list)) problems.push(`${key}: expected an array of strings.`);
      else if (key === 'resource' && !list.every(isHttpUrl)) problems.push(`resource: expected absolute URLs.`);
      else profile[key] = list;
    } else if (key === 'authorizationParams') {
      if (!isPlainObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
        problems.push('authorizationParams: expected an object of string values.');
      } else profile[key] = Object.fromEntries(Object.entries(value));
    } else if (key === 'implies') {
      if (!isPlainObject(value) || !Object.values(value).every(isStringArray)) {
        problems.push('implies: expected an object mapping a scope to an array of scopes.');
      } else profile[key] = Object.fromEntries(Object.entries(value));
    } else if (key === 'preset') {
      const list = typeof value === 'string' ? [value] : value;
      if (!isStringArray(list) || !list.every((p) => (presets === undefined ? /^[a-z0-9][a-z0-9._-]{0,63}$/.test(p) : presets.includes(p)))) {
        problems.push(`preset: expected ${presets === undefined ? 'provider names' : `one of ${presets.join(', ')}`} (or an array of them).`);
      } else profile[key] = value;
    } else if (key === 'clientCredentials') {
      if (typeof value !== 'boolean') problems.push('clientCredentials: expected true or false.');
      else profile[key] = value;
    } else if (key === 'registrations') {
      const valid =
        isPlainObject(value) &&
        Object.entries(value).every(
          ([issuer, entry]) => isHttpUrl(issuer) && isPlainObject(entry) && typeof entry.clientId === 'string' && entry.clientId !== '' && typeof entry.registeredAt === 'string',
        );
      if (!valid) problems.push('registrations: expected an object mapping an issuer URL to { "clientId", "registeredAt" }.');
      else profile[key] = value;
    } else if (key === 'storage') {
      if (value !== 'keychain' && value !== 'file') problems.push('storage: expected "keychain" or "file".');
      else profile[key] = value;
    }
  }
  if (problems.length > 0) {
    throw new UsageError(`${where}: invalid profile:\n  ${problems.join('\n  ')}`);
  }
  return { profile: profile as Profile, warnings };
}

/** The identity a credential is stored under: the same profile name pointed at another issuer is another credential. */
export function credentialIssuer(profile: Profile): string | undefined {
  return profile.issuer ?? profile.tokenEndpoint;
}
