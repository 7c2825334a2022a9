/**
 * HubSpot. Scopes are declared on the app (required and optional) and requested in the install URL. A missing scope
 * is `{"category":"MISSING_SCOPES","errors":[{"message":"One or more of the following scopes are required.",
 * "context":{"requiredScopes":[…]}}]}` (granular scopes under `requiredGranularScopes`): one or more = any one.
 * @see https://developers.hubspot.com/docs/guides/apps/authentication/scopes
 */
import { alternatives, conjoin, finding, get, jsonEvidence, text, type Finding, type ResponseView } from '../core/response.js';
import { parseScopes } from '../core/scopes.js';
import type { Provider } from './types.js';

const read = (view: ResponseView): Finding | null => {
  if (get(view.json, 'category') !== 'MISSING_SCOPES') return null;
  const requirements: string[][][] = [];
  const errors = get(view.json, 'errors');
  if (Array.isArray(errors)) {
    for (const error of errors.slice(0, 50)) {
      const context = get(error, 'context');
      const named = parseScopes([...toStrings(get(context, 'requiredScopes')), ...toStrings(get(context, 'requiredGranularScopes'))]);
      if (named.length > 0) requirements.push(alternatives(named));
    }
  }
  const { required } = conjoin(requirements);
  const message = text(get(view.json, 'message'));
  const evidence = [view.evidence(`body ${jsonEvidence({ category: 'MISSING_SCOPES', errors: Array.isArray(errors) ? errors.slice(0, 3) : undefined })}`)];
  if (message !== undefined) evidence.push(view.evidence(`body message: ${JSON.stringify(message)}`));
  return finding(view, { outcome: 'missing_scope', required, evidence, dialect: 'hubspot' }, {
    note: required.length > 1 ? 'HubSpot says "one or more of the following scopes": any one of them suffices.' : required.length === 0 ? 'HubSpot did not name the scopes.' : undefined,
  });
};

const toStrings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string').slice(0, 100) : []);

export const hubspot: Provider = {
  id: 'hubspot',
  name: 'HubSpot',
  docs: ['https://developers.hubspot.com/docs/guides/apps/authentication/scopes'],
  readers: [{ dialect: 'hubspot', reads: 'category MISSING_SCOPES with errors[].context.requiredScopes / requiredGranularScopes (alternatives)', read }],
  tokenPrefixes: [{ prefix: 'pat-', description: 'private app access token', scopesVia: "the private app's scopes in HubSpot settings" }],
  login: {
    authorizationEndpoint: 'https://app.hubspot.com/oauth/authorize',
    tokenEndpoint: 'https://api.hubapi.com/oauth/v1/token',
    scopeSeparator: ' ',
    quirks: ['The install fails unless every scope marked required on the app is requested; optional_scope lists the others.'],
  },
  catalogue: {
    oauth: 'Required for OAuth apps',
    'crm.objects.contacts.read': 'View properties and other details about contacts',
    'crm.objects.contacts.write': 'View properties and create, delete, or make changes to contacts',
    'crm.objects.companies.read': 'View properties and other details about companies',
    'crm.objects.deals.read': 'View properties and other details about deals',
    'crm.objects.owners.read': 'View details about users assigned to a CRM record',
  },
};
