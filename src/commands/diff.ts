/**
 * `scopes diff`: what was asked for against what was granted, through the same view the login prints. Requested
 * comes from `--requested` or the last login; granted from a token's claims, introspection, or the last token response.
 */
import type { Command } from 'commander';
import type { OpenIdEvidence } from '../core/carriers.js';
import { scopesFromClaims } from '../core/carriers.js';
import { grantReport, type GrantSource } from '../core/grant.js';
import { normalizeToken } from '../core/jwt.js';
import { parseScopes } from '../core/scopes.js';
import { compileRules, decodeToken, describeScopes, providersFor, usesCommaScopes } from '../providers/index.js';
import type { Deps, GlobalOptions } from '../deps.js';
import { ExitCode, MissingScopeError, noSession, UsageError } from '../errors.js';
import { readSessionState } from '../io/state.js';
import { grantJson, renderGrant } from '../render/grant.js';
import { styleFor } from '../render/style.js';
import { widthOf, wrapText } from '../render/table.js';
import { commandContext, type CommandContext } from './context.js';
import { mergeRules, ruleFlags } from './rules.js';
import { fixTargetFor, introspectScopes } from './shared.js';
import { registerSecret } from '../io/guard.js';
import { fitFixLine, fixLine } from '../render/fix.js';
import { jsonText } from '../render/json.js';
import { descriptionsJson, renderDescriptions } from '../render/descriptions.js';

export interface DiffOptions {
  /** `--requested` values, each one or more scopes; empty for "what the last login asked". */
  readonly requested: readonly string[];
  /** A token to read granted scopes from, `-` for stdin. */
  readonly token?: string | undefined;
  readonly presets: readonly string[];
  readonly implies: readonly string[];
}

interface Granted {
  readonly scopes: string[];
  /** The token read, when it came from --token (the fix line must not assume it is the profile's). */
  readonly token?: string;
  readonly source: GrantSource;
  readonly assumed: boolean;
  /** What the last login recorded as evidenced by its id token / refresh token; absent for a token given here. */
  readonly evidence?: Readonly<Record<string, OpenIdEvidence>>;
  /** The claims of a JWT given with --token (its issuer may name the provider). */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** A line for people about where the scopes were read. */
  readonly note?: string;
}

const SOURCE_TEXT: Record<GrantSource, string> = {
  'token-response': "the last login's token response",
  jwt: "the token's claims",
  introspection: 'the introspection endpoint (RFC 7662)',
};

/**
 * `scopes diff`: requested vs granted, exit 1 when a requested scope is neither granted, implied nor evidenced.
 * With a preset whose provider writes comma lists (GitHub: `user,repo`), scope lists are also read as comma-separated.
 * @throws AuthError (3) when there is neither a last login nor `--requested`/`--token`, or introspection says the
 * token is not active; UsageError (2) for a token that is not one, or an opaque token nothing can look into;
 * MissingScopeError (1) after the report when a requested scope is missing.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export async function runDiff(deps: Deps, globals: GlobalOptions, options: DiffOptions): Promise<number> {
  const flagRules = ruleFlags(options.presets, options.implies);
  const context = await commandContext(deps, globals);
  const spec = mergeRules(context.resolved.profile, flagRules);
  const commas = usesCommaScopes(spec.preset);
  const read = (value: unknown) => parseScopes(value, { commas });

  const state = await readSessionState(context.stateDirectory, context.resolved.name);
  if (!state && options.requested.length === 0 && options.token === undefined) throw noSession(context.resolved.name);

  const requested = options.requested.length > 0 ? read(options.requested) : state ? read(state.requested) : undefined;
  if (requested === undefined) {
    throw new UsageError('Nothing to compare the token with: the profile has no login that says what it asked for.', {
      hint: 'Pass --requested "SCOPES", or run `scopes login` first.',
    });
  }
  let granted: Granted;
  if (options.token !== undefined) granted = await grantedFromToken(context, options.token, read);
  else if (state) granted = { scopes: read(state.granted), source: 'token-response', assumed: Boolean(state.grantedAssumed), evidence: recordedEvidence(state.evidenced) };
  else throw noSession(context.resolved.name);

  const report = grantReport({
    requested,
    granted: granted.scopes,
    rules: compileRules(spec),
    assumed: granted.assumed,
    source: granted.source,
    evidence: granted.evidence,
  });

  // What the scopes mean, where the profile's providers publish it (`scopes providers NAME`).
  const tokenIssuer = granted.claims !== undefined && typeof granted.claims.iss === 'string' ? granted.claims.iss : undefined;
  const providers = providersFor({ token: granted.token, issuers: [tokenIssuer, granted.token === undefined ? context.resolved.profile.issuer : undefined], preset: spec.preset });
  const described = describeScopes([...report.requested, ...report.granted], providers);
  if (globals.json) {
    deps.io.out.write(jsonText(deps.io.out, { ...grantJson(report), ...descriptionsJson(described) }));
  } else {
    const style = styleFor(deps.io.out);
    const width = widthOf(deps.io.out);
    const heading = wrapText([{ text: 'Requested vs granted', style: style.bold }, { text: ` (granted from ${SOURCE_TEXT[report.source]})`, style: style.dim }], width);
    deps.io.out.write(`${heading.join('\n')}\n\n${renderGrant(report, style, width)}`);
    if (granted.note) deps.io.out.write(`${wrapText({ text: granted.note, style: style.dim }, width).join('\n')}\n`);
    deps.io.out.write(renderDescriptions(report.notGranted, described, style, width));
    // After the table, on stdout, as probe and check end: the one line that gets what is missing.
    const fix = fixLine(report.notGranted, fixTargetFor(context, granted.token, requested));
    if (fix !== undefined) deps.io.out.write(`\n${fitFixLine(fix, width).join('\n')}\n`);
  }
  if (report.notGranted.length > 0) {
    throw new MissingScopeError(`Not granted: ${report.notGranted.join(' ')}.`);
  }
  return ExitCode.ok;
}

/** The state file is ours but may be damaged or old: only the two kinds of evidence there are. */
function recordedEvidence(evidenced: Readonly<Record<string, string>> | undefined): Record<string, OpenIdEvidence> {
  const kept: Record<string, OpenIdEvidence> = {};
  if (typeof evidenced !== 'object' || evidenced === null) return kept;
  for (const [scope, evidence] of Object.entries(evidenced)) {
    if (evidence === 'id_token' || evidence === 'refresh_token') kept[scope] = evidence;
  }
  return kept;
}

/** Granted scopes of `--token`: a JWT's claims, else introspection where the profile offers it. */
async function grantedFromToken(context: CommandContext, flag: string, read: (value: unknown) => string[]): Promise<Granted> {
  const token = normalizeToken(flag === '-' ? await context.deps.io.readStdin() : flag);
  registerSecret(context.deps, token);
  const decoded = decodeToken(token);
  if (decoded.format === 'jwt') {
    const claims = scopesFromClaims(decoded.claims);
    const exp = decoded.claims.exp;
    if (typeof exp === 'number' && exp * 1000 <= context.deps.now().getTime()) {
      context.warn('The token has expired (its exp claim is in the past): these are the scopes it held, an API would refuse it now.');
    }
    const note =
      claims.claim === null
        ? 'The token carries no scope claim (scope, scp or roles); some providers then grant full access.'
        : `Read from the "${claims.claim}" claim, without verifying the signature (see scopes inspect --verify).`;
    return { scopes: read(claims.scopes), source: 'jwt', assumed: false, note, token, claims: decoded.claims };
  }
  const introspected = await introspectScopes(context, token);
  if (introspected !== undefined) return { scopes: read(introspected), source: 'introspection', assumed: false, token };
  const what =
    decoded.format === 'jwe'
      ? 'The token is encrypted (JWE): its claims cannot be read here'
      : `The token is opaque${decoded.kind ? ` (${decoded.kind.provider} ${decoded.kind.description})` : ''}: its scopes are not inside it`;
  const via = decoded.format === 'opaque' && decoded.kind?.scopesVia ? ` Its scopes can be read from ${decoded.kind.scopesVia}.` : '';
  throw new UsageError(`${what}, and the profile has no introspection endpoint (RFC 7662) to ask.${via}`, {
    hint: 'Use a profile whose server offers introspection (an issuer with discovery, or introspectionEndpoint) and a clientId allowed to introspect.',
  });
}

/** The commander action of `scopes diff`: its flags to {@link DiffOptions}, resolving to the exit code. */
export const diffAction = (deps: Deps, globalsOf: (command: Command, deps: Deps) => GlobalOptions) => (command: Command) => {
  const o = command.opts<{ requested?: string[]; token?: string; preset?: string[]; implies?: string[] }>();
  return runDiff(deps, globalsOf(command, deps), { requested: o.requested ?? [], token: o.token, presets: o.preset ?? [], implies: o.implies ?? [] });
};
