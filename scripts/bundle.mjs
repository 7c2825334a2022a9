/**
 * Bundles the CLI users run into dist/cli/: one small entry, and one chunk per lazily imported module (esbuild's ESM
 * code splitting), so `scopes token` parses only the code of `token`. Entry points are not listed by hand: every
 * `import('./commands/….js')` in src/cli.ts becomes its own chunk, so a new command needs nothing here.
 *
 * Dependencies are bundled too (resolving and loading dozens of node_modules files costs more start-up time than
 * parsing one chunk), except those that must stay files on disk: a native binding, `open`, which runs the xdg-open
 * script it ships beside its own code, and undici, loaded only behind a proxy and larger than the rest together.
 */
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outdir = join(root, 'dist', 'cli');

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { entry: 'src/entry.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@napi-rs/keyring', 'open', 'undici'],
  define: { SCOPES_VERSION: JSON.stringify(manifest.version) },
  // Some bundled CommonJS dependencies call require() for Node built-ins; ESM output has no require of its own.
  banner: { js: "import { createRequire as __scopesRequire } from 'node:module'; const require = __scopesRequire(import.meta.url);" },
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
});

// The cached-token fast path of bin/scopes.js: one CommonJS file, no chunks, so `scopes token` with a good stored
// token loads one file and never starts the ES module loader. It must not reach the OAuth client: fail the build if
// it grows past what reading a config and a file needs.
const fast = await build({
  absWorkingDir: root,
  entryPoints: ['src/fast-token.ts'],
  outfile: join(outdir, 'cached-token.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
const fastBytes = Object.values(fast.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
if (fastBytes > 96 * 1024) throw new Error(`dist/cli/cached-token.cjs is ${fastBytes} bytes: the fast path of scopes token has pulled in more than it needs`);

if (process.argv.includes('--analyze')) console.log(await (await import('esbuild')).analyzeMetafile(result.metafile));
