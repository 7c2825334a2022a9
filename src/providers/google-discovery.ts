/**
 * Reading Google API discovery documents (`kind: discovery#restDescription`), Google's own description format: nested
 * `resources`, each with `methods` that carry `httpMethod`, `path` (or `flatPath`, relative to `servicePath`) and
 * `scopes`, any one of which suffices. Its endpoints are read with the `google` implication preset
 * (`…/auth/drive` ⊇ `…/auth/drive.readonly`), since every scope in it is Google's.
 *
 * Pure: the caller reads the file and passes its text.
 * @see https://developers.google.com/discovery/v1/reference/apis
 */
import type { Endpoint, JsonPath, ScopeDocument } from '../core/manifest.js';
import { HTTP_METHODS, Problems, apiUrlProblem, describe, isMapping, loadDocument, own, readScopeList } from '../core/manifest.js';

const MAX_DEPTH = 32;

/**
 * Reads a discovery document into endpoints: `rootUrl` + `servicePath` is the server (`api`), `/` + the method's
 * `flatPath` (else `path`, with `{+name}` read as `{name}`) its path, and `scopes` one alternative each.
 * Throws `DocumentError` (exit 2, code `invalid_discovery`) for a document that is not a discovery document.
 */
export function parseDiscovery(text: string, fileName: string): ScopeDocument {
  const code = 'invalid_discovery';
  const loaded = loadDocument(text, fileName, code);
  const problems = new Problems(fileName, loaded.locate, code);
  const root = loaded.value;
  if (!isMapping(root) || (own(root, 'kind') !== 'discovery#restDescription' && !isMapping(own(root, 'resources')))) {
    return problems.fail([], 'not a Google API discovery document: expected "kind": "discovery#restDescription" with "resources"');
  }
  const declared = new Set<string>();
  const auth = own(root, 'auth');
  const oauth2 = isMapping(auth) ? own(auth, 'oauth2') : undefined;
  const declaredScopes = isMapping(oauth2) ? own(oauth2, 'scopes') : undefined;
  if (isMapping(declaredScopes)) for (const scope of Object.keys(declaredScopes)) declared.add(scope);

  const rootUrl = own(root, 'rootUrl');
  const servicePath = own(root, 'servicePath');
  const baseUrl = own(root, 'baseUrl');
  const candidate =
    typeof rootUrl === 'string' && typeof servicePath === 'string'
      ? `${rootUrl.replace(/\/+$/, '')}/${servicePath.replace(/^\/+/, '')}`
      : typeof baseUrl === 'string' ? baseUrl : undefined;
  let api: string | undefined;
  if (candidate !== undefined) {
    const problem = apiUrlProblem(candidate.replace(/\/+$/, ''));
    if (problem === undefined) api = candidate.replace(/\/+$/, '');
    else problems.warn(['rootUrl'], `not used as the API's base URL: ${problem}`);
  }
  const basePath = api === undefined ? '' : new URL(api).pathname.replace(/\/+$/, '');

  const endpoints: Endpoint[] = [];
  const seen = new Set<string>();
  const walk = (resources: unknown, path: JsonPath, depth: number): void => {
    if (resources === undefined) return;
    if (!isMapping(resources) || depth > MAX_DEPTH) {
      problems.error(path, `expected a mapping of resources, got ${describe(resources)}`);
      return;
    }
    for (const [name, resource] of Object.entries(resources)) {
      if (!isMapping(resource)) {
        problems.error([...path, name], `expected a resource (a mapping with "methods" or "resources"), got ${describe(resource)}`);
        continue;
      }
      const methods = own(resource, 'methods');
      if (methods !== undefined && !isMapping(methods)) problems.error([...path, name, 'methods'], `expected a mapping of methods, got ${describe(methods)}`);
      else if (methods !== undefined) {
        for (const [methodName, method] of Object.entries(methods)) {
          const endpoint = readMethod(method, [...path, name, 'methods', methodName], declared, problems);
          if (endpoint === undefined) continue;
          const key = `${endpoint.method} ${endpoint.path}`;
          if (seen.has(key)) continue; // the same call reachable twice (an alias resource): one endpoint
          seen.add(key);
          endpoints.push({ ...endpoint, ...(api === undefined ? {} : { server: api }), ...(basePath === '' ? {} : { basePath }) });
        }
      }
      walk(own(resource, 'resources'), [...path, name, 'resources'], depth + 1);
    }
  };
  // Some APIs have methods at the top level too.
  const topMethods = own(root, 'methods');
  if (topMethods !== undefined) walk({ '': { methods: topMethods } }, [], 0);
  walk(own(root, 'resources'), ['resources'], 0);
  if (endpoints.length === 0) problems.note('no methods under "resources": there is nothing to check');
  const warnings = problems.finish();
  return {
    ...(api === undefined ? {} : { api }),
    rules: { preset: 'google' },
    endpoints,
    declaredScopes: [...declared],
    warnings,
    format: 'discovery',
  };
}

function readMethod(value: unknown, path: JsonPath, declared: ReadonlySet<string>, problems: Problems): Endpoint | undefined {
  if (!isMapping(value)) {
    problems.error(path, `expected a method (a mapping with "httpMethod" and "path"), got ${describe(value)}`);
    return undefined;
  }
  const httpMethod = own(value, 'httpMethod');
  const method = typeof httpMethod === 'string' ? httpMethod.toUpperCase() : undefined;
  if (method === undefined || !(HTTP_METHODS as readonly string[]).includes(method)) {
    problems.error([...path, 'httpMethod'], `expected one of ${HTTP_METHODS.join(', ')}, got ${describe(httpMethod)}`);
    return undefined;
  }
  const flat = own(value, 'flatPath');
  const raw = typeof flat === 'string' ? flat : own(value, 'path');
  if (typeof raw !== 'string' || /[\s\x00-\x1f\x7f]/.test(raw)) {
    problems.error([...path, 'path'], `expected a path relative to the service path, got ${describe(raw)}`);
    return undefined;
  }
  const requestPath = `/${raw.replace(/^\/+/, '').replace(/\{\+([^{}]+)\}/g, '{$1}')}`;
  const listed = own(value, 'scopes');
  let required: string[][] = [[]];
  if (listed !== undefined) {
    const scopes = readScopeList(listed, [...path, 'scopes'], problems);
    if (scopes !== undefined && scopes.length > 0) {
      for (const scope of scopes) {
        if (declared.size > 0 && !declared.has(scope)) {
          problems.warn([...path, 'scopes'], `${method} ${requestPath} lists the scope ${JSON.stringify(scope)}, which auth.oauth2.scopes does not declare`);
        }
      }
      // any one of the listed scopes suffices
      required = scopes.map((scope) => [scope]);
    }
  }
  const id = own(value, 'id');
  return { method, path: requestPath, required, source: typeof id === 'string' ? `method ${id}` : path.join('.') };
}
