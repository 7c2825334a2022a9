/**
 * Stripe. API keys, not OAuth tokens, are what most calls carry: a restricted key (`rk_`) holds per-resource
 * permissions (`rak_subscription_read`) set in the Dashboard, and a refusal names the one it lacks:
 * "… Having the 'rak_subscription_read' permission would allow this request to continue." That is a key permission,
 * edited on the key, never an OAuth scope. Stripe Connect's OAuth has two scopes, read_only and read_write.
 * @see https://docs.stripe.com/keys#limit-access
 * @see https://docs.stripe.com/connect/oauth-reference
 */
import { finding, get, jsonEvidence, text, type Finding, type ResponseView } from '../core/response.js';
import { listAfter } from './read.js';
import type { Provider } from './types.js';

const read = (view: ResponseView): Finding | null => {
  if (view.status !== 403 && view.status !== 401) return null;
  const error = get(view.json, 'error');
  const message = text(get(error, 'message'));
  if (message === undefined) return null;
  const type = text(get(error, 'type'));
  const evidence = [view.evidence(`body ${jsonEvidence({ error: { ...(type === undefined ? {} : { type }), message } })}`)];
  const permission = listAfter(message, 'having the')?.find((word) => word.startsWith('rak_'));
  if (permission !== undefined) {
    // The message opens with the (masked) key and the account; the sentence that names the permission comes last.
    const having = message.toLowerCase().lastIndexOf('having the');
    evidence.splice(0, 1, view.evidence(`body error.message: "…${message.slice(having)}"${type === undefined ? '' : ` (${type})`}`));
    return finding(view, { outcome: 'missing_scope', required: [[permission]], evidence, dialect: 'stripe' }, {
      requiredKind: 'key-permission',
      note: `A restricted API key permission, not an OAuth scope: give the key this permission in the Dashboard (API keys → the key → Edit), or use another key.`,
    });
  }
  if (/not available for use by restricted keys/i.test(message)) {
    return finding(view, { outcome: 'forbidden', required: [], evidence, dialect: 'stripe' }, {
      note: 'No restricted key may call this endpoint: use a secret key (sk_) or another integration path.',
    });
  }
  return null;
};

export const stripe: Provider = {
  id: 'stripe',
  name: 'Stripe',
  docs: ['https://docs.stripe.com/keys#limit-access'],
  readers: [{ dialect: 'stripe', reads: "\"Having the 'rak_…' permission would allow this request\" (a restricted key's permission, not a scope)", read }],
  tokenPrefixes: [
    { prefix: 'sk_live_', description: 'secret key (live mode): every API permission', bypassesScopes: true },
    { prefix: 'sk_test_', description: 'secret key (test mode): every API permission', bypassesScopes: true },
    { prefix: 'rk_live_', description: 'restricted key (live mode): per-resource permissions, no OAuth scopes', scopesVia: 'the key\'s permissions in the Dashboard' },
    { prefix: 'rk_test_', description: 'restricted key (test mode): per-resource permissions, no OAuth scopes', scopesVia: 'the key\'s permissions in the Dashboard' },
    { prefix: 'pk_live_', description: 'publishable key (live mode): client-side calls only' },
    { prefix: 'pk_test_', description: 'publishable key (test mode): client-side calls only' },
  ],
  login: {
    authorizationEndpoint: 'https://connect.stripe.com/oauth/authorize',
    tokenEndpoint: 'https://connect.stripe.com/oauth/token',
    revocationEndpoint: 'https://connect.stripe.com/oauth/deauthorize',
    scopeSeparator: ' ',
    quirks: ['OAuth is Stripe Connect only (scope read_only or read_write); the token endpoint authenticates with the platform\'s secret key.'],
  },
  catalogue: {
    read_only: 'Read access to the connected account (Stripe Connect)',
    read_write: 'Read and write access to the connected account (Stripe Connect)',
  },
};
