/**
 * The OS keychain for real: a Secret Service (gnome-keyring under dbus-run-session in CI). Where none exists these
 * tests skip, except in CI, where a skip would hide a broken keychain path: there they fail instead.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeychainSecretStore } from '../../src/io/store/keychain.js';
import type { CredentialKey } from '../../src/io/store/types.js';
import { createSandbox, type Sandbox } from '../support/cli.js';
import { startTestProvider, type TestProvider } from '../support/provider.js';

const service = `scopes-test-${process.pid}-${Date.now().toString(36)}`;

async function secretServiceAvailable(): Promise<string | undefined> {
  try {
    await new KeychainSecretStore(service).probe();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const unavailable = await secretServiceAvailable();
if (unavailable && process.env.CI === 'true') {
  throw new Error(`CI must run the keychain tests, but no Secret Service answered: ${unavailable}`);
}

describe.skipIf(unavailable !== undefined)('keychain storage (real Secret Service)', () => {
  const key: CredentialKey = { profile: 'default', issuer: 'http://127.0.0.1:1', clientId: 'keychain-test' };
  const store = new KeychainSecretStore(service);

  it('round-trips secrets, keeping a token far over the 2,560-byte credential limit in chunks', async () => {
    const bigJwt = `eyJhbGciOiJSUzI1NiJ9.${'a'.repeat(9000)}.sig`;
    await store.write(key, { refreshToken: 'rt-1', accessToken: bigJwt, idToken: `id.${'b'.repeat(3000)}.sig`, expiresAt: 123, scope: ['a', 'b'], tokenType: 'Bearer' });
    expect(await store.read(key)).toEqual({ refreshToken: 'rt-1', accessToken: bigJwt, idToken: `id.${'b'.repeat(3000)}.sig`, expiresAt: 123, scope: ['a', 'b'], tokenType: 'Bearer' });
    await store.write(key, { refreshToken: 'rt-2', accessToken: 'short' });
    expect(await store.read(key)).toMatchObject({ refreshToken: 'rt-2', accessToken: 'short' });
    await store.delete(key);
    expect(await store.read(key)).toBeUndefined();
  });

  describe('with the real provider', () => {
    let provider: TestProvider;
    let box: Sandbox;
    beforeAll(async () => {
      provider = await startTestProvider();
      box = await createSandbox({ storage: 'keychain', env: { SCOPES_KEYCHAIN_SERVICE: service } });
    });
    afterAll(async () => {
      await provider.close();
      await box.cleanup();
    });

    it('logs in, refreshes and logs out with every secret in the keychain and none on disk', async () => {
      const login = await box.run(['login', '--issuer', provider.issuer, '--client-id', provider.publicClientId, '--scope', 'openid offline_access videos:read', '--resource', provider.resource, '--timeout', '20']);
      expect(login.code, login.stderr).toBe(0);
      expect(login.stdout).toContain('refresh token stored in the keychain');
      const stateDir = join(box.home, 'state', 'scopes');
      expect(await readdir(stateDir)).not.toContain('secrets');

      const profileKey: CredentialKey = { profile: 'default', issuer: provider.issuer, clientId: provider.publicClientId };
      const stored = await store.read(profileKey);
      expect(stored?.refreshToken).toBeTruthy();

      const token = await box.run(['token', '--force-refresh']);
      expect(token.code, token.stderr).toBe(0);
      expect(token.stdout.trim()).toBe((await store.read(profileKey))?.accessToken);
      expect((await store.read(profileKey))?.refreshToken).not.toBe(stored?.refreshToken);

      // Eight processes at once: the chunked keychain entries must never hand one of them a glued or stale token.
      const concurrent = await Promise.all(Array.from({ length: 8 }, () => box.run(['token', '--force-refresh'])));
      for (const result of concurrent) {
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      }
      expect((await box.run(['token', '--force-refresh'])).code).toBe(0);
      expect(provider.events.filter((event) => event.name === 'grant.revoked')).toEqual([]);

      const logout = await box.run(['logout']);
      expect(logout.code, logout.stderr).toBe(0);
      expect(await store.read(profileKey)).toBeUndefined();
    }, 90_000); // a dozen processes, each talking to the Secret Service over D-Bus
  });
});

describe('an unreachable keychain', () => {
  // A D-Bus address with nothing behind it: what a headless server or a container without a session bus looks like.
  const noBus = { SCOPES_STORAGE: 'keychain', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };

  it('fails login with exit 3 before any browser opens, naming --storage file', async () => {
    const provider = await startTestProvider();
    const box = await createSandbox({ storage: 'keychain', env: { ...noBus, SCOPES_UA_LOG: '/nonexistent/never-written' } });
    try {
      const result = await box.run(['login', '--issuer', provider.issuer, '--client-id', provider.publicClientId, '--scope', 'openid', '--timeout', '5']);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('The OS keychain cannot be reached');
      expect(result.stderr).toContain('--storage file');
      expect(result.stderr).not.toContain('/auth?'); // no login was started
      // No silent fallback: nothing was written anywhere else.
      expect(await readdir(join(box.home, 'state', 'scopes')).catch(() => [])).toEqual([]);
    } finally {
      await provider.close();
      await box.cleanup();
    }
  });

  it('fails token with exit 3 and the same advice', async () => {
    const box = await createSandbox({ storage: 'keychain', env: noBus });
    try {
      const { writeFile, mkdir } = await import('node:fs/promises');
      await mkdir(join(box.home, 'config', 'scopes'), { recursive: true });
      await writeFile(join(box.home, 'config', 'scopes', 'config.json'), JSON.stringify({ profiles: { default: { issuer: 'http://127.0.0.1:1', clientId: 'x' } } }));
      const result = await box.run(['token']);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('--storage file');
      expect(result.stdout).toBe('');
    } finally {
      await box.cleanup();
    }
  });
});
