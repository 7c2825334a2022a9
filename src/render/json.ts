import type { OutputStream } from '../deps.js';

/**
 * `--json` output: indented on a terminal, where a person reads it; one compact line in a pipe or file, where a
 * program does (`jq` reads both). Always exactly one document and a newline.
 */
export function jsonText(stream: Pick<OutputStream, 'isTTY'>, value: unknown): string {
  return `${JSON.stringify(value, null, stream.isTTY ? 2 : undefined)}\n`;
}

/**
 * Writes what `jsonText` gives for `value` with `items` (each as `itemJson` makes it) under `key`, in pieces when it
 * is one compact line and the list is long: check's endpoints on a 40 MB description are 16 MB of JSON, and the whole
 * text, its objects and its bytes at once were a tenth of the run's peak memory. Items are whole in each piece, so the
 * redaction layer sees every string entire.
 */
export function writeJson<T>(
  stream: Pick<OutputStream, 'isTTY' | 'write'>,
  value: Record<string, unknown>,
  key: string,
  items: readonly T[],
  itemJson: (item: T) => unknown,
  itemsPerPiece = 1000,
): void {
  if (stream.isTTY || items.length <= itemsPerPiece) {
    stream.write(jsonText(stream, { ...value, [key]: items.map(itemJson) }));
    return;
  }
  // A placeholder no other value of these documents holds (scopes, paths and file names never hold U+0000).
  const placeholder = `\u0000${key}\u0000`;
  const frame = JSON.stringify({ ...value, [key]: placeholder });
  const spelled = JSON.stringify(placeholder);
  const at = frame.indexOf(spelled);
  stream.write(`${frame.slice(0, at)}[`);
  for (let start = 0; start < items.length; start += itemsPerPiece) {
    const piece = JSON.stringify(items.slice(start, start + itemsPerPiece).map(itemJson));
    stream.write(`${start === 0 ? '' : ','}${piece.slice(1, -1)}`);
  }
  stream.write(`]${frame.slice(at + spelled.length)}\n`);
}
