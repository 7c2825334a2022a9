/**
 * Instants of tokens (`exp`, `iat`, `nbf`, `auth_time`: JWT NumericDate, seconds since the epoch) as ISO text and as
 * a distance from an injected `now`. Pure: the clock is always a parameter. Claims come from untrusted tokens, so
 * every function here accepts anything and says "invalid time" rather than throwing.
 */

export const INVALID_TIME = 'invalid time';

/** Below this distance a relative time is "just now": clocks of client and server disagree by more anyway. */
const JUST_NOW_SECONDS = 5;

/**
 * Years 1..9999: what ISO 8601 writes without an expanded year. A NumericDate outside it is a mistake (often
 * milliseconds where seconds belong), not a date worth showing.
 */
const MIN_EPOCH_SECONDS = -62_135_596_800;
const MAX_EPOCH_SECONDS = 253_402_300_799;

const UNITS: readonly { readonly seconds: number; readonly name: string }[] = [
  /** The Gregorian mean year, so that distances of centuries come out right. */
  { seconds: 31_556_952, name: 'y' },
  { seconds: 86_400, name: 'd' },
  { seconds: 3_600, name: 'h' },
  { seconds: 60, name: 'min' },
  { seconds: 1, name: 's' },
];

export interface DescribedInstant {
  /** False when the value is not a NumericDate that can be shown; then `iso` and `relative` say "invalid time". */
  readonly valid: boolean;
  readonly iso: string;
  /** "in 12 min", "3 h ago", "just now". */
  readonly relative: string;
  /** True when the instant is at or before `now` (an `exp` equal to now has expired). */
  readonly past: boolean;
}

/**
 * A signed distance in seconds (positive: future) as short text: "in 12 min", "3 h ago", "in 45 s", "2 d ago",
 * "just now" within 5 s. Rounds towards zero, so "in 12 min" means at least 12 minutes. Never throws.
 */
export function relativeTime(deltaSeconds: number): string {
  if (typeof deltaSeconds !== 'number' || !Number.isFinite(deltaSeconds)) return INVALID_TIME;
  const distance = Math.abs(deltaSeconds);
  if (distance < JUST_NOW_SECONDS) return 'just now';
  const unit = UNITS.find((candidate) => distance >= candidate.seconds) ?? { seconds: 1, name: 's' };
  const amount = `${Math.floor(distance / unit.seconds)} ${unit.name}`;
  return deltaSeconds > 0 ? `in ${amount}` : `${amount} ago`;
}

/**
 * A NumericDate (seconds since the epoch) as ISO 8601 and relative to `now`. Never throws: a value that is not a
 * finite number within years 1..9999, or an invalid `now`, gives `valid: false` and "invalid time".
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-2 (NumericDate)
 */
export function describeInstant(epochSeconds: unknown, now: Date): DescribedInstant {
  const nowMs = now instanceof Date ? now.getTime() : Number.NaN;
  if (!isNumericDate(epochSeconds) || !Number.isFinite(nowMs)) {
    return { valid: false, iso: INVALID_TIME, relative: INVALID_TIME, past: false };
  }
  const deltaSeconds = epochSeconds - nowMs / 1000;
  return {
    valid: true,
    iso: new Date(epochSeconds * 1000).toISOString(),
    relative: relativeTime(deltaSeconds),
    past: deltaSeconds <= 0,
  };
}

/**
 * An `exp` claim as "expires in 12 min", "expired 3 h ago", "expired just now", "expires now" or "invalid time".
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-4.1.4 (`exp`: not accepted on or after it)
 */
export function describeExpiry(exp: unknown, now: Date): string {
  const instant = describeInstant(exp, now);
  if (!instant.valid) return INVALID_TIME;
  if (instant.relative === 'just now') return instant.past ? 'expired just now' : 'expires now';
  return instant.past ? `expired ${instant.relative}` : `expires ${instant.relative}`;
}

function isNumericDate(value: unknown): value is number {
  return (
    typeof value === 'number' && Number.isFinite(value) && value >= MIN_EPOCH_SECONDS && value <= MAX_EPOCH_SECONDS
  );
}
