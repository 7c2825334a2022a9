/**
 * A real resource server for tests and the demo: HTTP on 127.0.0.1 (random port) that validates the test provider's
 * JWT access tokens (signature from the provider's JWKS, `iss`, `aud` = the provider's resource) and refuses a token
 * that lacks a scope in each of the ways real APIs do, one route per dialect:
 *
 * | route | needs | refusal |
 * | --- | --- | --- |
 * | `GET /rfc6750/subtitles` | all of `subtitles:read subtitles:write` | 403 `Bearer error="insufficient_scope", scope="…"` (RFC 6750 §3.1) |
 * | `GET /rfc9728/videos` | `videos:write` | as RFC 6750 plus `resource_metadata` → a valid `/.well-known/oauth-protected-resource/…` |
 * | `GET /rfc9728-mismatch/videos` | `videos:write` | the same, but the metadata's `resource` is another URL |
 * | `GET /step-up/export` | a recent MFA sign-in | 401 `error="insufficient_user_authentication"`, `acr_values`, `max_age` (RFC 9470) |
 * | `GET /gitlab/projects` | `article:read` | 403 `{"error":"insufficient_scope","scope":"article:read"}` (no header) |
 * | `GET /google/tools` | any of `tools:read`, `tools:write` | 403, Google's challenge (alternatives) and `ACCESS_TOKEN_SCOPE_INSUFFICIENT` body |
 * | `GET /github/repos` | any of `jobs:read`, `usage:read` | 403 with `X-Accepted-OAuth-Scopes` / `X-OAuth-Scopes` |
 * | `GET /github/private` | `videos:write` | 404 with `X-Accepted-OAuth-Scopes` (GitHub hides what a token may not see) |
 * | `GET /github/graphql` | `usage:read` | 200 `{"errors":[{"type":"INSUFFICIENT_SCOPES",…}]}` |
 * | `GET /slack/conversations.list` | any of `jobs:read`, `usage:read` | 200 `{"ok":false,"error":"missing_scope","needed":"…"}` |
 * | `GET /shopify/themes` | `translate:write` | 403 `{"errors":"[API] This action requires merchant approval for … scope."}` |
 * | `GET /graph/me` | `usage:read` | 403 Microsoft Graph `Authorization_RequestDenied` (names no scope) |
 * | `/v1/…` | the video API's mapping table (reference seed 003) | 403 `{"error":{"code":"insufficient_scope",…}}` + RFC 6750 header |
 *
 * And for the probe's own rules: `/redirect/elsewhere` (302 to a second server on another port, which records whether
 * an Authorization header reached it), `/redirect/same` (302 to `/v1/videos`), `/slow` (answers after `slowMs`),
 * `/broken` (500). Every request is recorded in `received` (method, path, whether it carried an Authorization header),
 * so tests can assert that nothing unsafe was sent.
 *
 * Without a valid token every protected route answers 401 with an RFC 6750 challenge (no `error` when no token came,
 * `invalid_token` when one did). The video API part doubles as the demo API, so its answers look like a real API's.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';

/** One request as the server saw it. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  readonly authorization: boolean;
}

export interface ResourceServerOptions {
  /** The test provider's issuer: its `/jwks` verifies tokens, and `iss` must equal it. */
  readonly issuer: string;
  /** The test provider's resource indicator: the `aud` the tokens must carry; default this server's own URL (the demo's). */
  readonly resource?: string;
  /** How long `/slow` takes to answer; default 3000 ms. */
  readonly slowMs?: number;
}

export interface ResourceServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  /** Every request, in order of arrival. */
  readonly received: ReceivedRequest[];
  /** A second origin (another port) that answers 200 to anything and records what reached it. */
  readonly otherOrigin: { readonly url: string; readonly received: ReceivedRequest[] };
  close(): Promise<void>;
}

/** The video API of reference seed 003: every endpoint of its scope-to-endpoint mapping table. */
export const VIDEO_API_ENDPOINTS: readonly { readonly method: string; readonly path: string; readonly scope: string }[] = [
  { method: 'GET', path: '/v1/videos', scope: 'videos:read' },
  { method: 'POST', path: '/v1/videos/upload', scope: 'videos:write' },
  { method: 'POST', path: '/v1/videos/{id}/analyze', scope: 'analyze:write' },
  { method: 'POST', path: '/v1/videos/{id}/export', scope: 'export:write' },
  { method: 'POST', path: '/v1/videos/{id}/translate', scope: 'translate:write' },
  { method: 'GET', path: '/v1/videos/{id}/subtitles', scope: 'subtitles:read' },
  { method: 'POST', path: '/v1/videos/{id}/voiceover', scope: 'voiceover:write' },
  { method: 'POST', path: '/v1/videos/{id}/article', scope: 'article:write' },
  { method: 'POST', path: '/v1/videos/process', scope: 'process:write' },
  { method: 'GET', path: '/v1/tools', scope: 'tools:read' },
  { method: 'POST', path: '/v1/tools/{type}/execute', scope: 'tools:write' },
  { method: 'GET', path: '/v1/jobs/{id}', scope: 'jobs:read' },
  { method: 'GET', path: '/v1/usage', scope: 'usage:read' },
];

/** What the dialect routes need, for tests to name the scopes they expect. */
export const DIALECT_ROUTES = {
  rfc6750: { path: '/rfc6750/subtitles', allOf: ['subtitles:read', 'subtitles:write'] },
  rfc9728: { path: '/rfc9728/videos', allOf: ['videos:write'] },
  rfc9728Mismatch: { path: '/rfc9728-mismatch/videos', allOf: ['videos:write'] },
  stepUp: { path: '/step-up/export', acrValues: ['urn:example:acr:mfa'], maxAge: 300 },
  gitlab: { path: '/gitlab/projects', allOf: ['article:read'] },
  google: { path: '/google/tools', anyOf: ['tools:read', 'tools:write'] },
  githubRest: { path: '/github/repos', anyOf: ['jobs:read', 'usage:read'] },
  githubNotFound: { path: '/github/private', anyOf: ['videos:write'] },
  githubGraphql: { path: '/github/graphql', anyOf: ['usage:read'] },
  slack: { path: '/slack/conversations.list', anyOf: ['jobs:read', 'usage:read'] },
  shopify: { path: '/shopify/themes', allOf: ['translate:write'] },
  microsoftGraph: { path: '/graph/me', allOf: ['usage:read'] },
} as const;

const REALM = 'scopes-test';
const VIDEO_REALM = 'video-api';
const METADATA_PREFIX = '/.well-known/oauth-protected-resource';

// ---- the video API's data: small, fixed, and plausible ------------------------------------------------------------

const VIDEOS = [
  { id: 'vid_demo', title: 'Product demo', duration_seconds: 184, status: 'ready', language: 'en', created_at: '2025-01-14T10:02:11Z' },
  { id: 'vid_onboarding', title: 'Onboarding walkthrough', duration_seconds: 312, status: 'ready', language: 'en', created_at: '2025-02-03T08:45:40Z' },
];
const JOBS: Readonly<Record<string, Record<string, unknown>>> = {
  '7': { id: '7', type: 'export', status: 'completed', video_id: 'vid_demo', progress: 100, created_at: '2025-02-10T09:00:00Z', completed_at: '2025-02-10T09:03:12Z' },
  '8': { id: '8', type: 'analyze', status: 'processing', video_id: 'vid_onboarding', progress: 42, created_at: '2025-02-11T14:20:05Z' },
};
const TOOLS = [
  { type: 'thumbnail', name: 'Thumbnail generator', description: 'Picks and renders a thumbnail from a video' },
  { type: 'transcribe', name: 'Transcriber', description: 'Turns speech into timed text' },
  { type: 'highlights', name: 'Highlights', description: 'Cuts a short highlight reel' },
];
const SUBTITLES = [
  { start: 0.0, end: 3.2, text: 'Welcome to the product demo.' },
  { start: 3.2, end: 7.9, text: 'In the next three minutes you will see the main features.' },
];

interface Caller {
  readonly scopes: ReadonlySet<string>;
  readonly subject: string;
}

type Reply = (status: number, body: unknown, headers?: Record<string, string>) => void;

interface VideoRoute {
  readonly method: string;
  readonly pattern: RegExp;
  readonly scope: string;
  readonly handle: (params: string[], reply: Reply) => void;
}

let jobCounter = 100;
const newJob = (type: string, videoId: string | undefined) => ({
  job_id: String(++jobCounter),
  type,
  status: 'queued',
  ...(videoId === undefined ? {} : { video_id: videoId }),
});

const videoOf = (id: string) => VIDEOS.find((video) => video.id === id);
const notFound = (reply: Reply, what: string) => reply(404, { error: { code: 'not_found', message: `${what} was not found.` } });

/** Turns `/v1/videos/{id}/export` into a pattern whose groups are the template's variables. */
const pattern = (template: string): RegExp => new RegExp(`^${template.replace(/\{[^}]+\}/g, '([^/]+)')}$`);

const withVideo = (handle: (video: (typeof VIDEOS)[number], reply: Reply) => void) => (params: string[], reply: Reply) => {
  const video = videoOf(params[0]!);
  if (video === undefined) notFound(reply, `Video ${params[0]}`);
  else handle(video, reply);
};

const VIDEO_HANDLERS: Readonly<Record<string, (params: string[], reply: Reply) => void>> = {
  'GET /v1/videos': (_params, reply) => reply(200, { data: VIDEOS, has_more: false }),
  'POST /v1/videos/upload': (_params, reply) => reply(201, { id: `vid_${++jobCounter}`, status: 'processing', upload_url: null }),
  'POST /v1/videos/{id}/analyze': withVideo((video, reply) => reply(202, newJob('analyze', video.id))),
  'POST /v1/videos/{id}/export': withVideo((video, reply) => reply(202, newJob('export', video.id))),
  'POST /v1/videos/{id}/translate': withVideo((video, reply) => reply(202, newJob('translate', video.id))),
  'GET /v1/videos/{id}/subtitles': withVideo((video, reply) => reply(200, { video_id: video.id, language: video.language, cues: SUBTITLES })),
  'POST /v1/videos/{id}/voiceover': withVideo((video, reply) => reply(202, newJob('voiceover', video.id))),
  'POST /v1/videos/{id}/article': withVideo((video, reply) => reply(202, newJob('article', video.id))),
  'POST /v1/videos/process': (_params, reply) => reply(202, newJob('process', undefined)),
  'GET /v1/tools': (_params, reply) => reply(200, { data: TOOLS }),
  'POST /v1/tools/{type}/execute': (params, reply) => {
    if (!TOOLS.some((tool) => tool.type === params[0])) notFound(reply, `Tool ${params[0]}`);
    else reply(202, newJob(`tool:${params[0]}`, undefined));
  },
  'GET /v1/jobs/{id}': (params, reply) => {
    const job = JOBS[params[0]!];
    if (job === undefined) notFound(reply, `Job ${params[0]}`);
    else reply(200, job);
  },
  'GET /v1/usage': (_params, reply) =>
    reply(200, { period: '2025-02', plan: 'team', minutes_processed: 124, exports: 9, limits: { minutes: 600, exports: 100 } }),
};

const VIDEO_ROUTES: readonly VideoRoute[] = VIDEO_API_ENDPOINTS.map((endpoint) => ({
  method: endpoint.method,
  pattern: pattern(endpoint.path),
  scope: endpoint.scope,
  handle: VIDEO_HANDLERS[`${endpoint.method} ${endpoint.path}`]!,
}));

// ---- the server ----------------------------------------------------------------------------------------------------

/** Starts the resource server (and the second origin) on 127.0.0.1; `close()` stops both. */
export async function startResourceServer(options: ResourceServerOptions): Promise<ResourceServer> {
  const jwks = createRemoteJWKSet(new URL(`${options.issuer}/jwks`));
  const slowMs = options.slowMs ?? 3000;
  const received: ReceivedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const otherReceived: ReceivedRequest[] = [];

  const other = await listen((req, res) => {
    otherReceived.push(record(req));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, origin: 'other' }));
  });

  let url = '';
  const main = await listen((req, res) => {
    received.push(record(req));
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'internal', message: String((error as Error)?.message ?? error) } }));
    });
  });
  url = main.url;

  /** The caller's token, verified; a string says why it was refused, undefined that none came. */
  async function authenticate(req: IncomingMessage): Promise<Caller | string | undefined> {
    const header = req.headers.authorization;
    if (header === undefined) return undefined;
    const match = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
    if (match === null) return 'the Authorization header is not a Bearer token';
    try {
      const { payload } = await jwtVerify(match[1]!, jwks, { issuer: options.issuer, audience: options.resource ?? url });
      const scope = typeof payload.scope === 'string' ? payload.scope : '';
      return { scopes: new Set(scope.split(' ').filter(Boolean)), subject: String(payload.sub ?? '') };
    } catch (error) {
      return `the access token is not valid (${(error as Error).message})`;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestUrl = new URL(req.url ?? '/', url);
    const path = requestUrl.pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const reply: Reply = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
    };

    // Public: the RFC 9728 documents, the redirects and the failure routes.
    if (path.startsWith(`${METADATA_PREFIX}/`)) return metadata(path.slice(METADATA_PREFIX.length), reply);
    if (path === '/redirect/elsewhere') return void res.writeHead(302, { location: `${other.url}/landing` }).end();
    if (path === '/redirect/same') return void res.writeHead(302, { location: '/v1/videos' }).end();
    if (path === '/broken') return reply(500, { error: { code: 'internal', message: 'Something broke.' } });
    if (path === '/slow') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, slowMs);
        timers.add(timer);
      });
      if (!res.destroyed) reply(200, { ok: true, slow: true });
      return;
    }

    if (path.startsWith('/v1/') && method === 'OPTIONS') {
      const allowed = VIDEO_ROUTES.filter((route) => route.pattern.test(path)).map((route) => route.method);
      if (allowed.length === 0) return notFound(reply, `${path}`);
      return void res.writeHead(204, { allow: [...new Set([...allowed, ...(allowed.includes('GET') ? ['HEAD'] : []), 'OPTIONS'])].join(', ') }).end();
    }

    const caller = await authenticate(req);
    if (caller === undefined || typeof caller === 'string') {
      const realm = path.startsWith('/v1/') ? VIDEO_REALM : REALM;
      const challenge =
        caller === undefined
          ? `Bearer realm="${realm}"`
          : `Bearer realm="${realm}", error="invalid_token", error_description="${caller.replace(/["\\]/g, "'")}"`;
      const body = path.startsWith('/v1/')
        ? { error: { code: 'unauthorized', message: caller === undefined ? 'Missing access token.' : 'Invalid access token.' } }
        : { error: caller === undefined ? 'unauthorized' : 'invalid_token' };
      return reply(401, body, { 'www-authenticate': challenge });
    }

    if (path.startsWith('/v1/')) return video(method, path, caller, reply);
    return dialect(path, caller, reply);
  }

  function metadata(resourcePath: string, reply: Reply): void {
    const document = (resource: string) => ({
      resource,
      authorization_servers: [options.issuer],
      scopes_supported: ['videos:read', 'videos:write', 'subtitles:read', 'subtitles:write', 'export:write', 'jobs:read', 'usage:read'],
      bearer_methods_supported: ['header'],
      resource_name: 'scopes test resource server',
    });
    if (resourcePath === DIALECT_ROUTES.rfc9728.path) return reply(200, document(`${url}${resourcePath}`));
    // Claims to describe another resource: a client must not use it (RFC 9728 §3.3).
    if (resourcePath === DIALECT_ROUTES.rfc9728Mismatch.path) return reply(200, document(`${url}/somewhere-else`));
    return reply(404, { error: 'not_found' });
  }

  function video(method: string, path: string, caller: Caller, reply: Reply): void {
    const lookup = method === 'HEAD' ? 'GET' : method;
    const onPath = VIDEO_ROUTES.filter((route) => route.pattern.test(path));
    if (onPath.length === 0) return notFound(reply, `The endpoint ${method} ${path}`);
    const route = onPath.find((candidate) => candidate.method === lookup);
    if (route === undefined) {
      const allow = [...new Set(onPath.map((candidate) => candidate.method))].join(', ');
      return reply(405, { error: { code: 'method_not_allowed', message: `${method} is not allowed here; use ${allow}.` } }, { allow });
    }
    if (!caller.scopes.has(route.scope)) {
      const held = [...caller.scopes];
      const message = `This action requires the "${route.scope}" scope.${held.length === 0 ? '' : ` Your token has: ${held.join(', ')}`}`;
      return reply(403, { error: { code: 'insufficient_scope', message } }, {
        'www-authenticate': `Bearer realm="${VIDEO_REALM}", error="insufficient_scope", scope="${route.scope}"`,
      });
    }
    route.handle(route.pattern.exec(path)!.slice(1).map(decodeURIComponent), reply);
  }

  function dialect(path: string, caller: Caller, reply: Reply): void {
    const has = (scope: string) => caller.scopes.has(scope);
    const ok = () => reply(200, { ok: true, path });
    const held = [...caller.scopes];
    switch (path) {
      case DIALECT_ROUTES.rfc6750.path: {
        const needed = DIALECT_ROUTES.rfc6750.allOf;
        if (needed.every(has)) return ok();
        return reply(403, { error: 'insufficient_scope' }, {
          'www-authenticate': `Bearer realm="${REALM}", error="insufficient_scope", scope="${needed.join(' ')}", error_description="The access token lacks a scope this call needs"`,
        });
      }
      case DIALECT_ROUTES.rfc9728.path:
      case DIALECT_ROUTES.rfc9728Mismatch.path: {
        const needed = DIALECT_ROUTES.rfc9728.allOf;
        if (needed.every(has)) return ok();
        return reply(403, { error: 'insufficient_scope' }, {
          'www-authenticate': `Bearer error="insufficient_scope", scope="${needed.join(' ')}", resource_metadata="${url}${METADATA_PREFIX}${path}"`,
        });
      }
      case DIALECT_ROUTES.stepUp.path: {
        // Client-credentials tokens carry no sign-in at all, so this route always wants a stronger one.
        const { acrValues, maxAge } = DIALECT_ROUTES.stepUp;
        return reply(401, { error: 'insufficient_user_authentication' }, {
          'www-authenticate': `Bearer error="insufficient_user_authentication", error_description="A multi-factor sign-in within the last 5 minutes is required", acr_values="${acrValues.join(' ')}", max_age=${maxAge}`,
        });
      }
      case DIALECT_ROUTES.gitlab.path: {
        const needed = DIALECT_ROUTES.gitlab.allOf;
        if (needed.every(has)) return ok();
        return reply(403, {
          error: 'insufficient_scope',
          error_description: 'The request requires higher privileges than provided by the access token.',
          scope: needed.join(' '),
        });
      }
      case DIALECT_ROUTES.google.path: {
        const accepted = DIALECT_ROUTES.google.anyOf;
        if (accepted.some(has)) return ok();
        return reply(
          403,
          {
            error: {
              code: 403,
              message: 'Request had insufficient authentication scopes.',
              status: 'PERMISSION_DENIED',
              errors: [{ message: 'Insufficient Permission', domain: 'global', reason: 'insufficientPermissions' }],
              details: [
                {
                  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
                  reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
                  domain: 'googleapis.com',
                  metadata: { service: 'tools.googleapis.com', method: 'tools.v1.ToolService.ListTools' },
                },
              ],
            },
          },
          { 'www-authenticate': `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="${accepted.join(' ')}"` },
        );
      }
      case DIALECT_ROUTES.githubRest.path:
      case DIALECT_ROUTES.githubNotFound.path: {
        const notFoundRoute = path === DIALECT_ROUTES.githubNotFound.path;
        const accepted = notFoundRoute ? DIALECT_ROUTES.githubNotFound.anyOf : DIALECT_ROUTES.githubRest.anyOf;
        const headers = { 'x-accepted-oauth-scopes': accepted.join(', '), 'x-oauth-scopes': held.join(', ') };
        if (accepted.some(has)) return reply(200, { ok: true, path }, headers);
        return notFoundRoute
          ? reply(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' }, headers)
          : reply(403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest', status: '403' }, headers);
      }
      case DIALECT_ROUTES.githubGraphql.path: {
        const needed = DIALECT_ROUTES.githubGraphql.anyOf;
        if (needed.some(has)) return reply(200, { data: { viewer: { usage: { minutes: 124 } } } });
        const list = (scopes: readonly string[]) => `[${scopes.map((scope) => `'${scope}'`).join(', ')}]`;
        return reply(200, {
          errors: [
            {
              type: 'INSUFFICIENT_SCOPES',
              locations: [{ line: 1, column: 10 }],
              message: `Your token has not been granted the required scopes to execute this query. The 'usage' field requires one of the following scopes: ${list(needed)}, but your token has only been granted the: ${list(held)} scopes. Please modify your token's scopes at: https://github.com/settings/tokens.`,
            },
          ],
        });
      }
      case DIALECT_ROUTES.slack.path: {
        const needed = DIALECT_ROUTES.slack.anyOf;
        if (needed.some(has)) return reply(200, { ok: true, channels: [] });
        return reply(200, { ok: false, error: 'missing_scope', needed: needed.join(','), provided: held.join(',') }, { 'x-oauth-scopes': held.join(',') });
      }
      case DIALECT_ROUTES.shopify.path: {
        const [needed] = DIALECT_ROUTES.shopify.allOf;
        if (has(needed)) return ok();
        return reply(403, { errors: `[API] This action requires merchant approval for ${needed} scope.` });
      }
      case DIALECT_ROUTES.microsoftGraph.path: {
        const needed = DIALECT_ROUTES.microsoftGraph.allOf;
        if (needed.every(has)) return reply(200, { id: caller.subject, displayName: 'CI' });
        return reply(403, {
          error: {
            code: 'Authorization_RequestDenied',
            message: 'Insufficient privileges to complete the operation.',
            innerError: { date: '2025-02-11T14:20:05', 'request-id': '0f6a4c1e-7d2b-4b8e-9a55-2f3c1d9e8b70', 'client-request-id': '0f6a4c1e-7d2b-4b8e-9a55-2f3c1d9e8b70' },
          },
        });
      }
      default:
        return reply(404, { error: 'not_found', message: `No route ${path}` });
    }
  }

  return {
    url,
    received,
    otherOrigin: { url: other.url, received: otherReceived },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all([main.close(), other.close()]);
    },
  };
}

function record(req: IncomingMessage): ReceivedRequest {
  return { method: (req.method ?? 'GET').toUpperCase(), path: req.url ?? '/', authorization: req.headers.authorization !== undefined };
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
