/**
 * Linear (GraphQL API). A missing scope is a GraphQL error, `{"errors":[{"message":"Invalid scope: `admin` required",
 * …}]}`. Scopes in the authorization request are comma-separated.
 * @see https://linear.app/developers/oauth-2-0-authentication
 */
import { allOf, finding, get, jsonEvidence, text, type Finding, type ResponseView } from '../core/response.js';
import { scopesInSentence } from '../core/dialects.js';
import { parseScopes } from '../core/scopes.js';
import type { Provider } from './types.js';

const read = (view: ResponseView): Finding | null => {
  const errors = get(view.json, 'errors');
  if (!Array.isArray(errors)) return null;
  for (const [index, error] of errors.slice(0, 50).entries()) {
    const message = text(get(error, 'message'));
    if (message === undefined || !/^invalid scope:/i.test(message.trim())) continue;
    const scopes = parseScopes(scopesInSentence(message)?.scopes ?? []);
    const extensions = get(error, 'extensions');
    const evidence = [view.evidence(`body errors[${index}]: ${jsonEvidence({ message, ...(extensions === undefined ? {} : { extensions: { code: get(extensions, 'code'), type: get(extensions, 'type') } }) })}`)];
    return finding(view, { outcome: 'missing_scope', required: allOf(scopes), evidence, dialect: 'linear' }, {
      note: scopes.length === 0 ? 'Linear did not name the scope.' : undefined,
    });
  }
  return null;
};

export const linear: Provider = {
  id: 'linear',
  name: 'Linear',
  docs: ['https://linear.app/developers/oauth-2-0-authentication'],
  readers: [{ dialect: 'linear', reads: 'GraphQL errors "Invalid scope: `X` required"', read }],
  commaSeparatedScopes: true,
  tokenPrefixes: [
    { prefix: 'lin_api_', description: 'personal API key (acts with its user\'s permissions)' },
    { prefix: 'lin_oauth_', description: 'OAuth access token', scopesVia: 'the scope member of the token response' },
  ],
  login: {
    authorizationEndpoint: 'https://linear.app/oauth/authorize',
    tokenEndpoint: 'https://api.linear.app/oauth/token',
    revocationEndpoint: 'https://api.linear.app/oauth/revoke',
    scopeSeparator: ',',
  },
  catalogue: {
    read: 'Read access for the user\'s account (always present)',
    write: 'Write access for the user\'s account',
    'issues:create': 'Create issues and their attachments',
    'comments:create': 'Create issue comments',
    timeSchedule: 'Create and modify time schedules',
    admin: 'Full access to admin-level endpoints',
  },
};
