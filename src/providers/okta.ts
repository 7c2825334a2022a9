/**
 * Okta. Setup: create an OIDC Native app integration with the redirect URI `http://localhost:8080/callback` style
 * loopback, then `scopes login --provider okta --domain <org>.okta.com --client-id <id>`. The org authorization
 * server (issuer `https://<org>.okta.com`) issues tokens for the Okta management API (`okta.*` scopes); custom
 * authorization servers (`/oauth2/default`) issue tokens for your own APIs.
 * Okta answers a missing scope with an RFC 6750 challenge, sometimes with the DPoP scheme, naming the scope in
 * `scope` and sometimes only in `error_description`.
 * @see https://developer.okta.com/docs/api/oauth2/
 * @see https://developer.okta.com/docs/guides/implement-oauth-for-okta/main/
 */
import { readError, readScope, type Challenge } from '../core/challenges.js';
import { scopesInSentence } from '../core/dialects.js';
import { allOf, alternatives, challengeEvidence, finding, get, jsonEvidence, oauthChallenge, resourceMetadataOf, text, type Finding, type ResponseView } from '../core/response.js';
import { parseScopes } from '../core/scopes.js';
import type { Provider } from './types.js';

const OKTA_HOST = /^https?:\/\/[^/]*\.(?:okta|oktapreview|okta-emea)\.com(?:[/:]|$)/i;

const isOkta = (challenge: Challenge): boolean =>
  [challenge.params.realm, challenge.params.authorization_uri].some((value) => typeof value === 'string' && OKTA_HOST.test(value));

const read = (view: ResponseView): Finding | null => {
  if (view.status === 403) {
    // The management API's own body: "You do not have permission" is an admin-role matter, not a scope.
    const errorCode = text(get(view.json, 'errorCode'));
    if (errorCode === 'E0000006') {
      return finding(view, {
        outcome: 'forbidden',
        required: [],
        evidence: [view.evidence(`body ${jsonEvidence({ errorCode, errorSummary: get(view.json, 'errorSummary') })}`)],
        dialect: 'okta',
      }, { note: 'Okta refused for the admin role of the user or the app, not for a scope.' });
    }
  }
  const challenge = oauthChallenge(view);
  if (challenge === undefined || !isOkta(challenge) || readError(challenge) !== 'insufficient_scope') return null;
  const fromParam = readScope(challenge) ?? [];
  const description = challenge.params.error_description ?? '';
  const fromDescription = fromParam.length > 0 ? undefined : scopesInSentence(description);
  const scopes = fromParam.length > 0 ? fromParam : parseScopes(fromDescription?.scopes ?? []);
  const required = fromParam.length > 0 || fromDescription?.anyOf !== true ? allOf(scopes) : alternatives(scopes);
  return finding(view, { outcome: 'missing_scope', required, evidence: [challengeEvidence(view, challenge)], dialect: 'okta' }, {
    resourceMetadata: resourceMetadataOf(view),
    note:
      scopes.length === 0
        ? 'Okta says a scope is missing without naming it.'
        : `${fromParam.length > 0 ? '' : 'Read from error_description. '}Grant the scope to the app (Okta API Scopes tab) and request it; in Okta a .manage scope does not stand in for .read on every endpoint.`,
  });
};

export const okta: Provider = {
  id: 'okta',
  name: 'Okta',
  docs: ['https://developer.okta.com/docs/api/oauth2/'],
  readers: [
    {
      dialect: 'okta',
      reads: 'Okta Bearer/DPoP challenges, the scope in scope= or only in error_description; E0000006 (an admin role, not a scope)',
      read,
      supersedes: ['rfc6750'],
    },
  ],
  login: {
    issuer: 'https://{domain}',
    slots: [{ name: 'domain', description: 'the Okta org (example.okta.com), or it plus /oauth2/<server id> for a custom authorization server', pattern: /^[a-z0-9.-]+\.[a-z]{2,}(?:\/oauth2\/[A-Za-z0-9]+)?$/i }],
    scopeSeparator: ' ',
    defaultScopes: ['openid', 'offline_access'],
    quirks: ['okta.* scopes come from the org authorization server only; custom servers (/oauth2/default) issue tokens for your APIs.'],
  },
  catalogue: {
    'okta.users.read': 'Read information about users in your Okta organization',
    'okta.users.manage': "Manage any user's profile and credential information and create new users",
    'okta.groups.read': 'Read information about groups and their members',
    'okta.groups.manage': 'Manage existing groups and their members',
    'okta.apps.read': 'Read information about apps',
    'okta.apps.manage': 'Create and manage apps',
    'okta.logs.read': 'Read System Log entries',
    'okta.policies.read': 'Read policies',
    'okta.policies.manage': 'Manage policies',
  },
};
