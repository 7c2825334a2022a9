/**
 * Filling in a provider's login template (`scopes login --provider NAME`): the endpoints or issuer, with `{tenant}` /
 * `{domain}` slots replaced by checked values, the authorization parameters the provider wants, and the provider as
 * the profile's preset. Pure; the login command applies the result to the profile.
 */
import type { Profile } from '../core/profile.js';
import { UsageError } from '../errors.js';
import { findProvider, PROVIDER_NAMES } from './index.js';
import type { Provider } from './types.js';

/** Values the user gave for a template's slots. */
export interface TemplateValues {
  /** `--tenant` (Entra). */
  readonly tenant?: string | undefined;
  /** `--domain`: the host of a per-tenant provider (Auth0, Okta, GitLab; Mastodon's instance, Shopify's shop). */
  readonly domain?: string | undefined;
  /** `--audience`, which some providers require. */
  readonly audience?: string | undefined;
}

export interface FilledTemplate {
  readonly provider: Provider;
  /** Profile fields the template sets (endpoints or issuer, parameters, preset). */
  readonly profile: Pick<
    Profile,
    'issuer' | 'authorizationEndpoint' | 'tokenEndpoint' | 'revocationEndpoint' | 'deviceAuthorizationEndpoint' | 'userinfoEndpoint' | 'authorizationParams' | 'preset'
  >;
  /** Scopes worth asking for when the user names none. */
  readonly defaultScopes: readonly string[];
  /** The provider's quirks, one sentence each, for --verbose and the README. */
  readonly quirks: readonly string[];
}

/** Slot names `--domain` fills: one per provider at most. */
const DOMAIN_SLOTS = ['domain', 'instance', 'shop'];

/**
 * The profile fields of a provider's login template, filled. Throws `UsageError` (exit 2) for an unknown provider,
 * one without a login template, a slot left empty or filled with something that is not a host / tenant id, and a
 * provider that needs `audience` without one.
 */
export function fillLoginTemplate(name: string, values: TemplateValues = {}): FilledTemplate {
  const provider = findProvider(name);
  if (provider === undefined) {
    throw new UsageError(`--provider: "${name}" is not one of ${PROVIDER_NAMES.join(', ')}.`, { hint: 'Run `scopes providers` to see what each one knows.' });
  }
  const template = provider.login;
  if (template === undefined || (template.issuer === undefined && template.authorizationEndpoint === undefined)) {
    throw new UsageError(`--provider ${provider.id}: the tool knows no endpoints for ${provider.name}.`, {
      hint: 'Pass --issuer (and --client-id) instead; `scopes providers` lists what the tool knows of each provider.',
    });
  }
  const filled = new Map<string, string>();
  for (const slot of template.slots ?? []) {
    const given = slot.name === 'tenant' ? values.tenant : DOMAIN_SLOTS.includes(slot.name) ? values.domain : undefined;
    const value = given ?? slot.default;
    const flag = slot.name === 'tenant' ? '--tenant' : '--domain';
    if (value === undefined || value === '') {
      throw new UsageError(`--provider ${provider.id} needs ${flag}: ${slot.description}.`, { hint: `Example: scopes login --provider ${provider.id} ${flag} <${slot.name}> --client-id <id>` });
    }
    if (!slot.pattern.test(value)) throw new UsageError(`${flag} "${value}" is not ${slot.description}.`);
    filled.set(slot.name, value);
  }
  if (values.tenant !== undefined && !filled.has('tenant')) throw new UsageError(`--tenant means nothing to ${provider.name}.`);
  if (values.domain !== undefined && !DOMAIN_SLOTS.some((slot) => filled.has(slot))) throw new UsageError(`--domain means nothing to ${provider.name}.`);
  if (template.needsAudience === true && (values.audience === undefined || values.audience === '')) {
    throw new UsageError(`--provider ${provider.id} needs --audience: ${provider.name} issues an access token for an API only when asked for its identifier.`, {
      hint: `Example: scopes login --provider ${provider.id} --domain <tenant domain> --client-id <id> --audience https://api.example.com`,
    });
  }
  const fill = (url: string | undefined): string | undefined =>
    url === undefined ? undefined : url.replace(/\{([a-z]+)\}/g, (_match, slot: string) => filled.get(slot) ?? `{${slot}}`);
  const profile: FilledTemplate['profile'] = {
    ...(template.issuer === undefined ? {} : { issuer: fill(template.issuer) }),
    ...(template.authorizationEndpoint === undefined ? {} : { authorizationEndpoint: fill(template.authorizationEndpoint) }),
    ...(template.tokenEndpoint === undefined ? {} : { tokenEndpoint: fill(template.tokenEndpoint) }),
    ...(template.revocationEndpoint === undefined ? {} : { revocationEndpoint: fill(template.revocationEndpoint) }),
    ...(template.deviceAuthorizationEndpoint === undefined ? {} : { deviceAuthorizationEndpoint: fill(template.deviceAuthorizationEndpoint) }),
    ...(template.userinfoEndpoint === undefined ? {} : { userinfoEndpoint: fill(template.userinfoEndpoint) }),
    ...(template.authorizationParams === undefined ? {} : { authorizationParams: { ...template.authorizationParams } }),
    // The provider's implication rules and list separator apply to this profile from now on.
    preset: provider.id,
  };
  return { provider, profile, defaultScopes: template.defaultScopes ?? [], quirks: template.quirks ?? [] };
}
