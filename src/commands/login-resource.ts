/**
 * `scopes login --resource URL` with no issuer: the discovery chain (io/discovery.ts), then a client for the server
 * it found — the profile's client id, a Client ID Metadata Document URL, a registration saved for that issuer, or a
 * new dynamic registration (RFC 7591) as a native public client — and the openid-client configuration the login uses.
 */
import type { Configuration } from 'openid-client';
import type { Profile } from '../core/profile.js';
import type { DiscoveryStep } from '../core/resource-discovery.js';
import { UsageError } from '../errors.js';
import { discoverFromResource, formatStep, type Discovery, type DiscoveryOutcome } from '../io/discovery.js';
import { saveProfileFields } from '../io/config.js';
import { checkTransport } from '../io/transport.js';
import type { CommandContext } from './context.js';

/** A client registered at one issuer; never used with another (MCP 2026-07-28: credentials are keyed by issuer). */
export interface Registration {
  readonly clientId: string;
  readonly registeredAt: string;
}

export interface ResourceLogin {
  readonly discovery: Discovery;
  readonly clientId: string;
  /** A new registration to save in the profile under the issuer. */
  readonly registered?: Registration | undefined;
  readonly config: Configuration;
  readonly steps: readonly DiscoveryStep[];
}

export interface ResourceLoginFlags {
  readonly resource: readonly string[];
  readonly issuer?: string | undefined;
  readonly clientId?: string | undefined;
  readonly scope: readonly string[];
  readonly redirectUri?: string | undefined;
  readonly explain: boolean;
  readonly allowNoPkceMetadata: boolean;
}

/**
 * Whether this login starts from the resource: `--resource` with no issuer in the flags or the profile (SPEC), or a
 * profile that was itself found from a resource (so a new `--resource` is followed again, never sent to the old
 * server), or `--issuer` without `--client-id` (the issuer then picks among the resource's servers), or `--explain`.
 */
export function startsFromResource(flags: ResourceLoginFlags, saved: Profile): boolean {
  if (flags.resource.length !== 1) return false;
  if (flags.explain) return true;
  if (saved.tokenEndpoint || saved.authorizationEndpoint) return false;
  if (saved.discoveredFrom !== undefined) return flags.issuer === undefined || flags.clientId === undefined;
  if (flags.issuer === undefined) return saved.issuer === undefined;
  return flags.clientId === undefined && saved.clientId === undefined;
}

/** Asks which authorization server on a terminal; undefined when nobody can be asked (then exit 2 lists them). */
function chooser(context: CommandContext): ((servers: readonly string[]) => Promise<string | undefined>) | undefined {
  const { deps } = context;
  if (!deps.io.stdinIsTTY || !deps.io.err.isTTY) return undefined;
  return async (servers) => {
    context.info('The resource names several authorization servers:');
    servers.forEach((server, index) => context.info(`  ${index + 1}. ${server}`));
    for (let attempt = 0; attempt < 3; attempt++) {
      deps.io.err.write(`Which one (1-${servers.length})? `);
      const line = (await deps.io.readLine())?.trim();
      if (line === undefined) return undefined;
      const number = Number(line);
      if (Number.isInteger(number) && number >= 1 && number <= servers.length) return servers[number - 1];
      if (servers.includes(line)) return line;
    }
    return undefined;
  };
}

/** Runs the chain for `discover` and `login --explain`: the outcome, printed nowhere. */
export async function runDiscovery(context: CommandContext, flags: Pick<ResourceLoginFlags, 'issuer' | 'scope' | 'allowNoPkceMetadata'> & { resource: string }): Promise<DiscoveryOutcome> {
  return await discoverFromResource(
    {
      resourceUrl: flags.resource,
      pickIssuer: flags.issuer,
      allowNoPkce: flags.allowNoPkceMetadata,
      scopeFlag: flags.scope.length ? flags.scope : undefined,
      choose: chooser(context),
    },
    { fetch: context.deps.fetch },
  );
}

export function renderSteps(steps: readonly DiscoveryStep[]): string {
  return steps.map(formatStep).join('\n');
}

/**
 * The discovery chain and a client for the server it found. With `explain`, the chain is printed on stderr (and on
 * stdout under --json? no: --json keeps stdout for the login's one document) before anything else happens.
 * @throws what the chain refused (exit 2, 3 or 4), or a UsageError when no client can be had.
 */
export async function prepareResourceLogin(context: CommandContext, flags: ResourceLoginFlags, saved: Profile): Promise<ResourceLogin> {
  const resource = flags.resource[0]!;
  const outcome = await runDiscovery(context, { resource, issuer: flags.issuer, scope: flags.scope, allowNoPkceMetadata: flags.allowNoPkceMetadata });
  const steps = [...outcome.steps];
  const explain = () => {
    if (flags.explain) context.info(`How scopes got from ${resource} to a login:\n${renderSteps(steps)}\n`);
  };
  if (!outcome.discovery) {
    explain();
    throw outcome.failure ?? new UsageError('The discovery stopped without a reason.');
  }
  const discovery = outcome.discovery;
  let client: { clientId: string; registered?: Registration };
  try {
    client = await chooseClient(context, flags, saved, discovery, steps);
  } catch (error) {
    explain();
    throw error;
  }
  explain();
  const config = await configurationFor(context, discovery, client.clientId);
  return { discovery, clientId: client.clientId, registered: client.registered, config, steps };
}

const registrationOf = (saved: Profile, issuer: string) => saved.registrations?.[issuer];

/** The issuer a client id was registered at, per the profile, when it was registered at all. */
function registeredAt(saved: Profile, clientId: string): string | undefined {
  return Object.entries(saved.registrations ?? {}).find(([, registration]) => registration.clientId === clientId)?.[0];
}

async function chooseClient(
  context: CommandContext,
  flags: ResourceLoginFlags,
  saved: Profile,
  discovery: Discovery,
  steps: DiscoveryStep[],
): Promise<{ clientId: string; registered?: Registration }> {
  const issuer = discovery.issuer;
  const cimdSupported = discovery.serverMetadata.client_id_metadata_document_supported === true;
  if (flags.clientId !== undefined) {
    if (/^https:\/\//i.test(flags.clientId)) {
      if (!cimdSupported) {
        throw new UsageError(
          `--client-id ${flags.clientId} is a Client ID Metadata Document URL, but ${issuer} does not advertise client_id_metadata_document_supported.`,
          { hint: `Leave out --client-id to register a client dynamically, or pass a client id registered at ${issuer}.` },
        );
      }
      checkTransport(flags.clientId, '--client-id');
      steps.push({ kind: 'decision', subject: 'client', value: flags.clientId, rule: 'a Client ID Metadata Document URL (--client-id), which the server supports (client_id_metadata_document_supported)' });
      return { clientId: flags.clientId };
    }
    steps.push({ kind: 'decision', subject: 'client', value: flags.clientId, rule: '--client-id given' });
    return { clientId: flags.clientId };
  }
  if (saved.clientId !== undefined) {
    const elsewhere = registeredAt(saved, saved.clientId);
    if (elsewhere === undefined || elsewhere === issuer) {
      steps.push({
        kind: 'decision',
        subject: 'client',
        value: saved.clientId,
        rule: elsewhere === issuer ? `the registration the profile saved for ${issuer}, reused` : "the profile's clientId",
      });
      return { clientId: saved.clientId };
    }
    steps.push({ kind: 'decision', subject: 'client', value: `not ${saved.clientId}`, rule: `the profile's client was registered at ${elsewhere}, and a registration is never used with another issuer (MCP)` });
  }
  const kept = registrationOf(saved, issuer);
  if (kept !== undefined) {
    steps.push({ kind: 'decision', subject: 'client', value: kept.clientId, rule: `the registration the profile saved for ${issuer}, reused` });
    return { clientId: kept.clientId };
  }
  if (typeof discovery.serverMetadata.registration_endpoint !== 'string') {
    steps.push({ kind: 'decision', subject: 'client', value: 'none', rule: 'no client id given, none saved for this issuer, and the server has no registration_endpoint' });
    throw new UsageError(`No client for ${issuer}: it offers no dynamic client registration (no registration_endpoint)${cimdSupported ? '' : ' nor Client ID Metadata Documents'}.`, {
      hint: cimdSupported
        ? `Pass your Client ID Metadata Document: scopes login --resource ${flags.resource[0]} --client-id https://…`
        : `Register a client at ${issuer} and pass it: scopes login --resource ${flags.resource[0]} --client-id ID`,
    });
  }
  const registered = await register(context, flags, discovery);
  steps.push({
    kind: 'decision',
    subject: 'client',
    value: registered.clientId,
    rule: `registered just now at ${String(discovery.serverMetadata.registration_endpoint)} (RFC 7591) as a native public client; saved in the profile for ${issuer} only`,
  });
  return { clientId: registered.clientId, registered };
}

/** Dynamic client registration through openid-client: a native public client with a loopback redirect (RFC 8252). */
async function register(context: CommandContext, flags: ResourceLoginFlags, discovery: Discovery): Promise<Registration> {
  const oauth = await import('../io/oauth.js');
  const { client } = oauth;
  const redirectUri = flags.redirectUri ?? context.resolved.profile.redirectUri ?? 'http://127.0.0.1/callback';
  const server = new URL(discovery.serverMetadataUrl);
  let config: Configuration;
  try {
    config = await client.dynamicClientRegistration(
      server,
      {
        client_name: 'scopes CLI',
        application_type: 'native',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
      client.None(),
      {
        execute: server.protocol === 'http:' ? [client.allowInsecureRequests] : [],
        timeout: 30,
        [client.customFetch]: context.deps.fetch as import('openid-client').CustomFetch,
      },
    );
  } catch (error) {
    throw oauth.translateOAuthError(error, 'the dynamic client registration');
  }
  const clientId = config.clientMetadata().client_id;
  const registration = { clientId, registeredAt: context.deps.now().toISOString() };
  // Saved now, not after the login: a login that stops later (a scope refused, the browser closed) must not leave a
  // registration at the server that the next attempt cannot find and duplicates.
  const saved = context.resolved.profile;
  await saveProfileFields(context.resolved.name, { registrations: { ...saved.registrations, [discovery.issuer]: registration } }, context.location);
  context.info(`Registered a client at ${discovery.issuer}: ${clientId} (saved in the profile for this issuer only).`);
  return registration;
}

/** The openid-client configuration from the metadata the chain read, so the login uses exactly that document. */
async function configurationFor(context: CommandContext, discovery: Discovery, clientId: string): Promise<Configuration> {
  const { client } = await import('../io/oauth.js');
  const metadata = discovery.serverMetadata as unknown as import('openid-client').ServerMetadata;
  for (const field of ['authorization_endpoint', 'token_endpoint', 'revocation_endpoint', 'registration_endpoint'] as const) {
    const value = (metadata as unknown as Record<string, unknown>)[field];
    if (typeof value === 'string') checkTransport(value, `The server's ${field}`);
  }
  const config = new client.Configuration(metadata, clientId, undefined, client.None());
  if (Object.values(metadata).some((value) => typeof value === 'string' && value.startsWith('http:'))) client.allowInsecureRequests(config);
  config[client.customFetch] = context.deps.fetch as import('openid-client').CustomFetch;
  config.timeout = 30;
  return config;
}
