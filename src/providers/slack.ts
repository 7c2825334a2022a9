/**
 * Slack (Web API). Setup: create an app at api.slack.com/apps with a loopback redirect URL (Slack wants HTTPS
 * redirect URLs for distributed apps), then `scopes login --provider slack --client-id <id>` with the user scopes the
 * app needs. Errors come back with HTTP 200 and `{"ok":false,"error":"missing_scope","needed":…,"provided":…}`.
 * @see https://api.slack.com/scopes
 * @see https://api.slack.com/authentication/oauth-v2
 */
import { alternatives, finding, get, jsonEvidence, text, type Finding, type ResponseView } from '../core/response.js';
import { asDialect as toDialect } from '../core/response.js';
import { parseScopes } from '../core/scopes.js';
import type { Provider } from './types.js';

const SLACK_UNAUTHORIZED = new Set(['not_authed', 'invalid_auth', 'token_revoked', 'token_expired', 'account_inactive']);
const SLACK_FORBIDDEN = new Set(['no_permission', 'not_allowed_token_type', 'ekm_access_denied', 'access_denied']);

const slack_ = (view: ResponseView): Finding | null => {
  if (get(view.json, 'ok') !== false) return null;
  const error = text(get(view.json, 'error'));
  if (error === undefined) return null;
  const needed = text(get(view.json, 'needed'));
  const provided = text(get(view.json, 'provided'));
  const evidence = [
    view.evidence(
      `body ${jsonEvidence({ ok: false, error, ...(needed === undefined ? {} : { needed }), ...(provided === undefined ? {} : { provided }) })}`,
    ),
  ];
  const granted = provided === undefined ? undefined : parseScopes(provided, { commas: true });
  const dialect = 'slack';
  if (error === 'missing_scope') {
    const scopes = needed === undefined ? [] : parseScopes(needed, { commas: true });
    return finding(view, { outcome: 'missing_scope', required: alternatives(scopes), evidence, dialect }, {
      granted,
      note:
        scopes.length === 0
          ? 'Slack did not say which scope is needed.'
          : scopes.length > 1
            ? "Slack's needed lists alternatives: any one of them suffices."
            : undefined,
    });
  }
  if (SLACK_UNAUTHORIZED.has(error)) return finding(view, { outcome: 'unauthorized', required: [], evidence, dialect });
  if (SLACK_FORBIDDEN.has(error)) return finding(view, { outcome: 'forbidden', required: [], evidence, dialect });
  return null;
};

const SCOPES = 'the x-oauth-scopes header of any Slack Web API response (e.g. auth.test)';

export const slack: Provider = {
  id: 'slack',
  name: 'Slack',
  docs: ['https://api.slack.com/scopes'],
  readers: [{ dialect: 'slack', reads: '{"ok":false,"error":"missing_scope","needed":"a,b"} on HTTP 200 (needed lists alternatives)', read: slack_ }],
  commaSeparatedScopes: true,
  tokenPrefixes: [
    { prefix: 'xoxb-', description: 'bot token', scopesVia: SCOPES },
    { prefix: 'xoxp-', description: 'user token', scopesVia: SCOPES },
    { prefix: 'xoxe.xoxb-', description: 'rotating bot token (token rotation on, expires after 12 h)', scopesVia: SCOPES },
    { prefix: 'xoxe.xoxp-', description: 'rotating user token (token rotation on, expires after 12 h)', scopesVia: SCOPES },
    { prefix: 'xoxe-', description: 'refresh token (token rotation)' },
    { prefix: 'xoxa-', description: 'workspace app access token (legacy)', scopesVia: SCOPES },
    { prefix: 'xoxr-', description: 'refresh token (legacy workspace app)' },
    { prefix: 'xapp-', description: 'app-level token (Socket Mode, app-wide APIs)' },
  ],
  login: {
    authorizationEndpoint: 'https://slack.com/oauth/v2/authorize',
    tokenEndpoint: 'https://slack.com/api/oauth.v2.access',
    revocationEndpoint: 'https://slack.com/api/auth.revoke',
    scopeSeparator: ',',
    quirks: [
      'Bot scopes go in scope, user scopes in user_scope; a user token is under authed_user in the token response.',
      'Scopes are comma-separated in requests and responses.',
      'Errors arrive with HTTP 200 and ok: false.',
    ],
  },
  catalogue: {
    'channels:read': 'View basic information about public channels in a workspace',
    'channels:history': 'View messages and other content in public channels',
    'chat:write': 'Send messages as the app',
    'groups:read': 'View basic information about private channels',
    'im:read': 'View basic information about direct messages',
    'users:read': 'View people in a workspace',
    'users:read.email': 'View email addresses of people in a workspace',
    'files:read': 'View files shared in channels and conversations',
    'reactions:write': 'Add and edit emoji reactions',
  },
};

/** Slack `{"ok":false,"error":"missing_scope","needed":"a,b"}` (HTTP 200): `needed` lists alternatives. */
export const readSlack = toDialect(slack_);
