/**
 * Mastodon (any instance). A token without a scope is answered HTTP 403
 * `{"error":"This action is outside the authorized scopes"}`, which names no scope. `read` and `write` hold their
 * granular `read:*` / `write:*` scopes; the deprecated `follow` holds the follows, blocks and mutes scopes.
 * @see https://docs.joinmastodon.org/api/oauth-scopes/
 */
import { get, text, type Finding, type ResponseView } from '../core/response.js';
import { HOST_NAME, namelessScopeFinding } from './read.js';
import type { Provider } from './types.js';

const read = (view: ResponseView): Finding | null => {
  if (view.status !== 403) return null;
  const error = text(get(view.json, 'error'));
  if (error === undefined || !/outside the authorized scopes/i.test(error)) return null;
  return namelessScopeFinding(view, 'mastodon', { error }, "Mastodon names no scope: the method's page in the API docs lists its OAuth scope.");
};

const FOLLOW = ['read:follows', 'read:blocks', 'read:mutes', 'write:follows', 'write:blocks', 'write:mutes'];

export const mastodon: Provider = {
  id: 'mastodon',
  name: 'Mastodon',
  docs: ['https://docs.joinmastodon.org/api/oauth-scopes/'],
  readers: [{ dialect: 'mastodon', reads: '"This action is outside the authorized scopes" (HTTP 403; a scope problem, unnamed)', read }],
  rules: {
    implies: { follow: FOLLOW },
    contains: (granted, needed) =>
      (['read', 'write', 'admin:read', 'admin:write'] as const).some((broad) => granted === broad && needed.startsWith(`${broad}:`)),
  },
  login: {
    authorizationEndpoint: 'https://{instance}/oauth/authorize',
    tokenEndpoint: 'https://{instance}/oauth/token',
    revocationEndpoint: 'https://{instance}/oauth/revoke',
    slots: [{ name: 'instance', description: 'the instance host (mastodon.social)', pattern: HOST_NAME }],
    scopeSeparator: ' ',
    quirks: ['The token request must repeat the scope, or the token gets only read.', 'Register the client on the instance first (POST /api/v1/apps).'],
  },
  catalogue: {
    read: 'Read access to everything (all read:* scopes)',
    write: 'Write access to everything (all write:* scopes)',
    'read:accounts': 'Read account information',
    'read:statuses': 'Read statuses',
    'write:statuses': 'Publish and delete statuses',
    'write:media': 'Upload media',
    push: 'Receive push notifications',
    'admin:read': 'Read all data on the server (moderators)',
  },
};
