/** The grant read once (holdScopes) judges exactly as the plain list does, for every kind of rule. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findCover, holdScopes, satisfies, unusedScopes, type RuleSpec } from '../../src/core/scopes.js';
import { compileRules } from '../../src/providers/index.js';

const scope = fc.constantFrom('repo', 'repo:status', 'public_repo', 'read:org', 'admin:org', 'User.Read', 'user.read', 'videos:read', 'videos:write', 'a b', '');
const ruleSpecs: RuleSpec[] = [{}, { preset: 'github' }, { preset: 'entra' }, { implies: { 'videos:write': ['videos:read'] } }];

describe('holdScopes', () => {
  it('gives satisfies and findCover the answers the plain list gives', () => {
    fc.assert(
      fc.property(fc.array(scope, { maxLength: 6 }), fc.array(fc.array(scope, { maxLength: 3 }), { maxLength: 3 }), fc.constantFrom(...ruleSpecs), (granted, requirement, spec) => {
        const rules = compileRules(spec);
        const held = holdScopes(granted, rules);
        // Twice: the second answer comes from what the first search remembered.
        for (let i = 0; i < 2; i++) expect(satisfies(held, requirement, rules)).toEqual(satisfies(granted, requirement, rules));
        for (const needed of requirement.flat()) expect(findCover(held, needed, rules)).toEqual(satisfies(granted, [[needed]], rules).coveredBy[needed]);
      }),
    );
  });

  it('is read again under other rules than it was made with', () => {
    const held = holdScopes(['videos:write'], compileRules({}));
    const implying = compileRules({ implies: { 'videos:write': ['videos:read'] } });
    expect(satisfies(held, [['videos:read']], implying).satisfied).toBe(true);
    expect(satisfies(held, [['videos:read']], compileRules({})).satisfied).toBe(false);
  });

  it('unusedScopes, without any rule, names every granted scope no requirement names', () => {
    expect(unusedScopes(['videos:read', 'jobs:read', 'analyze:write'], [[['videos:read']], [['export:write']]], compileRules({}))).toEqual(['jobs:read', 'analyze:write']);
  });

  it('unusedScopes still finds a scope used only through an implication', () => {
    const rules = compileRules({ implies: { 'videos:write': ['videos:read'] } });
    expect(unusedScopes(['videos:write', 'jobs:read', 'videos:read'], [[['videos:read']]], rules)).toEqual(['jobs:read']);
    expect(unusedScopes(['videos:write', 'jobs:read'], [[['videos:read']]], rules)).toEqual(['jobs:read']);
  });
});
