import { describe } from 'vitest';
import { GOOGLE_ALTERNATIVES, GOOGLE_CHALLENGE, GOOGLE_DETAILS, GOOGLE_ERRORS, googleBody, respond, runTable } from '../support/dialects.js';
import { readGoogle } from '../../src/providers/google.js';

describe('Google', () => {
  runTable(readGoogle, [
    {
      description: 'challenge and full body: the scopes are alternatives',
      input: respond(403, { 'www-authenticate': GOOGLE_CHALLENGE }, googleBody({ errors: GOOGLE_ERRORS, details: GOOGLE_DETAILS })),
      expected: {
        outcome: 'missing_scope',
        required: GOOGLE_ALTERNATIVES,
        dialect: 'google',
        evidence: [
          `WWW-Authenticate: ${GOOGLE_CHALLENGE}`,
          'body error.details[0].reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT"',
          'body error.errors[0].reason: "insufficientPermissions"',
          'body error.message: "Request had insufficient authentication scopes."',
        ],
        note: "Google's challenge lists alternatives: any one of these scopes suffices.",
      },
    },
    {
      description: 'details[] missing',
      input: respond(403, { 'www-authenticate': GOOGLE_CHALLENGE }, googleBody({ errors: GOOGLE_ERRORS })),
      expected: { outcome: 'missing_scope', required: GOOGLE_ALTERNATIVES },
    },
    {
      description: 'errors[] missing',
      input: respond(403, { 'www-authenticate': GOOGLE_CHALLENGE }, googleBody({ details: GOOGLE_DETAILS })),
      expected: { outcome: 'missing_scope', required: GOOGLE_ALTERNATIVES },
    },
    {
      description: 'challenge only',
      input: respond(403, { 'www-authenticate': GOOGLE_CHALLENGE }),
      expected: { outcome: 'missing_scope', required: GOOGLE_ALTERNATIVES },
    },
    {
      description: 'body only: a scope gap whose scopes are not named',
      input: respond(403, {}, googleBody({ details: GOOGLE_DETAILS })),
      expected: {
        outcome: 'missing_scope',
        required: [],
        note: 'Google names the scopes it would accept only in the WWW-Authenticate challenge, which did not list any.',
      },
    },
    {
      description: 'a 403 rate limit is not a scope gap',
      input: respond(
        403,
        {},
        { error: { code: 403, message: 'User Rate Limit Exceeded', errors: [{ message: 'User Rate Limit Exceeded', domain: 'usageLimits', reason: 'userRateLimitExceeded' }] } },
      ),
      expected: { outcome: 'forbidden', required: [], note: `Google's reason "userRateLimitExceeded" is not a missing scope.` },
    },
    {
      description: 'accessNotConfigured is not a scope gap',
      input: respond(
        403,
        {},
        {
          error: {
            code: 403,
            message: 'Access Not Configured. Drive API has not been used in project 123 before or it is disabled.',
            errors: [{ message: 'Access Not Configured.', domain: 'usageLimits', reason: 'accessNotConfigured', extendedHelp: 'https://console.developers.google.com' }],
          },
        },
      ),
      expected: { outcome: 'forbidden', required: [] },
    },
    {
      description: 'a 401 from Google',
      input: respond(401, { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' }),
      expected: { outcome: 'unauthorized', required: [], dialect: 'google' },
    },
    { description: 'not Google', input: respond(403, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="a b"' }), expected: null },
    { description: 'Google on a 200', input: respond(200, { 'www-authenticate': GOOGLE_CHALLENGE }), expected: null },
  ]);
});
