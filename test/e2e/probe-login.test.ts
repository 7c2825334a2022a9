/**
 * `scopes probe URL --login` end to end: the real binary logged in against the real provider, the test resource server
 * refusing for a missing scope (RFC 6750) or for a weak sign-in (RFC 9470), the login started for it, and the probe
 * run again. Also `--add-scope` asking for the union without scopes the profile's rules already imply.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../support/cli.js';
import { startTestProvider, type TestProvider } from '../support/provider.js';
import { DIALECT_ROUTES, startResourceServer, type ResourceServer } from '../support/resource-server.js';

let provider: TestProvider;
let api: ResourceServer;
const sandboxes: Sandbox[] = [];

beforeAll(async () => {
  provider = await startTestProvider();
  api = await startResourceServer({ issuer: provider.issuer, resource: provider.resource });
});
afterAll(async () => {
  await api?.close();
  await provider?.close();
});
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((box) => box.cleanup()));
});

async function loggedIn(scopes = 'openid offline_access videos:read', profile?: object): Promise<Sandbox> {
  const box = await createSandbox();
  sandboxes.push(box);
  if (profile) {
    await mkdir(join(box.home, 'config', 'scopes'), { recursive: true });
    await writeFile(join(box.home, 'config', 'scopes', 'config.json'), JSON.stringify({ profiles: { default: profile } }));
  }
  const login = await box.run(['login', '--issuer', provider.issuer, '--client-id', provider.publicClientId, '--scope', scopes, '--resource', provider.resource, '--timeout', '20']);
  expect(login.code, login.stderr).toBe(0);
  return box;
}

describe('scopes probe --login', () => {
  it('logs in for the missing scopes, probes again, and shows before and after', async () => {
    const box = await loggedIn();
    const url = `${api.url}${DIALECT_ROUTES.rfc6750.path}`;
    const result = await box.run(['probe', url, '--login']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('Logging in for the missing scopes (subtitles:read subtitles:write) (--login)');
    expect(result.stderr).toContain('scope=videos%3Aread+openid+offline_access+subtitles%3Aread+subtitles%3Awrite');
    expect(result.stderr).toContain('Probing again with the new token');
    expect(result.stdout).toContain(`GET ${url}: missing_scope → ok`);
  });

  it('sends acr_values and max_age of a step-up challenge (RFC 9470) on the new authorization request', async () => {
    const box = await loggedIn();
    const url = `${api.url}${DIALECT_ROUTES.stepUp.path}`;
    const result = await box.run(['probe', url, '--login']);
    expect(result.stderr).toContain('a stronger sign-in (acr_values=urn:example:acr:mfa, max_age=300)');
    expect(result.stderr).toContain(`acr_values=${encodeURIComponent('urn:example:acr:mfa')}`);
    expect(result.stderr).toContain('max_age=300');
    // This route wants a sign-in the test provider cannot prove, so it refuses again: shown, not hidden.
    expect(result.stdout).toContain(`GET ${url}: step_up → step_up`);
  });

  it('never logs in without --login', async () => {
    const box = await loggedIn();
    const before = provider.events.length;
    const result = await box.run(['probe', `${api.url}${DIALECT_ROUTES.rfc6750.path}`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('scopes login --add-scope "subtitles:read subtitles:write"');
    expect(provider.events.slice(before).some((event) => event.name === 'authorization.success')).toBe(false);
  });

  it('refuses --login with --json or --token', async () => {
    const box = await loggedIn();
    expect((await box.run(['probe', api.url, '--login', '--json'])).code).toBe(2);
    expect((await box.run(['probe', api.url, '--login', '--token', 'x'])).code).toBe(2);
  });
});

describe('scopes login --add-scope', () => {
  it('asks for what the profile holds plus the new scopes, without those another asked scope implies', async () => {
    const box = await loggedIn('openid offline_access videos:read', { implies: { 'videos:write': ['videos:read'] } });
    const result = await box.run(['login', '--add-scope', 'videos:write', '--json', '--timeout', '20']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).requested).toEqual(['openid', 'offline_access', 'videos:write']);
  });
});
