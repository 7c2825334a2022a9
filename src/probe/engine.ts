/**
 * Calling endpoints with a token and reading what they say about its scopes (SPEC `scopes probe`, and `scopes check
 * --live`). The IO half of probing: requests, redirects, timeouts, size caps and the RFC 9728 metadata fetch live here;
 * what a response means is decided by the pure `readScopeFinding` (the providers' registry over core/dialects.ts), and what is missing by the scope
 * algebra (core/scopes.ts). Everything it touches is injected (`fetch`), so tests can drive it with any server.
 *
 * The rules that keep a token where it belongs:
 * - only GET, HEAD and OPTIONS are sent unless `allowUnsafe`; an unsafe target is judged from its declared requirement;
 * - redirects are followed by hand and only within the origin of the URL asked for (a token never follows a redirect to
 *   another origin); the RFC 9728 metadata document is fetched without the token.
 */
import { excerpt } from '../core/challenges.js';
import type { Deps } from '../deps.js';
import { READS_AT_MOST, type CappedRequestInit } from '../io/bounded.js';
import { bodyStart, type Finding, type ProbeResponse } from '../core/dialects.js';
import { viewOf } from '../core/response.js';
import { readScopeFinding } from '../providers/index.js';
import { findCover, holdScopes, minimal, parseScopes, satisfies, unionScopes, type HeldScopes, type Requirement, type ScopeRules } from '../core/scopes.js';

/** One endpoint to call. */
export interface ProbeTarget {
  readonly method: string;
  /** Absolute http(s) URL. */
  readonly url: string;
  /** What a manifest says the endpoint needs: the fallback when the response names nothing, and the static judgement. */
  readonly declared?: Requirement;
  /** How a person knows the endpoint (`GET /v1/jobs/{id}`). */
  readonly label?: string;
  /** Why the endpoint is not to be called at all (e.g. a templated path without a `probe` path); judged statically. */
  readonly skip?: string;
}

export type ProbeOutcome = 'ok' | 'missing_scope' | 'step_up' | 'unauthorized' | 'forbidden' | 'error' | 'skipped';

/** RFC 9728 protected resource metadata, as fetched from a challenge's `resource_metadata`. */
export interface ResourceMetadataReport {
  readonly url: string;
  readonly resource?: string;
  /** Only when the document is valid: what the resource knows, never what a call needs (RFC 9728 §7.2). */
  readonly scopesSupported?: string[];
  readonly authorizationServers?: string[];
  readonly valid: boolean;
  readonly problem?: string;
}

/** What probing one endpoint found (SPEC `scopes probe --json` result, plus the optional members). */
export interface ProbeResult {
  readonly method: string;
  readonly url: string;
  /** The final HTTP status, or null when no response came (network error, timeout, not sent). */
  readonly status: number | null;
  readonly outcome: ProbeOutcome;
  /** Groups of alternatives: any one group suffices, each group needs all of its scopes. */
  readonly required: string[][];
  /** What to add to meet `required`, for this endpoint alone; [] when nothing is known to be missing. */
  readonly missing: string[];
  /** Which part of the response (or the manifest) told it, quoted as a person would; secrets redacted. */
  readonly evidence: string[];
  readonly error?: string;
  readonly stepUp?: { readonly acrValues?: string[]; readonly maxAge?: number };
  readonly resourceMetadata?: ResourceMetadataReport;
  readonly label?: string;
  /** The dialect that decided (`rfc6750`, `github-rest`, …), when a response was read. */
  readonly dialect?: string;
  /** Where `required` came from. */
  readonly requiredFrom?: 'response' | 'manifest';
  /** The scopes the response says the token holds (GitHub `X-OAuth-Scopes`, Slack `provided`, message text). */
  readonly granted?: string[];
  /** The URL that answered, when redirects (within the origin) were followed. */
  readonly finalUrl?: string;
  /** What was odd about the response (a malformed header, a body cut at the size cap). */
  readonly warnings?: string[];
  /** What `required` names when it is not OAuth scopes: a fine-grained `permission`, or an API key's `key-permission`. */
  readonly requiredKind?: 'permission' | 'key-permission';
  /** RFC 9396 authorization details the server asks for (`insufficient_authorization`), as it sent them. */
  readonly authorizationDetails?: unknown[];
  /** `low` when the finding came from the wording of a message, not a format the API is known to use. */
  readonly confidence?: 'low';
}

export interface ProbeOptions {
  readonly token: string;
  /** The token's granted scopes (JWT claim or token response); [] when not known. */
  readonly granted: readonly string[];
  readonly rules: ScopeRules;
  readonly fetch: typeof fetch;
  /** The lean client (Deps.request): when given, endpoints are called with it; `fetch` still fetches RFC 9728 metadata. */
  readonly request?: Deps['request'];
  readonly concurrency: number;
  /** Per endpoint: the request, the redirects within its origin and reading the body. */
  readonly timeoutMs: number;
  readonly allowUnsafe: boolean;
  /**
   * False when the token's scopes cannot be read (an opaque token without introspection): then nothing is called
   * missing from a manifest alone, only from what a response names. Default true.
   */
  readonly grantedKnown?: boolean;
  /** Called as each endpoint finishes, for progress on a terminal. */
  readonly onResult?: (result: ProbeResult, done: number, total: number) => void;
}

/** Methods that do not change anything on a server that follows HTTP semantics (RFC 9110 §9.2.1). */
export const SAFE_METHODS: readonly string[] = ['GET', 'HEAD', 'OPTIONS'];

/** Bodies are read up to this many bytes; the dialects need the first few hundred. */
export const MAX_BODY_BYTES = 1 << 20;
const MAX_METADATA_BYTES = 256 * 1024;
const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Calls every target (bounded concurrency, a timeout each) and reads what each answer says about the token's scopes.
 * Unsafe methods are not sent unless `allowUnsafe`: such a target is reported `skipped`, judged from `declared`.
 * Never rejects for a failing endpoint: network errors and timeouts become `error` results. Results keep target order.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.3
 */
export async function probeEndpoints(targets: readonly ProbeTarget[], options: ProbeOptions): Promise<ProbeResult[]> {
  const results: ProbeResult[] = new Array(targets.length);
  // The token's scopes are read once for the run, not once per endpoint judged against them.
  const run: Run = { metadataCache: new Map(), held: holdScopes(options.granted, options.rules), send: sender(options) };
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const index = next++;
      const target = targets[index]!;
      let result: ProbeResult;
      try {
        result = await probeOne(target, options, run);
      } catch (error) {
        // probeOne turns every expected failure into a result; this is the net under it, so one endpoint never sinks the run.
        result = { ...base(target), status: null, outcome: 'error', required: [], missing: [], evidence: [], error: describeError(error, options.timeoutMs) };
      }
      results[index] = result;
      done++;
      options.onResult?.(result, done, targets.length);
    }
  };
  const width = Math.max(1, Math.min(Number.isFinite(options.concurrency) ? Math.floor(options.concurrency) : 1, targets.length));
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

/**
 * The smallest set of scopes to add so that, together with `granted` (and what each response said the token holds),
 * every result that lacks a scope has its `required` met: alternatives and implication rules honoured, every scope the
 * results name a candidate, scopes `granted` already covers left out. Sorted. Never throws on well-formed results.
 */
export function scopesToAdd(results: readonly ProbeResult[], granted: readonly string[], rules: ScopeRules): string[] {
  const needs: string[][][] = [];
  const named: string[] = [];
  const heldGrant = holdScopes(granted, rules);
  for (const result of results) {
    // Fine-grained permissions and API key permissions are not requested as scopes: no login asks for them.
    if (result.requiredKind !== undefined) continue;
    named.push(...result.required.flat());
    if (result.missing.length === 0) continue;
    const held = result.granted === undefined ? heldGrant : holdScopes(unionScopes(granted, result.granted, rules), rules);
    // What is held already is no part of the answer: each group shrinks to what it still lacks.
    const reduced = result.required.map((group) => group.filter((scope) => findCover(held, scope, rules) === undefined));
    if (reduced.length === 0 || reduced.some((group) => group.length === 0)) continue;
    needs.push(reduced);
  }
  if (needs.length === 0) return [];
  // minimal() solves needs that share no candidate apart: 500 unrelated needs no longer cost a search over all of them.
  const { scopes } = minimal(needs, rules, { candidates: parseScopes(named) });
  return scopes.filter((scope) => findCover(heldGrant, scope, rules) === undefined).sort();
}

// ---------------------------------------------------------------------------------------------------------------

const base = (target: ProbeTarget) => ({
  method: target.method,
  url: target.url,
  ...(target.label === undefined ? {} : { label: target.label }),
});

const groupsOf = (requirement: Requirement | undefined): string[][] => (requirement ?? []).map((group) => [...group]);

const needsSomething = (requirement: readonly (readonly string[])[]): boolean =>
  requirement.length > 0 && requirement.every((group) => group.length > 0);

/** `a b` or `a b | c` (alternatives) for evidence. */
const formatRequirement = (requirement: readonly (readonly string[])[]): string =>
  requirement.map((group) => (group.length === 0 ? '(nothing)' : group.join(' '))).join(' | ');

/** What every endpoint of one run shares. */
interface Run {
  /** RFC 9728 documents by URL: each fetched once per run. */
  readonly metadataCache: Map<string, Promise<MetadataDocument>>;
  /** `options.granted`, read once. */
  readonly held: HeldScopes;
  readonly send: Send;
}

function staticJudgement(target: ProbeTarget, reason: string, options: ProbeOptions, held: HeldScopes): ProbeResult {
  const required = groupsOf(target.declared);
  const evidence = [reason];
  let missing: string[] = [];
  if (target.declared === undefined) {
    evidence.push('No declared requirement: nothing to judge it by.');
  } else if (!needsSomething(required)) {
    evidence.push('The manifest says it needs no scope.');
  } else if (options.grantedKnown === false) {
    evidence.push(`The manifest says it needs ${formatRequirement(required)}; the token's scopes are not known, so that cannot be judged.`);
  } else {
    const judged = satisfies(held, required, options.rules);
    missing = judged.missing;
    evidence.push(
      judged.satisfied
        ? `Judged from the manifest: the token's scopes meet ${formatRequirement(required)}.`
        : `Judged from the manifest: it needs ${formatRequirement(required)}; the token lacks ${missing.join(' ')}.`,
    );
  }
  return { ...base(target), status: null, outcome: 'skipped', required, missing, evidence, ...(target.declared === undefined ? {} : { requiredFrom: 'manifest' as const }) };
}

/** One answer as the engine reads it, whether fetch or the lean client brought it. */
interface Answer {
  readonly status: number;
  readonly statusText: string;
  /** Names lower-cased, a repeated field joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The body, up to MAX_BODY_BYTES; rejects when it could not be read. */
  body(): Promise<CappedText>;
  /** Lets the body go unread. */
  discard(): Promise<void>;
}

/** Sends one request with the token; follows no redirect. */
type Send = (url: string, method: string, signal: AbortSignal) => Promise<Answer>;

function sender(options: ProbeOptions): Send {
  const headers = { authorization: `Bearer ${options.token}`, accept: 'application/json, */*;q=0.5' };
  const lean = options.request;
  if (lean !== undefined) {
    return async (url, method, signal) => {
      const answer = await lean(url, { method, headers, signal, maxBytes: MAX_BODY_BYTES });
      return {
        status: answer.status,
        statusText: answer.statusText,
        headers: answer.headers,
        body: async () => {
          if (answer.error !== undefined) throw answer.error;
          return { text: answer.text, truncated: answer.truncated };
        },
        discard: async () => undefined,
      };
    };
  }
  return async (url, method, signal) => {
    // Every body is read by readCapped (or discarded): the guard need not count it as well.
    const init: CappedRequestInit = { method, headers, redirect: 'manual', signal, [READS_AT_MOST]: MAX_BODY_BYTES };
    const response = await options.fetch(url, init);
    return {
      status: response.status,
      statusText: response.statusText,
      headers: headersOf(response),
      body: () => readCapped(response, MAX_BODY_BYTES),
      discard: () => discard(response),
    };
  };
}

interface Hop {
  readonly answer: Answer;
  readonly url: string;
  readonly evidence: string[];
}

type Fetched = { readonly ok: true; readonly hop: Hop } | { readonly ok: false; readonly error: string; readonly status: number | null; readonly evidence: string[] };

async function probeOne(target: ProbeTarget, options: ProbeOptions, run: Run): Promise<ProbeResult> {
  const method = target.method.toUpperCase();
  if (!SAFE_METHODS.includes(method) && !options.allowUnsafe) {
    return staticJudgement(target, `Not sent: ${method} may change data on the server; --allow-unsafe sends it.`, options, run.held);
  }
  if (target.skip !== undefined) return staticJudgement(target, target.skip, options, run.held);

  const declared = groupsOf(target.declared);
  const signal = AbortSignal.timeout(options.timeoutMs);
  let fetched: Fetched;
  try {
    fetched = await request(method, target.url, options, run.send, signal);
  } catch (error) {
    fetched = { ok: false, error: describeError(error, options.timeoutMs), status: null, evidence: [] };
  }
  if (!fetched.ok) {
    return { ...base(target), status: fetched.status, outcome: 'error', required: declared, missing: [], evidence: fetched.evidence, error: fetched.error };
  }

  const { answer: response, url: finalUrl, evidence: redirectEvidence } = fetched.hop;
  const status = response.status;
  const extra = finalUrl === target.url ? {} : { finalUrl };
  let body: CappedText;
  try {
    body = method === 'HEAD' ? { text: '', truncated: false } : await response.body();
  } catch (error) {
    return { ...base(target), ...extra, status, outcome: 'error', required: declared, missing: [], evidence: redirectEvidence, error: describeError(error, options.timeoutMs) };
  }
  const warnings: string[] = body.truncated ? [`the body was read up to ${MAX_BODY_BYTES} bytes only`] : [];
  const headers = response.headers;

  // When no reader can say more, the start of the body (redacted, escaped, short) lets a person see what was said.
  const bodyEvidence = (): string[] => {
    const start = bodyStart(viewOf({ status, headers, body: body.text }, { secrets: [options.token] }));
    return start === undefined ? [] : [start];
  };

  /** An answer that tells nothing about scopes: an error, with what the server said. */
  const answeredError = (evidence: string[], error: string): ProbeResult => ({
    ...base(target),
    ...extra,
    status,
    outcome: 'error',
    required: declared,
    missing: [],
    evidence: [...redirectEvidence, ...evidence, ...bodyEvidence()],
    error,
    ...(warnings.length === 0 ? {} : { warnings }),
  });

  if (status >= 500) return answeredError([], `the server answered HTTP ${status}${statusText(response)}`);

  const finding = readScopeFinding({ status, headers, body: body.text } satisfies ProbeResponse, {
    granted: options.granted,
    secrets: [options.token],
  });
  warnings.push(...(finding?.warnings ?? []));
  const warningsMember = warnings.length === 0 ? {} : { warnings };

  if (finding === null) {
    if (status >= 200 && status < 300) {
      const evidence = [...redirectEvidence, `HTTP ${status}${statusText(response)}`];
      const note = undeclaredSuccess(declared, options, run.held);
      if (note !== undefined) evidence.push(note);
      return { ...base(target), ...extra, status, outcome: 'ok', required: declared, missing: [], evidence, ...(target.declared ? { requiredFrom: 'manifest' as const } : {}), ...warningsMember };
    }
    return answeredError(
      ['The response says nothing about authorization.'],
      status >= 300 && status < 400 ? `the server answered HTTP ${status}${statusText(response)} without a redirect to follow` : `the server answered HTTP ${status}${statusText(response)}`,
    );
  }

  const judged = judgeFinding(target, finding, options, run.held);
  const resourceMetadata =
    finding.resourceMetadata === undefined ? undefined : await checkResourceMetadata(finding.resourceMetadata, finalUrl, options, run.metadataCache);
  const evidence = [...redirectEvidence, ...judged.evidence];
  if (resourceMetadata !== undefined) evidence.push(metadataEvidence(resourceMetadata));
  return {
    ...base(target),
    ...extra,
    status,
    outcome: judged.outcome,
    required: judged.required,
    missing: judged.missing,
    evidence,
    dialect: finding.dialect,
    ...(judged.required.length === 0 ? {} : { requiredFrom: judged.requiredFrom }),
    ...(finding.stepUp === undefined ? {} : { stepUp: finding.stepUp }),
    ...(resourceMetadata === undefined ? {} : { resourceMetadata }),
    ...(finding.granted === undefined ? {} : { granted: finding.granted }),
    ...(finding.requiredKind === undefined ? {} : { requiredKind: finding.requiredKind }),
    ...(finding.authorizationDetails === undefined ? {} : { authorizationDetails: finding.authorizationDetails }),
    ...(finding.confidence === undefined ? {} : { confidence: finding.confidence }),
    ...warningsMember,
  };
}

/** A 2xx where the manifest expected a scope the token lacks: the API is the truth, but the manifest may be wrong. */
function undeclaredSuccess(declared: string[][], options: ProbeOptions, held: HeldScopes): string | undefined {
  if (!needsSomething(declared) || options.grantedKnown === false) return undefined;
  const judged = satisfies(held, declared, options.rules);
  if (judged.satisfied) return undefined;
  return `The manifest says it needs ${formatRequirement(declared)}, which the token lacks (${judged.missing.join(' ')}), yet the API allowed it: the manifest may be out of date.`;
}

interface Judgement {
  readonly outcome: Exclude<ProbeOutcome, 'ok' | 'error' | 'skipped'>;
  readonly required: string[][];
  readonly requiredFrom: 'response' | 'manifest';
  readonly missing: string[];
  readonly evidence: string[];
}

function judgeFinding(target: ProbeTarget, finding: Finding, options: ProbeOptions, held: HeldScopes): Judgement {
  const evidence = [...finding.evidence];
  if (finding.note !== undefined) evidence.push(finding.note);
  const fromResponse = finding.required.length > 0;
  const declared = groupsOf(target.declared);
  const required = fromResponse ? finding.required.map((group) => [...group]) : declared;
  const requiredFrom = fromResponse ? 'response' : 'manifest';
  if (!fromResponse && target.declared !== undefined && needsSomething(declared)) {
    evidence.push(`The response names no scope; required is from the manifest: ${formatRequirement(declared)}.`);
  }
  // What the response says the token holds counts too: it is the server's own view of this token.
  const granted = finding.granted === undefined ? held : unionScopes(options.granted, finding.granted, options.rules);
  const grantedKnown = options.grantedKnown !== false || finding.granted !== undefined;
  let outcome = finding.outcome;
  let missing: string[] = [];
  // A manifest's requirement says what is missing only where the token's scopes are known; a response's always does.
  if (needsSomething(required) && (fromResponse || grantedKnown)) {
    const judged = satisfies(granted, required, options.rules);
    missing = judged.missing;
    if (judged.satisfied && outcome === 'missing_scope') {
      evidence.push("The token's scopes appear to meet what the response names: the refusal may have another cause.");
    }
    if (!fromResponse && outcome === 'forbidden') {
      if (judged.satisfied) evidence.push('The token holds what the manifest declares: the refusal has another cause.');
      else outcome = 'missing_scope';
    }
  } else if (!fromResponse && outcome === 'forbidden' && target.declared !== undefined && !grantedKnown) {
    evidence.push("The token's scopes are not known, so the manifest cannot tell what is missing.");
  }
  return { outcome, required, requiredFrom, missing, evidence };
}

/**
 * Sends the request, following redirects by hand: only within the origin of the URL asked for, and at most
 * MAX_REDIRECTS times. A redirect elsewhere is not followed: the token must not travel to another origin.
 */
async function request(method: string, url: string, options: ProbeOptions, send: Send, signal: AbortSignal): Promise<Fetched> {
  const origin = new URL(url).origin;
  const evidence: string[] = [];
  let currentUrl = url;
  let currentMethod = method;
  for (let redirects = 0; ; redirects++) {
    const response = await send(currentUrl, currentMethod, signal);
    const location = response.headers.location ?? null;
    if (!REDIRECT_STATUSES.has(response.status) || location === null) return { ok: true, hop: { answer: response, url: currentUrl, evidence } };
    await response.discard();
    let next: URL;
    try {
      next = new URL(location, currentUrl);
    } catch {
      return { ok: false, status: response.status, evidence, error: `HTTP ${response.status} redirect to an unreadable location "${excerpt(redact(location, options.token), 100)}"` };
    }
    if (next.origin !== origin) {
      evidence.push(`HTTP ${response.status} redirected to another origin (${excerpt(next.origin, 100)}): not followed, the token was not sent.`);
      return { ok: false, status: response.status, evidence, error: 'redirected to another origin' };
    }
    if (redirects === MAX_REDIRECTS) {
      return { ok: false, status: response.status, evidence, error: `more than ${MAX_REDIRECTS} redirects` };
    }
    evidence.push(`HTTP ${response.status} redirected to ${excerpt(redact(next.pathname + next.search, options.token), 200)} (same origin, followed).`);
    // As browsers do: 303 turns into GET, and so do 301/302 after a POST; HEAD stays HEAD.
    if ((response.status === 303 && currentMethod !== 'HEAD') || ((response.status === 301 || response.status === 302) && currentMethod === 'POST')) {
      currentMethod = 'GET';
    }
    currentUrl = next.href;
  }
}

/** A server could echo the token into a Location; evidence never repeats it. */
function redact<T extends string | null>(value: T, token: string): T {
  if (value === null || token.length < 8) return value;
  return value.split(token).join('[redacted]') as T;
}

interface CappedText {
  readonly text: string;
  readonly truncated: boolean;
}

/** The body as text, read up to `max` bytes and then let go: a hostile server cannot make us buffer more. */
async function readCapped(response: Response, max: number): Promise<CappedText> {
  if (response.body === null) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > max) {
      chunks.push(value.subarray(0, max - size));
      size = max;
      truncated = true;
      await reader.cancel().catch(() => undefined);
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { text: new TextDecoder().decode(bytes), truncated };
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

function headersOf(response: Response): Record<string, string> {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  // Headers joins repeated fields with ", ", which is how RFC 9110 §5.3 combines them (and how the parser reads them).
  response.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  return headers;
}

const statusText = (response: { readonly statusText: string }): string => (response.statusText ? ` ${excerpt(response.statusText, 60)}` : '');

/** A failure as a short sentence, never with request headers (the token) in it. */
function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return `no answer within ${formatSeconds(timeoutMs)}`;
    if (error.name === 'AbortError') return 'the request was aborted';
    // fetch wraps the network's error as its cause ("fetch failed"); the lean client rejects with the error itself.
    const cause = (error.cause ?? error) as { code?: unknown; message?: unknown } | undefined;
    const code = typeof cause?.code === 'string' ? cause.code : undefined;
    const detail = typeof cause?.message === 'string' ? cause.message : error.message;
    const known: Record<string, string> = {
      ECONNREFUSED: 'connection refused',
      ENOTFOUND: 'host not found',
      EAI_AGAIN: 'host name lookup failed',
      ECONNRESET: 'connection reset',
      ETIMEDOUT: 'connection timed out',
      EHOSTUNREACH: 'host unreachable',
    };
    const lead = code !== undefined && Object.hasOwn(known, code) ? known[code] : 'request failed';
    return `${lead} (${excerpt(detail, 200)})`;
  }
  return `request failed (${excerpt(String(error), 200)})`;
}

const formatSeconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`);

// ---------------------------------------------------------------------------------------------------------------
// RFC 9728 protected resource metadata

type MetadataDocument =
  | { readonly ok: true; readonly resource: string | undefined; readonly scopesSupported?: string[]; readonly authorizationServers?: string[] }
  | { readonly ok: false; readonly problem: string };

const isLoopback = (url: URL): boolean => LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);

/**
 * Fetches the metadata a challenge points at (once per URL per run, without the token) and checks that its `resource`
 * is the URL that was requested. A document that fails the check is reported but not used.
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.3
 */
async function checkResourceMetadata(
  metadataUrl: string,
  requestedUrl: string,
  options: ProbeOptions,
  cache: Map<string, Promise<MetadataDocument>>,
): Promise<ResourceMetadataReport> {
  const shownUrl = excerpt(metadataUrl, 300);
  let document = cache.get(metadataUrl);
  if (document === undefined) {
    document = fetchMetadata(metadataUrl, options);
    cache.set(metadataUrl, document);
  }
  const fetched = await document;
  if (!fetched.ok) return { url: shownUrl, valid: false, problem: fetched.problem };
  const expected = withoutFragment(requestedUrl);
  const resourceMember = fetched.resource === undefined ? {} : { resource: excerpt(fetched.resource, 300) };
  if (fetched.resource === undefined) {
    return { url: shownUrl, valid: false, problem: 'the document has no "resource" (REQUIRED, RFC 9728 §2); not used' };
  }
  // Code point for code point, no normalisation (RFC 9728 §3.3): anything else lets one resource speak for another.
  if (fetched.resource !== expected) {
    return {
      url: shownUrl,
      ...resourceMember,
      valid: false,
      problem: `its resource ${JSON.stringify(excerpt(fetched.resource, 200))} is not the URL requested, ${JSON.stringify(excerpt(expected, 200))} (RFC 9728 §3.3); not used`,
    };
  }
  return {
    url: shownUrl,
    ...resourceMember,
    valid: true,
    ...(fetched.scopesSupported === undefined ? {} : { scopesSupported: fetched.scopesSupported }),
    ...(fetched.authorizationServers === undefined ? {} : { authorizationServers: fetched.authorizationServers }),
  };
}

const withoutFragment = (url: string): string => {
  const hash = url.indexOf('#');
  return hash === -1 ? url : url.slice(0, hash);
};

async function fetchMetadata(metadataUrl: string, options: ProbeOptions): Promise<MetadataDocument> {
  let url: URL;
  try {
    url = new URL(metadataUrl);
  } catch {
    return { ok: false, problem: 'resource_metadata is not a URL' };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) {
    return { ok: false, problem: 'resource_metadata is not an https URL (plain http only on loopback); not fetched' };
  }
  if (url.username !== '' || url.password !== '') return { ok: false, problem: 'resource_metadata carries credentials; not fetched' };
  let response: Response;
  try {
    // No Authorization header: the document is public, and its URL came from the server, not from the user.
    const init: CappedRequestInit = { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs), [READS_AT_MOST]: MAX_METADATA_BYTES };
    response = await options.fetch(url.href, init);
  } catch (error) {
    return { ok: false, problem: `fetching it failed: ${describeError(error, options.timeoutMs)}` };
  }
  if (response.status !== 200) {
    await discard(response);
    return { ok: false, problem: `fetching it gave HTTP ${response.status}${REDIRECT_STATUSES.has(response.status) ? ' (a redirect, not followed)' : ''}` };
  }
  let body: CappedText;
  try {
    body = await readCapped(response, MAX_METADATA_BYTES);
  } catch (error) {
    return { ok: false, problem: `reading it failed: ${describeError(error, options.timeoutMs)}` };
  }
  if (body.truncated) return { ok: false, problem: `the document is larger than ${MAX_METADATA_BYTES} bytes; not used` };
  let json: unknown;
  try {
    json = JSON.parse(body.text);
  } catch {
    return { ok: false, problem: 'the document is not JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, problem: 'the document is not a JSON object' };
  const record = json as Record<string, unknown>;
  const member = (name: string): unknown => (Object.hasOwn(record, name) ? record[name] : undefined);
  const resource = member('resource');
  const strings = (value: unknown): string[] | undefined =>
    Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string').slice(0, 500).map((item) => excerpt(item, 300)) : undefined;
  const scopesSupported = strings(member('scopes_supported'));
  const authorizationServers = strings(member('authorization_servers'));
  return {
    ok: true,
    resource: typeof resource === 'string' ? resource : undefined,
    ...(scopesSupported === undefined ? {} : { scopesSupported }),
    ...(authorizationServers === undefined ? {} : { authorizationServers }),
  };
}

function metadataEvidence(report: ResourceMetadataReport): string {
  if (!report.valid) return `RFC 9728 metadata ${report.url}: ${report.problem ?? 'not valid'}.`;
  const supported =
    report.scopesSupported === undefined || report.scopesSupported.length === 0
      ? 'no scopes_supported'
      : `scopes_supported ${excerpt(report.scopesSupported.join(' '), 300)} (what the resource knows, not what this call needs: RFC 9728 §7.2)`;
  return `RFC 9728 metadata ${report.url}: resource matches; ${supported}.`;
}
