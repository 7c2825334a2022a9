import { it, expect } from 'vitest';
import type { Dialect, Finding, ProbeResponse } from '../../src/core/dialects.js';

/** A response as plain data: headers as given, an object body serialised as JSON. */
export const respond = (status: number, headers: Record<string, string | string[]> = {}, body: unknown = ''): ProbeResponse => ({
  status,
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

export interface Vector {
  description: string;
  input: ProbeResponse;
  /** Fields the finding must have (null: no finding). */
  expected: Partial<Finding> | null;
}

/** One `it` per vector: the dialect's finding matches `expected` (or is null). */
export const runTable = (dialect: Dialect, vectors: Vector[]): void => {
  it.each(vectors)('$description', ({ input, expected }) => {
    const found = dialect(input);
    if (expected === null) expect(found).toBeNull();
    else expect(found).toMatchObject(expected);
  });
};
