/**
 * `scopes login`: authorization code + PKCE on a loopback redirect (RFC 6749 §4.1, RFC 7636, RFC 8252), with
 * `state`, `nonce` and `iss` (RFC 9207) checked; then the requested-vs-granted view.
 */
import type { Command } from 'commander';
import { scopesFromTokenResponse } from '../core/carriers.js';
import { grantReport, type GrantReport } from '../core/grant.js';
import type { Profile, StorageKind } from '../core/profile.js';
import { parseScopes, unionScopes } from '../core/scopes.js';
import { compileRules, describeScopes, providersFor } from '../providers/index.js';
import { descriptionsJson, renderDescriptions } from '../render/descriptions.js';
import { fillLoginTemplate, type FilledTemplate } from '../providers/login.js';
import type { Deps, GlobalOptions } from '../deps.js';
import { excerpt } from '../core/challenges.js';
import { describeExpiry } from '../core/time.js';
import { AuthError, CancelledError, ExitCode, MissingScopeError, UsageError } from '../errors.js';
import { saveProfileFields } from '../io/config.js';
import { startCallbackListener, type Callback, type CallbackListener, type CallbackPage } from '../io/loopback.js';
import { client, connect, translateOAuthError, type TokenResponse } from '../io/oauth.js';
import type { Configuration } from 'openid-client';
import { readSessionState, writeSessionState } from '../io/state.js';
import { grantJson, renderGrant } from '../render/grant.js';
import { shellWord } from '../render/probe.js';
import { styleFor } from '../render/style.js';
import { fitLine, widthOf } from '../render/table.js';
import { clientSecret, credentialKey, resolveStorage, withCredentialLock } from '../session.js';
import { commandContext, type CommandContext } from './context.js';
import { prepareResourceLogin, startsFromResource } from './login-resource.js';
import { checkScopesBeforeBrowser, warnUnlistedSaved, explainInvalidScope, keepOrWarnDropped, loginLine, resourceProfileFields, supportedScopes, withoutImplied } from './login-checks.js';
import { jsonText } from '../render/json.js';

export interface LoginOptions {
  readonly issuer?: string | undefined;
  readonly clientId?: string | undefined;
  readonly scope: readonly string[];
  readonly addScope: readonly string[];
  readonly resource: readonly string[];
  readonly audience?: string | undefined;
  readonly params: Readonly<Record<string, string>>;
  readonly redirectUri?: string | undefined;
  readonly browser: boolean;
  readonly manual: boolean;
  readonly device: boolean;
  readonly timeoutSeconds: number;
  readonly storage?: StorageKind | undefined;
  readonly strict: boolean;
  /** Print the discovery chain from `--resource` before logging in. */
  readonly explain?: boolean;
  /** Ask for scopes the server's scopes_supported does not list. */
  readonly force?: boolean;
  /** Go on when the discovered metadata does not list S256. */
  readonly allowNoPkceMetadata?: boolean;
  /** Keep openid / offline_access that the last login had. */
  readonly keepOidc?: boolean;
  /** `--provider`: fill in the provider's login template (endpoints, parameters, preset). */
  readonly provider?: string | undefined;
  /** `--tenant` / `--domain`: the template's slots. */
  readonly tenant?: string | undefined;
  readonly domain?: string | undefined;
}

/** Parameters the flow itself sets; a `--param` may not override them, or PKCE and state would be meaningless. */
const RESERVED = new Set(['client_id', 'redirect_uri', 'response_type', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'scope']);

export function parseParams(values: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const value of values) {
    const equals = value.indexOf('=');
    if (equals <= 0) throw new UsageError(`--param expects KEY=VALUE, got "${value}".`);
    const key = value.slice(0, equals);
    if (RESERVED.has(key)) throw new UsageError(`--param cannot set ${key}: scopes sets it itself${key === 'scope' ? ' (use --scope)' : ''}.`);
    params[key] = value.slice(equals + 1);
  }
  return params;
}

/** The profile as this login sees it: the saved profile with the flags on top. */
function effectiveProfile(saved: Profile, options: LoginOptions, requested: readonly string[]): Profile {
  const explicitServer = options.issuer !== undefined && options.issuer !== saved.issuer;
  return {
    // A new --issuer replaces explicit endpoints of an older profile, which belong to the old server.
    ...(explicitServer ? { ...saved, authorizationEndpoint: undefined, tokenEndpoint: undefined, revocationEndpoint: undefined, introspectionEndpoint: undefined, userinfoEndpoint: undefined, jwksUri: undefined, deviceAuthorizationEndpoint: undefined } : saved),
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.clientId ? { clientId: options.clientId } : {}),
    ...(options.resource.length ? { resource: options.resource } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
    ...(options.redirectUri ? { redirectUri: options.redirectUri } : {}),
    ...(Object.keys(options.params).length ? { authorizationParams: { ...saved.authorizationParams, ...options.params } } : {}),
    scopes: requested,
  };
}

/** The --timeout default of the commander layer: not repeated in a retry line. */
const DEFAULT_TIMEOUT_SECONDS = 300;

/**
 * This login's command line, to repeat in a hint after a failure: a failed login saves nothing, so on a first login
 * `scopes login` alone would only say "No issuer". Every flag given is repeated, shell-quoted.
 */
export function loginCommandLine(profileName: string, options: LoginOptions, globals: Pick<GlobalOptions, 'config'> = {}): string {
  const words = ['scopes', 'login'];
  const flag = (name: string, value: string | undefined) => {
    if (value !== undefined) words.push(name, shellWord(value));
  };
  if (profileName !== 'default') flag('--profile', profileName);
  flag('--config', globals.config);
  flag('--issuer', options.issuer);
  flag('--client-id', options.clientId);
  for (const value of options.scope) flag('--scope', value);
  for (const value of options.addScope) flag('--add-scope', value);
  for (const value of options.resource) flag('--resource', value);
  flag('--audience', options.audience);
  for (const [key, value] of Object.entries(options.params)) flag('--param', `${key}=${value}`);
  flag('--redirect-uri', options.redirectUri);
  if (options.device) words.push('--device');
  if (options.manual) words.push('--manual');
  if (!options.browser) words.push('--no-browser');
  if (options.timeoutSeconds !== DEFAULT_TIMEOUT_SECONDS) flag('--timeout', String(options.timeoutSeconds));
  flag('--storage', options.storage);
  if (options.strict) words.push('--strict');
  if (options.force) words.push('--force');
  if (options.keepOidc) words.push('--keep-oidc');
  if (options.allowNoPkceMetadata) words.push('--allow-no-pkce-metadata');
  return words.join(' ');
}

const OFFLINE_HINT =
  'No refresh token came back although offline_access was asked. Usually the client is not allowed the ' +
  'refresh_token grant, or the server only issues one with prompt=consent, or it ignores offline_access ' +
  '(some servers use their own parameter, e.g. Google access_type=offline: try --param access_type=offline).';

/** `--provider`: the template filled in, or undefined; refuses flags that would fight it. */
function providerTemplate(options: LoginOptions, saved: Profile): FilledTemplate | undefined {
  if (options.provider === undefined) {
    if (options.tenant !== undefined || options.domain !== undefined) throw new UsageError('--tenant and --domain fill in a --provider template: add --provider NAME.');
    return undefined;
  }
  if (options.issuer !== undefined) throw new UsageError('--provider and --issuer both say where to log in: choose one.');
  const filled = fillLoginTemplate(options.provider, { tenant: options.tenant, domain: options.domain, audience: options.audience ?? saved.audience });
  // A profile keeps one server: the template's endpoints over another server's issuer would mix two providers.
  const server = (profile: Pick<Profile, 'issuer' | 'tokenEndpoint'>) => profile.issuer ?? profile.tokenEndpoint;
  if (server(saved) !== undefined && server(saved) !== server(filled.profile)) {
    throw new UsageError(`This profile already logs in at ${server(saved)}; --provider ${filled.provider.id} would log in at ${server(filled.profile)}.`, {
      hint: `Use another profile: scopes login --profile ${filled.provider.id} --provider ${filled.provider.id} …`,
    });
  }
  return filled;
}

export async function runLogin(deps: Deps, globals: GlobalOptions, given: LoginOptions): Promise<number> {
  let options = given;
  if (options.device && options.manual) throw new UsageError('--device and --manual are two ways to log in without a local browser: choose one.');
  if (options.manual && !options.browser) throw new UsageError('--manual and --no-browser do not go together: --manual already prints the URL and opens nothing.');
  const context = await commandContext(deps, globals);
  const template = providerTemplate(options, context.resolved.profile);
  const saved = template === undefined ? context.resolved.profile : { ...context.resolved.profile, ...template.profile };
  if (template !== undefined) {
    options = {
      ...options,
      params: { ...template.profile.authorizationParams, ...options.params },
      scope: options.scope.length > 0 || (context.resolved.profile.scopes?.length ?? 0) > 0 ? options.scope : template.defaultScopes.length > 0 ? [template.defaultScopes.join(' ')] : [],
    };
    for (const quirk of template.quirks) context.trace(`${template.provider.name}: ${quirk}`);
  }
  const previous = await readSessionState(context.stateDirectory, context.resolved.name);

  // From a resource URL (RFC 9728, MCP): the chain decides issuer, client, resource and scopes.
  const resourceFlags = { ...options, explain: Boolean(options.explain), allowNoPkceMetadata: Boolean(options.allowNoPkceMetadata) };
  if (options.explain && options.resource.length !== 1) context.warn('--explain shows how a login from one --resource URL is found; without exactly one --resource there is nothing to explain.');
  const fromResource = startsFromResource(resourceFlags, saved) ? await prepareResourceLogin(context, resourceFlags, saved) : undefined;
  if (fromResource) {
    options = {
      ...options,
      issuer: fromResource.discovery.issuer,
      clientId: fromResource.clientId,
      resource: [fromResource.discovery.resource],
      scope: options.scope.length ? options.scope : fromResource.discovery.scopes.scopes.length ? [fromResource.discovery.scopes.scopes.join(' ')] : [],
    };
  }

  let requested = parseScopes(options.scope.length ? options.scope : (saved.scopes ?? []));
  if (options.addScope.length) {
    // Incremental consent: what the profile holds now plus the new scopes (MCP 2026-07-28 step-up rule).
    const holds = previous?.granted ?? saved.scopes ?? [];
    requested = withoutImplied(unionScopes(unionScopes(holds, requested), parseScopes(options.addScope)), compileRules(saved));
  }
  requested = keepOrWarnDropped(context, previous?.requested ?? [], requested, Boolean(options.keepOidc));
  const profile = effectiveProfile(saved, options, requested);
  if (profile.clientCredentials) {
    throw new UsageError(`Profile "${context.resolved.name}" uses the client-credentials grant: it has no login. Use \`scopes token\`.`);
  }
  if (!profile.issuer && !profile.authorizationEndpoint) {
    throw new UsageError('No issuer: pass `--issuer URL` (and `--client-id ID`) or configure the profile.', {
      hint: 'Example: scopes login --issuer https://auth.example.com --client-id abc --scope "openid offline_access"',
    });
  }
  if (!profile.clientId) throw new UsageError('No client id: pass `--client-id ID` or set `clientId` in the profile.');

  const storageKind = resolveStorage(options.storage, deps, profile);
  const store = deps.store(storageKind);
  // Fail on an unreachable keychain now, not after the user has clicked through the consent screen.
  await (store as { probe?: () => Promise<void> }).probe?.();

  const config = fromResource?.config ?? (await connect(profile, { fetch: deps.fetch, clientSecret: clientSecret(profile, deps) }));
  const supported = supportedScopes(config.serverMetadata().scopes_supported, fromResource?.discovery.resourceMetadata.scopesSupported);
  const line = (scopes: readonly string[]) => loginLine(context.resolved.name, given, saved, scopes);
  // What a person typed now is checked strictly; scopes a resource's challenge named are authoritative (MCP: they may
  // be a superset of scopes_supported); the profile's saved scopes, which a server accepted before, only warn.
  const exempt = fromResource && given.scope.length === 0 ? fromResource.discovery.scopes.scopes : [];
  const typed = parseScopes([...given.scope, ...given.addScope]).filter((scope) => !exempt.includes(scope));
  checkScopesBeforeBrowser(context, requested.filter((scope) => typed.includes(scope)), supported, Boolean(options.force), line);
  warnUnlistedSaved(context, requested.filter((scope) => !typed.includes(scope) && !exempt.includes(scope)), supported);
  const retry = loginCommandLine(context.resolved.name, given, globals);
  const interrupt = watchInterrupt(deps);
  const flow = { context, config, profile, requested, options, retry, interrupt };
  let started: FlowResult;
  try {
    started = options.device ? await deviceFlow(flow) : await codeFlow(flow);
  } catch (error) {
    throw explainInvalidScope(error, requested, supported, line);
  } finally {
    interrupt.stop();
  }
  const { tokens, respond } = started;
  try {
    const response = scopesFromTokenResponse(tokens, requested);
    const idTokenClaims = tokens.id_token ? (tokens.claims() as Record<string, unknown> | undefined) ?? null : null;
    const report = grantReport({
      requested,
      granted: response.granted,
      rules: compileRules(profile),
      assumed: response.assumed,
      source: 'token-response',
      idTokenClaims,
      hasRefreshToken: Boolean(tokens.refresh_token),
    });
    const expiresIn = tokens.expiresIn();
    const now = Math.floor(deps.now().getTime() / 1000);
    const expiresAt = expiresIn === undefined ? undefined : now + expiresIn;

    const key = credentialKey(context.resolved.name, profile)!;
    // Under the credential's lock, so a refresh in flight finishes first and cannot overwrite the new grant after;
    // a refresh waiting for the lock re-reads the store and finds these tokens.
    await withCredentialLock(deps, key, async (_lock, outcome) => {
      await outcome.clear();
      await store.write(key, {
        refreshToken: tokens.refresh_token,
        accessToken: tokens.access_token,
        idToken: tokens.id_token,
        expiresAt,
        tokenType: tokens.token_type,
        scope: response.granted,
      });
      await writeSessionState(context.stateDirectory, {
        profile: context.resolved.name,
        issuer: key.issuer,
        clientId: key.clientId,
        storage: storageKind,
        requested,
        granted: response.granted,
        grantedAssumed: response.assumed,
        evidenced: report.evidenced,
        expiresAt,
        refreshToken: Boolean(tokens.refresh_token),
        idToken: Boolean(tokens.id_token),
        lastLogin: deps.now().toISOString(),
        resource: profile.resource,
      });
    });
    const savedTo = await saveProfileFields(
      context.resolved.name,
      {
        issuer: profile.issuer,
        clientId: profile.clientId,
        scopes: requested,
        resource: options.resource.length ? options.resource : undefined,
        audience: options.audience,
        redirectUri: options.redirectUri,
        authorizationParams: Object.keys(options.params).length ? profile.authorizationParams : undefined,
        storage: options.storage ?? (storageKind !== (saved.storage ?? 'keychain') ? storageKind : undefined),
        ...(fromResource ? resourceProfileFields(fromResource, saved, options.resource[0]!) : {}),
        ...(template === undefined ? {} : { ...template.profile, authorizationParams: profile.authorizationParams }),
      },
      context.location,
    );
    context.trace(`Saved the profile to ${savedTo}.`);

    respond(successPage(context.resolved.name, profile.issuer ?? profile.tokenEndpoint ?? '', report));

    const refreshHint = requested.includes('offline_access') && !tokens.refresh_token ? OFFLINE_HINT : undefined;
    const account = accountOf(idTokenClaims);
    // What the scopes mean, where the provider publishes it: the same explanation `scopes diff` gives.
    const described = describeScopes([...report.requested, ...report.granted], providersFor({ token: tokens.access_token, issuers: [profile.issuer], preset: profile.preset }));
    printResult(context, report, { described, profile, storage: store.description, storageKind, expiresAt, refreshToken: Boolean(tokens.refresh_token), refreshHint, account });
    if (options.strict && report.notGranted.length > 0) {
      throw new MissingScopeError(`Not granted: ${report.notGranted.join(' ')} (--strict).`);
    }
    return ExitCode.ok;
  } finally {
    respond({ ok: false, title: 'Login failed', lines: ['See the terminal for what went wrong.'] });
  }
}

/**
 * The browser's last page: which profile and issuer, what was granted (as the terminal counts it: granted, implied,
 * evidenced) and what was refused, in amber with the command that asks again when the server gave fewer scopes.
 */
export function successPage(profileName: string, issuer: string, report: GrantReport): CallbackPage {
  const granted = [...report.asRequested, ...Object.keys(report.impliedBy), ...Object.keys(report.evidenced), ...report.extra];
  const refused = report.notGranted;
  const profileFlag = profileName === 'default' ? '' : ` --profile ${profileName}`;
  return {
    ok: true,
    tone: refused.length ? 'partial' : 'ok',
    title: refused.length ? `Logged in, but ${refused.length === 1 ? '1 scope was' : `${refused.length} scopes were`} not granted` : 'Logged in',
    facts: [
      ['Profile', profileName],
      ['Issuer', issuer],
    ],
    scopes: { granted, refused },
    lines: [
      ...(refused.length ? [`To ask for them again: scopes login${profileFlag} --add-scope "${refused.join(' ')}"`] : []),
      'You may close this window and return to the terminal.',
    ],
  };
}

interface FlowInput {
  readonly context: CommandContext;
  readonly config: Configuration;
  readonly profile: Profile;
  readonly requested: readonly string[];
  readonly options: LoginOptions;
  /** This login's command line, for the hints of a failure. */
  readonly retry: string;
  readonly interrupt: InterruptWatch;
}

interface FlowResult {
  readonly tokens: TokenResponse;
  /** Answers the browser that delivered the callback (the first call wins); a no-op for flows without one. */
  readonly respond: (page: CallbackPage) => void;
}

/** The request parameters both flows share: scopes, resource indicators, audience, extra parameters. */
function requestParameters(profile: Profile, requested: readonly string[]): URLSearchParams {
  const parameters = new URLSearchParams();
  if (requested.length) parameters.set('scope', requested.join(' '));
  for (const resource of profile.resource ?? []) parameters.append('resource', resource);
  if (profile.audience) parameters.set('audience', profile.audience);
  for (const [key, value] of Object.entries(profile.authorizationParams ?? {})) parameters.set(key, value);
  // OpenID Connect ignores offline_access without a consent prompt (Core §11).
  if (requested.includes('offline_access') && !parameters.has('prompt')) parameters.set('prompt', 'consent');
  return parameters;
}

/** Authorization code + PKCE on the loopback listener (RFC 6749 §4.1, RFC 7636, RFC 8252). */
async function codeFlow({ context, config, profile, requested, options, retry, interrupt }: FlowInput): Promise<FlowResult> {
  const metadata = config.serverMetadata();
  if (!metadata.authorization_endpoint) throw new UsageError('The server has no authorization endpoint: set `authorizationEndpoint` in the profile.');
  const methods = metadata.code_challenge_methods_supported;
  if (Array.isArray(methods) && !methods.includes('S256')) {
    context.warn('The server does not list PKCE S256 among its code_challenge_methods_supported; sending it anyway.');
  }
  const verifier = client.randomPKCECodeVerifier();
  const challenge = await client.calculatePKCECodeChallenge(verifier);
  const state = client.randomState();
  const nonce = requested.includes('openid') ? client.randomNonce() : undefined;

  const strays = strayCounter(context);
  const listener = await startCallbackListener({ redirectUri: profile.redirectUri, expectedState: state, onStray: strays.note });
  try {
    const parameters = requestParameters(profile, requested);
    parameters.set('redirect_uri', listener.redirectUri);
    parameters.set('response_type', 'code');
    parameters.set('code_challenge', challenge);
    parameters.set('code_challenge_method', 'S256');
    parameters.set('state', state);
    if (nonce) parameters.set('nonce', nonce);
    const url = client.buildAuthorizationUrl(config, parameters);

    const callbacks = await waitForCallbacks(context, listener, url.href, options, state, retry, interrupt);
    try {
      for (;;) {
        const callback = await callbacks.next();
        try {
          const tokens = await client.authorizationCodeGrant(
            config,
            callback.url,
            { pkceCodeVerifier: verifier, expectedState: state, ...(nonce ? { expectedNonce: nonce } : {}) },
            tokenParameters(profile),
          );
          // The listener stays open until the page is sent; closing it is the caller's last step through respond.
          return {
            tokens,
            respond: (page) => {
              callback.respond(page);
              strays.summarize();
              void listener.close();
            },
          };
        } catch (error) {
          const failure = explainFailure(translateOAuthError(error, 'the login'), requested, retry);
          if (isUnredeemableCode(error)) {
            // The state is no secret from a local process (it is on $BROWSER's command line): a forged callback with it
            // and a made-up code must not end the login. Its sender gets an error page; the real browser may still come.
            callback.respond({ ok: false, title: 'This response could not be used', lines: [failure.message, 'If you started this login, finish it in the browser window that scopes opened.'] });
            context.warn(`A callback with this login's state carried a code the server refused (${failure.message.replace(/\.$/, '')}); still waiting for the real one.`);
            continue;
          }
          callback.respond({ ok: false, title: 'Login failed', lines: [failure.message, 'You may close this window and return to the terminal.'] });
          throw failure;
        }
      }
    } finally {
      callbacks.stop();
    }
  } catch (error) {
    strays.summarize();
    await listener.close();
    throw error;
  }
}

/**
 * Whether the token endpoint refused the code itself (4xx: invalid_grant, or a bare 400): the mark of a forged or
 * replayed callback. An error the authorization response carried (access_denied), a failed state or iss check and a
 * server failure still end the login.
 */
function isUnredeemableCode(error: unknown): boolean {
  if (error instanceof client.ResponseBodyError) return error.status >= 400 && error.status < 500;
  const response = (error as { cause?: unknown }).cause;
  const code = (error as { code?: string }).code;
  return response instanceof Response && response.status === 400 && (code === 'OAUTH_RESPONSE_IS_NOT_JSON' || code === 'OAUTH_RESPONSE_IS_NOT_CONFORM');
}

/**
 * Stray requests to the listener, counted by reason: the first of each reason is a warning, the rest only add to a
 * summary line at the end, so a flood of forged requests cannot flood stderr.
 */
function strayCounter(context: CommandContext): { note: (reason: string) => void; summarize: () => void } {
  const counts = new Map<string, number>();
  let summarized = false;
  return {
    note: (reason) => {
      const seen = counts.get(reason) ?? 0;
      // Reasons are the listener's fixed phrases, so this map stays a handful of entries.
      counts.set(reason, seen + 1);
      if (seen === 0) context.warn(`Ignored ${reason}; still waiting for the real one.`);
    },
    summarize: () => {
      if (summarized) return;
      summarized = true;
      const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
      if (total > counts.size) {
        const parts = [...counts].map(([reason, count]) => `${count} × ${reason}`);
        context.warn(`Ignored ${total} stray requests to the redirect listener in all: ${parts.join('; ')}.`);
      }
    },
  };
}

/** The device authorization grant (RFC 8628): a code to enter on another device; openid-client polls. */
async function deviceFlow({ context, config, profile, requested, options, retry, interrupt }: FlowInput): Promise<FlowResult> {
  const { deps } = context;
  if (!config.serverMetadata().device_authorization_endpoint) {
    throw new UsageError('The server offers no device authorization endpoint (RFC 8628): log in without --device, or with --manual.');
  }
  let device: Awaited<ReturnType<typeof client.initiateDeviceAuthorization>>;
  try {
    device = await client.initiateDeviceAuthorization(config, requestParameters(profile, requested));
  } catch (error) {
    throw explainFailure(translateOAuthError(error, 'the device authorization request'), requested, retry);
  }
  const err = styleFor(deps.io.err);
  // Google historically sent verification_url (RFC 8628 names it verification_uri).
  const verificationUri = device.verification_uri ?? (device as { verification_url?: string }).verification_url;
  context.info(`To log in, open ${err.bold(String(verificationUri))} on any device and enter the code\n\n    ${err.bold(device.user_code)}\n`);
  if (device.verification_uri_complete) context.info(err.dim(`Or open ${device.verification_uri_complete} (the code is filled in).`));
  if (options.browser && device.verification_uri_complete) {
    const opened = await deps.openBrowser(device.verification_uri_complete);
    if (opened.opened) context.info(err.dim(`Opened it with ${opened.detail}.`));
  }
  const expiresIn = typeof device.expires_in === 'number' ? device.expires_in : options.timeoutSeconds;
  const seconds = Math.min(options.timeoutSeconds, expiresIn);
  context.info(err.dim(`Waiting for the code to be entered (${seconds} s; polling every ${device.interval ?? 5} s, slower if the server asks)…`));
  const stopTicker = elapsedTicker(context, seconds, 'waiting for the code to be entered');
  // Ctrl-C must stop the polling too, or its timers would keep the process alive after "cancelled".
  const cancel = new AbortController();
  try {
    const polling = client.pollDeviceAuthorizationGrant(config, device, tokenParameters(profile), {
      signal: AbortSignal.any([AbortSignal.timeout(seconds * 1000), cancel.signal]),
    });
    const tokens = await interrupt.until(polling, () => cancel.abort());
    return { tokens, respond: () => undefined };
  } catch (error) {
    // openid-client wraps the abort of its polling signal in a ClientError whose cause is the DOMException.
    const names = [(error as Error)?.name, ((error as Error)?.cause as Error | undefined)?.name];
    if (error instanceof CancelledError) throw error;
    if (names.includes('TimeoutError') || names.includes('AbortError')) {
      throw new AuthError('timeout', `Nobody entered the code within ${seconds} s.`, { hint: `Run it again (raise --timeout if you need longer):\n  ${retry}` });
    }
    const failure = explainFailure(translateOAuthError(error, 'the device login'), requested, retry);
    if (failure instanceof AuthError && failure.code === 'expired_token') {
      throw new AuthError('expired_token', 'The device code expired before it was entered.', { hint: `Run it again:\n  ${retry}`, cause: error });
    }
    throw failure;
  } finally {
    stopTicker();
  }
}

function tokenParameters(profile: Profile): URLSearchParams {
  const parameters = new URLSearchParams();
  // RFC 8707 and MCP: the resource goes on the token request too.
  for (const resource of profile.resource ?? []) parameters.append('resource', resource);
  return parameters;
}

/** Turns the provider's error into a message a user can act on. */
function explainFailure(error: AuthError | Error, requested: readonly string[], retry: string): Error {
  if (!(error instanceof AuthError)) return error;
  switch (error.code) {
    case 'access_denied':
      return new AuthError('access_denied', `The login was declined (access_denied)${describe(error)}.`, { hint: `To try again, and allow access:\n  ${retry}`, cause: error });
    case 'invalid_client':
    case 'unauthorized_client':
      return new AuthError(error.code, `The server does not accept this client (${error.code})${describe(error)}.`, {
        hint: `Check the client id (and, for a confidential client, its secret) against the registration at the provider, then:\n  ${retry}`,
        cause: error,
      });
    case 'invalid_scope':
      return new AuthError('invalid_scope', `The server rejected the requested scopes (invalid_scope)${describe(error)}.\nAsked for: ${requested.join(' ') || '(none)'}`, {
        hint: 'A scope may be misspelt, unknown to this server, or not allowed for this client: check its registration, or ask for fewer scopes.',
        cause: error,
      });
    default:
      return error;
  }
}

const describe = (error: AuthError): string => {
  const description = (error.cause as { error_description?: string } | undefined)?.error_description;
  return description ? `: ${description}` : '';
};

interface CallbackStream {
  /** The next callback with this login's state (from the listener, or pasted with --manual), within the timeout. */
  next(): Promise<Callback>;
  stop(): void;
}

/**
 * Shows the URL (and opens it), then hands out callbacks until the one deadline of --timeout: a login that refuses a
 * forged callback keeps waiting for the rest of the same time, not for a new one.
 */
async function waitForCallbacks(
  context: CommandContext,
  listener: CallbackListener,
  url: string,
  options: LoginOptions,
  state: string,
  retry: string,
  interrupt: InterruptWatch,
): Promise<CallbackStream> {
  const { deps } = context;
  const err = styleFor(deps.io.err);
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  context.info(`Open this URL in a browser to log in:\n\n  ${url}\n`);
  const seconds = options.timeoutSeconds;
  let stopTicker = () => undefined as void;
  let browserFailed: string | undefined;
  const clearTickerLine = () => {
    if (deps.io.err.isTTY) deps.io.err.write('\r\u001b[K');
  };
  if (!options.manual) {
    if (options.browser) {
      const opened = await deps.openBrowser(url);
      if (opened.opened) context.info(err.dim(`Opened it with ${opened.detail}.`));
      else context.info(`${err.warn('No browser was opened:')} ${opened.detail}. Open the URL yourself; on a machine without a browser, \`scopes login --manual\` (paste the redirected URL back) or --device may suit better.`);
      // A $BROWSER that fails (a typo, a browser that is not installed) exits non-zero at once: say so while there is
      // still time to open the URL by hand, instead of leaving the user to wait for the timeout.
      void opened.exited?.then(({ code, signal }) => {
        if (code === 0 || (code === null && signal === null)) return;
        browserFailed = code === null ? `$BROWSER was ended by ${signal}` : `$BROWSER exited with status ${code}`;
        clearTickerLine();
        context.warn(`${browserFailed}: the login page may not have opened. Open the URL above yourself.`);
      });
    }
    context.info(err.dim(`Waiting for the browser to come back to ${listener.redirectUri} (timeout ${seconds} s, Ctrl-C to cancel)…`));
    stopTicker = elapsedTicker(context, seconds, 'waiting for the browser');
  }
  const timedOut = (): AuthError =>
    options.manual
      ? new AuthError('timeout', `Nobody finished the login within ${seconds} s: no redirected URL was pasted.`, { hint: `To try again (raise --timeout if you need longer):\n  ${retry}` })
      : new AuthError('timeout', `Nobody finished the login within ${seconds} s: nothing came back to ${listener.redirectUri}.`, {
          hint: [
            'Likely causes:',
            ...(browserFailed ? [`  - ${browserFailed}, so the login page probably never opened;`] : []),
            '  - the browser shows an error page from the server: a wrong client id, or a redirect URI the client does not',
            `    allow (this login used ${listener.redirectUri}; register http://127.0.0.1/callback with any port, or pass --redirect-uri);`,
            '  - the login was left unfinished in the browser.',
            `To try again (raise --timeout if you need longer):\n  ${retry}`,
          ].join('\n'),
        });
  // One outstanding read per source: a second listener.next() or readLine() would swallow what the first awaits.
  let fromListener: Promise<Callback> | undefined;
  let fromPaste: Promise<Callback> | undefined;
  return {
    next: async () => {
      fromListener ??= listener.next();
      if (options.manual) fromPaste ??= pastedCallback(context, listener, state);
      const listened = fromListener.then((callback) => ({ callback, source: 'listener' as const }));
      const pasted = fromPaste?.then((callback) => ({ callback, source: 'paste' as const }));
      const remaining = Math.max(0, (deadline - Date.now()) / 1000);
      // Interrupted inside the race, so that Ctrl-C settles it and its timer is cleared (or the process would linger).
      const won = await raceWithTimeout(interrupt.until(Promise.race(pasted ? [listened, pasted] : [listened])), remaining, timedOut);
      if (won.source === 'listener') fromListener = undefined;
      else fromPaste = undefined;
      return won.callback;
    },
    stop: stopTicker,
  };
}

/**
 * Ctrl-C for the whole interactive part of a login. Installed before anything is printed, so that a Ctrl-C pressed as
 * soon as "Waiting…" shows is ours and not the default kill; a wait started after a Ctrl-C ends at once.
 */
export interface InterruptWatch {
  /** Rejects with CancelledError on Ctrl-C while `promise` is pending; `onCancel` stops the work behind it. */
  until<T>(promise: Promise<T>, onCancel?: () => void): Promise<T>;
  stop(): void;
}

const cancelled = () => new CancelledError('Login cancelled (Ctrl-C); nothing was saved.');

export function watchInterrupt(deps: Deps): InterruptWatch {
  let interrupted = false;
  const waiting = new Set<() => void>();
  const stop = deps.onInterrupt?.(() => {
    interrupted = true;
    for (const cancel of [...waiting]) cancel();
  });
  return {
    until: async (promise, onCancel) => {
      if (interrupted) {
        onCancel?.();
        throw cancelled();
      }
      let cancel: () => void = () => undefined;
      const interruption = new Promise<never>((_, reject) => {
        cancel = () => {
          onCancel?.();
          reject(cancelled());
        };
      });
      waiting.add(cancel);
      try {
        return await Promise.race([promise, interruption]);
      } finally {
        waiting.delete(cancel);
      }
    },
    stop: () => stop?.(),
  };
}

/** On a terminal, a line that counts the seconds waited, so a stalled login does not look like a hung one. */
function elapsedTicker(context: CommandContext, timeoutSeconds: number, label: string): () => void {
  const err = context.deps.io.err;
  if (!err.isTTY) return () => undefined;
  const started = Date.now();
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let frame = 0;
  const timer = setInterval(() => {
    const waited = Math.floor((Date.now() - started) / 1000);
    err.write(`\r${fitLine(`${frames[frame++ % frames.length]} ${label}: ${waited} s of ${timeoutSeconds} s`, widthOf(err))}`);
  }, 250);
  timer.unref();
  return () => {
    clearInterval(timer);
    err.write('\r\u001b[K');
  };
}

async function raceWithTimeout<T>(promise: Promise<T>, seconds: number, timedOut: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), seconds * 1000);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `--manual`: the user pastes the URL the browser was sent to; it must carry this login's state, like any callback. */
async function pastedCallback(context: CommandContext, listener: CallbackListener, state: string): Promise<Callback> {
  const { deps } = context;
  for (;;) {
    context.info('After logging in, paste the full URL your browser was redirected to (it starts with ' + listener.redirectUri + '):');
    const line = await deps.io.readLine();
    if (line === undefined) throw new AuthError('no_input', 'Standard input closed before a redirected URL was pasted.');
    let pasted: URL;
    try {
      pasted = new URL(line.trim());
    } catch {
      context.warn('That is not a URL; paste the whole address from the browser.');
      continue;
    }
    const expected = new URL(listener.redirectUri);
    if (pasted.origin !== expected.origin || pasted.pathname !== expected.pathname) {
      context.warn(`That URL does not go to ${listener.redirectUri}; paste the address the login redirected to.`);
      continue;
    }
    const states = pasted.searchParams.getAll('state');
    if (states.length !== 1 || states[0] !== state) {
      context.warn(
        states.length === 0
          ? 'That URL carries no state, so it cannot be told apart from a forged one; paste the whole address this login redirected to.'
          : "That URL's state does not match this login (a URL from an older login?); paste the address this login redirected to.",
      );
      continue;
    }
    return { url: pasted, respond: () => undefined };
  }
}

/** Who logged in, from the id token's claims (the server's word, so shortened and with control characters shown). */
export interface Account {
  readonly sub: string;
  readonly email?: string;
  readonly preferredUsername?: string;
}

export function accountOf(claims: Record<string, unknown> | null): Account | undefined {
  if (claims === null || typeof claims.sub !== 'string') return undefined;
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? excerpt(value, 120) : undefined);
  const email = text(claims.email);
  const preferredUsername = text(claims.preferred_username);
  return { sub: excerpt(claims.sub, 120), ...(email ? { email } : {}), ...(preferredUsername ? { preferredUsername } : {}) };
}

/** "alice <alice@example.com> (sub 248289761001)": the names a person knows first, the stable subject last. */
export function describeAccount(account: Account): string {
  const names = [account.preferredUsername, account.email && account.email !== account.preferredUsername ? `<${account.email}>` : undefined].filter(Boolean);
  return names.length ? `${names.join(' ')} (sub ${account.sub})` : `sub ${account.sub}`;
}

function printResult(
  context: CommandContext,
  report: GrantReport,
  info: {
    /** Descriptions of the requested and granted scopes from the provider's catalogue. */
    described: Readonly<Record<string, string>>;
    profile: Profile;
    storage: string;
    storageKind: StorageKind;
    expiresAt: number | undefined;
    refreshToken: boolean;
    refreshHint: string | undefined;
    account: Account | undefined;
  },
): void {
  const { deps, globals } = context;
  if (info.refreshHint) context.warn(info.refreshHint);
  if (globals.json) {
    const { requested, granted, notGranted, extra } = grantJson(report);
    deps.io.out.write(
      jsonText(deps.io.out, {
        profile: context.resolved.name,
        issuer: info.profile.issuer ?? info.profile.tokenEndpoint,
        requested,
        granted,
        notGranted,
        extra,
        impliedBy: report.impliedBy,
        assumed: report.assumed,
        expiresAt: info.expiresAt === undefined ? null : new Date(info.expiresAt * 1000).toISOString(),
        refreshToken: info.refreshToken,
        storage: info.storageKind,
        account: info.account ?? null,
        ...descriptionsJson(info.described),
      }),
    );
    return;
  }
  const out = styleFor(deps.io.out);
  const lines = [
    `${out.ok('Logged in')} to ${info.profile.issuer ?? info.profile.tokenEndpoint} as profile ${out.bold(context.resolved.name)}.`,
    ...(info.account ? [`Signed in as ${out.bold(describeAccount(info.account))}.`] : []),
    '',
    // The table, then what each scope not granted would have granted (as `scopes diff` explains it).
    renderGrant(report, out, widthOf(deps.io.out)) + renderDescriptions(report.notGranted, info.described, out, widthOf(deps.io.out)),
  ];
  const expiry =
    info.expiresAt === undefined ? 'no expiry given' : `${describeExpiry(info.expiresAt, deps.now())} (${new Date(info.expiresAt * 1000).toISOString()})`;
  lines.push(`Access token ${expiry}; ${info.refreshToken ? `refresh token stored in the ${info.storage}` : 'no refresh token'}.`);
  if (report.notGranted.length) {
    const profileFlag = context.resolved.name === 'default' ? '' : ` --profile ${context.resolved.name}`;
    lines.push(out.dim(`To ask again for what is missing: scopes login${profileFlag} --add-scope "${report.notGranted.join(' ')}"`));
  }
  deps.io.out.write(`${lines.join('\n')}\n`);
}

export const loginAction = (deps: Deps, globalsOf: (command: Command, deps: Deps) => GlobalOptions) => (command: Command) => {
  const o = command.opts<{
    issuer?: string;
    clientId?: string;
    scope?: string[];
    addScope?: string[];
    resource?: string[];
    audience?: string;
    param?: string[];
    redirectUri?: string;
    browser: boolean;
    manual?: boolean;
    device?: boolean;
    timeout: number;
    storage?: StorageKind;
    strict?: boolean;
    explain?: boolean;
    force?: boolean;
    allowNoPkceMetadata?: boolean;
    keepOidc?: boolean;
    provider?: string;
    tenant?: string;
    domain?: string;
  }>();
  return runLogin(deps, globalsOf(command, deps), {
    issuer: o.issuer,
    clientId: o.clientId,
    scope: o.scope ?? [],
    addScope: o.addScope ?? [],
    resource: o.resource ?? [],
    audience: o.audience,
    params: parseParams(o.param ?? []),
    redirectUri: o.redirectUri,
    browser: o.browser,
    manual: Boolean(o.manual),
    device: Boolean(o.device),
    timeoutSeconds: o.timeout,
    storage: o.storage,
    strict: Boolean(o.strict),
    explain: Boolean(o.explain),
    force: Boolean(o.force),
    allowNoPkceMetadata: Boolean(o.allowNoPkceMetadata),
    keepOidc: Boolean(o.keepOidc),
    provider: o.provider,
    tenant: o.tenant,
    domain: o.domain,
  });
};
