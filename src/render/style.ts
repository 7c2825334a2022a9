import { Chalk } from 'chalk';
import type { OutputStream } from '../deps.js';

export interface Style {
  ok(text: string): string;
  bad(text: string): string;
  warn(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
  code(text: string): string;
}

/** Styling for one stream: colour only where that stream wants it, so a pipe gets plain text. */
export function styleFor(stream: OutputStream): Style {
  const chalk = new Chalk({ level: stream.color ? 1 : 0 });
  return {
    ok: (text) => chalk.green(text),
    bad: (text) => chalk.red(text),
    warn: (text) => chalk.yellow(text),
    dim: (text) => chalk.dim(text),
    bold: (text) => chalk.bold(text),
    code: (text) => chalk.cyan(text),
  };
}

/** Pads plain text to a width, ignoring colour codes so tables line up on a terminal too. */
export function pad(text: string, width: number): string {
  // eslint-disable-next-line no-control-regex
  const visible = text.replace(/\u001b\[[0-9;]*m/g, '').length;
  return visible >= width ? text : text + ' '.repeat(width - visible);
}
