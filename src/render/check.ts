import type { Requirement } from '../core/scopes.js';
import type { ProbeResult } from '../probe/engine.js';
import type { Style } from './style.js';
import { renderTable, type Cell, type Column, type Segment } from './table.js';

export interface CheckedEndpoint {
  readonly method: string;
  readonly path: string;
  readonly required: Requirement;
  readonly satisfied: boolean;
  readonly missing: string[];
  readonly coveredBy: Record<string, string>;
  readonly live: ProbeResult | null;
  readonly liveNote?: string;
  /** Scope-less security schemes (an API key…) that could call the endpoint instead of an OAuth token. */
  readonly otherCredentials?: readonly string[];
  /** False when no OAuth token can call it at all. */
  readonly oauth?: boolean;
}

export interface CheckReport {
  readonly ok: boolean;
  readonly document: string;
  readonly endpoints: readonly CheckedEndpoint[];
  readonly unused: readonly string[];
  readonly granted: readonly string[];
  readonly source: string;
  readonly failOnUnused: boolean;
  /** The credential the caller is taken to hold (`--credential`). */
  readonly credential?: 'oauth' | 'any';
  /** Operations other credentials could call, said once. */
  readonly notes?: readonly string[];
  /** With `--har`: the recording judged, and its requests that matched no operation (no query: secrets stay out). */
  readonly har?: { readonly file: string; readonly requests: number; readonly unmatched: readonly { method: string; url: string }[] };
  /** The scopes to add so every endpoint is satisfied (without those another implies), and the profile to add them to. */
  /** The `To fix: …` line (render/fix.ts) that diff and probe end with too, when something is missing. */
  readonly fix?: string | undefined;
}

const describeRequirement = (required: Requirement): string =>
  required.length === 0 || required.some((group) => group.length === 0) ? 'no scope' : required.map((group) => group.join(' + ')).join(' or ');

const liveText = (endpoint: CheckedEndpoint): string => {
  if (endpoint.live) return `  live: ${endpoint.live.status ?? '-'} ${endpoint.live.outcome.replace('_', ' ')}`;
  return endpoint.liveNote ? `  live: ${endpoint.liveNote}` : '';
};

/** Where a broader granted scope did the work: ` (videos:read via videos:write)`. */
const describeCover = (endpoint: CheckedEndpoint): string => {
  const implied = Object.entries(endpoint.coveredBy).filter(([needed, granting]) => needed !== granting);
  return implied.length === 0 ? '' : ` (${implied.map(([needed, granting]) => `${needed} via ${granting}`).join(', ')})`;
};

// --live can find an endpoint refused for a scope the API does not name.
const missingText = (endpoint: CheckedEndpoint): string => endpoint.missing.join(' ') || 'a scope the API did not name';

/** What an annotation says an endpoint lacks: the closest group, and the alternatives when there are several. */
const describeMissing = (endpoint: CheckedEndpoint): string =>
  `${endpoint.method} ${endpoint.path} needs ${missingText(endpoint)}${endpoint.required.length > 1 ? ` (accepted: ${describeRequirement(endpoint.required)})` : ''}`;

/** A table for people: one line per endpoint, what is missing, then least-privilege notes; fit to `width` when given. */
export function renderCheck(report: CheckReport, style: Style, width?: number): string {
  const rows: Cell[][] = report.endpoints.map((endpoint) => {
    const mark = endpoint.satisfied ? { text: '✓', style: style.ok } : { text: '✗', style: style.bad };
    const detail: Segment[] = endpoint.satisfied
      ? [{ text: `${describeRequirement(endpoint.required)}${describeCover(endpoint)}`, style: style.dim }]
      : [
          { text: 'missing', style: style.bad },
          { text: ` ${missingText(endpoint)}` },
          ...(endpoint.required.length > 1 ? [{ text: `  (needs ${describeRequirement(endpoint.required)})`, style: style.dim }] : []),
        ];
    const live = liveText(endpoint);
    if (live) detail.push({ text: live, style: style.dim });
    return [mark, `${endpoint.method} ${endpoint.path}`, detail];
  });
  const columns: Column[] = [{ overflow: 'keep', key: true, gap: 1 }, { key: true, min: 12 }, { min: 12 }];
  const lines = renderTable(columns, rows, { width, header: false });
  const failing = report.endpoints.filter((endpoint) => !endpoint.satisfied).length;
  const total = report.endpoints.length;
  lines.push('');
  lines.push(
    failing === 0
      ? style.ok(`All ${total} endpoints are satisfied by the granted scopes.`)
      : style.bad(`${failing} of ${total} endpoints are not satisfied by the granted scopes.`),
  );
  lines.push(style.dim(`Granted (${report.source}): ${report.granted.join(' ') || '(none)'}`));
  if (report.unused.length) {
    const text = `Granted but needed by no endpoint: ${report.unused.join(' ')}`;
    lines.push(report.failOnUnused ? style.bad(text) : style.warn(`${text} (least privilege: consider not asking for them)`));
  }
  for (const note of report.notes ?? []) lines.push(style.dim(note));
  if (report.har) {
    lines.push(style.dim(`Recorded (${report.har.file}): ${report.har.requests} requests, ${report.endpoints.length} operations called`));
    if (report.har.unmatched.length) {
      lines.push(style.warn(`Requests matching no operation: ${[...new Set(report.har.unmatched.map((request) => `${request.method} ${request.url}`))].slice(0, 10).join(', ')}`));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** One endpoint of `checkJson`'s `endpoints`. */
export const checkEndpointJson = (endpoint: CheckedEndpoint): Record<string, unknown> => {
  // built in place, not spread: one object for each of up to 100,000 operations
  const json: Record<string, unknown> = {
    method: endpoint.method,
    path: endpoint.path,
    required: endpoint.required,
    satisfied: endpoint.satisfied,
    missing: endpoint.missing,
    coveredBy: endpoint.coveredBy,
    live: endpoint.live
      ? { status: endpoint.live.status, outcome: endpoint.live.outcome, url: endpoint.live.url, missing: endpoint.live.missing, evidence: endpoint.live.evidence }
      : null,
  };
  if (endpoint.liveNote) json['liveNote'] = endpoint.liveNote;
  if (endpoint.otherCredentials) json['otherCredentials'] = endpoint.otherCredentials;
  if (endpoint.oauth === false) json['oauth'] = false;
  return json;
};

/** The SPEC's `--json` document, plus `coveredBy`, `liveNote`, `granted`, `source` and `document`. */
export function checkJson(report: CheckReport) {
  return {
    ok: report.ok,
    endpoints: report.endpoints.map(checkEndpointJson),
    unused: report.unused,
    granted: report.granted,
    source: report.source,
    document: report.document,
    ...(report.credential ? { credential: report.credential } : {}),
    ...(report.har ? { har: report.har } : {}),
    ...(report.fix === undefined ? {} : { addScope: report.fix.startsWith('To fix: scopes ') ? report.fix.slice('To fix: '.length) : null }),
  };
}

/** GitHub Actions' escaping: data loses %, CR and LF; properties also `:` and `,`. */
const escapeData = (text: string): string => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (text: string): string => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** Workflow commands (`::error …::`) that GitHub Actions turns into annotations. */
export function renderGithub(report: CheckReport, relativeDocument: string): string {
  const file = escapeProperty(relativeDocument);
  const lines: string[] = [];
  for (const endpoint of report.endpoints) {
    if (endpoint.satisfied) continue;
    lines.push(`::error file=${file},title=${escapeProperty('Missing scope')}::${escapeData(describeMissing(endpoint))}`);
  }
  if (report.unused.length) {
    const level = report.failOnUnused ? 'error' : 'warning';
    lines.push(`::${level} file=${file},title=${escapeProperty('Unused scope')}::${escapeData(`Granted but needed by no endpoint: ${report.unused.join(' ')}`)}`);
  }
  const failing = report.endpoints.filter((endpoint) => !endpoint.satisfied).length;
  const summary = failing === 0 ? `scopes check: all ${report.endpoints.length} endpoints satisfied` : `scopes check: ${failing} of ${report.endpoints.length} endpoints not satisfied`;
  const unused = report.unused.length === 0 ? '' : `; ${report.unused.length} granted ${report.unused.length === 1 ? 'scope' : 'scopes'} unused`;
  lines.push(`${summary}${unused}`);
  return `${lines.join('\n')}\n`;
}
