/**
 * Box. Application scopes are ticked in the Developer Console; a token lacking one is answered HTTP 403 with
 * `WWW-Authenticate: Bearer realm="Service", error="insufficient_scope", error_description="The request requires
 * higher privileges than provided by the access token."`: an RFC 6750 challenge that names no scope.
 * @see https://developer.box.com/guides/api-calls/permissions-and-errors/scopes/
 */
import { readError, readScope } from '../core/challenges.js';
import { challengeEvidence, finding, oauthChallenge, type Finding, type ResponseView } from '../core/response.js';
import type { Provider } from './types.js';

const read = (view: ResponseView): Finding | null => {
  const challenge = oauthChallenge(view);
  if (challenge === undefined || challenge.params.realm !== 'Service' || readError(challenge) !== 'insufficient_scope') return null;
  if ((readScope(challenge) ?? []).length > 0) return null;
  return finding(view, { outcome: 'missing_scope', required: [], evidence: [challengeEvidence(view, challenge)], dialect: 'box' }, {
    note: "Box names no scope: tick the application scope in the Developer Console (and, for server auth, re-authorize the app in the Admin Console); tokens keep the scopes they were issued with.",
  });
};

export const box: Provider = {
  id: 'box',
  name: 'Box',
  docs: ['https://developer.box.com/guides/api-calls/permissions-and-errors/scopes/'],
  readers: [{ dialect: 'box', reads: 'realm="Service" insufficient_scope challenges without a scope (a scope problem, unnamed)', read, supersedes: ['rfc6750'] }],
  login: {
    authorizationEndpoint: 'https://account.box.com/api/oauth2/authorize',
    tokenEndpoint: 'https://api.box.com/oauth2/token',
    revocationEndpoint: 'https://api.box.com/oauth2/revoke',
    scopeSeparator: ' ',
  },
  catalogue: {
    root_readonly: 'Read all files and folders stored in Box',
    root_readwrite: 'Read and write all files and folders stored in Box',
    manage_users: 'Manage users',
    manage_groups: 'Manage groups',
    manage_webhook: 'Manage webhooks',
    manage_enterprise_properties: 'Manage enterprise properties',
  },
};
