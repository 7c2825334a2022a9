import type { Command } from 'commander';
import { credentialIssuer, type Profile } from '../core/profile.js';
import { describeExpiry, relativeTime } from '../core/time.js';
import type { Deps, GlobalOptions } from '../deps.js';
import { ExitCode, ScopesError } from '../errors.js';
import { listProfiles, loadProfile } from '../io/config.js';
import { listSessionProfiles, readSessionState, type SessionState } from '../io/state.js';
import { styleFor, type Style } from '../render/style.js';
import { widthOf, wrapText, type Cell, type Segment } from '../render/table.js';
import { getAccessToken, resolveStorage } from '../session.js';
import { commandContext, type CommandContext } from './context.js';
import { jsonText } from '../render/json.js';

export interface StatusOptions {
  /** `--profile` was given: show only that profile, and exit 3 when it has no usable session. */
  readonly only: boolean;
  /** `--check`: confirm each session online (a refresh, or introspection). */
  readonly check: boolean;
}

/** The result of `--check` for one profile. */
export interface OnlineCheck {
  readonly ok: boolean;
  /** What was tried and what came of it, for people. */
  readonly detail: string;
  /** The error code when it failed (`refresh_rejected`, `unreachable`, …). */
  readonly code?: string;
}

export interface ProfileStatus {
  profile: string;
  issuer: string | null;
  clientId: string | null;
  storage: string;
  granted: string[];
  requested: string[];
  expiresAt: string | null;
  refreshToken: boolean;
  /** When the server rejected the refresh token (invalid_grant), if it did. */
  refreshRejectedAt: string | null;
  lastLogin: string | null;
  loggedIn: boolean;
  /** Whether a command can get an access token for this profile without a new login. */
  usable: boolean;
  /** Why not, when not usable; null when usable. */
  problem: string | null;
  /** `--check` only: what the server said. */
  checked?: OnlineCheck;
}

const loginCommand = (profile: string): string => (profile === 'default' ? 'scopes login' : `scopes login --profile ${profile}`);

/**
 * Whether the recorded session can still give an access token, from the non-secret state alone: a refresh token the
 * server rejected, or an expired access token with no refresh token to renew it, is a session that is over.
 */
function usability(name: string, profile: Profile, state: SessionState | undefined, deps: Deps): { usable: boolean; problem: string | null } {
  if (profile.clientCredentials) {
    // No stored session: each command gets its token from the client-credentials grant.
    const variable = profile.clientSecretEnv;
    if (variable && !deps.env[variable]) return { usable: false, problem: `client-credentials profile, but $${variable} (the client secret) is not set` };
    return { usable: true, problem: null };
  }
  if (!state) return { usable: false, problem: `no session: run \`${loginCommand(name)}\`` };
  const now = deps.now();
  if (state.refreshRejectedAt) {
    const at = Date.parse(state.refreshRejectedAt);
    const when = Number.isFinite(at) ? ` at ${state.refreshRejectedAt} (${relativeTime((at - now.getTime()) / 1000)})` : '';
    return { usable: false, problem: `the server rejected the refresh token${when}: run \`${loginCommand(name)}\`` };
  }
  if (!state.refreshToken && state.expiresAt !== undefined && state.expiresAt * 1000 <= now.getTime()) {
    return { usable: false, problem: `the access token ${describeExpiry(state.expiresAt, now)} and there is no refresh token to renew it: run \`${loginCommand(name)}\`` };
  }
  return { usable: true, problem: null };
}

/**
 * `scopes status`: every profile the config files or the state folder know (only the one named with `--profile`).
 * Without `--check` it reads only the non-secret state, so it works without touching the keychain and cannot print a
 * secret. Exit 3 when a profile shown has no usable session, as `gh auth status` does, so a script can
 * `scopes status --profile ci || scopes login --profile ci`.
 */
export async function runStatus(deps: Deps, globals: GlobalOptions, options: StatusOptions = { only: false, check: false }): Promise<number> {
  const context = await commandContext(deps, globals);
  const configured = await listProfiles(context.location);
  const names = options.only
    ? [context.resolved.name]
    : [...new Set([...configured.map((p) => p.name), ...(await listSessionProfiles(context.stateDirectory))])].sort();
  const statuses: ProfileStatus[] = [];
  for (const name of names) {
    const resolved = configured.find((p) => p.name === name) ?? (await loadProfile(name, context.location));
    statuses.push(await statusOf(context, name, resolved.profile, options.check));
  }
  const exitCode = statuses.length === 0 || statuses.some((s) => !s.usable) ? ExitCode.auth : statuses.some((s) => s.checked && !s.checked.ok) ? ExitCode.network : ExitCode.ok;
  if (globals.json) {
    deps.io.out.write(jsonText(deps.io.out, { profiles: statuses }));
    return exitCode;
  }
  const style = styleFor(deps.io.out);
  if (statuses.length === 0) {
    deps.io.out.write('No profiles yet. Start with:\n  scopes login --issuer https://auth.example.com --client-id abc --scope "openid offline_access"\n');
    return exitCode;
  }
  const blocks = statuses.map((s) => renderStatus(s, s.profile === globals.profile && !options.only, style, deps.now(), widthOf(deps.io.out)));
  deps.io.out.write(`${blocks.join('\n\n')}\n`);
  return exitCode;
}

async function statusOf(context: CommandContext, name: string, profile: Profile, check: boolean): Promise<ProfileStatus> {
  const { deps } = context;
  let state = await readSessionState(context.stateDirectory, name);
  // A session recorded for another issuer or client than the profile now names is not this profile's session.
  const matches = (s: SessionState | undefined): s is SessionState => Boolean(s && s.issuer === credentialIssuer(profile) && s.clientId === profile.clientId);
  let checked: OnlineCheck | undefined;
  if (check && (matches(state) || profile.clientCredentials)) {
    checked = await checkOnline(context, name, profile, matches(state) ? state : undefined);
    state = await readSessionState(context.stateDirectory, name); // a refresh rewrote it (or recorded a rejection)
  }
  const session = matches(state) ? state : undefined;
  return {
    profile: name,
    issuer: credentialIssuer(profile) ?? state?.issuer ?? null,
    clientId: profile.clientId ?? state?.clientId ?? null,
    storage: session ? session.storage : resolveStorage(undefined, deps, profile),
    granted: session ? [...session.granted] : [],
    requested: session ? [...session.requested] : [],
    expiresAt: session?.expiresAt !== undefined ? new Date(session.expiresAt * 1000).toISOString() : null,
    refreshToken: Boolean(session?.refreshToken),
    refreshRejectedAt: session?.refreshRejectedAt ?? null,
    lastLogin: session ? session.lastLogin : null,
    loggedIn: Boolean(session),
    ...usability(name, profile, session, deps),
    ...(checked ? { checked } : {}),
  };
}

/**
 * `--check`: a refresh when a refresh token is held (the one thing that proves the session is alive at the server),
 * else introspection of the access token where the server offers it. Environment tokens are ignored: this is about
 * the stored session.
 */
async function checkOnline(context: CommandContext, name: string, profile: Profile, state: SessionState | undefined): Promise<OnlineCheck> {
  const deps: Deps = { ...context.deps, env: { ...context.deps.env, SCOPES_TOKEN: undefined, SCOPES_REFRESH_TOKEN: undefined } };
  if (state?.refreshRejectedAt) return { ok: false, code: 'refresh_rejected', detail: 'not tried: the refresh token was already rejected' };
  const sessionContext = { deps, profileName: name, profile: state ? { ...profile, storage: state.storage } : profile, warn: context.warn, trace: context.trace };
  try {
    if (profile.clientCredentials || state?.refreshToken) {
      const token = await getAccessToken(sessionContext, { minTtl: 0, forceRefresh: true });
      const what = token.source === 'client_credentials' ? 'the client-credentials grant worked' : 'the refresh worked';
      return { ok: true, detail: `${what}${token.expiresAt === undefined ? '' : `; the new access token ${describeExpiry(token.expiresAt, deps.now())}`}` };
    }
    const token = await getAccessToken(sessionContext, { minTtl: 0, forceRefresh: false });
    const oauth = await import('../io/oauth.js');
    const { clientSecret } = await import('../session.js');
    const config = await oauth.connect(profile, { fetch: deps.fetch, clientSecret: clientSecret(profile, deps) });
    if (!config.serverMetadata().introspection_endpoint) {
      return { ok: true, detail: 'not confirmed online: no refresh token to try and the server offers no introspection' };
    }
    let body: unknown;
    try {
      body = await oauth.client.tokenIntrospection(config, token.accessToken);
    } catch (error) {
      throw oauth.translateOAuthError(error, 'the introspection');
    }
    const active = typeof body === 'object' && body !== null && (body as { active?: unknown }).active === true;
    return active ? { ok: true, detail: 'the introspection endpoint says the access token is active' } : { ok: false, code: 'inactive_token', detail: 'the introspection endpoint says the access token is not active' };
  } catch (error) {
    if (error instanceof ScopesError) return { ok: false, code: error.code, detail: error.message };
    return { ok: false, code: 'unexpected', detail: (error as Error)?.message ?? String(error) };
  }
}

/** One profile as `label  value` rows; a long value wraps under its column on a terminal instead of under the label. */
function renderStatus(s: ProfileStatus, current: boolean, style: Style, now: Date, width: number | undefined): string {
  const lines = [current ? style.bold(`${s.profile} (current)`) : style.bold(s.profile)];
  const LABEL = 15;
  const row = (label: string, value: Cell) => {
    const wrapped = wrapText(value, width, LABEL + 2, 0);
    lines.push(`  ${label.padEnd(LABEL)}${wrapped[0] ?? ''}`, ...wrapped.slice(1));
  };
  const plain = (text: string): Segment => ({ text });
  const dim = (text: string): Segment => ({ text, style: style.dim });
  const when = (iso: string): Segment[] => {
    const at = Date.parse(iso);
    return Number.isFinite(at) ? [plain(`${iso} `), dim(`(${relativeTime((at - now.getTime()) / 1000)})`)] : [plain(iso)];
  };
  row('issuer', s.issuer ?? dim('(not set)'));
  row('client id', s.clientId ?? dim('(not set)'));
  row('storage', s.storage);
  if (s.loggedIn) {
    row('granted', s.granted.join(' ') || dim('(none)'));
    const expires = s.expiresAt ? describeExpiry(Date.parse(s.expiresAt) / 1000, now) : 'expiry unknown';
    row('access token', [{ text: expires, style: expires.startsWith('expired') ? style.warn : undefined }, ...(s.expiresAt ? [dim(` (${s.expiresAt})`)] : [])]);
    const refresh: Segment[] = s.refreshRejectedAt
      ? [{ text: 'rejected by the server at ', style: style.bad }, ...when(s.refreshRejectedAt)]
      : [s.refreshToken ? { text: 'held', style: style.ok } : { text: 'none', style: style.warn }];
    row('refresh token', refresh);
    row('last login', s.lastLogin ? when(s.lastLogin) : dim('(unknown)'));
  }
  row('session', s.usable ? { text: 'usable', style: style.ok } : { text: s.problem ?? 'not usable', style: style.bad });
  if (s.checked) row('online check', { text: s.checked.detail, style: s.checked.ok ? style.ok : style.bad });
  return lines.join('\n');
}

export const statusAction = (deps: Deps, globalsOf: (command: Command, deps: Deps) => GlobalOptions) => (command: Command) => {
  const o = command.opts<{ check?: boolean }>();
  const only = command.optsWithGlobals<{ profile?: string }>().profile !== undefined;
  return runStatus(deps, globalsOf(command, deps), { only, check: Boolean(o.check) });
};
