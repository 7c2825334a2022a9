/**
 * The WWW-Authenticate parser on hostile input: the time per byte at 1 MB over the time per byte at 100 KB of the
 * same input. Linear is ≈ 1; a quadratic scanner would give ≈ 10.
 */
import { parseWwwAuthenticate } from '../../src/core/challenges.js';
import { interleavedInProcess, type Row } from '../lib.js';

const HOSTILE = [
  ['well-formed challenges', '', 'Bearer realm="a\\"b", scope="x y z", error=insufficient_scope, '],
  // An unterminated quoted string full of escapes and commas: the scanner must reach the end once, not backtrack.
  ['unterminated quote of escapes', 'Bearer realm="', '\\",,\\\\ '],
  ['parameters without commas', 'Bearer ', 'a=b '],
  ['token68 look-alikes', 'Bearer ', 'abc=== , '],
] as const;

const input = (prefix: string, piece: string, size: number) => prefix + piece.repeat(Math.ceil(size / piece.length)).slice(0, size);

export const rows: Row[] = [
  {
    name: 'WWW-Authenticate parser, 1 MB hostile input',
    floor: '100 KB of the same, per byte',
    goal: 1.5,
    async measure(runs) {
      let worst = { ratio: 0, name: '' };
      for (const [name, prefix, piece] of HOSTILE) {
        const small = input(prefix, piece, 100_000);
        const large = input(prefix, piece, 1_000_000);
        const [smallMs, largeMs] = interleavedInProcess([() => parseWwwAuthenticate(small), () => parseWwwAuthenticate(large)], Math.max(5, runs));
        const ratio = largeMs! / 10 / smallMs!;
        if (ratio > worst.ratio) worst = { ratio, name };
      }
      return { ratio: worst.ratio, detail: `worst of ${HOSTILE.length} inputs: ${worst.name}` };
    },
  },
];
