/**
 * Non-secret state of a session (what was asked, what was granted, when): kept apart from the secrets so that
 * `status` and `diff` never need the keychain, and so that nothing here is ever a secret.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StorageKind } from '../core/profile.js';
import { ensureDir, readTextIfExists, removeTemporaries, writeJsonAtomic } from './files.js';

export interface SessionState {
  readonly profile: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly storage: StorageKind;
  readonly requested: readonly string[];
  readonly granted: readonly string[];
  /** True when the token response had no `scope` and granted = requested was assumed (RFC 6749 §5.1). */
  readonly grantedAssumed: boolean;
  /** OpenID scopes evidenced by an id token / refresh token rather than the access token's scope. */
  readonly evidenced?: Readonly<Record<string, string>>;
  readonly expiresAt?: number | undefined;
  readonly refreshToken: boolean;
  readonly idToken?: boolean;
  readonly lastLogin: string;
  readonly lastRefresh?: string | undefined;
  /**
   * When the server last rejected the refresh token (`invalid_grant`): the session is over, and `status` says so
   * instead of showing the refresh token as held. A later login or successful refresh writes the state without it.
   */
  readonly refreshRejectedAt?: string | undefined;
  readonly resource?: readonly string[] | undefined;
}

const sessionsDir = (stateDirectory: string) => join(stateDirectory, 'sessions');
const sessionFile = (stateDirectory: string, profile: string) => join(sessionsDir(stateDirectory), `${profile}.json`);

export async function readSessionState(stateDirectory: string, profile: string): Promise<SessionState | undefined> {
  const text = await readTextIfExists(sessionFile(stateDirectory, profile));
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as SessionState;
    return typeof value === 'object' && value !== null && Array.isArray(value.granted) ? value : undefined;
  } catch {
    return undefined; // a damaged state file is as good as none: the next login rewrites it
  }
}

export async function writeSessionState(stateDirectory: string, state: SessionState): Promise<void> {
  await ensureDir(sessionsDir(stateDirectory), 0o700);
  await writeJsonAtomic(sessionFile(stateDirectory, state.profile), state, 0o600);
  // Writers hold the profile's lock: another temporary file of this state is a killed write's (the soak found them).
  await removeTemporaries(sessionFile(stateDirectory, state.profile), { all: true });
}

export async function deleteSessionState(stateDirectory: string, profile: string): Promise<void> {
  await rm(sessionFile(stateDirectory, profile), { force: true });
  await removeTemporaries(sessionFile(stateDirectory, profile), { all: true });
}

/** Profile names that have a session state file. */
export async function listSessionProfiles(stateDirectory: string): Promise<string[]> {
  try {
    const names = await readdir(sessionsDir(stateDirectory));
    return names.filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -5)).sort();
  } catch {
    return [];
  }
}

/** Records that the server rejected the stored refresh token, so that `status` reports the session as ended. */
export async function recordRefreshRejected(stateDirectory: string, profile: string, at: Date): Promise<void> {
  const state = await readSessionState(stateDirectory, profile);
  if (state) await writeSessionState(stateDirectory, { ...state, refreshRejectedAt: at.toISOString() });
}
