/**
 * Atlassian (Jira and Confluence Cloud, OAuth 2.0 3LO). Setup: create an OAuth 2.0 integration in the developer
 * console, add the API scopes and a loopback callback, then `scopes login --provider atlassian --client-id <id>`.
 * Tokens are used against `https://api.atlassian.com/ex/jira/<cloudId>/…`. A missing scope is answered HTTP 401
 * `{"code":401,"message":"Unauthorized; scope does not match"}`, which names no scope.
 * @see https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/
 * @see https://developer.atlassian.com/cloud/jira/platform/scopes-for-oauth-2-3LO-and-forge-apps/
 */
import { get, text, type Finding, type ResponseView } from '../core/response.js';
import { namelessScopeFinding } from './read.js';
import type { Provider } from './types.js';

const read = (view: ResponseView): Finding | null => {
  if (view.status !== 401 && view.status !== 403) return null;
  const message = text(get(view.json, 'message'));
  if (message === undefined || !message.toLowerCase().includes('scope does not match')) return null;
  return namelessScopeFinding(view, 'atlassian', { code: get(view.json, 'code'), message },
    "Atlassian says the token's scopes do not cover this operation without naming the scope: the operation's page in the REST reference lists its OAuth scopes.");
};

export const atlassian: Provider = {
  id: 'atlassian',
  name: 'Atlassian (Jira, Confluence)',
  aliases: ['jira', 'confluence'],
  docs: ['https://developer.atlassian.com/cloud/jira/platform/scopes-for-oauth-2-3LO-and-forge-apps/'],
  readers: [{ dialect: 'atlassian', reads: '"Unauthorized; scope does not match" (a scope problem, unnamed)', read }],
  tokenPrefixes: [{ prefix: 'ATATT', description: 'API token (Basic auth with the account email; a scoped API token only on api.atlassian.com)' }],
  login: {
    authorizationEndpoint: 'https://auth.atlassian.com/authorize',
    tokenEndpoint: 'https://auth.atlassian.com/oauth/token',
    scopeSeparator: ' ',
    authorizationParams: { audience: 'api.atlassian.com', prompt: 'consent' },
    defaultScopes: ['offline_access'],
    quirks: ['audience=api.atlassian.com is required.', 'Call the APIs through https://api.atlassian.com/ex/jira/<cloudId>, not the site URL.', 'offline_access gives a rotating refresh token.'],
  },
  catalogue: {
    'read:jira-work': 'Read Jira project and issue data, search for issues, and objects associated with issues like attachments and worklogs',
    'write:jira-work': 'Create and edit issues in Jira, post comments as the user, create worklogs, and delete issues',
    'read:jira-user': 'View user information in Jira that the user has access to',
    'manage:jira-project': 'Create and edit project settings and create new project-level objects',
    'manage:jira-configuration': 'Take Jira administration actions',
    'read:confluence-content.all': 'Read all content, including content body',
    offline_access: 'A refresh token',
  },
};
