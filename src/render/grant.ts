import type { GrantReport } from '../core/grant.js';
import type { Style } from './style.js';
import { renderTable, wrapText, type Cell, type Column, type Segment } from './table.js';

const evidenceText = (scope: string, evidence: 'id_token' | 'refresh_token'): string =>
  evidence === 'refresh_token' ? 'a refresh token was issued' : scope === 'openid' ? 'an id token was issued' : 'its claims are in the id token';

/** The requested-vs-granted view for people: one line per scope, grouped by what happened to it; fit to `width` when given. */
export function renderGrant(report: GrantReport, style: Style, width?: number): string {
  const rows: Cell[][] = [];
  const row = (mark: Segment, label: string, scope: string, note = '') => rows.push([mark, label, scope, note ? { text: `(${note})`, style: style.dim } : '']);
  for (const scope of report.asRequested) row({ text: '✓', style: style.ok }, 'granted', scope);
  for (const [scope, by] of Object.entries(report.impliedBy)) row({ text: '✓', style: style.ok }, 'implied', scope, `by ${by}`);
  for (const [scope, evidence] of Object.entries(report.evidenced)) row({ text: '✓', style: style.ok }, 'evidenced', scope, evidenceText(scope, evidence));
  for (const scope of report.notGranted) row({ text: '✗', style: style.bad }, 'not granted', scope);
  for (const scope of report.extra) row({ text: '+', style: style.warn }, 'extra', scope, 'granted, not requested');
  const columns: Column[] = [
    { overflow: 'keep', key: true, gap: 1 },
    { overflow: 'keep', key: true, gap: 1, min: 12 },
    { key: true, min: 12 },
    { min: 12 },
  ];
  const lines = renderTable(columns, rows.map((cells) => [cells[0] ?? '', (cells[1] as string).padEnd(12), cells[2] ?? '', cells[3] ?? '']), { width, indent: 2, header: false });
  if (lines.length === 0) lines.push(style.dim('  (no scopes requested or granted)'));
  if (report.assumed) {
    lines.push(...wrapText({ text: 'The server did not list the granted scopes; as RFC 6749 §5.1 says, they are assumed to be the requested ones.', style: style.dim }, width, 2));
  }
  return `${lines.join('\n')}\n`;
}

export function grantJson(report: GrantReport) {
  return {
    requested: report.requested,
    granted: report.granted,
    notGranted: report.notGranted,
    extra: report.extra,
    impliedBy: report.impliedBy,
    evidenced: report.evidenced,
    assumed: report.assumed,
    source: report.source,
  };
}
