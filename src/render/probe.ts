/**
 * How `scopes probe` shows what it found: a table for people (colour only where the stream wants it), and the JSON
 * document of the SPEC. Everything a server said passes through `excerpt` first: a hostile API must not be able to
 * drive the terminal with escape sequences.
 */
import { excerpt } from '../core/challenges.js';
import { isScopeToken } from '../core/scopes.js';
import type { ProbeOutcome, ProbeResult } from '../probe/engine.js';
import type { Style } from './style.js';
import { layoutTable, wrapText, type Cell, type Column } from './table.js';
import { fitFixLine } from './fix.js';

export interface ProbeReport {
  readonly results: readonly ProbeResult[];
  /** The smallest set of scopes to add (scopesToAdd). */
  readonly missing: readonly string[];
  /** The token's scopes, or null when they could not be read. */
  readonly granted: readonly string[] | null;
  readonly profile: string;
  /** Base URL that endpoints are shown relative to. */
  readonly api?: string | undefined;
  /** The `To fix: …` line (render/fix.ts), when the caller knows whose token it is; else the profile's --add-scope. */
  readonly fix?: string | undefined;
}

const OUTCOME_TEXT: Readonly<Record<ProbeOutcome, string>> = {
  ok: 'ok',
  missing_scope: 'missing scope',
  step_up: 'step-up',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  error: 'error',
  skipped: 'skipped',
};

/** Characters that need no quoting in a POSIX shell word. */
const SHELL_SAFE = /^[A-Za-z0-9_.:/+=,@%-]+$/;

/** A shell word for `value`: as is when safe, else single-quoted (inside which nothing expands). */
export function shellWord(value: string): string {
  return SHELL_SAFE.test(value) ? value : `'${value.split("'").join(`'\\''`)}'`;
}

const profileFlag = (profile: string): string => (profile === 'default' ? '' : ` --profile ${shellWord(profile)}`);

/**
 * The `scopes login --add-scope "…"` line that asks for `missing` (with `--profile` when not the default), or
 * undefined when there is nothing to add. Only valid scope tokens are put in a command a person may paste; `$`, a
 * backquote or a quote from a hostile server could otherwise run something.
 */
export function addScopeCommand(missing: readonly string[], profile: string): string | undefined {
  const scopes = missing.filter((scope) => isScopeToken(scope));
  if (scopes.length === 0) return undefined;
  const list = scopes.join(' ');
  const quoted = SHELL_SAFE.test(scopes.join('')) ? `"${list}"` : shellWord(list);
  return `scopes login${profileFlag(profile)} --add-scope ${quoted}`;
}

/** The login line that meets an RFC 9470 step-up challenge, or undefined when it names nothing to pass. */
export function stepUpCommand(stepUp: ProbeResult['stepUp'], profile: string): string | undefined {
  if (stepUp === undefined) return undefined;
  const params: string[] = [];
  if (stepUp.acrValues !== undefined && stepUp.acrValues.length > 0) params.push(`--param ${shellWord(`acr_values=${stepUp.acrValues.join(' ')}`)}`);
  if (stepUp.maxAge !== undefined) params.push(`--param max_age=${stepUp.maxAge}`);
  return params.length === 0 ? undefined : `scopes login${profileFlag(profile)} ${params.join(' ')}`;
}

const display = (value: string): string => excerpt(value, 300);

/** The endpoint as a person reads it: relative to the API base when under it, with the template when it differs. */
function endpointText(result: ProbeResult, api: string | undefined): string {
  let shown = result.url;
  if (api !== undefined && result.url.startsWith(api) && result.url.length > api.length && result.url[api.length] === '/') {
    shown = result.url.slice(api.length);
  }
  const template = result.label === undefined ? undefined : result.label.slice(result.label.indexOf(' ') + 1);
  const withTemplate = template !== undefined && template !== shown && !result.url.endsWith(template) ? `${shown} (${template})` : shown;
  return display(withTemplate);
}

function outcomeStyle(outcome: ProbeOutcome, style: Style): (text: string) => string {
  switch (outcome) {
    case 'ok':
      return style.ok;
    case 'missing_scope':
    case 'unauthorized':
    case 'error':
      return style.bad;
    case 'step_up':
    case 'forbidden':
      return style.warn;
    case 'skipped':
      return style.dim;
  }
}

function missingText(result: ProbeResult): string {
  if (result.outcome === 'step_up') {
    const parts = ['stronger sign-in'];
    if (result.stepUp?.acrValues?.length) parts.push(`acr_values=${result.stepUp.acrValues.join(' ')}`);
    if (result.stepUp?.maxAge !== undefined) parts.push(`max_age=${result.stepUp.maxAge}`);
    const scopes = result.missing.length > 0 ? `; ${result.missing.join(' ')}` : '';
    return display(`${parts.join(', ')}${scopes}`);
  }
  if (result.outcome === 'missing_scope') {
    if (result.authorizationDetails !== undefined) {
      const types = result.authorizationDetails.map((detail) => (typeof detail === 'object' && detail !== null && typeof (detail as { type?: unknown }).type === 'string' ? (detail as { type: string }).type : '?'));
      return display(`authorization details: ${types.join(' ') || '(not named)'}`);
    }
    if (result.missing.length === 0) return result.required.length === 0 ? 'a scope, not named' : '(not named)';
    const what = result.requiredKind === 'permission' ? 'permission ' : result.requiredKind === 'key-permission' ? 'key permission ' : '';
    return display(`${what}${result.missing.join(' ')}${result.confidence === 'low' ? ' (?)' : ''}`);
  }
  return display(result.missing.join(' '));
}

/** The lines that say how to get what a refusal needs when it is not an OAuth scope, or the scope is not named. */
function otherFixes(report: ProbeReport, style: Style): string[] {
  const lines: string[] = [];
  const refused = report.results.filter((result) => result.outcome === 'missing_scope');
  const permissions = refused.filter((result) => result.requiredKind === 'permission' && result.required.length > 0);
  if (permissions.length > 0) {
    const sets = [...new Set(permissions.map((result) => result.required.map((group) => group.join(' + ')).join(' or ')))];
    lines.push(`${style.bad('Permissions:')} ${display(sets.join('; '))}`);
    lines.push('To fix: grant them in the token\'s or the app\'s permission settings (fine-grained tokens and apps carry permissions, not OAuth scopes).');
  }
  const keyPermissions = refused.filter((result) => result.requiredKind === 'key-permission' && result.required.length > 0);
  if (keyPermissions.length > 0) {
    lines.push(`${style.bad('Key permissions:')} ${display([...new Set(keyPermissions.flatMap((result) => result.missing))].join(' '))}`);
    lines.push("To fix: give the API key these permissions in the provider's dashboard, or use a key that has them (not an OAuth scope).");
  }
  const details = refused.filter((result) => result.authorizationDetails !== undefined);
  if (details.length > 0) {
    lines.push(`${style.bad('Authorization details:')} ${details.length === 1 ? 'an endpoint wants' : `${details.length} endpoints want`} other RFC 9396 authorization details (see the evidence).`);
    lines.push(`To fix: log in again asking for them: ${style.code(`scopes login${profileFlag(report.profile)} --param authorization_details='[…]'`)}`);
  }
  const unnamed = refused.filter((result) => result.required.length === 0 && result.authorizationDetails === undefined);
  if (unnamed.length > 0) {
    lines.push(
      `${style.bad('A scope, not named:')} ${unnamed.length === 1 ? 'an endpoint says' : `${unnamed.length} endpoints say`} the token lacks a scope without naming it (${display(unnamed.map((result) => `${result.method} ${endpointText(result, report.api)}`).join(', '))}).`,
    );
    lines.push(`To fix: find the scope in the API's reference for that endpoint (the evidence says where), then ${style.code(`scopes login${profileFlag(report.profile)} --add-scope "<scope>"`)}; or pass --manifest so its declared scopes fill in.`);
  }
  const guessed = refused.filter((result) => result.confidence === 'low' && result.missing.length > 0);
  if (guessed.length > 0) lines.push(style.warn(`(?) read from the wording of a message, not a format the API is known to use: check the name against its documentation.`));
  return lines;
}

/** Evidence worth a line under an endpoint: all of it for a refusal; for a success only what is not the status. */
function evidenceLines(result: ProbeResult): string[] {
  const lines = result.outcome === 'ok' ? result.evidence.filter((line) => !/^HTTP \d{3}\b[^:]*$/.test(line)) : [...result.evidence];
  if (result.error !== undefined) lines.unshift(`error: ${result.error}`);
  if (result.finalUrl !== undefined && result.outcome !== 'ok') lines.push(`answered by ${result.finalUrl}`);
  for (const warning of result.warnings ?? []) lines.push(`warning: ${warning}`);
  return lines.map(display);
}

/** The table, the evidence under each refused endpoint, and the line that fixes what is missing; fit to `width` columns when given. */
export function renderProbe(report: ProbeReport, style: Style, width?: number): string {
  const columns: Column[] = [
    { header: 'METHOD', overflow: 'keep', key: true },
    { header: 'ENDPOINT', key: true, min: 14 },
    { header: 'STATUS', overflow: 'keep' },
    { header: 'OUTCOME', min: 7 },
    { header: 'MISSING', min: 12 },
  ];
  const rows: Cell[][] = report.results.map((result) => {
    const missing = missingText(result);
    return [
      display(result.method),
      endpointText(result, report.api),
      result.status === null ? '-' : String(result.status),
      { text: OUTCOME_TEXT[result.outcome], style: outcomeStyle(result.outcome, style) },
      { text: missing, style: result.missing.length > 0 ? style.bad : undefined },
    ];
  });
  const layout = layoutTable(columns, rows, { width, headerStyle: style.bold });
  const out: string[] = [...layout.header];
  report.results.forEach((result, i) => {
    out.push(...(layout.rows[i] ?? []));
    for (const evidence of evidenceLines(result)) out.push(...wrapText({ text: evidence, style: style.dim }, width, 6, 4));
  });

  out.push('');
  const count = (outcome: ProbeOutcome) => report.results.filter((result) => result.outcome === outcome).length;
  // Summary sentences wrap between words at the terminal's width, continued two columns in.
  const summary = (cell: Cell) => wrapText(cell, width, 2, 0);
  const endpoints = (n: number) => `${n} endpoint${n === 1 ? '' : 's'}`;
  const fix = report.fix ?? (addScopeCommand(report.missing, report.profile) === undefined ? undefined : `To fix: ${addScopeCommand(report.missing, report.profile)}`);
  if (report.missing.length > 0) {
    out.push(`${style.bad('Missing:')} ${display(report.missing.join(' '))}`);
    const unsafe = report.missing.filter((scope) => !isScopeToken(scope));
    if (unsafe.length > 0) out.push(style.warn(`Left out of that command: ${unsafe.length} name(s) that are not valid scopes (RFC 6749 §3.3).`));
  }
  const others = otherFixes(report, style);
  out.push(...others);
  const scopeRefusals = report.results.filter((result) => result.outcome === 'missing_scope' && result.requiredKind === undefined && result.required.length > 0);
  if (report.missing.length === 0 && others.length === 0 && scopeRefusals.length > 0) {
    out.push(...summary({ text: `${endpoints(scopeRefusals.length)} refused the token for a scope, without a scope to add that would be known to help (see the evidence).`, style: style.bad }));
  }
  const stepUps = report.results.filter((result) => result.outcome === 'step_up');
  if (stepUps.length > 0) {
    const command = stepUps.map((result) => stepUpCommand(result.stepUp, report.profile)).find((text) => text !== undefined);
    out.push(`${style.warn('Step-up:')} ${endpoints(stepUps.length)} ${stepUps.length === 1 ? 'wants' : 'want'} a stronger or more recent sign-in, not another scope${command === undefined ? '.' : `: ${style.code(display(command))}`}`);
  }
  if (count('unauthorized') > 0) {
    out.push(
      ...summary([
        { text: 'Unauthorized:', style: style.bad },
        { text: ` ${endpoints(count('unauthorized'))} refused the token itself (expired, revoked, or meant for another API); try ` },
        { text: `scopes token${profileFlag(report.profile)} --force-refresh`, style: style.code },
        { text: ' or log in again.' },
      ]),
    );
  }
  if (count('error') > 0) out.push(...summary([{ text: 'Errors:', style: style.bad }, { text: ` ${endpoints(count('error'))} could not be probed.` }]));
  if (count('skipped') > 0) out.push(...summary({ text: `Skipped: ${endpoints(count('skipped'))} not called (judged from the manifest where it declares scopes).`, style: style.dim }));
  if (report.results.length > 0 && report.results.every((result) => result.outcome === 'ok')) out.push(style.ok('Every endpoint accepted the token.'));
  // Last, as diff and check end: the one line that gets what is missing (broken as a shell line where it must be).
  if (report.missing.length > 0 && fix !== undefined) {
    const fitted = fitFixLine(fix, width);
    if (fitted.length === 1 && fix.startsWith('To fix: scopes ')) out.push(`To fix: ${style.code(fix.slice('To fix: '.length))}`);
    else out.push(...fitted);
  }
  return `${out.join('\n')}\n`;
}

/** The SPEC's JSON document: `results` and `missing`, plus what a program may want besides. */
export function probeJson(report: ProbeReport) {
  return {
    results: report.results.map((result) => ({
      method: result.method,
      url: result.url,
      status: result.status,
      outcome: result.outcome,
      required: result.required,
      missing: result.missing,
      evidence: result.evidence,
      ...(result.label === undefined ? {} : { endpoint: result.label }),
      ...(result.error === undefined ? {} : { error: result.error }),
      ...(result.dialect === undefined ? {} : { dialect: result.dialect }),
      ...(result.requiredFrom === undefined ? {} : { requiredFrom: result.requiredFrom }),
      ...(result.stepUp === undefined ? {} : { stepUp: result.stepUp }),
      ...(result.resourceMetadata === undefined ? {} : { resourceMetadata: result.resourceMetadata }),
      ...(result.granted === undefined ? {} : { tokenHas: result.granted }),
      ...(result.finalUrl === undefined ? {} : { finalUrl: result.finalUrl }),
      ...(result.warnings === undefined ? {} : { warnings: result.warnings }),
      ...(result.requiredKind === undefined ? {} : { requiredKind: result.requiredKind }),
      ...(result.authorizationDetails === undefined ? {} : { authorizationDetails: result.authorizationDetails }),
      ...(result.confidence === undefined ? {} : { confidence: result.confidence }),
    })),
    missing: report.missing,
    addScope: report.fix === undefined ? (addScopeCommand(report.missing, report.profile) ?? null) : report.fix.startsWith('To fix: scopes ') ? report.fix.slice('To fix: '.length) : null,
    granted: report.granted,
  };
}
