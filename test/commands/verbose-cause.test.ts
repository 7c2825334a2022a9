/**
 * --verbose shows the cause chain of an error as text a person can use: an HTTP response as its status and URL (never
 * "[object Response]"), a response body with its secrets redacted; and the discovery error names every URL tried.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { testDeps } from '../support/deps.js';

let home: string;
let server: Server;
let issuer: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'scopes-verbose-'));
  // A server with no discovery document at all: every well-known URL is 404.
  server = createServer((_request, response) => {
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not here');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(home, { recursive: true, force: true });
});

async function run(argv: string[]) {
  const deps = testDeps({ env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), SCOPES_STORAGE: 'file' }, cwd: home });
  const code = await main(argv, deps);
  return { code, stdout: deps.stdout(), stderr: deps.stderr() };
}

describe('a discovery that finds nothing', () => {
  it('names each URL tried with its HTTP status', async () => {
    const result = await run(['login', '--issuer', issuer, '--client-id', 'x', '--no-browser']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`Tried ${issuer}/.well-known/openid-configuration (HTTP 404); ${issuer}/.well-known/oauth-authorization-server (HTTP 404).`);
  });

  it('with --verbose, shows the response in the cause chain as status and URL, never [object Response]', async () => {
    const result = await run(['login', '--issuer', issuer, '--client-id', 'x', '--no-browser', '--verbose']);
    expect(result.code).toBe(4);
    expect(result.stderr).not.toContain('[object');
    expect(result.stderr).toMatch(new RegExp(`caused by: HTTP 404 Not Found from ${issuer.replace(/[.]/g, '\\.')}/\\.well-known/openid-configuration \\(content-type: text/plain\\)`));
  });
});

describe('a cause that is a response body', () => {
  it('is shown as JSON with token values redacted', async () => {
    const { reportError } = await import('../../src/main.js');
    const { NetworkError } = await import('../../src/errors.js');
    const deps = testDeps({ env: {} });
    const body = { error: 'weird', access_token: 'eyJhbGciOi.secret-access', refresh_token: 'secret-refresh' };
    const error = new NetworkError('invalid_response', 'The server sent an invalid response.', { cause: Object.assign(new Error('bad body'), { cause: body }) });
    reportError(error, deps, true);
    expect(deps.stderr()).toContain('caused by: {"error":"weird","access_token":"[redacted]","refresh_token":"[redacted]"}');
    expect(deps.stderr()).not.toContain('secret-');
  });
});
