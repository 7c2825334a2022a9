import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { Deps, GlobalOptions } from '../deps.js';
import { UsageError } from '../errors.js';
import { getAccessToken } from '../session.js';
import { commandContext } from './context.js';

export interface ExecOptions {
  readonly envName: string;
  readonly command: readonly string[];
}

/** `scopes exec`: the token goes into the child's environment, never onto a command line where `ps` shows it. */
export async function runExec(deps: Deps, globals: GlobalOptions, options: ExecOptions): Promise<number> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(options.envName)) throw new UsageError(`--env: "${options.envName}" is not a valid variable name.`);
  const [program, ...args] = options.command;
  if (!program) throw new UsageError('scopes exec needs a command after --.');
  const context = await commandContext(deps, globals);
  const token = await getAccessToken(
    { deps, profileName: context.resolved.name, profile: context.resolved.profile, warn: context.warn },
    { minTtl: 60, forceRefresh: false },
  );
  return await new Promise<number>((resolve, reject) => {
    const child = spawn(program, args, { stdio: 'inherit', env: { ...process.env, ...deps.env, [options.envName]: token.accessToken } });
    child.once('error', (error) => reject(new UsageError(`Cannot run ${program}: ${error.message}`)));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + 1 : 1)));
  });
}

export const execAction = (deps: Deps, globalsOf: (command: Command, deps: Deps) => GlobalOptions) => (command: Command) =>
  runExec(deps, globalsOf(command, deps), { envName: command.opts<{ env: string }>().env, command: command.args });
