/**
 * The registry: every provider `scopes` knows, in the order their readers are tried, and the generic functions the
 * commands use instead of naming a provider. Adding a provider is one module and its line in {@link PROVIDERS}.
 *
 * The order readers are tried in (ties between equally telling findings go to the earlier reader):
 *  1. RFC 9470 step-up (a step-up outranks every scope finding anyway);
 *  2. each provider's readers, in the order of {@link PROVIDERS} (a provider may supersede a standards reader whose
 *     form its responses share but whose meaning they do not);
 *  3. the standards readers: RFC 6750 challenge, RFC 6750 body, RFC 9396 `insufficient_authorization`, the
 *     `insufficient_scope` error object;
 *  4. the generic sentence reader (lower confidence);
 *  5. when nothing matched, the status code with the start of the body.
 */
import { LAST_RESORT_READERS, readScopeFinding as readWith, STANDARD_READERS, STEP_UP_READER } from '../core/dialects.js';
import { decodeToken as decodeWith, kindByPrefix, type DecodedToken, type OpaqueKind } from '../core/jwt.js';
import type { Finding, ProbeResponse, ReadOptions, ResponseReader } from '../core/response.js';
import { compileRules as compileWith, type RuleCatalogue, type RuleSpec, type ScopeRules } from '../core/scopes.js';
import { atlassian } from './atlassian.js';
import { auth0 } from './auth0.js';
import { box } from './box.js';
import { dropbox } from './dropbox.js';
import { entra } from './entra.js';
import { figma } from './figma.js';
import { github } from './github.js';
import { gitlab } from './gitlab.js';
import { google } from './google.js';
import { hubspot } from './hubspot.js';
import { itwin } from './itwin.js';
import { laserfiche } from './laserfiche.js';
import { linear } from './linear.js';
import { mastodon } from './mastodon.js';
import { okta } from './okta.js';
import { orshot } from './orshot.js';
import { shopify } from './shopify.js';
import { slack } from './slack.js';
import { spotify } from './spotify.js';
import { stripe } from './stripe.js';
import { twitch } from './twitch.js';
import type { Provider } from './types.js';
import { videoApi } from './video-api.js';
import { zoom } from './zoom.js';

export type { LoginTemplate, Provider, TemplateSlot, TokenPrefix } from './types.js';

/** Every provider, in the order their readers are tried and their rules normalize. */
export const PROVIDERS: readonly Provider[] = [
  github,
  google,
  entra,
  slack,
  gitlab,
  shopify,
  auth0,
  okta,
  dropbox,
  zoom,
  hubspot,
  atlassian,
  twitch,
  figma,
  linear,
  stripe,
  box,
  spotify,
  mastodon,
  laserfiche,
  videoApi,
  orshot,
  itwin,
];

const BY_NAME: ReadonlyMap<string, Provider> = new Map(
  PROVIDERS.flatMap((provider) => [provider.id, ...(provider.aliases ?? [])].map((name) => [name, provider] as const)),
);

/** Every name `--provider` / `--preset` / `preset` accepts: ids, then aliases. */
export const PROVIDER_NAMES: readonly string[] = [...PROVIDERS.map((provider) => provider.id), ...PROVIDERS.flatMap((provider) => provider.aliases ?? [])];

/** The provider an id or alias names (case-insensitive), or undefined. */
export function findProvider(name: string): Provider | undefined {
  return typeof name === 'string' ? BY_NAME.get(name.trim().toLowerCase()) : undefined;
}

/** Preset names resolve to providers; providers without rules contribute none (naming one is harmless). */
export const PRESET_CATALOGUE: RuleCatalogue = {
  names: PROVIDER_NAMES,
  resolve(name) {
    const provider = findProvider(name);
    return provider === undefined ? undefined : { id: provider.id, order: PROVIDERS.indexOf(provider), rules: provider.rules ?? {} };
  },
};

/** Compiles rules with the providers as presets. @see compileRules in core/scopes.ts */
export function compileRules(spec?: RuleSpec): ScopeRules {
  return compileWith(spec, PRESET_CATALOGUE);
}

/** True when any named provider writes scope lists with commas (`repo,gist`). */
export function usesCommaScopes(presets: RuleSpec['preset']): boolean {
  const names = presets === undefined ? [] : typeof presets === 'string' ? [presets] : [...presets];
  return names.some((name) => findProvider(name)?.commaSeparatedScopes === true);
}

/** All readers in the stated order (see the module comment). */
export const READERS: readonly ResponseReader[] = [
  STEP_UP_READER,
  ...PROVIDERS.flatMap((provider) => provider.readers ?? []),
  ...STANDARD_READERS,
  ...LAST_RESORT_READERS,
];

/** What a response says about the token's scopes, read by every provider's readers and the standards ones. Never throws. */
export function readScopeFinding(response: ProbeResponse, options?: ReadOptions): Finding | null {
  return readWith(response, options, READERS);
}

const KINDS: readonly OpaqueKind[] = PROVIDERS.flatMap((provider) =>
  (provider.tokenPrefixes ?? []).map((prefix) => ({ ...prefix, provider: provider.name, ...(provider.introspection === false ? { introspectable: false } : {}) })),
);

/** The kind of an opaque token by the longest well-known prefix it starts with, or null. */
export function identifyToken(token: string): OpaqueKind | null {
  return kindByPrefix(token, KINDS);
}

/** Every well-known prefix, with its provider. */
export const TOKEN_KINDS: readonly OpaqueKind[] = KINDS;

/** Decodes a pasted token, naming an opaque one by the providers' prefixes. @see decodeToken in core/jwt.ts */
export function decodeToken(raw: string): DecodedToken {
  return decodeWith(raw, identifyToken);
}

/**
 * What a scope means, from the catalogues of the given providers (or of every provider when none is given), as
 * `{ provider, description }`, or undefined when no catalogue lists it.
 */
export function describeScope(scope: string, providers?: readonly string[]): { provider: string; description: string } | undefined {
  const candidates = providers === undefined || providers.length === 0 ? PROVIDERS : providers.map(findProvider).filter((p): p is Provider => p !== undefined);
  for (const provider of candidates) {
    const catalogue = provider.catalogue;
    if (catalogue !== undefined && Object.hasOwn(catalogue, scope)) return { provider: provider.name, description: catalogue[scope]! };
  }
  return undefined;
}

/**
 * Descriptions of `scopes` from the catalogues of the named providers (presets), for explaining what a scope grants;
 * scopes no catalogue of theirs lists are left out. Nothing without a named provider: names like `profile` mean
 * different things to different providers.
 */
export function describeScopes(scopes: readonly string[], presets: RuleSpec['preset']): Record<string, string> {
  const names = presets === undefined ? [] : typeof presets === 'string' ? [presets] : [...presets];
  if (names.length === 0) return {};
  const described: Record<string, string> = {};
  for (const scope of scopes) {
    // Compared as the provider writes it, after its normalization (Entra's resource prefix and case).
    const found = describeScope(scope, names) ?? describeNormalized(scope, names);
    if (found !== undefined) described[scope] = found.description;
  }
  return described;
}

function describeNormalized(scope: string, names: readonly string[]): { provider: string; description: string } | undefined {
  for (const provider of names.map(findProvider)) {
    const normalize = provider?.rules?.normalize;
    if (provider?.catalogue === undefined || normalize === undefined) continue;
    const key = normalize(scope);
    const entry = Object.entries(provider.catalogue).find(([name]) => normalize(name) === key);
    if (entry !== undefined) return { provider: provider.name, description: entry[1] };
  }
  return undefined;
}

/** What may say which provider a token or profile belongs to, strongest first. */
export interface ProviderHints {
  /** The token itself: a well-known prefix names its provider. */
  readonly token?: string | undefined;
  /** Issuers (the token's `iss`, the profile's issuer): one matching a provider's fixed issuer names it. */
  readonly issuers?: readonly (string | undefined)[];
  /** The profile's `preset` / `--provider`: named outright. */
  readonly preset?: RuleSpec['preset'];
}

/**
 * The ids of the providers the hints name, for {@link describeScopes}: the token's prefix, then an issuer, then the
 * presets. An issuer names a provider only when its host is fixed (Entra's `login.microsoftonline.com/{tenant}`,
 * Google, Twitch; GitLab at its default host): an Auth0 or Okta tenant host could be anyone's.
 */
export function providersFor(hints: ProviderHints): string[] {
  const found: string[] = [];
  const kind = typeof hints.token === 'string' ? identifyToken(hints.token) : null;
  const byPrefix = kind === null ? undefined : PROVIDERS.find((provider) => provider.name === kind.provider);
  if (byPrefix !== undefined) found.push(byPrefix.id);
  for (const issuer of hints.issuers ?? []) {
    const byIssuer = typeof issuer === 'string' ? PROVIDERS.find((provider) => issuerPatternOf(provider)?.test(issuer.replace(/\/+$/, ''))) : undefined;
    if (byIssuer !== undefined) found.push(byIssuer.id);
  }
  const presets = hints.preset === undefined ? [] : typeof hints.preset === 'string' ? [hints.preset] : [...hints.preset];
  for (const name of presets) {
    const provider = findProvider(name);
    if (provider !== undefined) found.push(provider.id);
  }
  return [...new Set(found)];
}

const ISSUER_PATTERNS = new Map<Provider, RegExp | undefined>();

/** A provider's login issuer as a pattern (slots in the path match one segment), or undefined when its host varies. */
function issuerPatternOf(provider: Provider): RegExp | undefined {
  if (ISSUER_PATTERNS.has(provider)) return ISSUER_PATTERNS.get(provider);
  const template = provider.login?.issuer?.replace(/\/+$/, '');
  let pattern: RegExp | undefined;
  if (template !== undefined) {
    const hostEnd = template.indexOf('/', template.indexOf('//') + 2);
    let source = '';
    let fixed = true;
    for (const [index, part] of template.split(/(\{[a-z]+\})/).entries()) {
      const slot = index % 2 === 1 ? provider.login?.slots?.find((s) => `{${s.name}}` === part) : undefined;
      const inHost = hostEnd === -1 || template.indexOf(part) < hostEnd;
      if (index % 2 === 0) source += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      else if (inHost && slot?.default === undefined) fixed = false;
      else source += inHost ? slot!.default!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : '[^/]+';
    }
    pattern = fixed ? new RegExp(`^${source}$`, 'i') : undefined;
  }
  ISSUER_PATTERNS.set(provider, pattern);
  return pattern;
}
