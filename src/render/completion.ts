/**
 * Shell completion scripts for bash, zsh and fish, written from a description of the command line (which cli.ts
 * builds from the commander program, so a new flag is completed without touching this file). Profile names are not
 * baked in: the scripts ask `scopes completion --profiles` each time, which reads only the config files.
 */

export interface CompletionOption {
  /** `-p`, `--profile`. */
  readonly short?: string | undefined;
  readonly long: string;
  readonly description: string;
  /** Whether the flag takes a value (then the next word is that value, not a command). */
  readonly takesValue: boolean;
  /** Fixed values (`--storage keychain|file`). */
  readonly choices?: readonly string[] | undefined;
  /** What the value is, when the shell can help: a file name, or a profile name. */
  readonly value?: 'file' | 'profile' | undefined;
}

export interface CompletionCommand {
  readonly name: string;
  readonly description: string;
  readonly options: readonly CompletionOption[];
  /** Words its first argument may be (completion's shells). */
  readonly argumentChoices?: readonly string[] | undefined;
}

export interface CompletionSpec {
  readonly program: string;
  readonly globals: readonly CompletionOption[];
  readonly commands: readonly CompletionCommand[];
}

export type Shell = 'bash' | 'zsh' | 'fish';
export const SHELLS: readonly Shell[] = ['bash', 'zsh', 'fish'];

const flagsOf = (options: readonly CompletionOption[]): string[] => options.flatMap((option) => (option.short ? [option.short, option.long] : [option.long]));

/** Words safe in any of the three shells unquoted inside our scripts: flags, command names, choices. */
const SAFE_WORD = /^[A-Za-z0-9][A-Za-z0-9._:-]*$|^--?[A-Za-z0-9][A-Za-z0-9-]*$/;
function checked(words: readonly string[]): string {
  for (const word of words) if (!SAFE_WORD.test(word)) throw new Error(`not a safe completion word: ${word}`);
  return words.join(' ');
}

/** Single-quoted for POSIX shells and fish (fish also treats a backslash in single quotes as an escape). */
const quote = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, `'\\''`)}'`;
const fishQuote = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function completionScript(shell: Shell, spec: CompletionSpec): string {
  switch (shell) {
    case 'bash':
      return bashScript(spec);
    case 'zsh':
      return zshScript(spec);
    case 'fish':
      return fishScript(spec);
  }
}

function valueCases(spec: CompletionSpec, emit: (option: CompletionOption) => string | undefined): string[] {
  const seen = new Set<string>();
  const cases: string[] = [];
  for (const option of [...spec.globals, ...spec.commands.flatMap((command) => command.options)]) {
    if (!option.takesValue || seen.has(option.long)) continue;
    seen.add(option.long);
    const body = emit(option);
    if (body !== undefined) cases.push(`    ${checked(flagsOf([option])).replace(' ', '|')}) ${body};;`);
  }
  return cases;
}

/** Flags that take a value, as a `case` pattern: the word after one is never the command. */
const valueFlagPattern = (spec: CompletionSpec): string => {
  const flags = new Set(flagsOf(spec.globals.filter((option) => option.takesValue)));
  return checked([...flags]).replace(/ /g, '|');
};

function bashScript(spec: CompletionSpec): string {
  const name = spec.program;
  const perCommand = spec.commands.map(
    (command) => `    ${checked([command.name])}) flags=${quote(checked(flagsOf(command.options)))}; args=${quote(checked(command.argumentChoices ?? []))};;`,
  );
  const values = valueCases(spec, (option) => {
    if (option.value === 'profile') return `COMPREPLY=($(compgen -W "$(${name} completion --profiles 2>/dev/null)" -- "$cur")); return 0`;
    if (option.value === 'file') return 'COMPREPLY=($(compgen -f -- "$cur")); return 0';
    if (option.choices?.length) return `COMPREPLY=($(compgen -W ${quote(checked(option.choices))} -- "$cur")); return 0`;
    return 'return 0';
  });
  return `# ${name} completion for bash. Load it with
#   source <(${name} completion bash)
# or save it as ~/.local/share/bash-completion/completions/${name}
_${name}_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" command="" flags="" args="" i
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  COMPREPLY=()
  case "$prev" in
${values.join('\n')}
  esac
  for (( i = 1; i < COMP_CWORD; i++ )); do
    case "\${COMP_WORDS[i]}" in
      ${valueFlagPattern(spec)}) (( i++ ));;
      -*) ;;
      *) command="\${COMP_WORDS[i]}"; break;;
    esac
  done
  if [[ -z "$command" ]]; then
    if [[ "$cur" == -* ]]; then
      COMPREPLY=($(compgen -W ${quote(checked([...flagsOf(spec.globals), '--version', '-V', '--help', '-h']))} -- "$cur"))
    else
      COMPREPLY=($(compgen -W ${quote(checked(spec.commands.map((command) => command.name)))} -- "$cur"))
    fi
    return 0
  fi
  case "$command" in
${perCommand.join('\n')}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags ${checked([...flagsOf(spec.globals), '--help'])}" -- "$cur"))
  elif [[ -n "$args" ]]; then
    COMPREPLY=($(compgen -W "$args" -- "$cur"))
  fi
}
complete -o default -F _${name}_complete ${name}
`;
}

function zshScript(spec: CompletionSpec): string {
  const name = spec.program;
  const described = (items: readonly { word: string; description: string }[]) =>
    items.map((item) => quote(`${checked([item.word])}:${item.description.replace(/:/g, '\\:')}`)).join(' ');
  const perCommand = spec.commands.map((command) => {
    const items = [...command.options, ...spec.globals].flatMap((option) => flagsOf([option]).map((word) => ({ word, description: option.description })));
    const args = command.argumentChoices?.length ? `\n        compadd -- ${checked(command.argumentChoices)}` : '';
    return `      ${checked([command.name])})${args}\n        flags=(${described(items)});;`;
  });
  const values = valueCases(spec, (option) => {
    if (option.value === 'profile') return `compadd -- \${(f)"$(${name} completion --profiles 2>/dev/null)"}; return`;
    if (option.value === 'file') return '_files; return';
    if (option.choices?.length) return `compadd -- ${checked(option.choices)}; return`;
    return 'return';
  });
  return `#compdef ${name}
# ${name} completion for zsh. Load it with
#   source <(${name} completion zsh)
# or save it as _${name} in a folder of your $fpath.
_${name}() {
  local command="" i
  local -a commands flags
  case "\${words[CURRENT-1]}" in
${values.map((line) => `  ${line}`).join('\n')}
  esac
  for (( i = 2; i < CURRENT; i++ )); do
    case "\${words[i]}" in
      ${valueFlagPattern(spec)}) (( i++ ));;
      -*) ;;
      *) command="\${words[i]}"; break;;
    esac
  done
  if [[ -z "$command" ]]; then
    commands=(${described(spec.commands.map((command) => ({ word: command.name, description: command.description })))})
    flags=(${described(spec.globals.flatMap((option) => flagsOf([option]).map((word) => ({ word, description: option.description }))))})
    if [[ "$PREFIX" == -* ]]; then _describe -t options option flags; else _describe -t commands command commands; fi
    return
  fi
  case "$command" in
${perCommand.join('\n')}
  esac
  _describe -t options option flags
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then _${name} "$@"; else compdef _${name} ${name}; fi
`;
}

function fishScript(spec: CompletionSpec): string {
  const name = spec.program;
  const lines = [`# ${name} completion for fish. Load it with`, `#   ${name} completion fish | source`, `# or save it as ~/.config/fish/completions/${name}.fish`, `complete -c ${name} -f`];
  const optionLine = (option: CompletionOption, condition?: string) => {
    const parts = [`complete -c ${name}`];
    if (condition) parts.push(`-n ${fishQuote(condition)}`);
    if (option.short) parts.push(`-s ${checked([option.short.slice(1)])}`);
    parts.push(`-l ${checked([option.long.slice(2)])}`);
    if (option.value === 'profile') parts.push(`-x -a ${fishQuote(`(${name} completion --profiles 2>/dev/null)`)}`);
    else if (option.value === 'file') parts.push('-r -F');
    else if (option.choices?.length) parts.push(`-x -a ${fishQuote(checked(option.choices))}`);
    else if (option.takesValue) parts.push('-x');
    parts.push(`-d ${fishQuote(option.description)}`);
    return parts.join(' ');
  };
  for (const option of spec.globals) lines.push(optionLine(option));
  for (const command of spec.commands) {
    lines.push(`complete -c ${name} -n __fish_use_subcommand -a ${checked([command.name])} -d ${fishQuote(command.description)}`);
    const condition = `__fish_seen_subcommand_from ${checked([command.name])}`;
    if (command.argumentChoices?.length) lines.push(`complete -c ${name} -n ${fishQuote(condition)} -a ${fishQuote(checked(command.argumentChoices))}`);
    for (const option of command.options) lines.push(optionLine(option, condition));
  }
  return `${lines.join('\n')}\n`;
}
