/**
 * The entry of the bundled CLI: bin/scopes.js calls `run`. `main` is a chunk of its own, loaded only here, so that
 * the entry stays a few lines.
 */
export async function run(argv: readonly string[]): Promise<void> {
  const { main } = await import('./main.js');
  process.exitCode = await main(argv);
  // Cancelled with Ctrl-C: stop now. A library timer still pending (openid-client checks the abort of its device-flow
  // polling only between waits of up to 5 s) must not keep the process alive after it said "cancelled".
  if (process.exitCode === 130) process.exit(130);
}
