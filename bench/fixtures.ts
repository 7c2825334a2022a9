/** Inputs the rows generate for themselves: an isolated home with a cached token, documents, a loopback API. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSecretStore } from '../src/io/store/file.js';

export interface BenchHome {
  readonly dir: string;
  /** The environment of a user of that home: file storage, no colour, none of the caller's SCOPES_* variables. */
  readonly env: NodeJS.ProcessEnv;
  cleanup(): void;
}

const ISSUER = 'http://127.0.0.1:9';
const CLIENT_ID = 'bench';

/** A home whose default profile holds a valid access token (an hour left) in file storage. */
export async function homeWithCachedToken(): Promise<BenchHome> {
  const dir = mkdtempSync(join(tmpdir(), 'scopes-bench-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('SCOPES_') && key !== 'FORCE_COLOR') env[key] = value;
  Object.assign(env, { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_STATE_HOME: join(dir, 'state'), SCOPES_STORAGE: 'file', NO_COLOR: '1' });
  mkdirSync(join(dir, 'config', 'scopes'), { recursive: true });
  writeFileSync(join(dir, 'config', 'scopes', 'config.json'), JSON.stringify({ profiles: { default: { issuer: ISSUER, clientId: CLIENT_ID } } }));
  // Written by the store the CLI reads, so the bench never restates where or how secrets are kept.
  await new FileSecretStore(join(dir, 'state', 'scopes')).write(
    { profile: 'default', issuer: ISSUER, clientId: CLIENT_ID },
    { accessToken: 'bench-cached-access-token', refreshToken: 'bench-refresh-token', expiresAt: Math.floor(Date.now() / 1000) + 3600, scope: ['openid'], tokenType: 'Bearer' },
  );
  return { dir, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An unsigned JWT-shaped token carrying `scope`: what check and probe read the granted scopes from. */
export function jwtWithScopes(scopes: readonly string[]): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'bench', scope: scopes.join(' '), exp: Math.floor(Date.now() / 1000) + 3600 })}.`;
}
