/**
 * `scopes inspect`: what is inside a token — header, claims, scopes, times — with a fingerprint in place of the
 * token. `--verify` checks the signature with the issuer's keys (jose) and iss/aud/exp; `--introspect` and
 * `--userinfo` ask the server (openid-client).
 */
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { scopesFromClaims, scopesFromIntrospection } from '../core/carriers.js';
import { decodeToken, formatFingerprint, normalizeToken } from '../core/jwt.js';
import { describeInstant } from '../core/time.js';
import type { Deps, GlobalOptions } from '../deps.js';
import { AuthError, ExitCode, noSession, UsageError } from '../errors.js';
import { inspectionJson, renderInspection, type Inspection } from '../render/inspect.js';
import { styleFor } from '../render/style.js';
import { clientSecret, credentialKey, resolveStorage } from '../session.js';
import { commandContext, type CommandContext } from './context.js';

export interface InspectOptions {
  /** The token, `-` for stdin, or undefined for SCOPES_TOKEN / the profile's tokens. */
  readonly token?: string | undefined;
  readonly verify: boolean;
  readonly issuer?: string | undefined;
  readonly introspect: boolean;
  readonly userinfo: boolean;
  readonly showToken: boolean;
}

const ID_TOKEN = 'id token';

function inspectOne(label: string, raw: string, now: Date): Inspection {
  const token = normalizeToken(raw);
  const decoded = decodeToken(token);
  const fingerprint = formatFingerprint(createHash('sha256').update(token).digest());
  const claims = decoded.format === 'jwt' ? scopesFromClaims(decoded.claims) : { scopes: [], claim: null, roles: [] };
  const exp = decoded.format === 'jwt' ? describeInstant(decoded.claims.exp, now) : undefined;
  return {
    label,
    token,
    decoded,
    fingerprint,
    scopes: claims.scopes,
    scopeClaim: claims.claim,
    roles: claims.roles,
    expiresAt: exp?.valid ? exp.iso : null,
    expired: Boolean(exp?.valid && exp.past),
    verified: null,
    introspection: null,
  };
}

/** The tokens to look at: the argument, SCOPES_TOKEN, or the profile's stored access and id tokens (never refreshed). */
async function tokensToInspect(context: CommandContext, options: InspectOptions): Promise<{ label: string; raw: string }[]> {
  const { deps } = context;
  if (options.token !== undefined) {
    const raw = options.token === '-' ? await deps.io.readStdin() : options.token;
    return [{ label: 'token', raw }];
  }
  const fromEnv = deps.env.SCOPES_TOKEN?.trim();
  if (fromEnv) return [{ label: 'SCOPES_TOKEN', raw: fromEnv }];
  const { name, profile } = context.resolved;
  const key = credentialKey(name, profile);
  if (!key) throw noSession(name);
  const secrets = await deps.store(resolveStorage(undefined, deps, profile)).read(key);
  if (!secrets?.accessToken && !secrets?.idToken) throw noSession(name);
  const found: { label: string; raw: string }[] = [];
  if (secrets.accessToken) found.push({ label: 'access token', raw: secrets.accessToken });
  if (secrets.idToken) found.push({ label: ID_TOKEN, raw: secrets.idToken });
  return found;
}

/** Checks signature, iss, exp/nbf and (where the profile says what to expect) aud, with the issuer's published keys. */
async function verify(context: CommandContext, inspection: Inspection, pinnedIssuer: string | undefined): Promise<void> {
  if (inspection.decoded.format !== 'jwt') {
    inspection.verified = false;
    inspection.verifyError = `a${inspection.decoded.format === 'jwe' ? 'n encrypted' : 'n opaque'} token has no signature to verify here; try --introspect`;
    return;
  }
  const { profile } = context.resolved;
  const claimedIssuer = typeof inspection.decoded.claims.iss === 'string' ? inspection.decoded.claims.iss : undefined;
  const issuer = pinnedIssuer ?? profile.issuer ?? claimedIssuer;
  if (!issuer) throw new UsageError('The token names no issuer (iss) and none is pinned: pass --issuer URL to say whose keys should verify it.');
  const oauth = await import('../io/oauth.js');
  // The profile's keys serve its own issuer; an issuer pinned to another is asked for its own keys.
  let jwksUri = !pinnedIssuer || pinnedIssuer === profile.issuer ? profile.jwksUri : undefined;
  if (!jwksUri) {
    const config = await oauth.connect({ issuer, clientId: profile.clientId ?? 'scopes-inspect' }, { fetch: context.deps.fetch });
    jwksUri = config.serverMetadata().jwks_uri;
    if (!jwksUri) throw new UsageError(`${issuer} publishes no jwks_uri: its tokens cannot be verified here.`);
  }
  const jose = await import('jose');
  const jwks = jose.createRemoteJWKSet(new URL(jwksUri), { [jose.customFetch]: context.deps.fetch } as Parameters<typeof jose.createRemoteJWKSet>[1]);
  const audience = expectedAudience(context, inspection);
  try {
    await jose.jwtVerify(inspection.token, jwks, { issuer, ...(audience ? { audience } : {}), currentDate: context.deps.now() });
    inspection.verified = true;
    inspection.verifiedBy = issuer;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_JWKS_TIMEOUT' || (error instanceof TypeError && /fetch/.test(error.message))) throw oauth.translateOAuthError(error, 'fetching the issuer keys');
    inspection.verified = false;
    inspection.verifyError = `${(error as Error).message}${code ? ` (${code})` : ''}`;
    inspection.verifiedBy = issuer;
  }
}

/** An id token's audience is the client; an access token's the resource the profile asks for. Unknown: not checked. */
function expectedAudience(context: CommandContext, inspection: Inspection): string[] | undefined {
  const { profile } = context.resolved;
  const claims = inspection.decoded.format === 'jwt' ? inspection.decoded.claims : {};
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (profile.clientId && aud.includes(profile.clientId)) return [profile.clientId];
  const resources = [...(profile.resource ?? []), ...(profile.audience ? [profile.audience] : [])];
  return resources.length ? resources : undefined;
}

async function askServer(context: CommandContext, inspection: Inspection, options: InspectOptions): Promise<void> {
  const { profile } = context.resolved;
  const oauth = await import('../io/oauth.js');
  const issuer = options.issuer ?? profile.issuer;
  if (!issuer && !profile.tokenEndpoint) throw new UsageError('--introspect and --userinfo need a profile with an issuer (or explicit endpoints).');
  const config = await oauth.connect({ ...profile, ...(issuer ? { issuer } : {}), clientId: profile.clientId ?? 'scopes-inspect' }, { fetch: context.deps.fetch, clientSecret: clientSecret(profile, context.deps) });
  if (options.introspect) {
    if (!config.serverMetadata().introspection_endpoint) throw new UsageError('The server offers no introspection endpoint (RFC 7662).');
    try {
      const body = await oauth.client.tokenIntrospection(config, inspection.token);
      const read = scopesFromIntrospection(body);
      inspection.introspection = read.claims;
    } catch (error) {
      throw oauth.translateOAuthError(error, 'the introspection');
    }
  }
  if (options.userinfo) {
    try {
      inspection.userinfo = (await oauth.client.fetchUserInfo(config, inspection.token, oauth.client.skipSubjectCheck)) as Record<string, unknown>;
    } catch (error) {
      throw oauth.translateOAuthError(error, 'the userinfo request');
    }
  }
}

/**
 * `scopes inspect`: reads the token (argument, `-` for stdin, SCOPES_TOKEN, else the profile's stored access and id
 * tokens, never refreshed) and prints what it holds. Exit 0 when read, expired or not.
 * @throws UsageError (2) when the input is not a token; AuthError (3) with no session, or when --verify refuses the
 * token (signature, iss, aud, exp, nbf); NetworkError (4) when the issuer's discovery or keys cannot be fetched.
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-7.2 (validating a JWT)
 * @see https://www.rfc-editor.org/rfc/rfc7662 (introspection)
 */
export async function runInspect(deps: Deps, globals: GlobalOptions, options: InspectOptions): Promise<number> {
  const context = await commandContext(deps, globals);
  const inputs = await tokensToInspect(context, options);
  const inspections = inputs.map(({ label, raw }) => inspectOne(label, raw, deps.now()));
  for (const inspection of inspections) {
    if (options.verify) await verify(context, inspection, options.issuer);
    // Introspection and userinfo take an access token; an id token is for the client to read, not to present.
    const askable = inspection.label !== ID_TOKEN;
    if (askable && (options.introspect || options.userinfo)) await askServer(context, inspection, options);
  }
  if (globals.json) {
    const [first, ...rest] = inspections.map((inspection) => inspectionJson(inspection, options.showToken, deps.now()));
    deps.io.out.write(`${JSON.stringify(rest.length ? { ...first, idToken: rest[0] } : first)}\n`);
  } else {
    const style = styleFor(deps.io.out);
    deps.io.out.write(inspections.map((inspection) => renderInspection(inspection, options.showToken, deps.now(), style)).join('\n'));
  }
  const failed = inspections.find((inspection) => inspection.verified === false);
  if (!failed) return ExitCode.ok;
  const refusal = new AuthError(
    'verification_failed',
    `The ${failed.label} did not verify${failed.verifiedBy ? ` with the keys of ${failed.verifiedBy}` : ''}: ${failed.verifyError}.`,
  );
  if (!globals.json) throw refusal;
  // The report above is the one JSON document stdout may hold (it carries verified: false and the reason), so the
  // refusal goes to stderr only, instead of main adding an error document after it.
  context.info(`error: ${refusal.message}`);
  return refusal.exitCode;
}

/** The commander action of `scopes inspect`: its flags to {@link InspectOptions}, resolving to the exit code. */
export const inspectAction = (deps: Deps, globalsOf: (command: Command, deps: Deps) => GlobalOptions) => (command: Command) => {
  const o = command.opts<{ verify?: boolean; issuer?: string; introspect?: boolean; userinfo?: boolean; showToken?: boolean }>();
  return runInspect(deps, globalsOf(command, deps), {
    token: command.processedArgs[0] as string | undefined,
    verify: Boolean(o.verify),
    issuer: o.issuer,
    introspect: Boolean(o.introspect),
    userinfo: Boolean(o.userinfo),
    showToken: Boolean(o.showToken),
  });
};
