/**
 * Laserfiche Cloud APIs (Repository API, Table API). Its granular scopes have a shape the `path-rights` preset (an
 * alias of this provider) understands: `<resource>[/<path>].<Rights>`.
 * Setup: pre-approve the app's scopes in the Laserfiche Developer Console; tokens are then issued for those or
 * narrower ones (reference/seeds/004).
 * @see https://developer.laserfiche.com/docs/guides/guide_oauth_2.0_scopes/
 */
import type { Provider } from './types.js';

/*
 * Path rights (Laserfiche, seed 004): `<resource>[/<path>].<Rights>`, Rights a run of capitalised words
 * (`Read`, `Write`, `ReadWrite`). A shorter path holds its sub-paths (on `/` boundaries), no path holds the whole
 * resource, and more rights hold fewer. Laserfiche names two resources, `repository` and `odata4/table`; its broad
 * Table API scopes are spelled `table.Read` / `table.Write` and granular ones may be requested under them, so
 * `table` is read as `odata4/table`.
 */
const COMPOUND_RESOURCES: ReadonlySet<string> = new Set(['odata4/table']);
const RESOURCE_ALIASES: ReadonlyMap<string, string> = new Map([['table', 'odata4/table']]);
const RIGHTS = /^(?:[A-Z][a-z]*)+$/;
const RIGHT_WORD = /[A-Z][a-z]*/g;

interface PathRightsScope {
  readonly resource: string;
  readonly path: readonly string[];
  readonly rights: ReadonlySet<string>;
}

function pathRightsParse(scope: string): PathRightsScope | undefined {
  const dot = scope.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const rights = scope.slice(dot + 1);
  if (!RIGHTS.test(rights)) return undefined;
  const segments = scope.slice(0, dot).split('/');
  if (segments.some((segment) => segment === '')) return undefined;
  const compound = segments.length >= 2 ? `${segments[0]}/${segments[1]}` : '';
  const [resource, path] = COMPOUND_RESOURCES.has(compound)
    ? [compound, segments.slice(2)]
    : [segments[0] as string, segments.slice(1)];
  return {
    resource: RESOURCE_ALIASES.get(resource) ?? resource,
    path,
    rights: new Set(rights.match(RIGHT_WORD) ?? []),
  };
}

const pathRightsContains = (granted: string, needed: string): boolean => {
  const have = pathRightsParse(granted);
  const want = pathRightsParse(needed);
  if (have === undefined || want === undefined || have.resource !== want.resource) return false;
  if (have.path.length > want.path.length || have.path.some((segment, i) => segment !== want.path[i])) return false;
  for (const right of want.rights) if (!have.rights.has(right)) return false;
  return true;
};

export const laserfiche: Provider = {
  id: 'laserfiche',
  name: 'Laserfiche',
  aliases: ['path-rights'],
  docs: ['https://developer.laserfiche.com/docs/guides/guide_oauth_2.0_scopes/'],
  rules: { contains: pathRightsContains },
  // Seed 004: "OAuth 2.0 Scopes for Laserfiche APIs".
  catalogue: {
    'repository.Read': 'Allows the app to read the content of Laserfiche repositories on behalf of the signed-in user.',
    'repository.Write': 'Allows the app to modify the content of Laserfiche repositories on behalf of the signed-in user.',
    'table.Read': 'Allows the app to read the content of Laserfiche lookup tables on behalf of the signed-in user.',
    'table.Write': 'Allows the app to modify the content of Laserfiche lookup tables on behalf of the signed-in user.',
  },
};
