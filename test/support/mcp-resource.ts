/**
 * An MCP-style protected resource for tests: HTTP on 127.0.0.1 that publishes RFC 9728 metadata at the path-aware
 * location and challenges a call without a token the way the MCP authorization specification (2026-07-28) shows:
 *
 *     HTTP/1.1 401 Unauthorized
 *     WWW-Authenticate: Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
 *                              scope="files:read"
 *
 * (https://modelcontextprotocol.io/specification/draft/basic/authorization, "Protected Resource Metadata Discovery
 * Requirements"). It listens before the provider starts, so the provider can take `${url}/mcp` as its resource
 * indicator; `setIssuer` then points the metadata at the provider. `configure` switches what it publishes, for the
 * refusals a client must make: another `resource` (RFC 9728 §3.3), an authorization server whose metadata names
 * another issuer (RFC 8414 §3.3) or lists no PKCE method.
 *
 * The fake authorization servers live on this same origin at `/as-mismatch` and `/as-no-pkce`: their metadata
 * (`/.well-known/oauth-authorization-server/as-…`) is the real provider's, with `issuer` left as the provider's
 * (mismatch) or with `code_challenge_methods_supported` removed (no PKCE).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';

export interface McpConfiguration {
  /** `full` (resource_metadata and scope, default), `bare` (resource_metadata only), `none` (`Bearer realm="mcp"` only). */
  challenge?: 'full' | 'bare' | 'none';
  /** The challenge's scope; default `videos:read`. */
  challengeScope?: string;
  /** The metadata's `resource`; default `${url}/mcp`. */
  resource?: string;
  /** The metadata's `authorization_servers`; default the issuer given to setIssuer. Use `${url}/as-mismatch`, `${url}/as-no-pkce`, `${url}/as-cimd`. */
  authorizationServers?: string[];
}

export interface McpResourceServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `${url}/mcp`: the resource a user holds. */
  readonly resource: string;
  /** Scopes the metadata lists. */
  readonly scopesSupported: readonly string[];
  /** Paths requested, in order. */
  readonly received: string[];
  setIssuer(issuer: string): void;
  configure(configuration: McpConfiguration): void;
  close(): Promise<void>;
}

export const MCP_SCOPES_SUPPORTED = ['videos:read', 'jobs:read', 'usage:read'];

export async function startMcpResourceServer(): Promise<McpResourceServer> {
  let issuer = '';
  let configuration: McpConfiguration = {};
  const received: string[] = [];
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  const server = createServer((req, res) => {
    received.push(req.url ?? '/');
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String((error as Error)?.message ?? error) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const resource = `${url}/mcp`;

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };

  async function providerMetadata(): Promise<Record<string, unknown>> {
    const response = await fetch(`${issuer}/.well-known/openid-configuration`);
    return (await response.json()) as Record<string, unknown>;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/.well-known/oauth-protected-resource/mcp') {
      return json(res, 200, {
        resource: configuration.resource ?? resource,
        authorization_servers: configuration.authorizationServers ?? [issuer],
        scopes_supported: MCP_SCOPES_SUPPORTED,
        bearer_methods_supported: ['header'],
        resource_name: 'scopes test MCP server',
      });
    }
    if (path === '/.well-known/oauth-authorization-server/as-mismatch') {
      // The real provider's document, served for another issuer: its "issuer" is not `${url}/as-mismatch`.
      return json(res, 200, await providerMetadata());
    }
    if (path === '/.well-known/oauth-authorization-server/as-no-pkce') {
      const metadata = await providerMetadata();
      delete metadata.code_challenge_methods_supported;
      return json(res, 200, { ...metadata, issuer: `${url}/as-no-pkce` });
    }
    if (path === '/.well-known/openid-configuration/as-inserted') {
      // A path issuer whose OpenID configuration sits only at the inserted location (the second the MCP order tries).
      return json(res, 200, { ...(await providerMetadata()), issuer: `${url}/as-inserted` });
    }
    if (path === '/.well-known/oauth-authorization-server/as-cimd') {
      // A server that accepts Client ID Metadata Documents (an https URL as client_id), as MCP 2026-07-28 describes.
      return json(res, 200, { ...(await providerMetadata()), issuer: `${url}/as-cimd`, client_id_metadata_document_supported: true });
    }
    if (path === '/mcp') {
      const header = req.headers.authorization;
      if (header !== undefined && jwks !== undefined) {
        const token = /^Bearer (\S+)$/i.exec(header)?.[1] ?? '';
        try {
          const { payload } = await jwtVerify(token, jwks, { issuer, audience: resource });
          return json(res, 200, { ok: true, scope: payload.scope ?? null });
        } catch {
          // falls through to the challenge
        }
      }
      const mode = configuration.challenge ?? 'full';
      const metadataUrl = `${url}/.well-known/oauth-protected-resource/mcp`;
      const challenge =
        mode === 'none'
          ? 'Bearer realm="mcp"'
          : `Bearer resource_metadata="${metadataUrl}"${mode === 'full' ? `, scope="${configuration.challengeScope ?? 'videos:read'}"` : ''}`;
      return json(res, 401, { error: 'unauthorized' }, { 'www-authenticate': challenge });
    }
    return json(res, 404, { error: 'not_found' });
  }

  return {
    url,
    resource,
    scopesSupported: MCP_SCOPES_SUPPORTED,
    received,
    setIssuer(value) {
      issuer = value;
      jwks = createRemoteJWKSet(new URL(`${value}/jwks`));
    },
    configure(value) {
      configuration = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
