/**
 * The entry of the bundled CLI: bin/scopes.js calls `run`. `main` is a chunk of its own, loaded only here, so that
 * the entry stays a few lines.
 */
export async function run(argv: readonly string[]): Promise<void> {
  const { main } = await import('./main.js');
  process.exitCode = await main(argv);
}
