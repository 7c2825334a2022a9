import type { Command } from 'commander';
import type { Endpoint } from '../core/manifest.js';
import { minimal } from '../core/scopes.js';
import type { Deps, GlobalOptions } from '../deps.js';
import { ExitCode, UsageError } from '../errors.js';
import { commandContext } from './context.js';
import { compileMerged, ruleFlags } from './rules.js';
import { loadScopeDocument } from './shared.js';

export interface MinimalOptions {
  readonly manifest?: string | undefined;
  readonly openapi?: string | undefined;
  /** Endpoints as "GET /v1/videos"; all of the document's when empty. */
  readonly endpoints: readonly string[];
  readonly presets: readonly string[];
  readonly implies: readonly string[];
}

const templateToPattern = (path: string): RegExp =>
  new RegExp(`^${path.split(/\{[^}/]*\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+')}$`);

/** Characters outside `{…}`: of two templates a concrete path matches, the one with more of them is meant. */
const literalLength = (path: string): number => path.replace(/\{[^}/]*\}/g, '').length;

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

/**
 * The document's endpoint an argument names: the same method and path, or a concrete path of a templated one (the
 * most literal template when several match). A query string or fragment is ignored.
 * @throws UsageError (exit 2) for an argument that is not "METHOD /path", or an endpoint the document lacks (listing
 * the closest ones).
 */
export function findEndpoint(endpoints: readonly Endpoint[], wanted: string): Endpoint {
  const match = /^\s*([A-Za-z]+)\s+(\/[^\s?#]*)(?:[?#]\S*)?\s*$/.exec(wanted);
  if (!match) throw new UsageError(`"${wanted}" is not an endpoint: write it as "METHOD /path", e.g. "GET /v1/videos".`);
  const method = match[1]!.toUpperCase();
  const path = match[2]!;
  const exact = endpoints.find((endpoint) => endpoint.method === method && endpoint.path === path);
  if (exact) return exact;
  const templated = endpoints
    .filter((endpoint) => endpoint.method === method && templateToPattern(endpoint.path).test(path))
    .sort((a, b) => literalLength(b.path) - literalLength(a.path))[0];
  if (templated) return templated;
  const name = `${method} ${path}`;
  // The same path under another method first (the usual slip), then the nearest spellings.
  const near = endpoints
    .map((endpoint) => ({ endpoint, score: endpoint.path === path || templateToPattern(endpoint.path).test(path) ? -1 : distance(`${endpoint.method} ${endpoint.path}`, name) }))
    .filter(({ score }) => score <= Math.max(3, Math.floor(name.length / 3)))
    .sort((a, b) => a.score - b.score)
    .slice(0, 5);
  const list = near.map(({ endpoint }) => `  ${endpoint.method} ${endpoint.path}`).join('\n');
  throw new UsageError(`No endpoint "${name}" in the document.${list ? `\nClosest endpoints:\n${list}` : ''}`, {
    hint: near.length ? undefined : 'Run `scopes minimal --json` to list the endpoints the document has.',
  });
}

/** `scopes minimal`: the smallest scope set for the endpoints, one line ready for `--scope`. */
export async function runMinimal(deps: Deps, globals: GlobalOptions, options: MinimalOptions): Promise<number> {
  const flagRules = ruleFlags(options.presets, options.implies);
  const context = await commandContext(deps, globals);
  const loaded = await loadScopeDocument(context, options, true);
  if (!loaded) {
    throw new UsageError('No scope document: give --manifest FILE or --openapi FILE (or set "manifest" in the profile).', {
      hint: 'scopes minimal --manifest scopes.manifest.json',
    });
  }
  for (const warning of loaded.document.warnings) context.warn(warning);
  const endpoints = options.endpoints.length ? options.endpoints.map((wanted) => findEndpoint(loaded.document.endpoints, wanted)) : loaded.document.endpoints;
  const rules = compileMerged(context.resolved.profile, loaded.document.rules, flagRules);
  const result = minimal(
    endpoints.map((endpoint) => endpoint.required),
    rules,
    { candidates: loaded.document.declaredScopes ?? [] },
  );
  if (!result.exact) context.warn('The search for the smallest set ran out of budget: this set satisfies every endpoint and has no spare scope, but a smaller one may exist.');
  if (globals.json) {
    deps.io.out.write(
      `${JSON.stringify({
        scopes: result.scopes,
        endpoints: endpoints.map((endpoint) => ({ method: endpoint.method, path: endpoint.path, required: endpoint.required })),
        exact: result.exact,
        document: loaded.path,
      })}\n`,
    );
  } else {
    deps.io.out.write(`${result.scopes.join(' ')}\n`);
  }
  return ExitCode.ok;
}

/** The commander action of `scopes minimal`: flags and arguments to MinimalOptions, nothing else. */
export const minimalAction = (deps: Deps, globalsOf: (command: Command, deps: Deps) => GlobalOptions) => (command: Command) => {
  const o = command.opts<{ manifest?: string; openapi?: string; preset?: string[]; implies?: string[] }>();
  return runMinimal(deps, globalsOf(command, deps), {
    manifest: o.manifest,
    openapi: o.openapi,
    endpoints: (command.processedArgs[0] as string[] | undefined) ?? [],
    presets: o.preset ?? [],
    implies: o.implies ?? [],
  });
};
