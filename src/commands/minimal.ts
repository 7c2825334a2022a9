import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import type { HarReading, RecordedRequest } from '../core/har.js';
import { matchEndpoint } from '../core/har.js';
import type { Endpoint } from '../core/manifest.js';
import { minimal, satisfies, type Requirement, type ScopeRules } from '../core/scopes.js';
import type { Deps, GlobalOptions } from '../deps.js';
import { ExitCode, UsageError } from '../errors.js';
import { readBoundedFile } from '../io/bounded.js';
import { commandContext } from './context.js';
import { compileMerged, ruleFlags } from './rules.js';
import { credentialNotes, endpointsFor, loadScopeDocument, type Credential, type LoadedDocument } from './shared.js';
import { jsonText } from '../render/json.js';


export interface MinimalOptions {
  readonly manifest?: string | undefined;
  readonly openapi?: string | undefined;
  readonly discovery?: string | undefined;
  /** A HAR file: the endpoints its recorded requests called. */
  readonly har?: string | undefined;
  /** Endpoints as "GET /v1/videos"; all of the document's when empty. */
  readonly endpoints: readonly string[];
  readonly presets: readonly string[];
  readonly implies: readonly string[];
  readonly credential?: Credential | undefined;
}

/** Edit distance, for "did you mean"; on the first 120 characters, so a hostile argument cannot make it quadratic. */
function distance(full: string, fullOther: string): number {
  const [a, b] = [full.slice(0, 120), fullOther.slice(0, 120)];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}

const shellQuote = (text: string): string => `"${text.replace(/(["\\$`])/g, '\\$1')}"`;

/**
 * The document's endpoint an argument names: the same method and path, or a concrete path of a templated one (the
 * most literal template when several match); the path may start with the server's base path (`/2.0/files/1`), and may
 * end in an operation name (`PUT /files/{file_id}#add_shared_link`, as Box names operations). A query is ignored.
 * `command(names)`: the command to suggest, naming endpoints.
 * @throws UsageError (exit 2) for an argument that is not "METHOD /path", or an endpoint the document lacks (naming
 * the closest ones, with a command that works).
 */
export function findEndpoint(endpoints: readonly Endpoint[], wanted: string, command: (names: string[]) => string = (names) => `scopes minimal ${names.map(shellQuote).join(' ')}`): Endpoint {
  const match = /^\s*([A-Za-z]+)\s+(\/[^\s?#]*)(\?[^\s#]*)?(#\S*)?\s*$/.exec(wanted);
  if (!match) throw new UsageError(`"${wanted}" is not an endpoint: write it as "METHOD /path", e.g. "GET /v1/videos".`);
  const method = match[1]!.toUpperCase();
  const path = match[2]!;
  const fragment = match[4];
  // A "#name" must be the operation's: answering for the path without it would answer for another operation.
  const found = matchEndpoint(endpoints, { method, path, ...(fragment === undefined ? {} : { fragment }) });
  if (found) return found;
  const name = `${method} ${path}${fragment ?? ''}`;
  // The same path under another method first (the usual slip), then the nearest spellings.
  const near = endpoints
    .map((endpoint) => {
      const samePath = matchEndpoint([{ ...endpoint, method }], { method, path }) !== undefined;
      return { endpoint, score: samePath ? -1 : distance(`${endpoint.method} ${endpoint.path}`, name) };
    })
    .filter(({ score }) => score <= Math.max(3, Math.floor(name.length / 3)))
    .sort((a, b) => a.score - b.score)
    .slice(0, 5);
  const names = near.map(({ endpoint }) => `${endpoint.method} ${endpoint.path}`);
  const list = names.map((entry) => `  ${entry}`).join('\n');
  throw new UsageError(`No endpoint "${name}" in the document.${list ? `\nClosest endpoints:\n${list}` : ''}`, {
    hint: names.length > 0 ? `For the closest: ${command(names.slice(0, 2))}` : `List the endpoints the document has: ${command([])} --json`,
  });
}

/** The flag and file that name the document, for commands suggested to the user. */
function documentFlag(deps: Deps, loaded: LoadedDocument, options: MinimalOptions): string {
  const given = options.openapi ?? options.manifest ?? options.discovery;
  const file = given ?? (relative(deps.cwd, loaded.path) || loaded.path);
  const flag = options.openapi !== undefined ? '--openapi' : options.discovery !== undefined ? '--discovery' : options.manifest !== undefined ? '--manifest' : `--${loaded.kind === 'discovery' ? 'discovery' : loaded.kind === 'openapi' ? 'openapi' : 'manifest'}`;
  return `${flag} ${shellQuote(file)}`;
}

/**
 * How many of the document's operations one scope alone unlocks (satisfies, needing something), for the tie-breaks
 * of `minimal`. Counted lazily: only scopes that tie are asked about.
 */
export function unlockCounter(requirements: readonly Requirement[], rules: ScopeRules): (scope: string) => number {
  const needing = requirements.filter((required) => !(required.length === 0 || required.some((group) => group.length === 0)));
  return (scope) => needing.filter((required) => satisfies([scope], required, rules).satisfied).length;
}

/** Recorded requests matched to the document's endpoints, in the order first called. */
export interface HarMatch {
  readonly called: { endpoint: Endpoint; requests: number }[];
  readonly unmatched: RecordedRequest[];
}

export function matchHar(endpoints: readonly Endpoint[], reading: HarReading): HarMatch {
  const called = new Map<Endpoint, number>();
  const unmatched: RecordedRequest[] = [];
  for (const request of reading.requests) {
    const endpoint = matchEndpoint(endpoints, request);
    if (endpoint === undefined) unmatched.push(request);
    else called.set(endpoint, (called.get(endpoint) ?? 0) + 1);
  }
  return { called: [...called].map(([endpoint, requests]) => ({ endpoint, requests })), unmatched };
}

/** A browser's HAR export of a long session runs to tens of MiB; more is not a recording to read whole. */
const MAX_HAR_BYTES = 64 * 1024 * 1024;

/** Reads `--har FILE`. */
export async function readHar(deps: Deps, file: string): Promise<{ path: string; reading: HarReading }> {
  const path = resolve(deps.cwd, file);
  // A recording from outside: capped while read, and a FIFO or device is refused before it can hang or flood.
  const text = await readBoundedFile(path, MAX_HAR_BYTES, 'the HAR file');
  if (text === undefined) throw new UsageError(`Cannot read the HAR file ${path}: no such file.`);
  const { parseHar } = await import('../core/har.js');
  const reading = parseHar(text, path);
  // the redaction layer hides every token the recording carried, whatever prints later
  const { registerSecret } = await import('../io/guard.js');
  for (const request of reading.requests) registerSecret(deps, request.token);
  return { path, reading };
}

/** `scopes minimal`: the smallest scope set for the endpoints, one line ready for `--scope`. */
export async function runMinimal(deps: Deps, globals: GlobalOptions, options: MinimalOptions): Promise<number> {
  const flagRules = ruleFlags(options.presets, options.implies);
  const context = await commandContext(deps, globals);
  const loaded = await loadScopeDocument(context, options, true);
  if (!loaded) {
    throw new UsageError('No scope document: give --manifest FILE, --openapi FILE or --discovery FILE (or set "manifest" in the profile).', {
      hint: 'scopes minimal --manifest scopes.manifest.json',
    });
  }
  if (options.har !== undefined && options.endpoints.length > 0) throw new UsageError('Give endpoints or --har FILE, not both.');
  for (const warning of loaded.document.warnings) context.warn(warning);
  const credential = options.credential ?? 'oauth';
  const all = endpointsFor(loaded.document, credential);
  const flag = documentFlag(deps, loaded, options);
  let har: (HarMatch & { path: string; reading: HarReading }) | undefined;
  let endpoints: readonly Endpoint[];
  if (options.har !== undefined) {
    const { path, reading } = await readHar(deps, options.har);
    har = { path, reading, ...matchHar(all, reading) };
    endpoints = har.called.map(({ endpoint }) => endpoint);
  } else if (options.endpoints.length) {
    endpoints = options.endpoints.map((wanted) => findEndpoint(all, wanted, (names) => `scopes minimal ${flag}${names.map((name) => ` ${shellQuote(name)}`).join('')}`));
  } else {
    endpoints = all;
  }
  for (const note of credentialNotes(endpoints, credential)) context.warn(note);
  const rules = compileMerged(context.resolved.profile, loaded.document.rules, flagRules);
  const result = minimal(
    endpoints.map((endpoint) => endpoint.required),
    rules,
    { candidates: loaded.document.declaredScopes ?? [], unlocks: unlockCounter(all.map((endpoint) => endpoint.required), rules) },
  );
  if (!result.exact) context.warn('The search for the smallest set ran out of budget: this set satisfies every endpoint and has no spare scope, but a smaller one may exist.');

  // With --har: what the recorded token held but the calls never needed.
  let granted: { scopes: string[]; unneeded: string[] } | undefined;
  if (har !== undefined) {
    if (har.unmatched.length > 0) {
      context.warn(`${har.unmatched.length} recorded request${har.unmatched.length === 1 ? '' : 's'} matched no operation of ${options.openapi ?? options.manifest ?? options.discovery ?? loaded.path}: ${[...new Set(har.unmatched.map((request) => `${request.method} ${request.url}`))].slice(0, 10).join(', ')}`);
    }
    if (har.reading.tokenCount > 1) context.warn(`The recorded requests carried ${har.reading.tokenCount} different tokens: no granted set is read from them.`);
    if (har.reading.token !== undefined) {
      const { decodeToken } = await import('../core/jwt.js');
      const { scopesFromClaims } = await import('../core/carriers.js');
      const decoded = decodeToken(har.reading.token);
      const claims = decoded.format === 'jwt' ? scopesFromClaims(decoded.claims) : undefined;
      if (claims !== undefined && claims.claim !== null) {
        const { unusedScopes } = await import('../core/scopes.js');
        granted = { scopes: claims.scopes, unneeded: unusedScopes(claims.scopes, endpoints.map((endpoint) => endpoint.required), rules) };
        if (granted.unneeded.length > 0) context.warn(`The recorded token was granted scopes these calls never needed: ${granted.unneeded.join(' ')}`);
      } else {
        context.info('The recorded token does not say its scopes (opaque): `scopes check --har FILE` asks the introspection endpoint.');
      }
    }
  }

  if (globals.json) {
    const served = (scope: string): string[] =>
      endpoints.filter((endpoint) => satisfies([scope], endpoint.required, rules).satisfied && !endpoint.required.some((group) => group.length === 0)).map((endpoint) => `${endpoint.method} ${endpoint.path}`);
    deps.io.out.write(
      jsonText(deps.io.out, {
        scopes: result.scopes,
        endpoints: endpoints.map((endpoint) => ({
          method: endpoint.method,
          path: endpoint.path,
          required: endpoint.required,
          ...(endpoint.otherCredentials ? { otherCredentials: endpoint.otherCredentials } : {}),
          ...(endpoint.oauth === false ? { oauth: false } : {}),
        })),
        exact: result.exact,
        document: loaded.path,
        credential,
        why: Object.fromEntries(result.scopes.map((scope) => [scope, { for: served(scope), over: result.reasons[scope] ?? [] }])),
        ...(har === undefined
          ? {}
          : {
              har: {
                file: har.path,
                requests: har.reading.requests.length,
                called: har.called.map(({ endpoint, requests }) => ({ method: endpoint.method, path: endpoint.path, requests })),
                unmatched: har.unmatched.map((request) => ({ method: request.method, url: request.url })),
                ...(granted === undefined ? {} : { granted: granted.scopes, unneeded: granted.unneeded }),
              },
            }),
      }),
    );
  } else {
    deps.io.out.write(`${result.scopes.join(' ')}\n`);
  }
  return ExitCode.ok;
}

export const parseCredential = (value: string | undefined): Credential | undefined => {
  if (value === undefined) return undefined;
  if (value === 'oauth' || value === 'any') return value;
  throw new UsageError(`--credential must be "oauth" or "any", got ${JSON.stringify(value)}.`);
};

/** The commander action of `scopes minimal`: flags and arguments to MinimalOptions, nothing else. */
export const minimalAction = (deps: Deps, globalsOf: (command: Command, deps: Deps) => GlobalOptions) => (command: Command) => {
  const o = command.opts<{ manifest?: string; openapi?: string; discovery?: string; har?: string; credential?: string; preset?: string[]; implies?: string[] }>();
  return runMinimal(deps, globalsOf(command, deps), {
    manifest: o.manifest,
    openapi: o.openapi,
    discovery: o.discovery,
    har: o.har,
    credential: parseCredential(o.credential),
    endpoints: (command.processedArgs[0] as string[] | undefined) ?? [],
    presets: o.preset ?? [],
    implies: o.implies ?? [],
  });
};

