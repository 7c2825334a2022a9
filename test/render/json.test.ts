import { describe, expect, it } from 'vitest';
import { jsonText, writeJson } from '../../src/render/json.js';

const collect = (isTTY: boolean) => {
  const writes: string[] = [];
  return { stream: { isTTY, write: (text: string) => void writes.push(text) }, writes };
};

describe('writeJson', () => {
  const items = Array.from({ length: 2500 }, (_, i) => ({ method: 'GET', path: `/r${i}`, missing: [`r${i}:read`] }));
  const frame = { ok: false, unused: ['a'], document: 'openapi.json' };
  const whole = (isTTY: boolean) => jsonText({ isTTY }, { ok: false, endpoints: items.map((item) => ({ ...item, n: 1 })), unused: ['a'], document: 'openapi.json' });
  const withKeyOrder = { ok: false, endpoints: [], unused: ['a'], document: 'openapi.json' };

  it('writes a long list in pieces in a pipe, the same text as one JSON.stringify', () => {
    const { stream, writes } = collect(false);
    writeJson(stream, withKeyOrder, 'endpoints', items, (item) => ({ ...item, n: 1 }), 1000);
    expect(writes.join('')).toBe(whole(false));
    expect(writes.length).toBe(5); // the head, three pieces of at most 1,000 endpoints, the tail
    // each piece holds whole items, so redaction on each write sees every string entire
    for (const piece of writes.slice(1, -1)) expect(JSON.parse(`[${piece.replace(/^,/, '')}]`)).toHaveLength(piece === writes[3] ? 500 : 1000);
  });

  it('writes one indented document on a terminal, and short lists at once', () => {
    const tty = collect(true);
    writeJson(tty.stream, withKeyOrder, 'endpoints', items, (item) => ({ ...item, n: 1 }));
    expect(tty.writes).toEqual([whole(true)]);
    const short = collect(false);
    writeJson(short.stream, frame, 'endpoints', items.slice(0, 3), (item) => item);
    expect(short.writes).toEqual([jsonText({ isTTY: false }, { ...frame, endpoints: items.slice(0, 3) })]);
  });
});
