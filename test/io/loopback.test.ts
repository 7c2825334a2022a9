import { describe, expect, it } from 'vitest';
import { parseRedirectUri, renderPage, startCallbackListener } from '../../src/io/loopback.js';
import { UsageError } from '../../src/errors.js';

async function withListener(test: (listener: Awaited<ReturnType<typeof startCallbackListener>>, strays: string[]) => Promise<void>, redirectUri?: string) {
  const strays: string[] = [];
  const listener = await startCallbackListener({ expectedState: 'the-state', redirectUri, onStray: (reason) => strays.push(reason) });
  try {
    await test(listener, strays);
  } finally {
    await listener.close();
  }
}

describe('the loopback redirect listener', () => {
  it('listens on 127.0.0.1 with an ephemeral port and the /callback path by default', async () => {
    await withListener(async (listener) => {
      expect(listener.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    });
  });

  it.each([
    { description: 'another path', path: '/other?state=the-state&code=x', status: 404, stray: 'another path than the redirect path' },
    { description: 'no state', path: '/callback?code=x', status: 400, stray: 'without state' },
    { description: 'a wrong state', path: '/callback?code=x&state=forged', status: 400, stray: 'does not match' },
    { description: 'two states', path: '/callback?code=x&state=the-state&state=forged', status: 400, stray: 'does not match' },
    { description: 'an error with a wrong state', path: '/callback?error=access_denied&state=forged', status: 400, stray: 'does not match' },
  ])('answers $description with an error page and keeps waiting', async ({ path, status, stray }) => {
    await withListener(async (listener, strays) => {
      const base = new URL(listener.redirectUri);
      const response = await fetch(new URL(path, base));
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(strays.join('\n')).toContain(stray);
      // The real callback still completes the flow afterwards.
      const next = listener.next();
      const real = fetch(`${listener.redirectUri}?code=real&state=the-state`);
      const callback = await next;
      expect(callback.url.searchParams.get('code')).toBe('real');
      callback.respond({ ok: true, title: 'Logged in', lines: ['Granted: a b'] });
      const page = await real;
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Granted: a b');
    });
  });

  it('refuses methods other than GET and answers a second valid callback as already done', async () => {
    await withListener(async (listener) => {
      expect((await fetch(`${listener.redirectUri}?state=the-state`, { method: 'POST' })).status).toBe(405);
      const next = listener.next();
      const first = fetch(`${listener.redirectUri}?code=1&state=the-state`);
      (await next).respond({ ok: true, title: 'ok', lines: [] });
      expect((await first).status).toBe(200);
      expect((await fetch(`${listener.redirectUri}?code=2&state=the-state`)).status).toBe(409);
    });
  });

  it('uses a fixed port and path from a configured redirect URI', async () => {
    const probe = await startCallbackListener({ expectedState: 's' });
    const port = new URL(probe.redirectUri).port;
    await probe.close();
    await withListener(async (listener) => {
      expect(listener.redirectUri).toBe(`http://localhost:${port}/cb`);
    }, `http://localhost:${port}/cb`);
  });

  it.each(['https://127.0.0.1/cb', 'http://example.com/cb', 'http://0.0.0.0:8080/cb', 'not a url'])('refuses the redirect URI %s', (uri) => {
    expect(() => parseRedirectUri(uri)).toThrow(UsageError);
  });

  it('escapes what it puts into the page', () => {
    const html = renderPage({ ok: false, title: '<script>x</script>', lines: ['"a" & \'b\' <img>'] });
    expect(html).not.toContain('<script>x');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('&quot;a&quot; &amp; &#39;b&#39; &lt;img&gt;');
  });
});
