import { describe } from 'vitest';
import { respond, runTable } from '../support/dialects.js';
import { readShopify } from '../../src/providers/shopify.js';


describe('Shopify', () => {
  runTable(readShopify, [
    {
      description: 'with the [API] prefix',
      input: respond(403, {}, { errors: '[API] This action requires merchant approval for read_themes scope.' }),
      expected: {
        outcome: 'missing_scope',
        required: [['read_themes']],
        dialect: 'shopify',
        evidence: ['body errors: "[API] This action requires merchant approval for read_themes scope."'],
      },
    },
    {
      description: 'without the prefix',
      input: respond(403, {}, { errors: 'This action requires merchant approval for write_products scope.' }),
      expected: { required: [['write_products']] },
    },
    {
      description: 'a list of messages: all of them',
      input: respond(403, {}, { errors: ['[API] This action requires merchant approval for read_themes scope.', 'This action requires merchant approval for write_themes scope.'] }),
      expected: { required: [['read_themes', 'write_themes']] },
    },
    {
      description: 'an object of message lists',
      input: respond(403, {}, { errors: { base: ['This action requires merchant approval for read_orders scope.'] } }),
      expected: { required: [['read_orders']] },
    },
    { description: 'Not Found', input: respond(404, {}, { errors: 'Not Found' }), expected: null },
    { description: 'a bad token', input: respond(401, {}, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' }), expected: null },
    { description: 'GraphQL access denied names no scope', input: respond(200, {}, { errors: [{ message: 'TagsAdd access denied' }] }), expected: null },
  ]);
});
