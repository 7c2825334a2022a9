import type { Command } from 'commander';
import type { Deps, GlobalOptions } from '../deps.js';
import { ExitCode } from '../errors.js';
import { getAccessToken } from '../session.js';
import { formatToken } from '../stored-token.js';
import { commandContext } from './context.js';

export interface TokenOptions {
  readonly minTtl: number;
  readonly forceRefresh: boolean;
  /** `--need`: print only a token whose granted scopes cover these (else exit 1). */
  readonly need?: readonly string[] | undefined;
}

/** `scopes token`: one valid access token and a newline on stdout, nothing else. */
export async function runToken(deps: Deps, globals: GlobalOptions, options: TokenOptions): Promise<number> {
  const context = await commandContext(deps, globals);
  const request = { minTtl: options.minTtl, forceRefresh: options.forceRefresh };
  const token = options.need?.length
    ? await (await import('./need.js')).tokenCovering(context, options.need, request)
    : await getAccessToken({ deps, profileName: context.resolved.name, profile: context.resolved.profile, warn: context.warn, trace: context.trace }, request);
  // The one output whose purpose is a secret: past the redaction layer, on purpose.
  const write = (text: string) => (deps.io.out.writeSecret ?? deps.io.out.write)(text);
  write(formatToken(token, globals.json, deps.io.out.isTTY));
  return ExitCode.ok;
}

export const tokenAction = (deps: Deps, globalsOf: (command: Command, deps: Deps) => GlobalOptions) => (command: Command) => {
  const options = command.opts<{ minTtl: number; forceRefresh?: boolean; need?: string[] }>();
  return runToken(deps, globalsOf(command, deps), { minTtl: options.minTtl, forceRefresh: Boolean(options.forceRefresh), need: options.need });
};
