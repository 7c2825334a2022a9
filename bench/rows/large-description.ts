/**
 * `npm run bench` rows for issue 11: `scopes check` on a generated 40 MB OpenAPI description against parsing the same
 * file alone (goal: at most 2x the time), with the peak memory (max RSS) of both. Each side runs in its own process,
 * so the peaks do not mix, alternating run by run; medians. JSON at 40 MB; YAML at BENCH_YAML_MB (default 4: the yaml
 * parser takes seconds per MB, so 40 MB of YAML takes minutes; BENCH_YAML_MB=40 measures that too).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binPath, repoRoot } from '../../test/support/cli.js';
import { median, ms, type Row } from '../lib.js';

const MB = 1024 * 1024;

/** A description shaped like Microsoft Graph's: many operations, most of the text schemas and prose, OAuth OR API key. */
export function generate(targetBytes: number, format: 'json' | 'yaml'): string {
  const parts: string[] = [];
  const head =
    format === 'json'
      ? '{"openapi":"3.0.3","info":{"title":"Generated","version":"1"},"servers":[{"url":"https://api.example.com/v1"}],' +
        '"components":{"securitySchemes":{"key":{"type":"apiKey","in":"header","name":"X-Key"},"oauth":{"type":"oauth2","flows":{"clientCredentials":{"tokenUrl":"https://auth.example.com/token","scopes":{' +
        Array.from({ length: 200 }, (_, i) => `"res${i}.read":"Read ${i}","res${i}.readwrite":"Write ${i}"`).join(',') +
        '}}}}}},"paths":{'
      : 'openapi: 3.0.3\ninfo: { title: Generated, version: "1" }\nservers:\n  - url: https://api.example.com/v1\ncomponents:\n  securitySchemes:\n    key: { type: apiKey, in: header, name: X-Key }\n    oauth:\n      type: oauth2\n      flows:\n        clientCredentials:\n          tokenUrl: https://auth.example.com/token\n          scopes:\n' +
        Array.from({ length: 200 }, (_, i) => `            res${i}.read: Read ${i}\n            res${i}.readwrite: Write ${i}\n`).join('') +
        'paths:\n';
  parts.push(head);
  let size = head.length;
  for (let i = 0; size < targetBytes; i++) {
    const r = i % 200;
    const operation =
      format === 'json'
        ? `${i === 0 ? '' : ','}"/resource${i}/{id}":{"get":{"operationId":"get${i}","summary":"Get resource ${i}","description":"Returns the resource with the given identifier, with all of its properties and the links to related resources. Supports $select and $expand.","parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}},{"name":"$select","in":"query","schema":{"type":"array","items":{"type":"string","enum":["id","name","created","modified","owner"]}}}],"security":[{"key":[]},{"oauth":["res${r}.read"]},{"oauth":["res${r}.readwrite"]}],"responses":{"200":{"description":"OK","content":{"application/json":{"schema":{"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"},"created":{"type":"string","format":"date-time"}}}}}}}},"patch":{"operationId":"update${i}","security":[{"oauth":["res${r}.readwrite"]}],"responses":{"204":{"description":"Updated"}}}}`
        : `  /resource${i}/{id}:\n    get:\n      operationId: get${i}\n      summary: Get resource ${i}\n      description: Returns the resource with the given identifier, with all of its properties and the links to related resources. Supports $select and $expand.\n      parameters:\n        - { name: id, in: path, required: true, schema: { type: string } }\n        - name: $select\n          in: query\n          schema: { type: array, items: { type: string, enum: [id, name, created, modified, owner] } }\n      security:\n        - key: []\n        - oauth: [res${r}.read]\n        - oauth: [res${r}.readwrite]\n      responses:\n        "200":\n          description: OK\n          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n                  id: { type: string }\n                  name: { type: string }\n                  created: { type: string, format: date-time }\n    patch:\n      operationId: update${i}\n      security: [{ oauth: [res${r}.readwrite] }]\n      responses: { "204": { description: Updated } }\n`;
    parts.push(operation);
    size += operation.length;
  }
  if (format === 'json') parts.push('}}');
  return parts.join('');
}

/** Runs `script` (an ES module body) in a fresh node, returning its wall time from start of script and its max RSS. */
function measure(script: string, args: readonly string[]): { ms: number; rssMB: number } {
  const wrapper = `const t0 = performance.now(); process.on('exit', () => process.stderr.write('\\nBENCH ' + (performance.now() - t0) + ' ' + process.resourceUsage().maxRSS + '\\n')); ${script}`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', wrapper, '--', ...args], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * MB });
  const match = /BENCH (\S+) (\d+)/.exec(result.stderr ?? '');
  if (!match) throw new Error(`bench child failed: ${result.stderr?.slice(-2000)}`);
  return { ms: Number(match[1]), rssMB: Number(match[2]) / 1024 };
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** One row: `check` on a generated description of `mb` MB in `format`, against parsing the file alone. */
function row(format: 'json' | 'yaml', mb: number): Row {
  return {
    name: `scopes check --openapi (${mb} MB ${format.toUpperCase()}, generated)`,
    floor: format === 'json' ? 'node + JSON.parse of the file' : 'node + yaml.parse of the file',
    goal: 2,
    async measure(runs) {
      const dir = mkdtempSync(join(tmpdir(), 'scopes-bench-large-'));
      try {
        const token = `${b64({ alg: 'none' })}.${b64({ scope: 'res1.read res2.readwrite', exp: 4102444800 })}.c2ln`;
        const file = join(dir, `openapi.${format}`);
        writeFileSync(file, generate(mb * MB, format));
        const parse =
          format === 'json'
            ? `const { readFileSync } = await import('node:fs'); JSON.parse(readFileSync(process.argv[process.argv.length - 1], 'utf8'));`
            : `const { readFileSync } = await import('node:fs'); const { parse } = await import(${JSON.stringify(join(repoRoot, 'node_modules', 'yaml', 'dist', 'index.js'))}); parse(readFileSync(process.argv[process.argv.length - 1], 'utf8'), { maxAliasCount: -1 });`;
        const check = `process.argv = [process.argv[0], ${JSON.stringify(binPath)}, 'check', '--openapi', process.argv[process.argv.length - 1], '--token', ${JSON.stringify(token)}, '--json']; await import(${JSON.stringify(binPath)});`;
        // a few runs at most: each parses tens of MB
        const count = Math.max(1, Math.min(runs, mb > 8 && format === 'yaml' ? 1 : 3));
        const parses: { ms: number; rssMB: number }[] = [];
        const checks: { ms: number; rssMB: number }[] = [];
        for (let i = 0; i < count; i++) {
          if (i % 2 === 0) parses.push(measure(parse, [file]));
          checks.push(measure(check, [file]));
          if (i % 2 === 1) parses.push(measure(parse, [file]));
        }
        const [p, c] = [median(parses.map((run) => run.ms)), median(checks.map((run) => run.ms))];
        const peak = (list: { rssMB: number }[]) => Math.max(...list.map((run) => run.rssMB)).toFixed(0);
        return { ratio: c / p, detail: `${ms(c)} vs ${ms(p)}; peak memory ${peak(checks)} MB vs ${peak(parses)} MB` };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export const rows: Row[] = [row('json', 40), row('yaml', Number(process.env['BENCH_YAML_MB'] ?? 4))];
