/**
 * `scopes probe URL --login`: when the probe finds a missing scope or a step-up challenge (RFC 9470), start the login
 * that meets it right away — `--add-scope` with what is missing, `acr_values` and `max_age` on the authorization
 * request — then probe again and show each endpoint before and after. Only with this flag: no other path starts a login.
 */
import type { Deps, GlobalOptions } from '../deps.js';
import { ExitCode, UsageError } from '../errors.js';
import type { ProbeResult } from '../probe/engine.js';
import { styleFor } from '../render/style.js';
import type { LoginOptions } from './login.js';

/** What a probe found that a login can fix: the scopes to add and the step-up parameters. */
export interface LoginNeed {
  readonly addScope: string[];
  readonly params: Record<string, string>;
}

/** The login the results call for, or undefined when nothing a login can fix was found. */
export function loginNeed(results: readonly ProbeResult[], missing: readonly string[]): LoginNeed | undefined {
  const stepUps = results.filter((result) => result.outcome === 'step_up');
  const lacking = results.some((result) => result.outcome === 'missing_scope') || missing.length > 0;
  if (!lacking && stepUps.length === 0) return undefined;
  const params: Record<string, string> = {};
  // Several step-up challenges: the first that names acr_values wins, and the strictest (smallest) max_age.
  const acr = stepUps.find((result) => result.stepUp?.acrValues?.length)?.stepUp?.acrValues;
  if (acr) params.acr_values = acr.join(' ');
  const ages = stepUps.map((result) => result.stepUp?.maxAge).filter((age): age is number => age !== undefined);
  if (ages.length) params.max_age = String(Math.min(...ages));
  const fromStepUps = stepUps.flatMap((result) => result.missing);
  return { addScope: [...new Set([...missing, ...fromStepUps])], params };
}

export function loginOptionsFor(need: LoginNeed): LoginOptions {
  return {
    scope: [],
    addScope: need.addScope.length ? [need.addScope.join(' ')] : [],
    resource: [],
    params: need.params,
    browser: true,
    manual: false,
    device: false,
    timeoutSeconds: 300,
    strict: false,
  };
}

/** The before/after lines: one per endpoint, its outcome then and now. */
export function renderBeforeAfter(before: readonly ProbeResult[], after: readonly ProbeResult[], deps: Deps): string {
  const style = styleFor(deps.io.out);
  const lines = ['', style.bold('Before and after the login:')];
  for (const [index, result] of before.entries()) {
    const now = after[index];
    const changed = now?.outcome !== result.outcome;
    const text = `${result.method} ${result.url}: ${result.outcome} → ${now?.outcome ?? 'not probed'}`;
    lines.push(`  ${changed && now?.outcome === 'ok' ? style.ok(text) : text}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Runs the login the first probe called for, then `probeAgain`, then prints before/after. Exit code: the second probe's.
 */
export async function loginAndProbeAgain(
  deps: Deps,
  globals: GlobalOptions,
  before: readonly ProbeResult[],
  missing: readonly string[],
  probeAgain: (collect: (results: ProbeResult[]) => void) => Promise<number>,
): Promise<number | undefined> {
  const need = loginNeed(before, missing);
  if (need === undefined) return undefined;
  const what = [
    need.addScope.length ? `the missing scopes (${need.addScope.join(' ')})` : '',
    Object.keys(need.params).length ? `a stronger sign-in (${Object.entries(need.params).map(([key, value]) => `${key}=${value}`).join(', ')})` : '',
  ].filter(Boolean);
  deps.io.err.write(`\nLogging in for ${what.join(' and ')} (--login)…\n`);
  const { runLogin } = await import('./login.js');
  const loginCode = await runLogin(deps, globals, loginOptionsFor(need));
  if (loginCode !== ExitCode.ok) return loginCode;
  deps.io.err.write('\nProbing again with the new token…\n');
  let after: ProbeResult[] = [];
  const code = await probeAgain((results) => {
    after = results;
  });
  deps.io.out.write(renderBeforeAfter(before, after, deps));
  return code;
}

export function checkLoginFlags(login: boolean, json: boolean, token: string | undefined): void {
  if (!login) return;
  if (json) throw new UsageError('--login prints two reports and a login: it does not go with --json.');
  if (token !== undefined) throw new UsageError('--login logs the profile in again: it does not go with --token, which is not the profile\'s token.');
}
