/**
 * Readers for the ways APIs say "your token lacks a scope" (SPEC `scopes probe`; standards.md §3, §7). Each dialect
 * takes a response as plain data and returns a {@link Finding} or null; {@link readScopeFinding} runs them all and
 * merges what they found. Pure: the caller does the request (and fetches any `resourceMetadata` URL).
 *
 * Semantics differ by source and are kept in `required` (groups of alternatives: any one group suffices, each group
 * needs all of its scopes): RFC 6750 and MCP challenges list scopes that are ALL needed (one group); Google's challenge,
 * GitHub's `X-Accepted-OAuth-Scopes`, Slack's `needed` and GitHub GraphQL's "one of the following" list ALTERNATIVES
 * (one group per scope).
 */

import {
  excerpt,
  findBearer,
  formatChallenge,
  parseWwwAuthenticate,
  readAcrValues,
  readError,
  readMaxAge,
  readResourceMetadata,
  readScope,
  type Challenge,
} from './challenges.js';
import { parseScopes } from './scopes.js';

/** A response as plain data. */
export interface ProbeResponse {
  readonly status: number;
  /** Header names lowercased; a repeated header as an array of its lines. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body as text; may be empty or huge (JSON above {@link MAX_JSON_CHARS} is not parsed). */
  readonly body: string;
}

/** What the caller knows besides the response. */
export interface ReadOptions {
  /** The token's granted scopes when the caller knows them; used only where the response does not say. */
  readonly granted?: readonly string[];
  /** Strings never to repeat in evidence (the access token, should a server echo it): shown as `[redacted]`. */
  readonly secrets?: readonly string[];
}

/** The `outcome` values of SPEC `scopes probe` that a response can decide (`ok`, `error`, `skipped` are the caller's). */
export type FindingOutcome = 'missing_scope' | 'step_up' | 'unauthorized' | 'forbidden';

/** What a response says about the token's scopes (SPEC `scopes probe` result, before the caller adds `missing`). */
export interface Finding {
  readonly outcome: FindingOutcome;
  /** Groups of alternatives (any one group suffices, each group all of it); [] when the response does not say. */
  readonly required: string[][];
  /** Which parts of the response told it, as a person would quote them; `secrets` are redacted, controls escaped. */
  readonly evidence: string[];
  /** The dialect that decided: `rfc6750`, `rfc9470`, `google`, `github-rest`, `github-graphql`, `slack`, … */
  readonly dialect: string;
  /** RFC 9728 `resource_metadata` URL, unchecked: the caller fetches it (and checks its `resource`). */
  readonly resourceMetadata?: string;
  /** RFC 9470 step-up parameters, to pass on as OIDC request parameters. */
  readonly stepUp?: { readonly acrValues?: string[]; readonly maxAge?: number };
  /** The scopes the response says the token holds (GitHub `X-OAuth-Scopes`, Slack `provided`, message text). */
  readonly granted?: string[];
  readonly note?: string;
  /** What was odd about the response (a malformed header, a body too large to read, a dialect that failed). */
  readonly warnings?: string[];
}

/** One dialect's reader: null when the response is not in its dialect or says nothing about authorization. */
export type Dialect = (response: ProbeResponse, options?: ReadOptions) => Finding | null;

/** Bodies longer than this many characters are not parsed as JSON. */
export const MAX_JSON_CHARS = 1 << 20;

const MAX_EVIDENCE_CHARS = 300;
/** Requirements multiply out (CNF to DNF) fast; past this many groups the remaining ones are dropped with a note. */
const MAX_GROUPS = 64;

// ---------------------------------------------------------------------------------------------------------------
// The response, read once

type JsonRecord = Readonly<Record<string, unknown>>;

interface Context {
  readonly status: number;
  header(name: string): string | undefined;
  readonly challenges: readonly Challenge[];
  readonly json: unknown;
  readonly warnings: readonly string[];
  evidence(text: string): string;
  readonly options: ReadOptions;
}

const isRecord = (value: unknown): value is JsonRecord => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An own property only: `constructor` or `__proto__` in hostile JSON is data, never the prototype's. */
const get = (value: unknown, key: string): unknown => (isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined);

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const isHttpStatus = (status: unknown): status is number => typeof status === 'number' && Number.isInteger(status);

const headerLines = (headers: unknown, name: string): string[] | undefined => {
  if (!isRecord(headers)) return undefined;
  let value = get(headers, name);
  if (value === undefined) {
    // Names should arrive lowercased; tolerate a caller that kept the server's case.
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name) {
        value = headers[key];
        break;
      }
    }
  }
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((line): line is string => typeof line === 'string');
  return undefined;
};

const parseJson = (body: string, warnings: string[]): unknown => {
  if (body.length > MAX_JSON_CHARS) {
    warnings.push(`body of ${body.length} characters is larger than ${MAX_JSON_CHARS}; not read as JSON`);
    return undefined;
  }
  let start = 0;
  while (start < body.length && (body.charCodeAt(start) <= 0x20 || body.charCodeAt(start) === 0xfeff)) start++;
  const first = body[start];
  if (first !== '{' && first !== '[') return undefined;
  try {
    return JSON.parse(body.slice(start)) as unknown;
  } catch {
    return undefined;
  }
};

const redactor = (secrets: unknown): ((value: string) => string) => {
  // Short strings would redact ordinary words; a token is never that short.
  const usable = Array.isArray(secrets) ? secrets.filter((secret): secret is string => typeof secret === 'string' && secret.length >= 8) : [];
  return (value) => usable.reduce((redacted, secret) => redacted.split(secret).join('[redacted]'), value);
};

const contextOf = (response: ProbeResponse, options: ReadOptions = {}): Context => {
  const status = isHttpStatus(get(response, 'status')) ? (response.status as number) : 0;
  const headers: unknown = get(response, 'headers');
  const body = text(get(response, 'body')) ?? '';
  const warnings: string[] = [];

  let challenges: readonly Challenge[] = [];
  const authenticate = headerLines(headers, 'www-authenticate');
  if (authenticate !== undefined && authenticate.length > 0) {
    const parsed = parseWwwAuthenticate(authenticate);
    challenges = parsed.challenges;
    warnings.push(...parsed.warnings.map((warning) => `WWW-Authenticate: ${warning}`));
    if (!parsed.ok) warnings.push(`${parsed.error.message} Challenges before it were read.`);
  }

  const redact = redactor(get(options, 'secrets'));
  return {
    status,
    header: (name) => headerLines(headers, name)?.join(', '),
    challenges,
    json: body === '' ? undefined : parseJson(body, warnings),
    warnings,
    evidence: (value) => excerpt(redact(value), MAX_EVIDENCE_CHARS),
    options: isRecord(options) ? (options as ReadOptions) : {},
  };
};

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

/** A JSON excerpt for evidence, with long strings cut before they are serialised. */
const jsonEvidence = (value: unknown): string =>
  JSON.stringify(value, (_key, item: unknown) => (typeof item === 'string' && item.length > MAX_EVIDENCE_CHARS ? `${item.slice(0, MAX_EVIDENCE_CHARS)}…` : item)) ??
  '';

const alternatives = (scopes: readonly string[]): string[][] => scopes.map((scope) => [scope]);

const allOf = (scopes: readonly string[]): string[][] => (scopes.length === 0 ? [] : [[...scopes]]);

/** The OAuth challenge: Bearer, else DPoP (RFC 9449 uses the same error codes). */
const oauthChallenge = (ctx: Context): Challenge | undefined =>
  findBearer(ctx.challenges) ?? ctx.challenges.find((challenge) => challenge.scheme === 'dpop');

/** `resource_metadata` from the OAuth challenge, else from any challenge (RFC 9728 §5.1 allows it on DPoP too). */
const resourceMetadataOf = (ctx: Context): string | undefined => {
  const preferred = oauthChallenge(ctx);
  const fromPreferred = preferred === undefined ? undefined : readResourceMetadata(preferred);
  if (fromPreferred !== undefined) return fromPreferred;
  for (const challenge of ctx.challenges) {
    const url = readResourceMetadata(challenge);
    if (url !== undefined) return url;
  }
  return undefined;
};

const challengeEvidence = (ctx: Context, challenge: Challenge): string => ctx.evidence(`WWW-Authenticate: ${formatChallenge(challenge, 200)}`);

/** Builds a finding without undefined members, adding the context's warnings. */
const finding = (
  ctx: Context,
  base: { outcome: FindingOutcome; required: string[][]; evidence: string[]; dialect: string },
  extra: {
    resourceMetadata?: string | undefined;
    stepUp?: Finding['stepUp'];
    granted?: string[] | undefined;
    note?: string | undefined;
    warnings?: readonly string[];
  } = {},
): Finding => {
  const warnings = [...ctx.warnings, ...(extra.warnings ?? [])];
  return {
    ...base,
    ...(extra.resourceMetadata === undefined ? {} : { resourceMetadata: extra.resourceMetadata }),
    ...(extra.stepUp === undefined ? {} : { stepUp: extra.stepUp }),
    ...(extra.granted === undefined ? {} : { granted: extra.granted }),
    ...(extra.note === undefined ? {} : { note: extra.note }),
    ...(warnings.length === 0 ? {} : { warnings }),
  };
};

const indexOfIgnoringCase = (haystack: string, needle: string, from = 0): number => haystack.toLowerCase().indexOf(needle.toLowerCase(), from);

/** Items of a `['a', 'b']` list that starts after `phrase` (GitHub GraphQL messages), or undefined. */
const bracketListAfter = (message: string, phrase: string): string[] | undefined => {
  const at = indexOfIgnoringCase(message, phrase);
  if (at === -1) return undefined;
  const open = message.indexOf('[', at + phrase.length);
  if (open === -1 || message.slice(at + phrase.length, open).trim() !== '') return undefined;
  const close = message.indexOf(']', open);
  if (close === -1) return undefined;
  const items = message
    .slice(open + 1, close)
    .split(',')
    .map((item) => stripQuotes(item.trim()))
    .filter((item) => item !== '');
  return parseScopes(items);
};

const QUOTES = `'"\``;
const stripQuotes = (value: string): string =>
  value.length >= 2 && QUOTES.includes(value[0]!) && value[value.length - 1] === value[0] ? value.slice(1, -1).trim() : value;

/** Substrings between matching quotes (`"`, `'`, `` ` ``, or curly double quotes) in order of appearance. */
const quotedParts = (message: string): string[] => {
  const parts: string[] = [];
  let i = 0;
  while (i < message.length) {
    const char = message[i]!;
    const closing = char === '“' ? '”' : QUOTES.includes(char) ? char : undefined;
    if (closing === undefined) {
      i++;
      continue;
    }
    const end = message.indexOf(closing, i + 1);
    if (end === -1) break;
    const part = message.slice(i + 1, end).trim();
    // An apostrophe in prose ("token's") would pair with a later one: a scope has no spaces, so skip such spans.
    if (part !== '' && !part.includes(' ')) parts.push(part);
    i = end + 1;
  }
  return parts;
};

/**
 * All of several requirements, each in groups-of-alternatives form: the product of their groups, with duplicate and
 * redundant (superset) groups removed. Requirements with no groups say nothing and are skipped.
 */
const conjoin = (requirements: readonly string[][][]): { required: string[][]; truncated: boolean } => {
  let groups: string[][] | undefined;
  let truncated = false;
  for (const requirement of requirements) {
    if (requirement.length === 0) continue;
    if (groups === undefined) {
      groups = requirement;
      continue;
    }
    if (groups.length * requirement.length > MAX_GROUPS) {
      truncated = true;
      break;
    }
    const product = new Map<string, string[]>();
    for (const group of groups) {
      for (const alternative of requirement) {
        const merged = [...new Set([...group, ...alternative])].sort();
        product.set(merged.join(' '), merged);
      }
    }
    const candidates = [...product.values()];
    groups = candidates.filter(
      (group) => !candidates.some((other) => other.length < group.length && other.every((scope) => group.includes(scope))),
    );
  }
  return { required: groups ?? [], truncated };
};

// ---------------------------------------------------------------------------------------------------------------
// Dialects (internal form, on a context read once)

const GOOGLE_REALM = 'https://accounts.google.com';
const GOOGLE_SCOPE_REASONS = new Set(['ACCESS_TOKEN_SCOPE_INSUFFICIENT', 'insufficientPermissions']);

interface GoogleBody {
  readonly reasons: { readonly path: string; readonly reason: string }[];
  readonly googleShaped: boolean;
}

const googleBody = (json: unknown): GoogleBody => {
  const error = get(json, 'error');
  const reasons: { path: string; reason: string }[] = [];
  let googleShaped = false;
  const details = get(error, 'details');
  if (Array.isArray(details)) {
    details.slice(0, 50).forEach((detail: unknown, index) => {
      if (text(get(detail, '@type'))?.startsWith('type.googleapis.com/') === true) googleShaped = true;
      const reason = text(get(detail, 'reason'));
      if (reason !== undefined) reasons.push({ path: `error.details[${index}].reason`, reason });
    });
  }
  const errors = get(error, 'errors');
  if (Array.isArray(errors)) {
    errors.slice(0, 50).forEach((item: unknown, index) => {
      const reason = text(get(item, 'reason'));
      if (reason === undefined) return;
      if (text(get(item, 'domain')) !== undefined) googleShaped = true;
      reasons.push({ path: `error.errors[${index}].reason`, reason });
    });
  }
  return { reasons, googleShaped };
};

const isGoogleRealm = (challenge: Challenge | undefined): boolean => {
  const realm = challenge === undefined ? undefined : challenge.params.realm;
  return typeof realm === 'string' && (realm === GOOGLE_REALM || realm.startsWith(`${GOOGLE_REALM}/`));
};

const isGoogle = (ctx: Context): boolean => isGoogleRealm(findBearer(ctx.challenges)) || googleBody(ctx.json).googleShaped;

const google = (ctx: Context): Finding | null => {
  if (ctx.status !== 401 && ctx.status !== 403) return null;
  const bearer = findBearer(ctx.challenges);
  const body = googleBody(ctx.json);
  if (!isGoogleRealm(bearer) && !body.googleShaped) return null;

  const evidence: string[] = [];
  if (bearer !== undefined) evidence.push(challengeEvidence(ctx, bearer));
  for (const { path, reason } of body.reasons) evidence.push(ctx.evidence(`body ${path}: ${JSON.stringify(reason)}`));
  const message = text(get(get(ctx.json, 'error'), 'message'));
  if (message !== undefined) evidence.push(ctx.evidence(`body error.message: ${JSON.stringify(message)}`));
  const dialect = 'google';

  const scopeGap =
    (bearer !== undefined && readError(bearer) === 'insufficient_scope') || body.reasons.some(({ reason }) => GOOGLE_SCOPE_REASONS.has(reason));
  if (scopeGap) {
    const scopes = bearer === undefined ? undefined : readScope(bearer);
    if (scopes === undefined || scopes.length === 0) {
      return finding(ctx, { outcome: 'missing_scope', required: [], evidence, dialect }, {
        note: 'Google names the scopes it would accept only in the WWW-Authenticate challenge, which did not list any.',
      });
    }
    return finding(ctx, { outcome: 'missing_scope', required: alternatives(scopes), evidence, dialect }, {
      note: scopes.length > 1 ? "Google's challenge lists alternatives: any one of these scopes suffices." : undefined,
    });
  }
  if (ctx.status === 401) return finding(ctx, { outcome: 'unauthorized', required: [], evidence, dialect });
  const reasons = body.reasons.map(({ reason }) => reason);
  return finding(ctx, { outcome: 'forbidden', required: [], evidence, dialect }, {
    note: reasons.length === 0 ? 'Google refused without saying a scope is missing.' : `Google's reason ${reasons.map((r) => JSON.stringify(r)).join(', ')} is not a missing scope.`,
  });
};

const stepUp = (ctx: Context): Finding | null => {
  if (ctx.status < 400) return null;
  const challenge = oauthChallenge(ctx);
  if (challenge === undefined || readError(challenge) !== 'insufficient_user_authentication') return null;
  const warnings: string[] = [];
  const acrValues = readAcrValues(challenge);
  const maxAge = readMaxAge(challenge, warnings);
  const scopes = readScope(challenge) ?? [];
  return finding(ctx, { outcome: 'step_up', required: allOf(scopes), evidence: [challengeEvidence(ctx, challenge)], dialect: 'rfc9470' }, {
    resourceMetadata: resourceMetadataOf(ctx),
    stepUp: { ...(acrValues === undefined || acrValues.length === 0 ? {} : { acrValues }), ...(maxAge === undefined ? {} : { maxAge }) },
    note: 'The server wants a stronger or more recent sign-in, not another scope: log in again with these acr_values / max_age.',
    warnings,
  });
};

const rfc6750 = (ctx: Context): Finding | null => {
  if (ctx.status < 400) return null;
  const challenge = oauthChallenge(ctx);
  if (challenge === undefined || isGoogle(ctx)) return null;
  const error = readError(challenge);
  if (error === 'insufficient_user_authentication') return null;
  const scopes = readScope(challenge);
  const base = { evidence: [challengeEvidence(ctx, challenge)], dialect: 'rfc6750' };
  const resourceMetadata = resourceMetadataOf(ctx);

  if (error === 'insufficient_scope') {
    return finding(ctx, { ...base, outcome: 'missing_scope', required: allOf(scopes ?? []) }, {
      resourceMetadata,
      note:
        scopes === undefined || scopes.length === 0
          ? 'The challenge does not name the scope it needs.'
          : 'RFC 6750: every scope of the challenge is needed.',
    });
  }
  if (ctx.status === 401) {
    let note: string | undefined;
    if (error === 'insufficient_claims') note = 'A claims challenge (Entra Continuous Access Evaluation): sign in again, passing its `claims`.';
    else if (scopes !== undefined && scopes.length > 0) note = "The 401 challenge's scope is what the server asks for at sign-in (MCP).";
    return finding(ctx, { ...base, outcome: 'unauthorized', required: allOf(scopes ?? []) }, { resourceMetadata, note });
  }
  if (ctx.status === 403) return finding(ctx, { ...base, outcome: 'forbidden', required: [] }, { resourceMetadata });
  return null;
};

const githubRest = (ctx: Context): Finding | null => {
  if (ctx.status !== 403 && ctx.status !== 404) return null;
  const acceptedHeader = ctx.header('x-accepted-oauth-scopes');
  if (acceptedHeader === undefined) return null;
  const grantedHeader = ctx.header('x-oauth-scopes');
  const accepted = parseScopes(acceptedHeader, { commas: true });
  const grantedFromHeader = grantedHeader === undefined ? undefined : parseScopes(grantedHeader, { commas: true });
  const granted = grantedFromHeader ?? (Array.isArray(ctx.options.granted) ? parseScopes(ctx.options.granted) : undefined);

  const evidence = [ctx.evidence(`X-Accepted-OAuth-Scopes: ${acceptedHeader}`)];
  if (grantedHeader !== undefined) evidence.push(ctx.evidence(`X-OAuth-Scopes: ${grantedHeader}`));
  const message = text(get(ctx.json, 'message'));
  if (message !== undefined) evidence.push(ctx.evidence(`body message: ${JSON.stringify(message)}`));
  const base = { evidence, dialect: 'github-rest' };
  const extra = { granted: grantedFromHeader };

  if (ctx.status === 403 && ctx.header('x-ratelimit-remaining')?.trim() === '0') {
    evidence.push('X-RateLimit-Remaining: 0');
    return finding(ctx, { ...base, outcome: 'forbidden', required: [] }, { ...extra, note: 'GitHub refused because the rate limit is spent, not for a scope.' });
  }
  if (accepted.length === 0) {
    if (ctx.status === 404) return null;
    return finding(ctx, { ...base, outcome: 'forbidden', required: [] }, {
      ...extra,
      note: 'GitHub checks no OAuth scope here: the refusal has another cause (repository or organisation permissions, SSO).',
    });
  }
  const held = granted?.find((scope) => accepted.includes(scope));
  if (held !== undefined) {
    if (ctx.status === 404) return null;
    return finding(ctx, { ...base, outcome: 'forbidden', required: [] }, {
      ...extra,
      note: `The token holds the accepted scope "${held}": the refusal has another cause (repository or organisation permissions, SSO).`,
    });
  }
  const notes = [accepted.length > 1 ? 'GitHub lists alternatives: any one of the accepted scopes suffices.' : undefined];
  if (ctx.status === 404) notes.push('GitHub answers 404 instead of 403 where the token may not see a resource.');
  if (grantedFromHeader === undefined) {
    notes.push('X-OAuth-Scopes is absent, so the granted scopes are not known (fine-grained and GitHub App tokens carry permissions, not scopes).');
  }
  return finding(ctx, { ...base, outcome: 'missing_scope', required: alternatives(accepted) }, {
    ...extra,
    note: notes.filter((note) => note !== undefined).join(' ') || undefined,
  });
};

const githubGraphql = (ctx: Context): Finding | null => {
  const errors = get(ctx.json, 'errors');
  if (!Array.isArray(errors)) return null;
  const requirements: string[][][] = [];
  const evidence: string[] = [];
  let granted: string[] | undefined;
  errors.slice(0, 100).forEach((error: unknown, index) => {
    if (get(error, 'type') !== 'INSUFFICIENT_SCOPES') return;
    const message = text(get(error, 'message')) ?? '';
    evidence.push(ctx.evidence(`body errors[${index}]: ${jsonEvidence({ type: 'INSUFFICIENT_SCOPES', message })}`));
    const needed = bracketListAfter(message, 'requires one of the following scopes:');
    if (needed !== undefined) requirements.push(alternatives(needed));
    granted ??= bracketListAfter(message, 'granted the:');
  });
  if (evidence.length === 0) return null;
  const { required, truncated } = conjoin(requirements);
  const notes: string[] = [];
  if (required.length > 1) notes.push('GitHub GraphQL lists alternatives: any one of the scopes named for a field suffices.');
  if (requirements.length === 0) notes.push('The error does not name the scopes it needs.');
  if (truncated) notes.push(`Too many combinations of the fields' scopes; only the first fields are counted.`);
  return finding(ctx, { outcome: 'missing_scope', required, evidence, dialect: 'github-graphql' }, {
    granted,
    note: notes.length === 0 ? undefined : notes.join(' '),
  });
};

const SLACK_UNAUTHORIZED = new Set(['not_authed', 'invalid_auth', 'token_revoked', 'token_expired', 'account_inactive']);
const SLACK_FORBIDDEN = new Set(['no_permission', 'not_allowed_token_type', 'ekm_access_denied', 'access_denied']);

const slack = (ctx: Context): Finding | null => {
  if (get(ctx.json, 'ok') !== false) return null;
  const error = text(get(ctx.json, 'error'));
  if (error === undefined) return null;
  const needed = text(get(ctx.json, 'needed'));
  const provided = text(get(ctx.json, 'provided'));
  const evidence = [
    ctx.evidence(
      `body ${jsonEvidence({ ok: false, error, ...(needed === undefined ? {} : { needed }), ...(provided === undefined ? {} : { provided }) })}`,
    ),
  ];
  const granted = provided === undefined ? undefined : parseScopes(provided, { commas: true });
  const dialect = 'slack';
  if (error === 'missing_scope') {
    const scopes = needed === undefined ? [] : parseScopes(needed, { commas: true });
    return finding(ctx, { outcome: 'missing_scope', required: alternatives(scopes), evidence, dialect }, {
      granted,
      note:
        scopes.length === 0
          ? 'Slack did not say which scope is needed.'
          : scopes.length > 1
            ? "Slack's needed lists alternatives: any one of them suffices."
            : undefined,
    });
  }
  if (SLACK_UNAUTHORIZED.has(error)) return finding(ctx, { outcome: 'unauthorized', required: [], evidence, dialect });
  if (SLACK_FORBIDDEN.has(error)) return finding(ctx, { outcome: 'forbidden', required: [], evidence, dialect });
  return null;
};

const gitlab = (ctx: Context): Finding | null => {
  const error = get(ctx.json, 'error');
  if (error !== 'insufficient_scope' && error !== 'invalid_token') return null;
  const scope = text(get(ctx.json, 'scope'));
  const description = text(get(ctx.json, 'error_description'));
  const evidence = [
    ctx.evidence(
      `body ${jsonEvidence({ error, ...(description === undefined ? {} : { error_description: description }), ...(scope === undefined ? {} : { scope }) })}`,
    ),
  ];
  const dialect = 'rfc6750-body';
  if (error === 'invalid_token') return finding(ctx, { outcome: 'unauthorized', required: [], evidence, dialect });
  const scopes = scope === undefined ? [] : parseScopes(scope);
  return finding(ctx, { outcome: 'missing_scope', required: allOf(scopes), evidence, dialect }, {
    note:
      scopes.length === 0
        ? 'The body does not name the scope it needs.'
        : 'Read as all of these, as in an RFC 6750 challenge; GitLab often lists scopes that would each do (api covers read_api), which implication rules reduce.',
  });
};

const SHOPIFY_PHRASE = 'requires merchant approval for ';

const shopify = (ctx: Context): Finding | null => {
  const errors = get(ctx.json, 'errors');
  const messages: string[] = [];
  const collect = (value: unknown): void => {
    if (messages.length >= 50) return;
    if (typeof value === 'string') messages.push(value);
    else if (isRecord(value) && typeof get(value, 'message') === 'string') messages.push(value.message as string);
  };
  if (Array.isArray(errors)) errors.slice(0, 50).forEach(collect);
  else if (isRecord(errors)) {
    for (const value of Object.values(errors).slice(0, 50)) {
      if (Array.isArray(value)) value.slice(0, 50).forEach(collect);
      else collect(value);
    }
  } else collect(errors);

  const scopes: string[] = [];
  const evidence: string[] = [];
  for (const message of messages) {
    const at = indexOfIgnoringCase(message, SHOPIFY_PHRASE);
    if (at === -1) continue;
    const start = at + SHOPIFY_PHRASE.length;
    let end = start;
    while (end < message.length && message.charCodeAt(end) > 0x20) end++;
    if (end === start || !message.startsWith(' scope', end)) continue;
    scopes.push(message.slice(start, end));
    evidence.push(ctx.evidence(`body errors: ${JSON.stringify(message)}`));
  }
  if (evidence.length === 0) return null;
  return finding(ctx, { outcome: 'missing_scope', required: allOf(parseScopes(scopes)), evidence, dialect: 'shopify' });
};

const YOUR_TOKEN_HAS = 'your token has';

/** `{"error":{"code":"insufficient_scope","message":"This action requires the \"export:write\" scope. Your token has: …"}}` */
const errorMessage = (ctx: Context): Finding | null => {
  const error = get(ctx.json, 'error');
  if (get(error, 'code') !== 'insufficient_scope') return null;
  const message = text(get(error, 'message')) ?? '';
  const evidence = [ctx.evidence(`body ${jsonEvidence({ error: { code: 'insufficient_scope', message } })}`)];
  const tokenHasAt = indexOfIgnoringCase(message, YOUR_TOKEN_HAS);
  const demand = tokenHasAt === -1 ? message : message.slice(0, tokenHasAt);
  let scopes = quotedParts(demand);
  if (scopes.length === 0) {
    // "requires the export:write scope", unquoted
    const requires = indexOfIgnoringCase(demand, 'requires ');
    if (requires !== -1) {
      const words = demand.slice(requires + 'requires '.length).split(' ');
      const scopeWord = words.findIndex((word) => word.startsWith('scope'));
      const named = words.slice(words[0] === 'the' ? 1 : 0, scopeWord === -1 ? 0 : scopeWord);
      scopes = named.map((word) => word.replace(/[,;]$/, '')).filter((word) => word !== '' && word !== 'and' && word !== 'or');
    }
  }
  let granted: string[] | undefined;
  if (tokenHasAt !== -1) {
    let tail = message.slice(tokenHasAt + YOUR_TOKEN_HAS.length).trim();
    if (tail.startsWith(':')) tail = tail.slice(1);
    if (tail.endsWith('.')) tail = tail.slice(0, -1);
    granted = parseScopes(tail, { commas: true });
  }
  return finding(ctx, { outcome: 'missing_scope', required: allOf(parseScopes(scopes)), evidence, dialect: 'error-message' }, {
    granted,
    note: scopes.length === 0 ? 'The message does not name the scope it needs.' : scopes.length > 1 ? 'Every scope the message names is needed.' : undefined,
  });
};

const GRAPH_DENIED = new Set(['Authorization_RequestDenied', 'ErrorAccessDenied']);

const microsoftGraph = (ctx: Context): Finding | null => {
  if (ctx.status !== 403) return null;
  const error = get(ctx.json, 'error');
  const code = text(get(error, 'code'));
  if (code === undefined || !GRAPH_DENIED.has(code)) return null;
  const message = text(get(error, 'message'));
  return finding(
    ctx,
    {
      outcome: 'forbidden',
      required: [],
      evidence: [ctx.evidence(`body ${jsonEvidence({ error: { code, ...(message === undefined ? {} : { message }) } })}`)],
      dialect: 'microsoft-graph',
    },
    { note: "Microsoft Graph does not name the missing scope (permission); the manifest's declared scopes are the fallback." },
  );
};

const httpStatus = (ctx: Context): Finding | null => {
  const dialect = 'http-status';
  if (ctx.status === 401) return finding(ctx, { outcome: 'unauthorized', required: [], evidence: ['HTTP 401'], dialect });
  if (ctx.status === 403) return finding(ctx, { outcome: 'forbidden', required: [], evidence: ['HTTP 403'], dialect });
  return null;
};

// ---------------------------------------------------------------------------------------------------------------
// Public API

type InternalDialect = (ctx: Context) => Finding | null;

/** In order of precedence: where two findings are equally telling, the earlier dialect decides. */
const ORDER: readonly (readonly [string, InternalDialect])[] = [
  ['rfc9470', stepUp],
  ['google', google],
  ['rfc6750', rfc6750],
  ['github-rest', githubRest],
  ['github-graphql', githubGraphql],
  ['slack', slack],
  ['rfc6750-body', gitlab],
  ['shopify', shopify],
  ['error-message', errorMessage],
  ['microsoft-graph', microsoftGraph],
];

const exported =
  (dialect: InternalDialect): Dialect =>
  (response, options) =>
    dialect(contextOf(response, options));

/**
 * RFC 6750 challenge: `insufficient_scope` → `missing_scope` with the challenge's scopes as ONE group (all needed);
 * `invalid_token` or no error on a 401 → `unauthorized`; `resource_metadata` reported. Defers to Google and RFC 9470.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export const readRfc6750Challenge: Dialect = exported(rfc6750);
/** RFC 9470 `insufficient_user_authentication` → `step_up` with `acr_values` and `max_age`. @see https://www.rfc-editor.org/rfc/rfc9470#section-3 */
export const readStepUpChallenge: Dialect = exported(stepUp);
/** Google (realm `https://accounts.google.com/` or a google.rpc body): the challenge's scopes are ALTERNATIVES. */
export const readGoogle: Dialect = exported(google);
/** GitHub REST `X-Accepted-OAuth-Scopes` (alternatives) against `X-OAuth-Scopes` on a 403 or 404. */
export const readGitHubRest: Dialect = exported(githubRest);
/** GitHub GraphQL `INSUFFICIENT_SCOPES` errors (HTTP 200): "requires one of the following scopes: [...]". */
export const readGitHubGraphql: Dialect = exported(githubGraphql);
/** Slack `{"ok":false,"error":"missing_scope","needed":"a,b"}` (HTTP 200): `needed` lists alternatives. */
export const readSlack: Dialect = exported(slack);
/** GitLab-style RFC 6750 body `{"error":"insufficient_scope","scope":"api read_api"}`: all-of, as a challenge. */
export const readRfc6750Body: Dialect = exported(gitlab);
/** Shopify "requires merchant approval for X scope" in `errors` (a string, a list, or an object of them). */
export const readShopify: Dialect = exported(shopify);
/** `{"error":{"code":"insufficient_scope","message":"… requires the \"x\" scope. Your token has: …"}}`: every named scope. */
export const readErrorMessage: Dialect = exported(errorMessage);
/** Microsoft Graph 403 (`Authorization_RequestDenied`, `ErrorAccessDenied`): `forbidden`, the scope is never named. */
export const readMicrosoftGraph: Dialect = exported(microsoftGraph);
/** The last resort: 401 → `unauthorized`, 403 → `forbidden`, anything else → null. */
export const readHttpStatus: Dialect = exported(httpStatus);

const rank = (candidate: Finding): number => {
  if (candidate.outcome === 'step_up') return 3;
  if (candidate.outcome === 'missing_scope') return candidate.required.length > 0 ? 2 : 1;
  return 0;
};

const unique = (items: readonly string[]): string[] => [...new Set(items)];

/**
 * What a refused (or 200-with-error) response says about the token's scopes: runs every dialect, takes the most
 * telling finding (step-up, then a missing scope that is named, then one that is not, then a plain refusal; the
 * earlier dialect on ties) and adds the others' evidence. Null when nothing in the response is about authorization
 * (a 2xx without an in-body error, a 404 without GitHub's headers, a 5xx). Never throws.
 */
export function readScopeFinding(response: ProbeResponse, options?: ReadOptions): Finding | null {
  const ctx = contextOf(response, options);
  const findings: Finding[] = [];
  const failures: string[] = [];
  for (const [name, dialect] of ORDER) {
    try {
      const found = dialect(ctx);
      if (found !== null) findings.push(found);
    } catch (error) {
      // A dialect bug must not cost the other dialects' answers; say so rather than hide it.
      failures.push(`dialect ${name} failed: ${excerpt(error instanceof Error ? error.message : String(error), 100)}`);
    }
  }
  if (findings.length === 0) {
    const fallback = httpStatus(ctx);
    return fallback === null || failures.length === 0 ? fallback : { ...fallback, warnings: [...(fallback.warnings ?? []), ...failures] };
  }

  let primary = findings[0]!;
  for (const candidate of findings) if (rank(candidate) > rank(primary)) primary = candidate;
  const others = findings.filter((candidate) => candidate !== primary);
  const resourceMetadata = primary.resourceMetadata ?? others.find((other) => other.resourceMetadata !== undefined)?.resourceMetadata;
  const granted = primary.granted ?? others.find((other) => other.granted !== undefined)?.granted;
  const warnings = unique([...findings.flatMap((item) => item.warnings ?? []), ...failures]);
  return {
    ...primary,
    evidence: unique(findings.flatMap((item) => item.evidence)),
    ...(resourceMetadata === undefined ? {} : { resourceMetadata }),
    ...(granted === undefined ? {} : { granted }),
    ...(warnings.length === 0 ? {} : { warnings }),
  };
}
