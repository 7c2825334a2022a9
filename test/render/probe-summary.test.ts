/**
 * Probe's summary sentences (Skipped, Errors, Unauthorized…) fit a narrow terminal: wrapped between words, never cut
 * mid-word by the terminal (seen at 60 columns in the demo: "…the manifest whe" / "re it declares scopes").
 */
import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../src/probe/engine.js';
import { renderProbe } from '../../src/render/probe.js';
import type { Style } from '../../src/render/style.js';
import { visibleWidth } from '../../src/render/table.js';

const same = (text: string) => text;
const PLAIN: Style = { ok: same, bad: same, warn: same, dim: same, bold: same, code: same };
const result = (partial: Partial<ProbeResult>): ProbeResult => ({
  method: 'GET',
  url: 'https://api.example.com/v1/x',
  status: 403,
  outcome: 'missing_scope',
  required: [],
  missing: [],
  evidence: [],
  ...partial,
});

describe('probe summary at a narrow width', () => {
  const results = [
    result({ method: 'POST', outcome: 'skipped', status: null, required: [['export:write']], missing: ['export:write'] }),
    result({ outcome: 'unauthorized', status: 401 }),
    result({ outcome: 'error', status: null }),
  ];
  it.each([60, 40])('keeps every line within %i columns, broken between words', (width) => {
    const text = renderProbe({ results, missing: ['export:write'], granted: [], profile: 'work', api: 'https://api.example.com' }, PLAIN, width);
    for (const line of text.split('\n')) expect(visibleWidth(line), line).toBeLessThanOrEqual(width);
    const joined = text.replace(/\n +/g, ' ');
    expect(joined).toContain('Skipped: 1 endpoint not called (judged from the manifest where it declares scopes).');
    expect(joined).toContain('try scopes token --profile work --force-refresh or log in again.');
    expect(joined).toContain('Errors: 1 endpoint could not be probed.');
  });
});
