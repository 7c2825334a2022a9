/**
 * The standards-based readers of "your token lacks a scope" (SPEC `scopes probe`; standards.md §3, §7) and the merge of
 * what several readers found. Each reader takes a response as plain data and returns a {@link Finding} or null;
 * {@link readScopeFinding} runs a list of them (by default the standards ones; `src/providers/` adds each provider's
 * own in a stated order) and keeps the most telling finding with everyone's evidence. Pure: the caller does the
 * request (and fetches any `resourceMetadata` URL). No provider is named here: what a provider says in its own way
 * lives in its module under `src/providers/`.
 *
 * Semantics differ by source and are kept in `required` (groups of alternatives: any one group suffices, each group
 * needs all of its scopes): RFC 6750 and MCP challenges list scopes that are ALL needed (one group); providers that
 * list ALTERNATIVES say so in their own reader (one group per scope).
 */

import { excerpt, readAcrValues, readError, readMaxAge, readScope } from './challenges.js';
import {
  allOf,
  alternatives,
  challengeEvidence,
  finding,
  get,
  indexOfIgnoringCase,
  isRecord,
  jsonEvidence,
  looksLikeScope,
  messagesOf,
  oauthChallenge,
  quotedParts,
  resourceMetadataOf,
  text,
  asDialect,
  viewOf,
  type Dialect,
  type Finding,
  type ProbeResponse,
  type ReadOptions,
  type ResponseReader,
  type ResponseView,
} from './response.js';
import { decodeBase64url } from './jwt.js';
import { parseScopes } from './scopes.js';

export {
  MAX_JSON_CHARS,
  type Dialect,
  type Finding,
  type FindingOutcome,
  type ProbeResponse,
  type ReadOptions,
  type RequirementKind,
  type ResponseReader,
  type ResponseView,
} from './response.js';

// ---------------------------------------------------------------------------------------------------------------
// RFC 9470, RFC 6750, RFC 9396

const stepUp = (view: ResponseView): Finding | null => {
  if (view.status < 400) return null;
  const challenge = oauthChallenge(view);
  if (challenge === undefined || readError(challenge) !== 'insufficient_user_authentication') return null;
  const warnings: string[] = [];
  const acrValues = readAcrValues(challenge);
  const maxAge = readMaxAge(challenge, warnings);
  const scopes = readScope(challenge) ?? [];
  return finding(view, { outcome: 'step_up', required: allOf(scopes), evidence: [challengeEvidence(view, challenge)], dialect: 'rfc9470' }, {
    resourceMetadata: resourceMetadataOf(view),
    stepUp: { ...(acrValues === undefined || acrValues.length === 0 ? {} : { acrValues }), ...(maxAge === undefined ? {} : { maxAge }) },
    note: 'The server wants a stronger or more recent sign-in, not another scope: log in again with these acr_values / max_age.',
    warnings,
  });
};

const rfc6750 = (view: ResponseView): Finding | null => {
  if (view.status < 400) return null;
  const challenge = oauthChallenge(view);
  if (challenge === undefined) return null;
  const error = readError(challenge);
  if (error === 'insufficient_user_authentication' || error === 'insufficient_authorization') return null;
  const scopes = readScope(challenge);
  const base = { evidence: [challengeEvidence(view, challenge)], dialect: 'rfc6750' };
  const resourceMetadata = resourceMetadataOf(view);

  if (error === 'insufficient_scope') {
    return finding(view, { ...base, outcome: 'missing_scope', required: allOf(scopes ?? []) }, {
      resourceMetadata,
      note:
        scopes === undefined || scopes.length === 0
          ? 'The challenge does not name the scope it needs.'
          : 'RFC 6750: every scope of the challenge is needed.',
    });
  }
  if (view.status === 401) {
    let note: string | undefined;
    if (error === 'insufficient_claims') note = 'A claims challenge (Continuous Access Evaluation): sign in again, passing its `claims`.';
    else if (scopes !== undefined && scopes.length > 0) note = "The 401 challenge's scope is what the server asks for at sign-in (MCP).";
    return finding(view, { ...base, outcome: 'unauthorized', required: allOf(scopes ?? []) }, { resourceMetadata, note });
  }
  if (view.status === 403) return finding(view, { ...base, outcome: 'forbidden', required: [] }, { resourceMetadata });
  return null;
};

/** `{"error":"insufficient_scope","scope":"api read_api"}`: the RFC 6750 error codes in a JSON body. */
const rfc6750Body = (view: ResponseView): Finding | null => {
  const error = get(view.json, 'error');
  if (error !== 'insufficient_scope' && error !== 'invalid_token') return null;
  const scope = text(get(view.json, 'scope'));
  const description = text(get(view.json, 'error_description'));
  const evidence = [
    view.evidence(
      `body ${jsonEvidence({ error, ...(description === undefined ? {} : { error_description: description }), ...(scope === undefined ? {} : { scope }) })}`,
    ),
  ];
  const dialect = 'rfc6750-body';
  if (error === 'invalid_token') return finding(view, { outcome: 'unauthorized', required: [], evidence, dialect });
  const scopes = scope === undefined ? [] : parseScopes(scope);
  return finding(view, { outcome: 'missing_scope', required: allOf(scopes), evidence, dialect }, {
    note:
      scopes.length === 0
        ? 'The body does not name the scope it needs.'
        : 'Read as all of these, as in an RFC 6750 challenge; an API that lists scopes that would each do (a broad one and its narrower part) is reduced by implication rules.',
  });
};

const MAX_DETAILS = 20;

/**
 * RFC 9396 (Rich Authorization Requests) defines no error for "these authorization details are not enough"; the
 * step-up authorization draft (draft-lombardo-oauth-step-up-authz-challenge-proto) proposes
 * `error="insufficient_authorization"` with the `authorization_details` wanted, as JSON (or base64url-encoded JSON) in
 * the challenge or plain JSON in the body. Both are read; the details are reported as sent, never as scopes.
 * @see https://www.ietf.org/archive/id/draft-lombardo-oauth-step-up-authz-challenge-proto-01.html
 */
const rfc9396 = (view: ResponseView): Finding | null => {
  if (view.status < 400) return null;
  const challenge = oauthChallenge(view);
  const fromChallenge = challenge !== undefined && readError(challenge) === 'insufficient_authorization';
  const fromBody = get(view.json, 'error') === 'insufficient_authorization';
  if (!fromChallenge && !fromBody) return null;
  const evidence: string[] = [];
  const warnings: string[] = [];
  let details: unknown[] | undefined;
  if (fromChallenge) {
    evidence.push(challengeEvidence(view, challenge));
    const encoded = challenge.params.authorization_details;
    if (encoded !== undefined) details = decodeDetails(encoded, warnings);
  }
  if (fromBody) {
    const body = get(view.json, 'authorization_details');
    const description = text(get(view.json, 'error_description'));
    evidence.push(
      view.evidence(`body ${jsonEvidence({ error: 'insufficient_authorization', ...(description === undefined ? {} : { error_description: description }), ...(body === undefined ? {} : { authorization_details: body }) })}`),
    );
    if (details === undefined && Array.isArray(body)) details = body.slice(0, MAX_DETAILS);
  }
  const types = (details ?? []).map((detail) => text(get(detail, 'type'))).filter((type): type is string => type !== undefined);
  return finding(view, { outcome: 'missing_scope', required: [], evidence, dialect: 'rfc9396' }, {
    resourceMetadata: resourceMetadataOf(view),
    authorizationDetails: details,
    note:
      details === undefined
        ? 'The server wants other authorization details (RFC 9396), and did not say which.'
        : `The server wants authorization details (RFC 9396) of type ${types.length === 0 ? '(none named)' : types.map((type) => JSON.stringify(type)).join(', ')}: request them as authorization_details, not as scopes.`,
    warnings,
  });
};

const decodeDetails = (value: string, warnings: string[]): unknown[] | undefined => {
  const attempt = (json: string): unknown[] | undefined => {
    try {
      const parsed = JSON.parse(json) as unknown;
      return Array.isArray(parsed) ? parsed.slice(0, MAX_DETAILS) : isRecord(parsed) ? [parsed] : undefined;
    } catch {
      return undefined;
    }
  };
  if (value.length > 65_536) {
    warnings.push('authorization_details in the challenge is too long to read');
    return undefined;
  }
  const direct = attempt(value);
  if (direct !== undefined) return direct;
  const bytes = decodeBase64url(value.replace(/=+$/, ''));
  if (bytes !== null) {
    try {
      const decoded = attempt(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      if (decoded !== undefined) return decoded;
    } catch {
      // not UTF-8: fall through to the warning
    }
  }
  warnings.push('authorization_details in the challenge is neither JSON nor base64url-encoded JSON');
  return undefined;
};

// ---------------------------------------------------------------------------------------------------------------
// Messages: the `insufficient_scope` error object, and the generic sentence reader

const YOUR_TOKEN_HAS = 'your token has';

/** `{"error":{"code":"insufficient_scope","message":"This action requires the \"export:write\" scope. Your token has: …"}}` */
const errorObject = (view: ResponseView): Finding | null => {
  const error = get(view.json, 'error');
  if (get(error, 'code') !== 'insufficient_scope') return null;
  const message = text(get(error, 'message')) ?? '';
  const evidence = [view.evidence(`body ${jsonEvidence({ error: { code: 'insufficient_scope', message } })}`)];
  const tokenHasAt = indexOfIgnoringCase(message, YOUR_TOKEN_HAS);
  const demand = tokenHasAt === -1 ? message : message.slice(0, tokenHasAt);
  let scopes = quotedParts(demand);
  if (scopes.length === 0) scopes = scopesInSentence(demand)?.scopes ?? [];
  let granted: string[] | undefined;
  if (tokenHasAt !== -1) {
    let tail = message.slice(tokenHasAt + YOUR_TOKEN_HAS.length).trim();
    if (tail.startsWith(':')) tail = tail.slice(1);
    if (tail.endsWith('.')) tail = tail.slice(0, -1);
    granted = parseScopes(tail, { commas: true });
  }
  return finding(view, { outcome: 'missing_scope', required: allOf(parseScopes(scopes)), evidence, dialect: 'error-message' }, {
    granted,
    note: scopes.length === 0 ? 'The message does not name the scope it needs.' : scopes.length > 1 ? 'Every scope the message names is needed.' : undefined,
  });
};

/** What a sentence says about scopes: the names, and whether any one of them would do. */
export interface SentenceScopes {
  readonly scopes: string[];
  /** True for "one of" / "any of" / "or" lists. */
  readonly anyOf: boolean;
}

const MAX_SENTENCE_CHARS = 4_000;
const SCOPE_WORDS = new Set(['scope', 'scopes', 'scope(s)']);
const BEFORE_LIST = new Set(['missing', 'requires', 'require', 'required', 'needs', 'need', 'lacks', 'expected', 'following', 'needed', 'insufficient']);
const JOINERS = new Set(['and', 'or', '&', '+']);
const LEAD_INS = new Set(['of', 'one', 'any', 'all', 'the', 'a', 'an', 'either', 'following']);
const AFTER_NAME = new Set(['required', 'is', 'are', 'missing', 'needed']);
const EDGE_PUNCTUATION = /^[\s"'`‘’“”([{<]+|[\s"'`‘’“”)\]}>.,;:!?]+$/g;

const bare = (word: string): string => word.replace(EDGE_PUNCTUATION, '');

/**
 * Scope names a sentence states as needed, or undefined: "requires the X scope", "requires the X and Y scopes",
 * "missing scope: X", "Missing scopes: X, Y", "scope X is required", "Invalid scope: `X` required", "X scope
 * required", "requires one of the following scopes: X, Y". Names must look like scopes (no spaces, a letter, no
 * trailing sentence punctuation). One pass over the sentence; sentences past 4 000 characters are cut.
 */
export function scopesInSentence(sentence: string): SentenceScopes | undefined {
  const words = sentence.slice(0, MAX_SENTENCE_CHARS).split(/\s+/).filter((word) => word !== '');
  const lower = words.map((word) => bare(word).toLowerCase());
  for (let k = 0; k < words.length; k++) {
    if (!SCOPE_WORDS.has(lower[k]!)) continue;
    const anyOfBefore = lower.slice(Math.max(0, k - 4), k).some((word) => word === 'one' || word === 'any');
    // After the keyword: "missing scope: X", "scope X is required", "requires scopes: X, Y".
    const after = collectNames(words, lower, k + 1, 1);
    if (after.names.length > 0) {
      const cue = lower.slice(Math.max(0, k - 3), k).some((word) => BEFORE_LIST.has(word)) || words[k]!.endsWith(':');
      const confirmed = AFTER_NAME.has(lower[after.end] ?? '');
      if (cue || confirmed) return { scopes: after.names, anyOf: anyOfBefore || after.sawOr };
    }
    // Before the keyword: "requires the X scope", "X scope is required".
    const before = collectNames(words, lower, k - 1, -1);
    if (before.names.length > 0) {
      const cue = BEFORE_LIST.has(lower[before.end] ?? '') || ['the', 'a', 'an'].includes(lower[before.end] ?? '');
      const confirmed = AFTER_NAME.has(lower[k + 1] ?? '');
      if (cue || confirmed) return { scopes: before.names.reverse(), anyOf: anyOfBefore || before.sawOr };
    }
  }
  return undefined;
}

/** Scope-like words from `start` in `step` direction, across "and" / "or" / commas; stops at the first other word. */
function collectNames(words: readonly string[], lower: readonly string[], start: number, step: 1 | -1): { names: string[]; end: number; sawOr: boolean } {
  const names: string[] = [];
  let sawOr = false;
  let i = start;
  for (; i >= 0 && i < words.length && names.length < 50; i += step) {
    const word = lower[i]!;
    if (word === '' || JOINERS.has(word)) {
      if (word === 'or') sawOr = true;
      if (names.length === 0 && step === -1) break;
      continue;
    }
    if (LEAD_INS.has(word)) {
      // "one of the following: X" leads into a list going forward; going backward it ends one ("requires the X").
      if (step === 1 && names.length === 0) continue;
      break;
    }
    const raw = words[i]!;
    const name = bare(raw);
    if (!looksLikeScope(name) || SCOPE_WORDS.has(word) || AFTER_NAME.has(word) || BEFORE_LIST.has(word)) break;
    // A plain lower-case English word is not a scope name unless quoted or shaped like one (`:`, `.`, `_`, `/`).
    const shaped = /[:._/\-]/.test(name) || /[`'"‘“]/.test(raw) || /[A-Z]/.test(name.slice(1));
    if (!shaped && /^[a-z]+$/i.test(name)) break;
    names.push(name);
    // A name that ends a sentence or clause ends the list.
    if (step === 1 && /[.;!?]["'`’”]?$/.test(raw)) {
      i += step;
      break;
    }
  }
  return { names: [...new Set(names)], end: i, sawOr };
}

/** The last resort before the status code: a scope named in any JSON message by a sentence pattern. */
const sentence = (view: ResponseView): Finding | null => {
  // A refusal, or a 200 that carries errors (GraphQL): a successful body's prose is not read for scope names.
  if (view.status < 400 && !(view.status === 200 && (Array.isArray(get(view.json, 'errors')) || get(view.json, 'error') !== undefined))) return null;
  for (const { path, message } of messagesOf(view.json)) {
    if (indexOfIgnoringCase(message, 'scope') === -1) continue;
    const found = scopesInSentence(message);
    if (found === undefined) continue;
    const scopes = parseScopes(found.scopes);
    return finding(view, {
      outcome: 'missing_scope',
      required: found.anyOf ? alternatives(scopes) : allOf(scopes),
      evidence: [view.evidence(`body ${path}: ${JSON.stringify(message)}`)],
      dialect: 'sentence',
    }, {
      confidence: 'low',
      note: `Read from the wording of the message, not from a format the API is known to use: check the scope name${scopes.length > 1 ? 's' : ''} against its documentation.`,
    });
  }
  return null;
};

// ---------------------------------------------------------------------------------------------------------------
// The fallback

const BODY_START_CHARS = 200;

/**
 * The start of a body for evidence: whitespace runs folded, markup left as is (it is only ever quoted). Redacted
 * before it is cut, so a secret straddling the cut cannot leave its first characters behind.
 */
export const bodyStart = (view: ResponseView): string | undefined => {
  const folded = view.redact(view.body).slice(0, BODY_START_CHARS * 4).replace(/\s+/g, ' ').trim();
  if (folded === '') return undefined;
  return view.evidence(`body begins: ${folded.length > BODY_START_CHARS ? `${folded.slice(0, BODY_START_CHARS)}…` : folded}`);
};

/** 401 → `unauthorized`, 403 → `forbidden`, with the start of the body as evidence; anything else → null. */
const httpStatus = (view: ResponseView): Finding | null => {
  const dialect = 'http-status';
  // Only a 401 or 403 quotes the body: every other answer (each 2xx a probe reads) is not cut and escaped for nothing.
  const evidence = (line: string): string[] => {
    const start = bodyStart(view);
    return start === undefined ? [line] : [line, start];
  };
  if (view.status === 401) return finding(view, { outcome: 'unauthorized', required: [], evidence: evidence('HTTP 401'), dialect });
  if (view.status === 403) return finding(view, { outcome: 'forbidden', required: [], evidence: evidence('HTTP 403'), dialect });
  return null;
};

// ---------------------------------------------------------------------------------------------------------------
// Public API

/** RFC 9470 step-up: read before anything else, since a step-up outranks every scope finding. */
export const STEP_UP_READER: ResponseReader = { dialect: 'rfc9470', reads: 'error="insufficient_user_authentication" with acr_values / max_age (RFC 9470)', read: stepUp };

/** The standards readers tried after the providers' own (a provider may supersede one of them). */
export const STANDARD_READERS: readonly ResponseReader[] = [
  { dialect: 'rfc6750', reads: 'WWW-Authenticate Bearer/DPoP error and scope (RFC 6750 §3; all of the scopes)', read: rfc6750 },
  { dialect: 'rfc6750-body', reads: '{"error":"insufficient_scope","scope":"…"} in the body (all of the scopes)', read: rfc6750Body },
  { dialect: 'rfc9396', reads: 'error="insufficient_authorization" with authorization_details (RFC 9396 step-up draft)', read: rfc9396 },
  { dialect: 'error-message', reads: '{"error":{"code":"insufficient_scope","message":"… requires the \\"x\\" scope …"}}', read: errorObject },
];

/** Tried last, and marked lower confidence: a scope named in a message by its wording alone. */
export const LAST_RESORT_READERS: readonly ResponseReader[] = [
  { dialect: 'sentence', reads: '"requires the X scope" / "missing scope: X" / "scope X required" in any JSON message (low confidence)', read: sentence },
];

/**
 * RFC 6750 challenge: `insufficient_scope` → `missing_scope` with the challenge's scopes as ONE group (all needed);
 * `invalid_token` or no error on a 401 → `unauthorized`; `resource_metadata` reported.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export const readRfc6750Challenge: Dialect = asDialect(rfc6750);
/** RFC 9470 `insufficient_user_authentication` → `step_up` with `acr_values` and `max_age`. @see https://www.rfc-editor.org/rfc/rfc9470#section-3 */
export const readStepUpChallenge: Dialect = asDialect(stepUp);
/** RFC 6750 error codes in a JSON body `{"error":"insufficient_scope","scope":"api read_api"}`: all-of, as a challenge. */
export const readRfc6750Body: Dialect = asDialect(rfc6750Body);
/** `insufficient_authorization` with the RFC 9396 authorization details wanted. */
export const readInsufficientAuthorization: Dialect = asDialect(rfc9396);
/** `{"error":{"code":"insufficient_scope","message":"… requires the \"x\" scope. Your token has: …"}}`: every named scope. */
export const readErrorMessage: Dialect = asDialect(errorObject);
/** A scope named by the wording of any JSON message; lower confidence. */
export const readSentence: Dialect = asDialect(sentence);
/** The last resort: 401 → `unauthorized`, 403 → `forbidden` (with the start of the body), anything else → null. */
export const readHttpStatus: Dialect = asDialect(httpStatus);

/** The standards readers alone, in order: what {@link readScopeFinding} uses when given no readers. */
export const STANDARD_ORDER: readonly ResponseReader[] = [STEP_UP_READER, ...STANDARD_READERS, ...LAST_RESORT_READERS];

const rank = (candidate: Finding): number => {
  if (candidate.outcome === 'step_up') return 4;
  if (candidate.outcome === 'missing_scope') {
    if (candidate.confidence === 'low') return 1.5;
    return candidate.required.length > 0 || candidate.authorizationDetails !== undefined ? 3 : 2;
  }
  return 0;
};

const unique = (items: readonly string[]): string[] => [...new Set(items)];

/**
 * What a refused (or 200-with-error) response says about the token's scopes: runs the readers in order, drops the
 * findings of dialects a finder supersedes, takes the most telling finding (step-up, then a missing scope that is
 * named, then one that is not, then a low-confidence reading, then a plain refusal; the earlier reader on ties) and
 * adds the others' evidence. Null when nothing in the response is about authorization (a 2xx without an in-body error,
 * a 404 nobody reads, a 5xx). Never throws.
 */
export function readScopeFinding(response: ProbeResponse, options?: ReadOptions, readers: readonly ResponseReader[] = STANDARD_ORDER): Finding | null {
  const view = viewOf(response, options);
  let findings: { reader: ResponseReader; found: Finding }[] = [];
  const failures: string[] = [];
  for (const reader of readers) {
    try {
      const found = reader.read(view);
      if (found !== null) findings.push({ reader, found });
    } catch (error) {
      // A reader bug must not cost the other readers' answers; say so rather than hide it.
      failures.push(`dialect ${reader.dialect} failed: ${excerpt(error instanceof Error ? error.message : String(error), 100)}`);
    }
  }
  const superseded = new Set(findings.flatMap(({ reader }) => reader.supersedes ?? []));
  findings = findings.filter(({ reader }) => !superseded.has(reader.dialect));
  // A generic reading adds nothing where a reader that knows the format said it is a scope problem.
  if (findings.some(({ found }) => rank(found) >= 2)) findings = findings.filter(({ found }) => found.confidence !== 'low');
  if (findings.length === 0) {
    const fallback = httpStatus(view);
    return fallback === null || failures.length === 0 ? fallback : { ...fallback, warnings: [...(fallback.warnings ?? []), ...failures] };
  }

  let primary = findings[0]!.found;
  for (const { found } of findings) if (rank(found) > rank(primary)) primary = found;
  const all = findings.map(({ found }) => found);
  const others = all.filter((candidate) => candidate !== primary);
  const resourceMetadata = primary.resourceMetadata ?? others.find((other) => other.resourceMetadata !== undefined)?.resourceMetadata;
  const granted = primary.granted ?? others.find((other) => other.granted !== undefined)?.granted;
  const warnings = unique([...all.flatMap((item) => item.warnings ?? []), ...failures]);
  return {
    ...primary,
    evidence: unique(all.flatMap((item) => item.evidence)),
    ...(resourceMetadata === undefined ? {} : { resourceMetadata }),
    ...(granted === undefined ? {} : { granted }),
    ...(warnings.length === 0 ? {} : { warnings }),
  };
}

/** Whether a finding's evidence is only the status line (and the body's start): no reader recognised the response. */
export const isUnrecognised = (found: Finding): boolean => found.dialect === 'http-status';

