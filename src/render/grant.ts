import type { GrantReport } from '../core/grant.js';
import type { Style } from './style.js';

const evidenceText = (scope: string, evidence: 'id_token' | 'refresh_token'): string =>
  evidence === 'refresh_token' ? 'a refresh token was issued' : scope === 'openid' ? 'an id token was issued' : 'its claims are in the id token';

/** The requested-vs-granted view for people: one line per scope, grouped by what happened to it. */
export function renderGrant(report: GrantReport, style: Style): string {
  const lines: string[] = [];
  const row = (mark: string, label: string, scope: string, note = '') =>
    lines.push(`  ${mark} ${label.padEnd(12)} ${scope}${note ? style.dim(`  (${note})`) : ''}`);
  for (const scope of report.asRequested) row(style.ok('✓'), 'granted', scope);
  for (const [scope, by] of Object.entries(report.impliedBy)) row(style.ok('✓'), 'implied', scope, `by ${by}`);
  for (const [scope, evidence] of Object.entries(report.evidenced)) row(style.ok('✓'), 'evidenced', scope, evidenceText(scope, evidence));
  for (const scope of report.notGranted) row(style.bad('✗'), 'not granted', scope);
  for (const scope of report.extra) row(style.warn('+'), 'extra', scope, 'granted, not requested');
  if (lines.length === 0) lines.push(style.dim('  (no scopes requested or granted)'));
  if (report.assumed) {
    lines.push(style.dim('  The server did not list the granted scopes; as RFC 6749 §5.1 says, they are assumed to be the requested ones.'));
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
