/**
 * Orshot (reference/seeds/000): an OpenID provider whose scopes are space-separated, pre-approved at app
 * registration; `offline_access` is needed for a refresh token (access tokens last 15 minutes).
 * @see https://orshot.com/docs/developers/scopes
 */
import type { Provider } from './types.js';

export const orshot: Provider = {
  id: 'orshot',
  name: 'Orshot',
  docs: ['https://orshot.com/docs/developers/scopes'],
  login: {
    scopeSeparator: ' ',
    defaultScopes: ['openid', 'offline_access'],
    quirks: ['Without offline_access there is no refresh token, and access tokens last 15 minutes.', 'A client may only request scopes pre-approved at registration (else invalid_scope).'],
  },
  catalogue: {
    openid: "Access the user's unique ID (standard OpenID Connect)",
    profile: "Read the user's profile info (name, avatar)",
    email: "Read the user's email address",
    'workspace:read': 'List and read workspace details',
    'workspace:templates:read': 'List and read templates in granted workspaces',
    'workspace:templates:write': 'Delete templates in granted workspaces',
    'render:generate': 'Generate images, PDFs, and videos from templates',
    'mcp:access': 'Access Orshot via the Model Context Protocol',
    offline_access: 'Receive a refresh token for long-lived access',
  },
};
