/**
 * The YAML parser is imported only when a document needs it: a JSON description (the common case in CI) is read
 * without it, and its start-up cost (issue 13). Each test gets fresh modules, so "loaded" starts false.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

let imports = 0;

beforeEach(() => {
  imports = 0;
  vi.resetModules();
  vi.doMock('yaml', async (importOriginal) => {
    imports += 1;
    return importOriginal();
  });
});

afterEach(() => {
  vi.doUnmock('yaml');
});

const load = async () => import('../../src/core/manifest.js');

describe('reading documents with the YAML parser on demand', () => {
  it('reads a JSON manifest without importing the YAML parser', async () => {
    const { parseManifest, readWithYamlIfNeeded } = await load();
    const text = JSON.stringify({ endpoints: [{ method: 'GET', path: '/v1/videos', scopes: ['videos:read'] }] });
    const document = await readWithYamlIfNeeded(text, () => parseManifest(text, 'scopes.manifest.json'));
    expect(document.endpoints).toHaveLength(1);
    expect(imports).toBe(0);
  });

  it('imports it for YAML text', async () => {
    const { parseManifest, readWithYamlIfNeeded } = await load();
    const text = 'endpoints:\n  - method: GET\n    path: /v1/videos\n    scopes: [videos:read]\n';
    const document = await readWithYamlIfNeeded(text, () => parseManifest(text, 'scopes.manifest.yaml'));
    expect(document.endpoints[0]).toMatchObject({ method: 'GET', path: '/v1/videos', required: [['videos:read']] });
    expect(imports).toBe(1);
  });

  it('still places a problem in JSON text at its line and column, importing the parser only then', async () => {
    const { DocumentError, parseManifest, readWithYamlIfNeeded } = await load();
    const text = '{\n  "endpoints": [\n    { "method": "GET", "path": "/v1/videos", "scopes": 7 }\n  ]\n}\n';
    const error = await readWithYamlIfNeeded(text, () => parseManifest(text, 'm.json')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DocumentError);
    expect((error as InstanceType<typeof DocumentError>).problems[0]).toMatchObject({ line: 3, path: 'endpoints[0].scopes' });
    expect(imports).toBe(1);
  });

  it('reads a YAML flow mapping, which starts with "{" but is not JSON', async () => {
    const { parseManifest, readWithYamlIfNeeded } = await load();
    const text = '{ endpoints: [ { method: GET, path: /v1/videos, scopes: [videos:read] } ] }';
    const document = await readWithYamlIfNeeded(text, () => parseManifest(text, 'flow.yaml'));
    expect(document.endpoints).toHaveLength(1);
  });

  it('says plainly that the parser was not loaded when a reader is called directly on YAML', async () => {
    const { parseManifest } = await load();
    expect(() => parseManifest('endpoints: []\n', 'm.yaml')).toThrow(/YAML parser is not loaded/);
  });
});
