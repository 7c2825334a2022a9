/**
 * Figma (REST API). A token without a scope is answered HTTP 403
 * `{"status":403,"error":true,"message":"Invalid scope(s): files:read, …. This endpoint requires the
 * file_variables:read scope"}`: the list after "Invalid scope(s):" is what the token holds.
 * @see https://developers.figma.com/docs/rest-api/scopes/
 */
import { allOf, finding, get, jsonEvidence, text, type Finding, type ResponseView } from '../core/response.js';
import { scopesInSentence } from '../core/dialects.js';
import { parseScopes } from '../core/scopes.js';
import { listAfter, namelessScopeFinding } from './read.js';
import type { Provider } from './types.js';

const read = (view: ResponseView): Finding | null => {
  if (view.status !== 403) return null;
  const message = text(get(view.json, 'message')) ?? text(get(view.json, 'err'));
  // Figma's error shape carries its status in the body: {"status":403,"error":true,"message":…}.
  if (message === undefined || typeof get(view.json, 'status') !== 'number' || !/invalid scope\(s\)/i.test(message)) return null;
  const requiresAt = message.toLowerCase().indexOf('requires the');
  const needed = requiresAt === -1 ? undefined : scopesInSentence(message.slice(requiresAt));
  const quoted = { status: get(view.json, 'status'), error: get(view.json, 'error'), message };
  if (needed === undefined || needed.scopes.length === 0) {
    return namelessScopeFinding(view, 'figma', quoted, 'Figma says the token lacks a scope without naming it in a form a token uses: see the endpoint\'s scope in the REST API reference.');
  }
  const held = listAfter(requiresAt === -1 ? message : message.slice(0, requiresAt), 'invalid scope(s):');
  return finding(view, { outcome: 'missing_scope', required: allOf(parseScopes(needed.scopes)), evidence: [view.evidence(`body ${jsonEvidence(quoted)}`)], dialect: 'figma' }, {
    granted: held,
  });
};

export const figma: Provider = {
  id: 'figma',
  name: 'Figma',
  docs: ['https://developers.figma.com/docs/rest-api/scopes/'],
  readers: [{ dialect: 'figma', reads: '"Invalid scope(s): … This endpoint requires the X scope" (HTTP 403)', read }],
  tokenPrefixes: [{ prefix: 'figd_', description: 'personal access token', scopesVia: 'the scopes chosen when the token was generated' }],
  login: {
    authorizationEndpoint: 'https://www.figma.com/oauth',
    tokenEndpoint: 'https://api.figma.com/v1/oauth/token',
    scopeSeparator: ' ',
    quirks: ['files:read is deprecated in favour of the granular file_content:read and friends.'],
  },
  catalogue: {
    'current_user:read': "Read the user's name, email and profile image",
    'file_content:read': 'Read the contents of files, such as nodes and the editor type',
    'file_comments:read': 'Read the comments of files',
    'file_comments:write': 'Post and delete comments and reactions on files',
    'file_variables:read': 'Read variables in files (Enterprise plans)',
    'file_dev_resources:read': 'Read dev resources in files',
    'webhooks:write': 'Create and manage webhooks',
  },
};
