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

// Real answers shared by the registry's tests (test/core/dialects.test.ts) and the providers' own
// (test/providers/*.readers.test.ts). Google's: standards.md §7 shapes, copied exactly.
export const GOOGLE_CHALLENGE =
  'Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="https://www.googleapis.com/auth/iam https://www.googleapis.com/auth/cloud-platform"';
export const GOOGLE_ERRORS = [{ message: 'Insufficient Permission', domain: 'global', reason: 'insufficientPermissions' }];
export const GOOGLE_DETAILS = [
  {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
    domain: 'googleapis.com',
    metadata: { service: 'iam.googleapis.com', method: 'google.iam.admin.v1.IAM.ListServiceAccounts' },
  },
];
export const googleBody = (extra: Record<string, unknown>) => ({
  error: { code: 403, message: 'Request had insufficient authentication scopes.', status: 'PERMISSION_DENIED', ...extra },
});
export const GOOGLE_ALTERNATIVES = [['https://www.googleapis.com/auth/iam'], ['https://www.googleapis.com/auth/cloud-platform']];

export const GITHUB_403_BODY = {
  message: 'Resource not accessible by personal access token',
  documentation_url: 'https://docs.github.com/rest/repos/repos#get-a-repository',
  status: '403',
};
export const GRAPHQL_MESSAGE =
  "Your token has not been granted the required scopes to execute this query. The 'number' field requires one of the following scopes: ['read:project'], but your token has only been granted the: ['repo'] scopes. Please modify your token's scopes at: https://github.com/settings/tokens.";
