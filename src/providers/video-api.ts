/**
 * The video API of reference/seeds/003 ("OAuth Scopes"): `vdo_oat_` OAuth access tokens carry scopes, `vdo_live_`
 * API keys bypass scope checks. A missing scope is answered 403 with
 * `{"error":{"code":"insufficient_scope","message":"This action requires the \"export:write\" scope. Your token has: …"}}`,
 * read by the core's `error-message` reader.
 */
import type { Provider } from './types.js';

export const videoApi: Provider = {
  id: 'video-api',
  name: 'video API',
  docs: ['reference/seeds/003'],
  tokenPrefixes: [
    {
      prefix: 'vdo_oat_',
      description: 'OAuth access token: the scopes granted to it apply',
      scopesVia: 'introspection, or the 403 insufficient_scope bodies of the API',
    },
    { prefix: 'vdo_live_', description: 'API key: bypasses scope checks entirely (full access within the workspace plan)', bypassesScopes: true },
  ],
  login: { scopeSeparator: ' ', quirks: ['Scopes only apply to OAuth access tokens (vdo_oat_); API keys (vdo_live_) have full access.'] },
  catalogue: {
    'videos:read': 'View videos in the workspace',
    'videos:write': 'Upload and modify videos',
    'subtitles:read': 'View subtitles',
    'subtitles:write': 'Generate subtitles',
    'export:write': 'Export videos',
    'translate:write': 'Translate videos',
    'voiceover:write': 'Generate voiceovers',
    'article:read': 'View help articles',
    'article:write': 'Generate help articles',
    'analyze:write': 'Analyze videos',
    'tools:read': 'List and view tools',
    'tools:write': 'Execute tools',
    'jobs:read': 'View job status',
    'usage:read': 'View usage statistics',
    'process:write': 'Use one-shot process endpoint',
  },
};
