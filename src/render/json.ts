import type { OutputStream } from '../deps.js';

/**
 * `--json` output: indented on a terminal, where a person reads it; one compact line in a pipe or file, where a
 * program does (`jq` reads both). Always exactly one document and a newline.
 */
export function jsonText(stream: Pick<OutputStream, 'isTTY'>, value: unknown): string {
  return `${JSON.stringify(value, null, stream.isTTY ? 2 : undefined)}\n`;
}
