import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Command } from 'commander';
import type { Deps, GlobalOptions } from '../deps.js';
import { UsageError } from '../errors.js';
import { getAccessToken } from '../session.js';
import { commandContext } from './context.js';

export interface ExecOptions {
  readonly envName: string;
  readonly command: readonly string[];
  /** `--need`: run only with a token whose granted scopes cover these (else exit 1, nothing run). */
  readonly need?: readonly string[] | undefined;
}

/** `scopes exec`: the token goes into the child's environment, never onto a command line where `ps` shows it. */
export async function runExec(deps: Deps, globals: GlobalOptions, options: ExecOptions): Promise<number> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(options.envName)) throw new UsageError(`--env: "${options.envName}" is not a valid variable name.`);
  const [program, ...args] = options.command;
  if (!program) throw new UsageError('scopes exec needs a command after --.');
  const context = await commandContext(deps, globals);
  const request = { minTtl: 60, forceRefresh: false };
  const token = options.need?.length
    ? await (await import('./need.js')).tokenCovering(context, options.need, request)
    : await getAccessToken({ deps, profileName: context.resolved.name, profile: context.resolved.profile, warn: context.warn }, request);
  return await new Promise<number>((resolve) => {
    const child = spawn(program, args, { stdio: 'inherit', env: { ...process.env, ...deps.env, [options.envName]: token.accessToken } });
    // As shells report them: 127 not found, 126 found but not runnable, 128 + n killed by signal n. These are the
    // child's own statuses passed through, not errors of scopes, so they are not ScopesErrors.
    child.once('error', (error: NodeJS.ErrnoException) => {
      const notFound = error.code === 'ENOENT';
      deps.io.err.write(`scopes exec: ${program}: ${notFound ? 'command not found' : error.message}\n`);
      resolve(notFound ? 127 : 126);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)));
  });
}

export const execAction = (deps: Deps, globalsOf: (command: Command, deps: Deps) => GlobalOptions) => (command: Command) =>
  runExec(deps, globalsOf(command, deps), { envName: command.opts<{ env: string }>().env, command: command.args, need: command.opts<{ need?: string[] }>().need });
