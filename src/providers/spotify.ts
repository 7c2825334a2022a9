/**
 * Spotify (Web API). A token without a scope is answered HTTP 403 `{"error":{"status":403,"message":"Insufficient
 * client scope"}}`, which names no scope.
 * @see https://developer.spotify.com/documentation/web-api/concepts/scopes
 */
import { finding, get, jsonEvidence, text, type Finding, type ResponseView } from '../core/response.js';
import { namelessScopeFinding } from './read.js';
import type { Provider } from './types.js';

const read = (view: ResponseView): Finding | null => {
  const error = get(view.json, 'error');
  const message = text(get(error, 'message'));
  const status = get(error, 'status');
  if (message === undefined || typeof status !== 'number') return null;
  if (view.status === 403 && /insufficient client scope/i.test(message)) {
    return namelessScopeFinding(view, 'spotify', { error: { status, message } }, "Spotify names no scope: the endpoint's reference lists the scope it needs.");
  }
  if (view.status === 401) return finding(view, { outcome: 'unauthorized', required: [], evidence: [view.evidence(`body ${jsonEvidence({ error: { status, message } })}`)], dialect: 'spotify' });
  return null;
};

export const spotify: Provider = {
  id: 'spotify',
  name: 'Spotify',
  docs: ['https://developer.spotify.com/documentation/web-api/concepts/scopes'],
  readers: [{ dialect: 'spotify', reads: '"Insufficient client scope" (HTTP 403; a scope problem, unnamed)', read }],
  login: {
    authorizationEndpoint: 'https://accounts.spotify.com/authorize',
    tokenEndpoint: 'https://accounts.spotify.com/api/token',
    scopeSeparator: ' ',
    quirks: ['Loopback redirect URIs must use 127.0.0.1 (not localhost).'],
  },
  catalogue: {
    'user-read-private': "Access the user's subscription details",
    'user-read-email': "Get the user's email address",
    'user-read-recently-played': "Access the user's recently played tracks",
    'user-top-read': "Read the user's top artists and content",
    'user-library-read': "Access the user's saved content",
    'user-library-modify': "Manage the user's saved content",
    'playlist-read-private': "Access the user's private playlists",
    'playlist-modify-public': "Manage the user's public playlists",
    'playlist-modify-private': "Manage the user's private playlists",
    'user-read-playback-state': "Read the user's currently playing content and Spotify Connect devices",
  },
};
