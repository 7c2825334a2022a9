/**
 * The parts of discovery that need a terminal or a server the test provider cannot be: the prompt among several
 * authorization servers, and a server that accepts Client ID Metadata Documents. In process, against the MCP-style
 * resource (test/support/mcp-resource.ts) and the real provider.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandContext } from '../../src/commands/context.js';
import { runDiscover } from '../../src/commands/discover.js';
import { prepareResourceLogin } from '../../src/commands/login-resource.js';
import { testDeps } from '../support/deps.js';
import { startMcpResourceServer, type McpResourceServer } from '../support/mcp-resource.js';
import { startTestProvider, type TestProvider } from '../support/provider.js';

let mcp: McpResourceServer;
let provider: TestProvider;
let other: TestProvider;
let home: string;

beforeAll(async () => {
  mcp = await startMcpResourceServer();
  provider = await startTestProvider({ resource: mcp.resource, registration: true });
  other = await startTestProvider({ resource: mcp.resource });
  mcp.setIssuer(provider.issuer);
  home = await mkdtemp(join(tmpdir(), 'scopes-discover-'));
});
afterAll(async () => {
  await Promise.all([provider.close(), other.close(), mcp.close()]);
  await rm(home, { recursive: true, force: true });
});

const globals = { profile: 'default', json: false, verbose: false };

function terminalDeps(answer: string) {
  const deps = testDeps({ env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), NO_COLOR: '1' }, tty: true, stdin: `${answer}\n` });
  return { ...deps, io: { ...deps.io, stdinIsTTY: true } };
}

describe('several authorization servers on a terminal', () => {
  it('lists them and takes the one chosen', async () => {
    mcp.configure({ authorizationServers: [provider.issuer, other.issuer] });
    const deps = terminalDeps('2');
    const code = await runDiscover(deps, globals, { url: mcp.resource, scope: [], allowNoPkceMetadata: false });
    expect(code).toBe(0);
    expect(deps.stderr()).toContain(`The resource names several authorization servers:\n  1. ${provider.issuer}\n  2. ${other.issuer}`);
    expect(deps.stdout()).toContain(`authorization server: ${other.issuer}\n   because chosen at the prompt`);
    mcp.configure({});
  });
});

describe('a server that accepts Client ID Metadata Documents', () => {
  it('uses the https client id given, without registering', async () => {
    mcp.configure({ authorizationServers: [`${mcp.url}/as-cimd`] });
    const deps = terminalDeps('');
    const context = await commandContext(deps, globals);
    const login = await prepareResourceLogin(
      context,
      { resource: [mcp.resource], clientId: 'https://client.example.test/scopes.json', scope: [], explain: true, allowNoPkceMetadata: false },
      {},
    );
    expect(login.clientId).toBe('https://client.example.test/scopes.json');
    expect(login.registered).toBeUndefined();
    expect(deps.stderr()).toContain('client: https://client.example.test/scopes.json\n   because a Client ID Metadata Document URL (--client-id), which the server supports');
    mcp.configure({});
  });
});

describe('an issuer with a path whose metadata is only at /.well-known/openid-configuration/<path>', () => {
  it('is found second in the MCP order by discover', async () => {
    const issuer = `${mcp.url}/as-inserted`;
    mcp.configure({ authorizationServers: [issuer] });
    const deps = terminalDeps('');
    const code = await runDiscover(deps, { ...globals, json: true }, { url: mcp.resource, scope: [], allowNoPkceMetadata: false });
    expect(code).toBe(0);
    const fetched = JSON.parse(deps.stdout()).steps.filter((step: { kind: string }) => step.kind === 'fetch').slice(2);
    expect(fetched.map((step: { url: string; status: number }) => [step.url, step.status])).toEqual([
      [`${mcp.url}/.well-known/oauth-authorization-server/as-inserted`, 404],
      [`${mcp.url}/.well-known/openid-configuration/as-inserted`, 200],
    ]);
    mcp.configure({});
  });

  it('is found by the adapter every later command connects through (refresh, logout, inspect)', async () => {
    const { connect } = await import('../../src/io/oauth.js');
    const config = await connect({ issuer: `${mcp.url}/as-inserted`, clientId: 'scopes-cli' }, { fetch: (input, init) => globalThis.fetch(input, init) });
    expect(config.serverMetadata().issuer).toBe(`${mcp.url}/as-inserted`);
  });
});
