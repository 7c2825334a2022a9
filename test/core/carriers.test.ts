import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  OPENID_SCOPES,
  openidEvidence,
  scopesFromClaims,
  scopesFromIntrospection,
  scopesFromTokenResponse,
} from '../../src/core/carriers.js';
import type { ClaimScopes, IntrospectionScopes, OpenIdEvidenceInput, TokenResponseScopes } from '../../src/core/carriers.js';
import { NetworkError } from '../../src/errors.js';

describe('scopesFromClaims', () => {
  const vectors: readonly { description: string; input: Record<string, unknown>; expected: ClaimScopes }[] = [
    {
      description: 'RFC 9068 scope string, extra whitespace ignored',
      input: { scope: ' openid  videos:read\texport:write ' },
      expected: { scopes: ['openid', 'videos:read', 'export:write'], claim: 'scope', roles: [] },
    },
    {
      description: 'Okta scp array',
      input: { scp: ['openid', 'okta.users.read'] },
      expected: { scopes: ['openid', 'okta.users.read'], claim: 'scp', roles: [] },
    },
    {
      description: 'Entra delegated: scp string, roles array reported apart',
      input: { scp: 'Mail.Read User.Read', roles: ['Tasks.Admin'] },
      expected: { scopes: ['Mail.Read', 'User.Read'], claim: 'scp', roles: ['Tasks.Admin'] },
    },
    {
      description: 'Entra app-only: roles array stand for the scopes',
      input: { roles: ['Mail.Read', 'User.Read.All'] },
      expected: { scopes: ['Mail.Read', 'User.Read.All'], claim: 'roles', roles: ['Mail.Read', 'User.Read.All'] },
    },
    {
      description: 'Entra v1: roles as a space-separated string',
      input: { roles: 'Mail.Read User.Read.All' },
      expected: { scopes: ['Mail.Read', 'User.Read.All'], claim: 'roles', roles: ['Mail.Read', 'User.Read.All'] },
    },
    {
      description: 'Laserfiche-style: no scope claim at all',
      input: { iss: 'signin.laserfiche.com', sub: '1001', aud: 'laserfiche.com' },
      expected: { scopes: [], claim: null, roles: [] },
    },
    {
      description: 'an empty scope claim is present, and empty',
      input: { scope: '' },
      expected: { scopes: [], claim: 'scope', roles: [] },
    },
    {
      description: 'scope wins over scp',
      input: { scope: 'a', scp: ['b'] },
      expected: { scopes: ['a'], claim: 'scope', roles: [] },
    },
    {
      description: 'a scope claim of an unusable type is ignored',
      input: { scope: 42, scp: 'b' },
      expected: { scopes: ['b'], claim: 'scp', roles: [] },
    },
    {
      description: 'non-string array elements are dropped',
      input: { scp: [1, 'a', null, { b: 1 }, 'c'] },
      expected: { scopes: ['a', 'c'], claim: 'scp', roles: [] },
    },
    {
      description: 'a scope array is tolerated',
      input: { scope: ['a', 'b c'] },
      expected: { scopes: ['a', 'b', 'c'], claim: 'scope', roles: [] },
    },
    {
      description: 'duplicates are dropped, order kept',
      input: { scope: 'b a b' },
      expected: { scopes: ['b', 'a'], claim: 'scope', roles: [] },
    },
    {
      description: 'commas are not separators in a JWT claim',
      input: { scope: 'repo,gist' },
      expected: { scopes: ['repo,gist'], claim: 'scope', roles: [] },
    },
    {
      description: 'null claims',
      input: { scope: null, scp: null, roles: null },
      expected: { scopes: [], claim: null, roles: [] },
    },
  ];

  it.each(vectors)('$description', ({ input, expected }) => {
    expect(scopesFromClaims(input)).toEqual(expected);
  });
});

describe('carrier properties', () => {
  it('scopesFromClaims never throws and yields non-empty strings', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('scope', 'scp', 'roles', 'sub'), fc.anything()), (claims) => {
        const { scopes, roles } = scopesFromClaims(claims);
        expect([...scopes, ...roles].every((value) => typeof value === 'string' && value !== '')).toBe(true);
      }),
      { numRuns: 1_000 },
    );
  });

  it('scopesFromIntrospection returns or throws NetworkError, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.record({ active: fc.anything(), scope: fc.anything() })), (body) => {
        try {
          const result = scopesFromIntrospection(body);
          if (!result.active) expect(result.scopes).toEqual([]);
        } catch (error) {
          expect(error).toBeInstanceOf(NetworkError);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('scopesFromTokenResponse', () => {
  const vectors: readonly {
    description: string;
    input: { response: { scope?: unknown }; requested: string[] };
    expected: TokenResponseScopes;
  }[] = [
    {
      description: 'D1: no scope returned means granted as requested (assumed)',
      input: { response: {}, requested: ['openid', 'profile', 'email'] },
      expected: { granted: ['openid', 'profile', 'email'], assumed: true, unknown: false },
    },
    {
      description: 'D2: none requested, none returned: unknown',
      input: { response: {}, requested: [] },
      expected: { granted: [], assumed: false, unknown: true },
    },
    {
      description: 'a null scope reads as absent',
      input: { response: { scope: null }, requested: ['a'] },
      expected: { granted: ['a'], assumed: true, unknown: false },
    },
    {
      description: 'D3: order and extra whitespace ignored',
      input: { response: { scope: 'c  a ' }, requested: ['a', 'b', 'c'] },
      expected: { granted: ['c', 'a'], assumed: false, unknown: false },
    },
    {
      description: 'D9: the empty string is the empty set, not [""]',
      input: { response: { scope: '' }, requested: ['a'] },
      expected: { granted: [], assumed: false, unknown: false },
    },
    {
      description: 'GitHub comma list',
      input: { response: { scope: 'repo,gist' }, requested: ['repo', 'gist'] },
      expected: { granted: ['repo', 'gist'], assumed: false, unknown: false },
    },
    {
      description: 'comma and space list',
      input: { response: { scope: 'repo, user' }, requested: [] },
      expected: { granted: ['repo', 'user'], assumed: false, unknown: false },
    },
    {
      description: 'percent-encoded (Microsoft docs)',
      input: { response: { scope: 'https%3A%2F%2Fgraph.microsoft.com%2Fmail.read' }, requested: [] },
      expected: { granted: ['https://graph.microsoft.com/mail.read'], assumed: false, unknown: false },
    },
    {
      description: 'percent-encoded spaces separate',
      input: { response: { scope: 'videos%3Aread%20analyze%3Awrite' }, requested: [] },
      expected: { granted: ['videos:read', 'analyze:write'], assumed: false, unknown: false },
    },
    {
      description: 'a stray percent sign is kept as it came',
      input: { response: { scope: 'discount:100% read%zz' }, requested: [] },
      expected: { granted: ['discount:100%', 'read%zz'], assumed: false, unknown: false },
    },
    {
      description: 'an array (non-standard) is tolerated',
      input: { response: { scope: ['a', 'b'] }, requested: [] },
      expected: { granted: ['a', 'b'], assumed: false, unknown: false },
    },
    {
      description: 'a number is unreadable: unknown, not assumed',
      input: { response: { scope: 42 }, requested: ['a'] },
      expected: { granted: [], assumed: false, unknown: true },
    },
    {
      description: 'requested entries that are blank count as nothing requested',
      input: { response: {}, requested: ['', ' '] },
      expected: { granted: [], assumed: false, unknown: true },
    },
    {
      description: 'duplicate requested scopes are assumed once',
      input: { response: {}, requested: ['a', 'a', 'b'] },
      expected: { granted: ['a', 'b'], assumed: true, unknown: false },
    },
  ];

  it.each(vectors)('$description', ({ input, expected }) => {
    expect(scopesFromTokenResponse(input.response, input.requested)).toEqual(expected);
  });

  it('survives a response that is not an object at all', () => {
    expect(scopesFromTokenResponse(null as unknown as { scope?: unknown }, ['a'])).toEqual({
      granted: ['a'],
      assumed: true,
      unknown: false,
    });
  });

  it('never throws, whatever the scope member holds', () => {
    fc.assert(
      fc.property(fc.anything(), fc.array(fc.string()), (scope, requested) => {
        const result = scopesFromTokenResponse({ scope }, requested);
        expect(result.granted.every((value) => typeof value === 'string' && value !== '')).toBe(true);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('scopesFromIntrospection', () => {
  const vectors: readonly { description: string; input: unknown; expected: IntrospectionScopes }[] = [
    {
      description: 'active token with scope (RFC 7662 §2.2 example)',
      input: { active: true, client_id: 'l238j323ds-23ij4', scope: 'read write dolphin', sub: 'Z5O3upPC88QrAjx00dis' },
      expected: {
        active: true,
        scopes: ['read', 'write', 'dolphin'],
        claims: { active: true, client_id: 'l238j323ds-23ij4', scope: 'read write dolphin', sub: 'Z5O3upPC88QrAjx00dis' },
      },
    },
    {
      description: 'inactive token',
      input: { active: false },
      expected: { active: false, scopes: [], claims: { active: false } },
    },
    {
      description: 'an inactive token reports no scopes even when the server sends some',
      input: { active: false, scope: 'a b' },
      expected: { active: false, scopes: [], claims: { active: false, scope: 'a b' } },
    },
    {
      description: '"true" as a string is not active',
      input: { active: 'true', scope: 'a' },
      expected: { active: false, scopes: [], claims: { active: 'true', scope: 'a' } },
    },
    {
      description: 'a missing active is not active',
      input: { scope: 'a' },
      expected: { active: false, scopes: [], claims: { scope: 'a' } },
    },
    {
      description: 'active without scope',
      input: { active: true },
      expected: { active: true, scopes: [], claims: { active: true } },
    },
    {
      description: 'active with a scope of an unusable type',
      input: { active: true, scope: { a: 1 } },
      expected: { active: true, scopes: [], claims: { active: true, scope: { a: 1 } } },
    },
  ];

  it.each(vectors)('$description', ({ input, expected }) => {
    expect(scopesFromIntrospection(input)).toEqual(expected);
  });

  it.each([
    { description: 'null', input: null },
    { description: 'an array', input: [{ active: true }] },
    { description: 'a string (an unparsed body)', input: '{"active":true}' },
    { description: 'a number', input: 1 },
    { description: 'undefined', input: undefined },
  ])('refuses a body that is $description', ({ input }) => {
    let thrown: unknown;
    try {
      scopesFromIntrospection(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(NetworkError);
    expect((thrown as NetworkError).code).toBe('introspection_malformed');
    expect((thrown as NetworkError).exitCode).toBe(4);
  });
});

describe('openidEvidence', () => {
  const base: Omit<OpenIdEvidenceInput, 'requested'> = {
    accessTokenScopes: ['videos:read'],
    idTokenClaims: null,
    hasRefreshToken: false,
  };
  const vectors: readonly { description: string; input: OpenIdEvidenceInput; expected: Record<string, string> }[] = [
    {
      description: 'nothing held: no evidence',
      input: { ...base, requested: ['openid', 'profile', 'email', 'offline_access'] },
      expected: {},
    },
    {
      description: 'an id token evidences openid, a refresh token offline_access',
      input: {
        ...base,
        requested: ['openid', 'offline_access', 'videos:read'],
        idTokenClaims: { iss: 'https://auth.example.com', sub: 'u1', aud: 'c1' },
        hasRefreshToken: true,
      },
      expected: { openid: 'id_token', offline_access: 'refresh_token' },
    },
    {
      description: 'profile and email only by their claims; their absence proves nothing',
      input: {
        ...base,
        requested: ['openid', 'profile', 'email', 'address', 'phone'],
        idTokenClaims: { sub: 'u1', email: 'u1@example.com', email_verified: true },
      },
      expected: { openid: 'id_token', email: 'id_token' },
    },
    {
      description: 'each standard claim group',
      input: {
        ...base,
        requested: ['profile', 'address', 'phone'],
        idTokenClaims: { preferred_username: 'u1', address: { country: 'NL' }, phone_number_verified: false },
      },
      expected: { profile: 'id_token', address: 'id_token', phone: 'id_token' },
    },
    {
      description: 'a claim that is present but null still shows the scope was honoured',
      input: { ...base, requested: ['profile'], idTokenClaims: { name: null } },
      expected: { profile: 'id_token' },
    },
    {
      description: 'scopes the access token already carries need no evidence',
      input: {
        ...base,
        requested: ['openid', 'offline_access'],
        accessTokenScopes: ['openid', 'offline_access'],
        idTokenClaims: { sub: 'u1' },
        hasRefreshToken: true,
      },
      expected: {},
    },
    {
      description: 'scopes not requested are not reported',
      input: { ...base, requested: ['videos:read'], idTokenClaims: { sub: 'u1', email: 'a@b' }, hasRefreshToken: true },
      expected: {},
    },
    {
      description: 'comparison is exact: OPENID is not openid',
      input: { ...base, requested: ['OPENID'], idTokenClaims: { sub: 'u1' } },
      expected: {},
    },
    {
      description: 'an id token claims value that is not an object counts as none',
      input: {
        ...base,
        requested: ['openid'],
        idTokenClaims: 'eyJ...' as unknown as Record<string, unknown>,
      },
      expected: {},
    },
    {
      description: 'an absent id token (undefined)',
      input: { requested: ['openid', 'offline_access'], accessTokenScopes: [], hasRefreshToken: true },
      expected: { offline_access: 'refresh_token' },
    },
  ];

  it.each(vectors)('$description', ({ input, expected }) => {
    expect(openidEvidence(input)).toEqual(expected);
  });

  it('lists the OpenID Connect scopes', () => {
    expect([...OPENID_SCOPES]).toEqual(['openid', 'profile', 'email', 'address', 'phone', 'offline_access']);
  });
});
