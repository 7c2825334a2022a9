/**
 * What Swagger 2.0 (OpenAPI 2.0) says differently from OpenAPI 3 about scopes and servers; the rest (paths, operations,
 * `security` lists, `$ref`s) is read by openapi.ts into the same model.
 * - `securityDefinitions` (not `components.securitySchemes`): `oauth2` with its `scopes` right on the scheme and one
 *   `flow`; `apiKey`; `basic` (HTTP basic, which carries no scopes either);
 * - the server is `schemes` + `host` + `basePath` (no `servers`): https when listed, else the first scheme.
 *
 * Pure: the caller passes the parsed document.
 * @see https://swagger.io/specification/v2/#security-definitions-object
 */
import { Problems, describe, isMapping, own } from './manifest.js';
import type { JsonPath } from './manifest.js';
import type { Scheme, ServerInfo } from './openapi.js';

const SWAGGER_TYPES = { apiKey: 'apiKey', basic: 'http', oauth2: 'oauth2' } as const;

/** `securityDefinitions`, as the schemes openapi.ts evaluates `security` lists against. */
export function readSwagger2Schemes(
  root: Record<string, unknown>,
  problems: Problems,
): { schemes: Map<string, Scheme>; declaredScopes: string[] } {
  const schemes = new Map<string, Scheme>();
  const declaredScopes = new Set<string>();
  const raw = own(root, 'securityDefinitions');
  if (raw === undefined) return { schemes, declaredScopes: [] };
  if (!isMapping(raw)) {
    problems.error(['securityDefinitions'], `expected a mapping from names to security schemes, got ${describe(raw)}`);
    return { schemes, declaredScopes: [] };
  }
  for (const [name, value] of Object.entries(raw)) {
    const path: JsonPath = ['securityDefinitions', name];
    const type = isMapping(value) ? own(value, 'type') : undefined;
    const known = typeof type === 'string' && Object.hasOwn(SWAGGER_TYPES, type) ? SWAGGER_TYPES[type as keyof typeof SWAGGER_TYPES] : undefined;
    if (!isMapping(value) || known === undefined) {
      problems.error(isMapping(value) ? [...path, 'type'] : path, `expected a security scheme of type apiKey, basic or oauth2, got ${describe(isMapping(value) ? type : value)}`);
      schemes.set(name, { type: 'invalid' });
      continue;
    }
    const declared = new Set<string>();
    if (known === 'oauth2') {
      const scopes = own(value, 'scopes');
      if (!isMapping(scopes)) {
        problems.error([...path, 'scopes'], `expected a mapping from each scope to its description, got ${describe(scopes)}`);
      } else {
        for (const scope of Object.keys(scopes)) {
          declared.add(scope);
          declaredScopes.add(scope);
        }
      }
    }
    schemes.set(name, { type: known, declared });
  }
  return { schemes, declaredScopes: [...declaredScopes] };
}

/** `schemes://host/basePath`: the base URL when `host` is given, and the base path either way. */
export function readSwagger2Server(root: Record<string, unknown>): ServerInfo | undefined {
  const host = own(root, 'host');
  const basePathValue = own(root, 'basePath');
  const basePath = typeof basePathValue === 'string' && basePathValue.startsWith('/') ? basePathValue.replace(/\/+$/, '') : '';
  const schemes = own(root, 'schemes');
  const listed = Array.isArray(schemes) ? schemes.filter((scheme): scheme is string => scheme === 'https' || scheme === 'http') : [];
  const scheme = listed.includes('https') || listed.length === 0 ? 'https' : 'http';
  if (typeof host !== 'string' || !/^[A-Za-z0-9.-]+(:\d+)?$/.test(host)) return basePath === '' ? undefined : { basePath };
  return { url: `${scheme}://${host}${basePath}`, basePath };
}
