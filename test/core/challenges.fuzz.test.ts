import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ChallengeParseError, parseWwwAuthenticate, type Challenge, type ParseResult } from '../../src/core/challenges.js';

/** The only two shapes a parse may take; anything else (or a throw) fails the property. Checked in plain code, one
 * `expect` at the end, so that 20 000 challenges do not cost 100 000 expectations. */
const expectWellFormed = (result: ParseResult, input: string): void => {
  const problems: string[] = [];
  if (!Array.isArray(result.challenges)) problems.push('challenges is not an array');
  if (!Array.isArray(result.warnings)) problems.push('warnings is not an array');
  if (result.warnings.length > 21) problems.push('warnings are not capped');
  for (const challenge of result.challenges) {
    if (challenge.scheme.length === 0 || challenge.scheme !== challenge.scheme.toLowerCase()) problems.push(`scheme ${challenge.scheme}`);
    if (Object.getPrototypeOf(challenge.params) !== null) problems.push('params has a prototype');
    for (const [name, value] of Object.entries(challenge.params)) {
      if (name !== name.toLowerCase() || typeof value !== 'string') problems.push(`param ${name}`);
    }
  }
  if (!result.ok) {
    if (!(result.error instanceof ChallengeParseError)) problems.push('error is not a ChallengeParseError');
    if (result.raw !== input) problems.push('raw is not the input');
    if (!(result.error.position >= 0 && result.error.position <= input.length)) problems.push('position out of range');
  }
  expect(problems).toEqual([]);
};

/** Fragments a hostile or broken header is made of. */
const headerAlphabet = fc.constantFrom(
  ' ', '\t', ',', '=', '"', '\\', 'a', 'B', 'Bearer', 'bearer ', 'realm', 'scope', 'token68', '==', 'abc123', '/', '+',
  '__proto__', 'constructor', 'é', '\u0000', '\u001b', ':', '.',
);
const headerLike = fc.array(headerAlphabet, { maxLength: 60 }).map((parts) => parts.join(''));

describe('parseWwwAuthenticate never lets anything but its typed error out', () => {
  it('arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (input) => {
        expectWellFormed(parseWwwAuthenticate(input), input);
      }),
      { numRuns: 2000 },
    );
  });

  it('arbitrary binary strings (lone surrogates, controls)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (input) => {
        expectWellFormed(parseWwwAuthenticate(input), input);
      }),
      { numRuns: 1000 },
    );
  });

  it('strings built from the header alphabet', () => {
    fc.assert(
      fc.property(headerLike, (input) => {
        expectWellFormed(parseWwwAuthenticate(input), input);
      }),
      { numRuns: 3000 },
    );
  });

  it('several header lines parse as their join with ", "', () => {
    fc.assert(
      fc.property(fc.array(headerLike, { maxLength: 4 }), (lines) => {
        const joined = lines.join(', ');
        const result = parseWwwAuthenticate(lines);
        expectWellFormed(result, joined);
        expect(result).toEqual(parseWwwAuthenticate(joined));
      }),
      { numRuns: 1000 },
    );
  });

  it('inputs that are not strings', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        const result = parseWwwAuthenticate(input as string);
        if (typeof input !== 'string' && !(Array.isArray(input) && input.every((line) => typeof line === 'string'))) {
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.error.reason).toBe('invalid_input');
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseWwwAuthenticate reads back what a conformant server writes', () => {
  const tchars = fc.constantFrom(...'abcXYZ019!#$%&\'*+-.^_`|~');
  const token = fc.array(tchars, { minLength: 1, maxLength: 8 }).map((chars) => chars.join(''));
  const token68 = fc
    .tuple(fc.array(fc.constantFrom(...'aZ09-._~+/'), { minLength: 1, maxLength: 12 }), fc.nat({ max: 3 }))
    .map(([chars, padding]) => chars.join('') + '='.repeat(padding));
  const quote = (value: string): string => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

  const challenge = fc.oneof(
    fc.record({
      scheme: token,
      params: fc.uniqueArray(fc.tuple(token, fc.string({ maxLength: 20 }), fc.boolean()), {
        selector: ([name]) => name.toLowerCase(),
        maxLength: 5,
      }),
    }),
    fc.record({ scheme: token, token68 }),
  );

  it('schemes, params (quoted or token) and token68 round-trip', () => {
    fc.assert(
      fc.property(fc.array(challenge, { maxLength: 4 }), fc.constantFrom(', ', ',', ' , ', ',, '), (written, separator) => {
        const header = written
          .map((item) => {
            if ('token68' in item) return `${item.scheme} ${item.token68}`;
            if (item.params.length === 0) return item.scheme;
            const params = item.params.map(([name, value, bare]) => {
              const bareToken = bare && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(value);
              return `${name}=${bareToken ? value : quote(value)}`;
            });
            return `${item.scheme} ${params.join(separator)}`;
          })
          .join(separator);
        const expected: Challenge[] = written.map((item) =>
          'token68' in item
            ? { scheme: item.scheme.toLowerCase(), token68: item.token68, params: {}, duplicates: [] }
            : {
                scheme: item.scheme.toLowerCase(),
                params: Object.fromEntries(item.params.map(([name, value]) => [name.toLowerCase(), value])),
                duplicates: [],
              },
        );
        const result = parseWwwAuthenticate(header);
        expect(result.ok).toBe(true);
        expect(result.challenges).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseWwwAuthenticate on 200 KB of hostile input', () => {
  const size = 200_000;
  // Each of these completes only because the scanner is linear: a backtracking or quadratic parser would not
  // finish 200 KB within the test timeout. Wall time itself is measured by the benchmarks, not here.
  const hostile: { description: string; input: string; ok: boolean }[] = [
    { description: 'commas', input: ','.repeat(size), ok: true },
    { description: 'quotes', input: '"'.repeat(size), ok: false },
    { description: 'an open quote then backslashes', input: `Bearer a="${'\\'.repeat(size)}`, ok: false },
    { description: 'escaped quotes that never close', input: `Bearer a="${'\\"'.repeat(size / 2)}`, ok: false },
    { description: 'one huge quoted value', input: `Bearer a="${'x, '.repeat(size / 3)}"`, ok: true },
    { description: 'a huge token68 that turns into a parameter', input: `Newauth ${'a'.repeat(size)}=b`, ok: true },
    { description: 'a huge token68 prefix that fails late', input: `Newauth ${'a'.repeat(size)}${'='.repeat(size)}x`, ok: true },
    { description: 'padding only', input: `Bearer a=${'='.repeat(size)}`, ok: true },
    { description: 'many parameters', input: `Bearer ${'a=b, '.repeat(size / 5)}`, ok: true },
    { description: 'many repeated parameters', input: `Bearer ${'scope="x", '.repeat(size / 11)}`, ok: true },
    { description: 'many distinct repeated parameters', input: `Bearer ${Array.from({ length: 20_000 }, (_, i) => `p${i}=1, p${i}=2`).join(', ')}`, ok: true },
    { description: 'parameters without commas', input: `Bearer ${'a=b '.repeat(size / 4)}`, ok: true },
    { description: 'many bare schemes', input: 'Negotiate, '.repeat(size / 11), ok: true },
    { description: 'many challenges', input: 'Bearer realm="x", '.repeat(size / 18), ok: true },
    { description: 'whitespace then nothing', input: `Bearer${' \t'.repeat(size / 2)}`, ok: true },
    { description: 'BWS before = repeated', input: `Bearer a${' '.repeat(size)}`, ok: true },
    { description: 'BWS with no =', input: `Bearer a${' '.repeat(size)}b`, ok: false },
    { description: 'equals signs', input: '='.repeat(size), ok: false },
    { description: 'backslashes', input: '\\'.repeat(size), ok: false },
    { description: 'a long scheme', input: 'B'.repeat(size), ok: true },
  ];

  it.each(hostile)('$description', ({ input, ok }) => {
    const result = parseWwwAuthenticate(input);
    expectWellFormed(result, input);
    expect(result.ok).toBe(ok);
  });

  it('repeated lines of hostile input', () => {
    const result = parseWwwAuthenticate(Array.from({ length: 10_000 }, () => 'Bearer realm="a\\"b", x'));
    expectWellFormed(result, Array.from({ length: 10_000 }, () => 'Bearer realm="a\\"b", x').join(', '));
  });
});
