/**
 * Commander wiring only: flags and environment become options objects, flag combinations are checked, and the
 * command module is imported lazily so that `scopes token` loads no more than it needs.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createRequire } from 'node:module';
import type { Deps, GlobalOptions } from './deps.js';
import { defaultGlobals, TOKEN_DEFAULTS } from './defaults.js';
import { ExitCode, UsageError } from './errors.js';
import { guardDeps } from './io/guard.js';
import { fitHelp } from './render/help.js';
import { widthOf } from './render/table.js';
import { jsonText } from './render/json.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function positiveInteger(name: string, allowZero = false) {
  return (value: string): number => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || (!allowZero && number === 0)) {
      throw new InvalidArgumentError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} whole number.`);
    }
    return number;
  };
}

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  ${line}`).join('\n')}\n`;
}

/** The npm package: `scopes` there is an unrelated package, so this one is published as `scopes-cli` (binary `scopes`). */
const PACKAGE_NAME = 'scopes-cli';

/** Set by the bundler (scripts/bundle.mjs) to the package version; absent when the sources run under tsc or vitest. */
declare const SCOPES_VERSION: string | undefined;

/** The package version: built into the bundle, else read from package.json beside dist/src/cli.js or src/cli.ts. */
function version(): string {
  if (typeof SCOPES_VERSION === 'string') return SCOPES_VERSION;
  const require = createRequire(import.meta.url);
  for (const path of ['../../package.json', '../package.json']) {
    try {
      const manifest = require(path) as { name?: string; version?: string };
      if (manifest.name === PACKAGE_NAME && manifest.version) return manifest.version;
    } catch {
      // not at this depth
    }
  }
  return 'unknown';
}

export function globalsOf(command: Command, deps: Deps): GlobalOptions {
  return defaultGlobals(deps, command.optsWithGlobals<{ profile?: string; config?: string; json?: boolean; verbose?: boolean }>());
}

export function buildProgram(deps: Deps, setExit: (code: number) => void): Command {
  const program = new Command('scopes');
  // Help fits the terminal: commander wraps its lists to the width given, fitHelp the examples and notes after them.
  const write = {
    writeOut: (text: string) => deps.io.out.write(fitHelp(text, widthOf(deps.io.out))),
    writeErr: (text: string) => deps.io.err.write(fitHelp(text, widthOf(deps.io.err))),
    getOutHelpWidth: () => widthOf(deps.io.out) ?? 80,
    getErrHelpWidth: () => widthOf(deps.io.err) ?? 80,
    outputError: (text: string, writeErr: (text: string) => void) => writeErr(maskLongWords(text)),
  };
  program
    .description('OAuth 2.0 / OpenID Connect scope work: log in asking for scopes, see what was granted, find what an API is missing.')
    .version(version(), '-V, --version')
    .option('-p, --profile <name>', 'profile to use (default: $SCOPES_PROFILE or "default")')
    .option('-c, --config <file>', 'config file (default: $SCOPES_CONFIG or ./scopes.config.json, and the user file)')
    .option('--json', 'print exactly one JSON document on stdout')
    .option('-v, --verbose', 'HTTP trace (secrets redacted) and stack traces on stderr')
    .configureOutput(write)
    // Every subcommand's --help lists --profile, --config, --json and --verbose too (inherited by .command()).
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      examples([
        'scopes login --issuer https://auth.example.com --client-id abc --scope "openid offline_access videos:read"',
        'curl -H "Authorization: Bearer $(scopes token)" https://api.example.com/v1/videos',
        'scopes diff',
        'scopes probe https://api.example.com/v1/videos',
        'scopes check --manifest scopes.manifest.json',
      ]) + '\nExit codes: 0 ok, 1 a scope is missing, 2 usage or configuration, 3 authentication, 4 network or server.\n',
    );

  const run = (load: () => Promise<(command: Command) => Promise<number>>) => async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const action = await load();
    setExit(await action(command));
  };

  program
    .command('login')
    .description('log in with authorization code + PKCE on a loopback redirect, and keep the refresh token')
    .option('--issuer <url>', 'issuer URL (discovery via OpenID Connect / RFC 8414)')
    .option('--client-id <id>', 'client id registered at the provider')
    .option('-s, --scope <scopes>', 'scopes to ask for, space-separated; may repeat', collect)
    .option('--add-scope <scopes>', 'ask for what the profile holds now plus these (incremental consent); may repeat', collect)
    .option('--resource <uri>', 'RFC 8707 resource indicator; may repeat', collect)
    .option('--audience <aud>', 'Auth0-style audience')
    .option('--param <key=value>', 'extra authorization request parameter; may repeat', collect)
    .option('--redirect-uri <uri>', 'loopback redirect URI (default http://127.0.0.1:<ephemeral>/callback)')
    .option('--no-browser', 'do not open a browser; only print the URL')
    .option('--manual', 'browser on another machine: paste the redirected URL back on stdin')
    .option('--device', 'device authorization grant (RFC 8628)')
    .option('--timeout <seconds>', 'give up waiting for the browser after this long', positiveInteger('--timeout'), 300)
    .addOption(new Option('--storage <kind>', 'where to keep the secrets').choices(['keychain', 'file']))
    .option('--strict', 'exit 1 when a requested scope was not granted')
    .option('--explain', 'with --resource: print how the authorization server, client and scopes were found')
    .option('--force', "ask for scopes the server's scopes_supported does not list")
    .option('--allow-no-pkce-metadata', 'with --resource: go on when the server metadata does not list PKCE S256')
    .option('--keep-oidc', 'keep openid / offline_access that the last login had')
    .option('--provider <name>', 'fill in a known provider\'s endpoints and parameters (see `scopes providers`)')
    .option('--tenant <tenant>', 'with --provider entra: the directory (tenant) id or domain')
    .option('--domain <host>', 'with --provider auth0, okta, gitlab, mastodon, shopify: the tenant, org or instance host')
    .addHelpText(
      'after',
      examples([
        'scopes login --resource https://mcp.example.com/mcp',
        'scopes login --issuer https://auth.example.com --client-id abc --scope "openid offline_access videos:read"',
        'scopes login --add-scope export:write',
        'scopes login --provider github --client-id Iv1.abc --scope "repo read:org"',
        'scopes login --profile ci --storage file --no-browser',
        'BROWSER=firefox scopes login --scope "openid email" --strict',
      ]),
    )
    .action(run(async () => (await import('./commands/login.js')).loginAction(deps, globalsOf)));

  program
    .command('token')
    .description('print one valid access token (refreshing it when needed) and nothing else')
    .option('--min-ttl <seconds>', 'refresh when the token expires within this many seconds', positiveInteger('--min-ttl', true), TOKEN_DEFAULTS.minTtl)
    .option('--force-refresh', 'refresh even if the stored token is still valid')
    .option('--need <scopes>', 'print the token only if its granted scopes cover these (else exit 1); may repeat', collect)
    .addHelpText(
      'after',
      examples([
        'curl -H "Authorization: Bearer $(scopes token)" https://api.example.com/v1/videos',
        'scopes token --min-ttl 600',
        'scopes token --json | jq .expiresAt',
      ]),
    )
    .action(run(async () => (await import('./commands/token.js')).tokenAction(deps, globalsOf)));

  program
    .command('exec')
    .description('run a command with a fresh access token in its environment (never on its command line)')
    .option('--env <name>', 'environment variable to set', 'SCOPES_ACCESS_TOKEN')
    .option('--need <scopes>', 'run only if the token covers these scopes (else exit 1); may repeat', collect)
    .argument('<command...>', 'the command and its arguments, after --')
    .addHelpText('after', examples(['scopes exec -- sh -c \'curl -H "Authorization: Bearer $SCOPES_ACCESS_TOKEN" https://api.example.com/v1/videos\'', 'scopes exec --env API_TOKEN -- npm run sync']))
    .action(run(async () => (await import('./commands/exec.js')).execAction(deps, globalsOf)));

  program
    .command('status')
    .description('show each profile: issuer, client, storage, granted scopes, expiry, refresh token, last login (exit 3 when a session shown is not usable)')
    .option('--check', 'confirm each session online (a refresh, or introspection of the access token)')
    .addHelpText('after', examples(['scopes status', 'scopes status --profile work --check', 'scopes status --profile ci --json || scopes login --profile ci']))
    .action(run(async () => (await import('./commands/status.js')).statusAction(deps, globalsOf)));

  program
    .command('logout')
    .description('revoke the refresh token (RFC 7009) and delete the stored secrets and state')
    .option('--all', 'every profile')
    .option('--no-revoke', 'only delete locally')
    .addHelpText('after', examples(['scopes logout', 'scopes logout --profile work --no-revoke', 'scopes logout --all']))
    .action(run(async () => (await import('./commands/logout.js')).logoutAction(deps, globalsOf)));

  program
    .command('discover')
    .description('from a resource URL to its authorization server (RFC 9728, RFC 8414): each document, each decision and why')
    .argument('<url>', 'the resource (an MCP server, an API)')
    .option('--issuer <url>', 'pick this one when the resource names several authorization servers')
    .option('-s, --scope <scopes>', 'scopes a login would ask for (overrides the challenge and the metadata); may repeat', collect)
    .option('--allow-no-pkce-metadata', 'go on when the server metadata does not list PKCE S256')
    .addHelpText('after', examples(['scopes discover https://mcp.example.com/mcp', 'scopes discover https://api.example.com/v1 --json | jq .steps']))
    .action(run(async () => (await import('./commands/discover.js')).discoverAction(deps, globalsOf)));

  registerLaterCommands(program, deps, run);
  program
    .command('completion')
    .description('print a completion script for bash, zsh or fish (commands, flags, profile names)')
    .argument('[shell]', 'bash, zsh or fish')
    .addOption(new Option('--profiles', 'print the profile names the scripts complete --profile with').hideHelp())
    .addHelpText('after', examples(['source <(scopes completion bash)        # in ~/.bashrc', 'scopes completion zsh > "${fpath[1]}/_scopes"', 'scopes completion fish > ~/.config/fish/completions/scopes.fish']))
    .action(run(async () => (await import('./commands/completion.js')).completionAction(deps, globalsOf)));
  return program;
}

type Runner = (load: () => Promise<(command: Command) => Promise<number>>) => (...args: unknown[]) => Promise<void>;

/** The scope commands: each module exports `<name>Action(deps, globalsOf) => (command) => Promise<exit code>`. */
function registerLaterCommands(program: Command, deps: Deps, run: Runner): void {
  const rules = (command: Command) =>
    command
      .addOption(new Option('--provider <name>', 'a provider whose implication rules apply (see `scopes providers`); may repeat'))
      .option('--preset <name>', 'the older name of --provider; may repeat', collect)
      // Both flags fill one list, in the order given, so the commands read `preset` alone.
      .on('option:provider', (value: string) => command.setOptionValue('preset', collect(value, command.getOptionValue('preset') as string[] | undefined)))
      .option('--implies <rule>', 'extra implication "broad=narrow1,narrow2"; may repeat', collect);

  rules(
    program
      .command('diff')
      .description('show requested vs granted scopes (exit 1 when a requested scope is missing)')
      .option('--requested <scopes>', 'requested scopes (default: what the last login asked); may repeat', collect)
      .option('--token <token>', 'read granted scopes from this token (JWT claims or introspection); "-" reads stdin'),
  )
    .addHelpText('after', examples(['scopes diff', 'scopes diff --requested "repo user:email" --token - --preset github < token.txt', 'scopes diff --json | jq .notGranted']))
    .action(run(async () => (await import('./commands/diff.js')).diffAction(deps, globalsOf)));

  program
    .command('providers')
    .argument('[name]', 'one provider, in full')
    .description('list the providers the tool knows, and what it knows of each (how they say a scope is missing, rules, token prefixes, login template, scopes)')
    .addHelpText('after', examples(['scopes providers', 'scopes providers github', 'scopes providers --json | jq \'.providers[].id\'']))
    .action(run(async () => (await import('./commands/providers.js')).providersAction(deps, globalsOf)));

  program
    .command('inspect')
    .description('show what is inside a token: header, claims, scopes, times; verify or introspect it')
    .argument('[token]', 'the token, or "-" to read stdin (default: the profile\'s current tokens)')
    .option('--verify', "check the signature against the issuer's JWKS, and iss/aud/exp")
    .option('--issuer <url>', 'pin the issuer whose keys must verify the token')
    .option('--introspect', 'ask the introspection endpoint (RFC 7662)')
    .option('--userinfo', 'call the userinfo endpoint with the token')
    .option('--show-token', 'also print the token itself')
    .addHelpText('after', examples(['scopes inspect', 'pbpaste | scopes inspect -', 'scopes inspect "$TOKEN" --verify', 'scopes inspect --introspect --json']))
    .action(run(async () => (await import('./commands/inspect.js')).inspectAction(deps, globalsOf)));

  rules(
    program
      .command('probe')
      .description('call endpoints with the token and report which scopes are missing, from what the API says')
      .argument('[url...]', 'endpoints to call (absolute, or relative to the profile\'s api)')
      .option('--manifest <file>', 'probe the endpoints of a manifest (JSON or YAML)')
      .option('--method <method>', 'HTTP method for the URLs', 'GET')
      .option('--token <token>', 'use this access token ("-" reads stdin)')
      .option('--concurrency <n>', 'requests at once', positiveInteger('--concurrency'), 8)
      .option('--timeout <seconds>', 'per-request timeout', positiveInteger('--timeout'), 10)
      .option('--allow-unsafe', 'also send POST, PUT, PATCH and DELETE')
      .option('--allow-insecure', 'send the token even over plain http to a host that is not loopback')
      .option('--login', 'on a missing scope or a step-up challenge, log in for it right away, then probe again'),
  )
    .addHelpText('after', examples(['scopes probe https://api.example.com/v1/videos', 'scopes probe --manifest scopes.manifest.json', 'scopes probe /v1/jobs/7 --json']))
    .action(run(async () => (await import('./commands/probe.js')).probeAction(deps, globalsOf)));

  rules(
    program
      .command('check')
      .description('CI gate: do the granted scopes satisfy every endpoint of a manifest or OpenAPI document?')
      .option('--manifest <file>', 'scope manifest (JSON or YAML)')
      .option('--openapi <file>', 'OpenAPI 3.0 / 3.1 or Swagger 2.0 document (JSON or YAML)')
      .option('--discovery <file>', 'Google API discovery document (JSON)')
      .option('--har <file>', 'only the operations the requests recorded in this HAR file called')
      .addOption(new Option('--credential <kind>', 'the credential the caller holds: an OAuth token, or any (an API key alternative needs no scope)').choices(['oauth', 'any']).default('oauth'))
      .option('--token <token>', 'use this access token ("-" reads stdin)')
      .option('--live', 'also probe the safe endpoints')
      .option('--allow-insecure', 'with --live, send the token even over plain http to a host that is not loopback')
      .option('--fail-on-unused', 'fail when a granted scope is needed by no endpoint')
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'github']).default('text')),
  )
    .addHelpText('after', examples(['scopes check --manifest scopes.manifest.json', 'SCOPES_TOKEN=$TOKEN scopes check --openapi openapi.yaml --format github', 'scopes check --live --fail-on-unused --json']))
    .action(run(async () => (await import('./commands/check.js')).checkAction(deps, globalsOf)));

  rules(
    program
      .command('minimal')
      .description('the smallest scope set that satisfies the given endpoints (all by default)')
      .argument('[endpoint...]', 'endpoints as "GET /v1/videos"')
      .option('--manifest <file>', 'scope manifest (JSON or YAML)')
      .option('--openapi <file>', 'OpenAPI 3.0 / 3.1 or Swagger 2.0 document (JSON or YAML)')
      .option('--discovery <file>', 'Google API discovery document (JSON)')
      .option('--har <file>', 'the endpoints the requests recorded in this HAR file called')
      .addOption(new Option('--credential <kind>', 'the credential the caller holds: an OAuth token, or any (an API key alternative needs no scope)').choices(['oauth', 'any']).default('oauth')),
  )
    .addHelpText('after', examples(['scopes minimal --manifest scopes.manifest.json', 'scopes minimal --openapi openapi.yaml "GET /v1/videos" "POST /v1/videos/{id}/export"', 'scopes login --keep-oidc --scope "$(scopes minimal --manifest scopes.manifest.json)"']))
    .action(run(async () => (await import('./commands/minimal.js')).minimalAction(deps, globalsOf)));
}

/** Global options that take a value, so that the word after them is not taken for a command. */
const VALUE_OPTIONS = new Set(['-p', '--profile', '-c', '--config']);

/** The words before the first command word, and that word's index (-1 when there is none). */
function commandIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') return -1;
    if (VALUE_OPTIONS.has(word)) i++;
    else if (!word.startsWith('-')) return i;
  }
  return -1;
}

export async function runCli(argv: readonly string[], unguarded: Deps): Promise<number> {
  const deps = guardDeps(unguarded);
  let exitCode: number = ExitCode.ok;
  const program = buildProgram(deps, (code) => {
    exitCode = code;
  });
  let words = [...argv];
  // `scopes help nope` would print the general help and exit 0; it is the unknown command `nope` (exit 2, "did you
  // mean"), as `scopes nope` is.
  const at = commandIndex(words);
  const topic = at >= 0 && words[at] === 'help' ? words[at + 1] : undefined;
  if (topic !== undefined && !topic.startsWith('-') && !program.commands.some((command) => command.name() === topic || command.aliases().includes(topic))) {
    words = [...words.slice(0, at), ...words.slice(at + 1)];
  }
  try {
    await program.parseAsync(words, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok;
      if (error.code === 'commander.executeSubCommandAsync') return ExitCode.ok;
      // Commander has said it on stderr; with --json (or a misspelling of it) stdout still gets its one document.
      if (argv.includes('--json') || /Did you mean --json\?/.test(error.message)) writeUsageJson(error.message, deps);
      return ExitCode.usage;
    }
    throw error;
  }
  return exitCode;
}

/**
 * Commander quotes the word it could not place ("unknown option '-Zx9…'"). An opaque token that starts with `-` is
 * such a word, and must not reach a terminal or a CI log whole: a quoted word longer than any flag or command is cut.
 */
export function maskLongWords(text: string): string {
  return text.replace(/'([^'\s]{33,})'/g, (_, word: string) => `'${word.slice(0, 6)}…' (${word.length} characters, not shown in full)`);
}

/** A commander error ("error: unknown option '--jsno'\n(Did you mean --json?)") as the SPEC's JSON error document. */
function writeUsageJson(text: string, deps: Deps): void {
  const [first = '', ...rest] = maskLongWords(text).replace(/^error: /, '').split('\n');
  const hint = rest.join(' ').replace(/^\((.*)\)$/, '$1').trim();
  const message = first.charAt(0).toUpperCase() + first.slice(1);
  const error = { code: 'usage', message: `${message}${/[.?!]$/.test(message) ? '' : '.'}`, ...(hint ? { hint } : {}), exitCode: ExitCode.usage };
  deps.io.out.write(jsonText(deps.io.out, { error }));
}

export { UsageError };
