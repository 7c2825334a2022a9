/**
 * What scopes mean, from the scope catalogues of the providers a profile or token names (`describeScopes` in
 * src/providers/): one dim `scope: description` line each for people, a `descriptions` object for `--json`. Shared by
 * `diff`, `login` and `inspect` so the three explain scopes alike.
 */
import type { Style } from './style.js';
import { wrapText } from './table.js';

/** `{ descriptions }` to spread into a --json document, or nothing when no catalogue described a scope. */
export function descriptionsJson(described: Readonly<Record<string, string>>): { descriptions?: Record<string, string> } {
  return Object.keys(described).length === 0 ? {} : { descriptions: { ...described } };
}

/** One wrapped, dim `scope: description` line per described scope of `scopes` (in their order); '' when none. */
export function renderDescriptions(scopes: readonly string[], described: Readonly<Record<string, string>>, style: Style, width: number | undefined, indent = 2): string {
  const lines: string[] = [];
  for (const scope of new Set(scopes)) {
    const description = Object.hasOwn(described, scope) ? described[scope] : undefined;
    if (description !== undefined) lines.push(...wrapText({ text: `${scope}: ${description}`, style: style.dim }, width, indent + 2, indent));
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
