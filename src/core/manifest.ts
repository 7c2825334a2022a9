/**
 * Reading scope manifests (SPEC "Manifest"): which scopes each endpoint of an API needs.
 *
 * Pure: the caller reads the file and passes its text. Also home of what `openapi.ts` shares with it: the
 * `Endpoint` / `ScopeDocument` shape both readers return, and the JSON-or-YAML loader that knows where each
 * value sits in the text so that errors can say `file:line:column`.
 *
 * "Needs nothing" has one spelling everywhere: `required: [[]]`, one alternative that needs no scope
 * (scopes.ts reads both `[]` and `[[]]` as "needs nothing"; we only ever produce the second, so that JSON
 * output shows "any of: nothing" rather than an empty list a reader could take for "unsatisfiable").
 */
import type { Document, LineCounter } from 'yaml';
import type * as YamlModule from 'yaml';
import { UsageError } from '../errors.js';
import { isScopeToken } from './scopes.js';
import type { Preset, Requirement, RuleSpec } from './scopes.js';

/**
 * The YAML parser, imported only when a document needs it (`loadYaml`): YAML text, or a problem in JSON text to be
 * placed at a line. A JSON description, the common case in CI, never pays its start-up cost.
 */
let yamlEngine: typeof YamlModule | undefined;
/** Set when a problem in JSON text went without its position because the YAML parser was not loaded. */
let positionMissed = false;

/** Loads the YAML parser for the readers below; they need it for YAML text, and to place problems in JSON text. */
export async function loadYaml(): Promise<void> {
  if (yamlEngine !== undefined) return;
  const imported = (await import('yaml')) as Partial<typeof YamlModule> & { default?: typeof YamlModule };
  // Node gives a CommonJS package's names; the bundle's chunk for it exports only `default`.
  yamlEngine = imported.parseDocument === undefined ? imported.default : (imported as typeof YamlModule);
}

/** True when `text` is not JSON (it does not start with `{`): only the YAML parser reads it. */
const needsYaml = (text: string): boolean => !(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).trimStart().startsWith('{');

/**
 * Runs `read` (a sync reader of `text`), with the YAML parser loaded first when the text is not JSON; and, when a
 * problem in JSON text wanted a position the parser alone can give, once more with it loaded. Commands read through
 * this; tests and callers that loaded the parser themselves may call the readers directly.
 */
export async function readWithYamlIfNeeded<T>(text: string, read: () => T): Promise<T> {
  if (yamlEngine === undefined && needsYaml(text)) await loadYaml();
  if (yamlEngine !== undefined) return read();
  positionMissed = false;
  try {
    const result = read();
    if (!positionMissed) return result;
  } catch (error) {
    if (!positionMissed) throw error;
  }
  await loadYaml();
  return read();
}

const yamlParser = (): typeof YamlModule => {
  if (yamlEngine === undefined) throw new Error('The YAML parser is not loaded: read documents through readWithYamlIfNeeded.');
  return yamlEngine;
};

/** The methods an endpoint may name, upper-case (TRACE because OpenAPI has it). */
export const HTTP_METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE', 'TRACE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** One endpoint and the scopes it needs. */
export interface Endpoint {
  /** Upper-case, one of `HTTP_METHODS`. */
  readonly method: string;
  /** Starts with `/`; may be templated (`/v1/videos/{id}`); appended to `ScopeDocument.api`. */
  readonly path: string;
  /** Any one group suffices, each group needs all of it; `[[]]` when no scope is needed. */
  readonly required: Requirement;
  /** A concrete path to call in place of a templated one (`/v1/jobs/7`), starting with `/`. */
  readonly probe?: string;
  /** Where the endpoint came from, for messages: `endpoints[2]`, `operationId listVideos`. */
  readonly source?: string;
  /**
   * The absolute base URL this operation is served at, when the description says (OpenAPI: the operation's, else its
   * path item's, else the root `servers[0]`, with variables' defaults; Swagger 2.0: `schemes`/`host`/`basePath`;
   * discovery: `rootUrl` + `servicePath`). Without a trailing slash; `path` is appended to it.
   */
  readonly server?: string;
  /** The path part of the server URL (`/2.0`), also for a relative server (`/api/v3`): names may start with it. */
  readonly basePath?: string;
  /**
   * What the endpoint needs when any credential counts (`--credential any`), when that differs from `required`: an
   * API key alternative needs no scope. `required` is what a caller holding an OAuth token needs.
   */
  readonly anyCredential?: Requirement;
  /** Security schemes without scopes (an API key, HTTP basic…) that can call the endpoint instead of an OAuth token. */
  readonly otherCredentials?: readonly string[];
  /** False when no alternative accepts an OAuth token at all (only `otherCredentials` can call it). */
  readonly oauth?: boolean;
}

/** What a manifest or an OpenAPI document says about scopes. */
export interface ScopeDocument {
  /** Absolute http(s) base URL without a trailing slash; endpoint paths are appended to it as they are. */
  readonly api?: string;
  readonly rules: RuleSpec;
  readonly endpoints: Endpoint[];
  /** OpenAPI only: every scope the oauth2 schemes declare (`flows.*.scopes` keys), in document order. */
  readonly declaredScopes?: string[];
  /** Which kind of description it was read from. */
  readonly format?: 'manifest' | 'openapi' | 'swagger' | 'discovery';
  /** Things worth telling the user that do not stop the document from being used, each `file[:line:col]: …`. */
  readonly warnings: string[];
}

/**
 * Longest text read at all: above the largest published API descriptions (the largest OpenAPI documents run to about
 * 40 MB, in YAML or JSON), low enough not to exhaust memory.
 */
export const MAX_DOCUMENT_CHARS = 128 * 1024 * 1024;
/**
 * Longest text whose problems are placed at a line and column. Placing needs the YAML syntax tree, several times the
 * size of the value it describes: above this it is dropped as soon as the value is built (YAML), or never built (JSON),
 * so reading a large document costs what parsing it does, and its problems are reported without a position.
 */
export const MAX_LOCATED_CHARS = 8 * 1024 * 1024;
/** yaml's budget for alias expansion (count × size per anchor); stops "billion laughs" documents. */
const MAX_ALIAS_COUNT = 10_000;
const MAX_REPORTED_ERRORS = 10;
const MAX_REPORTED_WARNINGS = 20;

/** Keys and indexes from the document root to a value, e.g. `['endpoints', 3, 'anyOf', 1]`. */
export type JsonPath = readonly (string | number)[];

/** One thing wrong with a document, located as precisely as the parser allows. */
export interface DocumentProblem {
  readonly file: string;
  /** 1-based; absent when the position is unknown. */
  readonly line?: number;
  readonly column?: number;
  /** `endpoints[3].anyOf[1]`, or `''` for the document as a whole. */
  readonly path: string;
  /** What was expected and what was found. */
  readonly message: string;
}

/**
 * An invalid manifest or OpenAPI document (exit 2). The message lists up to ten problems, one a line, as
 * `file:line:column: path: what was expected, got what`; `problems` holds them for programs.
 */
export class DocumentError extends UsageError {
  constructor(
    readonly problems: readonly DocumentProblem[],
    readonly total: number,
    code: string,
  ) {
    const lines = problems.map(formatProblem);
    if (total > problems.length) lines.push(`… and ${total - problems.length} more`);
    super(lines.join('\n'), undefined, code);
  }
}

export function formatProblem(problem: DocumentProblem): string {
  const place = problem.line === undefined ? '' : `:${problem.line}:${problem.column ?? 1}`;
  const path = problem.path === '' ? '' : `${problem.path}: `;
  return `${problem.file}${place}: ${path}${problem.message}`;
}

/** `endpoints[3].anyOf[1]`, `paths["/v1/videos"].get`. */
export function formatPath(path: JsonPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

type LinePos = { readonly line: number; readonly col: number };
/**
 * Where the key or the value at `path` starts in the text, when that can be known. `cheap`: only if that needs no
 * second parse of the text (a refusal must not cost more than reading the document did).
 */
export type Locate = (path: JsonPath, at: 'key' | 'value', cheap?: boolean) => LinePos | undefined;

/** Collects errors and warnings while a document is read, so that one run reports several at once. */
export class Problems {
  private readonly errors: DocumentProblem[] = [];
  private errorCount = 0;
  private readonly warnings: string[] = [];
  private warningCount = 0;

  constructor(
    readonly fileName: string,
    private readonly locate: Locate,
    private readonly code: string,
  ) {}

  get hasErrors(): boolean {
    return this.errorCount > 0;
  }

  /** Errors and warnings so far, to tell whether a step found anything. */
  get count(): number {
    return this.errorCount + this.warningCount;
  }

  error(path: JsonPath, message: string, at: 'key' | 'value' = 'value', cheap = false): void {
    this.errorCount += 1;
    if (this.errors.length < MAX_REPORTED_ERRORS) this.errors.push(this.problem(path, message, at, cheap));
  }

  warn(path: JsonPath, message: string, at: 'key' | 'value' = 'value'): void {
    this.warningCount += 1;
    if (this.warnings.length < MAX_REPORTED_WARNINGS) this.warnings.push(formatProblem(this.problem(path, message, at)));
  }

  /** A warning about the document as a whole, with no place in it. */
  note(message: string): void {
    this.warningCount += 1;
    if (this.warnings.length < MAX_REPORTED_WARNINGS) this.warnings.push(`${this.fileName}: ${message}`);
  }

  /** Throws the collected errors, if any; otherwise the warnings to put in the `ScopeDocument`. */
  finish(): string[] {
    if (this.errorCount > 0) throw new DocumentError(this.errors, this.errorCount, this.code);
    const warnings = [...this.warnings];
    const unlisted = this.warningCount - warnings.length;
    if (unlisted > 0) warnings.push(`${this.fileName}: … and ${unlisted} more warnings`);
    return warnings;
  }

  /**
   * Stops at once with one problem, for documents that cannot be read further (the wrong kind of document): placed
   * only when that is free, so refusing a large JSON file never parses it a second time.
   */
  fail(path: JsonPath, message: string): never {
    this.error(path, message, 'value', true);
    return this.finish() as never;
  }

  private problem(path: JsonPath, message: string, at: 'key' | 'value', cheap = false): DocumentProblem {
    let pos: LinePos | undefined;
    try {
      pos = this.locate(path, at, cheap);
    } catch {
      pos = undefined; // a position is a courtesy: never let finding it hide the problem itself
    }
    return {
      file: this.fileName,
      ...(pos === undefined || pos.line === 0 ? {} : { line: pos.line, column: pos.col }),
      path: formatPath(path),
      message,
    };
  }
}

/** A parsed document: its plain value (aliases shared, `__proto__` an own key) and how to locate its parts. */
export interface LoadedDocument {
  readonly value: unknown;
  readonly locate: Locate;
}

const YAML_OPTIONS = { prettyErrors: false, logLevel: 'error', uniqueKeys: true } as const;

/**
 * Parses JSON or YAML text into a plain value. JSON is tried first when the text starts with `{`, for its
 * better syntax errors; YAML otherwise, or when that fails (a flow mapping is YAML but not JSON).
 * Throws `DocumentError` (exit 2, `code`) for text that is too large, not JSON or YAML, several YAML documents,
 * nested too deeply, or expanding too many aliases.
 */
export function loadDocument(text: string, fileName: string, code: string): LoadedDocument {
  const fail = (problem: Omit<DocumentProblem, 'file'>): never => {
    throw new DocumentError([{ file: fileName, ...problem }], 1, code);
  };
  if (text.length > MAX_DOCUMENT_CHARS) {
    fail({ path: '', message: `the file is larger than ${MAX_DOCUMENT_CHARS / 1024 / 1024} MiB, too large to be read` });
  }
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let jsonProblem: Omit<DocumentProblem, 'file'> | undefined;
  if (source.trimStart().startsWith('{')) {
    try {
      return { value: JSON.parse(source) as unknown, locate: lazyYamlLocator(source) };
    } catch (error) {
      jsonProblem = describeJsonError(source, error);
    }
  }
  // JSON.parse said where the syntax error is: a YAML parse of a large JSON file would only cost more to say less
  if (jsonProblem !== undefined && source.length > MAX_LOCATED_CHARS) return fail(jsonProblem);
  // Not JSON after all (a YAML flow mapping, or broken JSON whose problem YAML places): read again with the parser.
  if (yamlEngine === undefined) {
    positionMissed = true;
    return yamlParser() as never;
  }
  const yaml = parseYaml(source);
  if ('value' in yaml) return yaml;
  if (jsonProblem !== undefined) return fail(jsonProblem);
  throw new DocumentError(
    yaml.problems.slice(0, MAX_REPORTED_ERRORS).map((problem) => ({ file: fileName, ...problem })),
    yaml.problems.length,
    code,
  );
}

function parseYaml(source: string): LoadedDocument | { problems: Omit<DocumentProblem, 'file'>[] } {
  const { LineCounter, parseDocument } = yamlParser();
  const lineCounter = new LineCounter();
  const at = (offset: number | undefined) => {
    const pos = lineCounter.linePos(offset ?? 0);
    return pos.line === 0 ? {} : { line: pos.line, column: pos.col };
  };
  let doc: Document.Parsed;
  try {
    doc = parseDocument(source, { ...YAML_OPTIONS, lineCounter });
  } catch (error) {
    return { problems: [{ path: '', message: `not JSON or YAML: ${errorText(error)}` }] };
  }
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((error) => ({
        ...at(error.pos[0]),
        path: '',
        message:
          error.code === 'RESOURCE_EXHAUSTION'
            ? 'nested too deeply to be read'
            : error.code === 'MULTIPLE_DOCS'
              ? 'holds several YAML documents (---); expected one'
              : `not valid YAML: ${error.message}`,
      })),
    };
  }
  try {
    const value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
    // a large document's syntax tree is let go at once: its problems go without a position
    return { value, locate: source.length > MAX_LOCATED_CHARS ? () => undefined : yamlLocator(doc, lineCounter) };
  } catch (error) {
    const message =
      error instanceof ReferenceError && /alias/i.test(error.message)
        ? `too many YAML aliases expanded (${error.message.toLowerCase()}); refusing to read it`
        : error instanceof RangeError
          ? 'nested too deeply to be read'
          : `not valid YAML: ${errorText(error)}`;
    return { problems: [{ path: '', message }] };
  }
}

/** JSON.parse knows no positions of values: parse the same text as YAML, only when a problem needs one. */
function lazyYamlLocator(source: string): Locate {
  let locate: Locate | null | undefined;
  return (path, at, cheap) => {
    if (locate === undefined) {
      if (cheap) return undefined;
      if (source.length > MAX_LOCATED_CHARS) locate = null;
      else if (yamlEngine === undefined) {
        // asked again by readWithYamlIfNeeded, with the parser loaded
        positionMissed = true;
        return undefined;
      } else try {
        const { LineCounter, parseDocument } = yamlEngine;
        const lineCounter = new LineCounter();
        // duplicate keys are legal JSON (the last wins); they must not cost the positions of everything else
        const doc = parseDocument(source, { ...YAML_OPTIONS, uniqueKeys: false, lineCounter });
        locate = doc.errors.length > 0 ? null : yamlLocator(doc, lineCounter);
      } catch {
        locate = null;
      }
    }
    return locate === null ? undefined : locate(path, at);
  };
}

function yamlLocator(doc: Document.Parsed, lineCounter: LineCounter): Locate {
  const { isAlias, isMap, isScalar, isSeq } = yamlParser();
  const start = (node: unknown): LinePos | undefined => {
    const range = (node as { range?: readonly number[] | null } | null | undefined)?.range;
    return range ? lineCounter.linePos(range[0] ?? 0) : undefined;
  };
  const deref = (node: unknown): unknown => {
    for (let hops = 0; isAlias(node) && hops < 16; hops += 1) node = node.resolve(doc);
    return node;
  };
  return (path, at) => {
    let node: unknown = doc.contents;
    let key: unknown;
    for (const segment of path) {
      const container = deref(node);
      if (isMap(container)) {
        const pair = container.items.find((item) => isScalar(item.key) && String(item.key.value ?? '') === String(segment));
        // a missing key is reported where its mapping starts
        if (pair === undefined) return start(container);
        key = pair.key;
        node = pair.value ?? pair.key;
      } else if (isSeq(container) && typeof segment === 'number' && segment < container.items.length) {
        key = undefined;
        node = container.items[segment];
      } else {
        return start(container);
      }
    }
    return start(at === 'key' && key !== undefined ? key : node);
  };
}

function describeJsonError(source: string, error: unknown): Omit<DocumentProblem, 'file'> {
  const raw = errorText(error);
  const position = /at position (\d+)/.exec(raw);
  const offset = position ? Number(position[1]) : jsonErrorOffset(source);
  const message = raw
    .replace(/\s*\(line \d+ column \d+\)/, '')
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '');
  return { ...lineColumn(source, offset), path: '', message: `not valid JSON: ${message}` };
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * Offset of the first JSON syntax error, for the engines whose JSON.parse messages give none
 * ("Unexpected token 'x', … is not valid JSON"). Iterative, so deep nesting cannot overflow the stack.
 */
function jsonErrorOffset(text: string): number {
  const stack: ('{' | '[')[] = [];
  const literal = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  let state: 'value' | 'firstValue' | 'key' | 'firstKey' | 'after' = 'value';
  let i = 0;
  const skipString = (): boolean => {
    for (i += 1; i < text.length; i += 1) {
      const c = text[i];
      if (c === '"') {
        i += 1;
        return true;
      }
      if (c === '\\') {
        const next = text[i + 1] ?? '';
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 5;
        } else if ('"\\/bfnrt'.includes(next) && next !== '') i += 1;
        else return false;
      } else if (text.charCodeAt(i) < 0x20) return false;
    }
    return false;
  };
  for (;;) {
    while (i < text.length && ' \t\n\r'.includes(text[i] ?? '')) i += 1;
    if (i >= text.length) return text.length;
    const c = text[i];
    if (state === 'value' || state === 'firstValue') {
      if (c === '{' || c === '[') {
        stack.push(c);
        i += 1;
        state = c === '{' ? 'firstKey' : 'firstValue';
      } else if (c === ']' && state === 'firstValue') {
        stack.pop();
        i += 1;
        state = 'after';
      } else if (c === '"') {
        if (!skipString()) return i;
        state = 'after';
      } else {
        literal.lastIndex = i;
        if (!literal.test(text)) return i;
        i = literal.lastIndex;
        state = 'after';
      }
    } else if (state === 'key' || state === 'firstKey') {
      if (c === '}' && state === 'firstKey') {
        stack.pop();
        i += 1;
        state = 'after';
        continue;
      }
      if (c !== '"' || !skipString()) return i;
      while (i < text.length && ' \t\n\r'.includes(text[i] ?? '')) i += 1;
      if (text[i] !== ':') return i;
      i += 1;
      state = 'value';
    } else {
      const top = stack.at(-1);
      if (top === undefined) return i;
      if (c === ',') {
        i += 1;
        state = top === '{' ? 'key' : 'value';
      } else if ((c === '}' && top === '{') || (c === ']' && top === '[')) {
        stack.pop();
        i += 1;
      } else return i;
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---- reading values -------------------------------------------------------------------------------------

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `object[key]` only when it is the object's own: `constructor` or `toString` must not come from a prototype. */
export function own(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** What a value looks like, for "got …", without ever printing much of it. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  return typeof value === 'object' ? 'a mapping' : typeof value;
}

const SCOPE_TOKEN_EXPECTED = 'expected a scope (printable ASCII without spaces, quotes or backslashes)';

/**
 * A list of scopes written as a list or as one space-separated string, each checked against RFC 6749 §3.3;
 * duplicates dropped. Reports what is wrong and returns undefined.
 */
export function readScopeList(value: unknown, path: JsonPath, problems: Problems): string[] | undefined {
  const scopes: string[] = [];
  let ok = true;
  if (typeof value === 'string') {
    for (const scope of value.split(/[ \t\r\n]+/)) {
      if (scope === '') continue;
      if (isScopeToken(scope)) scopes.push(scope);
      else {
        problems.error(path, `${SCOPE_TOKEN_EXPECTED} in the space-separated list, got ${describe(scope)}`);
        ok = false;
      }
    }
  } else if (Array.isArray(value)) {
    value.forEach((item: unknown, index) => {
      if (typeof item === 'string' && isScopeToken(item)) scopes.push(item);
      else if (typeof item === 'string' && /^\S+(\s+\S+)+$/.test(item.trim())) {
        problems.error([...path, index], `expected one scope per item, got ${describe(item)}: make each scope an item of its own`);
        ok = false;
      } else {
        problems.error([...path, index], `${SCOPE_TOKEN_EXPECTED}, got ${describe(item)}`);
        ok = false;
      }
    });
  } else {
    problems.error(path, `expected a list of scopes or a space-separated string, got ${describe(value)}`);
    return undefined;
  }
  return ok ? [...new Set(scopes)] : undefined;
}

/** What a preset name looks like when the caller gives no list of known names (they are checked when compiled). */
const PRESET_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const presetChoice = (presets: readonly string[] | undefined): string =>
  presets === undefined ? 'a provider name (letters, digits, "-", ".", "_")' : `one of ${presets.join(', ')}`;

/**
 * Implication rules from a mapping's `implies` and `preset` keys (the manifest's own, or OpenAPI's
 * `x-scopes-implies` / `x-scopes-preset`). `implies` comes back as a prototype-less record, so that a scope
 * named `__proto__` or `constructor` is just a scope.
 */
export function readRules(
  object: Record<string, unknown>,
  keys: { readonly implies: string; readonly preset: string },
  problems: Problems,
  presets?: readonly string[],
): RuleSpec {
  const rules: { preset?: Preset | Preset[]; implies?: Record<string, string[]> } = {};
  const implies = own(object, keys.implies);
  if (implies !== undefined) {
    if (!isMapping(implies)) {
      problems.error([keys.implies], `expected a mapping from a scope to the scopes it contains, got ${describe(implies)}`);
    } else {
      const record = Object.create(null) as Record<string, string[]>;
      for (const [scope, contained] of Object.entries(implies)) {
        const path = [keys.implies, scope];
        if (!isScopeToken(scope)) problems.error(path, `${SCOPE_TOKEN_EXPECTED} as the key, got ${describe(scope)}`, 'key');
        const list = readScopeList(contained, path, problems);
        if (list !== undefined && isScopeToken(scope)) record[scope] = list;
      }
      rules.implies = record;
    }
  }
  const preset = own(object, keys.preset);
  if (preset !== undefined) {
    const readPreset = (value: unknown, path: JsonPath): Preset | undefined => {
      const name = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
      const found = name !== undefined && (presets === undefined ? PRESET_NAME.test(name) : presets.includes(name)) ? name : undefined;
      if (found === undefined) problems.error(path, `expected ${presetChoice(presets)}, got ${describe(value)}`);
      return found;
    };
    if (Array.isArray(preset)) {
      const presets = preset.map((value: unknown, index) => readPreset(value, [keys.preset, index]));
      if (presets.every((value) => value !== undefined)) rules.preset = [...new Set(presets as Preset[])];
    } else if (typeof preset === 'string') {
      const found = readPreset(preset, [keys.preset]);
      if (found !== undefined) rules.preset = found;
    } else {
      problems.error([keys.preset], `expected a preset name or a list of them (${presets === undefined ? 'provider names' : presets.join(', ')}), got ${describe(preset)}`);
    }
  }
  return rules;
}

/** Why `value` cannot be an API base URL (absolute http(s), no query, fragment or credentials), or undefined. */
export function apiUrlProblem(value: unknown): string | undefined {
  const expected = 'expected an absolute http(s) URL such as "https://api.example.com"';
  if (typeof value !== 'string' || !URL.canParse(value)) return `${expected}, got ${describe(value)}`;
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `${expected}, got the scheme ${JSON.stringify(url.protocol.slice(0, -1))}`;
  }
  if (url.search !== '' || url.hash !== '' || value.includes('#') || value.includes('?')) {
    return `${expected} without query or fragment, got ${describe(value)}`;
  }
  if (url.username !== '' || url.password !== '') return `${expected} without credentials in it`;
  return undefined;
}

/** An API base URL (see `apiUrlProblem`), returned without its trailing slashes so that paths append to it. */
export function readApiUrl(value: unknown, path: JsonPath, problems: Problems): string | undefined {
  const problem = apiUrlProblem(value);
  if (problem !== undefined) {
    problems.error(path, problem);
    return undefined;
  }
  return (value as string).replace(/\/+$/, '');
}

/** A concrete or templated request path: starts with `/`, no whitespace or control characters. */
export function isRequestPath(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('/') && !/[\s\x00-\x1f\x7f]/.test(value);
}

/** Canonical requirement: identical groups merged, and any group needing nothing makes it `[[]]`. */
export function canonicalRequirement(groups: readonly (readonly string[])[]): Requirement {
  if (groups.length === 0 || groups.some((group) => group.length === 0)) return [[]];
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const group of groups) {
    const unique = [...new Set(group)];
    const key = [...unique].sort().join(' ');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(unique);
  }
  return out;
}

// ---- the manifest ---------------------------------------------------------------------------------------

const TOP_LEVEL_KEYS = new Set(['api', 'implies', 'preset', 'endpoints', '$schema', 'description']);
const ENDPOINT_KEYS = new Set(['method', 'path', 'scopes', 'anyOf', 'probe', 'description', 'summary']);
const METHODS_EXPECTED = `expected one of ${HTTP_METHODS.join(', ')}`;

/**
 * Reads a scope manifest (JSON or YAML; SPEC "Manifest"): `api`, `implies`, `preset`, and `endpoints`, each
 * `{ method, path, scopes }` or `{ method, path, anyOf }` with an optional `probe` path. `scopes` may also be
 * one space-separated string, and so may each `anyOf` group. `description` (and `$schema` at the top, `summary` on
 * an endpoint) are allowed for people; other unknown keys are warnings.
 * Throws `DocumentError` (a `UsageError`, exit 2, code `invalid_manifest`) listing every problem found, each
 * with file, line:column where known, JSON path, and what was expected.
 * @see RFC 6749 §3.3 (scope tokens)
 */
export function parseManifest(text: string, fileName: string, presets?: readonly string[]): ScopeDocument {
  const code = 'invalid_manifest';
  const loaded = loadDocument(text, fileName, code);
  const problems = new Problems(fileName, loaded.locate, code);
  const root = loaded.value;
  if (!isMapping(root)) {
    return problems.fail([], `expected a mapping with "endpoints" (and optionally "api", "implies", "preset"), got ${describe(root)}`);
  }
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL_KEYS.has(key)) problems.warn([key], 'unknown key ignored (expected api, implies, preset, endpoints)', 'key');
  }

  const apiValue = own(root, 'api');
  const api = apiValue === undefined ? undefined : readApiUrl(apiValue, ['api'], problems);
  const rules = readRules(root, { implies: 'implies', preset: 'preset' }, problems, presets);

  const endpoints: Endpoint[] = [];
  const list = own(root, 'endpoints');
  if (list === undefined) problems.error([], 'missing "endpoints": expected a list of { method, path, scopes }');
  else if (!Array.isArray(list)) problems.error(['endpoints'], `expected a list of { method, path, scopes }, got ${describe(list)}`);
  else {
    if (list.length === 0) problems.warn(['endpoints'], 'no endpoints: there is nothing to check');
    const seen = new Map<string, number>();
    list.forEach((item: unknown, index) => {
      const endpoint = readEndpoint(item, index, problems);
      if (endpoint === undefined) return;
      const key = `${endpoint.method} ${endpoint.path}`;
      const first = seen.get(key);
      if (first !== undefined) {
        problems.error(['endpoints', index], `${key} is listed twice (also endpoints[${first}]); expected each method and path once`);
        return;
      }
      seen.set(key, index);
      endpoints.push(endpoint);
    });
  }

  const warnings = problems.finish();
  return { ...(api === undefined ? {} : { api }), rules, endpoints, warnings };
}

function readEndpoint(item: unknown, index: number, problems: Problems): Endpoint | undefined {
  const path: JsonPath = ['endpoints', index];
  if (!isMapping(item)) {
    problems.error(path, `expected a mapping { method, path, scopes }, got ${describe(item)}`);
    return undefined;
  }
  for (const key of Object.keys(item)) {
    if (!ENDPOINT_KEYS.has(key)) {
      problems.warn([...path, key], 'unknown key ignored (expected method, path, scopes or anyOf, probe)', 'key');
    }
  }

  let method: string | undefined;
  const methodValue = own(item, 'method');
  if (methodValue === undefined) problems.error(path, `missing "method": ${METHODS_EXPECTED}`);
  else {
    const upper = typeof methodValue === 'string' ? methodValue.trim().toUpperCase() : undefined;
    if (upper !== undefined && (HTTP_METHODS as readonly string[]).includes(upper)) method = upper;
    else problems.error([...path, 'method'], `${METHODS_EXPECTED}, got ${describe(methodValue)}`);
  }

  let requestPath: string | undefined;
  const pathValue = own(item, 'path');
  if (pathValue === undefined) problems.error(path, 'missing "path": expected a path starting with "/", such as "/v1/videos/{id}"');
  else if (isRequestPath(pathValue)) requestPath = pathValue;
  else {
    const hint = typeof pathValue === 'string' && /^https?:/i.test(pathValue) ? ' (put the base URL in "api")' : '';
    problems.error([...path, 'path'], `expected a path starting with "/" without spaces${hint}, got ${describe(pathValue)}`);
  }

  const required = readRequired(item, path, problems);

  let probe: string | undefined;
  const probeValue = own(item, 'probe');
  if (probeValue !== undefined) {
    if (isRequestPath(probeValue)) probe = probeValue;
    else {
      const expected = 'expected a concrete path starting with "/", such as "/v1/jobs/7"';
      problems.error([...path, 'probe'], `${expected}, got ${describe(probeValue)}`);
    }
  }

  if (method === undefined || requestPath === undefined || required === undefined) return undefined;
  return { method, path: requestPath, required, ...(probe === undefined ? {} : { probe }), source: `endpoints[${index}]` };
}

function readRequired(item: Record<string, unknown>, path: JsonPath, problems: Problems): Requirement | undefined {
  const scopes = own(item, 'scopes');
  const anyOf = own(item, 'anyOf');
  if (scopes !== undefined && anyOf !== undefined) {
    problems.error(path, 'expected either "scopes" (all needed) or "anyOf" (any one group suffices), not both');
    return undefined;
  }
  if (scopes === undefined && anyOf === undefined) {
    const typo = ['scope', 'required', 'anyof', 'any_of', 'oneOf'].find((key) => Object.hasOwn(item, key));
    const hint = typo === undefined ? '' : ` (found "${typo}": did you mean "${typo === 'scope' ? 'scopes' : 'anyOf'}"?)`;
    problems.error(path, `missing "scopes" (all needed) or "anyOf" (any one group suffices)${hint}`);
    return undefined;
  }
  if (scopes !== undefined) {
    const list = readScopeList(scopes, [...path, 'scopes'], problems);
    return list === undefined ? undefined : [list];
  }
  if (!Array.isArray(anyOf) || anyOf.length === 0) {
    const expected = 'expected a non-empty list of scope groups such as [["jobs:read"], ["admin"]]';
    problems.error([...path, 'anyOf'], `${expected}, got ${describe(anyOf)}`);
    return undefined;
  }
  const groups: string[][] = [];
  let ok = true;
  anyOf.forEach((group: unknown, index) => {
    const list = readScopeList(group, [...path, 'anyOf', index], problems);
    if (list === undefined) ok = false;
    else {
      if (list.length === 0) problems.warn([...path, 'anyOf', index], 'an empty group means the endpoint needs no scope at all');
      groups.push(list);
    }
  });
  return ok ? canonicalRequirement(groups) : undefined;
}
