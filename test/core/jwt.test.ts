import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeToken as decodeUnnamed, formatFingerprint, normalizeToken } from '../../src/core/jwt.js';
// The providers' registry names opaque tokens by prefix; core's decodeToken takes the identifier as a parameter.
import { decodeToken, identifyToken as opaqueKind, TOKEN_KINDS as OPAQUE_KINDS } from '../../src/providers/index.js';
import type { DecodedToken } from '../../src/core/jwt.js';
import { UsageError } from '../../src/errors.js';

const b64url = (text: string | Uint8Array): string => Buffer.from(text).toString('base64url');
const segment = (value: unknown): string => b64url(JSON.stringify(value));
/** A signature-shaped segment: these tests never verify, so any base64url bytes do. */
const SIGNATURE = b64url(new Uint8Array(64).map((_, index) => (index * 37) % 256));
const jwt = (header: unknown, claims: unknown, signature = SIGNATURE): string =>
  `${segment(header)}.${segment(claims)}.${signature}`;

const NOW = 1_714_564_800;

const okta = {
  header: { kid: 'Vd6fXiNQqmHi0KoA1c-ehxXnGGxIOR3jGZzIpjIL-2A', alg: 'RS256' },
  claims: {
    ver: 1,
    jti: 'AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE',
    iss: 'https://dev-133337.okta.com/oauth2/default',
    aud: 'api://default',
    iat: NOW,
    exp: NOW + 3600,
    cid: '0oa1ceq8d2jBVjTKs4x7',
    uid: '00u1ceq8cjQh9ovGk4x7',
    scp: ['openid', 'okta.users.read'],
    sub: 'user@example.com',
  },
};
const entraDelegated = {
  header: { typ: 'JWT', alg: 'RS256', x5t: 'nOo3ZDrODXEK1jKWhXslHR_KXEg', kid: 'nOo3ZDrODXEK1jKWhXslHR_KXEg' },
  claims: {
    aud: '00000003-0000-0000-c000-000000000000',
    iss: 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/',
    iat: NOW,
    nbf: NOW,
    exp: NOW + 4479,
    scp: 'Mail.Read User.Read openid profile email',
    roles: ['Tasks.Admin'],
    tid: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    ver: '1.0',
  },
};
const rfc9068 = {
  header: { typ: 'at+jwt', alg: 'ES256', kid: 'key-1' },
  claims: {
    iss: 'https://auth.example.com/',
    sub: '5ba552d67',
    aud: 'https://api.example.com',
    exp: NOW + 300,
    iat: NOW,
    jti: 'dbe39bf3a3ba4238a513f51d6e1691c4',
    client_id: 's6BhdRkqt3',
    scope: 'openid offline_access videos:read export:write',
  },
};
/** Laserfiche-style: no scope claim at all (and for v1 APIs, full access). */
const noScopeClaim = {
  header: { alg: 'ES256', typ: 'JWT', kid: 'lf-1' },
  claims: { iss: 'signin.laserfiche.com', sub: '1001', csid: '123456789', aud: 'laserfiche.com', exp: NOW + 60 },
};
const unicodeClaims = { header: { alg: 'HS256' }, claims: { name: 'Zoë 山田 🦊', exp: NOW } };

const jweHeader = { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'enc-1', cty: 'JWT' };
const jwe = [segment(jweHeader), b64url('encrypted-key-bytes'), b64url('iv-bytes-12'), b64url('ciphertext'), b64url('tag')].join(
  '.',
);
const jweDir = [segment({ alg: 'dir', enc: 'A128CBC-HS256' }), '', b64url('iv'), b64url('ciphertext'), b64url('tag')].join('.');

interface Vector {
  readonly description: string;
  readonly input: string;
  readonly expected: DecodedToken;
}

const decodes: readonly Vector[] = [
  {
    description: 'Okta access token (scp array)',
    input: jwt(okta.header, okta.claims),
    expected: { format: 'jwt', ...okta },
  },
  {
    description: 'Entra delegated token (scp string, roles array)',
    input: jwt(entraDelegated.header, entraDelegated.claims),
    expected: { format: 'jwt', ...entraDelegated },
  },
  {
    description: 'RFC 9068 access token (typ at+jwt, scope string)',
    input: jwt(rfc9068.header, rfc9068.claims),
    expected: { format: 'jwt', ...rfc9068 },
  },
  {
    description: 'Laserfiche-style token with no scope claim',
    input: jwt(noScopeClaim.header, noScopeClaim.claims),
    expected: { format: 'jwt', ...noScopeClaim },
  },
  {
    description: 'UTF-8 claims',
    input: jwt(unicodeClaims.header, unicodeClaims.claims),
    expected: { format: 'jwt', ...unicodeClaims },
  },
  {
    description: 'unsecured JWT (alg none, empty signature)',
    input: jwt({ alg: 'none' }, { sub: 'x' }, ''),
    expected: { format: 'jwt', header: { alg: 'none' }, claims: { sub: 'x' } },
  },
  {
    description: 'empty claims object',
    input: jwt({ alg: 'HS256' }, {}),
    expected: { format: 'jwt', header: { alg: 'HS256' }, claims: {} },
  },
  {
    description: 'a JWT pasted with a trailing newline',
    input: `${jwt(rfc9068.header, rfc9068.claims)}\n`,
    expected: { format: 'jwt', ...rfc9068 },
  },
  {
    description: 'a JWT copied with its Authorization header scheme',
    input: `Bearer ${jwt(rfc9068.header, rfc9068.claims)}`,
    expected: { format: 'jwt', ...rfc9068 },
  },
  {
    description: 'a lowercase bearer prefix and surrounding whitespace',
    input: `  bearer\t${jwt(okta.header, okta.claims)} \r\n`,
    expected: { format: 'jwt', ...okta },
  },
  { description: 'JWE (5 segments)', input: jwe, expected: { format: 'jwe', header: jweHeader } },
  {
    description: 'JWE with alg dir (empty encrypted key)',
    input: jweDir,
    expected: { format: 'jwe', header: { alg: 'dir', enc: 'A128CBC-HS256' } },
  },
  {
    description: 'GitHub OAuth token',
    input: 'gho_16C7e42F292c6912E7710c838347Ae178B4a',
    expected: { format: 'opaque', kind: opaqueKind('gho_') },
  },
  {
    description: 'video API key, which bypasses scopes',
    input: 'vdo_live_8f2a0c1e9b7d4c3a',
    expected: { format: 'opaque', kind: opaqueKind('vdo_live_') },
  },
  {
    description: 'RFC 6749 example access token (no known prefix)',
    input: '2YotnFZFEjr1zCsicMWpAA',
    expected: { format: 'opaque', kind: null },
  },
  {
    description: 'Google-style opaque token with a dot',
    input: 'ya29.a0AfH6SMBx3kLq-9eRnT0wQ',
    expected: { format: 'opaque', kind: null },
  },
  {
    description: 'three segments that do not decode to JSON and do not look like a JWT',
    input: `${b64url('abc')}.${b64url('def')}.${b64url('sig')}`,
    expected: { format: 'opaque', kind: null },
  },
  {
    description: 'Slack rotating user token (dot in its prefix)',
    input: 'xoxe.xoxp-1-Mi0yLTE2NjE0NzI2ODcyNS0xNjYxNDcyNjg3',
    expected: { format: 'opaque', kind: opaqueKind('xoxe.xoxp-') },
  },
];

describe('decodeToken', () => {
  it.each(decodes)('$description', ({ input, expected }) => {
    expect(decodeToken(input)).toEqual(expected);
  });

  it('keeps the whole claims object, including members named like Object.prototype keys', () => {
    const decoded = decodeToken(`${segment({ alg: 'HS256' })}.${b64url('{"__proto__":{"x":1},"sub":"a"}')}.${SIGNATURE}`);
    expect(decoded.format).toBe('jwt');
    if (decoded.format !== 'jwt') return;
    expect(Object.keys(decoded.claims)).toEqual(['__proto__', 'sub']);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });
});

interface RefusalVector {
  readonly description: string;
  readonly input: string;
  /** A fragment the message must hold, naming why. */
  readonly why: string;
}

const refusals: readonly RefusalVector[] = [
  { description: 'empty input', input: '', why: 'empty' },
  { description: 'only whitespace', input: ' \n\t ', why: 'empty' },
  { description: 'only a Bearer prefix', input: 'Bearer ', why: 'empty' },
  { description: 'a sentence', input: 'please inspect this token', why: 'whitespace' },
  { description: 'a JWT wrapped over two lines', input: `${segment({ alg: 'RS256' })}.\n${segment({ a: 1 })}.x`, why: 'whitespace' },
  { description: 'binary bytes', input: '\u0000\u0001\u0002\u00ff\u0010abcdefgh', why: 'not printable ASCII' },
  { description: 'non-ASCII letters', input: 'tökenvalue123', why: 'character 2 is not printable ASCII' },
  { description: 'a.b.c (too short, not JSON)', input: 'a.b.c', why: 'too short' },
  { description: 'short garbage', input: 'abc', why: 'too short' },
  { description: '1 MB of dots', input: '.'.repeat(1_048_576), why: 'far longer than any token' },
  { description: '100 dots', input: '.'.repeat(100), why: 'no letters or digits' },
  { description: 'punctuation only', input: '!@#$%^&*()', why: 'no letters or digits' },
  { description: 'an opaque string beyond 16 KiB', input: 'x'.repeat(20_000), why: 'too long for an opaque token' },
  { description: 'a header that is null', input: `${b64url('null')}.${segment({ sub: 'a' })}.${SIGNATURE}`, why: 'header is JSON but not an object' },
  { description: 'a header that is an array', input: `${b64url('[]')}.${segment({ sub: 'a' })}.${SIGNATURE}`, why: 'header is JSON but not an object' },
  { description: 'a header that is a number', input: `${b64url('42')}.${segment({ sub: 'a' })}.${SIGNATURE}`, why: 'header is JSON but not an object' },
  { description: 'a header starting like JSON but cut', input: `eyJhbGciOiJSUzI1.${segment({ sub: 'a' })}.${SIGNATURE}`, why: 'header is not JSON' },
  { description: 'a header that is not base64url', input: `eyJhbGc*.${segment({ sub: 'a' })}.${SIGNATURE}`, why: 'header is not valid base64url' },
  { description: 'a header of impossible base64url length', input: `eyJhb.${segment({ sub: 'a' })}.${SIGNATURE}`, why: 'header is not valid base64url' },
  { description: 'a header that is not UTF-8', input: `eyJ${b64url(new Uint8Array([0xff, 0xfe, 0xfd]))}.e30.${SIGNATURE}`, why: 'header is not UTF-8' },
  { description: 'a payload that is not JSON', input: `${segment({ alg: 'RS256' })}.${b64url('not json')}.${SIGNATURE}`, why: 'payload is not JSON' },
  { description: 'a payload that is null', input: `${segment({ alg: 'RS256' })}.${b64url('null')}.${SIGNATURE}`, why: 'payload is JSON but not an object' },
  { description: 'a payload that is an array', input: `${segment({ alg: 'RS256' })}.${b64url('["a"]')}.${SIGNATURE}`, why: 'payload is JSON but not an object' },
  { description: 'a payload that is a string (a JWS, not a JWT)', input: `${segment({ alg: 'RS256' })}.${b64url('"hi"')}.${SIGNATURE}`, why: 'a JWS, not a JWT' },
  { description: 'an empty (detached) payload', input: `${segment({ alg: 'RS256' })}..${SIGNATURE}`, why: 'payload is empty' },
  { description: 'a payload with padding', input: `${segment({ alg: 'RS256' })}.${Buffer.from('{"a":1}').toString('base64')}.${SIGNATURE}`, why: 'segment 2 holds characters outside base64url' },
  { description: 'a signature with a bad character', input: `${jwt({ alg: 'RS256' }, { a: 1 }, 'abc+def')}`, why: 'segment 3 holds characters outside base64url' },
  { description: 'a JWT cut after its payload', input: `${segment({ alg: 'RS256' })}.${segment({ a: 1 })}`, why: 'has 2 dot-separated segments' },
  { description: 'a JWT with a segment too many', input: `${jwt({ alg: 'RS256' }, { a: 1 })}.extra`, why: 'has 4 dot-separated segments' },
  { description: 'a JWE whose header is null', input: [b64url('null'), 'a', 'b', 'c', 'd'].join('.'), why: 'header is JSON but not an object' },
  { description: 'a JWE cut in half', input: jwe.split('.').slice(0, 2).join('.'), why: 'has 2 dot-separated segments' },
];

describe('decodeToken refuses what is not a token', () => {
  it.each(refusals)('$description', ({ input, why }) => {
    let thrown: unknown;
    try {
      decodeToken(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    const error = thrown as UsageError;
    expect(error.exitCode).toBe(2);
    expect(error.code).toBe('not_a_token');
    expect(error.message).toMatch(/^not a token: /);
    expect(error.message).toContain(why);
    // A few leading characters at most: never the input itself.
    const normalized = normalizeToken(input);
    if (normalized.length >= 5) expect(error.message).not.toContain(normalized.slice(0, 5));
    expect(error.message.length).toBeLessThan(200);
  });

  it('refuses a non-string at run time with a UsageError', () => {
    expect(() => decodeToken(undefined as unknown as string)).toThrow(UsageError);
  });
});

describe('opaque token kinds', () => {
  const kinds = [
    { input: 'gho_16C7e42F292c6912E7710c838347Ae178B4a', provider: 'GitHub', description: /OAuth app/ },
    { input: 'ghp_16C7e42F292c6912E7710c838347Ae178B4a', provider: 'GitHub', description: /classic/ },
    { input: 'ghu_16C7e42F292c6912E7710c838347Ae178B4a', provider: 'GitHub', description: /user-to-server/ },
    { input: 'ghs_16C7e42F292c6912E7710c838347Ae178B4a', provider: 'GitHub', description: /server-to-server/ },
    { input: 'ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498', provider: 'GitHub', description: /refresh/ },
    { input: 'github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789', provider: 'GitHub', description: /fine-grained/ },
    { input: 'xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy', provider: 'Slack', description: /^bot token/ },
    { input: 'xoxp-12345-67890-1928471-abcdefg', provider: 'Slack', description: /^user token/ },
    { input: 'xoxe.xoxb-1-MS0yLTIyMDU3', provider: 'Slack', description: /rotating bot/ },
    { input: 'xoxe.xoxp-1-Mi0yLTE2NjE0', provider: 'Slack', description: /rotating user/ },
    { input: 'xoxe-1-My0xLTIyMDU3NzI0', provider: 'Slack', description: /refresh token \(token rotation\)/ },
    { input: 'xoxa-2-17653672481-abcdef', provider: 'Slack', description: /workspace app/ },
    { input: 'xoxr-17653672481-abcdefgh', provider: 'Slack', description: /refresh/ },
    { input: 'xapp-1-A0123456789-123456', provider: 'Slack', description: /app-level/ },
    { input: 'vdo_oat_7d3f9a2b1c8e4f60', provider: 'video API', description: /scopes granted to it apply/ },
    { input: 'vdo_live_7d3f9a2b1c8e4f60', provider: 'video API', description: /bypasses scope checks/ },
  ];

  it.each(kinds)('$input', ({ input, provider, description }) => {
    const decoded = decodeToken(input);
    expect(decoded.format).toBe('opaque');
    if (decoded.format !== 'opaque') return;
    expect(decoded.kind?.provider).toBe(provider);
    expect(decoded.kind?.description).toMatch(description);
    expect(decoded.kind?.bypassesScopes ?? false).toBe(input.startsWith('vdo_live_'));
  });

  it('matches prefixes case-sensitively', () => {
    expect(opaqueKind('GHO_16C7e42F292c6912E7710c838347Ae178B4a')).toBeNull();
  });

  it('core names no opaque token by itself: the identifier is the caller\'s', () => {
    expect(decodeUnnamed('gho_16C7e42F292c6912E7710c838347Ae178B4a')).toEqual({ format: 'opaque', kind: null });
    expect(decodeUnnamed('gho_16C7e42F292c6912E7710c838347Ae178B4a', opaqueKind)).toEqual(decodeToken('gho_16C7e42F292c6912E7710c838347Ae178B4a'));
  });

  it('has no prefix listed twice', () => {
    const prefixes = OPAQUE_KINDS.map((kind) => kind.prefix);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });
});

describe('normalizeToken', () => {
  it.each([
    { description: 'trailing newline', input: 'abc.def.ghi\n', expected: 'abc.def.ghi' },
    { description: 'Bearer prefix', input: 'Bearer abc', expected: 'abc' },
    { description: 'BEARER prefix, tabs and CRLF', input: '\tBEARER \t abc\r\n', expected: 'abc' },
    { description: 'a token that merely starts with "bearer"', input: 'bearer_abc', expected: 'bearer_abc' },
    { description: 'nothing to trim', input: 'gho_x', expected: 'gho_x' },
  ])('$description', ({ input, expected }) => {
    expect(normalizeToken(input)).toBe(expected);
  });
});

describe('formatFingerprint', () => {
  const sha256 = (text: string): Uint8Array => createHash('sha256').update(text).digest();

  it.each([
    { description: 'SHA-256 of "abc" (FIPS 180-2 vector)', input: sha256('abc'), expected: 'sha256:ba7816bf8f01' },
    { description: 'leading zero bytes keep their digits', input: new Uint8Array(32), expected: 'sha256:000000000000' },
    { description: 'a short digest is not padded out', input: new Uint8Array([0xab]), expected: 'sha256:ab' },
  ])('$description', ({ input, expected }) => {
    expect(formatFingerprint(input)).toBe(expected);
  });

  it('is the same for a token however it was pasted', () => {
    const token = jwt(okta.header, okta.claims);
    expect(formatFingerprint(sha256(normalizeToken(`Bearer ${token}\n`)))).toBe(
      formatFingerprint(sha256(normalizeToken(token))),
    );
  });
});

describe('decodeToken properties', () => {
  const outcome = (input: string): string => {
    try {
      return decodeToken(input).format;
    } catch (error) {
      if (error instanceof UsageError && error.exitCode === 2 && error.code === 'not_a_token') return 'refused';
      throw error;
    }
  };
  const formats = ['jwt', 'jwe', 'opaque', 'refused'];

  it('either returns or throws UsageError, for any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (input) => {
        expect(formats).toContain(outcome(input));
      }),
      { numRuns: 2_000 },
    );
  });

  it('either returns or throws UsageError, for dot-separated base64url-ish segments', () => {
    const base64urlChar = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ '.split(''));
    const segmentArb = fc.oneof(
      fc.string({ unit: base64urlChar, maxLength: 40 }),
      fc.string({ unit: base64urlChar, maxLength: 40 }).map((text) => `eyJ${text}`),
      fc.jsonValue().map((value) => b64url(JSON.stringify(value) ?? 'null')),
    );
    fc.assert(
      fc.property(fc.array(segmentArb, { minLength: 1, maxLength: 6 }), (segments) => {
        expect(formats).toContain(outcome(segments.join('.')));
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads back the header and claims of any JWT it is given', () => {
    const jsonObject = fc.dictionary(
      fc.string().filter((key) => key !== '__proto__'),
      fc.jsonValue(),
    );
    fc.assert(
      fc.property(jsonObject, jsonObject, (header, claims) => {
        const decoded = decodeToken(jwt(header, claims));
        expect(decoded).toEqual({
          format: 'jwt',
          header: JSON.parse(JSON.stringify(header)),
          claims: JSON.parse(JSON.stringify(claims)),
        });
      }),
      { numRuns: 500 },
    );
  });
});
