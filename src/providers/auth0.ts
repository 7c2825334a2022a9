/**
 * Auth0. Setup: create a Native application in the Auth0 dashboard with the callback `http://127.0.0.1/callback`
 * (any loopback port), then `scopes login --provider auth0 --domain <tenant>.auth0.com --client-id <id> --audience <API
 * identifier>`. Without `audience` Auth0 issues a token for its userinfo endpoint only, which no API accepts.
 * The Management API answers a missing scope with `"Insufficient scope, expected any of: a,b"`.
 * @see https://auth0.com/docs/get-started/apis/scopes
 * @see https://auth0.com/docs/secure/tokens/access-tokens/get-access-tokens
 */
import { allOf, alternatives, finding, get, jsonEvidence, text, type Finding, type ResponseView } from '../core/response.js';
import { HOST_NAME, listAfter } from './read.js';
import type { Provider } from './types.js';

const ANY_OF = 'insufficient scope, expected any of:';
const ALL_OF = 'insufficient scope, expected all of:';

const managementApi = (view: ResponseView): Finding | null => {
  if (view.status !== 403 && view.status !== 401) return null;
  const message = text(get(view.json, 'message'));
  if (message === undefined) return null;
  const anyOf = listAfter(message, ANY_OF);
  const allOfScopes = anyOf === undefined ? listAfter(message, ALL_OF) : undefined;
  if (anyOf === undefined && allOfScopes === undefined) return null;
  const errorCode = text(get(view.json, 'errorCode'));
  const evidence = [view.evidence(`body ${jsonEvidence({ statusCode: get(view.json, 'statusCode'), message, ...(errorCode === undefined ? {} : { errorCode }) })}`)];
  const scopes = anyOf ?? allOfScopes ?? [];
  return finding(view, { outcome: 'missing_scope', required: anyOf === undefined ? allOf(scopes) : alternatives(scopes), evidence, dialect: 'auth0' }, {
    note:
      anyOf !== undefined && scopes.length > 1
        ? 'Auth0 says "expected any of": any one of these scopes suffices.'
        : 'Grant the scope to the application for this API (Dashboard → Applications → APIs), then request it.',
  });
};

export const auth0: Provider = {
  id: 'auth0',
  name: 'Auth0',
  docs: ['https://auth0.com/docs/get-started/apis/scopes'],
  readers: [{ dialect: 'auth0', reads: '"Insufficient scope, expected any of: a,b" (alternatives) / "expected all of"', read: managementApi }],
  login: {
    issuer: 'https://{domain}/',
    slots: [{ name: 'domain', description: 'the tenant domain (tenant.us.auth0.com) or a custom domain', pattern: HOST_NAME }],
    scopeSeparator: ' ',
    needsAudience: true,
    defaultScopes: ['openid', 'offline_access'],
    quirks: [
      'Pass audience (the API identifier): without it the access token is for /userinfo only.',
      'offline_access gives a refresh token only when the API allows offline access.',
      'The issuer ends with a slash.',
    ],
  },
  // reference/seeds/001 ("Scopes"), OpenID Connect scopes.
  catalogue: {
    openid: "Verify the user's identity (OpenID Connect)",
    profile: "Basic profile information about the user, such as the name and picture",
    email: "The user's email address and whether it is verified",
    offline_access: 'A refresh token, where the API allows offline access',
  },
};
