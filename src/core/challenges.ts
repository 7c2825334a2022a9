/**
 * `WWW-Authenticate` parsing (RFC 9110 §11) and readers for the OAuth parameters carried in challenges
 * (RFC 6750 §3, RFC 9470 §3, RFC 9728 §5.1). Pure: no IO.
 *
 * The scanner is hand-written and walks the input once (a token may be looked at twice to decide whether
 * it starts a parameter or a new challenge), so hostile headers cost linear time. No regular expressions.
 */

import { NetworkError } from '../errors.js';
import { parseScopes } from './scopes.js';

/** One parsed challenge. */
export interface Challenge {
  /** The auth-scheme, lowercased (`bearer`, `dpop`, `basic`…). */
  readonly scheme: string;
  /** The token68 form (`Newauth abc123==`); a challenge has either this or params, never both. */
  readonly token68?: string;
  /**
   * Parameters by lowercased name, values unescaped with their case kept. A null-prototype object, so a
   * parameter called `__proto__` or `constructor` is an ordinary own property.
   */
  readonly params: Readonly<Record<string, string>>;
  /** Names that occurred more than once; `params` holds the FIRST value (RFC 9110 §11.2 forbids repeats). */
  readonly duplicates: readonly string[];
}

/** Why a header could not be parsed. */
export type ChallengeParseReason =
  | 'invalid_input'
  | 'expected_scheme'
  | 'unexpected_character'
  | 'expected_equals'
  | 'expected_value'
  | 'expected_comma'
  | 'unterminated_quoted_string';

/**
 * A malformed `WWW-Authenticate` header. Returned by {@link parseWwwAuthenticate}, never thrown by it; a caller
 * that decides to fail on it may throw it (a server sent a broken header: exit 4).
 */
export class ChallengeParseError extends NetworkError {
  constructor(
    readonly reason: ChallengeParseReason,
    /** Index into the (joined) header value where parsing stopped. */
    readonly position: number,
    detail: string,
  ) {
    super('malformed_www_authenticate', `Malformed WWW-Authenticate header: ${detail} at position ${position}.`);
  }
}

/** A parse: the challenges, or the error with whatever came before it. */
export type ParseResult =
  | { readonly ok: true; readonly challenges: Challenge[]; readonly warnings: string[] }
  | {
      readonly ok: false;
      readonly error: ChallengeParseError;
      /** The challenges completed before the error. */
      readonly challenges: Challenge[];
      readonly warnings: string[];
      /** The header value as parsed (lines joined with `, `). */
      readonly raw: string;
    };

// Character classes, indexed by char code (ASCII only; everything else is in no class).
const TCHAR = 1;
const TOKEN68 = 2;
const WHITESPACE = 4;
const CLASSES = (() => {
  const table = new Uint8Array(128);
  const mark = (chars: string, flag: number): void => {
    for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)]! |= flag;
  };
  const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  mark(alnum + "!#$%&'*+-.^_`|~", TCHAR);
  mark(alnum + '-._~+/', TOKEN68);
  mark(' \t', WHITESPACE);
  return table;
})();

const COMMA = 0x2c;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

const is = (s: string, i: number, flag: number): boolean => {
  const c = s.charCodeAt(i); // NaN past the end: no class
  return c < 128 && (CLASSES[c]! & flag) !== 0;
};

const skipWhitespace = (s: string, i: number): number => {
  while (is(s, i, WHITESPACE)) i++;
  return i;
};

/** Skips OWS and empty list elements: `#` lists allow `, ,` (RFC 9110 §5.6.1). */
const skipSeparators = (s: string, i: number): number => {
  while (i < s.length && (is(s, i, WHITESPACE) || s.charCodeAt(i) === COMMA)) i++;
  return i;
};

const scanToken = (s: string, i: number): number => {
  while (is(s, i, TCHAR)) i++;
  return i;
};

/** End of a token68 at `i` when one stands alone as the challenge's only content (then OWS, `,` or end), else -1. */
const scanToken68 = (s: string, i: number): number => {
  let j = i;
  while (is(s, j, TOKEN68)) j++;
  if (j === i) return -1;
  while (s.charCodeAt(j) === EQUALS) j++;
  const end = j;
  j = skipWhitespace(s, j);
  return j >= s.length || s.charCodeAt(j) === COMMA ? end : -1;
};

/** True when `token BWS "="` starts at `i`: the lookahead that tells a parameter from a new challenge. */
const startsParam = (s: string, i: number): boolean => {
  const end = scanToken(s, i);
  return end > i && s.charCodeAt(skipWhitespace(s, end)) === EQUALS;
};

const MAX_WARNINGS = 20;

/** Where a value needs no more than a glance: shortened, with control characters made visible. */
export const excerpt = (value: string, max = 200): string => {
  const short = value.length > max ? `${value.slice(0, max)}…` : value;
  let out = '';
  for (let i = 0; i < short.length; i++) {
    const c = short.charCodeAt(i);
    // C0, DEL and C1 controls could drive a terminal (ANSI escapes): never echo them raw.
    out += c < 0x20 || (c >= 0x7f && c < 0xa0) ? `\\x${c.toString(16).padStart(2, '0')}` : short[i];
  }
  return out;
};

/**
 * Parses a `WWW-Authenticate` field value into its challenges. Repeated header lines (an array) are joined
 * with `, `, as RFC 9110 §5.3 allows. Never throws: a malformed header gives `ok: false` with the error,
 * the challenges completed before it, and the raw value.
 * Lenient where real servers are: a bare `Bearer` with no parameters, unquoted values holding characters
 * outside `token` (with a warning), a missing comma between two parameters (with a warning).
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1
 */
export function parseWwwAuthenticate(value: string | readonly string[]): ParseResult {
  const challenges: Challenge[] = [];
  const warnings: string[] = [];
  let raw: string;
  if (typeof value === 'string') {
    raw = value;
  } else if (Array.isArray(value) && value.every((line) => typeof line === 'string')) {
    raw = (value as readonly string[]).join(', ');
  } else {
    const error = new ChallengeParseError('invalid_input', 0, 'not a string or a list of strings');
    return { ok: false, error, challenges, warnings, raw: '' };
  }

  const s = raw;
  const n = s.length;
  let warningCount = 0;
  const warn = (message: string): void => {
    warningCount++;
    if (warningCount <= MAX_WARNINGS) warnings.push(message);
    else if (warningCount === MAX_WARNINGS + 1) warnings.push('further warnings about this header omitted');
  };
  const fail = (reason: ChallengeParseReason, position: number, detail: string): ParseResult => ({
    ok: false,
    error: new ChallengeParseError(reason, position, detail),
    challenges,
    warnings,
    raw,
  });

  let i = skipSeparators(s, 0);
  while (i < n) {
    const schemeEnd = scanToken(s, i);
    if (schemeEnd === i) return fail('expected_scheme', i, 'expected an auth-scheme');
    const scheme = s.slice(i, schemeEnd).toLowerCase();
    i = schemeEnd;
    if (i < n && s.charCodeAt(i) !== COMMA && !is(s, i, WHITESPACE)) {
      return fail('unexpected_character', i, `unexpected character after auth-scheme "${excerpt(scheme, 40)}"`);
    }

    const params = Object.create(null) as Record<string, string>;
    const duplicates: string[] = [];
    const seenDuplicates = new Set<string>();
    let token68: string | undefined;
    let nextChallenge = false;

    let contentStart = skipWhitespace(s, i);
    // Empty list elements between the scheme and its first parameter (`Bearer , error="…"`) belong to the scheme:
    // `#auth-param` allows them (RFC 9110 §5.6.1), and a parameter can never start a challenge of its own.
    let paramsFollowComma = false;
    if (contentStart < n && s.charCodeAt(contentStart) === COMMA) {
      const next = skipSeparators(s, contentStart);
      if (next < n && startsParam(s, next)) {
        if (contentStart === schemeEnd) warn(`${excerpt(scheme, 40)}: no space between the auth-scheme and its first parameter`);
        contentStart = next;
        paramsFollowComma = true;
      }
    }
    i = contentStart;
    if (i < n && s.charCodeAt(i) !== COMMA) {
      const token68End = paramsFollowComma ? -1 : scanToken68(s, i);
      if (token68End !== -1) {
        token68 = s.slice(i, token68End);
        i = token68End;
      } else {
        // auth-param list, ending at the end of input or where a comma is followed by a new challenge.
        while (!nextChallenge) {
          const nameEnd = scanToken(s, i);
          if (nameEnd === i) return fail('unexpected_character', i, 'expected a parameter name');
          const name = s.slice(i, nameEnd).toLowerCase();
          i = skipWhitespace(s, nameEnd);
          if (s.charCodeAt(i) !== EQUALS) return fail('expected_equals', i, `expected "=" after parameter "${excerpt(name, 40)}"`);
          i = skipWhitespace(s, i + 1);

          let paramValue: string;
          if (s.charCodeAt(i) === DQUOTE) {
            const open = i;
            const parts: string[] = [];
            let segment = i + 1;
            let j = segment;
            for (;;) {
              if (j >= n) return fail('unterminated_quoted_string', open, 'unterminated quoted string');
              const c = s.charCodeAt(j);
              if (c === DQUOTE) break;
              if (c === BACKSLASH) {
                if (j + 1 >= n) return fail('unterminated_quoted_string', open, 'unterminated quoted string');
                parts.push(s.slice(segment, j));
                segment = j + 1; // the escaped character starts the next segment
                j += 2;
              } else {
                j++;
              }
            }
            parts.push(s.slice(segment, j));
            paramValue = parts.join('');
            i = j + 1;
          } else {
            // RFC 9110 wants a token here; servers also send URLs and base64 bare, so read up to a delimiter.
            const start = i;
            let outsideToken = false;
            for (;;) {
              const c = s.charCodeAt(i);
              if (!(c > 0x20 && c !== 0x7f && c !== COMMA && c !== DQUOTE)) break; // NaN at the end breaks too
              if (!is(s, i, TCHAR)) outsideToken = true;
              i++;
            }
            if (i === start) return fail('expected_value', i, `expected a value for parameter "${excerpt(name, 40)}"`);
            paramValue = s.slice(start, i);
            if (outsideToken) warn(`${scheme}: unquoted value of "${excerpt(name, 40)}" has characters a token may not hold`);
          }

          if (name in params) {
            if (!seenDuplicates.has(name)) {
              seenDuplicates.add(name);
              duplicates.push(name);
              warn(`${scheme}: parameter "${excerpt(name, 40)}" repeated; the first value is kept`);
            }
          } else {
            params[name] = paramValue;
          }

          const afterValue = i;
          i = skipWhitespace(s, i);
          if (i >= n) break;
          if (s.charCodeAt(i) === COMMA) {
            i = skipSeparators(s, i);
            if (i >= n) break;
            if (!startsParam(s, i)) nextChallenge = true;
          } else if (i > afterValue && startsParam(s, i)) {
            warn(`${scheme}: missing comma before parameter at position ${i}`);
          } else {
            return fail('expected_comma', i, 'expected "," after a parameter value');
          }
        }
      }
    }

    challenges.push(token68 === undefined ? { scheme, params, duplicates } : { scheme, token68, params, duplicates });
    if (!nextChallenge) i = skipSeparators(s, i);
  }
  return { ok: true, challenges, warnings };
}

/** The first `Bearer` challenge, if any. @see https://www.rfc-editor.org/rfc/rfc6750#section-3 */
export function findBearer(challenges: readonly Challenge[]): Challenge | undefined {
  return challenges.find((challenge) => challenge.scheme === 'bearer');
}

const param = (challenge: Challenge, name: string): string | undefined =>
  Object.hasOwn(challenge.params, name) ? challenge.params[name] : undefined;

/** Splits on runs of SP / HTAB without a regular expression; drops empty items and repeats. */
const splitSpaces = (value: string): string[] => {
  const items = new Set<string>();
  let start = -1;
  for (let i = 0; i <= value.length; i++) {
    const space = i === value.length || is(value, i, WHITESPACE);
    if (space && start !== -1) {
      items.add(value.slice(start, i));
      start = -1;
    } else if (!space && start === -1) {
      start = i;
    }
  }
  return [...items];
};

/**
 * The `scope` parameter as a list (space-separated, order not significant), or undefined when absent.
 * `scope=""` is the empty list.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function readScope(challenge: Challenge): string[] | undefined {
  const value = param(challenge, 'scope');
  return value === undefined ? undefined : parseScopes(value);
}

/** The `error` code (`insufficient_scope`, `invalid_token`…), or undefined. @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1 */
export function readError(challenge: Challenge): string | undefined {
  return param(challenge, 'error');
}

/** The `resource_metadata` URL, unchecked (the caller fetches and validates it). @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1 */
export function readResourceMetadata(challenge: Challenge): string | undefined {
  const value = param(challenge, 'resource_metadata');
  return value === undefined || value === '' ? undefined : value;
}

/** The `acr_values` parameter, space-separated in order of preference, or undefined. @see https://www.rfc-editor.org/rfc/rfc9470#section-3 */
export function readAcrValues(challenge: Challenge): string[] | undefined {
  const value = param(challenge, 'acr_values');
  return value === undefined ? undefined : splitSpaces(value);
}

/**
 * The `max_age` parameter in seconds, quoted (`"5"`) or bare (`300`). A value that is not a non-negative
 * integer is ignored, and a warning pushed onto `warnings` when given.
 * @see https://www.rfc-editor.org/rfc/rfc9470#section-3
 */
export function readMaxAge(challenge: Challenge, warnings?: string[]): number | undefined {
  const value = param(challenge, 'max_age');
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  let digits = trimmed.length > 0 && trimmed.length <= 15;
  for (let i = 0; digits && i < trimmed.length; i++) {
    const c = trimmed.charCodeAt(i);
    digits = c >= 0x30 && c <= 0x39;
  }
  if (!digits) {
    warnings?.push(`max_age "${excerpt(value, 40)}" is not a number of seconds; ignored`);
    return undefined;
  }
  return Number(trimmed);
}

const DISPLAY_SCHEMES: Readonly<Record<string, string>> = { bearer: 'Bearer', dpop: 'DPoP', basic: 'Basic', digest: 'Digest' };

/**
 * A challenge written back as header text for evidence: known schemes in their usual case, values quoted
 * and shortened to `maxValueLength`, control characters escaped.
 */
export function formatChallenge(challenge: Challenge, maxValueLength = 200): string {
  const scheme = Object.hasOwn(DISPLAY_SCHEMES, challenge.scheme) ? DISPLAY_SCHEMES[challenge.scheme]! : challenge.scheme;
  if (challenge.token68 !== undefined) return `${scheme} ${excerpt(challenge.token68, maxValueLength)}`;
  const params = Object.keys(challenge.params).map((name) => {
    let quoted = '';
    for (const char of excerpt(challenge.params[name]!, maxValueLength)) quoted += char === '"' || char === '\\' ? `\\${char}` : char;
    return `${name}="${quoted}"`;
  });
  return params.length === 0 ? scheme : `${scheme} ${params.join(', ')}`;
}
