import type { StorageKind } from '../../core/profile.js';

/** What a credential holds. Every field is a secret; none of it is ever written outside a SecretStore. */
export interface Secrets {
  readonly refreshToken?: string | undefined;
  readonly accessToken?: string | undefined;
  readonly idToken?: string | undefined;
  /** When the access token expires, epoch seconds; kept with the token so the two never disagree. */
  readonly expiresAt?: number | undefined;
  readonly tokenType?: string | undefined;
  /** The scopes of this access token, which may be narrower than the grant. */
  readonly scope?: readonly string[] | undefined;
}

/** Which credential: the same profile name pointed at another issuer or client is another credential. */
export interface CredentialKey {
  readonly profile: string;
  readonly issuer: string;
  readonly clientId: string;
}

export interface SecretStore {
  readonly kind: StorageKind;
  /** A short human description, e.g. `keychain (service "scopes")`. */
  readonly description: string;
  read(key: CredentialKey): Promise<Secrets | undefined>;
  write(key: CredentialKey, secrets: Secrets): Promise<void>;
  delete(key: CredentialKey): Promise<void>;
  /**
   * Where the refresh token is an entry of its own (the keychain): read or replace only it, keeping the rest. Used
   * right after a rotation, when every millisecond before the new refresh token is stored counts (SECURITY.md).
   */
  readRefreshToken?(key: CredentialKey): Promise<string | undefined>;
  writeRefreshToken?(key: CredentialKey, refreshToken: string): Promise<void>;
}

export const credentialAccount = (key: CredentialKey): string => `${key.profile}|${key.issuer}|${key.clientId}`;
