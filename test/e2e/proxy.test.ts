/**
 * HTTP_PROXY / HTTPS_PROXY / NO_PROXY reach the requests the built binary makes (Node 20's fetch alone ignores them),
 * checked with a recording proxy on loopback between `scopes` and the test resource server. Needs `npm run build`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxySettings } from '../../src/io/proxy.js';
import { createSandbox, type Sandbox } from '../support/cli.js';
import { startRecordingProxy, type RecordingProxy } from '../support/proxy.js';
import { startTestProvider, type TestProvider } from '../support/provider.js';
import { startResourceServer, type ResourceServer } from '../support/resource-server.js';

let provider: TestProvider;
let api: ResourceServer;
let proxy: RecordingProxy;
let box: Sandbox;

beforeAll(async () => {
  provider = await startTestProvider();
  api = await startResourceServer({ issuer: provider.issuer, resource: provider.resource });
  proxy = await startRecordingProxy();
  box = await createSandbox();
});
afterAll(async () => {
  await box?.cleanup();
  await proxy?.close();
  await api?.close();
  await provider?.close();
});

const apiHost = () => new URL(api.url).host;

/** `scopes probe` of one endpoint with a token the API refuses: one request, whose answer shows in --json. */
async function probeThrough(env: Record<string, string>, verbose = true) {
  const before = { proxy: proxy.seen.length, api: api.received.length };
  const result = await box.run(['probe', `${api.url}/v1/videos`, '--token', 'not-a-real-token', '--json', ...(verbose ? ['--verbose'] : [])], {
    env: { HTTP_PROXY: '', HTTPS_PROXY: '', NO_PROXY: '', http_proxy: '', https_proxy: '', no_proxy: '', ...env },
  });
  return { result, proxied: proxy.seen.slice(before.proxy), reachedApi: api.received.length - before.api };
}

describe('proxies from the environment', () => {
  it('sends requests through HTTP_PROXY, and the answer comes back through it', async () => {
    const { result, proxied, reachedApi } = await probeThrough({ HTTP_PROXY: proxy.url });
    expect(proxied).toEqual([`CONNECT ${apiHost()}`]);
    expect(reachedApi).toBe(1);
    expect(JSON.parse(result.stdout).results[0]).toMatchObject({ status: 401, outcome: 'unauthorized' });
    expect(result.stderr).toContain(`[http] proxy: http ${proxy.url}/, https none`);
  });

  it("sends probe's requests through the proxy without --verbose too (the lean client, not fetch), and direct for NO_PROXY", async () => {
    const proxied = await probeThrough({ HTTP_PROXY: proxy.url }, false);
    expect(proxied.proxied).toEqual([`CONNECT ${apiHost()}`]);
    expect(proxied.reachedApi).toBe(1);
    expect(JSON.parse(proxied.result.stdout).results[0]).toMatchObject({ status: 401, outcome: 'unauthorized' });
    const direct = await probeThrough({ HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }, false);
    expect(direct.proxied).toEqual([]);
    expect(direct.reachedApi).toBe(1);
  });

  it('reads the lower-case http_proxy too, as curl does', async () => {
    const { proxied } = await probeThrough({ http_proxy: proxy.url });
    expect(proxied).toEqual([`CONNECT ${apiHost()}`]);
  });

  it('goes direct for a host in NO_PROXY', async () => {
    const { result, proxied, reachedApi } = await probeThrough({ HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' });
    expect(proxied).toEqual([]);
    expect(reachedApi).toBe(1);
    expect(JSON.parse(result.stdout).results[0]).toMatchObject({ status: 401 });
  });

  it('goes direct when no proxy is set', async () => {
    const { proxied, reachedApi } = await probeThrough({});
    expect(proxied).toEqual([]);
    expect(reachedApi).toBe(1);
  });

  it('never prints the password of a proxy URL, and sends it only to the proxy', async () => {
    const withPassword = proxy.url.replace('http://', 'http://builder:s3cret@');
    const before = proxy.proxyAuthorization.length;
    const { result, proxied } = await probeThrough({ HTTP_PROXY: withPassword });
    expect(proxied).toEqual([`CONNECT ${apiHost()}`]);
    expect(proxy.proxyAuthorization.slice(before)).toEqual([`Basic ${Buffer.from('builder:s3cret').toString('base64')}`]);
    expect(result.stderr).not.toContain('s3cret');
    expect(result.stderr).toContain('[redacted]@127.0.0.1');
    expect(result.stderr).not.toContain('experimental');
  });
});

describe('proxySettings', () => {
  it.each([
    [{}, undefined],
    [{ HTTPS_PROXY: 'http://p:3128' }, { httpsProxy: 'http://p:3128' }],
    [{ https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:2', NO_PROXY: '.internal' }, { httpsProxy: 'http://a:1', noProxy: '.internal' }],
    [{ HTTP_PROXY: '  ', NO_PROXY: '*' }, undefined],
  ])('%j', (env, expected) => {
    expect(proxySettings(env)).toEqual(expected);
  });
});
