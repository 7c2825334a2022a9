#!/usr/bin/env node
'use strict';
// CommonJS (see bin/package.json): Node starts a CommonJS main module measurably faster than an ES module, and the two
// commands scripts call most need nothing else. `scopes --version` prints the version; `scopes token` with a good
// stored token is printed by one small file (src/fast-token.ts). Everything else is the bundled CLI, which also
// covers those two whenever they need more (a refresh, a warning, an error).
const argv = process.argv.slice(2);
const runCli = () => import('../dist/cli/entry.js').then(({ run }) => run(argv));
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // What commander prints for -V/--version: the version and a newline on stdout, exit 0. Written to the descriptor
  // directly: process.stdout would first build a stream (and load its modules) for one short line.
  try {
    require('node:fs').writeSync(1, `${require('../package.json').version}\n`);
  } catch {
    // stdout closed (`scopes --version | true`): nothing to say it to
  }
} else if (argv.includes('token')) {
  require('../dist/cli/cached-token.cjs')
    .printCachedToken(argv)
    .then((printed) => printed || runCli());
} else {
  runCli();
}
