/**
 * The guard every run passes (issue 8, points 9-11): the redaction layer, what it learns secrets from, the transport
 * rule for credentials, and the cap on response bodies.
 */
import { describe, expect, it } from 'vitest';
import { capResponse, READS_AT_MOST, tooLargeCause } from '../../src/io/bounded.js';
import { guardDeps, MAX_RESPONSE_BYTES, permitInsecure } from '../../src/io/guard.js';
import { SecretRedactor } from '../../src/io/redact.js';
import { testDeps } from '../support/deps.js';

describe('the secret redactor', () => {
  it('replaces a secret as is, URL-encoded, form-encoded and JSON-escaped', () => {
    const redactor = new SecretRedactor();
    const secret = 'ab+cd/ef=gh "ij" \\kl';
    redactor.add(secret);
    for (const form of [secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2), JSON.stringify(secret).slice(1, -1)]) {
      expect(redactor.redact(`before ${form} after`)).toBe('before [redacted] after');
    }
  });

  it('ignores values too short to be secrets, and leaves other text alone', () => {
    const redactor = new SecretRedactor();
    redactor.add('abc');
    redactor.add(undefined);
    expect(redactor.redact('abc def')).toBe('abc def');
    expect(redactor.size).toBe(0);
  });
});

describe('guardDeps', () => {
  const TOKEN_RESPONSE = { access_token: 'access-token-from-the-server-1234', refresh_token: 'refresh-token-from-the-server-5678', id_token: 'id.token.from-the-server-9012', token_type: 'Bearer' };

  it('learns the tokens a token endpoint answers with and the credentials a request carries, and redacts them on stdout and stderr', async () => {
    const deps = testDeps({
      env: {},
      fetch: async () => new Response(JSON.stringify(TOKEN_RESPONSE), { status: 200, headers: { 'content-type': 'application/json' } }),
    });
    const guarded = guardDeps(deps);
    const response = await guarded.fetch('http://127.0.0.1:1/token', {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'the-refresh-token-sent', client_secret: 'the-client-secret-sent' }),
      headers: { authorization: `Basic ${Buffer.from('client:basic-secret-value').toString('base64')}` },
    });
    expect(await response.json()).toEqual(TOKEN_RESPONSE);
    const leak = [...Object.values(TOKEN_RESPONSE).slice(0, 3), 'the-refresh-token-sent', 'the-client-secret-sent', 'basic-secret-value'].join(' | ');
    guarded.io.err.write(`${leak}\n`);
    guarded.io.out.write(`${JSON.stringify({ leak })}\n`);
    expect(deps.stderr()).toBe('[redacted] | [redacted] | [redacted] | [redacted] | [redacted] | [redacted]\n');
    expect(deps.stdout()).not.toMatch(/server|sent|basic-secret/);
  });

  it('knows SCOPES_TOKEN and SCOPES_REFRESH_TOKEN from the start, and writeSecret alone passes them', () => {
    const deps = testDeps({ env: { SCOPES_TOKEN: 'env-access-token-abcdef', SCOPES_REFRESH_TOKEN: 'env-refresh-token-abcdef' } });
    const guarded = guardDeps(deps);
    guarded.io.out.write('env-access-token-abcdef env-refresh-token-abcdef\n');
    guarded.io.out.writeSecret!('env-access-token-abcdef\n');
    expect(deps.stdout()).toBe('[redacted] [redacted]\nenv-access-token-abcdef\n');
  });

  it('refuses a credential over plain http off loopback (exit 2), unless permitted; loopback and anonymous requests pass', async () => {
    const sent: string[] = [];
    const deps = guardDeps(testDeps({ env: {}, fetch: async (input) => (sent.push(String(input)), new Response('ok')) }));
    await expect(deps.fetch('http://192.0.2.1/v1', { headers: { authorization: 'Bearer some-token-value' } })).rejects.toMatchObject({ exitCode: 2 });
    await expect(deps.fetch('http://192.0.2.1/token', { method: 'POST', body: 'grant_type=refresh_token&refresh_token=abcdefghij' })).rejects.toMatchObject({ exitCode: 2 });
    expect(sent).toEqual([]);
    await deps.fetch('http://192.0.2.1/.well-known/openid-configuration');
    await deps.fetch('http://127.0.0.1:1/v1', { headers: { authorization: 'Bearer some-token-value' } });
    permitInsecure(deps);
    await deps.fetch('http://192.0.2.1/v1', { headers: { authorization: 'Bearer some-token-value' } });
    expect(sent).toHaveLength(3);
  });

  it('reads the credential from a URL object, a Headers object and a Request, as from a string and a record', async () => {
    const sent: string[] = [];
    const base = testDeps({ env: {}, fetch: async (input) => (sent.push(String(input)), new Response('ok')) });
    const deps = guardDeps(base);
    const headers = new Headers({ authorization: 'Bearer some-token-value' });
    await expect(deps.fetch(new URL('http://192.0.2.1/v1'), { headers })).rejects.toMatchObject({ exitCode: 2 });
    await expect(deps.fetch(new Request('http://192.0.2.1/v1', { headers }))).rejects.toMatchObject({ exitCode: 2 });
    // init's headers extend a Request's: the credential may come from either.
    await expect(deps.fetch(new Request('http://192.0.2.1/v1'), { headers: [['Authorization', 'Bearer some-token-value']] })).rejects.toMatchObject({ exitCode: 2 });
    expect(sent).toEqual([]);
    deps.io.out.write('some-token-value\n');
    expect(base.stdout()).toBe('[redacted]\n');
  });
});

describe('the guard reading a record of headers', () => {
  it('finds the credential under any case and around HTTP whitespace, as Headers would', async () => {
    for (const headers of [
      { Authorization: 'Bearer record-token-value-1' },
      { AUTHORIZATION: ' \tBearer record-token-value-1 ' },
      { 'x-api-key': 'k', accept: 'application/json' },
      { DPoP: 'proof' },
    ] as Record<string, string>[]) {
      const base = testDeps({ env: {}, fetch: async () => new Response('ok') });
      const deps = guardDeps(base);
      await expect(deps.fetch('http://192.0.2.1/v1', { headers })).rejects.toMatchObject({ exitCode: 2 });
      deps.io.out.write('record-token-value-1\n');
      expect(base.stdout()).toBe(Object.keys(headers)[0]!.toLowerCase() === 'authorization' ? '[redacted]\n' : 'record-token-value-1\n');
    }
  });

  it('passes a request without a credential, and refuses nothing on loopback', async () => {
    const sent: string[] = [];
    const deps = guardDeps(testDeps({ env: {}, fetch: async (input) => (sent.push(String(input)), new Response('ok')) }));
    await deps.fetch('http://192.0.2.1/v1', { headers: { accept: 'application/json' } });
    await deps.fetch('http://127.0.0.1:1/v1', { headers: { authorization: 'Bearer some-token-value' } });
    expect(sent).toHaveLength(2);
  });
});

describe('capResponse', () => {
  const stream = (chunks: number, size: number) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < chunks; i++) controller.enqueue(new Uint8Array(size));
        controller.close();
      },
    });

  it('passes a body under the cap untouched', async () => {
    const response = capResponse(new Response(stream(4, 100)), 'http://x/', 1000);
    expect((await response.arrayBuffer()).byteLength).toBe(400);
  });

  it('errors the body as soon as it passes the cap, with an error found again among causes', async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(1024));
      },
    });
    const response = capResponse(new Response(endless), 'http://x/discovery', 10 * 1024);
    const failure = await response.json().catch((error: unknown) => error);
    expect(tooLargeCause(new Error('wrapped', { cause: failure }))?.exitCode).toBe(4);
    expect(pulled).toBeLessThan(64);
  });

  it('refuses a declared Content-Length over the cap before reading', () => {
    const response = new Response(stream(1, 10), { headers: { 'content-length': '999999' } });
    expect(() => capResponse(response, 'http://x/', 1000)).toThrow(/larger than/);
  });

  it('leaves the body to a caller that reads at most its own cap within the guard\'s, and counts it for any other', async () => {
    // An endless chunked body: only counting while reading (the guard's or the caller's) stops it.
    const endless = () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            controller.enqueue(new Uint8Array(64 * 1024));
          },
        }),
      );
    const answers: Response[] = [];
    const deps = guardDeps(testDeps({ env: {}, fetch: async () => (answers.push(endless()), answers.at(-1)!) }));
    const declared = await deps.fetch('http://127.0.0.1:1/v1', { [READS_AT_MOST]: MAX_RESPONSE_BYTES / 2 } as RequestInit);
    expect(declared).toBe(answers[0]);
    await declared.body!.cancel();
    for (const init of [undefined, { [READS_AT_MOST]: MAX_RESPONSE_BYTES * 2 }, { [READS_AT_MOST]: Number.NaN }] as (RequestInit | undefined)[]) {
      const counted = await deps.fetch('http://127.0.0.1:1/v1', init);
      expect(counted).not.toBe(answers.at(-1));
      expect(tooLargeCause(await counted.arrayBuffer().catch((error: unknown) => error))).toBeDefined();
    }
  });

  it('still refuses a declared Content-Length over the cap when the caller reads at most its own', async () => {
    const deps = guardDeps(testDeps({ env: {}, fetch: async () => new Response(stream(1, 10), { headers: { 'content-length': String(MAX_RESPONSE_BYTES + 1) } }) }));
    await expect(deps.fetch('http://127.0.0.1:1/v1', { [READS_AT_MOST]: 1024 } as RequestInit)).rejects.toThrow(/larger than/);
  });
});
