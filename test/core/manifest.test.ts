import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DocumentError, MAX_DOCUMENT_CHARS, MAX_LOCATED_CHARS, loadYaml, parseManifest as parseWith } from '../../src/core/manifest.js';

// The readers are called directly here: the YAML parser is loaded as commands load it (readWithYamlIfNeeded).
await loadYaml();
import { PROVIDER_NAMES } from '../../src/providers/index.js';

/** As the commands call it: preset names checked against the providers' registry. */
const parseManifest = (text: string, fileName: string) => parseWith(text, fileName, PROVIDER_NAMES);
import type { ScopeDocument } from '../../src/core/manifest.js';
import { parseOpenApi } from '../../src/core/openapi.js';
import { ExitCode, UsageError } from '../../src/errors.js';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));

/** The error a document raises, or a failed expectation when it raises none. */
function errorOf(text: string, fileName = 'scopes.manifest.yaml'): DocumentError {
  try {
    parseManifest(text, fileName);
  } catch (error) {
    expect(error).toBeInstanceOf(DocumentError);
    return error as DocumentError;
  }
  throw new Error('expected the manifest to be rejected');
}

const lines = (...rows: string[]): string => `${rows.join('\n')}\n`;

const SPEC_EXAMPLE = `{
  "api": "https://api.example.com",
  "implies": { "videos:write": ["videos:read"] },
  "endpoints": [
    { "method": "GET",  "path": "/v1/videos", "scopes": ["videos:read"] },
    { "method": "POST", "path": "/v1/videos/{id}/export", "scopes": ["export:write"] },
    { "method": "GET",  "path": "/v1/jobs/{id}", "anyOf": [["jobs:read"], ["admin"]], "probe": "/v1/jobs/7" }
  ]
}`;

const SPEC_EXAMPLE_READ: Omit<ScopeDocument, 'rules'> & { rules: unknown } = {
  api: 'https://api.example.com',
  rules: { implies: { 'videos:write': ['videos:read'] } },
  endpoints: [
    { method: 'GET', path: '/v1/videos', required: [['videos:read']], source: 'endpoints[0]' },
    { method: 'POST', path: '/v1/videos/{id}/export', required: [['export:write']], source: 'endpoints[1]' },
    { method: 'GET', path: '/v1/jobs/{id}', required: [['jobs:read'], ['admin']], probe: '/v1/jobs/7', source: 'endpoints[2]' },
  ],
  warnings: [],
};

describe('parseManifest: valid manifests', () => {
  it('reads the SPEC example (JSON)', () => {
    expect(parseManifest(SPEC_EXAMPLE, 'scopes.manifest.json')).toEqual(SPEC_EXAMPLE_READ);
  });

  it('reads the same manifest written in YAML', () => {
    const yaml = lines(
      'api: https://api.example.com',
      'implies:',
      '  videos:write: [videos:read]',
      'endpoints:',
      '  - { method: GET, path: /v1/videos, scopes: [videos:read] }',
      '  - method: POST',
      '    path: /v1/videos/{id}/export',
      '    scopes: [export:write]',
      '  - method: GET',
      '    path: /v1/jobs/{id}',
      '    anyOf:',
      '      - [jobs:read]',
      '      - [admin]',
      '    probe: /v1/jobs/7',
    );
    expect(parseManifest(yaml, 'scopes.manifest.yaml')).toEqual(SPEC_EXAMPLE_READ);
  });

  const one = (endpoint: string, extra = '') => `{ ${extra}"endpoints": [ ${endpoint} ] }`;
  it.each([
    {
      description: 'scopes as one space-separated string, runs of whitespace ignored',
      input: one('{ "method": "GET", "path": "/a", "scopes": "  a:read \\t b:read  " }'),
      expected: [['a:read', 'b:read']],
    },
    { description: 'an empty scope list needs nothing', input: one('{ "method": "GET", "path": "/a", "scopes": [] }'), expected: [[]] },
    { description: 'an empty scope string needs nothing', input: one('{ "method": "GET", "path": "/a", "scopes": "" }'), expected: [[]] },
    {
      description: 'repeated scopes are read once',
      input: one('{ "method": "GET", "path": "/a", "scopes": ["a", "b", "a"] }'),
      expected: [['a', 'b']],
    },
    {
      description: 'anyOf groups may be space-separated strings',
      input: one('{ "method": "GET", "path": "/a", "anyOf": ["jobs:read", "admin root"] }'),
      expected: [['jobs:read'], ['admin', 'root']],
    },
    {
      description: 'anyOf groups that are the same set are merged',
      input: one('{ "method": "GET", "path": "/a", "anyOf": [["a", "b"], ["b", "a"], ["c"]] }'),
      expected: [['a', 'b'], ['c']],
    },
    {
      description: 'an empty anyOf group makes the endpoint need nothing',
      input: one('{ "method": "GET", "path": "/a", "anyOf": [["admin"], []] }'),
      expected: [[]],
    },
  ])('$description', ({ input, expected }) => {
    expect(parseManifest(input, 'm.json').endpoints[0]?.required).toEqual(expected);
  });

  it.each([
    { description: 'lower-case method', input: 'get', expected: 'GET' },
    { description: 'padded method', input: ' delete ', expected: 'DELETE' },
    { description: 'TRACE (OpenAPI has it)', input: 'trace', expected: 'TRACE' },
  ])('upper-cases the method: $description', ({ input, expected }) => {
    const doc = parseManifest(`{ "endpoints": [{ "method": ${JSON.stringify(input)}, "path": "/a", "scopes": [] }] }`, 'm.json');
    expect(doc.endpoints[0]?.method).toBe(expected);
  });

  it.each([
    { description: 'one preset', input: '"github"', expected: { preset: 'github' } },
    { description: 'case-insensitive', input: '"Entra"', expected: { preset: 'entra' } },
    { description: 'a list, repeats dropped', input: '["google", "path-rights", "google"]', expected: { preset: ['google', 'path-rights'] } },
  ])('reads preset: $description', ({ input, expected }) => {
    expect(parseManifest(`{ "preset": ${input}, "endpoints": [] }`, 'm.json').rules).toEqual(expected);
  });

  it('reads implies values given as lists or strings, into a prototype-less record', () => {
    const doc = parseManifest('{ "implies": { "repo": "repo:status public_repo", "admin:org": ["write:org"] }, "endpoints": [] }', 'm.json');
    expect({ ...doc.rules.implies }).toEqual({ repo: ['repo:status', 'public_repo'], 'admin:org': ['write:org'] });
    expect(Object.getPrototypeOf(doc.rules.implies)).toBeNull();
  });

  it.each([
    { description: 'trailing slash dropped', input: 'https://api.example.com/', expected: 'https://api.example.com' },
    { description: 'a base path kept', input: 'https://api.example.com/v2/', expected: 'https://api.example.com/v2' },
    { description: 'http on loopback', input: 'http://127.0.0.1:8080', expected: 'http://127.0.0.1:8080' },
  ])('reads api: $description', ({ input, expected }) => {
    expect(parseManifest(`{ "api": "${input}", "endpoints": [] }`, 'm.json').api).toBe(expected);
  });

  it('has no api when none is given', () => {
    expect(parseManifest('endpoints: []', 'm.yaml')).not.toHaveProperty('api');
  });

  it('strips a byte-order mark', () => {
    expect(parseManifest(`\uFEFF${SPEC_EXAMPLE}`, 'm.json').endpoints).toHaveLength(3);
  });

  it('reads a YAML flow mapping that is not JSON (trailing comma)', () => {
    expect(parseManifest('{ "endpoints": [ { method: GET, path: /a, scopes: [a], }, ], }', 'm.json').endpoints).toHaveLength(1);
  });
});

describe('parseManifest: warnings', () => {
  it('warns about unknown keys with their line:column, and keeps going', () => {
    const doc = parseManifest(
      lines('api: https://api.example.com', 'endpoint:', '  - {}', 'endpoints:', '  - method: GET', '    path: /a', '    scopes: [a]', '    note: why'),
      'scopes.manifest.yaml',
    );
    expect(doc.warnings).toEqual([
      'scopes.manifest.yaml:2:1: endpoint: unknown key ignored (expected api, implies, preset, endpoints)',
      'scopes.manifest.yaml:8:5: endpoints[0].note: unknown key ignored (expected method, path, scopes or anyOf, probe)',
    ]);
    expect(doc.endpoints).toHaveLength(1);
  });

  it('warns about an empty endpoint list', () => {
    expect(parseManifest('{ "endpoints": [] }', 'm.json').warnings).toEqual(['m.json:1:16: endpoints: no endpoints: there is nothing to check']);
  });

  it('warns that an empty anyOf group needs nothing', () => {
    const doc = parseManifest('endpoints:\n  - { method: GET, path: /a, anyOf: [[admin], []] }\n', 'm.yaml');
    expect(doc.warnings).toEqual(['m.yaml:2:47: endpoints[0].anyOf[1]: an empty group means the endpoint needs no scope at all']);
  });
});

describe('parseManifest: errors name the file, the place and what was expected', () => {
  const METHODS = 'expected one of GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE, TRACE';
  it.each([
    {
      description: 'an unknown method, in YAML',
      fileName: 'scopes.manifest.yaml',
      input: lines(
        '# the video API',
        'api: https://api.example.com',
        'endpoints:',
        '  - method: GET',
        '    path: /v1/videos',
        '    scopes: [videos:read]',
        '  - method: POST',
        '    path: /v1/videos/upload',
        '    scopes: [videos:write]',
        '  - { method: GET, path: /v1/tools, scopes: [tools:read] }',
        '  - path: /v1/jobs/{id}',
        '    method: FETCH',
        '    scopes: [jobs:read]',
      ),
      expected: [`scopes.manifest.yaml:12:13: endpoints[3].method: ${METHODS}, got "FETCH"`],
    },
    {
      description: 'an unknown method, in JSON (positions found all the same)',
      fileName: 'scopes.manifest.json',
      input: '{\n  "endpoints": [\n    { "method": "FETCH", "path": "/a", "scopes": [] }\n  ]\n}\n',
      expected: [`scopes.manifest.json:3:17: endpoints[0].method: ${METHODS}, got "FETCH"`],
    },
    {
      description: 'a method that is not a string',
      fileName: 'm.yaml',
      input: 'endpoints:\n  - { method: 42, path: /a, scopes: [] }\n',
      expected: [`m.yaml:2:15: endpoints[0].method: ${METHODS}, got 42`],
    },
    {
      description: 'a missing method and path, placed at the endpoint',
      fileName: 'm.yaml',
      input: 'endpoints:\n  - scopes: [a]\n',
      expected: [
        `m.yaml:2:5: endpoints[0]: missing "method": ${METHODS}`,
        'm.yaml:2:5: endpoints[0]: missing "path": expected a path starting with "/", such as "/v1/videos/{id}"',
      ],
    },
    {
      description: 'a path without its leading slash',
      fileName: 'm.yaml',
      input: 'endpoints:\n  - { method: GET, path: v1/videos, scopes: [] }\n',
      expected: ['m.yaml:2:26: endpoints[0].path: expected a path starting with "/" without spaces, got "v1/videos"'],
    },
    {
      description: 'a full URL as the path',
      fileName: 'm.yaml',
      input: 'endpoints:\n  - { method: GET, path: "https://api.example.com/v1", scopes: [] }\n',
      expected: [
        'm.yaml:2:26: endpoints[0].path: expected a path starting with "/" without spaces (put the base URL in "api"), got "https://api.example.com/v1"',
      ],
    },
    {
      description: 'neither scopes nor anyOf, with a typo spotted',
      fileName: 'm.yaml',
      input: 'endpoints:\n  - { method: GET, path: /a, scope: [a] }\n',
      expected: [
        'm.yaml:2:5: endpoints[0]: missing "scopes" (all needed) or "anyOf" (any one group suffices) (found "scope": did you mean "scopes"?)',
      ],
    },
    {
      description: 'both scopes and anyOf',
      fileName: 'm.yaml',
      input: 'endpoints:\n  - { method: GET, path: /a, scopes: [a], anyOf: [[b]] }\n',
      expected: ['m.yaml:2:5: endpoints[0]: expected either "scopes" (all needed) or "anyOf" (any one group suffices), not both'],
    },
    {
      description: 'a scope with a non-ASCII letter',
      fileName: 'm.yaml',
      input: 'endpoints:\n  - method: GET\n    path: /a\n    scopes:\n      - videos:read\n      - vidéos:write\n',
      expected: [
        'm.yaml:6:9: endpoints[0].scopes[1]: expected a scope (printable ASCII without spaces, quotes or backslashes), got "vidéos:write"',
      ],
    },
    {
      description: 'two scopes in one list item',
      fileName: 'm.json',
      input: '{"endpoints": [{"method": "GET", "path": "/a", "scopes": ["a:read b:read"]}]}',
      expected: ['m.json:1:59: endpoints[0].scopes[0]: expected one scope per item, got "a:read b:read": make each scope an item of its own'],
    },
    {
      description: 'a scope with a quote in a space-separated string',
      fileName: 'm.yaml',
      input: `endpoints:\n  - { method: GET, path: /a, scopes: 'a "b"' }\n`,
      expected: [
        'm.yaml:2:38: endpoints[0].scopes: expected a scope (printable ASCII without spaces, quotes or backslashes) in the space-separated list, got "\\"b\\""',
      ],
    },
    {
      description: 'scopes given as a mapping',
      fileName: 'm.yaml',
      input: 'endpoints:\n  - { method: GET, path: /a, scopes: { a: b } }\n',
      expected: ['m.yaml:2:38: endpoints[0].scopes: expected a list of scopes or a space-separated string, got a mapping'],
    },
    {
      description: 'an empty anyOf',
      fileName: 'm.yaml',
      input: 'endpoints:\n  - { method: GET, path: /a, anyOf: [] }\n',
      expected: ['m.yaml:2:37: endpoints[0].anyOf: expected a non-empty list of scope groups such as [["jobs:read"], ["admin"]], got a list'],
    },
    {
      description: 'a bad anyOf group, placed at the group',
      fileName: 'm.yaml',
      input: 'endpoints:\n  - method: GET\n    path: /a\n    anyOf:\n      - [jobs:read]\n      - 7\n',
      expected: ['m.yaml:6:9: endpoints[0].anyOf[1]: expected a list of scopes or a space-separated string, got 7'],
    },
    {
      description: 'a probe that is not a path',
      fileName: 'm.yaml',
      input: 'endpoints:\n  - { method: GET, path: "/jobs/{id}", scopes: [], probe: "jobs/7" }\n',
      expected: ['m.yaml:2:59: endpoints[0].probe: expected a concrete path starting with "/", such as "/v1/jobs/7", got "jobs/7"'],
    },
    {
      description: 'an api that is not http(s)',
      fileName: 'm.yaml',
      input: 'api: ftp://files.example.com\nendpoints: []\n',
      expected: ['m.yaml:1:6: api: expected an absolute http(s) URL such as "https://api.example.com", got the scheme "ftp"'],
    },
    {
      description: 'a relative api',
      fileName: 'm.yaml',
      input: 'api: /v1\nendpoints: []\n',
      expected: ['m.yaml:1:6: api: expected an absolute http(s) URL such as "https://api.example.com", got "/v1"'],
    },
    {
      description: 'an api with a query',
      fileName: 'm.yaml',
      input: 'api: https://api.example.com/?v=2\nendpoints: []\n',
      expected: [
        'm.yaml:1:6: api: expected an absolute http(s) URL such as "https://api.example.com" without query or fragment, got "https://api.example.com/?v=2"',
      ],
    },
    {
      description: 'an unknown preset',
      fileName: 'm.yaml',
      input: 'preset: [github, nosuchprovider]\nendpoints: []\n',
      expected: [`m.yaml:1:18: preset[1]: expected one of ${PROVIDER_NAMES.join(', ')}, got "nosuchprovider"`],
    },
    {
      description: 'implies that is a list',
      fileName: 'm.yaml',
      input: 'implies: [a, b]\nendpoints: []\n',
      expected: ['m.yaml:1:10: implies: expected a mapping from a scope to the scopes it contains, got a list'],
    },
    {
      description: 'an implies key that is no scope, placed at the key',
      fileName: 'm.yaml',
      input: 'implies:\n  "repo all": [repo]\nendpoints: []\n',
      expected: [
        'm.yaml:2:3: implies["repo all"]: expected a scope (printable ASCII without spaces, quotes or backslashes) as the key, got "repo all"',
      ],
    },
    {
      description: 'the same endpoint twice',
      fileName: 'm.yaml',
      input: 'endpoints:\n  - { method: GET, path: /a, scopes: [a] }\n  - { method: get, path: /a, scopes: [b] }\n',
      expected: ['m.yaml:3:5: endpoints[1]: GET /a is listed twice (also endpoints[0]); expected each method and path once'],
    },
    {
      description: 'endpoints missing',
      fileName: 'm.yaml',
      input: 'api: https://api.example.com\n',
      expected: ['m.yaml:1:1: missing "endpoints": expected a list of { method, path, scopes }'],
    },
    {
      description: 'endpoints that are a mapping',
      fileName: 'm.yaml',
      input: 'endpoints:\n  list: []\n',
      expected: ['m.yaml:2:3: endpoints: expected a list of { method, path, scopes }, got a mapping'],
    },
    {
      description: 'an endpoint that is a string',
      fileName: 'm.yaml',
      input: 'endpoints:\n  - GET /v1/videos\n',
      expected: ['m.yaml:2:5: endpoints[0]: expected a mapping { method, path, scopes }, got "GET /v1/videos"'],
    },
    {
      description: 'a list at the top',
      fileName: 'm.yaml',
      input: '- method: GET\n',
      expected: ['m.yaml:1:1: expected a mapping with "endpoints" (and optionally "api", "implies", "preset"), got a list'],
    },
    {
      description: 'an empty file',
      fileName: 'm.yaml',
      input: '',
      expected: ['m.yaml: expected a mapping with "endpoints" (and optionally "api", "implies", "preset"), got an empty value'],
    },
    {
      description: 'a duplicate YAML key',
      fileName: 'm.yaml',
      input: 'endpoints: []\napi: https://a.example\napi: https://b.example\n',
      expected: ['m.yaml:3:1: not valid YAML: Map keys must be unique'],
    },
    {
      description: 'several YAML documents',
      fileName: 'm.yaml',
      input: 'endpoints: []\n---\nendpoints: []\n',
      expected: ['m.yaml:2:1: holds several YAML documents (---); expected one'],
    },
    {
      description: 'a JSON syntax error, at the JSON parser position',
      fileName: 'scopes.manifest.json',
      input: '{\n  "api": "https://api.example.com"\n  "endpoints": []\n}\n',
      expected: ["scopes.manifest.json:3:3: not valid JSON: Expected ',' or '}' after property value"],
    },
    {
      description: 'a JSON syntax error the parser gives no position for',
      fileName: 'scopes.manifest.json',
      input: '{\n  "endpoints": [\n    @\n  ]\n}\n',
      expected: ["scopes.manifest.json:3:5: not valid JSON: Unexpected token '@'"],
    },
    {
      description: 'a JSON file cut short',
      fileName: 'scopes.manifest.json',
      input: '{\n  "endpoints": [\n',
      expected: ['scopes.manifest.json:3:1: not valid JSON: Unexpected end of JSON input'],
    },
  ])('$description', ({ input, fileName, expected }) => {
    const error = errorOf(input, fileName);
    expect(error.message.split('\n')).toEqual(expected);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.code).toBe('invalid_manifest');
  });

  it('reports several problems at once, each with its place', () => {
    const error = errorOf(
      lines(
        'api: not a url',
        'preset: nosuchprovider',
        'endpoints:',
        '  - { method: FETCH, path: /a, scopes: [a] }',
        '  - { method: GET, path: b, scopes: [b] }',
        '  - { method: GET, path: /c }',
      ),
      'scopes.manifest.yaml',
    );
    expect(error.problems.map(({ line, column, path }) => `${line}:${column} ${path}`)).toEqual([
      '1:6 api',
      '2:9 preset',
      '4:15 endpoints[0].method',
      '5:26 endpoints[1].path',
      '6:5 endpoints[2]',
    ]);
    expect(error.total).toBe(5);
  });

  it('lists ten problems and counts the rest', () => {
    const endpoints = Array.from({ length: 25 }, (_, i) => `  - { method: FETCH, path: /e${i}, scopes: [] }`);
    const error = errorOf(lines('endpoints:', ...endpoints));
    expect(error.problems).toHaveLength(10);
    expect(error.total).toBe(25);
    expect(error.message.split('\n').at(-1)).toBe('… and 15 more');
  });
});

describe('parseManifest: hostile input', () => {
  it('refuses a YAML alias bomb quickly', () => {
    const levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let i = 1; i < 12; i += 1) {
      const name = String.fromCharCode(97 + i);
      const previous = String.fromCharCode(96 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
    }
    const started = performance.now();
    const error = errorOf(lines(...levels, 'endpoints: *l'));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error.message).toMatch(/^scopes\.manifest\.yaml: too many YAML aliases expanded/);
  });

  it('reads a few harmless aliases', () => {
    const doc = parseManifest(
      lines('x-read: &read [videos:read]', 'endpoints:', '  - { method: GET, path: /a, scopes: *read }', '  - { method: HEAD, path: /a, scopes: *read }'),
      'm.yaml',
    );
    expect(doc.endpoints.map((endpoint) => endpoint.required)).toEqual([[['videos:read']], [['videos:read']]]);
  });

  it('survives an alias that refers to its own anchor (a cycle)', () => {
    const error = errorOf('endpoints: &e [ *e ]\n');
    expect(error.message).toBe('scopes.manifest.yaml:1:17: endpoints[0]: expected a mapping { method, path, scopes }, got a list');
  });

  it.each([
    { description: 'JSON arrays', input: `{"endpoints": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`, fileName: 'm.json' },
    { description: 'YAML flow sequences', input: `endpoints: ${'['.repeat(50_000)}${']'.repeat(50_000)}`, fileName: 'm.yaml' },
    {
      description: 'YAML block mappings',
      input: `endpoints:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')}\n`,
      fileName: 'm.yaml',
    },
  ])('rejects deep nesting without overflowing: $description', ({ input, fileName }) => {
    const error = errorOf(input, fileName);
    expect(error.problems.length).toBeGreaterThan(0);
  });

  it('refuses a file over the size limit without parsing it', () => {
    const error = errorOf(' '.repeat(MAX_DOCUMENT_CHARS + 1));
    expect(error.message).toBe('scopes.manifest.yaml: the file is larger than 128 MiB, too large to be read');
  });

  it('reads YAML over 8 MiB (issue 11: descriptions of 40 MB exist), reporting its problems without a position', () => {
    const read = parseManifest(`endpoints: []\n${'#'.repeat(MAX_LOCATED_CHARS)}\n`, 'big.yaml');
    expect(read.warnings).toEqual(['big.yaml: endpoints: no endpoints: there is nothing to check']);
  });

  it('reads large manifests: 50 000 endpoints in JSON, 3 000 in YAML', () => {
    const endpoints = (count: number) =>
      Array.from({ length: count }, (_, i) => ({ method: 'GET', path: `/v1/items/${i}`, scopes: [`items:${i % 50}`] }));
    let started = performance.now();
    expect(parseManifest(JSON.stringify({ endpoints: endpoints(50_000) }), 'big.json').endpoints).toHaveLength(50_000);
    expect(performance.now() - started).toBeLessThan(5_000);
    const yaml = stringify({ endpoints: endpoints(3_000) });
    started = performance.now();
    expect(parseManifest(yaml, 'big.yaml').endpoints).toHaveLength(3_000);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('still locates an error in a large JSON manifest', () => {
    const endpoints = Array.from({ length: 5_000 }, (_, i) => ({ method: i === 4_321 ? 'FETCH' : 'GET', path: `/e/${i}`, scopes: [] }));
    const error = errorOf(JSON.stringify({ endpoints }, null, 2), 'big.json');
    expect(error.problems[0]).toMatchObject({ line: 4_321 * 5 + 4, column: 17, path: 'endpoints[4321].method' });
  });

  it.each([
    { description: 'JSON', fileName: 'm.json', input: '{"__proto__": {"polluted": 1}, "implies": {"__proto__": ["x"], "constructor": ["toString"]}, "endpoints": [{"__proto__": {"method": "GET"}, "method": "GET", "path": "/a", "scopes": ["__proto__"]}]}' },
    {
      description: 'YAML',
      fileName: 'm.yaml',
      input: lines(
        '__proto__: { polluted: 1 }',
        'implies:',
        '  __proto__: [x]',
        '  constructor: [toString]',
        'endpoints:',
        '  - { __proto__: { method: GET }, method: GET, path: /a, scopes: [__proto__] }',
      ),
    },
  ])('treats __proto__ and constructor as plain names: $description', ({ input, fileName }) => {
    const doc = parseManifest(input, fileName);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(doc.rules.implies)).toBeNull();
    expect(Object.entries(doc.rules.implies ?? {})).toEqual([
      ['__proto__', ['x']],
      ['constructor', ['toString']],
    ]);
    expect(doc.endpoints).toEqual([{ method: 'GET', path: '/a', required: [['__proto__']], source: 'endpoints[0]' }]);
    expect(doc.warnings).toHaveLength(2);
    expect(doc.warnings[0]).toMatch(/: __proto__: unknown key ignored/);
  });

  it('does not read keys a mapping only inherits', () => {
    const error = errorOf('{"endpoints": [{"path": "/a", "scopes": []}]}', 'm.json');
    expect(error.message).toMatch(/missing "method"/);
    // `toString` and `constructor` exist on every object's prototype, never as a manifest's keys
    expect(() => parseManifest('{"endpoints": [{"method": "toString", "path": "/a", "scopes": []}]}', 'm.json')).toThrow(DocumentError);
  });

  it('throws only DocumentError, whatever the text (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((value) => stringify({ endpoints: [value] })),
          fc.jsonValue().map((value) => JSON.stringify({ api: value, implies: value, preset: value, endpoints: [{ method: 'GET', path: '/a', anyOf: value }] })),
          fc.array(fc.constantFrom('endpoints:', '  - ', 'method: GET', '{', '}', '[', ']', '&a ', '*a', ':', '\n', ' ', '"', "'", '__proto__', '- ', '#', '!!str', '---'), { maxLength: 40 }).map((parts) => parts.join('')),
        ),
        (text) => {
          try {
            parseManifest(text, 'fuzz.yaml');
          } catch (error) {
            if (!(error instanceof DocumentError)) throw error;
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reads back any valid manifest, written as JSON or YAML (property)', () => {
    const scope = fc.stringMatching(/^[a-z][a-z.:_-]{0,15}$/);
    const group = fc.uniqueArray(scope, { minLength: 1, maxLength: 4 });
    const endpoint = fc.record({
      method: fc.constantFrom('GET', 'POST', 'DELETE'),
      path: fc.stringMatching(/^\/[a-z0-9{}/_-]{0,20}$/),
      required: fc.uniqueArray(group, { minLength: 1, maxLength: 3, selector: (g) => [...g].sort().join(' ') }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(endpoint, { maxLength: 8, selector: (e) => `${e.method} ${e.path}` }), (endpoints) => {
        const manifest = {
          endpoints: endpoints.map(({ method, path, required }) =>
            required.length === 1 ? { method, path, scopes: required[0] } : { method, path, anyOf: required },
          ),
        };
        for (const [text, fileName] of [
          [JSON.stringify(manifest), 'p.json'],
          [stringify(manifest), 'p.yaml'],
        ] as const) {
          const read = parseManifest(text, fileName);
          expect(read.endpoints.map(({ method, path, required }) => ({ method, path, required }))).toEqual(endpoints);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('examples/', () => {
  it('scopes.manifest.json and scopes.manifest.yaml say the same, without warnings', () => {
    const json = parseManifest(readFileSync(`${examples}scopes.manifest.json`, 'utf8'), 'scopes.manifest.json');
    const yaml = parseManifest(readFileSync(`${examples}scopes.manifest.yaml`, 'utf8'), 'scopes.manifest.yaml');
    expect(yaml).toEqual(json);
    expect(json.warnings).toEqual([]);
    expect(json.api).toBe('https://api.example.com');
    expect(json.endpoints).toHaveLength(13);
    expect(json.endpoints.filter((endpoint) => endpoint.probe !== undefined).map((endpoint) => endpoint.probe)).toEqual([
      '/v1/videos/vid_demo/subtitles',
      '/v1/jobs/7',
    ]);
    expect({ ...json.rules.implies }).toEqual({ 'videos:write': ['videos:read'] });
  });

  it('openapi.yaml reads without warnings', () => {
    const doc = parseOpenApi(readFileSync(`${examples}openapi.yaml`, 'utf8'), 'openapi.yaml');
    expect(doc.warnings).toEqual([]);
    expect(doc.api).toBe('https://tasks.example.com/api');
    expect(doc.endpoints.length).toBeGreaterThan(5);
  });
});
