/**
 * The entry of the bundled CLI (bin/scopes.js loads dist/cli/entry.js). `scopes --version` is answered here, before
 * any other module is read: it is the one command whose whole output is known at build time. Everything else goes
 * through `main`, loaded as a separate chunk.
 */
declare const SCOPES_VERSION: string;

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // What commander prints for -V/--version: the version and a newline on stdout, exit 0.
  process.stdout.write(`${SCOPES_VERSION}\n`);
} else {
  const { main } = await import('./main.js');
  process.exitCode = await main(argv);
}
