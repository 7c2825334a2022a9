/**
 * The WWW-Authenticate parser against other projects' published test suites, rewritten as vectors here:
 *  - oauth4webapi's test/www_authenticate.test.ts, itself adapted from w3ap's ReschkeSpec, i.e. Julian Reschke's
 *    greenbytes HTTP authentication test cases (http://greenbytes.de/tech/tc/httpauth/):
 *    https://github.com/panva/oauth4webapi/blob/main/test/www_authenticate.test.ts
 *  - OkHttp's HeadersChallengesTest:
 *    https://github.com/square/okhttp/blob/master/okhttp/src/jvmTest/kotlin/okhttp3/HeadersChallengesTest.kt
 *  - Apache HttpClient 5's TestAuthChallengeParser:
 *    https://github.com/apache/httpcomponents-client/blob/master/httpclient5/src/test/java/org/apache/hc/client5/http/impl/auth/TestAuthChallengeParser.java
 * Where this parser deliberately differs (it reads what real servers send rather than reject it), the vector says so
 * in `differs`: it keeps the FIRST of repeated parameters (RFC 9110 §11.2 forbids repeats; the first is what a server
 * meant before a proxy appended), accepts a bare scheme, and reads a parameter after `Scheme,` with a warning.
 */
import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate } from '../../src/core/challenges.js';
import { readScopeFinding } from '../../src/core/dialects.js';

interface Expected {
  readonly scheme: string;
  readonly params?: Record<string, string>;
  readonly token68?: string;
}

interface SuiteVector {
  readonly suite: 'oauth4webapi/greenbytes' | 'okhttp' | 'apache-httpclient';
  readonly description: string;
  readonly header: string | readonly string[];
  /** The challenges read (before any error). */
  readonly expected: readonly Expected[];
  /** False when the header is malformed (the challenges before the error are still returned). */
  readonly ok: boolean;
  /** How the other suite's expectation differs, when it does. */
  readonly differs?: string;
  /** A warning some line must contain. */
  readonly warning?: string;
}

const VECTORS: readonly SuiteVector[] = [
  // oauth4webapi / greenbytes: the empty-list-element cases that issue 9 is about
  { suite: 'oauth4webapi/greenbytes', description: 'a comma between scheme and auth-param (simplebasiccomma)', header: 'Scheme , realm="foo"', expected: [{ scheme: 'scheme', params: { realm: 'foo' } }], ok: true },
  {
    suite: 'oauth4webapi/greenbytes',
    description: 'a comma right after the scheme, no space (simplebasiccomma2)',
    header: 'Scheme, realm="foo"',
    expected: [{ scheme: 'scheme', params: { realm: 'foo' } }],
    ok: true,
    warning: 'no space between the auth-scheme and its first parameter',
    differs: 'oauth4webapi rejects it; a parameter cannot start a challenge, so it is read as the scheme\'s, with a warning',
  },
  { suite: 'oauth4webapi/greenbytes', description: 'a challenge following an empty one (multibasicempty)', header: ',Scheme realm="basic"', expected: [{ scheme: 'scheme', params: { realm: 'basic' } }], ok: true },
  { suite: 'oauth4webapi/greenbytes', description: 'empty list elements among auth-params (simplebasicnewparam1)', header: 'Scheme realm="foo", bar="xyz",, a=b,,,c=d', expected: [{ scheme: 'scheme', params: { realm: 'foo', bar: 'xyz', a: 'b', c: 'd' } }], ok: true },
  // oauth4webapi / greenbytes: the rest
  { suite: 'oauth4webapi/greenbytes', description: 'empty', header: '', expected: [], ok: true, differs: 'oauth4webapi rejects a header without a challenge; here it reads as no challenge' },
  { suite: 'oauth4webapi/greenbytes', description: 'empty * 2', header: ',', expected: [], ok: true, differs: 'as above' },
  { suite: 'oauth4webapi/greenbytes', description: 'parameter missing', header: 'Scheme', expected: [{ scheme: 'scheme', params: {} }], ok: true, differs: 'a bare scheme is accepted (a bare `Bearer` is common)' },
  { suite: 'oauth4webapi/greenbytes', description: 'two schemes, parameters missing in one', header: 'Scheme, DPoP algs="ES256"', expected: [{ scheme: 'scheme', params: {} }, { scheme: 'dpop', params: { algs: 'ES256' } }], ok: true, differs: 'a bare scheme is accepted' },
  { suite: 'oauth4webapi/greenbytes', description: 'a realm missing the second double quote', header: 'Scheme realm="basic', expected: [], ok: false },
  { suite: 'oauth4webapi/greenbytes', description: 'simple scheme', header: 'Scheme realm="foo"', expected: [{ scheme: 'scheme', params: { realm: 'foo' } }], ok: true },
  { suite: 'oauth4webapi/greenbytes', description: 'upper case', header: 'SCHEME REALM="foo"', expected: [{ scheme: 'scheme', params: { realm: 'foo' } }], ok: true },
  { suite: 'oauth4webapi/greenbytes', description: 'token format for realm', header: 'Scheme realm=foo', expected: [{ scheme: 'scheme', params: { realm: 'foo' } }], ok: true },
  { suite: 'oauth4webapi/greenbytes', description: 'single quotes (kept)', header: "Scheme realm='foo'", expected: [{ scheme: 'scheme', params: { realm: "'foo'" } }], ok: true },
  { suite: 'oauth4webapi/greenbytes', description: 'a %-escape is not special', header: 'Scheme realm="foo%20bar"', expected: [{ scheme: 'scheme', params: { realm: 'foo%20bar' } }], ok: true },
  {
    suite: 'oauth4webapi/greenbytes',
    description: 'duplicate parameters',
    header: 'Scheme realm="foo", realm="bar"',
    expected: [{ scheme: 'scheme', params: { realm: 'foo' } }],
    ok: true,
    warning: 'parameter "realm" repeated; the first value is kept',
    differs: 'oauth4webapi keeps the last; here the first, with a warning',
  },
  { suite: 'oauth4webapi/greenbytes', description: 'whitespace around "="', header: 'Scheme realm = "foo"', expected: [{ scheme: 'scheme', params: { realm: 'foo' } }], ok: true },
  { suite: 'oauth4webapi/greenbytes', description: 'quoted-string escapes', header: 'Scheme realm="\\"foo\\""', expected: [{ scheme: 'scheme', params: { realm: '"foo"' } }], ok: true },
  { suite: 'oauth4webapi/greenbytes', description: 'reversed parameter order', header: 'Scheme bar="xyz", realm="foo"', expected: [{ scheme: 'scheme', params: { bar: 'xyz', realm: 'foo' } }], ok: true },
  {
    suite: 'oauth4webapi/greenbytes',
    description: 'two challenges, the first with an escaped quote (multibasicqs)',
    header: 'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Scheme realm="simple" ',
    expected: [{ scheme: 'newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } }, { scheme: 'scheme', params: { realm: 'simple' } }],
    ok: true,
  },
  { suite: 'oauth4webapi/greenbytes', description: '"realm=" inside a quoted value (disguisedrealm)', header: 'Scheme foo="realm=nottherealm", realm="basic"', expected: [{ scheme: 'scheme', params: { foo: 'realm=nottherealm', realm: 'basic' } }], ok: true },
  { suite: 'oauth4webapi/greenbytes', description: 'token68 without "="', header: 'NTLS Y2hhbGxlbmdlIHdpdGggYmFzZTY0IGRhdGEgd2l0aG91dCBlcXVhbCBzaWdu', expected: [{ scheme: 'ntls', token68: 'Y2hhbGxlbmdlIHdpdGggYmFzZTY0IGRhdGEgd2l0aG91dCBlcXVhbCBzaWdu' }], ok: true },
  { suite: 'oauth4webapi/greenbytes', description: 'token68 with "==" and another challenge', header: 'NTLS Y2hhbGxlbmdlIHdpdGggbW9yZSBiYXNlNjQgZGF0YQ==, Scheme realm="foobar"', expected: [{ scheme: 'ntls', token68: 'Y2hhbGxlbmdlIHdpdGggbW9yZSBiYXNlNjQgZGF0YQ==' }, { scheme: 'scheme', params: { realm: 'foobar' } }], ok: true },
  { suite: 'oauth4webapi/greenbytes', description: 'a missing value reads as token68', header: 'Bearer error=', expected: [{ scheme: 'bearer', token68: 'error=' }], ok: true },
  { suite: 'oauth4webapi/greenbytes', description: 'weird spacing and commas', header: 'Bearer   realm =   "something"   ,error="bad_token" ,  error_description = " spaced "', expected: [{ scheme: 'bearer', params: { realm: 'something', error: 'bad_token', error_description: ' spaced ' } }], ok: true },
  { suite: 'oauth4webapi/greenbytes', description: 'missing scheme', header: 'error="invalid_token"', expected: [], ok: false },
  { suite: 'oauth4webapi/greenbytes', description: 'missing "=" between key and value', header: 'Bearer error"invalid_token"', expected: [], ok: false },
  { suite: 'oauth4webapi/greenbytes', description: 'junk after a valid challenge', header: 'Bearer error="ok", ???', expected: [{ scheme: 'bearer', params: { error: 'ok' } }], ok: false },
  { suite: 'oauth4webapi/greenbytes', description: 'a stray escape eats the closing quote', header: 'Bearer error="bad\\escape\\"', expected: [], ok: false },
  { suite: 'oauth4webapi/greenbytes', description: 'token68 then auth-params', header: 'Negotiate abc123==, realm="ignored"', expected: [{ scheme: 'negotiate', token68: 'abc123==' }], ok: false },
  { suite: 'oauth4webapi/greenbytes', description: 'an escaped backslash', header: 'Bearer error_description="bad \\\\ token"', expected: [{ scheme: 'bearer', params: { error_description: 'bad \\ token' } }], ok: true },
  { suite: 'oauth4webapi/greenbytes', description: 'upper-case keys lowercased', header: 'Bearer ERROR="token", Scope="read"', expected: [{ scheme: 'bearer', params: { error: 'token', scope: 'read' } }], ok: true },
  { suite: 'oauth4webapi/greenbytes', description: 'a trailing comma', header: 'Bearer realm="foo",', expected: [{ scheme: 'bearer', params: { realm: 'foo' } }], ok: true },
  {
    suite: 'oauth4webapi/greenbytes',
    description: 'three challenges, one a token68',
    header: 'Bearer realm="foo", Digest blah==, Basic realm="bar"',
    expected: [{ scheme: 'bearer', params: { realm: 'foo' } }, { scheme: 'digest', token68: 'blah==' }, { scheme: 'basic', params: { realm: 'bar' } }],
    ok: true,
  },
  // OkHttp
  { suite: 'okhttp', description: 'separatorsBeforeFirstChallenge', header: ' ,  , Basic realm=myrealm', expected: [{ scheme: 'basic', params: { realm: 'myrealm' } }], ok: true },
  { suite: 'okhttp', description: 'multipleChallengesInOneHeader', header: 'Basic realm = "myrealm",Digest', expected: [{ scheme: 'basic', params: { realm: 'myrealm' } }, { scheme: 'digest', params: {} }], ok: true },
  { suite: 'okhttp', description: 'separatorsBeforeFirstAuthParam', header: 'Digest, Basic ,,realm="myrealm"', expected: [{ scheme: 'digest', params: {} }, { scheme: 'basic', params: { realm: 'myrealm' } }], ok: true },
  { suite: 'okhttp', description: 'onlyCommaBetweenChallenges', header: 'Digest,Basic realm="myrealm"', expected: [{ scheme: 'digest', params: {} }, { scheme: 'basic', params: { realm: 'myrealm' } }], ok: true },
  { suite: 'okhttp', description: 'unknownAuthParams', header: 'Digest,,,, Basic ,,foo=bar,realm="myrealm"', expected: [{ scheme: 'digest', params: {} }, { scheme: 'basic', params: { foo: 'bar', realm: 'myrealm' } }], ok: true },
  { suite: 'okhttp', description: 'escapedCharactersInQuotedString', header: 'Digest,,,, Basic ,,,realm="my\\\\\\"r\\ealm"', expected: [{ scheme: 'digest', params: {} }, { scheme: 'basic', params: { realm: 'my\\"realm' } }], ok: true },
  { suite: 'okhttp', description: 'commaInQuotedStringAndBeforeFirstChallenge', header: ',Digest,,,, Basic ,,,realm="my, realm,"', expected: [{ scheme: 'digest', params: {} }, { scheme: 'basic', params: { realm: 'my, realm,' } }], ok: true },
  { suite: 'okhttp', description: 'unescapedDoubleQuoteInQuotedString', header: 'Digest,,,, Basic ,,,realm="my"realm"', expected: [{ scheme: 'digest', params: {} }], ok: false },
  { suite: 'okhttp', description: 'token68AndAuthParams', header: 'Other abc==, realm=myrealm', expected: [{ scheme: 'other', token68: 'abc==' }], ok: false },
  {
    suite: 'okhttp',
    description: 'repeatedAuthParamKey',
    header: 'Other realm=myotherrealm, realm=myrealm',
    expected: [{ scheme: 'other', params: { realm: 'myotherrealm' } }],
    ok: true,
    differs: 'OkHttp drops the challenge; here the first value is kept, with a warning',
  },
  // Apache HttpClient
  { suite: 'apache-httpclient', description: 'testParseAuthChallengeWithBlanks', header: '   Basic  realm = blah   ', expected: [{ scheme: 'basic', params: { realm: 'blah' } }], ok: true },
  { suite: 'apache-httpclient', description: 'testParseMultipleAuthChallenge (token68 each)', header: 'This  xxxxxxxxxxxxxxxxxxxxxx, That yyyyyyyyyyyyyyyyyyyyyy  ', expected: [{ scheme: 'this', token68: 'xxxxxxxxxxxxxxxxxxxxxx' }, { scheme: 'that', token68: 'yyyyyyyyyyyyyyyyyyyyyy' }], ok: true },
  {
    suite: 'apache-httpclient',
    description: 'testParseMultipleAuthChallengeWithParamsContainingComma',
    header: 'Basic realm=blah, param1 = "this, param2=that", Basic realm="\\"yada,,,,\\""',
    expected: [{ scheme: 'basic', params: { realm: 'blah', param1: 'this, param2=that' } }, { scheme: 'basic', params: { realm: '"yada,,,,"' } }],
    ok: true,
  },
  {
    suite: 'apache-httpclient',
    description: 'testParseParameterAndToken68AuthChallengeMix',
    header: 'scheme1 aaaa  , scheme2 aaaa==,  scheme3 aaaa=aaaa, scheme4 aaaa=',
    expected: [{ scheme: 'scheme1', token68: 'aaaa' }, { scheme: 'scheme2', token68: 'aaaa==' }, { scheme: 'scheme3', params: { aaaa: 'aaaa' } }, { scheme: 'scheme4', token68: 'aaaa=' }],
    ok: true,
  },
  { suite: 'apache-httpclient', description: 'testParseMalformedAuthChallenge1', header: 'This , ', expected: [{ scheme: 'this', params: {} }], ok: true, differs: 'Apache throws; a bare scheme and an empty element are accepted here' },
  { suite: 'apache-httpclient', description: 'testParseMalformedAuthChallenge2', header: 'This = that', expected: [], ok: false },
  // The issue's own cases: the scope of an OAuth challenge is no longer lost.
  {
    suite: 'oauth4webapi/greenbytes',
    description: 'Bearer , error="insufficient_scope", scope="a b" (issue 9)',
    header: 'Bearer , error="insufficient_scope", scope="a b"',
    expected: [{ scheme: 'bearer', params: { error: 'insufficient_scope', scope: 'a b' } }],
    ok: true,
  },
  { suite: 'oauth4webapi/greenbytes', description: 'Basic , realm="x" then Bearer (issue 9)', header: 'Basic , realm="x", Bearer ,, scope="s"', expected: [{ scheme: 'basic', params: { realm: 'x' } }, { scheme: 'bearer', params: { scope: 's' } }], ok: true },
];

const shape = (challenge: { scheme: string; params: Readonly<Record<string, string>>; token68?: string }): Expected =>
  challenge.token68 === undefined ? { scheme: challenge.scheme, params: { ...challenge.params } } : { scheme: challenge.scheme, token68: challenge.token68 };

describe("WWW-Authenticate against other projects' suites", () => {
  it.each(VECTORS)('$suite: $description', ({ header, expected, ok, warning }) => {
    const parsed = parseWwwAuthenticate(header);
    expect(parsed.ok).toBe(ok);
    expect(parsed.challenges.map(shape)).toEqual(expected.map((challenge) => (challenge.token68 === undefined ? { params: {}, ...challenge } : challenge)));
    if (warning !== undefined) expect(parsed.warnings.some((line) => line.includes(warning))).toBe(true);
  });
});

describe('an empty list element before the first parameter no longer loses the scope', () => {
  it('reads Bearer , error="insufficient_scope", scope="a b" as missing a and b', () => {
    const found = readScopeFinding({ status: 403, headers: { 'www-authenticate': 'Bearer , error="insufficient_scope", scope="a b"' }, body: '' });
    expect(found).toMatchObject({ outcome: 'missing_scope', dialect: 'rfc6750', required: [['a', 'b']] });
    expect(found?.warnings ?? []).toEqual([]);
  });
});
