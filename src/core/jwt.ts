/**
 * Reading a token someone pasted: a JWT (header and claims readable), a JWE (encrypted, claims unreadable) or an
 * opaque string, named by a well-known prefix where the caller knows one. Pure: no node:*, no IO. Nothing here verifies a
 * signature; decoded claims are for display and for a diff a user reads, never for an access decision.
 */

import { UsageError } from '../errors.js';

/** What a well-known opaque-token prefix says about the token. */
export interface OpaqueKind {
  readonly prefix: string;
  readonly provider: string;
  readonly description: string;
  /** True when the provider ignores scopes for this kind of credential (an API key with full access). */
  readonly bypassesScopes?: boolean;
  /** Where the scopes (or what stands in for them) of such a token can be read, for a hint. */
  readonly scopesVia?: string;
  /** False when its provider offers no token introspection (RFC 7662), so `--introspect` is no hint to give. */
  readonly introspectable?: boolean;
}

export type DecodedToken =
  | {
      readonly format: 'jwt';
      readonly header: Record<string, unknown>;
      readonly claims: Record<string, unknown>;
    }
  | {
      /** Encrypted (RFC 7516 compact serialization): only the protected header can be read. */
      readonly format: 'jwe';
      readonly header: Record<string, unknown>;
    }
  | {
      readonly format: 'opaque';
      /** The kind named by a well-known prefix, or null when the prefix says nothing. */
      readonly kind: OpaqueKind | null;
    };

/** Anything longer is refused before any parsing, so hostile input costs little. */
const MAX_INPUT_LENGTH = 65_536;
const MIN_OPAQUE_LENGTH = 8;
const MAX_OPAQUE_LENGTH = 16_384;

const BEARER_PREFIX = /^bearer(?:\s+|$)/i;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const VISIBLE_ASCII = /^[\x21-\x7e]*$/;
/** `{"` base64url-encoded: every JOSE header starts with it, so such input was meant to be a JWT or JWE. */
const JOSE_HEADER_START = 'eyJ';

/**
 * Trims surrounding whitespace and a leading `Bearer ` (as copied from an Authorization header). Never throws.
 * Hash this form for a fingerprint, so that `x` and `Bearer x\n` are the same token.
 */
export function normalizeToken(raw: string): string {
  return raw.trim().replace(BEARER_PREFIX, '').trim();
}

/** Names an opaque token by its prefix, or null: the registry of `src/providers/` is one. */
export type TokenIdentifier = (token: string) => OpaqueKind | null;

/**
 * The kind among `kinds` whose prefix the token starts with, longest prefix first (so `xoxe.xoxp-` wins over
 * `xoxe-`), matched case-sensitively; null when none does.
 */
export function kindByPrefix(token: string, kinds: readonly OpaqueKind[]): OpaqueKind | null {
  let best: OpaqueKind | null = null;
  for (const kind of kinds) {
    if (token.startsWith(kind.prefix) && (best === null || kind.prefix.length > best.prefix.length)) best = kind;
  }
  return best;
}

/**
 * Decodes a pasted token without verifying it: three base64url segments whose first two are JSON objects make a JWT,
 * five whose first is a JSON object a JWE; anything else that looks like a token is opaque, named by `identify` (the
 * providers' token prefixes) where it can be.
 * Input that was evidently meant as a JWT but is damaged (a segment that is not base64url-encoded JSON, a header that
 * is `null`, a missing segment) is refused rather than called opaque, since "opaque" would send the user the wrong way.
 * @throws UsageError (exit 2) `not_a_token` when the input is not a token; never anything else.
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-7.2 (validating a JWT: the decoding steps)
 * @see https://www.rfc-editor.org/rfc/rfc7516#section-9 (telling a JWE from a JWS)
 */
export function decodeToken(raw: string, identify: TokenIdentifier = () => null): DecodedToken {
  if (typeof raw !== 'string') throw notAToken('the input is not text');
  const token = normalizeToken(raw);
  if (token === '') throw notAToken('the input is empty');
  if (token.length > MAX_INPUT_LENGTH) {
    throw notAToken(`${token.length} characters is far longer than any token`);
  }
  if (/\s/.test(token)) {
    throw notAToken(`it contains whitespace inside ${preview(token)} (was it wrapped or joined when copied?)`);
  }
  if (!VISIBLE_ASCII.test(token)) {
    const position = [...token].findIndex((char) => !VISIBLE_ASCII.test(char)) + 1;
    throw notAToken(`character ${position} is not printable ASCII, which no token holds`);
  }

  const segments = token.split('.');
  const jose = decodeJose(segments);
  if (jose.kind === 'decoded') return jose.token;
  if (jose.kind === 'damaged') throw notAToken(`${preview(token)} looks like a JWT but ${jose.reason}`);

  if (token.length < MIN_OPAQUE_LENGTH) throw notAToken(`${token.length} characters is too short for a token`);
  if (token.length > MAX_OPAQUE_LENGTH) {
    throw notAToken(`${token.length} characters, no JWT structure: too long for an opaque token`);
  }
  if (!/[A-Za-z0-9]/.test(token)) throw notAToken('it holds no letters or digits');
  return { format: 'opaque', kind: identify(token) };
}

/**
 * Formats a digest of the normalized token as a short fingerprint (`sha256:` and 12 hex digits) that identifies a
 * token in output without revealing it. The caller hashes (hashing is IO-ish: node:crypto or WebCrypto).
 */
export function formatFingerprint(digest: Uint8Array): string {
  const hex = Array.from(digest.subarray(0, 6), (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `sha256:${hex}`;
}

type JoseResult =
  | { readonly kind: 'decoded'; readonly token: DecodedToken }
  /** Meant as JOSE (its first segment is, or starts like, a JSON header) but broken: worth an error of its own. */
  | { readonly kind: 'damaged'; readonly reason: string }
  | { readonly kind: 'not-jose' };

function decodeJose(segments: readonly string[]): JoseResult {
  const [first = ''] = segments;
  const header = decodeJsonSegment(first);
  const meantAsJose = first.startsWith(JOSE_HEADER_START) || header.kind === 'json';
  if (!meantAsJose) return { kind: 'not-jose' };

  if (segments.length !== 3 && segments.length !== 5) {
    return { kind: 'damaged', reason: `it has ${segments.length} dot-separated segments (a JWT has 3, a JWE 5)` };
  }
  if (header.kind !== 'json') return { kind: 'damaged', reason: `its header ${header.reason}` };
  if (!isJsonObject(header.value)) return { kind: 'damaged', reason: 'its header is JSON but not an object' };
  const badSegment = segments.findIndex((segment) => !BASE64URL.test(segment));
  if (badSegment !== -1) {
    return { kind: 'damaged', reason: `segment ${badSegment + 1} holds characters outside base64url` };
  }

  if (segments.length === 5) return { kind: 'decoded', token: { format: 'jwe', header: header.value } };

  const payload = decodeJsonSegment(segments[1] ?? '');
  if (payload.kind !== 'json') return { kind: 'damaged', reason: `its payload ${payload.reason}` };
  if (!isJsonObject(payload.value)) {
    return { kind: 'damaged', reason: 'its payload is JSON but not an object of claims (a JWS, not a JWT)' };
  }
  return { kind: 'decoded', token: { format: 'jwt', header: header.value, claims: payload.value } };
}

type SegmentResult = { readonly kind: 'json'; readonly value: unknown } | { readonly kind: 'bad'; readonly reason: string };

function decodeJsonSegment(segment: string): SegmentResult {
  if (segment === '') return { kind: 'bad', reason: 'is empty' };
  const bytes = decodeBase64url(segment);
  if (bytes === null) return { kind: 'bad', reason: 'is not valid base64url (was it cut when copied?)' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { kind: 'bad', reason: 'is not UTF-8 text' };
  }
  try {
    return { kind: 'json', value: JSON.parse(text) as unknown };
  } catch {
    return { kind: 'bad', reason: 'is not JSON' };
  }
}

const BASE64URL_VALUES: ReadonlyMap<string, number> = new Map(
  [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].map((char, index) => [char, index]),
);

/**
 * Strict unpadded base64url (RFC 7515 §2): no padding, no whitespace, no `+` or `/`; null when malformed.
 * By hand rather than atob, which accepts whitespace and the standard alphabet.
 */
export function decodeBase64url(segment: string): Uint8Array | null {
  if (segment.length % 4 === 1 || !BASE64URL.test(segment)) return null;
  const bytes = new Uint8Array(Math.floor((segment.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let offset = 0;
  for (const char of segment) {
    buffer = ((buffer << 6) | (BASE64URL_VALUES.get(char) ?? 0)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[offset++] = (buffer >> bits) & 0xff;
    }
  }
  return bytes;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** At most a few leading characters, and only printable ones: enough to recognise the input, not to leak it. */
function preview(token: string): string {
  const head = token.slice(0, 4);
  return VISIBLE_ASCII.test(head) ? `"${head}…"` : 'the input';
}

function notAToken(why: string): UsageError {
  return new UsageError(
    `not a token: ${why}.`,
    { hint: 'Pass an access or id token as it was issued, or `-` to read it from stdin.' },
    'not_a_token',
  );
}
