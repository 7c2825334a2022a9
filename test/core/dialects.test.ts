import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  MAX_JSON_CHARS,
  readErrorMessage,
  readHttpStatus,
  readInsufficientAuthorization,
  readSentence,
  scopesInSentence,
  readRfc6750Body,
  readRfc6750Challenge,
  readStepUpChallenge,
  type ProbeResponse,
} from '../../src/core/dialects.js';
import { readScopeFinding } from '../../src/providers/index.js';
import {
  GITHUB_403_BODY,
  GOOGLE_ALTERNATIVES,
  GOOGLE_CHALLENGE,
  GOOGLE_DETAILS,
  GOOGLE_ERRORS,
  GRAPHQL_MESSAGE,
  googleBody,
  respond,
  runTable,
} from '../support/dialects.js';

const VIDEO_MESSAGE = 'This action requires the "export:write" scope. Your token has: videos:read, analyze:write';

describe('RFC 6750 challenge', () => {
  runTable(readRfc6750Challenge, [
    {
      description: 'insufficient_scope: every scope in one group',
      input: respond(403, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="a b"' }),
      expected: {
        outcome: 'missing_scope',
        required: [['a', 'b']],
        evidence: ['WWW-Authenticate: Bearer error="insufficient_scope", scope="a b"'],
        dialect: 'rfc6750',
      },
    },
    {
      description: 'insufficient_scope without scope: required unknown',
      input: respond(403, { 'www-authenticate': 'Bearer error="insufficient_scope"' }),
      expected: { outcome: 'missing_scope', required: [], note: 'The challenge does not name the scope it needs.' },
    },
    {
      description: 'MCP runtime 403 with resource_metadata',
      input: respond(403, {
        'www-authenticate':
          'Bearer error="insufficient_scope", scope="files:read files:write", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource", error_description="Additional file write permission required"',
      }),
      expected: {
        outcome: 'missing_scope',
        required: [['files:read', 'files:write']],
        resourceMetadata: 'https://mcp.example.com/.well-known/oauth-protected-resource',
      },
    },
    {
      description: 'invalid_token on a 401',
      input: respond(401, { 'www-authenticate': 'Bearer realm="example", error="invalid_token", error_description="The access token expired"' }),
      expected: { outcome: 'unauthorized', required: [], dialect: 'rfc6750' },
    },
    {
      description: 'no error code on a 401 (no credentials)',
      input: respond(401, { 'www-authenticate': 'Bearer realm="example"' }),
      expected: { outcome: 'unauthorized', required: [] },
    },
    {
      description: 'MCP 401 with scope and resource_metadata',
      input: respond(401, {
        'www-authenticate': 'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource", scope="files:read"',
      }),
      expected: {
        outcome: 'unauthorized',
        required: [['files:read']],
        resourceMetadata: 'https://mcp.example.com/.well-known/oauth-protected-resource',
      },
    },
    {
      description: 'resource_metadata taken from the bearer challenge after DPoP',
      input: respond(401, {
        'www-authenticate': 'DPoP algs="ES256 PS256", Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource"',
      }),
      expected: { outcome: 'unauthorized', resourceMetadata: 'https://mcp.example.com/.well-known/oauth-protected-resource' },
    },
    {
      description: 'a DPoP-only challenge is read the same way',
      input: respond(403, { 'www-authenticate': 'DPoP algs="ES256", error="insufficient_scope", scope="x"' }),
      expected: { outcome: 'missing_scope', required: [['x']] },
    },
    {
      description: 'Microsoft Graph 401 challenge',
      input: respond(401, {
        'www-authenticate':
          'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
      }),
      expected: { outcome: 'unauthorized', required: [] },
    },
    {
      description: 'Entra CAE claims challenge',
      input: respond(401, {
        'www-authenticate':
          'Bearer authorization_uri="https://login.windows.net/common/oauth2/authorize", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ9fX0="',
      }),
      expected: { outcome: 'unauthorized', note: 'A claims challenge (Continuous Access Evaluation): sign in again, passing its `claims`.' },
    },
    {
      description: 'a header split over two lines',
      input: respond(403, { 'www-authenticate': ['Basic realm="b"', 'Bearer error="insufficient_scope", scope="a"'] }),
      expected: { outcome: 'missing_scope', required: [['a']] },
    },
    {
      description: 'a malformed header still yields the challenges before the error, with a warning',
      input: respond(403, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="a b", Basic realm="x' }),
      expected: {
        outcome: 'missing_scope',
        required: [['a', 'b']],
        warnings: ['Malformed WWW-Authenticate header: unterminated quoted string at position 60. Challenges before it were read.'],
      },
    },
    {
      // Read alone, a Google challenge is RFC 6750 in form (all of its scopes); the registry gives it to the Google
      // reader, which supersedes this one (see readScopeFinding below: 'a Google challenge alone goes to Google').
      description: 'a Google challenge read by RFC 6750 alone is all-of',
      input: respond(403, { 'www-authenticate': GOOGLE_CHALLENGE }),
      expected: { dialect: 'rfc6750', required: [GOOGLE_ALTERNATIVES.flat()] },
    },
    {
      description: 'step-up is left to RFC 9470',
      input: respond(401, { 'www-authenticate': 'Bearer error="insufficient_user_authentication", max_age=300' }),
      expected: null,
    },
    { description: 'a challenge on a 200 is not a refusal', input: respond(200, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="a"' }), expected: null },
    { description: 'no header', input: respond(403), expected: null },
    { description: 'only a Basic challenge', input: respond(401, { 'www-authenticate': 'Basic realm="x"' }), expected: null },
  ]);
});

describe('RFC 9470 step-up', () => {
  runTable(readStepUpChallenge, [
    {
      description: 'quoted max_age (RFC example)',
      input: respond(401, {
        'www-authenticate':
          'Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="5"',
      }),
      expected: { outcome: 'step_up', required: [], stepUp: { maxAge: 5 }, dialect: 'rfc9470' },
    },
    {
      description: 'bare max_age',
      input: respond(401, { 'www-authenticate': 'Bearer error="insufficient_user_authentication", max_age=300' }),
      expected: { outcome: 'step_up', stepUp: { maxAge: 300 } },
    },
    {
      description: 'acr_values in order, a non-numeric max_age ignored with a warning',
      input: respond(401, {
        'www-authenticate': 'Bearer error="insufficient_user_authentication", acr_values="myACR urn:mace:incommon:iap:silver", max_age="soon"',
      }),
      expected: {
        outcome: 'step_up',
        stepUp: { acrValues: ['myACR', 'urn:mace:incommon:iap:silver'] },
        warnings: ['max_age "soon" is not a number of seconds; ignored'],
      },
    },
    {
      description: 'with resource_metadata',
      input: respond(401, {
        'www-authenticate': 'Bearer error="insufficient_user_authentication", max_age=60, resource_metadata="https://rs.example/.well-known/oauth-protected-resource"',
      }),
      expected: { outcome: 'step_up', resourceMetadata: 'https://rs.example/.well-known/oauth-protected-resource' },
    },
    { description: 'insufficient_scope is not step-up', input: respond(403, { 'www-authenticate': 'Bearer error="insufficient_scope"' }), expected: null },
  ]);

  it('has no maxAge key when max_age is not a number', () => {
    const found = readStepUpChallenge(respond(401, { 'www-authenticate': 'Bearer error="insufficient_user_authentication", max_age="x"' }));
    expect(found?.stepUp).toEqual({});
  });
});

describe('GitLab-style RFC 6750 body', () => {
  runTable(readRfc6750Body, [
    {
      description: 'scope in the body is all-of',
      input: respond(403, {}, {
        error: 'insufficient_scope',
        error_description: 'The request requires higher privileges than provided by the access token.',
        scope: 'api read_api',
      }),
      expected: {
        outcome: 'missing_scope',
        required: [['api', 'read_api']],
        dialect: 'rfc6750-body',
        note: 'Read as all of these, as in an RFC 6750 challenge; an API that lists scopes that would each do (a broad one and its narrower part) is reduced by implication rules.',
      },
    },
    { description: 'no scope member', input: respond(403, {}, { error: 'insufficient_scope' }), expected: { outcome: 'missing_scope', required: [] } },
    {
      description: 'invalid_token',
      input: respond(401, {}, { error: 'invalid_token', error_description: 'Token is expired. You can either do re-authorization or token refresh.' }),
      expected: { outcome: 'unauthorized' },
    },
    { description: 'an error object is not this dialect', input: respond(403, {}, { error: { code: 'insufficient_scope' } }), expected: null },
  ]);
});

describe('insufficient_scope error object (the video API of seed 003)', () => {
  runTable(readErrorMessage, [
    {
      description: 'the seed body',
      input: respond(403, {}, { error: { code: 'insufficient_scope', message: VIDEO_MESSAGE } }),
      expected: {
        outcome: 'missing_scope',
        required: [['export:write']],
        granted: ['videos:read', 'analyze:write'],
        dialect: 'error-message',
        evidence: [`body {"error":{"code":"insufficient_scope","message":${JSON.stringify(VIDEO_MESSAGE)}}}`],
      },
    },
    {
      description: 'several named scopes: all of them',
      input: respond(403, {}, { error: { code: 'insufficient_scope', message: 'This action requires the "export:write" and "videos:read" scopes. Your token has: jobs:read' } }),
      expected: { required: [['export:write', 'videos:read']], granted: ['jobs:read'] },
    },
    {
      description: 'an unquoted scope',
      input: respond(403, {}, { error: { code: 'insufficient_scope', message: 'This action requires the export:write scope.' } }),
      expected: { required: [['export:write']] },
    },
    {
      description: 'no message',
      input: respond(403, {}, { error: { code: 'insufficient_scope' } }),
      expected: { outcome: 'missing_scope', required: [], note: 'The message does not name the scope it needs.' },
    },
    { description: 'another code', input: respond(404, {}, { error: { code: 'not_found', message: 'Video "v1" not found' } }), expected: null },
  ]);
});

describe('HTTP status fallback', () => {
  runTable(readHttpStatus, [
    { description: '401', input: respond(401), expected: { outcome: 'unauthorized', required: [], evidence: ['HTTP 401'], dialect: 'http-status' } },
    { description: '403', input: respond(403), expected: { outcome: 'forbidden', required: [], evidence: ['HTTP 403'] } },
    { description: '404', input: respond(404), expected: null },
    { description: '200', input: respond(200), expected: null },
  ]);
});

describe('readScopeFinding', () => {
  runTable(readScopeFinding, [
    {
      description: 'Google 403 with challenge and body: alternatives, all evidence',
      input: respond(403, { 'www-authenticate': GOOGLE_CHALLENGE }, googleBody({ errors: GOOGLE_ERRORS, details: GOOGLE_DETAILS })),
      expected: {
        outcome: 'missing_scope',
        dialect: 'google',
        required: GOOGLE_ALTERNATIVES,
        evidence: [
          `WWW-Authenticate: ${GOOGLE_CHALLENGE}`,
          'body error.details[0].reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT"',
          'body error.errors[0].reason: "insufficientPermissions"',
          'body error.message: "Request had insufficient authentication scopes."',
        ],
      },
    },
    {
      description: 'a Google challenge alone goes to Google (alternatives), not RFC 6750 (all-of)',
      input: respond(403, { 'www-authenticate': GOOGLE_CHALLENGE }),
      expected: { outcome: 'missing_scope', dialect: 'google', required: GOOGLE_ALTERNATIVES, evidence: [`WWW-Authenticate: ${GOOGLE_CHALLENGE}`] },
    },
    {
      description: 'a challenge without scope and a body that names it: the body decides, both are evidence',
      input: respond(
        403,
        { 'www-authenticate': 'Bearer error="insufficient_scope", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"' },
        { error: { code: 'insufficient_scope', message: VIDEO_MESSAGE } },
      ),
      expected: {
        outcome: 'missing_scope',
        dialect: 'error-message',
        required: [['export:write']],
        resourceMetadata: 'https://api.example.com/.well-known/oauth-protected-resource',
        evidence: [
          'WWW-Authenticate: Bearer error="insufficient_scope", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"',
          `body {"error":{"code":"insufficient_scope","message":${JSON.stringify(VIDEO_MESSAGE)}}}`,
        ],
      },
    },
    {
      description: 'a challenge that names the scope wins over a body on ties',
      input: respond(403, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="api"' }, { error: 'insufficient_scope', scope: 'api read_api' }),
      expected: { dialect: 'rfc6750', required: [['api']] },
    },
    {
      description: 'step-up beats everything',
      input: respond(401, { 'www-authenticate': 'Bearer error="insufficient_user_authentication", max_age=300' }, { error: 'insufficient_scope', scope: 'x' }),
      expected: { outcome: 'step_up', stepUp: { maxAge: 300 } },
    },
    {
      description: 'GitHub 403',
      input: respond(403, { 'x-accepted-oauth-scopes': 'repo', 'x-oauth-scopes': 'read:user, gist' }, GITHUB_403_BODY),
      expected: { outcome: 'missing_scope', dialect: 'github-rest', required: [['repo']], granted: ['read:user', 'gist'] },
    },
    {
      description: 'GitHub GraphQL on a 200',
      input: respond(200, {}, { data: null, errors: [{ type: 'INSUFFICIENT_SCOPES', message: GRAPHQL_MESSAGE }] }),
      expected: { outcome: 'missing_scope', dialect: 'github-graphql', required: [['read:project']] },
    },
    {
      description: 'Slack on a 200',
      input: respond(200, {}, { ok: false, error: 'missing_scope', needed: 'channels:read,groups:read', provided: 'chat:write' }),
      expected: { outcome: 'missing_scope', dialect: 'slack', required: [['channels:read'], ['groups:read']] },
    },
    {
      description: 'Microsoft Graph 403',
      input: respond(403, {}, { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } }),
      expected: { outcome: 'forbidden', dialect: 'microsoft-graph', required: [] },
    },
    {
      description: 'a Google rate limit is forbidden, not a scope gap',
      input: respond(403, {}, { error: { code: 403, message: 'User Rate Limit Exceeded', errors: [{ domain: 'usageLimits', reason: 'userRateLimitExceeded' }] } }),
      expected: { outcome: 'forbidden', dialect: 'google', required: [] },
    },
    { description: 'a bare 401', input: respond(401), expected: { outcome: 'unauthorized', dialect: 'http-status', required: [], evidence: ['HTTP 401'] } },
    { description: 'a bare 403', input: respond(403, {}, '<html>Forbidden</html>'), expected: { outcome: 'forbidden', dialect: 'http-status' } },
    { description: 'a 200 with data', input: respond(200, {}, { items: [] }), expected: null },
    { description: 'a 200 with an empty body', input: respond(200), expected: null },
    { description: 'a 404 without GitHub headers', input: respond(404, {}, { message: 'Not Found' }), expected: null },
    { description: 'a 500', input: respond(500, {}, 'oops'), expected: null },
    { description: 'Slack ok: true', input: respond(200, {}, { ok: true }), expected: null },
  ]);

  it('does not read JSON bodies above the cap, and says so', () => {
    const huge = JSON.stringify({ error: 'insufficient_scope', scope: 'a', padding: 'x'.repeat(MAX_JSON_CHARS) });
    expect(readScopeFinding(respond(403, {}, huge))).toEqual({
      outcome: 'forbidden',
      required: [],
      // Nothing read it, so the start of the body is the evidence (issue 9): a person sees what the server said.
      evidence: ['HTTP 403', `body begins: ${huge.slice(0, 200)}…`],
      dialect: 'http-status',
      warnings: [`body of ${huge.length} characters is larger than ${MAX_JSON_CHARS}; not read as JSON`],
    });
  });

  it('never repeats a secret in evidence', () => {
    const token = 'vdo_oat_0123456789abcdef';
    const found = readScopeFinding(
      respond(403, { 'www-authenticate': `Bearer error="insufficient_scope", error_description="token ${token} lacks scope", scope="a"` }, {
        error: { code: 'insufficient_scope', message: `This action requires the "a" scope. Your token ${token} has: b` },
      }),
      { secrets: [token] },
    );
    expect(found?.evidence.join('\n')).not.toContain(token);
    expect(found?.evidence.join('\n')).toContain('[redacted]');
  });

  it('escapes control characters in evidence', () => {
    const found = readScopeFinding(respond(403, { 'www-authenticate': 'Bearer error="insufficient_scope", error_description="\u001b[2Jgone", scope="a"' }));
    expect(found?.evidence).toEqual([String.raw`WWW-Authenticate: Bearer error="insufficient_scope", error_description="\\x1b[2Jgone", scope="a"`]);
  });

  it('cuts long evidence', () => {
    const found = readScopeFinding(respond(403, {}, { errors: `This action requires merchant approval for read_themes scope.${' pad'.repeat(1000)}` }));
    expect(found?.evidence[0]!.length).toBeLessThanOrEqual(301);
  });

  it('reads hostile JSON keys as data', () => {
    const found = readScopeFinding(respond(403, {}, '{"__proto__":{"polluted":true},"constructor":"x","error":"insufficient_scope","scope":"a"}'));
    expect(found).toMatchObject({ outcome: 'missing_scope', required: [['a']] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('returns a finding with no undefined members', () => {
    const found = readScopeFinding(respond(403, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="a b"' }));
    expect(found).toEqual({
      outcome: 'missing_scope',
      required: [['a', 'b']],
      evidence: ['WWW-Authenticate: Bearer error="insufficient_scope", scope="a b"'],
      dialect: 'rfc6750',
      note: 'RFC 6750: every scope of the challenge is needed.',
    });
    expect(Object.values(found!)).not.toContain(undefined);
  });

  it.each([
    { description: 'null', input: null },
    { description: 'a string', input: 'HTTP/1.1 403' },
    { description: 'wrong member types', input: { status: '403', headers: null, body: 42 } },
    { description: 'headers as an array', input: { status: 403, headers: ['www-authenticate'], body: '' } },
    { description: 'a header value that is an object', input: { status: 403, headers: { 'www-authenticate': { toString: 'x' } }, body: '' } },
  ])('survives a malformed response: $description', ({ input }) => {
    expect(() => readScopeFinding(input as unknown as ProbeResponse)).not.toThrow();
  });

  it.each([
    { description: 'apostrophes in an error message', body: { error: { code: 'insufficient_scope', message: "'".repeat(500_000) } } },
    { description: 'unclosed curly quotes', body: { error: { code: 'insufficient_scope', message: '“a '.repeat(200_000) } } },
    { description: 'a repeated Shopify phrase', body: { errors: 'requires merchant approval for '.repeat(30_000) } },
    {
      description: 'a repeated GraphQL phrase',
      body: { errors: [{ type: 'INSUFFICIENT_SCOPES', message: 'requires one of the following scopes: ['.repeat(20_000) }] },
    },
    { description: 'deeply nested arrays', body: `${'['.repeat(500_000)}${']'.repeat(500_000)}` },
  ])('reads ~1 MB of hostile body in one pass: $description', ({ body }) => {
    // Completion is the test: a quadratic reader would not finish. Wall time is for the benchmarks.
    expect(() => readScopeFinding(respond(403, {}, body))).not.toThrow();
  });

  it('never throws, whatever the response', () => {
    const headerValue = fc.oneof(fc.string({ maxLength: 80 }), fc.array(fc.string({ maxLength: 40 }), { maxLength: 3 }));
    const headers = fc.dictionary(
      fc.constantFrom('www-authenticate', 'x-accepted-oauth-scopes', 'x-oauth-scopes', 'x-ratelimit-remaining', '__proto__', 'constructor'),
      headerValue,
    );
    const body = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json({ maxDepth: 4 }),
      fc.constantFrom(
        '{"error":{"code":"insufficient_scope","message":"requires the \\"',
        '{"errors":[{"type":"INSUFFICIENT_SCOPES","message":"requires one of the following scopes: [\'a\'"}]}',
        '{"ok":false,"error":"missing_scope","needed":null}',
        '{"error":{"errors":[null,{"reason":1}],"details":"x"}}',
        '{"errors":{"a":[null,{"message":"requires merchant approval for  scope"}]}}',
      ),
    );
    fc.assert(
      fc.property(fc.constantFrom(200, 401, 403, 404, 500), headers, body, (status, headerMap, text) => {
        const found = readScopeFinding({ status, headers: headerMap, body: text });
        if (found !== null) {
          expect(Array.isArray(found.required)).toBe(true);
          expect(found.warnings?.some((warning) => warning.startsWith('dialect '))).not.toBe(true);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe('RFC 9396 insufficient_authorization (step-up authorization draft)', () => {
  // draft-lombardo-oauth-step-up-authz-challenge-proto-01 proposes error="insufficient_authorization" with the
  // authorization_details a request needs; no provider is known to send it yet, so these shapes follow the draft.
  // https://www.ietf.org/archive/id/draft-lombardo-oauth-step-up-authz-challenge-proto-01.html
  const details = [{ type: 'payment_initiation', actions: ['initiate'], locations: ['https://example.com/payments'] }];
  const encoded = Buffer.from(JSON.stringify(details)).toString('base64url');
  runTable(readInsufficientAuthorization, [
    {
      description: 'base64url JSON in the challenge',
      input: respond(403, { 'www-authenticate': `Bearer error="insufficient_authorization", authorization_details="${encoded}"` }),
      expected: { outcome: 'missing_scope', required: [], dialect: 'rfc9396', authorizationDetails: details },
    },
    {
      description: 'plain JSON in the body',
      input: respond(403, {}, { error: 'insufficient_authorization', error_description: 'more details needed', authorization_details: details }),
      expected: { outcome: 'missing_scope', required: [], authorizationDetails: details },
    },
    {
      description: 'no details: still this dialect, and says so',
      input: respond(403, { 'www-authenticate': 'Bearer error="insufficient_authorization"' }),
      expected: { outcome: 'missing_scope', required: [], note: 'The server wants other authorization details (RFC 9396), and did not say which.' },
    },
    { description: 'on a 200: not a refusal', input: respond(200, {}, { error: 'insufficient_authorization' }), expected: null },
  ]);

  it('is not read as an RFC 6750 refusal too', () => {
    const found = readScopeFinding(respond(403, { 'www-authenticate': `Bearer error="insufficient_authorization", authorization_details="${encoded}"` }));
    expect(found).toMatchObject({ dialect: 'rfc9396', authorizationDetails: details });
  });
});

describe('scopesInSentence (the generic reader, lower confidence)', () => {
  it.each([
    { sentence: 'This endpoint requires the file_variables:read scope', expected: { scopes: ['file_variables:read'], anyOf: false } },
    { sentence: 'Your access token does not have the "upload" scope', expected: { scopes: ['upload'], anyOf: false } },
    { sentence: 'missing scope moderator:read:follows', expected: { scopes: ['moderator:read:follows'], anyOf: false } },
    { sentence: 'Missing scopes: channels:read, groups:read.', expected: { scopes: ['channels:read', 'groups:read'], anyOf: false } },
    { sentence: 'Invalid scope: `admin` required', expected: { scopes: ['admin'], anyOf: false } },
    { sentence: 'scope read:org is required', expected: { scopes: ['read:org'], anyOf: false } },
    { sentence: 'requires one of the following scopes: repo:status or public_repo', expected: { scopes: ['repo:status', 'public_repo'], anyOf: true } },
  ])('reads "$sentence"', ({ sentence, expected }) => {
    expect(scopesInSentence(sentence)).toEqual(expected);
  });

  it.each([
    'Insufficient client scope',
    'Sorry, the scope you are requesting is currently unavailable.',
    'Unauthorized; scope does not match',
    'The request requires higher privileges than provided by the access token.',
    'This action is outside the authorized scopes',
  ])('names nothing in "%s"', (sentence) => {
    expect(scopesInSentence(sentence)).toBeUndefined();
  });

  it('marks a finding from a sentence as lower confidence, and gives way to a reader that knows the format', () => {
    const alone = readSentence(respond(403, {}, { message: 'Make sure the token has the write:statuses scope' }));
    expect(alone).toMatchObject({ dialect: 'sentence', confidence: 'low', required: [['write:statuses']] });
    const both = readScopeFinding(respond(403, {}, { error: { code: 'insufficient_scope', message: 'This action requires the "export:write" scope.' } }));
    expect(both).toMatchObject({ dialect: 'error-message' });
    expect(both).not.toHaveProperty('confidence');
  });
});

describe('readers stay with their own shapes', () => {
  it('a "Missing scope: X" sentence in another API\'s shape is the generic reader\'s, not Twitch\'s', () => {
    expect(readScopeFinding(respond(403, {}, { message: 'Missing scope: reports:read' }))).toMatchObject({ dialect: 'sentence', confidence: 'low', required: [['reports:read']] });
  });

  it('the prose of a successful body is not read for scope names', () => {
    expect(readScopeFinding(respond(200, {}, { items: [], message: 'This endpoint requires the reports:read scope for more detail' }))).toBeNull();
  });

  it('a GraphQL 200 with errors is', () => {
    expect(readScopeFinding(respond(200, {}, { data: null, errors: [{ message: 'This field requires the reports:read scope' }] }))).toMatchObject({ dialect: 'sentence', required: [['reports:read']] });
  });
});
