import type { Command } from 'commander';
import { credentialIssuer } from '../core/profile.js';
import { describeExpiry } from '../core/time.js';
import type { Deps, GlobalOptions } from '../deps.js';
import { ExitCode } from '../errors.js';
import { listProfiles, loadProfile } from '../io/config.js';
import { listSessionProfiles, readSessionState } from '../io/state.js';
import { styleFor } from '../render/style.js';
import { resolveStorage } from '../session.js';
import { commandContext } from './context.js';

export interface ProfileStatus {
  profile: string;
  issuer: string | null;
  clientId: string | null;
  storage: string;
  granted: string[];
  requested: string[];
  expiresAt: string | null;
  refreshToken: boolean;
  lastLogin: string | null;
  loggedIn: boolean;
}

/**
 * `scopes status`: every profile the config files or the state folder know. Reads only the non-secret state, so it
 * works without touching the keychain (and cannot print a secret).
 */
export async function runStatus(deps: Deps, globals: GlobalOptions): Promise<number> {
  const context = await commandContext(deps, globals);
  const configured = await listProfiles(context.location);
  const names = new Set([...configured.map((p) => p.name), ...(await listSessionProfiles(context.stateDirectory))]);
  const statuses: ProfileStatus[] = [];
  for (const name of [...names].sort()) {
    const resolved = configured.find((p) => p.name === name) ?? (await loadProfile(name, context.location));
    const state = await readSessionState(context.stateDirectory, name);
    const profile = resolved.profile;
    // A session recorded for another issuer or client than the profile now names is not this profile's session.
    const matches = state && state.issuer === credentialIssuer(profile) && state.clientId === profile.clientId;
    statuses.push({
      profile: name,
      issuer: credentialIssuer(profile) ?? state?.issuer ?? null,
      clientId: profile.clientId ?? state?.clientId ?? null,
      storage: matches ? state.storage : resolveStorage(undefined, deps, profile),
      granted: matches ? [...state.granted] : [],
      requested: matches ? [...state.requested] : [],
      expiresAt: matches && state.expiresAt !== undefined ? new Date(state.expiresAt * 1000).toISOString() : null,
      refreshToken: Boolean(matches && state.refreshToken),
      lastLogin: matches ? state.lastLogin : null,
      loggedIn: Boolean(matches),
    });
  }
  if (globals.json) {
    deps.io.out.write(`${JSON.stringify({ profiles: statuses })}\n`);
    return ExitCode.ok;
  }
  const style = styleFor(deps.io.out);
  if (statuses.length === 0) {
    deps.io.out.write('No profiles yet. Start with:\n  scopes login --issuer https://auth.example.com --client-id abc --scope "openid offline_access"\n');
    return ExitCode.ok;
  }
  const blocks = statuses.map((s) => {
    const marker = s.profile === globals.profile ? style.bold(`${s.profile} (current)`) : style.bold(s.profile);
    const lines = [marker];
    lines.push(`  issuer         ${s.issuer ?? style.dim('(not set)')}`);
    lines.push(`  client id      ${s.clientId ?? style.dim('(not set)')}`);
    lines.push(`  storage        ${s.storage}`);
    if (!s.loggedIn) {
      lines.push(`  session        ${style.dim('none: run')} ${style.code(s.profile === 'default' ? 'scopes login' : `scopes login --profile ${s.profile}`)}`);
      return lines.join('\n');
    }
    lines.push(`  granted        ${s.granted.join(' ') || style.dim('(none)')}`);
    const expires = s.expiresAt ? describeExpiry(Date.parse(s.expiresAt) / 1000, deps.now()) : 'unknown';
    const expiryText = expires.startsWith('expired') ? style.warn(expires) : expires;
    lines.push(`  access token   ${expiryText}${s.expiresAt ? style.dim(` (${s.expiresAt})`) : ''}`);
    lines.push(`  refresh token  ${s.refreshToken ? style.ok('held') : style.warn('none')}`);
    lines.push(`  last login     ${s.lastLogin}`);
    return lines.join('\n');
  });
  deps.io.out.write(`${blocks.join('\n\n')}\n`);
  return ExitCode.ok;
}

export const statusAction = (deps: Deps, globalsOf: (command: Command, deps: Deps) => GlobalOptions) => (command: Command) =>
  runStatus(deps, globalsOf(command, deps));
