/**
 * Reading the scopes an OpenAPI 3.0 / 3.1 document's operations need, from their security requirements.
 *
 * How security requirements become a `Requirement` (groups of alternatives):
 * - an operation's `security` overrides the root `security`; neither, or `security: []`, needs nothing;
 * - each requirement object is one alternative (OR); within it every scheme is needed (AND), and its scopes are
 *   the union of what its `oauth2` and `openIdConnect` schemes list;
 * - `apiKey`, `http` and `mutualTLS` schemes carry no scopes. The caller is taken to hold an OAuth token, so only
 *   alternatives with an oauth2 or openIdConnect scheme count for `required`: "an API key OR oauth2 [x]" needs `x`
 *   (one identity provider's management API says that of 708 of its 732 operations). What the operation needs when any credential
 *   counts (the key alone: nothing) is kept in `anyCredential`, and the key's scheme in `otherCredentials`. An
 *   operation no OAuth alternative can call needs no scope (`oauth: false`): no scope can help.
 * - a scope an oauth2 scheme does not declare is a warning: OpenAPI does not require the declaration.
 * - the server of an operation: its own `servers`, else its path item's, else the root's (the first of each, with
 *   variables' defaults); Swagger 2.0's `schemes`/`host`/`basePath` (swagger2.ts).
 * - "needs nothing" is always `[[]]` (see manifest.ts).
 *
 * Pure: the caller reads the file and passes its text.
 */
import type { Requirement } from './scopes.js';
import {
  HTTP_METHODS,
  Problems,
  apiUrlProblem,
  canonicalRequirement,
  describe,
  formatPath,
  isMapping,
  isRequestPath,
  loadDocument,
  own,
  readRules,
  readScopeList,
} from './manifest.js';
import type { Endpoint, JsonPath, ScopeDocument } from './manifest.js';
import { readSwagger2Schemes, readSwagger2Server } from './swagger2.js';

const OPERATION_KEYS = new Set(HTTP_METHODS.map((method) => method.toLowerCase()));
const SCHEME_TYPES = ['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'] as const;
type SchemeType = (typeof SCHEME_TYPES)[number];
const MAX_REF_HOPS = 32;
const MAX_LISTED = 10;

/** A security scheme as far as scopes are concerned; `invalid` ones were reported already and are skipped quietly. */
export type Scheme = { readonly type: SchemeType; readonly declared: ReadonlySet<string> } | { readonly type: 'invalid' };

/** Where operations are served: an absolute base URL when known, and its path either way (`/2.0`, or `''`). */
export interface ServerInfo {
  readonly url?: string;
  readonly basePath: string;
}

/** What one `security` list means for scopes. */
interface SecurityOutcome {
  /** For a caller holding an OAuth token: only alternatives with an oauth2 / openIdConnect scheme (or none at all). */
  readonly required: Requirement;
  /** When any credential counts; differs from `required` only when a scope-less alternative exists. */
  readonly anyCredential: Requirement;
  /** Some alternative asks for an oauth2 or openIdConnect scheme. */
  readonly usesOAuth: boolean;
  /** The schemes of alternatives that need only scope-less credentials (an API key…). */
  readonly otherCredentials: readonly string[];
  /** Some alternative can be met with an OAuth token (an OAuth scheme, or no scheme at all). */
  readonly oauthCanCall: boolean;
  /** `anyCredential` says something `required` does not (a scope-less alternative dropped from `required`). */
  readonly differs: boolean;
}

const NEEDS_NOTHING: SecurityOutcome = { required: [[]], anyCredential: [[]], usesOAuth: false, otherCredentials: [], oauthCanCall: true, differs: false };

/**
 * Reads an OpenAPI 3.0 or 3.1 document (JSON or YAML) into the endpoints it declares and the scopes each
 * needs. `servers[0].url` (with its variables' defaults) becomes `api` when absolute; an operation's
 * `x-scopes-probe` its `probe`; root `x-scopes-implies` / `x-scopes-preset` its implication rules.
 * Throws `DocumentError` (a `UsageError`, exit 2, code `invalid_openapi`) for a Swagger 2.0 or non-OpenAPI
 * document, `$ref`s that point outside the document, nowhere, or in a cycle, requirements naming a security scheme
 * the document does not declare, and operations asking for an oauth2 scope their scheme's flows do not declare.
 * @see https://spec.openapis.org/oas/v3.1.1.html#security-requirement-object
 */
export function parseOpenApi(text: string, fileName: string, presets?: readonly string[]): ScopeDocument {
  const code = 'invalid_openapi';
  const loaded = loadDocument(text, fileName, code);
  const problems = new Problems(fileName, loaded.locate, code);
  const root = loaded.value;
  if (!isMapping(root)) {
    return problems.fail([], `expected an OpenAPI 3.x or Swagger 2.0 document (a mapping with "openapi" and "paths"), got ${describe(root)}`);
  }
  const swagger = checkVersion(root, problems);

  const refs = new References(root, problems);
  const { schemes, declaredScopes } = swagger ? readSwagger2Schemes(root, problems) : readSecuritySchemes(root, refs, problems);
  const rootServer = swagger ? readSwagger2Server(root) : readServer(own(root, 'servers'), ['servers'], problems, true);
  const api = rootServer?.url;
  const rules = readRules(root, { implies: 'x-scopes-implies', preset: 'x-scopes-preset' }, problems, presets);
  const schemesWhere = swagger ? 'securityDefinitions' : 'components.securitySchemes';

  // Large descriptions repeat a few security lists across thousands of operations: one reading of each that had
  // nothing to report serves all (a list with a problem is read again, so each operation is named in its message).
  const outcomes = new Map<string, SecurityOutcome>();
  // Where and whose it is are made only when the list is read: most operations find theirs read already.
  const evaluate = (value: unknown, path: () => JsonPath, label: () => string): SecurityOutcome => {
    const key = securityKey(value);
    const cached = key === undefined ? undefined : outcomes.get(key);
    if (cached !== undefined) return cached;
    const before = problems.count;
    const outcome = evaluateSecurity(value, path(), label(), schemes, schemesWhere, problems);
    if (key !== undefined && problems.count === before && outcomes.size < 10_000) outcomes.set(key, outcome);
    return outcome;
  };
  const rootSecurity = Object.hasOwn(root, 'security')
    ? evaluate(root['security'], () => ['security'], () => 'the root security (the default of every operation)')
    : NEEDS_NOTHING;

  const endpoints: Endpoint[] = [];
  let anyOAuth = false;
  const paths = own(root, 'paths');
  if (paths !== undefined && !isMapping(paths)) {
    problems.error(['paths'], `expected a mapping from paths to path items, got ${describe(paths)}`);
  } else if (paths !== undefined) {
    // for…in, not Object.entries: a large description has tens of thousands of paths, each pair an array
    for (const template in paths) {
      if (!Object.hasOwn(paths, template) || template.startsWith('x-')) continue;
      const rawItem = paths[template];
      const itemPath: JsonPath = ['paths', template];
      if (!isRequestPath(template)) {
        problems.error(itemPath, `expected a path starting with "/" without spaces, got ${describe(template)}`, 'key');
        continue;
      }
      const itemServerList = swagger || !isMapping(rawItem) ? undefined : own(rawItem, 'servers');
      const itemServers = itemServerList === undefined ? undefined : readServer(itemServerList, [...itemPath, 'servers'], problems, false);
      for (const operation of operationsOf(rawItem, itemPath, refs, problems)) {
        const method = operation.method.toUpperCase();
        const security = Object.hasOwn(operation.value, 'security')
          ? evaluate(operation.value['security'], () => [...operation.path, 'security'], () => `${method} ${template}`)
          : rootSecurity;
        anyOAuth ||= security.usesOAuth;
        const probeValue = own(operation.value, 'x-scopes-probe');
        let probe: string | undefined;
        if (probeValue !== undefined) {
          if (isRequestPath(probeValue)) probe = probeValue;
          else {
            problems.error(
              [...operation.path, 'x-scopes-probe'],
              `expected a concrete path starting with "/", such as "/v1/jobs/7", got ${describe(probeValue)}`,
            );
          }
        }
        const servers = swagger ? undefined : own(operation.value, 'servers');
        const server = (servers === undefined ? undefined : readServer(servers, [...operation.path, 'servers'], problems, false)) ?? itemServers ?? rootServer;
        // one object built in place: large descriptions have tens of thousands of operations
        const endpoint: { -readonly [K in keyof Endpoint]: Endpoint[K] } = { method, path: template, required: security.required };
        if (probe !== undefined) endpoint.probe = probe;
        endpoint.source = sourceOf(operation, itemPath);
        if (server?.url !== undefined) endpoint.server = server.url;
        if (server !== undefined && server.basePath !== '') endpoint.basePath = server.basePath;
        if (security.differs) endpoint.anyCredential = security.anyCredential;
        if (security.otherCredentials.length > 0) endpoint.otherCredentials = security.otherCredentials;
        if (!security.oauthCanCall) endpoint.oauth = false;
        endpoints.push(endpoint);
      }
    }
  }

  if (endpoints.length === 0) problems.note('no operations under "paths": there is nothing to check');
  else if (!anyOAuth) problems.note('no operation asks for an oauth2 or openIdConnect scheme, so none needs a scope');

  const warnings = problems.finish();
  return { ...(api === undefined ? {} : { api }), rules, endpoints, declaredScopes, warnings, format: swagger ? 'swagger' : 'openapi' };
}

/** True for Swagger 2.0, false for OpenAPI 3.x; refuses anything else, without placing the refusal at any cost. */
function checkVersion(root: Record<string, unknown>, problems: Problems): boolean {
  const swagger = own(root, 'swagger');
  if (swagger !== undefined) {
    if (swagger === '2.0' || swagger === 2) return true;
    problems.fail(['swagger'], `this is a Swagger ${describe(swagger)} document; only Swagger 2.0 and OpenAPI 3.x are read`);
  }
  const raw = own(root, 'openapi');
  if (raw === undefined) {
    problems.fail([], 'not an OpenAPI document: expected "openapi: 3.0.x", "openapi: 3.1.x" or "swagger: \'2.0\'" at the top level');
  }
  // `openapi: 3.1` unquoted in YAML is a number
  const version = typeof raw === 'number' ? String(raw) : raw;
  if (typeof version !== 'string' || !/^3(\.\d+)*$/.test(version.trim())) {
    problems.fail(['openapi'], `only OpenAPI 3.x (and Swagger 2.0) is read: expected "3.0.x" or "3.1.x", got ${describe(raw)}`);
  }
  if (!/^3(\.[01](\.\d+)*)?$/.test(version.trim())) {
    problems.warn(['openapi'], `OpenAPI ${version} is read as 3.1: its newer features are ignored`);
  }
  return false;
}

/** The document's `#/…` references (JSON Pointer, RFC 6901, in a URI fragment). */
class References {
  constructor(
    private readonly root: Record<string, unknown>,
    private readonly problems: Problems,
  ) {}

  /** Follows `$ref` chains from `value` (found at `path`); reports and returns undefined when one is broken. */
  resolve(value: unknown, path: JsonPath): { value: unknown; path: JsonPath } | undefined {
    const seen = new Set<string>();
    let current = value;
    let currentPath = path;
    while (isMapping(current) && Object.hasOwn(current, '$ref')) {
      const ref = current['$ref'];
      const refPath = [...currentPath, '$ref'];
      if (typeof ref !== 'string') {
        this.problems.error(refPath, `expected a reference such as "#/components/securitySchemes/oauth", got ${describe(ref)}`);
        return undefined;
      }
      if (!ref.startsWith('#')) {
        this.problems.error(
          refPath,
          `${describe(ref)} points outside this document; only references inside it ("#/…") are read: bundle the document first`,
        );
        return undefined;
      }
      if (seen.has(ref) || seen.size >= MAX_REF_HOPS) {
        this.problems.error(refPath, `${describe(ref)} is part of a reference cycle`);
        return undefined;
      }
      seen.add(ref);
      const target = this.pointer(ref);
      if (target === undefined) {
        this.problems.error(refPath, `${describe(ref)} points to nothing in this document`);
        return undefined;
      }
      current = target.value;
      currentPath = target.path;
    }
    return { value: current, path: currentPath };
  }

  private pointer(ref: string): { value: unknown; path: JsonPath } | undefined {
    const pointer = ref.slice(1);
    if (pointer === '') return { value: this.root, path: [] };
    if (!pointer.startsWith('/')) return undefined;
    const path: (string | number)[] = [];
    let value: unknown = this.root;
    for (const encoded of pointer.slice(1).split('/')) {
      let segment: string;
      try {
        segment = decodeURIComponent(encoded);
      } catch {
        return undefined;
      }
      segment = segment.replaceAll('~1', '/').replaceAll('~0', '~');
      if (Array.isArray(value) && /^(0|[1-9]\d*)$/.test(segment) && Number(segment) < value.length) {
        value = value[Number(segment)];
        path.push(Number(segment));
      } else if (isMapping(value) && Object.hasOwn(value, segment)) {
        value = value[segment];
        path.push(segment);
      } else {
        return undefined;
      }
    }
    return { value, path };
  }
}

function readSecuritySchemes(
  root: Record<string, unknown>,
  refs: References,
  problems: Problems,
): { schemes: ReadonlyMap<string, Scheme>; declaredScopes: string[] } {
  const schemes = new Map<string, Scheme>();
  const declaredScopes = new Set<string>();
  const components = own(root, 'components');
  const raw = isMapping(components) ? own(components, 'securitySchemes') : undefined;
  if (raw === undefined) return { schemes, declaredScopes: [] };
  if (!isMapping(raw)) {
    problems.error(['components', 'securitySchemes'], `expected a mapping from names to security schemes, got ${describe(raw)}`);
    return { schemes, declaredScopes: [] };
  }
  for (const [name, value] of Object.entries(raw)) {
    const resolved = refs.resolve(value, ['components', 'securitySchemes', name]);
    const scheme = resolved === undefined ? undefined : readScheme(resolved.value, resolved.path, problems);
    schemes.set(name, scheme ?? { type: 'invalid' });
    if (scheme?.type === 'oauth2') for (const scope of scheme.declared) declaredScopes.add(scope);
  }
  return { schemes, declaredScopes: [...declaredScopes] };
}

function readScheme(value: unknown, path: JsonPath, problems: Problems): Scheme | undefined {
  if (!isMapping(value)) {
    problems.error(path, `expected a security scheme (a mapping with "type"), got ${describe(value)}`);
    return undefined;
  }
  const type = own(value, 'type');
  const known = SCHEME_TYPES.find((candidate) => candidate === type);
  if (known === undefined) {
    problems.error([...path, 'type'], `expected one of ${SCHEME_TYPES.join(', ')}, got ${describe(type)}`);
    return undefined;
  }
  const declared = new Set<string>();
  if (known !== 'oauth2') return { type: known, declared };
  const flows = own(value, 'flows');
  if (!isMapping(flows)) {
    problems.error([...path, 'flows'], `expected the oauth2 flows (authorizationCode, clientCredentials, …), got ${describe(flows)}`);
    return undefined;
  }
  for (const [flowName, flow] of Object.entries(flows)) {
    if (flowName.startsWith('x-')) continue;
    const scopes = isMapping(flow) ? own(flow, 'scopes') : undefined;
    if (!isMapping(scopes)) {
      const expected = 'expected a mapping from each scope to its description';
      problems.error([...path, 'flows', flowName, 'scopes'], `${expected}, got ${describe(scopes)}`);
      continue;
    }
    for (const scope of Object.keys(scopes)) declared.add(scope);
  }
  return { type: known, declared };
}

/**
 * The first entry of a `servers` list, with its variables' defaults: an absolute base URL and its path, or only the
 * path of a relative one. `root`: the document's own servers, whose problems are worth a warning (a relative URL
 * leaves `--live` without a base URL); an operation's are read quietly, falling back to the root's.
 */
function readServer(servers: unknown, listPath: JsonPath, problems: Problems, root: boolean): ServerInfo | undefined {
  const first = Array.isArray(servers) ? (servers[0] as unknown) : undefined;
  const template = isMapping(first) ? own(first, 'url') : undefined;
  if (typeof template !== 'string' || !isMapping(first)) return undefined;
  const variables = own(first, 'variables');
  const url = template.replace(/\{([^{}]+)\}/g, (whole, name: string) => {
    const variable = isMapping(variables) ? own(variables, name) : undefined;
    const fallback = isMapping(variable) ? own(variable, 'default') : undefined;
    return typeof fallback === 'string' ? fallback : whole;
  });
  const path: JsonPath = [...listPath, 0, 'url'];
  if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    const basePath = url.startsWith('/') && !/[{}\s?#]/.test(url) ? url.replace(/\/+$/, '') : '';
    if (root) {
      problems.warn(
        path,
        `${describe(url)} is relative: endpoint paths are read as written, so give the full base URL as the profile's "api"`,
      );
    }
    return basePath === '' ? undefined : { basePath };
  }
  const problem = /[{}]/.test(url) ? `a server variable has no default in ${describe(url)}` : apiUrlProblem(url);
  if (problem !== undefined) {
    problems.warn(path, `not used as the ${root ? "API's" : "operation's"} base URL: ${problem}`);
    return undefined;
  }
  const absolute = url.replace(/\/+$/, '');
  return { url: absolute, basePath: new URL(absolute).pathname.replace(/\/+$/, '') };
}

/** The operations of a path item, following its `$ref`; fields beside the `$ref` (3.1) win over the target's. */
function operationsOf(
  rawItem: unknown,
  itemPath: JsonPath,
  refs: References,
  problems: Problems,
): { method: string; value: Record<string, unknown>; path: JsonPath }[] {
  const resolved = refs.resolve(rawItem, itemPath);
  if (resolved === undefined) return [];
  if (!isMapping(resolved.value)) {
    problems.error(resolved.path, `expected a path item (a mapping of operations), got ${describe(resolved.value)}`);
    return [];
  }
  const sources = [{ value: resolved.value, path: resolved.path }];
  if (resolved.value !== rawItem && isMapping(rawItem)) sources.unshift({ value: rawItem, path: itemPath });
  const operations: { method: string; value: Record<string, unknown>; path: JsonPath }[] = [];
  const seen = new Set<string>();
  for (const source of sources) {
    for (const [key, value] of Object.entries(source.value)) {
      if (!OPERATION_KEYS.has(key) || seen.has(key)) continue;
      seen.add(key);
      if (!isMapping(value)) {
        problems.error([...source.path, key], `expected an operation (a mapping), got ${describe(value)}`);
        continue;
      }
      operations.push({ method: key, value, path: [...source.path, key] });
    }
  }
  // the order of the document, with the fields beside a $ref first: a stable order either way
  return operations;
}

/** What a `security` list says, as a string equal for equal lists; undefined for anything but names to string lists. */
function securityKey(value: unknown): string | undefined {
  if (!Array.isArray(value)) return undefined;
  let key = '';
  for (const requirement of value as unknown[]) {
    if (!isMapping(requirement)) return undefined;
    for (const name in requirement) {
      if (!Object.hasOwn(requirement, name)) continue;
      const listed = requirement[name];
      if (!Array.isArray(listed)) return undefined;
      key += `${name}\u0000`;
      for (const scope of listed as unknown[]) {
        if (typeof scope !== 'string') return undefined;
        key += `${scope}\u0001`;
      }
      key += '\u0002';
    }
    key += '\u0003';
  }
  return key;
}

/** Reads one `security` list (at `path`, for the operation `label`) against the declared schemes. */
function evaluateSecurity(
  value: unknown,
  path: JsonPath,
  label: string,
  schemes: ReadonlyMap<string, Scheme>,
  schemesWhere: string,
  problems: Problems,
): SecurityOutcome {
  if (!Array.isArray(value)) {
    problems.error(path, `expected a list of security requirements such as [{ oauth: ["videos:read"] }], got ${describe(value)}`);
    return NEEDS_NOTHING;
  }
  const oauthGroups: string[][] = [];
  const anyGroups: string[][] = [];
  let usesOAuth = false;
  const otherCredentials = new Set<string>();
  value.forEach((requirement: unknown, index) => {
    const requirementPath = [...path, index];
    if (!isMapping(requirement)) {
      problems.error(requirementPath, `expected a mapping from security scheme names to scope lists, got ${describe(requirement)}`);
      return;
    }
    const group: string[] = [];
    const scopeless: string[] = [];
    let scoped = false;
    for (const [name, listed] of Object.entries(requirement)) {
      const entryPath = [...requirementPath, name];
      const scheme = schemes.get(name);
      if (scheme === undefined) {
        const declared = [...schemes.keys()];
        problems.error(
          entryPath,
          `${label} names the security scheme ${JSON.stringify(name)}, which ${schemesWhere} does not declare ` +
            `(declared: ${declared.length === 0 ? 'none' : listSome(declared)})`,
          'key',
        );
        continue;
      }
      if (!Array.isArray(listed)) {
        problems.error(entryPath, `expected a list of scopes (or [] for none), got ${describe(listed)}`);
        continue;
      }
      if (scheme.type === 'invalid') continue;
      if (scheme.type !== 'oauth2' && scheme.type !== 'openIdConnect') {
        // OpenAPI 3.1 lets these list role names; roles are not scopes a token is granted
        scopeless.push(name);
        continue;
      }
      scoped = true;
      const scopes = readScopeList(listed, entryPath, problems);
      if (scopes === undefined) continue;
      if (scheme.type === 'oauth2') {
        scopes.forEach((scope) => {
          if (!scheme.declared.has(scope)) {
            problems.warn(
              [...entryPath, listed.indexOf(scope)],
              `${label} asks for the scope ${JSON.stringify(scope)}, which the oauth2 scheme ${JSON.stringify(name)} does not declare ` +
                `(declared: ${scheme.declared.size === 0 ? 'none' : listSome([...scheme.declared])}); read as needed all the same`,
            );
          }
        });
      }
      group.push(...scopes);
    }
    usesOAuth ||= scoped;
    // An OAuth token can meet an alternative with an OAuth scheme, or one naming no scheme (anonymous access).
    if (scoped || scopeless.length === 0) oauthGroups.push(group);
    else for (const name of scopeless) otherCredentials.add(name);
    anyGroups.push(group);
  });
  const anyCredential = canonicalRequirement(anyGroups);
  // `security: []` and a list of only broken requirements both come out as "needs nothing"
  if (oauthGroups.length === 0) {
    const differs = !(anyCredential.length === 1 && anyCredential[0]!.length === 0);
    return { required: [[]], anyCredential, usesOAuth, otherCredentials: [...otherCredentials], oauthCanCall: anyGroups.length === 0, differs };
  }
  // without a scope-less alternative both readings are the same groups: read once
  const differs = oauthGroups.length !== anyGroups.length;
  const required = differs ? canonicalRequirement(oauthGroups) : anyCredential;
  return { required, anyCredential, usesOAuth, otherCredentials: [...otherCredentials], oauthCanCall: true, differs };
}

/** `operationId getJob`; for an operation shared through a `$ref`, also the path it was reached from. */
function sourceOf(operation: { method: string; value: Record<string, unknown>; path: JsonPath }, itemPath: JsonPath): string {
  const where = (): string => formatPath([...itemPath, operation.method]);
  const operationId = own(operation.value, 'operationId');
  if (typeof operationId !== 'string' || operationId === '') return where();
  const direct =
    operation.path.length === itemPath.length + 1 && itemPath.every((segment, i) => operation.path[i] === segment);
  return direct ? `operationId ${operationId}` : `${where()} (operationId ${operationId})`;
}

function listSome(items: readonly string[]): string {
  const shown = items.slice(0, MAX_LISTED).join(', ');
  return items.length > MAX_LISTED ? `${shown}, … and ${items.length - MAX_LISTED} more` : shown;
}
