import { relative } from 'node:path';
import type { Command } from 'commander';
import { OPENID_SCOPES } from '../core/carriers.js';
import { templateOf } from '../core/har.js';
import type { Endpoint } from '../core/manifest.js';
import { findCover, holdScopes, minimal, satisfies, unusedScopes, type HeldScopes, type Requirement, type ScopeRules } from '../core/scopes.js';
import type { Deps, GlobalOptions } from '../deps.js';
import { ExitCode, UsageError } from '../errors.js';
import { checkEndpointJson, checkJson, renderCheck, renderGithub, type CheckedEndpoint, type CheckReport } from '../render/check.js';
import { styleFor } from '../render/style.js';
import { widthOf } from '../render/table.js';
import { commandContext, type CommandContext } from './context.js';
import { matchHar, parseCredential, readHar } from './minimal.js';
import { compileMerged, ruleFlags } from './rules.js';
import { credentialNotes, endpointsFor, fixTargetFor, introspectScopes, loadScopeDocument, resolveToken, type Credential, type LoadedDocument, type TokenInfo } from './shared.js';
import { permitInsecure } from '../io/guard.js';
import { refuseExposedBearer } from '../io/transport.js';
import { fitFixLine, fixLine } from '../render/fix.js';
import { writeJson } from '../render/json.js';

export interface CheckOptions {
  readonly manifest?: string | undefined;
  readonly openapi?: string | undefined;
  readonly discovery?: string | undefined;
  /** A HAR file: only the operations its recorded requests called; its token, when all carried the same, is judged. */
  readonly har?: string | undefined;
  readonly credential?: Credential | undefined;
  readonly token?: string | undefined;
  readonly live: boolean;
  readonly failOnUnused: boolean;
  readonly format: 'text' | 'github';
  /** `--live` may send the token over plain http to a host that is not loopback. */
  readonly allowInsecure?: boolean;
  readonly presets: readonly string[];
  readonly implies: readonly string[];
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const isTemplated = (path: string): boolean => /\{[^}]*\}/.test(path);

/**
 * `scopes check`: a CI gate. Every endpoint of the document is judged against the granted scopes (with
 * implication rules); exit 1 when one is not satisfied, or when a granted scope is unused and --fail-on-unused.
 */
export async function runCheck(deps: Deps, globals: GlobalOptions, options: CheckOptions): Promise<number> {
  const flagRules = ruleFlags(options.presets, options.implies);
  const context = await commandContext(deps, globals);
  const loaded = await loadScopeDocument(context, options, true);
  if (!loaded) {
    throw new UsageError('No scope document to check: give --manifest FILE, --openapi FILE or --discovery FILE (or set "manifest" in the profile).', {
      hint: 'scopes check --manifest scopes.manifest.json',
    });
  }
  for (const warning of loaded.document.warnings) context.warn(warning);
  const rules = compileMerged(context.resolved.profile, loaded.document.rules, flagRules);
  const credential = options.credential ?? 'oauth';
  let documentEndpoints: readonly Endpoint[] = endpointsFor(loaded.document, credential);
  let tokenFlag = options.token;
  let har: CheckReport['har'];
  if (options.har !== undefined) {
    const { reading } = await readHar(deps, options.har);
    const matched = matchHar(documentEndpoints, reading);
    documentEndpoints = matched.called.map(({ endpoint }) => endpoint);
    har = { file: options.har, requests: reading.requests.length, unmatched: matched.unmatched.map((request) => ({ method: request.method, url: request.url })) };
    if (reading.tokenCount > 1 && tokenFlag === undefined) context.warn(`The recorded requests carried ${reading.tokenCount} different tokens: judging the profile's token instead (or give --token).`);
    // The token the application used is the one whose scopes are in question; never printed.
    if (tokenFlag === undefined && reading.token !== undefined) tokenFlag = reading.token;
  }
  // Before any token is minted: a --live run that cannot know where the API is should fail at once.
  const api = options.live && documentEndpoints.some((endpoint) => endpoint.server === undefined) ? apiBase(context, loaded) : undefined;
  // And every server the token would go to (each operation's own, else the document's or the profile's) is held to the
  // transport rules before the token is read or minted: plain http off loopback is refused.
  if (options.live) {
    const servers = new Set(documentEndpoints.filter((endpoint) => SAFE.has(endpoint.method)).map((endpoint) => endpoint.server ?? api));
    for (const server of servers) if (server !== undefined) refuseExposedBearer(server, Boolean(options.allowInsecure));
    if (options.allowInsecure) permitInsecure(deps);
  }
  const token = await grantedOf(context, tokenFlag);

  // The grant read once: thousands of endpoints are judged against the same scopes; and operations that inherit the
  // root security share one requirement, judged once.
  const held = holdScopes(token.granted, rules);
  const verdicts = new Map<Requirement, ReturnType<typeof satisfies>>();
  const endpoints: CheckedEndpoint[] = documentEndpoints.map((endpoint) => {
    let verdict = verdicts.get(endpoint.required);
    if (verdict === undefined) verdicts.set(endpoint.required, (verdict = satisfies(held, endpoint.required, rules)));
    // built in place, not spread: one object for each of up to 100,000 operations
    const checked: { -readonly [K in keyof CheckedEndpoint]: CheckedEndpoint[K] } = {
      method: endpoint.method,
      path: endpoint.path,
      required: endpoint.required,
      satisfied: verdict.satisfied,
      missing: verdict.missing,
      coveredBy: verdict.coveredBy,
      live: null,
    };
    if (endpoint.otherCredentials) checked.otherCredentials = endpoint.otherCredentials;
    if (endpoint.oauth === false) checked.oauth = false;
    return checked;
  });
  if (options.live) await probeLive(context, api, documentEndpoints, endpoints, token, rules);

  // openid, profile, email… are the login's, not the API's: unless the document itself asks for them.
  const used = new Set(loaded.document.declaredScopes ?? []);
  for (const endpoint of documentEndpoints) for (const group of endpoint.required) for (const scope of group) used.add(scope);
  const openid = new Set<string>(OPENID_SCOPES.filter((scope) => !used.has(scope)));
  // distinct requirements only: operations sharing one (the root security) need not be read again
  const distinct = [...new Set(documentEndpoints.map((endpoint) => endpoint.required))];
  const unused = unusedScopes(token.granted, distinct, rules).filter((scope) => !openid.has(scope));
  const ok = endpoints.every((endpoint) => endpoint.satisfied) && !(options.failOnUnused && unused.length > 0);
  const notes = credentialNotes(documentEndpoints, credential);
  const fix = fixLine(scopesToFix(endpoints, held, rules), fixTargetFor(context, options.token === undefined ? undefined : token.token, token.granted));
  const report: CheckReport = {
    ok,
    document: loaded.path,
    endpoints,
    unused,
    granted: token.granted,
    source: token.source,
    failOnUnused: options.failOnUnused,
    credential,
    notes,
    ...(har ? { har } : {}),
    ...(fix === undefined ? {} : { fix }),
  };

  // The endpoints written a thousand at a time: a 40 MB description's report is 16 MB of JSON.
  if (globals.json) writeJson(deps.io.out, checkJson({ ...report, endpoints: [] }), 'endpoints', report.endpoints, checkEndpointJson);
  else if (options.format === 'github') deps.io.out.write(renderGithub(report, relative(deps.cwd, loaded.path) || loaded.path));
  else {
    deps.io.out.write(renderCheck(report, styleFor(deps.io.out), widthOf(deps.io.out)));
    // After the table, on stdout, as diff and probe end: the one line that gets what is missing.
    if (fix !== undefined) deps.io.out.write(`\n${fitFixLine(fix, widthOf(deps.io.out)).join('\n')}\n`);
  }
  return ok ? ExitCode.ok : ExitCode.missingScope;
}

/**
 * The smallest set of scopes to add so that every unsatisfied endpoint is satisfied: each requirement shrunk to what
 * the token lacks (alternatives kept), and what a --live refusal named where the document thought it enough.
 */
function scopesToFix(endpoints: readonly CheckedEndpoint[], held: HeldScopes, rules: ScopeRules): string[] {
  const needs: string[][][] = [];
  // Operations with equal security share one requirement object: each is reduced once (a 40 MB description has
  // 95,000 operations and a few hundred distinct requirements). A --live refusal is the endpoint's own.
  const reducedAlready = new Set<Requirement>();
  for (const endpoint of endpoints) {
    if (endpoint.satisfied) continue;
    if (endpoint.live === null) {
      if (reducedAlready.has(endpoint.required)) continue;
      reducedAlready.add(endpoint.required);
    }
    const reduced = endpoint.required.map((group) => group.filter((scope) => findCover(held, scope, rules) === undefined));
    if (reduced.length > 0 && reduced.every((group) => group.length > 0)) needs.push(reduced);
    else if (endpoint.missing.length > 0) needs.push([endpoint.missing]);
  }
  return needs.length === 0 ? [] : minimal(needs, rules).scopes;
}

/** The token's scopes, by its claims, the token response, or introspection; refusing to guess when none tells. */
async function grantedOf(context: CommandContext, flag: string | undefined): Promise<TokenInfo> {
  const token = await resolveToken(context, flag);
  if (token.known) return token;
  const introspected = await introspectScopes(context, token.token);
  if (introspected !== undefined) return { ...token, granted: introspected, known: true, source: 'introspection' };
  throw new UsageError("Cannot tell which scopes the token holds: it is opaque (or a JWT without a scope claim) and the profile has no introspection endpoint.", {
    hint: 'Use a JWT access token, or a profile with an issuer that offers introspection (and its client credentials).',
  });
}

/** The base URL `--live` appends paths to: the document's `api`, else the profile's. */
function apiBase(context: CommandContext, loaded: LoadedDocument): string {
  const api = loaded.document.api ?? context.resolved.profile.api?.replace(/\/+$/, '');
  if (!api) {
    throw new UsageError(`--live needs the API's base URL: ${loaded.path} has none, and the profile no "api" either.`, {
      hint: 'Add "api": "https://api.example.com" to the manifest (or servers[0].url to the OpenAPI document), or to the profile.',
    });
  }
  return api;
}

/**
 * `--live`: the safe endpoints are called too, each at its own server (the operation's, its path item's, the
 * document's, else the profile's `api`); an API that refuses what the document says is enough fails the check. The
 * engine keeps the token within the origin of each URL (no redirect elsewhere).
 */
async function probeLive(context: CommandContext, api: string | undefined, documentEndpoints: readonly Endpoint[], endpoints: CheckedEndpoint[], token: TokenInfo, rules: ScopeRules): Promise<void> {
  const { probeEndpoints } = await import('../probe/engine.js');
  const chosen: number[] = [];
  const targets = [];
  for (const [index, endpoint] of documentEndpoints.entries()) {
    const entry = endpoints[index]!;
    if (!SAFE.has(endpoint.method)) {
      endpoints[index] = { ...entry, liveNote: `not called: ${endpoint.method} may change data` };
      continue;
    }
    const template = templateOf(endpoint.path);
    const path = endpoint.probe ?? (isTemplated(template) ? undefined : template);
    if (path === undefined) {
      endpoints[index] = { ...entry, liveNote: 'not called: the path is templated and has no "probe" path' };
      continue;
    }
    // runCheck held every server to the transport rules before the token was minted
    const base = endpoint.server ?? api!;
    chosen.push(index);
    targets.push({ method: endpoint.method, url: `${base}${path}`, declared: endpoint.required, label: `${endpoint.method} ${endpoint.path}` });
  }
  if (context.deps.io.err.isTTY && targets.length > 1) context.info(`probing ${targets.length} endpoints…`);
  const results = await probeEndpoints(targets, {
    token: token.token,
    granted: token.granted,
    grantedKnown: token.known,
    rules,
    fetch: context.deps.fetch,
    concurrency: 8,
    timeoutMs: 10_000,
    allowUnsafe: false,
  });
  results.forEach((result, i) => {
    const index = chosen[i]!;
    const entry = endpoints[index]!;
    // The API is the truth: if it refuses for a scope, the endpoint is not satisfied whatever the document says.
    const refused = result.outcome === 'missing_scope' || result.missing.length > 0;
    // Not a scope verdict (a rejected token, a refusal for another reason, an unreachable API), but a live check that
    // could not confirm the document must not pass in silence.
    if (!refused && result.outcome !== 'ok') {
      const answer = `${result.status === null ? '' : `HTTP ${result.status}, `}${result.outcome.replace('_', ' ')}${result.error ? `: ${result.error}` : ''}`;
      context.warn(`--live: ${entry.method} ${entry.path} (${answer}) told nothing about scopes; judged from the document alone.`);
    }
    endpoints[index] = {
      ...entry,
      live: result,
      satisfied: entry.satisfied && !refused,
      missing: refused ? [...new Set([...entry.missing, ...result.missing])] : entry.missing,
    };
  });
}

/** The commander action of `scopes check`: flags to CheckOptions, nothing else. */
export const checkAction = (deps: Deps, globalsOf: (command: Command, deps: Deps) => GlobalOptions) => (command: Command) => {
  const o = command.opts<{ manifest?: string; openapi?: string; discovery?: string; har?: string; credential?: string; token?: string; live?: boolean; allowInsecure?: boolean; failOnUnused?: boolean; format: 'text' | 'github'; preset?: string[]; implies?: string[] }>();
  return runCheck(deps, globalsOf(command, deps), {
    manifest: o.manifest,
    openapi: o.openapi,
    discovery: o.discovery,
    har: o.har,
    credential: parseCredential(o.credential),
    token: o.token,
    live: Boolean(o.live),
    allowInsecure: Boolean(o.allowInsecure),
    failOnUnused: Boolean(o.failOnUnused),
    format: o.format,
    presets: o.preset ?? [],
    implies: o.implies ?? [],
  });
};
