/**
 * A response as the readers of "your token lacks a scope" see it (SPEC `scopes probe`): the types every reader shares,
 * the response read once into a {@link ResponseView}, and the small pure helpers readers are written with. The
 * standards-based readers live in `dialects.ts`; each provider's own readers live in `src/providers/`. Pure: no IO.
 */

import { excerpt, findBearer, formatChallenge, parseWwwAuthenticate, readResourceMetadata, type Challenge } from './challenges.js';
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

/**
 * What the strings of `required` are. OAuth scopes unless a reader says otherwise: some tokens are refused for a
 * `permission` (set on the token or the app, never requested as a scope); a restricted API key lacks a
 * `key-permission` (edited on the key in the provider's dashboard).
 */
export type RequirementKind = 'scope' | 'permission' | 'key-permission';

/** What a response says about the token's scopes (SPEC `scopes probe` result, before the caller adds `missing`). */
export interface Finding {
  readonly outcome: FindingOutcome;
  /** Groups of alternatives (any one group suffices, each group all of it); [] when the response does not say. */
  readonly required: string[][];
  /** Which parts of the response told it, as a person would quote them; `secrets` are redacted, controls escaped. */
  readonly evidence: string[];
  /** The reader that decided: `rfc6750`, `rfc9470`, `rfc6750-body`, or a provider's (`<provider>-<shape>`). */
  readonly dialect: string;
  /** RFC 9728 `resource_metadata` URL, unchecked: the caller fetches it (and checks its `resource`). */
  readonly resourceMetadata?: string;
  /** RFC 9470 step-up parameters, to pass on as OIDC request parameters. */
  readonly stepUp?: { readonly acrValues?: string[]; readonly maxAge?: number };
  /** The scopes the response says the token holds (a header, a body member, message text). */
  readonly granted?: string[];
  /** What `required` names when it is not OAuth scopes; absent means scopes. */
  readonly requiredKind?: Exclude<RequirementKind, 'scope'>;
  /** RFC 9396 authorization details the server asks for (`insufficient_authorization`), as it sent them. */
  readonly authorizationDetails?: unknown[];
  /** `low` when a sentence was read by a generic pattern rather than a provider's known format. */
  readonly confidence?: 'low';
  readonly note?: string;
  /** What was odd about the response (a malformed header, a body too large to read, a dialect that failed). */
  readonly warnings?: string[];
}

/** One reader as a plain function of a response: null when the response is not in its dialect. */
export type Dialect = (response: ProbeResponse, options?: ReadOptions) => Finding | null;

/** One reader of the registry: a name, a line for `scopes providers`, and a function of a {@link ResponseView}. */
export interface ResponseReader {
  /** Reported as `Finding.dialect`. */
  readonly dialect: string;
  /** What it reads, for a person: `403 with X-Accepted-OAuth-Scopes (alternatives)`. */
  readonly reads: string;
  readonly read: (view: ResponseView) => Finding | null;
  /**
   * Dialects whose findings give way when this reader finds something: a provider whose challenge follows RFC 6750
   * in form but not in meaning (listing alternatives where RFC 6750 means all of them) supersedes `rfc6750`.
   */
  readonly supersedes?: readonly string[];
}

/** Bodies longer than this many characters are not parsed as JSON. */
export const MAX_JSON_CHARS = 1 << 20;

export const MAX_EVIDENCE_CHARS = 300;
/** Requirements multiply out (CNF to DNF) fast; past this many groups the remaining ones are dropped with a note. */
const MAX_GROUPS = 64;

export type JsonRecord = Readonly<Record<string, unknown>>;

/** A response read once: headers by name, challenges parsed, the body parsed as JSON when it is JSON. */
export interface ResponseView {
  readonly status: number;
  /** A header's lines joined with `, `, or undefined. */
  header(name: string): string | undefined;
  readonly challenges: readonly Challenge[];
  /** The body parsed as JSON, or undefined (not JSON, empty, or too large). */
  readonly json: unknown;
  /** The body as text. */
  readonly body: string;
  readonly warnings: readonly string[];
  /** A string made fit for evidence: secrets redacted, control characters escaped, cut to a readable length. */
  evidence(text: string): string;
  /** `text` with the secrets replaced by `[redacted]`, nothing else: for cutting a string only after redacting it. */
  redact(text: string): string;
  readonly options: ReadOptions;
}

export const isRecord = (value: unknown): value is JsonRecord => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An own property only: `constructor` or `__proto__` in hostile JSON is data, never the prototype's. */
export const get = (value: unknown, key: string): unknown => (isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined);

/** A nested own property (`at(json, 'error', 'code')`). */
export const at = (value: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((current, key) => get(current, key), value);

export const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

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

/** Reads a response once for the readers. Never throws, whatever `response` holds. */
export const viewOf = (response: ProbeResponse, options: ReadOptions = {}): ResponseView => {
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
    body,
    warnings,
    evidence: (value) => excerpt(redact(value), MAX_EVIDENCE_CHARS),
    redact,
    options: isRecord(options) ? (options as ReadOptions) : {},
  };
};

/** A reader as a plain {@link Dialect}, for callers and tests that hold one response. */
export const asDialect =
  (reader: ResponseReader | ((view: ResponseView) => Finding | null)): Dialect =>
  (response, options) =>
    (typeof reader === 'function' ? reader : reader.read)(viewOf(response, options));

// ---------------------------------------------------------------------------------------------------------------
// Helpers for writing readers

/** A JSON excerpt for evidence, with long strings cut before they are serialised. */
export const jsonEvidence = (value: unknown): string =>
  JSON.stringify(value, (_key, item: unknown) => (typeof item === 'string' && item.length > MAX_EVIDENCE_CHARS ? `${item.slice(0, MAX_EVIDENCE_CHARS)}…` : item)) ??
  '';

/** Each scope on its own suffices (one group per scope). */
export const alternatives = (scopes: readonly string[]): string[][] => scopes.map((scope) => [scope]);

/** All of the scopes are needed (one group), or nothing is said (no group). */
export const allOf = (scopes: readonly string[]): string[][] => (scopes.length === 0 ? [] : [[...scopes]]);

/** The OAuth challenge: Bearer, else DPoP (RFC 9449 uses the same error codes). */
export const oauthChallenge = (view: ResponseView): Challenge | undefined =>
  findBearer(view.challenges) ?? view.challenges.find((challenge) => challenge.scheme === 'dpop');

/** `resource_metadata` from the OAuth challenge, else from any challenge (RFC 9728 §5.1 allows it on DPoP too). */
export const resourceMetadataOf = (view: ResponseView): string | undefined => {
  const preferred = oauthChallenge(view);
  const fromPreferred = preferred === undefined ? undefined : readResourceMetadata(preferred);
  if (fromPreferred !== undefined) return fromPreferred;
  for (const challenge of view.challenges) {
    const url = readResourceMetadata(challenge);
    if (url !== undefined) return url;
  }
  return undefined;
};

export const challengeEvidence = (view: ResponseView, challenge: Challenge): string =>
  view.evidence(`WWW-Authenticate: ${formatChallenge(challenge, 200)}`);

export interface FindingExtra {
  resourceMetadata?: string | undefined;
  stepUp?: Finding['stepUp'];
  granted?: string[] | undefined;
  requiredKind?: Finding['requiredKind'];
  authorizationDetails?: unknown[] | undefined;
  confidence?: 'low' | undefined;
  note?: string | undefined;
  warnings?: readonly string[];
}

/** Builds a finding without undefined members, adding the view's warnings. */
export const finding = (
  view: ResponseView,
  base: { outcome: FindingOutcome; required: string[][]; evidence: string[]; dialect: string },
  extra: FindingExtra = {},
): Finding => {
  const warnings = [...view.warnings, ...(extra.warnings ?? [])];
  return {
    ...base,
    ...(extra.resourceMetadata === undefined ? {} : { resourceMetadata: extra.resourceMetadata }),
    ...(extra.stepUp === undefined ? {} : { stepUp: extra.stepUp }),
    ...(extra.granted === undefined ? {} : { granted: extra.granted }),
    ...(extra.requiredKind === undefined ? {} : { requiredKind: extra.requiredKind }),
    ...(extra.authorizationDetails === undefined ? {} : { authorizationDetails: extra.authorizationDetails }),
    ...(extra.confidence === undefined ? {} : { confidence: extra.confidence }),
    ...(extra.note === undefined || extra.note === '' ? {} : { note: extra.note }),
    ...(warnings.length === 0 ? {} : { warnings }),
  };
};

export const indexOfIgnoringCase = (haystack: string, needle: string, from = 0): number =>
  haystack.toLowerCase().indexOf(needle.toLowerCase(), from);

const QUOTES = `'"\``;
export const stripQuotes = (value: string): string =>
  value.length >= 2 && QUOTES.includes(value[0]!) && value[value.length - 1] === value[0] ? value.slice(1, -1).trim() : value;

/** Items of a `['a', 'b']` list that starts after `phrase`, or undefined. */
export const bracketListAfter = (message: string, phrase: string): string[] | undefined => {
  const found = indexOfIgnoringCase(message, phrase);
  if (found === -1) return undefined;
  const open = message.indexOf('[', found + phrase.length);
  if (open === -1 || message.slice(found + phrase.length, open).trim() !== '') return undefined;
  const close = message.indexOf(']', open);
  if (close === -1) return undefined;
  const items = message
    .slice(open + 1, close)
    .split(',')
    .map((item) => stripQuotes(item.trim()))
    .filter((item) => item !== '');
  return parseScopes(items);
};

/** Substrings between matching quotes (`"`, `'`, `` ` ``, or curly double quotes) in order of appearance. */
export const quotedParts = (message: string): string[] => {
  const parts: string[] = [];
  let i = 0;
  while (i < message.length) {
    const char = message[i]!;
    const closing = char === '“' ? '”' : char === '‘' ? '’' : QUOTES.includes(char) ? char : undefined;
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

/** True when `value` could be a scope (or permission) name a message quotes: no spaces, no sentence punctuation at its end. */
export const looksLikeScope = (value: string): boolean =>
  value.length > 0 && value.length <= 200 && /^[\x21-\x7e]+$/.test(value) && !/[.,;!?]$/.test(value) && /[A-Za-z]/.test(value);

/**
 * All of several requirements, each in groups-of-alternatives form: the product of their groups, with duplicate and
 * redundant (superset) groups removed. Requirements with no groups say nothing and are skipped.
 */
export const conjoin = (requirements: readonly string[][][]): { required: string[][]; truncated: boolean } => {
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

/**
 * The human-readable messages of a JSON error body, with where each was found: `message`, `error` (a string),
 * `error_description`, `error.message`, `detail`, `title`, `msg`, `errorMessage`, and the same inside the first
 * 50 items of `errors`. At most 100.
 */
export const messagesOf = (json: unknown): { path: string; message: string }[] => {
  const found: { path: string; message: string }[] = [];
  const KEYS = ['message', 'error_description', 'errorMessage', 'error_message', 'detail', 'title', 'msg', 'error_summary', 'errorSummary'];
  const visit = (value: unknown, path: string, depth: number): void => {
    if (found.length >= 100 || depth > 3) return;
    if (!isRecord(value)) return;
    for (const key of KEYS) {
      const message = text(get(value, key));
      if (message !== undefined) found.push({ path: `${path}${key}`, message });
    }
    const error = get(value, 'error');
    if (typeof error === 'string') found.push({ path: `${path}error`, message: error });
    else visit(error, `${path}error.`, depth + 1);
    const errors = get(value, 'errors');
    if (Array.isArray(errors)) {
      errors.slice(0, 50).forEach((item: unknown, index) => {
        if (typeof item === 'string') found.push({ path: `${path}errors[${index}]`, message: item });
        else visit(item, `${path}errors[${index}].`, depth + 1);
      });
    }
  };
  if (Array.isArray(json)) json.slice(0, 50).forEach((item: unknown, index) => visit(item, `[${index}].`, 0));
  else visit(json, '', 0);
  return found;
};
