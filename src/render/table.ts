/**
 * The one place that knows about terminal width: tables whose columns shrink to fit, cells that wrap inside their
 * column or are cut with an ellipsis, a stacked layout when even the narrowest columns do not fit, and single lines
 * (a spinner) cut so that they never wrap. Layout is done on plain text; colour is applied afterwards, piece by piece,
 * so an escape sequence is never counted, split or cut in half.
 */
import type { OutputStream } from '../deps.js';

/** A run of text and the colour it is shown in. */
export interface Segment {
  readonly text: string;
  readonly style?: ((text: string) => string) | undefined;
}

/** A table cell: plain text, or styled segments laid out as one text. */
export type Cell = string | Segment | readonly Segment[];

export interface Column {
  /** Heading text; also the label in the stacked layout (lower-cased). */
  readonly header?: string;
  /** What a cell too long for its column does: wrap onto more lines (default), be cut with "…", or keep its width. */
  readonly overflow?: 'wrap' | 'cut' | 'keep';
  /** The narrowest the column may become (default: its header, at least 8, never more than its content). */
  readonly min?: number;
  /** In the stacked layout, shown on the row's first line rather than as a labelled line. */
  readonly key?: boolean;
  /** Spaces after this column (default: the table's gap). */
  readonly gap?: number;
}

export interface TableOptions {
  /** Width to fit in; undefined means no limit (a pipe or a file). */
  readonly width?: number | undefined;
  /** Spaces before every line. */
  readonly indent?: number;
  /** Spaces between columns (default 2). */
  readonly gap?: number;
  /** Print the header row (default: when any column has a header). */
  readonly header?: boolean;
  readonly headerStyle?: (text: string) => string;
}

export interface TableLayout {
  /** The header line(s), empty when there is none (or in the stacked layout). */
  readonly header: string[];
  /** The lines of each row, in order: a caller may put lines of its own between rows. */
  readonly rows: string[][];
  readonly stacked: boolean;
}

const ELLIPSIS = '…';
/** The widest a column's minimum grows to hold its longest word; a longer word (a URL) is broken. */
const WORD_ROOM = 16;

/** The number of columns `text` takes, ignoring SGR colour sequences. Counts code points, not UTF-16 units. */
export function visibleWidth(text: string): number {
  // eslint-disable-next-line no-control-regex
  return [...text.replace(/\u001b\[[0-9;]*m/g, '')].length;
}

/**
 * The width output on `stream` should fit: its terminal's; undefined (no limit) for a pipe or a file, whose reader is
 * a program or a pager that wants whole lines.
 */
export function widthOf(stream: Pick<OutputStream, 'isTTY' | 'columns'>): number | undefined {
  return stream.isTTY && stream.columns !== undefined && stream.columns > 0 ? stream.columns : undefined;
}

/** `text` cut with "…" to at most `width` columns (plain text). */
export function cut(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 0) return '';
  return chars.slice(0, width - 1).join('') + ELLIPSIS;
}

/**
 * A one-line status (a spinner, a progress count) cut to fit a terminal of `columns`, one column spare: a line that
 * reaches the last column makes some terminals wrap, and `\r` then rewrites the wrong line.
 */
export function fitLine(text: string, columns: number | undefined): string {
  return columns === undefined || columns <= 1 ? text : cut(text, columns - 1);
}

/** Where a word longer than the line is best broken: after a `/`, `?`, `&`, `,` or `-` in its second half (a scope's `:` is kept whole). */
function breakPoint(word: string[], width: number): number {
  for (let i = width; i > width / 2; i -= 1) if ('/?&,-'.includes(word[i - 1] ?? '')) return i;
  return width;
}

/**
 * Plain `text` as lines of at most `width` columns: at spaces, and inside a word only when the word alone is longer
 * than the line. Returns [start, end) character ranges so that styles can be laid back on.
 */
function wrapRanges(chars: readonly string[], width: number): Array<[number, number]> {
  const lines: Array<[number, number]> = [];
  let start = 0;
  const length = chars.length;
  while (start < length) {
    while (start < length && chars[start] === ' ' && lines.length > 0) start += 1;
    if (start >= length) break;
    if (length - start <= width) {
      lines.push([start, length]);
      break;
    }
    let end = -1;
    for (let i = start + width; i > start; i -= 1) {
      if (chars[i] === ' ') {
        end = i;
        break;
      }
    }
    // A word that would not fit on a line of its own anyway is broken here, filling this line, not left for the next.
    if (end > start) {
      let next = end;
      while (next < length && chars[next] === ' ') next += 1;
      let nextEnd = next;
      while (nextEnd < length && chars[nextEnd] !== ' ') nextEnd += 1;
      if (nextEnd - next > width && start + width - next >= 4) end = -1;
    }
    if (end <= start) end = start + breakPoint(chars.slice(start, start + width + 1), width);
    let trimmed = end;
    while (trimmed > start && chars[trimmed - 1] === ' ') trimmed -= 1;
    lines.push([start, trimmed]);
    start = end;
  }
  return lines.length === 0 ? [[0, 0]] : lines;
}

const segmentsOf = (cell: Cell): readonly Segment[] => (typeof cell === 'string' ? [{ text: cell }] : 'text' in cell ? [cell as Segment] : (cell as readonly Segment[]));
const plainOf = (cell: Cell): string => segmentsOf(cell).map((segment) => segment.text).join('');

/** The styled text of characters [start, end) of a cell. */
function styledSlice(segments: readonly Segment[], start: number, end: number): string {
  let offset = 0;
  let out = '';
  for (const segment of segments) {
    const chars = [...segment.text];
    const from = Math.max(start, offset);
    const to = Math.min(end, offset + chars.length);
    if (from < to) {
      const piece = chars.slice(from - offset, to - offset).join('');
      out += segment.style ? segment.style(piece) : piece;
    }
    offset += chars.length;
  }
  return out;
}

/** The number of code points of `text` (what `[...text].length` counts), without making the array. */
function codePoints(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count -= 1;
        i += 1;
      }
    }
  }
  return count;
}

/** A cell as lines of at most `width` columns, styled. */
function cellLines(cell: Cell, width: number | undefined, overflow: Column['overflow']): Array<{ text: string; width: number }> {
  const segments = segmentsOf(cell);
  const plain = segments.map((segment) => segment.text).join('');
  // Most cells fit (and every cell does on a pipe): styled whole, without splitting them into characters. The same
  // text styledSlice gives for the whole range, which leaves out empty segments.
  const length = codePoints(plain);
  if (width === undefined || length <= width || overflow === 'keep') {
    return [{ text: segments.map((segment) => (segment.text === '' ? '' : segment.style ? segment.style(segment.text) : segment.text)).join(''), width: length }];
  }
  const chars = [...plain];
  if (overflow === 'cut') {
    const last = segments.length ? segments[segments.length - 1] : undefined;
    const head = styledSlice(segments, 0, Math.max(0, width - 1));
    const ellipsis = last?.style ? last.style(ELLIPSIS) : ELLIPSIS;
    return [{ text: head + ellipsis, width }];
  }
  return wrapRanges(chars, width).map(([start, end]) => ({ text: styledSlice(segments, start, end), width: end - start }));
}

/** Plain or styled text wrapped to `width` with a hanging `indent` on every line (a note under a table). */
export function wrapText(cell: Cell, width: number | undefined, indent = 0, firstIndent = indent): string[] {
  const room = width === undefined ? undefined : Math.max(10, width - indent);
  return cellLines(cell, room, 'wrap').map((line, i) => `${' '.repeat(i === 0 ? firstIndent : indent)}${line.text}`);
}

/** Column widths that fit `available`, shrinking the widest shrinkable column first; undefined when even the minimums do not. */
function fitWidths(natural: number[], minimum: number[], available: number): number[] | undefined {
  const widths = [...natural];
  let excess = widths.reduce((sum, width) => sum + width, 0) - available;
  if (excess <= 0) return widths;
  if (minimum.reduce((sum, width) => sum + width, 0) > available) return undefined;
  while (excess > 0) {
    let widest = -1;
    for (let i = 0; i < widths.length; i += 1) {
      if ((widths[i] ?? 0) > (minimum[i] ?? 0) && (widest < 0 || (widths[i] ?? 0) > (widths[widest] ?? 0))) widest = i;
    }
    if (widest < 0) return undefined;
    widths[widest] = (widths[widest] ?? 0) - 1;
    excess -= 1;
  }
  return widths;
}

/**
 * Lays out `rows` under `columns` to fit `options.width`. Columns keep their natural width when everything fits;
 * otherwise the widest shrinkable ones give way, their cells wrapping (or cut); when even that cannot fit, each row
 * becomes a short block: its key columns on one line, the others below as `label  value`.
 */
export function layoutTable(columns: readonly Column[], rows: readonly (readonly Cell[])[], options: TableOptions = {}): TableLayout {
  const indent = options.indent ?? 0;
  const gap = options.gap ?? 2;
  const showHeader = options.header ?? columns.some((column) => column.header !== undefined);
  const headerStyle = options.headerStyle ?? ((text: string) => text);
  const natural = columns.map((column, i) =>
    Math.max(showHeader ? (column.header ?? '').length : 0, ...rows.map((row) => codePoints(plainOf(row[i] ?? '')))),
  );
  // Without a width (a pipe) nothing shrinks: the minimums, a pass over every word of every cell, are not needed.
  const minimum = options.width === undefined ? natural : columns.map((column, i) => {
    const own = natural[i] ?? 0;
    if (column.overflow === 'keep') return own;
    // Room for the longest word (a scope, a path segment run) up to WORD_ROOM, so that wrapping rarely splits one.
    const longestWord = Math.max(0, ...rows.map((row) => Math.max(0, ...plainOf(row[i] ?? '').split(' ').map((word) => [...word].length))));
    const floor = column.min ?? Math.max(showHeader ? (column.header ?? '').length : 0, 8);
    return Math.min(own, column.overflow === 'cut' ? floor : Math.max(floor, Math.min(longestWord, WORD_ROOM)));
  });
  const gaps = columns.map((column, i) => (i === columns.length - 1 ? 0 : (column.gap ?? gap)));
  const available = options.width === undefined ? Infinity : options.width - indent - gaps.reduce((sum, width) => sum + width, 0);
  const widths = fitWidths(natural, minimum, available);
  if (widths === undefined) return stackedLayout(columns, rows, options.width, indent);

  const pad = ' '.repeat(indent);
  const renderRow = (cells: readonly Cell[], style?: (text: string) => string): string[] => {
    const laid = columns.map((column, i) => cellLines(cells[i] ?? '', widths[i], column.overflow));
    const height = Math.max(...laid.map((lines) => lines.length));
    const lines: string[] = [];
    for (let line = 0; line < height; line += 1) {
      let text = '';
      columns.forEach((_column, i) => {
        const piece = laid[i]?.[line];
        const last = i === columns.length - 1;
        const content = piece?.text ?? '';
        text += last ? content : content + ' '.repeat(Math.max(0, (widths[i] ?? 0) - (piece?.width ?? 0)) + (gaps[i] ?? 0));
      });
      lines.push(pad + (style ? style(text.trimEnd()) : text).trimEnd());
    }
    return lines;
  };
  const header = showHeader ? renderRow(columns.map((column) => column.header ?? ''), headerStyle) : [];
  return { header, rows: rows.map((row) => renderRow(row)), stacked: false };
}

function stackedLayout(columns: readonly Column[], rows: readonly (readonly Cell[])[], width: number | undefined, indent: number): TableLayout {
  const labelOf = (column: Column) => (column.header ?? '').toLowerCase();
  const labelWidth = Math.max(0, ...columns.filter((column) => !column.key).map((column) => labelOf(column).length));
  const pad = ' '.repeat(indent);
  const laidRows = rows.map((row) => {
    const keyCells = columns.flatMap((column, i) => (column.key ? [segmentsOf(row[i] ?? '')] : [])).filter((segments) => plainOf(segments as Segment[]) !== '');
    const heading: Segment[] = keyCells.flatMap((segments, i) => (i === 0 ? [...segments] : [{ text: ' ' }, ...segments]));
    const lines = wrapText(heading, width === undefined ? undefined : width - indent, 2, 0).map((line) => pad + line);
    columns.forEach((column, i) => {
      const cell = row[i] ?? '';
      if (column.key || plainOf(cell).trim() === '') return;
      const label = labelOf(column);
      const lead = label === '' ? 2 : 2 + labelWidth + 2;
      const body = wrapText(cell, width === undefined ? undefined : width - indent, lead, lead);
      if (label !== '' && body[0] !== undefined) body[0] = `  ${label.padEnd(labelWidth)}  ${body[0].slice(lead)}`;
      lines.push(...body.map((line) => pad + line));
    });
    return lines;
  });
  return { header: [], rows: laidRows, stacked: true };
}

/** The whole table as lines: header, then every row. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly Cell[])[], options: TableOptions = {}): string[] {
  const layout = layoutTable(columns, rows, options);
  return [...layout.header, ...layout.rows.flat()];
}
