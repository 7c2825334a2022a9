/**
 * Defaults shared by commander's wiring (src/cli.ts) and the fast path of `scopes token` (src/main.ts), which must
 * give a command the same options. No imports: both paths load this at start-up.
 */
import type { Deps, GlobalOptions } from './deps.js';

/** The global options from what was given on the command line, else the environment, else the defaults. */
export function defaultGlobals(
  deps: Pick<Deps, 'env'>,
  given: { profile?: string | undefined; config?: string | undefined; json?: boolean | undefined; verbose?: boolean | undefined },
): GlobalOptions {
  return {
    profile: given.profile ?? (deps.env.SCOPES_PROFILE || 'default'),
    config: given.config,
    json: Boolean(given.json),
    verbose: Boolean(given.verbose) || deps.env.SCOPES_DEBUG === '1',
  };
}

/** What `scopes token` does without options: refresh when less than a minute is left. */
export const TOKEN_DEFAULTS = { minTtl: 60, forceRefresh: false } as const;
