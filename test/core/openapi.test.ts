import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument, stringify } from 'yaml';
import { DocumentError, loadYaml } from '../../src/core/manifest.js';

// The readers are called directly here: the YAML parser is loaded as commands load it (readWithYamlIfNeeded).
await loadYaml();
import type { Endpoint } from '../../src/core/manifest.js';
import { parseOpenApi } from '../../src/core/openapi.js';
import { ExitCode } from '../../src/errors.js';

const fixtures = fileURLToPath(new URL('../fixtures/openapi/', import.meta.url));
const fixture = (name: string): string => readFileSync(`${fixtures}${name}`, 'utf8');

/** `"GET /v1/videos"` → the endpoint, for tables keyed the way `scopes minimal` names endpoints. */
function byName(endpoints: readonly Endpoint[]): Map<string, Endpoint> {
  return new Map(endpoints.map((endpoint) => [`${endpoint.method} ${endpoint.path}`, endpoint]));
}

function errorOf(text: string, fileName = 'openapi.yaml'): DocumentError {
  try {
    parseOpenApi(text, fileName);
  } catch (error) {
    expect(error).toBeInstanceOf(DocumentError);
    return error as DocumentError;
  }
  throw new Error('expected the document to be rejected');
}

const lines = (...rows: string[]): string => `${rows.join('\n')}\n`;

/** A minimal valid document around `paths` (YAML lines, indented by two). */
const OAUTH_COMPONENTS = [
  'components:',
  '  securitySchemes:',
  '    oauth:',
  '      type: oauth2',
  '      flows:',
  '        clientCredentials:',
  '          tokenUrl: https://auth.example.com/token',
  '          scopes: { a:read: Read A, a:write: Write A }',
];

describe('parseOpenApi: the video API of seed 003', () => {
  // reference/seeds/003, "Scope-to-endpoint mapping", with `:id` written as OpenAPI's `{id}`
  const SEED_TABLE = [
    ['GET /v1/videos', 'videos:read'],
    ['POST /v1/videos/upload', 'videos:write'],
    ['POST /v1/videos/{id}/analyze', 'analyze:write'],
    ['POST /v1/videos/{id}/export', 'export:write'],
    ['POST /v1/videos/{id}/translate', 'translate:write'],
    ['GET /v1/videos/{id}/subtitles', 'subtitles:read'],
    ['POST /v1/videos/{id}/voiceover', 'voiceover:write'],
    ['POST /v1/videos/{id}/article', 'article:write'],
    ['POST /v1/videos/process', 'process:write'],
    ['GET /v1/tools', 'tools:read'],
    ['POST /v1/tools/{type}/execute', 'tools:write'],
    ['GET /v1/jobs/{id}', 'jobs:read'],
    ['GET /v1/usage', 'usage:read'],
  ] as const;
  const SEED_SCOPES = [
    'videos:read', 'videos:write', 'subtitles:read', 'subtitles:write', 'export:write', 'translate:write',
    'voiceover:write', 'article:read', 'article:write', 'analyze:write', 'tools:read', 'tools:write',
    'jobs:read', 'usage:read', 'process:write',
  ];
  const doc = parseOpenApi(fixture('video-api.openapi.yaml'), 'video-api.openapi.yaml');

  it('lists every endpoint of the table, in document order, with the scope the table gives', () => {
    expect(doc.endpoints.map(({ method, path, required }) => [`${method} ${path}`, required])).toEqual(
      SEED_TABLE.map(([endpoint, scope]) => [endpoint, [[scope]]]),
    );
  });

  it('reads the declared scopes, the server, probes and operation ids, with no warnings', () => {
    expect(doc.declaredScopes).toEqual(SEED_SCOPES);
    expect(doc.api).toBe('https://api.example.com');
    expect(doc.rules).toEqual({});
    expect(doc.warnings).toEqual([]);
    const endpoints = byName(doc.endpoints);
    expect(endpoints.get('GET /v1/jobs/{id}')).toEqual({
      method: 'GET',
      path: '/v1/jobs/{id}',
      required: [['jobs:read']],
      probe: '/v1/jobs/7',
      source: 'operationId getJob',
      server: 'https://api.example.com',
    });
    expect(endpoints.get('GET /v1/videos/{id}/subtitles')?.probe).toBe('/v1/videos/vid_demo/subtitles');
  });

  it('still needs the scopes for an OAuth caller when API keys are offered as an alternative (issue 11)', () => {
    // the seed: "API keys (vdo_live_*) bypass scope checks entirely" — true for whoever holds a key, not for a token
    const value = parseDocument(fixture('video-api.openapi.yaml')).toJS() as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    for (const item of Object.values(value.paths)) {
      for (const operation of Object.values(item)) if (Array.isArray(operation.security)) operation.security.push({ workspaceKey: [] });
    }
    const keyed = parseOpenApi(stringify(value), 'video-api.openapi.yaml');
    expect(keyed.endpoints.map(({ method, path, required }) => [`${method} ${path}`, required])).toEqual(
      SEED_TABLE.map(([endpoint, scope]) => [endpoint, [[scope]]]),
    );
    expect(keyed.endpoints.every((endpoint) => JSON.stringify(endpoint.anyCredential) === '[[]]')).toBe(true);
    expect(keyed.endpoints.every((endpoint) => JSON.stringify(endpoint.otherCredentials) === '["workspaceKey"]')).toBe(true);
    expect(keyed.warnings).toEqual([]);
  });
});

describe('parseOpenApi: OpenAPI 3.0 (JSON) with a root default, overrides, security: [], combinations and $refs', () => {
  const doc = parseOpenApi(fixture('billing-3.0.openapi.json'), 'billing.json');
  const endpoints = byName(doc.endpoints);

  it.each([
    { description: 'security: [] needs nothing', input: 'GET /health', expected: [[]] },
    { description: 'no security of its own: the root default', input: 'GET /v1/invoices', expected: [['billing:read']] },
    { description: 'its own security overrides the root', input: 'POST /v1/invoices', expected: [['billing:write']] },
    {
      description: 'two requirement objects are alternatives; scopes within one are all needed; openIdConnect scopes count',
      input: 'DELETE /v1/invoices/{id}',
      expected: [['billing:write', 'billing:admin'], ['openid', 'finance-admin']],
    },
    { description: 'a path item $ref (percent-encoded JSON pointer)', input: 'GET /v2/invoices/{id}', expected: [['billing:read']] },
    { description: 'a security scheme $ref', input: 'GET /v1/customers', expected: [['customers:read']] },
    { description: 'an API key AND oauth2 still needs the OAuth scopes', input: 'GET /v1/reports/{period}', expected: [['reports:read']] },
    { description: 'an API key OR oauth2: an OAuth caller needs the scope', input: 'GET /v1/exports', expected: [['exports:read']] },
    { description: 'oauth2 OR http bearer: an OAuth caller needs the scope', input: 'POST /v1/webhooks', expected: [['webhooks:write']] },
    { description: 'oauth2 with no scopes needs a token but no scope', input: 'GET /v1/me', expected: [[]] },
  ])('$description ($input)', ({ input, expected }) => {
    expect(endpoints.get(input)?.required).toEqual(expected);
  });

  it('reads every operation, and nothing from extensions beside the paths', () => {
    expect([...endpoints.keys()]).toEqual([
      'GET /health',
      'GET /v1/invoices',
      'POST /v1/invoices',
      'GET /v1/invoices/{id}',
      'DELETE /v1/invoices/{id}',
      'GET /v2/invoices/{id}',
      'DELETE /v2/invoices/{id}',
      'GET /v1/customers',
      'GET /v1/reports/{period}',
      'GET /v1/exports',
      'POST /v1/webhooks',
      'GET /v1/me',
    ]);
  });

  it('names where an operation reached through a $ref came from', () => {
    expect(endpoints.get('GET /v1/invoices/{id}')?.source).toBe('operationId getInvoice');
    expect(endpoints.get('GET /v2/invoices/{id}')).toMatchObject({
      probe: '/v1/invoices/inv_0001',
      source: 'paths["/v2/invoices/{id}"].get (operationId getInvoice)',
    });
  });

  it.each([
    { input: 'GET /v1/exports', other: ['partnerKey'] },
    { input: 'POST /v1/webhooks', other: ['partnerToken'] },
  ])('keeps what $input needs when any credential counts: nothing, with $other', ({ input, other }) => {
    expect(endpoints.get(input)).toMatchObject({ anyCredential: [[]], otherCredentials: other });
    expect(endpoints.get('GET /v1/reports/{period}')?.anyCredential).toBeUndefined();
  });

  it('fills the server URL from its variables, collects declared scopes across flows', () => {
    expect(doc.api).toBe('https://eu.billing.example.com/api');
    expect(doc.declaredScopes).toEqual([
      'billing:read', 'billing:write', 'billing:admin', 'reports:read', 'exports:read', 'customers:read', 'webhooks:write',
    ]);
    expect(doc.warnings).toEqual([]);
  });
});

describe('parseOpenApi: OpenAPI 3.1 (YAML)', () => {
  const doc = parseOpenApi(fixture('photos-3.1.openapi.yaml'), 'photos.yaml');
  const endpoints = byName(doc.endpoints);

  it.each([
    { description: 'the root default', input: 'GET /photos', expected: [['photos.read']] },
    {
      description: 'a YAML anchor shared by operations; mutualTLS adds no scope but its partner oauth2 does',
      input: 'POST /photos',
      expected: [['photos.write'], ['photos.write', 'devices.sync']],
    },
    { description: 'the same anchor through an alias', input: 'PUT /albums/{albumId}/photos', expected: [['photos.write'], ['photos.write', 'devices.sync']] },
    { description: 'a components.pathItems $ref', input: 'GET /photos/{photoId}', expected: [['photos.read']] },
    { description: 'an alias inside a referenced path item', input: 'PATCH /photos/{photoId}', expected: [['photos.write'], ['photos.write', 'devices.sync']] },
    { description: 'the same scheme twice: alternatives', input: 'GET /albums/{albumId}', expected: [['albums.read'], ['albums.manage']] },
    { description: 'an operation beside a $ref wins over the referenced one', input: 'DELETE /albums/{albumId}', expected: [['albums.manage']] },
    { description: 'openIdConnect scopes are not checked against any declaration', input: 'GET /me', expected: [['openid', 'profile']] },
  ])('$description ($input)', ({ input, expected }) => {
    expect(endpoints.get(input)?.required).toEqual(expected);
  });

  it('skips webhooks (calls the API makes, not receives)', () => {
    expect(doc.endpoints.map((endpoint) => endpoint.source)).not.toContain('operationId photoUploadedHook');
    expect(doc.endpoints).toHaveLength(8);
  });

  it('reads x-scopes-implies and x-scopes-probe, and warns that a relative server URL gives no api', () => {
    expect({ ...doc.rules.implies }).toEqual({ 'photos.write': ['photos.read'], 'albums.manage': ['albums.read', 'albums.write'] });
    expect(endpoints.get('GET /photos/{photoId}')?.probe).toBe('/photos/p_1');
    expect(doc).not.toHaveProperty('api');
    expect(doc.warnings).toEqual([
      `photos.yaml:11:10: servers[0].url: "/api/v3" is relative: endpoint paths are read as written, so give the full base URL as the profile's "api"`,
    ]);
  });
});

describe('parseOpenApi: a large generated document', () => {
  /** 150 resources × (list, create, get, update, delete) with a root default and overrides: 750 operations. */
  function generate(resources: number): Record<string, unknown> {
    const paths: Record<string, unknown> = {};
    const scopes: Record<string, string> = { 'api:read': 'Read everything' };
    for (let i = 0; i < resources; i += 1) {
      const name = `resource${i}`;
      scopes[`${name}:read`] = `Read ${name}`;
      scopes[`${name}:write`] = `Write ${name}`;
      const write = { security: [{ oauth: [`${name}:write`] }, { oauth: ['admin'] }] };
      paths[`/v1/${name}`] = {
        get: { operationId: `list${i}`, responses: { 200: { description: 'ok' } } },
        post: { operationId: `create${i}`, ...write, responses: { 201: { description: 'created' } } },
      };
      paths[`/v1/${name}/{id}`] = {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        get: { operationId: `get${i}`, security: [{ oauth: [`${name}:read`] }], 'x-scopes-probe': `/v1/${name}/1`, responses: {} },
        put: { operationId: `update${i}`, ...write, responses: {} },
        delete: { operationId: `delete${i}`, security: [{ oauth: [`${name}:write`, 'admin'] }], responses: {} },
      };
    }
    scopes['admin'] = 'Administer';
    return {
      openapi: '3.0.3',
      info: { title: 'Generated', version: '1' },
      servers: [{ url: 'https://generated.example.com' }],
      security: [{ oauth: ['api:read'] }],
      paths,
      components: { securitySchemes: { oauth: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://generated.example.com/token', scopes } } } } },
    };
  }

  it.each([
    { description: 'JSON', serialize: (value: unknown) => JSON.stringify(value), fileName: 'generated.json' },
    { description: 'YAML', serialize: (value: unknown) => stringify(value), fileName: 'generated.yaml' },
  ])('reads 750 operations from $description', ({ serialize, fileName }) => {
    const text = serialize(generate(150));
    const started = performance.now();
    const doc = parseOpenApi(text, fileName);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(doc.endpoints).toHaveLength(750);
    expect(doc.declaredScopes).toHaveLength(302);
    expect(doc.warnings).toEqual([]);
    const endpoints = byName(doc.endpoints);
    expect(endpoints.get('GET /v1/resource149')).toMatchObject({ required: [['api:read']], source: 'operationId list149' });
    expect(endpoints.get('PUT /v1/resource7/{id}')?.required).toEqual([['resource7:write'], ['admin']]);
    expect(endpoints.get('DELETE /v1/resource0/{id}')?.required).toEqual([['resource0:write', 'admin']]);
    expect(endpoints.get('GET /v1/resource42/{id}')).toMatchObject({ required: [['resource42:read']], probe: '/v1/resource42/1' });
  });

  it('warns about each undeclared scope of a large document with the operation, counts the rest, and still reads it (issue 11)', () => {
    const value = generate(40);
    const scopes = (value['components'] as { securitySchemes: { oauth: { flows: { clientCredentials: { scopes: Record<string, string> } } } } })
      .securitySchemes.oauth.flows.clientCredentials.scopes;
    delete scopes['admin'];
    const doc = parseOpenApi(stringify(value), 'generated.yaml');
    expect(doc.warnings).toHaveLength(21);
    expect(doc.warnings[0]).toMatch(
      /^generated\.yaml:\d+:\d+: paths\["\/v1\/resource0"\]\.post\.security\[1\]\.oauth\[0\]: POST \/v1\/resource0 asks for the scope "admin", which the oauth2 scheme "oauth" does not declare \(declared: api:read, resource0:read, .*, … and 71 more\); read as needed all the same$/,
    );
    expect(doc.warnings.at(-1)).toBe('generated.yaml: … and 100 more warnings');
    expect(byName(doc.endpoints).get('POST /v1/resource0')?.required).toEqual([['resource0:write'], ['admin']]);
  });
});

describe('parseOpenApi: undeclared scopes are warnings, not refusals (issue 11: OpenAPI does not require the declaration)', () => {
  it.each([
    {
      description: 'an operation asking for an undeclared oauth2 scope',
      input: lines(
        'openapi: 3.0.3',
        'paths:',
        '  /a:',
        '    get:',
        '      security:',
        '        - oauth: [a:read, a:delete]',
        ...OAUTH_COMPONENTS,
      ),
      warnings: [
        'openapi.yaml:6:27: paths["/a"].get.security[0].oauth[1]: GET /a asks for the scope "a:delete", which the oauth2 scheme "oauth" does not declare (declared: a:read, a:write)',
      ],
    },
    {
      description: 'the root security asking for an undeclared scope, reported once',
      input: lines('openapi: 3.0.3', 'security: [{ oauth: [b:read] }]', 'paths:', '  /a: { get: {} }', '  /b: { get: {} }', ...OAUTH_COMPONENTS),
      warnings: [
        'openapi.yaml:2:22: security[0].oauth[0]: the root security (the default of every operation) asks for the scope "b:read", which the oauth2 scheme "oauth" does not declare (declared: a:read, a:write)',
      ],
    },
  ])('$description', ({ input, warnings }) => {
    expect(parseOpenApi(input, 'openapi.yaml').warnings).toEqual(warnings.map((warning) => `${warning}; read as needed all the same`));
  });
});

describe('parseOpenApi: documents it refuses', () => {
  it.each([
    {
      description: 'Swagger 1.2',
      input: lines('swagger: "1.2"', 'info: { title: Old, version: "1" }', 'paths: {}'),
      expected: ['openapi.yaml:1:10: swagger: this is a Swagger "1.2" document; only Swagger 2.0 and OpenAPI 3.x are read'],
    },
    {
      description: 'no openapi field',
      input: lines('info: { title: What, version: "1" }', 'paths: {}'),
      expected: ['openapi.yaml:1:1: not an OpenAPI document: expected "openapi: 3.0.x", "openapi: 3.1.x" or "swagger: \'2.0\'" at the top level'],
    },
    {
      description: 'another major version',
      input: lines('openapi: 4.0.0', 'paths: {}'),
      expected: ['openapi.yaml:1:10: openapi: only OpenAPI 3.x (and Swagger 2.0) is read: expected "3.0.x" or "3.1.x", got "4.0.0"'],
    },
    {
      description: 'not a mapping',
      input: lines('- openapi: 3.0.0'),
      expected: ['openapi.yaml:1:1: expected an OpenAPI 3.x or Swagger 2.0 document (a mapping with "openapi" and "paths"), got a list'],
    },
    {
      description: 'a requirement naming an undeclared scheme, placed at its name',
      input: lines('openapi: 3.0.3', 'paths:', '  /a:', '    post:', '      security:', '        - oauth: [a:write]', '          bearer: []', ...OAUTH_COMPONENTS),
      expected: [
        'openapi.yaml:7:11: paths["/a"].post.security[0].bearer: POST /a names the security scheme "bearer", which components.securitySchemes does not declare (declared: oauth)',
      ],
    },
    {
      description: 'a scheme name that every object inherits',
      input: lines('openapi: 3.0.3', 'paths:', '  /a:', '    get:', '      security: [{ toString: [] }, { __proto__: [] }]'),
      expected: [
        'openapi.yaml:5:20: paths["/a"].get.security[0].toString: GET /a names the security scheme "toString", which components.securitySchemes does not declare (declared: none)',
        'openapi.yaml:5:38: paths["/a"].get.security[1].__proto__: GET /a names the security scheme "__proto__", which components.securitySchemes does not declare (declared: none)',
      ],
    },
    {
      description: 'a path item in another file',
      input: lines('openapi: 3.1.0', 'paths:', '  /a:', '    $ref: "./paths/a.yaml#/item"'),
      expected: [
        'openapi.yaml:4:11: paths["/a"].$ref: "./paths/a.yaml#/item" points outside this document; only references inside it ("#/…") are read: bundle the document first',
      ],
    },
    {
      description: 'a security scheme at another URL',
      input: lines(
        'openapi: 3.1.0',
        'paths: {}',
        'components:',
        '  securitySchemes:',
        '    shared: { $ref: "https://schemas.example.com/security.yaml#/oauth" }',
      ),
      expected: [
        'openapi.yaml:5:21: components.securitySchemes.shared.$ref: "https://schemas.example.com/security.yaml#/oauth" points outside this document; only references inside it ("#/…") are read: bundle the document first',
      ],
    },
    {
      description: 'a $ref to nothing',
      input: lines('openapi: 3.1.0', 'paths:', '  /a: { $ref: "#/components/pathItems/Missing" }', 'components: { pathItems: {} }'),
      expected: ['openapi.yaml:3:15: paths["/a"].$ref: "#/components/pathItems/Missing" points to nothing in this document'],
    },
    {
      description: 'a $ref cycle',
      input: lines(
        'openapi: 3.1.0',
        'paths:',
        '  /a: { $ref: "#/components/pathItems/A" }',
        'components:',
        '  pathItems:',
        '    A: { $ref: "#/components/pathItems/B" }',
        '    B: { $ref: "#/components/pathItems/A" }',
      ),
      expected: ['openapi.yaml:7:16: components.pathItems.B.$ref: "#/components/pathItems/A" is part of a reference cycle'],
    },
    {
      description: 'security that is not a list',
      input: lines('openapi: 3.0.3', 'paths:', '  /a:', '    get:', '      security: { oauth: [a:read] }', ...OAUTH_COMPONENTS),
      expected: ['openapi.yaml:5:17: paths["/a"].get.security: expected a list of security requirements such as [{ oauth: ["videos:read"] }], got a mapping'],
    },
    {
      description: 'scopes that are not a list',
      input: lines('openapi: 3.0.3', 'paths:', '  /a:', '    get:', '      security: [{ oauth: a:read }]', ...OAUTH_COMPONENTS),
      expected: ['openapi.yaml:5:27: paths["/a"].get.security[0].oauth: expected a list of scopes (or [] for none), got "a:read"'],
    },
    {
      description: 'a scheme of an unknown type, and an oauth2 scheme without flows',
      input: lines(
        'openapi: 3.0.3',
        'paths: {}',
        'components:',
        '  securitySchemes:',
        '    cookie: { type: session }',
        '    oauth: { type: oauth2 }',
      ),
      expected: [
        'openapi.yaml:5:21: components.securitySchemes.cookie.type: expected one of apiKey, http, mutualTLS, oauth2, openIdConnect, got "session"',
        'openapi.yaml:6:12: components.securitySchemes.oauth.flows: expected the oauth2 flows (authorizationCode, clientCredentials, …), got nothing',
      ],
    },
    {
      description: 'an x-scopes-probe that is not a path',
      input: lines('openapi: 3.0.3', 'paths:', '  /a/{id}:', '    get:', '      x-scopes-probe: https://api.example.com/a/1'),
      expected: [
        'openapi.yaml:5:23: paths["/a/{id}"].get.x-scopes-probe: expected a concrete path starting with "/", such as "/v1/jobs/7", got "https://api.example.com/a/1"',
      ],
    },
    {
      description: 'a path without its leading slash, placed at the key',
      input: lines('openapi: 3.0.3', 'paths:', '  /a: { get: {} }', '  b: { get: {} }'),
      expected: ['openapi.yaml:4:3: paths.b: expected a path starting with "/" without spaces, got "b"'],
    },
    {
      description: 'an operation that is not a mapping',
      input: lines('openapi: 3.0.3', 'paths:', '  /a:', '    get: yes please'),
      expected: ['openapi.yaml:4:10: paths["/a"].get: expected an operation (a mapping), got "yes please"'],
    },
    {
      description: 'broken JSON',
      input: '{\n  "openapi": "3.0.3",\n  "paths": {\n    "/a": { "get": { } }\n  \n}\n',
      expected: ["openapi.yaml:7:1: not valid JSON: Expected ',' or '}' after property value"],
    },
  ])('$description', ({ input, expected }) => {
    const error = errorOf(input);
    expect(error.message.split('\n')).toEqual(expected);
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.code).toBe('invalid_openapi');
  });

  it('warns about each operation asking for undeclared scopes, and reads what they ask for', () => {
    const doc = parseOpenApi(
      lines(
        'openapi: 3.0.3',
        'paths:',
        '  /a:',
        '    get: { security: [{ oauth: [a:read, x:read] }] }',
        '    delete: { security: [{ oauth: [a:write] }, { oauth: [x:admin] }] }',
        '  /b:',
        '    put: { security: [{ oauth: [x:write, x:read] }] }',
        ...OAUTH_COMPONENTS,
      ),
      'openapi.yaml',
    );
    expect(doc.warnings.map((warning) => /: (\S+ \S+) asks for the scope "([^"]+)"/.exec(warning)?.slice(1).join(' '))).toEqual([
      'GET /a x:read',
      'DELETE /a x:admin',
      'PUT /b x:write',
      'PUT /b x:read',
    ]);
    expect(byName(doc.endpoints).get('DELETE /a')?.required).toEqual([['a:write'], ['x:admin']]);
  });
});

describe('parseOpenApi: edge cases', () => {
  const minimal = (...rows: string[]) => parseOpenApi(lines(...rows), 'openapi.yaml');

  it('keeps apart security lists that share their pieces in another arrangement (each read once, then remembered)', () => {
    const security = [
      [{ oauth: ['a', 'b'] }],
      [{ oauth: ['a'] }, { oauth: ['b'] }],
      [{ oauth: ['a'], key: [] }],
      [{ oauth: ['a'] }, { key: [] }],
      [{ oauth: ['ab'] }],
      [],
      [{}],
      [{ oauth: ['a', 'b'] }],
    ];
    const paths = Object.fromEntries(security.map((list, i) => [`/p${i}`, { get: { security: list } }]));
    const document = parseOpenApi(
      JSON.stringify({
        openapi: '3.0.3',
        components: { securitySchemes: { oauth: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://a.example/t', scopes: { a: '', b: '', ab: '' } } } }, key: { type: 'apiKey', in: 'header', name: 'k' } } },
        paths,
      }),
      'o.json',
    );
    expect(document.endpoints.map((endpoint) => endpoint.required)).toEqual([
      [['a', 'b']],
      [['a'], ['b']],
      [['a']],
      [['a']],
      [['ab']],
      [[]],
      [[]],
      [['a', 'b']],
    ]);
    expect(document.endpoints.map((endpoint) => endpoint.anyCredential)).toEqual([undefined, undefined, undefined, [[]], undefined, undefined, undefined, undefined]);
  });

  it('reads "openapi: 3.1" written as a YAML number', () => {
    expect(minimal('openapi: 3.1', 'paths: { /a: { get: {} } }').endpoints).toHaveLength(1);
  });

  it('reads a newer 3.x as 3.1, with a warning', () => {
    expect(minimal('openapi: 3.2.0', 'paths: { /a: { get: {} } }').warnings[0]).toBe(
      'openapi.yaml:1:10: openapi: OpenAPI 3.2.0 is read as 3.1: its newer features are ignored',
    );
  });

  it('says when no operation uses OAuth, and when there are no operations', () => {
    expect(minimal('openapi: 3.0.3', 'paths: { /a: { get: {} } }')).toMatchObject({
      endpoints: [{ method: 'GET', path: '/a', required: [[]], source: 'paths["/a"].get' }],
      declaredScopes: [],
      warnings: ['openapi.yaml: no operation asks for an oauth2 or openIdConnect scheme, so none needs a scope'],
    });
    expect(minimal('openapi: 3.1.0', 'info: { title: Webhooks only, version: "1" }').warnings).toEqual([
      'openapi.yaml: no operations under "paths": there is nothing to check',
    ]);
  });

  it('reads an empty requirement object as "anonymous access allowed", without the API key warning', () => {
    const doc = minimal('openapi: 3.0.3', 'paths:', '  /a: { get: { security: [{ oauth: [a:read] }, {}] } }', ...OAUTH_COMPONENTS);
    expect(doc.endpoints[0]?.required).toEqual([[]]);
    expect(doc.warnings).toEqual([]);
  });

  it('ignores role names that OpenAPI 3.1 lets non-OAuth schemes list', () => {
    const doc = minimal(
      'openapi: 3.1.0',
      'paths:',
      '  /a: { get: { security: [{ oauth: [a:read], key: [role with spaces] }] } }',
      ...OAUTH_COMPONENTS,
      '    key: { type: apiKey, in: header, name: X-Key }',
    );
    expect(doc.endpoints[0]?.required).toEqual([['a:read']]);
  });

  it('uses a server URL with no variables default as no api, with a warning', () => {
    const doc = minimal('openapi: 3.0.3', 'servers: [{ url: "https://{tenant}.example.com" }]', 'paths: { /a: { get: {} } }');
    expect(doc).not.toHaveProperty('api');
    expect(doc.warnings[0]).toBe(
      `openapi.yaml:2:18: servers[0].url: not used as the API's base URL: a server variable has no default in "https://{tenant}.example.com"`,
    );
  });

  it('treats __proto__ paths and schemes as names, without pollution', () => {
    const doc = parseOpenApi(
      JSON.stringify({
        openapi: '3.0.3',
        paths: JSON.parse('{"/__proto__": {"get": {"security": [{"__proto__": ["a:read"]}]}}}') as unknown,
        components: { securitySchemes: JSON.parse('{"__proto__": {"type": "oauth2", "flows": {"implicit": {"authorizationUrl": "https://a.example", "scopes": {"a:read": "A"}}}}}') as unknown },
      }),
      'proto.json',
    );
    expect(doc.endpoints).toEqual([{ method: 'GET', path: '/__proto__', required: [['a:read']], source: 'paths["/__proto__"].get' }]);
    expect(({} as Record<string, unknown>)['type']).toBeUndefined();
  });

  it('refuses an alias bomb', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i += 1) {
      levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    }
    const error = errorOf(lines('openapi: 3.0.3', 'x-bomb:', ...levels.map((level) => `  ${level}`), 'paths: {}'));
    expect(error.message).toMatch(/too many YAML aliases/);
  });

  it('throws only DocumentError, whatever the document (property)', () => {
    const anything = fc.jsonValue({ maxDepth: 4 });
    const document = fc.record(
      {
        openapi: fc.oneof(fc.constant('3.0.3'), fc.constant('3.1.0'), anything),
        security: anything,
        servers: fc.oneof(fc.constant([{ url: 'https://{x}.example.com', variables: { x: { default: 'a' } } }]), anything),
        paths: fc.oneof(
          fc.dictionary(fc.constantFrom('/a', '/b/{id}', 'c', '__proto__', 'x-ext'), fc.oneof(
            fc.record({ get: fc.record({ security: anything, 'x-scopes-probe': anything }, { requiredKeys: [] }), $ref: fc.constantFrom('#/paths/~1a', '#/x', 'ext.yaml', '#') }, { requiredKeys: [] }),
            anything,
          )),
          anything,
        ),
        components: fc.oneof(
          fc.record({ securitySchemes: fc.dictionary(fc.constantFrom('oauth', 'key', 'toString'), fc.oneof(
            fc.record({ type: fc.constantFrom('oauth2', 'apiKey', 'openIdConnect', 'x'), flows: anything, $ref: fc.constantFrom('#/components/securitySchemes/oauth', '#/nope') }, { requiredKeys: [] }),
            anything,
          )) }),
          anything,
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(document.map((value) => JSON.stringify(value)), document.map((value) => stringify(value)), fc.string()), (text) => {
        try {
          const doc = parseOpenApi(text, 'fuzz.yaml');
          for (const endpoint of doc.endpoints) expect(endpoint.required.length).toBeGreaterThan(0);
        } catch (error) {
          if (!(error instanceof DocumentError)) throw error;
        }
      }),
      { numRuns: 400 },
    );
  });
});
