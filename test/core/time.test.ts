import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeExpiry, describeInstant, INVALID_TIME, relativeTime } from '../../src/core/time.js';

const NOW = new Date('2024-05-01T12:00:00.000Z');
const NOW_SECONDS = NOW.getTime() / 1000;

describe('relativeTime', () => {
  it.each([
    { description: 'zero', input: 0, expected: 'just now' },
    { description: 'within 5 s ahead', input: 4.9, expected: 'just now' },
    { description: 'within 5 s behind', input: -4, expected: 'just now' },
    { description: '5 s ahead', input: 5, expected: 'in 5 s' },
    { description: 'seconds ahead', input: 45, expected: 'in 45 s' },
    { description: 'seconds behind', input: -59, expected: '59 s ago' },
    { description: 'one minute', input: 60, expected: 'in 1 min' },
    { description: 'minutes round towards zero', input: 12 * 60 + 59, expected: 'in 12 min' },
    { description: 'hours behind', input: -3 * 3600, expected: '3 h ago' },
    { description: 'hours round towards zero', input: -(3 * 3600 + 59 * 60), expected: '3 h ago' },
    { description: 'days ahead', input: 2 * 86_400, expected: 'in 2 d' },
    { description: 'days behind', input: -2 * 86_400 - 5, expected: '2 d ago' },
    { description: 'years', input: 400 * 86_400, expected: 'in 1 y' },
    { description: 'fractional seconds', input: -90.7, expected: '1 min ago' },
    { description: 'NaN', input: Number.NaN, expected: INVALID_TIME },
    { description: 'Infinity', input: Number.POSITIVE_INFINITY, expected: INVALID_TIME },
    { description: '-Infinity', input: Number.NEGATIVE_INFINITY, expected: INVALID_TIME },
  ])('$description', ({ input, expected }) => {
    expect(relativeTime(input)).toBe(expected);
  });
});

describe('describeInstant', () => {
  it.each([
    {
      description: 'an exp 12 minutes ahead',
      input: NOW_SECONDS + 720,
      expected: { valid: true, iso: '2024-05-01T12:12:00.000Z', relative: 'in 12 min', past: false },
    },
    {
      description: 'an iat 3 hours behind',
      input: NOW_SECONDS - 3 * 3600,
      expected: { valid: true, iso: '2024-05-01T09:00:00.000Z', relative: '3 h ago', past: true },
    },
    {
      description: 'exactly now counts as past (exp is not accepted on or after it)',
      input: NOW_SECONDS,
      expected: { valid: true, iso: '2024-05-01T12:00:00.000Z', relative: 'just now', past: true },
    },
    {
      description: 'a fractional NumericDate',
      input: NOW_SECONDS + 0.5,
      expected: { valid: true, iso: '2024-05-01T12:00:00.500Z', relative: 'just now', past: false },
    },
    {
      description: 'the epoch',
      input: 0,
      expected: { valid: true, iso: '1970-01-01T00:00:00.000Z', relative: '54 y ago', past: true },
    },
    {
      description: 'the last second of year 9999',
      input: 253_402_300_799,
      expected: { valid: true, iso: '9999-12-31T23:59:59.000Z', relative: 'in 7975 y', past: false },
    },
  ])('$description', ({ input, expected }) => {
    expect(describeInstant(input, NOW)).toEqual(expected);
  });

  const invalid = { valid: false, iso: INVALID_TIME, relative: INVALID_TIME, past: false };
  it.each([
    { description: 'NaN', input: Number.NaN },
    { description: 'Infinity', input: Number.POSITIVE_INFINITY },
    { description: '1e20', input: 1e20 },
    { description: '-1e20', input: -1e20 },
    { description: 'milliseconds where seconds belong', input: NOW.getTime() },
    { description: 'a numeric string', input: '1714564800' },
    { description: 'null', input: null },
    { description: 'undefined', input: undefined },
    { description: 'an object', input: { exp: 1 } },
  ])('$description is an invalid time', ({ input }) => {
    expect(describeInstant(input, NOW)).toEqual(invalid);
  });

  it('an invalid now is an invalid time', () => {
    expect(describeInstant(NOW_SECONDS, new Date(Number.NaN))).toEqual(invalid);
  });
});

describe('describeExpiry', () => {
  it.each([
    { description: 'ahead', input: NOW_SECONDS + 720, expected: 'expires in 12 min' },
    { description: 'behind', input: NOW_SECONDS - 3 * 3600, expected: 'expired 3 h ago' },
    { description: 'exactly now', input: NOW_SECONDS, expected: 'expired just now' },
    { description: 'a moment ahead', input: NOW_SECONDS + 3, expected: 'expires now' },
    { description: 'days behind', input: NOW_SECONDS - 2 * 86_400, expected: 'expired 2 d ago' },
    { description: 'seconds ahead', input: NOW_SECONDS + 45, expected: 'expires in 45 s' },
    { description: 'absurd', input: 1e20, expected: INVALID_TIME },
    { description: 'not a number', input: 'soon', expected: INVALID_TIME },
  ])('$description', ({ input, expected }) => {
    expect(describeExpiry(input, NOW)).toBe(expected);
  });
});

describe('time properties', () => {
  it('never throws, whatever the claim holds', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.anything()), fc.date({ noInvalidDate: false }), (value, now) => {
        expect(typeof describeExpiry(value, now)).toBe('string');
        expect(typeof describeInstant(value, now).iso).toBe('string');
        expect(typeof relativeTime(value as number)).toBe('string');
      }),
      { numRuns: 2_000 },
    );
  });

  it('says expired exactly when the instant is at or before now', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10 * 365 * 86_400, max: 10 * 365 * 86_400 }), (delta) => {
        expect(describeExpiry(NOW_SECONDS + delta, NOW).startsWith('expired')).toBe(delta <= 0);
      }),
    );
  });
});
