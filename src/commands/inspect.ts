/**
 * `scopes inspect`: what is inside a token — header, claims, scopes, times — with a fingerprint in place of the
 * token. `--verify` checks the signature with the issuer's keys (jose) and iss/aud/exp; `--introspect` and
 * `--userinfo` ask the server (openid-client).
 */
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { scopesFromClaims, scopesFromIntrospection } from '../core/carriers.js';
import { formatFingerprint, normalizeToken } from '../core/jwt.js';
import { decodeToken, describeScopes, providersFor } from '../providers/index.js';
import { parseScopes } from '../core/scopes.js';
import { widthOf } from '../render/table.js';
import { describeInstant } from '../core/time.js';
import type { Deps, GlobalOptions } from '../deps.js';
import { AuthError, ExitCode, NetworkError, noSession, UsageError } from '../errors.js';
import { inspectionJson, renderInspection, type Inspection } from '../render/inspect.js';
import { registerSecret } from '../io/guard.js';
import { checkTransport } from '../io/transport.js';
import { styleFor } from '../render/style.js';
import { clientSecret, credentialKey, resolveStorage } from '../session.js';
import { commandContext, type CommandContext } from './context.js';
import { jsonText } from '../render/json.js';

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
    registerSecret(deps, normalizeToken(raw));
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

/**
 * Checks the signature with the issuer's published keys, and iss, exp/nbf and (where the profile says what to expect)
 * aud. The issuer is `--issuer`, else the profile's, else the one the token names: a pinned issuer makes a token from
 * another one fail. Only a refusal of the token itself sets `verified: false`; keys that cannot be fetched are a
 * NetworkError (exit 4), since they say nothing about the token.
 */
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
  const ownIssuer = profile.issuer !== undefined && issuer === profile.issuer;
  const oauth = await import('../io/oauth.js');
  // The profile's keys serve its own issuer only; any other issuer is asked (discovery) for its own.
  let jwksUri = ownIssuer ? profile.jwksUri : undefined;
  if (jwksUri !== undefined) checkTransport(jwksUri, "The profile's jwksUri");
  else {
    const config = await oauth.connect({ issuer, clientId: 'scopes-inspect' }, { fetch: context.deps.fetch });
    jwksUri = config.serverMetadata().jwks_uri;
    if (!jwksUri) throw new UsageError(`${issuer} publishes no jwks_uri: its tokens cannot be verified here.`);
  }
  const jose = await import('jose');
  const jwks = jose.createRemoteJWKSet(new URL(jwksUri), { [jose.customFetch]: context.deps.fetch } as Parameters<typeof jose.createRemoteJWKSet>[1]);
  const audience = ownIssuer || profile.issuer === undefined ? expectedAudience(context, inspection) : undefined;
  inspection.verifiedBy = issuer;
  try {
    await jose.jwtVerify(inspection.token, jwks, { issuer, ...(audience ? { audience } : {}), currentDate: context.deps.now() });
    inspection.verified = true;
  } catch (error) {
    // fetch itself failed (refused, bad port, DNS): the adapter names the cause.
    if (error instanceof TypeError) throw oauth.translateOAuthError(error, `fetching the keys of ${issuer} (${jwksUri})`);
    if (keysUnavailable(error)) {
      throw new NetworkError('jwks_unavailable', `Cannot use the keys of ${issuer} at ${jwksUri}: ${(error as Error).message}.`, { cause: error });
    }
    const code = (error as { code?: unknown }).code;
    inspection.verified = false;
    inspection.verifyError = `${(error as Error).message}${typeof code === 'string' ? ` (${code})` : ''}`;
  }
}

/**
 * True when jose could not get a usable key set (timeout, not 200, not JSON, not a JWKS), as opposed to
 * having judged the token. A key set without the token's key (ERR_JWKS_NO_MATCHING_KEY) is a judgement: the issuer
 * did not sign it.
 */
function keysUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JWKS_INVALID' || code === 'ERR_JOSE_GENERIC';
}

/**
 * The audience the profile expects, or undefined when it says nothing. An id token's audience is the client; an
 * access token's the resource (RFC 8707) or Auth0-style audience the profile asks for. A pasted token addressed to
 * the client is judged as an id token.
 */
function expectedAudience(context: CommandContext, inspection: Inspection): string[] | undefined {
  const { profile } = context.resolved;
  const claims = inspection.decoded.format === 'jwt' ? inspection.decoded.claims : {};
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (profile.clientId && (inspection.label === ID_TOKEN || aud.includes(profile.clientId))) return [profile.clientId];
  const resources = [...(profile.resource ?? []), ...(profile.audience ? [profile.audience] : [])];
  return resources.length ? resources : undefined;
}

const withoutSlash = (url: string) => url.replace(/\/+$/, '');

/**
 * --introspect and --userinfo: the profile's server is asked, as the profile's client (its secret from
 * clientSecretEnv). `--issuer` pins verification only: the client's secret and the token go to the profile's server,
 * never to another, and a JWT that names another issuer is not sent at all.
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2 (introspection)
 * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
 */
async function askServer(context: CommandContext, inspection: Inspection, options: InspectOptions): Promise<void> {
  const { profile, name } = context.resolved;
  const asked = options.introspect ? '--introspect' : '--userinfo';
  if (!profile.issuer && !profile.tokenEndpoint) {
    throw new UsageError(`${asked} asks the profile's server, and profile "${name}" names none.`, {
      hint: 'Set issuer (or explicit endpoints), clientId and, for a confidential client, clientSecretEnv in the profile; or pass --profile.',
    });
  }
  const claimedIssuer = inspection.decoded.format === 'jwt' ? inspection.decoded.claims.iss : undefined;
  if (typeof claimedIssuer === 'string' && profile.issuer !== undefined && withoutSlash(claimedIssuer) !== withoutSlash(profile.issuer)) {
    throw new UsageError(`The token was issued by ${claimedIssuer}, not by the profile's issuer ${profile.issuer}: it is not sent there.`, {
      hint: 'Use a profile for the issuer that issued the token.',
    });
  }
  const oauth = await import('../io/oauth.js');
  const config = await oauth.connect({ ...profile, clientId: profile.clientId ?? 'scopes-inspect' }, { fetch: context.deps.fetch, clientSecret: clientSecret(profile, context.deps) });
  const metadata = config.serverMetadata();
  if (options.introspect) {
    if (!metadata.introspection_endpoint) throw new UsageError(`${metadata.issuer} offers no introspection endpoint (RFC 7662).`);
    try {
      inspection.introspection = scopesFromIntrospection(await oauth.client.tokenIntrospection(config, inspection.token)).claims;
    } catch (error) {
      throw oauth.translateOAuthError(error, 'the introspection');
    }
  }
  if (options.userinfo) {
    if (!metadata.userinfo_endpoint) throw new UsageError(`${metadata.issuer} offers no userinfo endpoint.`);
    try {
      inspection.userinfo = (await oauth.client.fetchUserInfo(config, inspection.token, oauth.client.skipSubjectCheck)) as Record<string, unknown>;
    } catch (error) {
      throw oauth.translateOAuthError(error, 'the userinfo request');
    }
  }
}

/**
 * What the token's scopes (its claims', and introspection's) mean, from the catalogue of the provider its prefix or
 * issuer names, or the profile's preset: the explanation `scopes diff` gives. An opaque token is the profile's
 * issuer's; a JWT names its own.
 */
function describeTokenScopes(context: CommandContext, inspection: Inspection): Record<string, string> {
  const { profile } = context.resolved;
  const claims = inspection.decoded.format === 'jwt' ? inspection.decoded.claims : undefined;
  const issuer = claims === undefined ? profile.issuer : typeof claims.iss === 'string' ? claims.iss : undefined;
  const introspected = inspection.introspection?.active === true && typeof inspection.introspection.scope === 'string' ? parseScopes(inspection.introspection.scope) : [];
  return describeScopes([...inspection.scopes, ...introspected], providersFor({ token: inspection.token, issuers: [issuer], preset: profile.preset }));
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
  if (options.issuer !== undefined && !options.verify) context.warn('--issuer pins whose keys --verify uses; without --verify it changes nothing.');
  const inputs = await tokensToInspect(context, options);
  const inspections = inputs.map(({ label, raw }) => inspectOne(label, raw, deps.now()));
  for (const inspection of inspections) {
    if (options.verify) await verify(context, inspection, options.issuer);
    // Introspection and userinfo take an access token; an id token is for the client to read, not to present.
    const askable = inspection.label !== ID_TOKEN;
    if (askable && (options.introspect || options.userinfo)) await askServer(context, inspection, options);
    inspection.descriptions = describeTokenScopes(context, inspection);
  }
  // --show-token is the one way inspect prints a token: that output alone passes the redaction layer untouched.
  const write = (text: string) => (options.showToken ? (deps.io.out.writeSecret ?? deps.io.out.write) : deps.io.out.write)(text);
  if (globals.json) {
    const [first, ...rest] = inspections.map((inspection) => inspectionJson(inspection, options.showToken, deps.now()));
    write(jsonText(deps.io.out, rest.length ? { ...first, idToken: rest[0] } : first));
  } else {
    const style = styleFor(deps.io.out);
    write(inspections.map((inspection) => renderInspection(inspection, options.showToken, deps.now(), style, widthOf(deps.io.out))).join('\n'));
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
