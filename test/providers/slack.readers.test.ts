import { describe, expect, it } from 'vitest';
import { respond, runTable } from '../support/dialects.js';
import { readSlack } from '../../src/providers/slack.js';


describe('Slack', () => {
  runTable(readSlack, [
    {
      description: 'missing_scope: needed lists alternatives (D8)',
      input: respond(200, {}, { ok: false, error: 'missing_scope', needed: 'channels:read,groups:read', provided: 'chat:write' }),
      expected: {
        outcome: 'missing_scope',
        required: [['channels:read'], ['groups:read']],
        granted: ['chat:write'],
        dialect: 'slack',
        evidence: ['body {"ok":false,"error":"missing_scope","needed":"channels:read,groups:read","provided":"chat:write"}'],
      },
    },
    {
      description: 'provided absent',
      input: respond(200, {}, { ok: false, error: 'missing_scope', needed: 'chat:write' }),
      expected: { outcome: 'missing_scope', required: [['chat:write']] },
    },
    { description: 'invalid_auth', input: respond(200, {}, { ok: false, error: 'invalid_auth' }), expected: { outcome: 'unauthorized', required: [] } },
    { description: 'not_allowed_token_type', input: respond(200, {}, { ok: false, error: 'not_allowed_token_type' }), expected: { outcome: 'forbidden' } },
    { description: 'ok: true', input: respond(200, {}, { ok: true, channels: [] }), expected: null },
    { description: 'another error', input: respond(200, {}, { ok: false, error: 'channel_not_found' }), expected: null },
  ]);

  it('has no granted member when provided is absent', () => {
    expect(readSlack(respond(200, {}, { ok: false, error: 'missing_scope', needed: 'chat:write' }))).not.toHaveProperty('granted');
  });
});
