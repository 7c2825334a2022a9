import { describe } from 'vitest';
import { respond, runTable } from '../support/dialects.js';
import { readMicrosoftGraph } from '../../src/providers/entra.js';


describe('Microsoft Graph', () => {
  const NOTE = "Microsoft Graph does not name the missing scope (permission); the manifest's declared scopes are the fallback.";
  runTable(readMicrosoftGraph, [
    {
      description: 'Authorization_RequestDenied',
      input: respond(403, {}, {
        error: {
          code: 'Authorization_RequestDenied',
          message: 'Insufficient privileges to complete the operation.',
          innerError: { date: '2024-01-01T00:00:00', 'request-id': 'r', 'client-request-id': 'c' },
        },
      }),
      expected: { outcome: 'forbidden', required: [], dialect: 'microsoft-graph', note: NOTE },
    },
    {
      description: 'ErrorAccessDenied',
      input: respond(403, {}, { error: { code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' } }),
      expected: { outcome: 'forbidden', required: [], note: NOTE },
    },
    { description: 'a 404', input: respond(404, {}, { error: { code: 'itemNotFound', message: 'Item not found' } }), expected: null },
  ]);
});
