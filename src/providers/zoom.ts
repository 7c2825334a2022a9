/**
 * Zoom. Scopes are chosen on the app in the Zoom App Marketplace, not in the authorization request. A token without
 * one is answered HTTP 400 (sometimes 401) with `{"code":4711,"message":"Invalid access token, does not contain
 * scopes:[a, b]."}`; the bracketed scopes are alternatives (a user-level scope and its `:admin` form).
 * @see https://developers.zoom.us/docs/integrations/oauth-scopes/
 * @see https://developers.zoom.us/docs/api/rest/error-definitions/
 */
import { alternatives, finding, get, jsonEvidence, text, type Finding, type ResponseView } from '../core/response.js';
import { listAfter } from './read.js';
import type { Provider } from './types.js';

const read = (view: ResponseView): Finding | null => {
  const code = get(view.json, 'code');
  const message = text(get(view.json, 'message'));
  if (typeof code !== 'number' || message === undefined) return null;
  const evidence = [view.evidence(`body ${jsonEvidence({ code, message })}`)];
  if (code === 4711 || (code === 4700 && message.toLowerCase().includes('scope'))) {
    const scopes = listAfter(message, 'does not contain scopes:') ?? [];
    return finding(view, { outcome: 'missing_scope', required: alternatives(scopes), evidence, dialect: 'zoom' }, {
      note: `${scopes.length > 1 ? 'Zoom lists alternatives: any one of these scopes suffices. ' : ''}Add the scope to the app in the Zoom App Marketplace, then authorize again.`,
    });
  }
  if (code === 124 && view.status === 401) return finding(view, { outcome: 'unauthorized', required: [], evidence, dialect: 'zoom' });
  return null;
};

export const zoom: Provider = {
  id: 'zoom',
  name: 'Zoom',
  docs: ['https://developers.zoom.us/docs/integrations/oauth-scopes/'],
  readers: [{ dialect: 'zoom', reads: 'code 4711 "does not contain scopes:[a, b]" (alternatives; HTTP 400)', read }],
  login: {
    authorizationEndpoint: 'https://zoom.us/oauth/authorize',
    tokenEndpoint: 'https://zoom.us/oauth/token',
    revocationEndpoint: 'https://zoom.us/oauth/revoke',
    scopeSeparator: ' ',
    quirks: ['Scopes are set on the app in the Marketplace; the authorization request need not name them.', 'A missing scope is HTTP 400, not 403.'],
  },
};
