/** Issue 12, point 13: the browser's page after a login names the profile and issuer, looks different when scopes were refused, and reads in dark mode. */
import { describe, expect, it } from 'vitest';
import { successPage } from '../../src/commands/login.js';
import { grantReport } from '../../src/core/grant.js';
import { compileRules } from '../../src/core/scopes.js';
import { renderPage } from '../../src/io/loopback.js';

const report = (requested: string[], granted: string[]) => grantReport({ requested, granted, rules: compileRules({}), assumed: false, source: 'token-response' });

describe('the page after login', () => {
  it('is green with a ✓ when everything asked for was granted', () => {
    const html = renderPage(successPage('default', 'https://auth.example.com', report(['videos:read', 'jobs:read'], ['videos:read', 'jobs:read'])));
    expect(html).toContain('<title>scopes: Logged in</title>');
    expect(html).toContain('<main class="ok"><h1><span class="mark" aria-hidden="true">✓</span>Logged in</h1>');
    expect(html).toContain('--tone:#1a7f37');
    expect(html).not.toContain('Not granted');
    expect(html).not.toContain('--add-scope');
  });

  it('is amber, lists what was refused first and how to ask again, when some scopes were not granted', () => {
    const html = renderPage(successPage('work', 'https://auth.example.com', report(['videos:read', 'export:write', 'jobs:read'], ['videos:read'])));
    expect(html).toContain('<title>scopes: Logged in, but 2 scopes were not granted</title>');
    expect(html).toContain('<main class="partial">');
    expect(html).toContain('--tone:#9a6700');
    expect(html.indexOf('<h2>Not granted</h2>')).toBeLessThan(html.indexOf('<h2>Granted</h2>'));
    expect(html).toContain('<code>export:write</code>');
    expect(html).toContain('To ask for them again: scopes login --profile work --add-scope &quot;export:write jobs:read&quot;');
  });

  it('names the profile and the issuer', () => {
    const html = renderPage(successPage('work', 'https://auth.example.com', report(['openid'], ['openid'])));
    expect(html).toContain('<dt>Profile</dt><dd><code>work</code></dd><dt>Issuer</dt><dd><code>https://auth.example.com</code></dd>');
  });

  it('has colours for dark mode, and tells the browser it supports both schemes', () => {
    const html = renderPage(successPage('default', 'https://a.example', report(['a'], [])));
    expect(html).toContain('<meta name="color-scheme" content="light dark">');
    expect(html).toMatch(/@media \(prefers-color-scheme: dark\)\{:root\{--fg:#e6edf3;--bg:#0d1117;[^}]*--tone:#d29922/);
  });

  it('escapes what it shows (an issuer or scope is not HTML)', () => {
    const html = renderPage(successPage('default', 'https://a.example/<script>', report(['<b>x'], [])));
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>x');
    expect(html).toContain('&lt;script&gt;');
  });

  it('a failed login stays red', () => {
    const html = renderPage({ ok: false, title: 'Login failed', lines: ['See the terminal for what went wrong.'] });
    expect(html).toContain('<main class="error"><h1><span class="mark" aria-hidden="true">✗</span>Login failed</h1>');
    expect(html).toContain('--tone:#cf222e');
  });
});
