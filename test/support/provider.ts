/**
 * A real OpenID provider for tests and the demo: `oidc-provider` (panva) in-process on 127.0.0.1, in memory, with
 * its own login and consent page (a plain HTML form a person or the scripted user agent in `user-agent.ts` can use).
 *
 * What it behaves like, because the CLI's tests depend on it:
 * - a public native client `scopes-cli` (PKCE S256 required, any loopback port for `http://127.0.0.1/callback`,
 *   authorization code, refresh token and device code grants) and a confidential `ci-client` (client credentials);
 * - one API (resource indicator, RFC 8707) whose scopes are the video API scopes of seed 003; access tokens for it are
 *   RFC 9068 JWTs with a `scope` claim (or opaque tokens, to exercise introspection);
 * - the consent page has one checkbox per requested scope; unticked scopes are rejected, so the flow completes
 *   granting only the ticked ones (an unticked `offline_access` means no refresh token);
 * - refresh tokens rotate on every use, and presenting a consumed one revokes the whole grant (oidc-provider's own
 *   reuse detection, see `lib/actions/grants/refresh_token.js`), so a replayed refresh token kills the session;
 * - `iss` is on every authorization response, success or error (RFC 9207).
 *
 * Note that oidc-provider answers the token response `scope` with the scope of the access token: with the API
 * resource that is the granted API scopes only; `openid`/`offline_access`/`profile`/`email` show as an `id_token`,
 * a `refresh_token` and userinfo claims, not in `scope`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { escapeHtml } from './html.js';
import { videoApi } from '../../src/providers/video-api.js';

/** The video API scopes of seed 003 (reference/seeds/003_*.txt). */
export const DEFAULT_API_SCOPES: readonly string[] = [
  'videos:read',
  'videos:write',
  'subtitles:read',
  'subtitles:write',
  'export:write',
  'translate:write',
  'voiceover:write',
  'article:read',
  'article:write',
  'analyze:write',
  'tools:read',
  'tools:write',
  'jobs:read',
  'usage:read',
  'process:write',
];

/**
 * What the consent page says of each scope: the video API's catalogue as its scope document words it (seed 003,
 * reference/seeds/003_*.txt: "Users see scope descriptions on the consent screen before approving"), and the OpenID
 * Connect scopes as OpenID Connect Core 1.0 §5.4 and §11 define them.
 */
export const SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Sign you in (required)',
  offline_access: 'Stay signed in: keep access while you are away (a refresh token)',
  profile: 'Your name and basic profile',
  email: 'Your email address',
  // The API's scopes as the provider module's catalogue describes them (reference/seeds), one source for both.
  ...videoApi.catalogue,
};

/** The OpenID Connect scopes the provider knows, besides the API's. */
export const OIDC_SCOPES: readonly string[] = ['openid', 'offline_access', 'profile', 'email'];

export const PUBLIC_CLIENT_ID = 'scopes-cli';
export const CI_CLIENT_ID = 'ci-client';

export interface TestAccount {
  readonly accountId: string;
  readonly name: string;
  readonly email: string;
}

/** The people who can sign in (type the id in the login field). */
export const TEST_ACCOUNTS: readonly TestAccount[] = [
  { accountId: 'alice', name: 'Alice Example', email: 'alice@example.test' },
  { accountId: 'bob', name: 'Bob Example', email: 'bob@example.test' },
];

export interface TestProviderOptions {
  /** The API's scopes; default {@link DEFAULT_API_SCOPES}. */
  apiScopes?: readonly string[];
  /** Access token lifetime in seconds; default 600. */
  accessTokenTtl?: number;
  /** The API's resource indicator (and the access tokens' `aud`); default `${issuer}/api`. */
  resource?: string;
  /** `jwt` (RFC 9068, default) or `opaque` (only introspection tells what such a token holds). */
  accessTokenFormat?: 'jwt' | 'opaque';
  /** Port to listen on (127.0.0.1 only); default a random free port. */
  port?: number;
  /** Shown on the pages, e.g. 'scopes demo provider'; default 'scopes test provider'. */
  title?: string;
  /** Open dynamic client registration (RFC 7591) at `/reg`, as MCP servers' authorization servers offer; default off. */
  registration?: boolean;
  /** Reuse detection is always on: a consumed refresh token presented again revokes the grant. */
  refreshTokenReuseGraceSeconds?: never;
}

/** Something the provider did, for tests to assert on (no token values in `detail`). */
export interface ProviderEvent {
  readonly name: string;
  readonly detail?: unknown;
}

export interface TestProvider {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly issuer: string;
  readonly port: number;
  /** `scopes-cli`: public, native, PKCE. */
  readonly publicClientId: string;
  /** Confidential, client credentials only; its secret authenticates with client_secret_basic or _post. */
  readonly ciClient: { readonly clientId: string; readonly clientSecret: string };
  readonly resource: string;
  readonly apiScopes: readonly string[];
  /** The public JWKS (`{ keys: [...] }`) that signs ID tokens and JWT access tokens, also at `${issuer}/jwks`. */
  readonly jwks: { keys: JWK[] };
  /**
   * In order of occurrence. oidc-provider's (`grant.success`, `grant.error` with `error_detail`, `grant.revoked`,
   * `authorization.success`/`.error`, `interaction.started`, `refresh_token.saved`/`.consumed`, `access_token.issued`,
   * `server_error`, …) and the pages' own: `interaction.shown`, `interaction.consented` `{ accountId, granted,
   * rejected }`, `interaction.denied`, `interaction.unknown_account`, `interaction.not_found`, `interaction.failed`.
   */
  readonly events: ProviderEvent[];
  close(): Promise<void>;
}

// --- the part of oidc-provider's API this file uses (the package ships no types) ---

interface OidcGrant {
  addOIDCScope(scope: string): void;
  rejectOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(resource: string, scope: string): void;
  rejectResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}

interface OidcInteraction {
  readonly uid: string;
  readonly prompt: { readonly name: string; readonly reasons?: string[]; readonly details?: Record<string, unknown> };
  readonly params: Record<string, unknown>;
  readonly session?: { readonly accountId?: string };
  readonly grantId?: string;
}

interface KoaContext {
  readonly path: string;
  body: unknown;
}

interface OidcProvider {
  readonly issuer: string;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void;
  on(event: string, listener: (...args: any[]) => void): void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<OidcInteraction>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options: { mergeWithLastSubmission: boolean },
  ): Promise<void>;
  readonly Grant: new (init: { accountId: string; clientId: string }) => OidcGrant;
}

interface OidcProviderModule {
  readonly default: new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
  readonly errors: { readonly InvalidTarget: new (description?: string) => Error };
}

let providerModule: Promise<OidcProviderModule> | undefined;

/**
 * oidc-provider 9 warns "Unsupported runtime" on Node 20 when first imported; that one warning is noise here
 * (it runs fine on Node 20), so only it is swallowed, and only during the import.
 */
async function loadOidcProvider(): Promise<OidcProviderModule> {
  providerModule ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
      warn.apply(console, args);
    };
    try {
      // A computed specifier: the package has no type declarations, and the interfaces above describe what we use.
      const specifier = 'oidc-provider';
      return (await import(specifier)) as OidcProviderModule;
    } finally {
      console.warn = warn;
    }
  })();
  return await providerModule;
}

/** Starts the provider on 127.0.0.1; `close()` stops it. */
export async function startTestProvider(options: TestProviderOptions = {}): Promise<TestProvider> {
  const { default: Provider, errors } = await loadOidcProvider();

  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  try {
    const apiScopes = [...new Set(options.apiScopes ?? DEFAULT_API_SCOPES)];
    const resource = options.resource ?? `${issuer}/api`;
    const title = options.title ?? 'scopes test provider';
    const accessTokenTtl = options.accessTokenTtl ?? 600;
    const accessTokenFormat = options.accessTokenFormat ?? 'jwt';
    const ciClient = { clientId: CI_CLIENT_ID, clientSecret: randomBytes(24).toString('base64url') };
    const events: ProviderEvent[] = [];

    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), alg: 'RS256', use: 'sig' };
    publicJwk.kid = await calculateJwkThumbprint(publicJwk);
    const privateJwk: JWK = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: publicJwk.kid };

    const page = pageRenderer(title);
    const apiScopeSet = new Set(apiScopes);
    const resourceServerInfo = {
      scope: apiScopes.join(' '),
      audience: resource,
      accessTokenTTL: accessTokenTtl,
      accessTokenFormat,
      ...(accessTokenFormat === 'jwt' ? { jwt: { sign: { alg: 'RS256' } } } : {}),
    };

    const provider = new Provider(issuer, {
      adapter: memoryAdapter(),
      jwks: { keys: [privateJwk] },
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      clients: [
        {
          client_id: PUBLIC_CLIENT_ID,
          client_name: 'scopes CLI',
          application_type: 'native',
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
          response_types: ['code'],
          // A native client's loopback redirect URI matches on any port (RFC 8252 §7.3): see Client#redirectUriAllowed.
          redirect_uris: ['http://127.0.0.1/callback'],
        },
        {
          client_id: ciClient.clientId,
          client_secret: ciClient.clientSecret,
          client_name: 'CI',
          token_endpoint_auth_method: 'client_secret_basic',
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
        },
      ],
      responseTypes: ['code'],
      // The registered loopback URI has no port, so a request without redirect_uri could never reach the client.
      allowOmittingSingleRegisteredRedirectUri: false,
      scopes: [...OIDC_SCOPES],
      claims: {
        openid: ['sub'],
        profile: ['name', 'preferred_username'],
        email: ['email', 'email_verified'],
      },
      async findAccount(_ctx: unknown, sub: string) {
        const account = TEST_ACCOUNTS.find((candidate) => candidate.accountId === sub);
        if (!account) return undefined;
        return {
          accountId: account.accountId,
          async claims() {
            return {
              sub: account.accountId,
              name: account.name,
              preferred_username: account.accountId,
              email: account.email,
              email_verified: true,
            };
          },
        };
      },
      pkce: { required: () => true },
      rotateRefreshToken: true,
      clockTolerance: 5,
      ttl: {
        AccessToken: accessTokenTtl,
        ClientCredentials: accessTokenTtl,
        AuthorizationCode: 60,
        IdToken: 3600,
        RefreshToken: 30 * 24 * 3600,
        DeviceCode: 600,
        Interaction: 3600,
        Session: 24 * 3600,
        Grant: 30 * 24 * 3600,
      },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      renderError(ctx: { type: string; body: unknown }, out: Record<string, unknown>) {
        ctx.type = 'html';
        ctx.body = page(
          'Something went wrong',
          Object.entries(out)
            .map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(value)}</p>`)
            .join('\n'),
        );
      },
      clientBasedCORS: () => false,
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        registration: { enabled: Boolean(options.registration) },
        introspection: {
          enabled: true,
          // A client may introspect its own tokens, and the confidential ci-client any token.
          allowedPolicy: (_ctx: unknown, client: { clientId: string; clientAuthMethod: string }, token: { clientId?: string }) =>
            client.clientAuthMethod !== 'none' || token.clientId === client.clientId,
        },
        revocation: {
          enabled: true,
          allowedPolicy: (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) =>
            token.clientId === client.clientId,
        },
        deviceFlow: {
          enabled: true,
          userCodeInputSource(ctx: { body: unknown }, form: string, _out: unknown, error: unknown) {
            const message = error ? '<p class="error">That code was not accepted. Try again.</p>' : '<p>Enter the code shown on your device.</p>';
            ctx.body = page('Device sign-in', `${message}\n${withSubmit(form, 'Continue')}`);
          },
          userCodeConfirmSource(ctx: { body: unknown }, form: string, client: { clientId: string }, _info: unknown, userCode: string) {
            ctx.body = page(
              'Confirm device',
              `<p>A device using <code>${escapeHtml(client.clientId)}</code> shows the code <code>${escapeHtml(userCode)}</code>.</p>
${withSubmit(form, 'Continue')}`,
            );
          },
          successSource(ctx: { body: unknown }) {
            ctx.body = page('Device signed in', '<p>You can return to your device and close this page.</p>');
          },
        },
        resourceIndicators: {
          enabled: true,
          defaultResource: async (_ctx: unknown, _client: unknown, oneOf?: string[]) => oneOf ?? resource,
          // The API's token whenever API scopes were granted; an openid-only login keeps its userinfo token.
          useGrantedResource: async (_ctx: unknown, model: { scopes: Set<string> }) =>
            [...model.scopes].some((scope) => apiScopeSet.has(scope)),
          getResourceServerInfo: async (_ctx: unknown, indicator: string) => {
            if (indicator !== resource) throw new errors.InvalidTarget(`unknown resource: ${indicator}`);
            return resourceServerInfo;
          },
        },
      },
    });

    // scopes_supported lists the API scopes too, as providers with API scopes do.
    provider.use(async (ctx, next) => {
      await next();
      const discovery = ctx.path === '/.well-known/openid-configuration' || ctx.path === '/.well-known/oauth-authorization-server';
      if (discovery && ctx.body && typeof ctx.body === 'object') {
        (ctx.body as Record<string, unknown>).scopes_supported = [...OIDC_SCOPES, ...apiScopes];
      }
    });

    recordEvents(provider, events);

    const interactions = interactionHandler({ provider, page, resource, apiScopes, events });
    const oidc = provider.callback();
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(
          `${title}: an OpenID provider (oidc-provider) for testing the scopes CLI.\n` +
            `Issuer: ${issuer}\nDiscovery: ${issuer}/.well-known/openid-configuration\n` +
            `Accounts: ${TEST_ACCOUNTS.map((account) => account.accountId).join(', ')} (no passwords).\n`,
        );
        return;
      }
      if (path.startsWith('/interaction/')) {
        interactions(req, res).catch((error: unknown) => {
          events.push({ name: 'interaction.failed', detail: { message: String((error as Error)?.message ?? error) } });
          if (!res.headersSent) {
            res.writeHead(500, { 'content-type': 'text/html; charset=utf-8' });
            res.end(page('Something went wrong', `<p>${escapeHtml((error as Error)?.message ?? error)}</p>`));
          } else {
            res.end();
          }
        });
        return;
      }
      oidc(req, res);
    });

    return {
      issuer,
      port,
      publicClientId: PUBLIC_CLIENT_ID,
      ciClient,
      resource,
      apiScopes,
      jwks: { keys: [publicJwk] },
      events,
      close: () => closeServer(server),
    };
  } catch (error) {
    await closeServer(server);
    throw error;
  }
}

type Payload = Record<string, unknown> & { grantId?: string; uid?: string; userCode?: string; consumed?: number };

/**
 * oidc-provider's storage, in memory and private to one provider (its bundled one warns on every start). Tokens are
 * indexed by grant so that revoking a grant revokes them all.
 */
function memoryAdapter(): (model: string) => unknown {
  const entries = new Map<string, { payload: Payload; expiresAt: number }>();
  const byGrant = new Map<string, Set<string>>();
  const byIndex = new Map<string, string>();

  const get = (key: string): Payload | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  return (model: string) => {
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id: string, payload: Payload, expiresIn?: number) {
        const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
        entries.set(key(id), { payload, expiresAt });
        if (payload.grantId) {
          const members = byGrant.get(payload.grantId) ?? new Set<string>();
          members.add(key(id));
          byGrant.set(payload.grantId, members);
        }
        if (model === 'Session' && payload.uid) byIndex.set(`uid:${payload.uid}`, id);
        if (payload.userCode) byIndex.set(`userCode:${payload.userCode}`, id);
      },
      async find(id: string) {
        return get(key(id));
      },
      async findByUid(uid: string) {
        const id = byIndex.get(`uid:${uid}`);
        return id === undefined ? undefined : get(key(id));
      },
      async findByUserCode(userCode: string) {
        const id = byIndex.get(`userCode:${userCode}`);
        return id === undefined ? undefined : get(key(id));
      },
      async consume(id: string) {
        const payload = get(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id: string) {
        entries.delete(key(id));
      },
      async revokeByGrantId(grantId: string) {
        for (const member of byGrant.get(grantId) ?? []) entries.delete(member);
        byGrant.delete(grantId);
      },
    };
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function withSubmit(form: string, label: string): string {
  return form.replace(/<\/form>\s*$/i, `<button type="submit">${escapeHtml(label)}</button>\n</form>`);
}

function pageRenderer(title: string): (heading: string, body: string) => string {
  return (heading, body) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(`${heading} · ${title}`)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
.banner{background:#fff8c5;border:1px solid #d4a72c;padding:.4rem .8rem;border-radius:6px;font-size:.9rem}
label{display:block;margin:.2rem 0}fieldset{margin:1rem 0}.error{color:#cf222e}code{background:#f6f8fa;padding:0 .3rem}
.description{color:#59636e}button{margin-right:.5rem;padding:.4rem 1rem}</style></head>
<body><p class="banner">${escapeHtml(title)}: a test OpenID provider running on this machine; no real accounts, no passwords.</p>
<h1>${escapeHtml(heading)}</h1>
${body}
</body></html>
`;
}

function recordEvents(provider: OidcProvider, events: ProviderEvent[]): void {
  const client = (ctx: any): string | undefined => ctx?.oidc?.client?.clientId;
  const error = (err: any) => ({
    error: err?.error ?? err?.name,
    error_description: err?.error_description ?? err?.message,
    // oidc-provider keeps the precise reason ("refresh token already used") out of the response, here only.
    ...(err?.error_detail ? { error_detail: err.error_detail } : {}),
  });

  for (const name of ['grant.success', 'authorization.accepted', 'authorization.success', 'interaction.ended', 'device_authorization.success']) {
    // The resource indicator(s) the request carried (RFC 8707), so tests can see it reach the token endpoint on refresh.
    provider.on(name, (ctx: any) => events.push({ name, detail: { clientId: client(ctx), grantType: ctx?.oidc?.params?.grant_type, resource: ctx?.oidc?.params?.resource } }));
  }
  provider.on('grant.revoked', (ctx: any, grantId: string) => events.push({ name: 'grant.revoked', detail: { clientId: client(ctx), grantId } }));
  provider.on('interaction.started', (_ctx: any, prompt: { name?: string; reasons?: string[] }) =>
    events.push({ name: 'interaction.started', detail: { prompt: prompt?.name, reasons: prompt?.reasons } }),
  );
  for (const name of [
    'grant.error',
    'authorization.error',
    'revocation.error',
    'introspection.error',
    'userinfo.error',
    'device_authorization.error',
    'code_verification.error',
  ]) {
    provider.on(name, (ctx: any, err: unknown) => events.push({ name, detail: { clientId: client(ctx), ...error(err) } }));
  }
  provider.on('server_error', (_ctx: any, err: unknown) => events.push({ name: 'server_error', detail: error(err) }));

  const models = ['access_token', 'refresh_token', 'authorization_code', 'client_credentials', 'device_code'];
  for (const model of models) {
    for (const action of ['saved', 'issued', 'consumed', 'destroyed']) {
      const name = `${model}.${action}`;
      provider.on(name, (token: any) =>
        events.push({
          name,
          detail: {
            clientId: token?.clientId,
            accountId: token?.accountId,
            grantId: token?.grantId,
            scope: token?.scope,
            ...(typeof token?.rotations === 'number' ? { rotations: token.rotations } : {}),
          },
        }),
      );
    }
  }
}

interface InteractionContext {
  readonly provider: OidcProvider;
  readonly page: (heading: string, body: string) => string;
  readonly resource: string;
  readonly apiScopes: readonly string[];
  readonly events: ProviderEvent[];
}

interface RequestedScopes {
  /** Requested scopes the provider knows, in request order. */
  readonly all: string[];
  readonly oidc: string[];
  /** Per resource indicator, the API scopes requested for it. */
  readonly resources: Map<string, string[]>;
}

const MAX_FORM_BYTES = 64 * 1024;

function interactionHandler(context: InteractionContext): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { provider, page, events } = context;
  const oidcScopes = new Set(OIDC_SCOPES);
  const apiScopes = new Set(context.apiScopes);

  function requested(params: Record<string, unknown>): RequestedScopes {
    const asked = typeof params.scope === 'string' ? [...new Set(params.scope.split(' ').filter(Boolean))] : [];
    const indicators = Array.isArray(params.resource)
      ? params.resource.filter((value): value is string => typeof value === 'string')
      : typeof params.resource === 'string'
        ? [params.resource]
        : [context.resource];
    const resources = new Map<string, string[]>();
    for (const indicator of indicators) {
      if (indicator === context.resource) resources.set(indicator, asked.filter((scope) => apiScopes.has(scope)));
    }
    const oidc = asked.filter((scope) => oidcScopes.has(scope));
    const all = asked.filter((scope) => oidc.includes(scope) || [...resources.values()].some((list) => list.includes(scope)));
    return { all, oidc, resources };
  }

  function send(res: ServerResponse, status: number, html: string): void {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
  }

  function renderForm(interaction: OidcInteraction, error?: string): string {
    const { uid, prompt, params, session } = interaction;
    const scopes = requested(params);
    const clientId = typeof params.client_id === 'string' ? params.client_id : '';
    const needsLogin = prompt.name === 'login' || !session?.accountId;
    const accounts = TEST_ACCOUNTS.map((account) => `<option value="${escapeHtml(account.accountId)}">${escapeHtml(account.name)}</option>`).join('');
    // Pre-filled with the client's login_hint when it names a test account, else the first one: one click to go on.
    const hint = typeof params.login_hint === 'string' && TEST_ACCOUNTS.some((account) => account.accountId === params.login_hint) ? params.login_hint : TEST_ACCOUNTS[0]!.accountId;
    const who = needsLogin
      ? `<label>Account <input type="text" name="login" value="${escapeHtml(hint)}" list="accounts" autocomplete="username" required></label>
<datalist id="accounts">${accounts}</datalist>
<p><small>Accounts: ${TEST_ACCOUNTS.map((account) => `<code>${escapeHtml(account.accountId)}</code>`).join(', ')} (no password).</small></p>`
      : `<p>Signed in as <strong>${escapeHtml(session?.accountId ?? '')}</strong>.</p>`;
    const describe = (scope: string) => {
      const text = SCOPE_DESCRIPTIONS[scope];
      return text === undefined ? '' : `<span class="description">${escapeHtml(text)}</span>`;
    };
    const boxes = scopes.all
      .map((scope) =>
        scope === 'openid'
          ? // Sign-in itself cannot be declined scope by scope: shown, fixed, and sent as a hidden field.
            `<label><input type="checkbox" checked disabled> <code>openid</code> ${describe(scope)}</label>
<input type="hidden" name="scope" value="openid">`
          : `<label><input type="checkbox" name="scope" value="${escapeHtml(scope)}" checked> <code>${escapeHtml(scope)}</code> ${describe(scope)}</label>`,
      )
      .join('\n');
    const resourceLine = [...scopes.resources.keys()].map((indicator) => `<code>${escapeHtml(indicator)}</code>`).join(', ');
    return page(
      needsLogin ? 'Sign in and authorize' : 'Authorize',
      `${error ? `<p class="error">${escapeHtml(error)}</p>\n` : ''}<p><code>${escapeHtml(clientId)}</code> asks for access${resourceLine ? ` to ${resourceLine}` : ''}.</p>
<form method="post" action="/interaction/${escapeHtml(uid)}">
${who}
<fieldset><legend>Scopes (untick what you do not want to grant)</legend>
${boxes || '<p>No scopes were requested.</p>'}
</fieldset>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" formnovalidate>Deny</button>
</form>`,
    );
  }

  return async (req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    const match = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(path);
    if (!match) {
      send(res, 404, page('Not found', '<p>No such page.</p>'));
      return;
    }

    let interaction: OidcInteraction;
    try {
      interaction = await provider.interactionDetails(req, res);
    } catch (error) {
      // Expired, already finished, or the interaction cookie is missing (another browser).
      events.push({ name: 'interaction.not_found', detail: { message: (error as Error).message } });
      send(res, 400, page('Sign-in expired', `<p>This sign-in is no longer in progress (${escapeHtml((error as Error).message)}). Start again from the application.</p>`));
      return;
    }
    if (interaction.uid !== match[1]) {
      send(res, 400, page('Sign-in mismatch', '<p>This page belongs to another sign-in in progress.</p>'));
      return;
    }

    if (req.method === 'GET') {
      events.push({ name: 'interaction.shown', detail: { uid: interaction.uid, prompt: interaction.prompt.name } });
      send(res, 200, renderForm(interaction));
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'GET, POST' });
      res.end();
      return;
    }

    const form = await readForm(req);
    if (!form) {
      send(res, 400, page('Bad request', '<p>The form could not be read.</p>'));
      return;
    }

    if (form.get('decision') !== 'allow') {
      events.push({ name: 'interaction.denied', detail: { uid: interaction.uid } });
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user declined.' },
        { mergeWithLastSubmission: false },
      );
      return;
    }

    const needsLogin = interaction.prompt.name === 'login' || !interaction.session?.accountId;
    const accountId = needsLogin ? (form.get('login') ?? '').trim() : interaction.session!.accountId!;
    if (!TEST_ACCOUNTS.some((account) => account.accountId === accountId)) {
      events.push({ name: 'interaction.unknown_account', detail: { uid: interaction.uid } });
      send(res, 401, renderForm(interaction, 'No such account. Try alice or bob.'));
      return;
    }

    // Only requested scopes count: anything else in the form is ignored.
    const scopes = requested(interaction.params);
    const ticked = new Set(form.getAll('scope'));
    ticked.add('openid');
    const clientId = String(interaction.params.client_id);
    const grant = new provider.Grant({ accountId, clientId });
    const granted: string[] = [];
    const rejected: string[] = [];

    const oidcGranted = scopes.oidc.filter((scope) => ticked.has(scope));
    const oidcRejected = scopes.oidc.filter((scope) => !ticked.has(scope));
    if (oidcGranted.length) grant.addOIDCScope(oidcGranted.join(' '));
    if (oidcRejected.length) grant.rejectOIDCScope(oidcRejected.join(' '));
    granted.push(...oidcGranted);
    rejected.push(...oidcRejected);

    const missingClaims = interaction.prompt.details?.missingOIDCClaims;
    if (Array.isArray(missingClaims) && missingClaims.length) grant.addOIDCClaims(missingClaims.map(String));

    for (const [indicator, list] of scopes.resources) {
      const yes = list.filter((scope) => ticked.has(scope));
      const no = list.filter((scope) => !ticked.has(scope));
      if (yes.length) grant.addResourceScope(indicator, yes.join(' '));
      if (no.length) grant.rejectResourceScope(indicator, no.join(' '));
      granted.push(...yes);
      rejected.push(...no);
    }

    // A fresh grant each time: oidc-provider never un-rejects a scope, and a consent decision replaces the last one.
    const grantId = await grant.save();
    events.push({ name: 'interaction.consented', detail: { uid: interaction.uid, accountId, granted, rejected } });
    await provider.interactionFinished(
      req,
      res,
      needsLogin ? { login: { accountId }, consent: { grantId } } : { consent: { grantId } },
      { mergeWithLastSubmission: !needsLogin },
    );
  };
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
