import type { Command } from 'commander';
import { scopesFromClaims } from '../core/carriers.js';
import { grantReport, type GrantSource } from '../core/grant.js';
import { decodeToken, normalizeToken } from '../core/jwt.js';
import { parseScopes } from '../core/scopes.js';
import type { Deps, GlobalOptions } from '../deps.js';
import { ExitCode, MissingScopeError, noSession, UsageError } from '../errors.js';
import { readSessionState } from '../io/state.js';
import { grantJson, renderGrant } from '../render/grant.js';
import { styleFor } from '../render/style.js';
import { commandContext, type CommandContext } from './context.js';
import { compileMerged, ruleFlags } from './rules.js';
import { introspectScopes } from './shared.js';

export interface DiffOptions {
  readonly requested: readonly string[];
  /** A token to read granted scopes from, `-` for stdin. */
  readonly token?: string | undefined;
  readonly presets: readonly string[];
  readonly implies: readonly string[];
}

interface Granted {
  readonly scopes: string[];
  readonly source: GrantSource;
  readonly assumed: boolean;
  readonly evidence?: Record<string, 'id_token' | 'refresh_token'>;
  readonly note?: string;
}

/** `scopes diff`: requested vs granted; exit 1 when a requested scope is neither granted nor implied. */
export async function runDiff(deps: Deps, globals: GlobalOptions, options: DiffOptions): Promise<number> {
  const flagRules = ruleFlags(options.presets, options.implies);
  const context = await commandContext(deps, globals);
  const state = await readSessionState(context.stateDirectory, context.resolved.name);
  const requested = options.requested.length ? parseScopes(options.requested) : state ? [...state.requested] : undefined;
  if (requested === undefined) {
    if (options.token === undefined) throw noSession(context.resolved.name);
    throw new UsageError('Nothing to compare the token with: give --requested SCOPES, or log in first so the profile knows what it asked for.');
  }
  let granted: Granted;
  if (options.token !== undefined) granted = await grantedFromToken(context, options.token);
  else if (state) {
    granted = { scopes: [...state.granted], source: 'token-response', assumed: state.grantedAssumed, evidence: { ...(state.evidenced as Granted['evidence']) } };
  } else throw noSession(context.resolved.name);

  const report = grantReport({
    requested,
    granted: granted.scopes,
    rules: compileMerged(context.resolved.profile, flagRules),
    assumed: granted.assumed,
    source: granted.source,
  });
  // The last login recorded which OpenID scopes its id token and refresh token evidenced.
  const evidenced = { ...report.evidenced, ...Object.fromEntries(Object.entries(granted.evidence ?? {}).filter(([scope]) => report.notGranted.includes(scope))) };
  const merged = { ...report, evidenced, notGranted: report.notGranted.filter((scope) => !(scope in evidenced)) };

  if (globals.json) {
    deps.io.out.write(`${JSON.stringify(grantJson(merged))}\n`);
  } else {
    const style = styleFor(deps.io.out);
    const from = { 'token-response': 'the last login\'s token response', jwt: 'the token\'s claims', introspection: 'introspection' }[merged.source];
    deps.io.out.write(`${style.bold('Requested vs granted')} ${style.dim(`(granted from ${from})`)}\n\n${renderGrant(merged, style)}`);
    if (granted.note) deps.io.out.write(`${style.dim(granted.note)}\n`);
  }
  if (merged.notGranted.length > 0) throw new MissingScopeError(`Not granted: ${merged.notGranted.join(' ')}.`, { hint: addScopeHint(context, merged.notGranted) });
  return ExitCode.ok;
}

const addScopeHint = (context: CommandContext, missing: readonly string[]): string =>
  `To ask for them: scopes login${context.resolved.name === 'default' ? '' : ` --profile ${context.resolved.name}`} --add-scope "${missing.join(' ')}"`;

async function grantedFromToken(context: CommandContext, flag: string): Promise<Granted> {
  const raw = flag === '-' ? await context.deps.io.readStdin() : flag;
  const token = normalizeToken(raw);
  const decoded = decodeToken(token);
  if (decoded.format === 'jwt') {
    const claims = scopesFromClaims(decoded.claims);
    const note = claims.claim === null ? 'The token carries no scope claim (scope, scp or roles); some providers then grant full access.' : `Read from the "${claims.claim}" claim.`;
    return { scopes: claims.scopes, source: 'jwt', assumed: false, note };
  }
  const introspected = await introspectScopes(context, token);
  if (introspected !== undefined) return { scopes: introspected, source: 'introspection', assumed: false };
  throw new UsageError(
    decoded.format === 'jwe'
      ? 'The token is encrypted (JWE): its scopes cannot be read here, and the profile has no introspection endpoint.'
      : `The token is opaque${decoded.kind ? ` (${decoded.kind.provider} ${decoded.kind.description})` : ''}: its scopes are not inside it, and the profile has no introspection endpoint.`,
    { hint: decoded.format === 'opaque' && decoded.kind?.scopesVia ? `Its scopes can be read from ${decoded.kind.scopesVia}.` : 'Configure a profile whose issuer offers introspection (RFC 7662), or pass a JWT.' },
  );
}

export const diffAction = (deps: Deps, globalsOf: (command: Command, deps: Deps) => GlobalOptions) => (command: Command) => {
  const o = command.opts<{ requested?: string[]; token?: string; preset?: string[]; implies?: string[] }>();
  return runDiff(deps, globalsOf(command, deps), { requested: o.requested ?? [], token: o.token, presets: o.preset ?? [], implies: o.implies ?? [] });
};
