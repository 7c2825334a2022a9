import { describe, it, expect } from 'vitest';
import {
  ChallengeParseError,
  findBearer,
  formatChallenge,
  parseWwwAuthenticate,
  readAcrValues,
  readError,
  readMaxAge,
  readResourceMetadata,
  readScope,
  type Challenge,
} from '../../src/core/challenges.js';
import { ExitCode } from '../../src/errors.js';

const bearer = (params: Record<string, string>, duplicates: string[] = []): Challenge => ({ scheme: 'bearer', params, duplicates });

const parsed = (value: string | readonly string[]): Challenge[] => {
  const result = parseWwwAuthenticate(value);
  if (!result.ok) throw new Error(`expected a parse, got ${result.error.message}`);
  return result.challenges;
};

/** standards.md §8, vectors 1–20, exactly. */
const standardVectors: { description: string; input: string | readonly string[]; expected: Challenge[] | { error: string; raw: string } }[] = [
  { description: '1 realm only', input: 'Bearer realm="example"', expected: [bearer({ realm: 'example' })] },
  { description: '2 bare Bearer is accepted', input: 'Bearer', expected: [bearer({})] },
  {
    description: '3 lowercase scheme, insufficient_scope with scope',
    input: 'bearer error="insufficient_scope", scope="files:read files:write"',
    expected: [bearer({ error: 'insufficient_scope', scope: 'files:read files:write' })],
  },
  {
    description: '4 a comma inside quotes does not split',
    input: 'Bearer error="insufficient_scope",scope="a b",error_description="needs a, b; or c"',
    expected: [bearer({ error: 'insufficient_scope', scope: 'a b', error_description: 'needs a, b; or c' })],
  },
  {
    description: '5 two challenges, token value, escaped quotes',
    input: String.raw`Basic realm="simple", Newauth realm="apps", type=1, title="Login to \"apps\""`,
    expected: [
      { scheme: 'basic', params: { realm: 'simple' }, duplicates: [] },
      { scheme: 'newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' }, duplicates: [] },
    ],
  },
  {
    description: '6 an empty realm is kept, not dropped',
    input:
      'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
    expected: [
      bearer({
        realm: '',
        authorization_uri: 'https://login.microsoftonline.com/common/oauth2/authorize',
        client_id: '00000003-0000-0000-c000-000000000000',
      }),
    ],
  },
  {
    description: '7 base64 claims keeps its trailing =',
    input:
      'Bearer authorization_uri="https://login.windows.net/common/oauth2/authorize", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ9fX0="',
    expected: [
      bearer({
        authorization_uri: 'https://login.windows.net/common/oauth2/authorize',
        error: 'insufficient_claims',
        claims: 'eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ9fX0=',
      }),
    ],
  },
  {
    description: '8 step-up with quoted max_age',
    input: 'Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="5"',
    expected: [
      bearer({ error: 'insufficient_user_authentication', error_description: 'More recent authentication is required', max_age: '5' }),
    ],
  },
  {
    description: '9 step-up with bare max_age',
    input: 'Bearer error="insufficient_user_authentication", max_age=300',
    expected: [bearer({ error: 'insufficient_user_authentication', max_age: '300' })],
  },
  {
    description: '10 DPoP then Bearer with resource_metadata',
    input: 'DPoP algs="ES256 PS256", Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource"',
    expected: [
      { scheme: 'dpop', params: { algs: 'ES256 PS256' }, duplicates: [] },
      bearer({ resource_metadata: 'https://mcp.example.com/.well-known/oauth-protected-resource' }),
    ],
  },
  {
    description: '11 two header lines are joined with ", "',
    input: ['Bearer realm="a"', 'Basic realm="b"'],
    expected: [bearer({ realm: 'a' }), { scheme: 'basic', params: { realm: 'b' }, duplicates: [] }],
  },
  {
    description: '12 token68 then another challenge',
    input: 'Newauth abc123==, Bearer realm="x"',
    expected: [{ scheme: 'newauth', token68: 'abc123==', params: {}, duplicates: [] }, bearer({ realm: 'x' })],
  },
  {
    description: '13 a scheme with nothing, then another challenge',
    input: 'Negotiate, Bearer realm="x"',
    expected: [{ scheme: 'negotiate', params: {}, duplicates: [] }, bearer({ realm: 'x' })],
  },
  {
    description: '14 BWS around = and an unquoted token value',
    input: 'Bearer realm = "x" , error = invalid_token',
    expected: [bearer({ realm: 'x', error: 'invalid_token' })],
  },
  {
    description: '15 backslash escapes are removed',
    input: String.raw`Bearer error_description="C:\\tmp \"q\""`,
    expected: [bearer({ error_description: 'C:\\tmp "q"' })],
  },
  {
    description: '16 a repeated parameter keeps the first value and is flagged',
    input: 'Bearer scope="a", scope="b"',
    expected: [bearer({ scope: 'a' }, ['scope'])],
  },
  { description: '17 empty list elements are ignored', input: ', Bearer realm="a",, ', expected: [bearer({ realm: 'a' })] },
  {
    description: '18 parameter names are lowercased, values keep their case',
    input: 'Bearer Scope="Read", ERROR="insufficient_scope"',
    expected: [bearer({ scope: 'Read', error: 'insufficient_scope' })],
  },
  {
    description: '19 an unterminated quoted string is an error that keeps the raw header',
    input: 'Bearer realm="abc',
    expected: { error: 'unterminated_quoted_string', raw: 'Bearer realm="abc' },
  },
  {
    description: '20 Google challenge',
    input:
      'Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="https://www.googleapis.com/auth/iam https://www.googleapis.com/auth/cloud-platform"',
    expected: [
      bearer({
        realm: 'https://accounts.google.com/',
        error: 'insufficient_scope',
        scope: 'https://www.googleapis.com/auth/iam https://www.googleapis.com/auth/cloud-platform',
      }),
    ],
  },
];

describe('parseWwwAuthenticate: standards.md §8 vectors', () => {
  it.each(standardVectors)('$description', ({ input, expected }) => {
    const result = parseWwwAuthenticate(input);
    if (Array.isArray(expected)) {
      expect(result.ok).toBe(true);
      expect(result.challenges).toEqual(expected);
    } else {
      const failure = expected as { error: string; raw: string };
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error).toBeInstanceOf(ChallengeParseError);
      expect(result.error.reason).toBe(failure.error);
      expect(result.raw).toBe(failure.raw);
      expect(result.challenges).toEqual([]);
    }
  });

  it('3: the scope parameter reads as two scopes', () => {
    expect(readScope(parsed('bearer error="insufficient_scope", scope="files:read files:write"')[0]!)).toEqual([
      'files:read',
      'files:write',
    ]);
  });

  it('7: claims decodes to the CAE claims request', () => {
    const [challenge] = parsed(
      'Bearer authorization_uri="https://login.windows.net/common/oauth2/authorize", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ9fX0="',
    );
    expect(atob(challenge!.params.claims!)).toBe('{"access_token":{"nbf":{"essential":true, "value":"1604106651"}}}');
  });

  it('8, 9: max_age quoted and bare', () => {
    expect(readMaxAge(parsed('Bearer error="insufficient_user_authentication", max_age="5"')[0]!)).toBe(5);
    expect(readMaxAge(parsed('Bearer error="insufficient_user_authentication", max_age=300')[0]!)).toBe(300);
  });

  it('10: resource_metadata is taken from the bearer challenge', () => {
    const challenges = parsed(
      'DPoP algs="ES256 PS256", Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource"',
    );
    expect(readResourceMetadata(findBearer(challenges)!)).toBe('https://mcp.example.com/.well-known/oauth-protected-resource');
  });

  it('16: the duplicate is reported as a warning', () => {
    const result = parseWwwAuthenticate('Bearer scope="a", scope="b"');
    expect(result.warnings).toEqual(['bearer: parameter "scope" repeated; the first value is kept']);
  });

  it('20: the Google scope lists two scopes', () => {
    const [challenge] = parsed(
      'Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="https://www.googleapis.com/auth/iam https://www.googleapis.com/auth/cloud-platform"',
    );
    expect(readScope(challenge!)).toEqual(['https://www.googleapis.com/auth/iam', 'https://www.googleapis.com/auth/cloud-platform']);
  });
});

describe('parseWwwAuthenticate: more shapes', () => {
  const vectors: { description: string; input: string; expected: Challenge[] }[] = [
    { description: 'empty header', input: '', expected: [] },
    { description: 'only separators', input: ' ,, , ', expected: [] },
    { description: 'tabs as whitespace', input: 'Bearer\trealm\t=\t"x"', expected: [bearer({ realm: 'x' })] },
    { description: 'token68 without padding', input: 'Basic dXNlcjpwYXNz', expected: [{ scheme: 'basic', token68: 'dXNlcjpwYXNz', params: {}, duplicates: [] }] },
    { description: 'token68 with a slash', input: 'Newauth a/b+c=', expected: [{ scheme: 'newauth', token68: 'a/b+c=', params: {}, duplicates: [] }] },
    {
      description: 'a param after a comma belongs to the current challenge',
      input: 'Bearer realm="x",error="invalid_token",  error_description="expired"',
      expected: [bearer({ realm: 'x', error: 'invalid_token', error_description: 'expired' })],
    },
    {
      description: 'a new challenge after a token68',
      input: 'Newauth abc, Basic realm="b"',
      expected: [
        { scheme: 'newauth', token68: 'abc', params: {}, duplicates: [] },
        { scheme: 'basic', params: { realm: 'b' }, duplicates: [] },
      ],
    },
    { description: 'an escaped backslash at the end of a quoted string', input: String.raw`Bearer a="x\\"`, expected: [bearer({ a: 'x\\' })] },
    { description: 'an empty quoted string', input: 'Bearer scope=""', expected: [bearer({ scope: '' })] },
    { description: 'obs-text inside quotes is kept', input: 'Bearer realm="café ☕"', expected: [bearer({ realm: 'café ☕' })] },
    {
      description: 'a bare URL value is accepted',
      input: 'Bearer resource_metadata=https://rs.example/.well-known/oauth-protected-resource',
      expected: [bearer({ resource_metadata: 'https://rs.example/.well-known/oauth-protected-resource' })],
    },
    {
      description: 'a missing comma between params is tolerated',
      input: 'Bearer realm="x" error="invalid_token"',
      expected: [bearer({ realm: 'x', error: 'invalid_token' })],
    },
    {
      description: 'a parameter named __proto__ is an own property and pollutes nothing',
      input: 'Bearer __proto__="polluted", constructor="c", toString=x',
      expected: [bearer({ ['__proto__']: 'polluted', constructor: 'c', tostring: 'x' })],
    },
  ];

  it.each(vectors)('$description', ({ input, expected }) => {
    const result = parseWwwAuthenticate(input);
    expect(result.ok).toBe(true);
    expect(result.challenges).toEqual(expected);
  });

  it('a __proto__ parameter does not change any prototype', () => {
    const [challenge] = parsed('Bearer __proto__="polluted", constructor="c"');
    expect(Object.getPrototypeOf(challenge!.params)).toBeNull();
    expect(Object.hasOwn(challenge!.params, '__proto__')).toBe(true);
    expect(challenge!.params['__proto__' as string]).toBe('polluted');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(readError(challenge!)).toBeUndefined();
  });

  it('helpers do not read inherited names', () => {
    const [challenge] = parsed('Bearer realm="x"');
    expect(readScope(challenge!)).toBeUndefined();
    expect(readMaxAge(challenge!)).toBeUndefined();
    expect(readAcrValues(challenge!)).toBeUndefined();
  });

  it('warns on an unquoted value outside token', () => {
    const result = parseWwwAuthenticate('Bearer resource_metadata=https://rs.example/x');
    expect(result.warnings).toEqual(['bearer: unquoted value of "resource_metadata" has characters a token may not hold']);
  });
});

describe('parseWwwAuthenticate: errors', () => {
  const vectors: { description: string; input: unknown; reason: string; position: number; challenges: number }[] = [
    { description: 'unterminated after an escape', input: 'Bearer a="x\\', reason: 'unterminated_quoted_string', position: 9, challenges: 0 },
    { description: 'a challenge before the error is kept', input: 'Basic realm="a", Bearer realm="b', reason: 'unterminated_quoted_string', position: 30, challenges: 1 },
    { description: 'starts with a quote', input: '"Bearer"', reason: 'expected_scheme', position: 0, challenges: 0 },
    { description: 'starts with =', input: '=abc', reason: 'expected_scheme', position: 0, challenges: 0 },
    { description: 'a quote glued to the scheme', input: 'Bearer"x"', reason: 'unexpected_character', position: 6, challenges: 0 },
    { description: 'a name without =', input: 'Bearer realm "x"', reason: 'expected_equals', position: 13, challenges: 0 },
    { description: 'a name with = and no value', input: 'Bearer a=b, c=', reason: 'expected_value', position: 14, challenges: 0 },
    { description: 'a lone "name=" reads as token68, so what follows must be a challenge', input: 'Bearer realm=, error="x"', reason: 'unexpected_character', position: 20, challenges: 1 },
    { description: 'a value followed by junk', input: 'Bearer realm="x"y', reason: 'expected_comma', position: 16, challenges: 0 },
    { description: 'a second scheme without comma', input: 'Bearer realm="a" Basic realm="b"', reason: 'expected_comma', position: 17, challenges: 0 },
    { description: 'a non-ASCII scheme', input: 'Bëarer realm="x"', reason: 'unexpected_character', position: 1, challenges: 0 },
    { description: 'not a string', input: 42, reason: 'invalid_input', position: 0, challenges: 0 },
    { description: 'a list holding a non-string', input: ['Bearer', null], reason: 'invalid_input', position: 0, challenges: 0 },
  ];

  it.each(vectors)('$description', ({ input, reason, position, challenges }) => {
    const result = parseWwwAuthenticate(input as string);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(ChallengeParseError);
    expect(result.error.reason).toBe(reason);
    expect(result.error.position).toBe(position);
    expect(result.challenges).toHaveLength(challenges);
  });

  it('is a typed error with a code and exit code 4', () => {
    const result = parseWwwAuthenticate('Bearer realm="abc');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('malformed_www_authenticate');
    expect(result.error.exitCode).toBe(ExitCode.network);
    expect(result.error.message).toBe('Malformed WWW-Authenticate header: unterminated quoted string at position 13.');
  });
});

describe('challenge readers', () => {
  it.each([
    { description: 'quoted seconds', input: 'Bearer max_age="60"', expected: 60, warnings: [] },
    { description: 'bare zero', input: 'Bearer max_age=0', expected: 0, warnings: [] },
    { description: 'not a number', input: 'Bearer max_age="soon"', expected: undefined, warnings: ['max_age "soon" is not a number of seconds; ignored'] },
    { description: 'negative', input: 'Bearer max_age=-5', expected: undefined, warnings: ['max_age "-5" is not a number of seconds; ignored'] },
    { description: 'decimal', input: 'Bearer max_age=1.5', expected: undefined, warnings: ['max_age "1.5" is not a number of seconds; ignored'] },
    { description: 'empty', input: 'Bearer max_age=""', expected: undefined, warnings: ['max_age "" is not a number of seconds; ignored'] },
    {
      description: 'absurdly long',
      input: `Bearer max_age=${'9'.repeat(40)}`,
      expected: undefined,
      warnings: [`max_age "${'9'.repeat(40)}" is not a number of seconds; ignored`],
    },
  ])('max_age: $description', ({ input, expected, warnings }) => {
    const sink: string[] = [];
    expect(readMaxAge(parsed(input)[0]!, sink)).toBe(expected);
    expect(sink).toEqual(warnings);
  });

  it('acr_values keep their order of preference', () => {
    expect(readAcrValues(parsed('Bearer acr_values="urn:mace:incommon:iap:silver  phr"')[0]!)).toEqual([
      'urn:mace:incommon:iap:silver',
      'phr',
    ]);
  });

  it('an empty scope is the empty list', () => {
    expect(readScope(parsed('Bearer scope=""')[0]!)).toEqual([]);
  });

  it('scope tolerates runs of spaces and repeats', () => {
    expect(readScope(parsed('Bearer scope="  a   b a "')[0]!)).toEqual(['a', 'b']);
  });

  it('findBearer skips other schemes and finds none when absent', () => {
    expect(findBearer(parsed('Basic realm="x", bearer realm="y"'))?.params.realm).toBe('y');
    expect(findBearer(parsed('Basic realm="x"'))).toBeUndefined();
  });

  it('an empty resource_metadata is absent', () => {
    expect(readResourceMetadata(parsed('Bearer resource_metadata=""')[0]!)).toBeUndefined();
  });

  it('formatChallenge writes evidence back as header text', () => {
    expect(formatChallenge(parsed('bearer error="insufficient_scope", scope="a b"')[0]!)).toBe('Bearer error="insufficient_scope", scope="a b"');
    expect(formatChallenge(parsed(String.raw`Newauth title="say \"hi\""`)[0]!)).toBe(String.raw`newauth title="say \"hi\""`);
    expect(formatChallenge(parsed('Newauth abc==')[0]!)).toBe('newauth abc==');
    expect(formatChallenge(parsed('dpop')[0]!)).toBe('DPoP');
    expect(formatChallenge(parsed(`Bearer realm="\u001b[31mred"`)[0]!)).toBe(String.raw`Bearer realm="\\x1b[31mred"`);
    expect(formatChallenge(parsed(`Bearer realm="${'x'.repeat(300)}"`)[0]!, 10)).toBe(`Bearer realm="${'x'.repeat(10)}…"`);
  });
});
