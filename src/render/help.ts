/**
 * `--help` on a narrow terminal. Commander wraps its own option and command lists to the width it is given; the text
 * this tool adds after them (examples, exit codes) passes through here. An example is a command a person copies, so
 * it is broken between shell words with a trailing ` \` and stays one command when pasted; prose is word-wrapped.
 */
import { visibleWidth, wrapText } from './table.js';

/** Shell words of a command line, quotes and `$(…)` kept inside their word. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  let depth = 0;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i] ?? '';
    if (quote !== undefined) {
      word += char;
      if (char === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else if (char === quote) quote = undefined;
      continue;
    }
    if (char === "'" || char === '"') quote = char;
    if (char === '(' && line[i - 1] === '$') depth += 1;
    if (char === ')' && depth > 0) depth -= 1;
    if (char === ' ' && depth === 0) {
      if (word !== '') words.push(word);
      word = '';
      continue;
    }
    word += char;
  }
  if (word !== '') words.push(word);
  return words;
}

/** A command line broken between words to fit `width`, each broken line ending in ` \`, continuations indented. */
export function wrapCommand(line: string, width: number): string[] {
  if (visibleWidth(line) <= width) return [line];
  const indent = line.length - line.trimStart().length;
  const words = shellWords(line.trimStart());
  const lines: string[] = [];
  let current = ' '.repeat(indent);
  let empty = true;
  for (const word of words) {
    const candidate = empty ? current + word : `${current} ${word}`;
    // Room for the " \" that continues the line.
    if (!empty && visibleWidth(candidate) + 2 > width) {
      lines.push(`${current} \\`);
      current = ' '.repeat(indent + 2) + word;
    } else {
      current = candidate;
    }
    empty = false;
  }
  lines.push(current);
  return lines;
}

/** Help text fit to `width`: example commands broken as shell lines, other long lines word-wrapped at their indent. */
export function fitHelp(text: string, width: number | undefined): string {
  if (width === undefined || width < 20) return text;
  let inExamples = false;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (/^\S.*:$/.test(line)) inExamples = line === 'Examples:';
    else if (line.trim() === '') inExamples = false;
    if (visibleWidth(line) <= width) {
      out.push(line);
      continue;
    }
    const indent = line.length - line.trimStart().length;
    // An option or command row: "  --term <arg>   description". Commander leaves it whole when the description
    // column would be narrower than 40; here it wraps under its column, or below the term when that is too narrow.
    const item = inExamples ? null : /^( +\S(?:.*?\S)?) {2,}(\S.*)$/.exec(line);
    if (inExamples) out.push(...wrapCommand(line, width));
    else if (item && item[1] !== undefined && item[2] !== undefined) {
      const column = line.length - item[2].length;
      if (width - column >= 20) out.push(...wrapText(item[2], width, column).map((wrapped, i) => (i === 0 ? line.slice(0, column) + wrapped.trimStart() : wrapped)));
      else out.push(item[1], ...wrapText(item[2], width, indent + 4));
    } else out.push(...wrapText(line.trimStart(), width, indent + (indent > 0 ? 2 : 0), indent));
  }
  return out.join('\n');
}
