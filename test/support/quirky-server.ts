/**
 * A small authorization server on 127.0.0.1 that answers the way real servers do where they differ from
 * oidc-provider, so the tests can hold scopes to what those servers mean:
 *
 * - Glewlwyd answers a refresh with a spent, revoked or unknown refresh token with a bare `400` and no body
 *   (src/plugin/protocol_oidc.c, get_access_token_from_refresh: `response->status = 400;` on G_ERROR_UNAUTHORIZED and
 *   G_ERROR_NOT_FOUND, no body set):
 *   https://github.com/babelouest/glewlwyd/blob/0219fa08044c1594d8b014903165e53754291605/src/plugin/protocol_oidc.c#L13794-L13814
 * - Glewlwyd's introspection and revocation endpoints sit behind callback_check_intropect_revoke, which returns
 *   U_CALLBACK_UNAUTHORIZED for a client without credentials: ulfius answers `401` with an empty body:
 *   https://github.com/babelouest/glewlwyd/blob/0219fa08044c1594d8b014903165e53754291605/src/plugin/protocol_oidc.c#L10130
 * - Glewlwyd's id tokens may carry `auth_time: 0` when the session time is not known.
 *
 * Everything else is configurable per test: the discovery document (or none), whether `iss` is promised, and the
 * codes the token endpoint accepts. It speaks only to 127.0.0.1.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface QuirkyServerOptions {
  /** Extra or replaced members of the discovery document; `null` serves 404 at both well-known URLs. */
  readonly discovery?: Record<string, unknown> | null;
  /** The one authorization code the token endpoint redeems (default `good-code`). */
  readonly goodCode?: string;
  /** Streams this many bytes of discovery document (a hostile server), with no Content-Length. */
  readonly hugeDiscoveryBytes?: number;
}

export interface QuirkyServer {
  readonly issuer: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Requests seen, as `METHOD /path`. */
  readonly requests: string[];
  /** Bytes of the huge discovery document actually written before the client stopped reading. */
  hugeBytesWritten(): number;
  close(): Promise<void>;
}

export async function startQuirkyServer(options: QuirkyServerOptions = {}): Promise<QuirkyServer> {
  const requests: string[] = [];
  const accessToken = `at-${'q'.repeat(24)}-${Math.random().toString(36).slice(2)}`;
  const refreshToken = `rt-${'r'.repeat(24)}-${Math.random().toString(36).slice(2)}`;
  let issuer = '';
  let hugeWritten = 0;
  const spentRefreshTokens = new Set<string>();

  const body = async (request: IncomingMessage): Promise<URLSearchParams> => {
    let text = '';
    for await (const chunk of request) text += chunk;
    return new URLSearchParams(text);
  };
  const json = (response: ServerResponse, status: number, value: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify(value));
  };

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', issuer);
    requests.push(`${request.method} ${url.pathname}`);
    if (url.pathname === '/.well-known/openid-configuration' || url.pathname.startsWith('/.well-known/oauth-authorization-server')) {
      if (options.hugeDiscoveryBytes !== undefined) {
        response.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        response.write('{"issuer":"' + issuer + '","padding":"');
        const pump = () => {
          while (hugeWritten < options.hugeDiscoveryBytes!) {
            hugeWritten += chunk.length;
            if (!response.write(chunk)) return void response.once('drain', pump);
          }
          response.end('"}');
        };
        response.on('close', () => undefined);
        pump();
        return;
      }
      if (options.discovery === null) {
        response.writeHead(404, { 'content-type': 'text/html' });
        response.end('<h1>Not Found</h1>');
        return;
      }
      json(response, 200, {
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        revocation_endpoint: `${issuer}/revoke`,
        introspection_endpoint: `${issuer}/introspect`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        ...options.discovery,
      });
      return;
    }
    if (url.pathname === '/token' && request.method === 'POST') {
      const form = await body(request);
      const grant = form.get('grant_type');
      if (grant === 'refresh_token') {
        const presented = form.get('refresh_token') ?? '';
        if (presented !== refreshToken || spentRefreshTokens.has(presented)) {
          // Glewlwyd: status 400, no body, no content-type.
          response.writeHead(400);
          response.end();
          return;
        }
        spentRefreshTokens.add(presented);
        json(response, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, refresh_token: `${refreshToken}-next` });
        return;
      }
      if (grant === 'authorization_code') {
        if (form.get('code') !== (options.goodCode ?? 'good-code')) {
          json(response, 400, { error: 'invalid_grant', error_description: 'Invalid code' });
          return;
        }
        json(response, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, refresh_token: refreshToken, scope: 'videos:read' });
        return;
      }
      json(response, 400, { error: 'unsupported_grant_type' });
      return;
    }
    if ((url.pathname === '/revoke' || url.pathname === '/introspect') && request.method === 'POST') {
      await body(request);
      // Glewlwyd: U_CALLBACK_UNAUTHORIZED, 401 with an empty body.
      response.writeHead(401);
      response.end();
      return;
    }
    response.writeHead(404);
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    accessToken,
    refreshToken,
    requests,
    hugeBytesWritten: () => hugeWritten,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
