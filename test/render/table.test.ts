/** The shared table renderer: columns that shrink, cells that wrap or are cut, a stacked layout, lines that never wrap. */
import { describe, expect, it } from 'vitest';
import { cut, fitLine, layoutTable, renderTable, visibleWidth, widthOf, wrapText, type Column } from '../../src/render/table.js';

const red = (text: string) => `\u001b[31m${text}\u001b[39m`;

const columns: Column[] = [{ header: 'METHOD', overflow: 'keep', key: true }, { header: 'ENDPOINT', key: true, min: 12 }, { header: 'STATUS', overflow: 'keep' }, { header: 'MISSING', min: 10 }];
const rows = [
  ['GET', '/v1/videos', '200', ''],
  ['GET', '/v1/organizations/acme-corporation/projects/video-platform/exports?page=2', '403', 'videos:read videos:write export:write'],
];

describe('renderTable', () => {
  it('keeps every column at its natural width when the table fits (or there is no limit)', () => {
    expect(renderTable(columns, rows.slice(0, 1))).toEqual(['METHOD  ENDPOINT    STATUS  MISSING', 'GET     /v1/videos  200']);
    expect(renderTable(columns, rows.slice(0, 1), { width: 120 })).toEqual(renderTable(columns, rows.slice(0, 1)));
  });

  it.each([120, 80, 60, 40])('fits every line in %i columns and keeps all the text', (width) => {
    const lines = renderTable(columns, rows, { width });
    for (const line of lines) expect(visibleWidth(line), line).toBeLessThanOrEqual(width);
    const column = (name: string, next?: string) =>
      lines
        .slice(1)
        .map((line) => line.slice(lines[0]!.indexOf(name), next ? lines[0]!.indexOf(next) : undefined))
        .join('')
        .replace(/\s+/g, '');
    if (width < 50) {
      // Too narrow for four columns with room for a scope: each row becomes a block, nothing lost.
      expect(layoutTable(columns, rows, { width }).stacked).toBe(true);
      expect(lines.join('').replace(/\s+/g, '')).toContain('/v1/organizations/acme-corporation/projects/video-platform/exports?page=2');
      return;
    }
    expect(lines[0]).toMatch(/^METHOD {2}ENDPOINT +STATUS {2}MISSING$/);
    expect(column('ENDPOINT', 'STATUS')).toBe('/v1/videos/v1/organizations/acme-corporation/projects/video-platform/exports?page=2');
    expect(column('MISSING')).toBe('videos:readvideos:writeexport:write');
    // A scope is never split across lines while the table has room for it.
    for (const line of lines.slice(1)) expect(line.slice(lines[0]!.indexOf('MISSING'))).toMatch(/^(|\S+:\S+( \S+:\S+)*)$/);
  });

  it('wraps a long endpoint inside its column, breaking after a slash', () => {
    const lines = renderTable(columns, rows, { width: 60 });
    expect(lines[0]).toMatch(/^METHOD {2}ENDPOINT +STATUS {2}MISSING$/);
    const endpointStart = lines[0]!.indexOf('ENDPOINT');
    const continuation = lines.slice(3);
    expect(continuation.length).toBeGreaterThan(0);
    for (const line of continuation) expect(line.slice(0, endpointStart).trim()).toBe('');
    expect(lines[2]).toMatch(/^GET {5}\/v1\/organizations\//);
    expect(lines[2]!.slice(endpointStart).split(/\s/)[0]).toMatch(/\/$/);
  });

  it('cuts a cell with an ellipsis when its column says so', () => {
    const lines = renderTable([{ header: 'A', overflow: 'cut', min: 5 }, { header: 'B', overflow: 'keep' }], [['abcdefghijkl', 'xyz']], { width: 12 });
    expect(lines).toEqual(['A        B', 'abcdef…  xyz']);
  });

  it('stacks each row as a block when even the narrowest columns do not fit', () => {
    const layout = layoutTable(columns, rows, { width: 24 });
    expect(layout.stacked).toBe(true);
    expect(layout.header).toEqual([]);
    expect(layout.rows[0]).toEqual(['GET /v1/videos', '  status   200']);
    for (const line of layout.rows.flat()) expect(visibleWidth(line)).toBeLessThanOrEqual(24);
    expect(layout.rows[1]!.join('\n')).toMatch(/ {2}missing {2}videos:read/);
  });

  it('lays colour back on after wrapping, never counting or splitting an escape sequence', () => {
    const lines = renderTable([{ header: 'SCOPES', min: 8 }], [[{ text: 'aaaa bbbb cccc', style: red }]], { width: 10 });
    expect(lines.slice(1)).toEqual([red('aaaa bbbb'), red('cccc')]);
    for (const line of lines) expect(visibleWidth(line)).toBeLessThanOrEqual(10);
  });
});

describe('line helpers', () => {
  it('cuts to a width with an ellipsis', () => {
    expect(cut('abcdef', 4)).toBe('abc…');
    expect(cut('abc', 4)).toBe('abc');
  });

  it('keeps a spinner line one column short of the terminal, so \\r rewrites the same line', () => {
    const spinner = '⠋ waiting for the browser: 12 s of 300 s';
    expect(fitLine(spinner, 20)).toBe('⠋ waiting for the …');
    expect(visibleWidth(fitLine(spinner, 20))).toBe(19);
    expect(fitLine(spinner, undefined)).toBe(spinner);
  });

  it('wraps a note with a hanging indent', () => {
    expect(wrapText('one two three four', 14, 4)).toEqual(['    one two', '    three four']);
  });

  it('limits only a terminal: a pipe gets whole lines', () => {
    expect(widthOf({ isTTY: true, columns: 60 })).toBe(60);
    expect(widthOf({ isTTY: false, columns: 60 })).toBeUndefined();
  });
});
