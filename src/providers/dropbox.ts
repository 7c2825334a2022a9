/**
 * Dropbox. Setup: create a scoped app in the App Console (Permissions tab: tick the scopes), add a loopback redirect
 * URI, then `scopes login --provider dropbox --client-id <app key>`. A token keeps the scopes it was issued with:
 * ticking a scope later needs a new authorization. A missing scope is HTTP 401 with
 * `{"error_summary":"missing_scope/…","error":{".tag":"missing_scope","required_scope":"files.metadata.read"}}`.
 * @see https://developers.dropbox.com/oauth-guide
 * @see https://www.dropbox.com/developers/documentation/http/documentation#authorization
 */
import { finding, get, jsonEvidence, text, type Finding, type ResponseView } from '../core/response.js';
import type { Provider } from './types.js';

const read = (view: ResponseView): Finding | null => {
  if (view.status !== 401 && view.status !== 400 && view.status !== 403) return null;
  const error = get(view.json, 'error');
  const tag = text(get(error, '.tag'));
  const summary = text(get(view.json, 'error_summary'));
  if (tag === undefined && summary === undefined) return null;
  const evidence = [view.evidence(`body ${jsonEvidence({ error_summary: summary, error })}`)];
  if (tag === 'missing_scope' || summary?.startsWith('missing_scope/') === true) {
    const scope = text(get(error, 'required_scope'));
    return finding(view, { outcome: 'missing_scope', required: scope === undefined ? [] : [[scope]], evidence, dialect: 'dropbox' }, {
      note: 'Tick the scope in the App Console (Permissions), then authorize again: existing tokens keep the scopes they were issued with.',
    });
  }
  if (tag === 'invalid_access_token' || tag === 'expired_access_token') return finding(view, { outcome: 'unauthorized', required: [], evidence, dialect: 'dropbox' });
  return null;
};

export const dropbox: Provider = {
  id: 'dropbox',
  name: 'Dropbox',
  docs: ['https://developers.dropbox.com/oauth-guide'],
  readers: [{ dialect: 'dropbox', reads: 'error[".tag"] missing_scope with required_scope (HTTP 401)', read }],
  tokenPrefixes: [{ prefix: 'sl.', description: 'short-lived access token (4 hours)', scopesVia: 'the scope member of the token response' }],
  login: {
    authorizationEndpoint: 'https://www.dropbox.com/oauth2/authorize',
    tokenEndpoint: 'https://api.dropboxapi.com/oauth2/token',
    scopeSeparator: ' ',
    authorizationParams: { token_access_type: 'offline' },
    quirks: ['A refresh token only with token_access_type=offline.', 'Without a scope parameter the token gets every scope ticked in the App Console.'],
  },
  catalogue: {
    'account_info.read': 'View basic information about your Dropbox account',
    'files.metadata.read': 'View information about your Dropbox files and folders',
    'files.metadata.write': 'View and edit information about your Dropbox files and folders',
    'files.content.read': 'View content of your Dropbox files and folders',
    'files.content.write': 'Edit content of your Dropbox files and folders',
    'sharing.read': 'View your Dropbox sharing settings and collaborators',
    'sharing.write': 'View and manage your Dropbox sharing settings and collaborators',
  },
};
