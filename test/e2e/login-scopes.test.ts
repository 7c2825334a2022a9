/**
 * What `login` tells the user about the scopes it asks for, read from the user's screen (stderr) of the real binary
 * against the real provider: a typo caught before the browser opens, an `invalid_scope` answer explained with the
 * line that leaves the culprit out, and openid / offline_access that a narrower login would drop.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../support/cli.js';
import { endToEnd } from '../support/e2e.js';

const e2e = endToEnd();

const sandbox = () => e2e.sandbox();

const login = (box: Sandbox, scopes: string, extra: string[] = []) =>
  box.run(['login', '--issuer', e2e.provider.issuer, '--client-id', e2e.provider.publicClientId, '--resource', e2e.provider.resource, '--scope', scopes, '--timeout', '20', ...extra]);

describe('scopes checked before the browser opens', () => {
  it('stops a misspelt scope with "did you mean" and exit 2, before any request to the authorization endpoint', async () => {
    const box = await sandbox();
    const before = e2e.provider.events.length;
    const result = await login(box, 'openid offline_access vidoes:read');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("The server does not list this scope in its scopes_supported:\n  vidoes:read  (did you mean videos:read?)");
    expect(result.stderr).toContain('the browser was not opened');
    expect(result.stderr).toContain(`With the suggested names: scopes login --issuer ${e2e.provider.issuer} --client-id ${e2e.provider.publicClientId} --resource ${e2e.provider.resource} --scope 'openid offline_access videos:read'`);
    expect(result.stderr).toContain('add --force');
    expect(result.stderr).not.toContain('/auth?');
    expect(e2e.provider.events.slice(before).some((event) => event.name.startsWith('interaction') || event.name.startsWith('authorization'))).toBe(false);
  });

  it("only warns about the profile's saved scopes, which a server accepted before; what is typed now is checked strictly", async () => {
    const box = await sandbox();
    await mkdir(join(box.home, 'config', 'scopes'), { recursive: true });
    const profile = { issuer: e2e.provider.issuer, clientId: e2e.provider.publicClientId, resource: [e2e.provider.resource], scopes: ['openid', 'videos:read', 'tools:admin'] };
    await writeFile(join(box.home, 'config', 'scopes', 'config.json'), JSON.stringify({ profiles: { default: profile } }));
    const saved = await box.run(['login', '--timeout', '20']);
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stderr).toContain('warning: The profile asks for tools:admin, which the server does not list in scopes_supported.');

    const typed = await box.run(['login', '--add-scope', 'usage:reed', '--timeout', '20']);
    expect(typed.code).toBe(2);
    expect(typed.stderr).toContain('usage:reed  (did you mean usage:read?)');
  });

  it('asks anyway with --force, and after invalid_scope names the scope the server does not list and the line without it', async () => {
    const box = await sandbox();
    // A look-alike character (é) pasted into a scope: oidc-provider rejects it with invalid_scope (RFC 6749 §3.3 syntax).
    const result = await login(box, 'openid offline_access vidéos:read', ['--force']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('vidéos:read  (did you mean videos:read?)');
    expect(result.stderr).toContain('Asking anyway (--force).');
    expect(result.stderr).toContain('invalid_scope');
    expect(result.stderr).toContain("Not in the server's scopes_supported: vidéos:read");
    expect(result.stderr).toContain(`Without it: scopes login --issuer ${e2e.provider.issuer} --client-id ${e2e.provider.publicClientId} --resource ${e2e.provider.resource} --scope 'openid offline_access'`);
  });
});

describe('dropping openid / offline_access', () => {
  it('says what a login without offline_access costs, and --keep-oidc keeps both', async () => {
    const box = await sandbox();
    expect((await login(box, 'openid offline_access videos:read')).code).toBe(0);

    // As the README's recipe does: --scope "$(scopes minimal …)" names only API scopes.
    const narrowed = await login(box, 'videos:read', ['--json']);
    expect(narrowed.code, narrowed.stderr).toBe(0);
    expect(narrowed.stderr).toContain('This login drops offline_access, which the last login asked for: no refresh token: when the access token expires you must run `scopes login` again');
    expect(narrowed.stderr).toContain('This login drops openid');
    expect(narrowed.stderr).toContain('Add --keep-oidc to keep it.');
    expect(JSON.parse(narrowed.stdout).refreshToken).toBe(false);

    // The profile's last login is now the narrow one; log in fully again, then narrow with --keep-oidc.
    expect((await login(box, 'openid offline_access videos:read')).code).toBe(0);
    const kept = await login(box, 'videos:read', ['--keep-oidc', '--json']);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stderr).toContain('Keeping openid and offline_access from the last login (--keep-oidc).');
    expect(kept.stderr).not.toContain('This login drops');
    const json = JSON.parse(kept.stdout);
    expect(json.requested).toEqual(['videos:read', 'openid', 'offline_access']);
    expect(json.refreshToken).toBe(true);
  });
});
