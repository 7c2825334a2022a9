/**
 * `scopes login --resource URL` with no issuer, and `scopes discover`, against the real test provider with dynamic
 * client registration on and an MCP-style resource that publishes RFC 9728 metadata at the path-aware location and
 * challenges with `resource_metadata` and `scope` (test/support/mcp-resource.ts, after the MCP specification's example).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../support/cli.js';
import { startMcpResourceServer, MCP_SCOPES_SUPPORTED, type McpResourceServer } from '../support/mcp-resource.js';
import { startTestProvider, type TestProvider } from '../support/provider.js';

let mcp: McpResourceServer;
let provider: TestProvider;
let other: TestProvider;
const sandboxes: Sandbox[] = [];

beforeAll(async () => {
  mcp = await startMcpResourceServer();
  provider = await startTestProvider({ resource: mcp.resource, registration: true });
  other = await startTestProvider({ resource: mcp.resource, registration: true });
  mcp.setIssuer(provider.issuer);
});
afterAll(async () => {
  await Promise.all([provider.close(), other.close(), mcp.close()]);
});
afterEach(async () => {
  mcp.configure({});
  await Promise.all(sandboxes.splice(0).map((box) => box.cleanup()));
});

async function sandbox(): Promise<Sandbox> {
  const box = await createSandbox();
  sandboxes.push(box);
  return box;
}

interface SavedProfile {
  issuer?: string;
  clientId?: string;
  resource?: string[];
  discoveredFrom?: string;
  registrations?: Record<string, { clientId: string; registeredAt: string }>;
}

async function savedProfile(box: Sandbox): Promise<SavedProfile> {
  const config = JSON.parse(await readFile(join(box.home, 'config', 'scopes', 'config.json'), 'utf8'));
  return config.profiles.default;
}

const login = (box: Sandbox, extra: string[] = []) => box.run(['login', '--resource', mcp.resource, '--timeout', '20', '--json', ...extra]);

describe('scopes discover', () => {
  it('prints each document fetched and each decision with its rule', async () => {
    const box = await sandbox();
    const result = await box.run(['discover', mcp.resource]);
    expect(result.code, result.stderr).toBe(0);
    const out = result.stdout;
    expect(out).toContain(`GET ${mcp.resource}`);
    expect(out).toContain(`names resource_metadata ${mcp.url}/.well-known/oauth-protected-resource/mcp, scope "videos:read"`);
    expect(out).toContain(`GET ${mcp.url}/.well-known/oauth-protected-resource/mcp`);
    // RFC 8414's location first (oidc-provider serves it too), and its issuer checked.
    expect(out).toContain(`GET ${provider.issuer}/.well-known/oauth-authorization-server`);
    expect(out).toContain(`used: issuer "${provider.issuer}" equals the one used to build the URL`);
    expect(out).toContain('PKCE: S256');
    expect(out).toContain('scopes: videos:read offline_access');
    expect(out).toContain("because the 401 challenge's scope, which MCP makes authoritative");
    expect(out).toContain(`scopes login --resource ${mcp.resource}`);
  });

  it('gives the same chain as one JSON document', async () => {
    const box = await sandbox();
    const result = await box.run(['discover', mcp.resource, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.result).toMatchObject({ resource: mcp.resource, issuer: provider.issuer, scopes: ['videos:read', 'offline_access'], registrationEndpoint: `${provider.issuer}/reg` });
    expect(json.steps.filter((step: { kind: string }) => step.kind === 'fetch').map((step: { url: string }) => step.url)).toEqual([
      mcp.resource,
      `${mcp.url}/.well-known/oauth-protected-resource/mcp`,
      `${provider.issuer}/.well-known/oauth-authorization-server`,
    ]);
    expect(json.error).toBeNull();
  });

  it('finds the metadata at the path-aware location when the challenge names none', async () => {
    mcp.configure({ challenge: 'none' });
    const box = await sandbox();
    const result = await box.run(['discover', mcp.resource, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.steps[1]).toMatchObject({ kind: 'fetch', url: `${mcp.url}/.well-known/oauth-protected-resource/mcp`, status: 200 });
    expect(json.result.scopes).toEqual([...MCP_SCOPES_SUPPORTED, 'offline_access']);
  });
});

describe('scopes login --resource (no issuer)', () => {
  it('registers a native public client, asks the challenge scope with offline_access, and sends resource on refresh', async () => {
    const box = await sandbox();
    const result = await login(box);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ issuer: provider.issuer, requested: ['videos:read', 'offline_access'], granted: ['videos:read'], refreshToken: true });
    expect(result.stderr).toContain(`Registered a client at ${provider.issuer}`);
    expect(result.stderr).toContain(`resource=${encodeURIComponent(mcp.resource)}`);

    const profile = await savedProfile(box);
    expect(profile.issuer).toBe(provider.issuer);
    expect(profile.resource).toEqual([mcp.resource]);
    expect(profile.discoveredFrom).toBe(mcp.resource);
    expect(profile.clientId).not.toBe(provider.publicClientId);
    expect(profile.registrations?.[provider.issuer]?.clientId).toBe(profile.clientId);

    // The token the resource accepts (aud = the resource), then a refresh that carries resource too.
    const token = (await box.run(['token'])).stdout.trim();
    const call = await fetch(mcp.resource, { headers: { authorization: `Bearer ${token}` } });
    expect(call.status).toBe(200);
    const before = provider.events.length;
    const refreshed = await box.run(['token', '--force-refresh']);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    const refresh = provider.events.slice(before).find((event) => event.name === 'grant.success');
    expect(refresh?.detail).toMatchObject({ grantType: 'refresh_token', resource: mcp.resource, clientId: profile.clientId });
  });

  it('reuses the registration on the next login, and never with another issuer', async () => {
    const box = await sandbox();
    expect((await login(box)).code).toBe(0);
    const first = await savedProfile(box);

    const again = await login(box);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('Registered a client');
    expect((await savedProfile(box)).clientId).toBe(first.clientId);

    // The resource moves to another authorization server: a new registration there, the old one kept for its issuer.
    mcp.configure({ authorizationServers: [other.issuer] });
    const moved = await login(box, ['--explain']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stderr).toContain(`the profile's client was registered at ${provider.issuer}, and a registration is never used with another issuer`);
    expect(moved.stderr).toContain(`Registered a client at ${other.issuer}`);
    const after = await savedProfile(box);
    expect(after.issuer).toBe(other.issuer);
    expect(after.clientId).not.toBe(first.clientId);
    expect(after.registrations?.[provider.issuer]?.clientId).toBe(first.clientId);
    expect(after.registrations?.[other.issuer]?.clientId).toBe(after.clientId);
  });

  it('keeps a registration whose login stopped before the browser, and reuses it next time', async () => {
    const box = await sandbox();
    const stopped = await login(box, ['--scope', 'vidoes:read']);
    expect(stopped.code).toBe(2);
    expect(stopped.stderr).toContain('did you mean videos:read?');
    const registered = (await savedProfile(box)).registrations?.[provider.issuer]?.clientId;
    expect(registered).toBeTruthy();
    const next = await login(box);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).not.toContain('Registered a client');
    expect((await savedProfile(box)).clientId).toBe(registered);
  });

  it('uses a client id given on the command line without registering', async () => {
    const box = await sandbox();
    const result = await login(box, ['--client-id', provider.publicClientId]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('Registered a client');
    const profile = await savedProfile(box);
    expect(profile.clientId).toBe(provider.publicClientId);
    expect(profile.registrations).toBeUndefined();
  });

  it('asks for the metadata scopes_supported when the challenge names no scope', async () => {
    mcp.configure({ challenge: 'bare' });
    const box = await sandbox();
    const result = await login(box);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).requested).toEqual([...MCP_SCOPES_SUPPORTED, 'offline_access']);
  });

  it('takes the challenge scope as authoritative even where no scopes_supported lists it (MCP)', async () => {
    mcp.configure({ challengeScope: 'videos:read tools:admin' });
    const box = await sandbox();
    const result = await login(box, ['--client-id', provider.publicClientId]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('does not list');
    expect(JSON.parse(result.stdout).requested).toEqual(['videos:read', 'tools:admin', 'offline_access']);
  });

  it('refuses metadata whose resource is another URL, and says what differs', async () => {
    mcp.configure({ resource: `${mcp.url}/mcp/` });
    const box = await sandbox();
    const result = await box.run(['login', '--resource', mcp.resource, '--timeout', '20']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`its "resource" is "${mcp.url}/mcp/" but you asked for "${mcp.resource}"`);
    expect(result.stderr).toContain('RFC 9728 §3.3');
    expect(result.stderr).not.toContain('/auth?');
  });

  it('refuses authorization server metadata that names another issuer', async () => {
    mcp.configure({ authorizationServers: [`${mcp.url}/as-mismatch`] });
    const box = await sandbox();
    const result = await box.run(['login', '--resource', mcp.resource, '--timeout', '20']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`its "issuer" is "${provider.issuer}", not "${mcp.url}/as-mismatch"`);
  });

  it('refuses a server whose metadata lists no PKCE method', async () => {
    mcp.configure({ authorizationServers: [`${mcp.url}/as-no-pkce`] });
    const box = await sandbox();
    const result = await box.run(['discover', mcp.resource]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('PKCE: refused');
    expect(result.stderr).toContain('has no code_challenge_methods_supported');
    expect(result.stderr).toContain('--allow-no-pkce-metadata');
  });

  it('lists the servers and exits 2 when several are named and nobody can be asked; --issuer picks', async () => {
    mcp.configure({ authorizationServers: [provider.issuer, other.issuer] });
    const box = await sandbox();
    const refused = await box.run(['login', '--resource', mcp.resource, '--timeout', '20']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`choose one with --issuer:\n  ${provider.issuer}\n  ${other.issuer}`);
    const picked = await login(box, ['--issuer', other.issuer]);
    expect(picked.code, picked.stderr).toBe(0);
    expect(JSON.parse(picked.stdout).issuer).toBe(other.issuer);
  });
});

describe('Client ID Metadata Documents', () => {
  it('refuses an https client id where the server does not advertise client_id_metadata_document_supported', async () => {
    const box = await sandbox();
    const result = await box.run(['login', '--resource', mcp.resource, '--client-id', 'https://client.example.test/scopes.json', '--timeout', '20']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`is a Client ID Metadata Document URL, but ${provider.issuer} does not advertise client_id_metadata_document_supported`);
    expect(result.stderr).not.toContain('/auth?');
  });
});
