/**
 * `scopes completion bash|zsh|fish`: a completion script for the shell, from the commander program itself, so that
 * every command and flag is there. `scopes completion --profiles` (what the scripts call) prints the profile names of
 * the config files, one a line; it reads no secret and never fails loudly: a broken config just completes nothing.
 */
import type { Command, Option } from 'commander';
import { PRESET_CATALOGUE, PROVIDER_NAMES } from '../providers/index.js';
import type { Deps, GlobalOptions } from '../deps.js';
import { ExitCode, UsageError } from '../errors.js';
import { locateConfig, readConfigFile } from '../io/config.js';
import { completionScript, SHELLS, type CompletionCommand, type CompletionOption, type CompletionSpec, type Shell } from '../render/completion.js';

const FILE_FLAGS = new Set(['--config', '--manifest', '--openapi']);
/** A profile name as config.ts accepts it: also what makes it safe to hand to a shell. */
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function optionOf(option: Option): CompletionOption | undefined {
  if (option.hidden || !option.long) return undefined;
  const value = option.long === '--profile' ? 'profile' : FILE_FLAGS.has(option.long) ? 'file' : undefined;
  const choices = option.long === '--preset' || option.long === '--provider' ? PRESET_CATALOGUE.names : option.argChoices;
  return { short: option.short, long: option.long, description: option.description, takesValue: option.required || option.optional, choices, value };
}

/** What the completion scripts need to know of the program. */
export function completionSpec(program: Command): CompletionSpec {
  const options = (command: Command) => command.options.map(optionOf).filter((option): option is CompletionOption => option !== undefined);
  const commands: CompletionCommand[] = program.commands.map((command) => ({
    name: command.name(),
    description: command.description(),
    options: options(command),
    ...(command.name() === 'completion' ? { argumentChoices: SHELLS } : {}),
  }));
  return { program: 'scopes', globals: options(program).filter((option) => option.long !== '--version'), commands };
}

/** Profile names from the project and user config files, deduplicated, in file order. */
async function profileNames(deps: Deps, globals: GlobalOptions): Promise<string[]> {
  const names = new Set<string>();
  try {
    const location = await locateConfig({ config: globals.config, presets: PROVIDER_NAMES }, deps.env, deps.cwd);
    for (const path of [location.projectFile, location.userFile]) {
      const file = path ? await readConfigFile(path, false).catch(() => undefined) : undefined;
      for (const name of Object.keys(file?.profiles ?? {})) if (PROFILE_NAME.test(name)) names.add(name);
    }
  } catch {
    // Completion must not print errors into someone's prompt.
  }
  return [...names];
}

export async function runCompletion(deps: Deps, globals: GlobalOptions, program: Command, shell: string | undefined, listProfiles: boolean): Promise<number> {
  if (listProfiles) {
    const names = await profileNames(deps, globals);
    if (names.length) deps.io.out.write(`${names.join('\n')}\n`);
    return ExitCode.ok;
  }
  if (shell === undefined || !(SHELLS as readonly string[]).includes(shell)) {
    throw new UsageError(`${shell === undefined ? 'Which shell?' : `No completion for "${shell}".`} Choose bash, zsh or fish.`, {
      hint: 'source <(scopes completion bash)',
    });
  }
  deps.io.out.write(completionScript(shell as Shell, completionSpec(program)));
  return ExitCode.ok;
}

export const completionAction = (deps: Deps, globalsOf: (command: Command, deps: Deps) => GlobalOptions) => (command: Command) => {
  const program = command.parent ?? command;
  return runCompletion(deps, globalsOf(command, deps), program, command.args[0], Boolean(command.opts<{ profiles?: boolean }>().profiles));
};
