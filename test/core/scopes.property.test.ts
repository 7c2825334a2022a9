import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  formatScopes,
  minimal,
  parseScopes,
  satisfies,
  type Requirement,
  type ScopeRules,
} from '../../src/core/scopes.js';
// Presets are providers: the registry's compileRules knows them (core's takes the catalogue as a parameter).
import { compileRules } from '../../src/providers/index.js';

const RUNS = { numRuns: 300 };

/** A small alphabet makes collisions, implication chains and cycles likely. */
const ALPHABET = ['a', 'b', 'c', 'd', 'e', 'f', 'g'] as const;
const scopeArb = fc.constantFrom(...ALPHABET);
const impliesArb = fc.dictionary(scopeArb, fc.array(scopeArb, { maxLength: 3 }), { maxKeys: 5 });
const groupArb = fc.uniqueArray(scopeArb, { minLength: 1, maxLength: 3 });
const requirementArb: fc.Arbitrary<Requirement> = fc.array(groupArb, { minLength: 1, maxLength: 3 });

/** Reachability by brute force, the meaning `implies` should have. */
function reachable(implies: Record<string, string[]>, from: string, to: string): boolean {
  const seen = new Set([from]);
  const queue = [from];
  while (queue.length > 0) {
    const next = queue.pop() as string;
    for (const scope of implies[next] ?? []) {
      if (!seen.has(scope)) {
        seen.add(scope);
        queue.push(scope);
      }
    }
  }
  return seen.has(to);
}

const meetsAll = (scopes: readonly string[], requirements: readonly Requirement[], rules: ScopeRules): boolean =>
  requirements.every((requirement) => satisfies(scopes, requirement, rules).satisfied);

/** The smallest satisfying subset of `universe`, by enumeration. */
function bruteForceOptimum(universe: readonly string[], requirements: readonly Requirement[], rules: ScopeRules): number {
  let best = universe.length;
  for (let mask = 0; mask < 1 << universe.length; mask++) {
    const subset = universe.filter((_, i) => (mask & (1 << i)) !== 0);
    if (subset.length < best && meetsAll(subset, requirements, rules)) best = subset.length;
  }
  return best;
}

describe('parseScopes properties', () => {
  const tokenArb = fc.stringMatching(/^[\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]{1,8}$/);
  const whitespaceArb = fc.stringMatching(/^[ \t\n]{1,3}$/);

  it('ignores order and runs of whitespace', () => {
    fc.assert(
      fc.property(fc.array(tokenArb, { maxLength: 8 }), fc.array(whitespaceArb, { minLength: 9, maxLength: 9 }), fc.integer(), (tokens, gaps, seed) => {
        const shuffled = [...tokens].sort((x, y) => ((x.length * 31 + seed) % 7) - ((y.length * 31 + seed) % 7));
        const text = gaps[0] + shuffled.map((token, i) => token + gaps[i + 1]).join('');
        expect(new Set(parseScopes(text))).toEqual(new Set(tokens));
        expect(parseScopes(text)).toHaveLength(new Set(tokens).size);
      }),
      RUNS,
    );
  });

  it('reads back what it writes', () => {
    fc.assert(
      fc.property(fc.array(tokenArb, { maxLength: 8 }), (tokens) => {
        const scopes = parseScopes(tokens);
        expect(parseScopes(formatScopes(scopes))).toEqual(scopes);
        expect(parseScopes(formatScopes(scopes).replaceAll(' ', ','), { commas: true })).toEqual(scopes);
      }),
      RUNS,
    );
  });

  it('never throws and returns scope-like strings for any input', () => {
    fc.assert(
      fc.property(fc.anything(), fc.boolean(), (value, commas) => {
        for (const scope of parseScopes(value, { commas })) {
          expect(typeof scope).toBe('string');
          expect(scope).not.toMatch(commas ? /[\s,]/ : /\s/);
          expect(scope).not.toBe('');
        }
      }),
      RUNS,
    );
  });
});

describe('implication properties', () => {
  it('implies means reachability: transitive, cycles allowed', () => {
    fc.assert(
      fc.property(impliesArb, (implies) => {
        const rules = compileRules({ implies });
        for (const x of ALPHABET) {
          for (const y of ALPHABET) expect(rules.covers(x, y)).toBe(x === y || reachable(implies, x, y));
        }
      }),
      RUNS,
    );
  });

  it('covers is transitive under the path-rights preset combined with implies', () => {
    const resources = ['repository', 'table', 'odata4/table'];
    const paths = ['', '/R', '/R/E', '/R/E/1', '/R/E/10', '/S'];
    const rights = ['Read', 'Write', 'ReadWrite', 'Delete', 'ReadDelete'];
    const pathRightsArb = fc
      .tuple(fc.constantFrom(...resources), fc.constantFrom(...paths), fc.constantFrom(...rights))
      .map(([resource, path, right]) => `${resource}${path}.${right}`);
    const anyScopeArb = fc.oneof(pathRightsArb, fc.constantFrom('admin', 'audit'));
    fc.assert(
      fc.property(
        fc.dictionary(anyScopeArb, fc.array(anyScopeArb, { maxLength: 2 }), { maxKeys: 3 }),
        fc.array(anyScopeArb, { minLength: 3, maxLength: 3 }),
        (implies, [x, y, z]) => {
          const rules = compileRules({ preset: 'path-rights', implies });
          if (rules.covers(x as string, y as string) && rules.covers(y as string, z as string)) {
            expect(rules.covers(x as string, z as string)).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });
});

describe('satisfaction properties', () => {
  it('is monotone in the granted set', () => {
    fc.assert(
      fc.property(impliesArb, requirementArb, fc.subarray([...ALPHABET]), fc.subarray([...ALPHABET]), (implies, requirement, granted, more) => {
        const rules = compileRules({ implies });
        const before = satisfies(granted, requirement, rules);
        const after = satisfies([...granted, ...more], requirement, rules);
        if (before.satisfied) expect(after.satisfied).toBe(true);
        expect(after.missing.length).toBeLessThanOrEqual(before.missing.length);
      }),
      RUNS,
    );
  });

  it('reports missing scopes that, once added, satisfy the requirement', () => {
    fc.assert(
      fc.property(impliesArb, requirementArb, fc.subarray([...ALPHABET]), (implies, requirement, granted) => {
        const rules = compileRules({ implies });
        const result = satisfies(granted, requirement, rules);
        expect(result.satisfied).toBe(result.missing.length === 0);
        expect(satisfies([...granted, ...result.missing], requirement, rules).satisfied).toBe(true);
        for (const [needed, cover] of Object.entries(result.coveredBy)) {
          expect(granted).toContain(cover);
          expect(rules.covers(cover, needed)).toBe(true);
        }
      }),
      RUNS,
    );
  });
});

describe('minimal properties', () => {
  const problemArb = fc.record({
    implies: impliesArb,
    requirements: fc.array(requirementArb, { maxLength: 5 }),
    candidates: fc.subarray([...ALPHABET], { maxLength: 3 }),
  });

  it('satisfies every requirement, is irredundant, and is as small as brute force finds', () => {
    fc.assert(
      fc.property(problemArb, ({ implies, requirements, candidates }) => {
        const rules = compileRules({ implies });
        const result = minimal(requirements, rules, { candidates });
        expect(result.exact).toBe(true);
        expect(result.scopes).toEqual([...result.scopes].sort());
        expect(meetsAll(result.scopes, requirements, rules)).toBe(true);
        for (const dropped of result.scopes) {
          expect(meetsAll(result.scopes.filter((scope) => scope !== dropped), requirements, rules)).toBe(false);
        }
        const universe = [...new Set([...requirements.flat(2), ...candidates])];
        expect(result.scopes.length).toBe(bruteForceOptimum(universe, requirements, rules));
      }),
      RUNS,
    );
  });

  it('is deterministic whatever the order of requirements', () => {
    fc.assert(
      fc.property(problemArb, ({ implies, requirements, candidates }) => {
        const rules = compileRules({ implies });
        const forward = minimal(requirements, rules, { candidates });
        const backward = minimal([...requirements].reverse(), rules, { candidates: [...candidates].reverse() });
        expect(backward.scopes).toEqual(forward.scopes);
      }),
      RUNS,
    );
  });

  it('still answers with a satisfying, irredundant set when the budget is spent', () => {
    fc.assert(
      fc.property(problemArb, ({ implies, requirements, candidates }) => {
        const rules = compileRules({ implies });
        const result = minimal(requirements, rules, { candidates, budget: 0 });
        expect(meetsAll(result.scopes, requirements, rules)).toBe(true);
        for (const dropped of result.scopes) {
          expect(meetsAll(result.scopes.filter((scope) => scope !== dropped), requirements, rules)).toBe(false);
        }
      }),
      RUNS,
    );
  });
});
