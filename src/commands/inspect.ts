/**
 * `scopes inspect`: what is inside a token — header, claims, scopes, times — with a fingerprint in place of the
 * token. `--verify` checks the signature with the issuer's keys (jose) and iss/aud/exp; `--introspect` and
 * `--userinfo` ask the server (openid-client).
 */
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { scopesFromClaims, scopesFromIntrospection, type ScopeClaim } from '../core/carriers.js';
import { decodeToken, formatFingerprint, normalizeToken, type DecodedToken, type OpaqueKind } from '../core/jwt.js';
import { describeExpiry, describeInstant } from '../core/time.js';
import type { Deps, GlobalOptions } from '../deps.js';
import { AuthError, ExitCode, noSession, UsageError } from '../errors.js';
import { pad, styleFor, type Style } from '../render/style.js';
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

interface Inspection {
  readonly label: string;
  readonly token: string;
  readonly decoded: DecodedToken;
  readonly fingerprint: string;
  readonly scopes: string[];
  readonly scopeClaim: ScopeClaim | null;
  readonly roles: string[];
  readonly expiresAt: string | null;
  readonly expired: boolean;
  verified: boolean | null;
  verifiedBy?: string;
  verifyError?: string;
  introspection: Record<string, unknown> | null;
  userinfo?: Record<string, unknown>;
}

const TIME_CLAIMS = ['exp', 'iat', 'nbf', 'auth_time'] as const;

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
  if (secrets.idToken) found.push({ label: 'id token', raw: secrets.idToken });
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
  let jwksUri = profile.issuer === issuer ? profile.jwksUri : undefined;
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

export async function runInspect(deps: Deps, globals: GlobalOptions, options: InspectOptions): Promise<number> {
  const context = await commandContext(deps, globals);
  const inputs = await tokensToInspect(context, options);
  const inspections = inputs.map(({ label, raw }) => inspectOne(label, raw, deps.now()));
  for (const inspection of inspections) {
    if (options.verify) await verify(context, inspection, options.issuer);
    if (options.introspect || options.userinfo) await askServer(context, inspection, options);
  }
  if (globals.json) {
    const [first, ...rest] = inspections.map((inspection) => inspectionJson(inspection, options.showToken, deps.now()));
    deps.io.out.write(`${JSON.stringify(rest.length ? { ...first, idToken: rest[0] } : first)}\n`);
  } else {
    const style = styleFor(deps.io.out);
    deps.io.out.write(inspections.map((inspection) => renderInspection(inspection, options.showToken, deps.now(), style)).join('\n'));
  }
  const failed = inspections.find((inspection) => inspection.verified === false);
  if (failed) {
    throw new AuthError('verification_failed', `The ${failed.label} did not verify${failed.verifiedBy ? ` with the keys of ${failed.verifiedBy}` : ''}: ${failed.verifyError}.`);
  }
  return ExitCode.ok;
}

function describeKind(kind: OpaqueKind | null): string {
  return kind ? `${kind.provider} ${kind.description}` : 'no well-known prefix';
}

function inspectionJson(inspection: Inspection, showToken: boolean, now: Date) {
  const { decoded } = inspection;
  return {
    format: decoded.format,
    header: decoded.format === 'opaque' ? {} : decoded.header,
    claims: decoded.format === 'jwt' ? decoded.claims : {},
    scopes: inspection.scopes,
    scopeClaim: inspection.scopeClaim,
    roles: inspection.roles,
    expiresAt: inspection.expiresAt,
    expired: inspection.expired,
    expires: decoded.format === 'jwt' && inspection.expiresAt ? describeExpiry(decoded.claims.exp, now) : null,
    verified: inspection.verified,
    ...(inspection.verifiedBy ? { verifiedBy: inspection.verifiedBy } : {}),
    ...(inspection.verifyError ? { verifyError: inspection.verifyError } : {}),
    introspection: inspection.introspection,
    ...(inspection.userinfo ? { userinfo: inspection.userinfo } : {}),
    ...(decoded.format === 'opaque' ? { kind: decoded.kind } : {}),
    fingerprint: inspection.fingerprint,
    ...(showToken ? { token: inspection.token } : {}),
  };
}

function renderInspection(inspection: Inspection, showToken: boolean, now: Date, style: Style): string {
  const { decoded } = inspection;
  const lines: string[] = [style.bold(inspection.label)];
  const row = (name: string, value: string) => lines.push(`  ${pad(name, 12)} ${value}`);
  row('format', decoded.format === 'jwt' ? `JWT (${String(decoded.header.alg ?? '?')}${decoded.header.typ ? `, typ ${String(decoded.header.typ)}` : ''})` : decoded.format === 'jwe' ? 'JWE: encrypted, its claims cannot be read without the key' : 'opaque');
  row('fingerprint', inspection.fingerprint);
  if (decoded.format === 'opaque') {
    row('kind', describeKind(decoded.kind));
    if (decoded.kind?.bypassesScopes) lines.push(`  ${style.warn('warning:')} this is an API key: it bypasses scope checks entirely; scopes apply to OAuth tokens only.`);
    if (decoded.kind?.scopesVia) lines.push(style.dim(`  Its scopes can be read from ${decoded.kind.scopesVia}.`));
    if (!inspection.introspection) lines.push(style.dim('  An opaque token says nothing about itself: ask the server with --introspect (RFC 7662).'));
  }
  if (decoded.format === 'jwe') row('header', JSON.stringify(decoded.header));
  if (decoded.format === 'jwt') {
    const claims = decoded.claims;
    if (claims.iss !== undefined) row('issuer', String(claims.iss));
    if (claims.aud !== undefined) row('audience', Array.isArray(claims.aud) ? claims.aud.join(' ') : String(claims.aud));
    if (claims.sub !== undefined) row('subject', String(claims.sub));
    if (claims.client_id !== undefined) row('client', String(claims.client_id));
    if (inspection.scopeClaim) row('scopes', `${inspection.scopes.join(' ') || '(empty)'} ${style.dim(`(from "${inspection.scopeClaim}")`)}`);
    else row('scopes', style.warn('none: the token carries no scope claim (scope, scp or roles); some providers then grant full access'));
    if (inspection.roles.length && inspection.scopeClaim !== 'roles') row('roles', inspection.roles.join(' '));
    for (const name of TIME_CLAIMS) {
      if (claims[name] === undefined) continue;
      const instant = describeInstant(claims[name], now);
      const text = name === 'exp' ? describeExpiry(claims[name], now) : instant.relative;
      row(name, instant.valid ? `${instant.iso}  ${name === 'exp' && instant.past ? style.warn(text) : style.dim(text)}` : style.warn('invalid time'));
    }
    row('header', JSON.stringify(decoded.header));
    const shown = new Set(['iss', 'aud', 'sub', 'client_id', 'scope', 'scp', 'roles', ...TIME_CLAIMS]);
    const rest = Object.fromEntries(Object.entries(claims).filter(([key]) => !shown.has(key)));
    if (Object.keys(rest).length) row('claims', JSON.stringify(rest));
  }
  if (inspection.verified === true) row('verified', style.ok(`yes, with the keys of ${inspection.verifiedBy}`));
  if (inspection.verified === false) row('verified', style.bad(`no: ${inspection.verifyError}`));
  if (inspection.introspection) {
    const active = inspection.introspection.active === true;
    row('introspect', active ? style.ok('active') : style.bad('not active'));
    if (active && typeof inspection.introspection.scope === 'string') row('  scope', inspection.introspection.scope);
    const rest = Object.fromEntries(Object.entries(inspection.introspection).filter(([key]) => key !== 'active' && key !== 'scope'));
    if (Object.keys(rest).length) row('  claims', JSON.stringify(rest));
  }
  if (inspection.userinfo) row('userinfo', JSON.stringify(inspection.userinfo));
  if (showToken) row('token', inspection.token);
  return `${lines.join('\n')}\n`;
}

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
