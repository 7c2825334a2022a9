import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

  it('listens on ::1 only for a [::1] redirect URI', async () => {
    await withListener(async (listener) => {
      expect(listener.hosts).toEqual(['::1']);
      const port = new URL(listener.redirectUri).port;
      const next = listener.next();
      const answer = fetch(`http://[::1]:${port}/cb?code=c&state=the-state`);
      (await next).respond({ ok: true, title: 'ok', lines: [] });
      expect((await answer).status).toBe(200);
    }, 'http://[::1]/cb');
  });

  it('listens on both loopback families, on one port, for a localhost redirect URI', async () => {
    await withListener(async (listener, strays) => {
      expect(listener.hosts).toEqual(['127.0.0.1', '::1']);
      const port = new URL(listener.redirectUri).port;
      expect((await fetch(`http://127.0.0.1:${port}/cb?state=wrong`)).status).toBe(400);
      expect((await fetch(`http://[::1]:${port}/cb?state=wrong`)).status).toBe(400);
      expect(strays).toHaveLength(2);
    }, 'http://localhost/cb');
  });

  it('refuses a localhost redirect URI whose port another process holds on ::1, naming the family', async () => {
    const squatter = createServer((_request, response) => response.end('a local process that wants the code'));
    await new Promise<void>((resolve) => squatter.listen(0, '::1', resolve));
    const port = (squatter.address() as AddressInfo).port;
    try {
      const attempt = startCallbackListener({ expectedState: 's', redirectUri: `http://localhost:${port}/cb` });
      await expect(attempt).rejects.toThrow(UsageError);
      await expect(attempt).rejects.toThrow(/\[::1\]/);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('keeps delivering callbacks with the right state until one is answered ok, then answers "already done"', async () => {
    await withListener(async (listener) => {
      const first = listener.next();
      const forged = fetch(`${listener.redirectUri}?code=forged&state=the-state`);
      (await first).respond({ ok: false, title: 'This response could not be used', lines: [] });
      expect((await forged).status).toBe(400);
      const second = listener.next();
      const real = fetch(`${listener.redirectUri}?code=real&state=the-state`);
      const callback = await second;
      expect(callback.url.searchParams.get('code')).toBe('real');
      callback.respond({ ok: true, title: 'ok', lines: [] });
      expect((await real).status).toBe(200);
      expect((await fetch(`${listener.redirectUri}?code=late&state=the-state`)).status).toBe(409);
    });
  });
});
