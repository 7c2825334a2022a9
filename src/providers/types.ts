/**
 * What `scopes` knows of one provider, as data and small pure functions of one type (after Auth.js's
 * `packages/core/src/providers/`, one file per provider and a generic core). A provider module declares only what it
 * knows; the registry (`index.ts`) reads them in a stated order, and `src/core/` never names a provider.
 */
import type { ResponseReader } from '../core/response.js';
import type { RuleSet } from '../core/scopes.js';

/** A well-known opaque-token prefix and what it means. */
export interface TokenPrefix {
  readonly prefix: string;
  readonly description: string;
  /** True when the provider ignores scopes for this kind of credential (an API key with full access). */
  readonly bypassesScopes?: boolean;
  /** Where the scopes (or what stands in for them) of such a token can be read, for a hint. */
  readonly scopesVia?: string;
}

/** A value the user supplies to fill a login template (`{tenant}`, `{domain}`). */
export interface TemplateSlot {
  readonly name: string;
  readonly description: string;
  /** Used when the user gives none; a slot without a default must be given. */
  readonly default?: string;
  /** What a value must look like (a host name, a tenant id); checked before it goes into a URL. */
  readonly pattern: RegExp;
}

/**
 * How to log in to the provider without looking anything up: an OIDC issuer (discovery does the rest), or the
 * endpoints of a provider that publishes no discovery document. `{slot}` placeholders are filled from `slots`.
 */
export interface LoginTemplate {
  /** OIDC issuer (discovered); absent for OAuth-only providers. */
  readonly issuer?: string;
  readonly authorizationEndpoint?: string;
  readonly tokenEndpoint?: string;
  readonly revocationEndpoint?: string;
  readonly deviceAuthorizationEndpoint?: string;
  readonly userinfoEndpoint?: string;
  readonly slots?: readonly TemplateSlot[];
  /** How the `scope` parameter joins scopes (RFC 6749 says a space; some providers document a comma). */
  readonly scopeSeparator: ' ' | ',';
  /** Extra authorization request parameters the provider wants (`access_type=offline`). */
  readonly authorizationParams?: Readonly<Record<string, string>>;
  /** Headers the token endpoint needs to answer as RFC 6749 says (JSON). */
  readonly tokenRequestHeaders?: Readonly<Record<string, string>>;
  /** Scopes worth asking for by default (to get a refresh token, an id_token). */
  readonly defaultScopes?: readonly string[];
  /** The `audience` parameter is required (an API identifier), not optional. */
  readonly needsAudience?: boolean;
  /** Quirks a person should know, one sentence each. */
  readonly quirks?: readonly string[];
}

export interface Provider {
  /** Lower-case id: what `--provider` and `preset` take. */
  readonly id: string;
  readonly name: string;
  /** Other names `--provider` / `preset` accept (`path-rights` for Laserfiche's scope shape). */
  readonly aliases?: readonly string[];
  /** Where the provider documents its scopes and errors. */
  readonly docs: readonly string[];
  /**
   * How it says a scope is missing, and how it says "refused, but not a scope problem": each reader returns a
   * `missing_scope` finding for the first and `forbidden` / `unauthorized` for the second, or null.
   */
  readonly readers?: readonly ResponseReader[];
  /** Implication rules, applied when the provider is named as a preset. */
  readonly rules?: RuleSet;
  /** Its scope lists may be comma-separated (token responses, headers). */
  readonly commaSeparatedScopes?: boolean;
  readonly tokenPrefixes?: readonly TokenPrefix[];
  /** False when the provider offers its clients no token introspection endpoint (RFC 7662). */
  readonly introspection?: false;
  readonly login?: LoginTemplate;
  /** Its published scopes: name → description, used to explain scopes. */
  readonly catalogue?: Readonly<Record<string, string>>;
}
