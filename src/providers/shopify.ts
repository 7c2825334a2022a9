/**
 * Shopify (Admin API). Apps declare access scopes in their configuration; a store that has not approved one answers
 * with "… requires merchant approval for <scope> scope." in `errors` (a string, a list, or an object of them).
 * @see https://shopify.dev/docs/api/usage/access-scopes
 */
import { allOf, finding, get, indexOfIgnoringCase, isRecord, type Finding, type ResponseView } from '../core/response.js';
import { asDialect as toDialect } from '../core/response.js';
import { parseScopes } from '../core/scopes.js';
import type { Provider } from './types.js';

const SHOPIFY_PHRASE = 'requires merchant approval for ';

const shopify_ = (view: ResponseView): Finding | null => {
  const errors = get(view.json, 'errors');
  const messages: string[] = [];
  const collect = (value: unknown): void => {
    if (messages.length >= 50) return;
    if (typeof value === 'string') messages.push(value);
    else if (isRecord(value) && typeof get(value, 'message') === 'string') messages.push(value.message as string);
  };
  if (Array.isArray(errors)) errors.slice(0, 50).forEach(collect);
  else if (isRecord(errors)) {
    for (const value of Object.values(errors).slice(0, 50)) {
      if (Array.isArray(value)) value.slice(0, 50).forEach(collect);
      else collect(value);
    }
  } else collect(errors);

  const scopes: string[] = [];
  const evidence: string[] = [];
  for (const message of messages) {
    const at = indexOfIgnoringCase(message, SHOPIFY_PHRASE);
    if (at === -1) continue;
    const start = at + SHOPIFY_PHRASE.length;
    let end = start;
    while (end < message.length && message.charCodeAt(end) > 0x20) end++;
    if (end === start || !message.startsWith(' scope', end)) continue;
    scopes.push(message.slice(start, end));
    evidence.push(view.evidence(`body errors: ${JSON.stringify(message)}`));
  }
  if (evidence.length === 0) return null;
  return finding(view, { outcome: 'missing_scope', required: allOf(parseScopes(scopes)), evidence, dialect: 'shopify' });
};

const SHOP = /^[a-z0-9][a-z0-9-]{0,60}$/;

export const shopify: Provider = {
  id: 'shopify',
  name: 'Shopify',
  docs: ['https://shopify.dev/docs/api/usage/access-scopes'],
  readers: [{ dialect: 'shopify', reads: '"requires merchant approval for X scope" in errors (all of them)', read: shopify_ }],
  commaSeparatedScopes: true,
  tokenPrefixes: [
    { prefix: 'shpat_', description: 'Admin API access token (custom app)', scopesVia: 'GET /admin/oauth/access_scopes.json' },
    { prefix: 'shpca_', description: 'Admin API access token (public app, offline)', scopesVia: 'GET /admin/oauth/access_scopes.json' },
    { prefix: 'shpua_', description: 'Admin API access token (public app, online, per user)', scopesVia: 'GET /admin/oauth/access_scopes.json' },
    { prefix: 'shpss_', description: 'app shared secret (not a token)' },
  ],
  login: {
    authorizationEndpoint: 'https://{shop}.myshopify.com/admin/oauth/authorize',
    tokenEndpoint: 'https://{shop}.myshopify.com/admin/oauth/access_token',
    slots: [{ name: 'shop', description: 'the store name (the part before .myshopify.com)', pattern: SHOP }],
    scopeSeparator: ',',
    quirks: ['Endpoints are per store.', 'Scopes are comma-separated; write_X implies read_X.'],
  },
  // "write_X implies read_X" (access-scopes page).
  rules: {
    contains: (granted, needed) => granted.startsWith('write_') && needed === `read_${granted.slice('write_'.length)}`,
  },
};

/** Shopify "requires merchant approval for X scope" in `errors` (a string, a list, or an object of them). */
export const readShopify = toDialect(shopify_);
