/** `scopes check --openapi` on a 1–2 MB JSON description, against node reading and JSON.parse-ing the same file. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binPath } from '../../test/support/cli.js';
import { homeWithCachedToken, jwtWithScopes } from '../fixtures.js';
import { interleaved, ms, type Row } from '../lib.js';

/** An OpenAPI 3.0 document of `resources` resources, each a collection and an item path with three operations. */
export function openApiDocument(resources: number): object {
  const paths: Record<string, object> = {};
  const scopes: Record<string, string> = {};
  for (let i = 0; i < resources; i++) {
    const read = `res${i}:read`;
    const write = `res${i}:write`;
    scopes[read] = `Read resource ${i}`;
    scopes[write] = `Change resource ${i}`;
    const operation = (verb: string, scope: string[], summary: string) => ({
      operationId: `${verb}Res${i}`,
      summary,
      description: `${summary}. Long enough to look like a real description of what the operation does and returns.`,
      security: [{ oauth: scope }, ...(i % 5 === 0 ? [{ oauth: ['admin'] }] : [])],
      parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } }],
      responses: {
        '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } } } } },
        '403': { description: 'The token lacks a scope' },
      },
    });
    paths[`/v1/res${i}`] = { get: operation('list', [read], `List resource ${i}`), post: operation('create', [write], `Create resource ${i}`) };
    paths[`/v1/res${i}/{id}`] = { get: operation('get', [read], `Get one resource ${i}`) };
  }
  scopes.admin = 'Everything';
  return {
    openapi: '3.0.3',
    info: { title: 'Bench API', version: '1.0.0' },
    servers: [{ url: 'https://api.example.com' }],
    components: { securitySchemes: { oauth: { type: 'oauth2', flows: { authorizationCode: { authorizationUrl: 'https://auth.example.com/authorize', tokenUrl: 'https://auth.example.com/token', scopes } } } } },
    paths,
  };
}

/** One row: `check` on the generated 1.6 MB description with a token granting `granted`. */
function checkRow(name: string, granted: readonly string[], exitCode: number): Row {
  return {
    name,
    floor: 'node + JSON.parse of the file',
    goal: 1.3,
    async measure(runs) {
      const home = await homeWithCachedToken();
      try {
        const file = join(home.dir, 'openapi.json');
        const text = JSON.stringify(openApiDocument(900));
        writeFileSync(file, text);
        const floorScript = join(home.dir, 'parse.cjs');
        writeFileSync(floorScript, "JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'));\n");
        const token = jwtWithScopes(granted);
        const [floor, scopes] = await interleaved(
          [
            { argv: [floorScript, file], env: home.env },
            { argv: [binPath, 'check', '--openapi', file, '--token', token], env: home.env, cwd: home.dir, exitCodes: [exitCode] },
          ],
          runs,
        );
        return { ratio: scopes! / floor!, detail: `${ms(scopes!)} vs ${ms(floor!)}, ${(text.length / 1e6).toFixed(1)} MB` };
      } finally {
        home.cleanup();
      }
    },
  };
}

export const rows: Row[] = [
  // A green gate: the token holds every scope, each of the 2,700 operations is judged and passes (exit 0).
  checkRow(
    'scopes check --openapi (1–2 MB JSON, passing)',
    Array.from({ length: 900 }, (_, i) => [`res${i}:read`, `res${i}:write`]).flat(),
    0,
  ),
  // A failing gate: a hundred scopes granted, 2,500 operations lack one, each listed, and the fix line is computed (exit 1).
  checkRow(
    'scopes check --openapi (1–2 MB JSON, failing)',
    Array.from({ length: 100 }, (_, i) => `res${i * 2}:read`),
    1,
  ),
];
