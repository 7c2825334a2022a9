/**
 * Twitch (Helix API). An OpenID provider at `https://id.twitch.tv/oauth2`. A missing scope is answered HTTP 401
 * `{"data":[],"error":"Unauthorized","message":"missing scope moderator:read:follows","status":401}`; the older API said
 * "missing required oauth scope" without a name.
 * @see https://dev.twitch.tv/docs/authentication/scopes/
 */
import { allOf, alternatives, finding, get, jsonEvidence, text, type Finding, type ResponseView } from '../core/response.js';
import { scopesInSentence } from '../core/dialects.js';
import { parseScopes } from '../core/scopes.js';
import { namelessScopeFinding } from './read.js';
import type { Provider } from './types.js';

const read = (view: ResponseView): Finding | null => {
  if (view.status !== 401 && view.status !== 403) return null;
  const message = text(get(view.json, 'message'));
  // Twitch's error shape: {"error":"Unauthorized","status":401,"message":…}; other APIs' sentences go to the generic reader.
  if (message === undefined || typeof get(view.json, 'status') !== 'number' || typeof get(view.json, 'error') !== 'string') return null;
  const quoted = { error: get(view.json, 'error'), status: get(view.json, 'status'), message };
  // "Missing scope: moderator:read:followers", or without the colon: "missing scope moderator:read:follows".
  const named = /missing scope/i.test(message) ? scopesInSentence(message) : undefined;
  if (named !== undefined && named.scopes.length > 0) {
    const scopes = parseScopes(named.scopes);
    return finding(view, { outcome: 'missing_scope', required: named.anyOf ? alternatives(scopes) : allOf(scopes), evidence: [view.evidence(`body ${jsonEvidence(quoted)}`)], dialect: 'twitch' });
  }
  if (/missing required oauth scope|missing required scope/i.test(message)) {
    return namelessScopeFinding(view, 'twitch', quoted, 'Twitch says a scope is missing without naming it: the endpoint\'s reference lists its scope.');
  }
  return null;
};

export const twitch: Provider = {
  id: 'twitch',
  name: 'Twitch',
  docs: ['https://dev.twitch.tv/docs/authentication/scopes/'],
  readers: [{ dialect: 'twitch', reads: '"Missing scope: X" (HTTP 401); "missing required oauth scope" (unnamed)', read }],
  login: {
    issuer: 'https://id.twitch.tv/oauth2',
    scopeSeparator: ' ',
    quirks: ['Every Helix call also needs the Client-Id header.', 'Validate tokens at https://id.twitch.tv/oauth2/validate (it lists their scopes).'],
  },
  catalogue: {
    'user:read:email': "View a user's email address",
    'channel:manage:broadcast': "Manage a channel's broadcast configuration",
    'moderator:read:followers': "Read the followers of a broadcaster",
    'chat:read': 'View live stream chat messages',
    'chat:edit': 'Send live stream chat messages',
    'channel:read:subscriptions': 'View a list of all subscribers to a channel',
  },
};
