import type { Command } from 'commander';
import type { Deps, GlobalOptions } from '../deps.js';
import { ExitCode, UsageError } from '../errors.js';
import { findProvider, PROVIDER_NAMES, PROVIDERS, type Provider } from '../providers/index.js';

/** What the tool knows of one provider, as `scopes providers --json` prints it. */
export interface ProviderSummary {
  readonly id: string;
  readonly name: string;
  readonly aliases: string[];
  readonly docs: string[];
  /** How it says a scope is missing (or refuses for another reason). */
  readonly dialects: { dialect: string; reads: string }[];
  /** Its implication rules: how many `implies` entries, and whether a shape rule or normalization applies. */
  readonly rules: { implies: number; shape: boolean; normalizes: boolean } | null;
  readonly tokenPrefixes: { prefix: string; description: string; bypassesScopes: boolean }[];
  readonly login:
    | {
        discovery: boolean;
        issuer?: string;
        authorizationEndpoint?: string;
        tokenEndpoint?: string;
        slots: string[];
        scopeSeparator: string;
        authorizationParams: Record<string, string>;
        needsAudience: boolean;
        quirks: string[];
      }
    | null;
  /** Scope → description, where the provider publishes a catalogue. */
  readonly catalogue: Record<string, string>;
}

export function summarize(provider: Provider): ProviderSummary {
  const login = provider.login;
  const rules = provider.rules;
  return {
    id: provider.id,
    name: provider.name,
    aliases: [...(provider.aliases ?? [])],
    docs: [...provider.docs],
    dialects: (provider.readers ?? []).map(({ dialect, reads }) => ({ dialect, reads })),
    rules:
      rules === undefined
        ? null
        : { implies: Object.keys(rules.implies ?? {}).length, shape: rules.contains !== undefined, normalizes: rules.normalize !== undefined },
    tokenPrefixes: (provider.tokenPrefixes ?? []).map((kind) => ({ prefix: kind.prefix, description: kind.description, bypassesScopes: kind.bypassesScopes === true })),
    login:
      login === undefined
        ? null
        : {
            discovery: login.issuer !== undefined,
            ...(login.issuer === undefined ? {} : { issuer: login.issuer }),
            ...(login.authorizationEndpoint === undefined ? {} : { authorizationEndpoint: login.authorizationEndpoint }),
            ...(login.tokenEndpoint === undefined ? {} : { tokenEndpoint: login.tokenEndpoint }),
            slots: (login.slots ?? []).map((slot) => slot.name),
            scopeSeparator: login.scopeSeparator,
            authorizationParams: { ...login.authorizationParams },
            needsAudience: login.needsAudience === true,
            quirks: [...(login.quirks ?? [])],
          },
    catalogue: { ...provider.catalogue },
  };
}

/** One line of what the tool knows, for the list. */
function knows(summary: ProviderSummary): string {
  const parts: string[] = [];
  if (summary.dialects.length > 0) parts.push(`reads ${summary.dialects.map((dialect) => dialect.dialect).join(', ')}`);
  if (summary.rules !== null) parts.push('implication rules');
  if (summary.tokenPrefixes.length > 0) parts.push(`${summary.tokenPrefixes.length} token prefix${summary.tokenPrefixes.length === 1 ? '' : 'es'}`);
  const loginable = summary.login !== null && (summary.login.issuer !== undefined || summary.login.authorizationEndpoint !== undefined);
  if (loginable) parts.push(summary.login!.discovery ? 'login (discovery)' : 'login (endpoints)');
  const scopes = Object.keys(summary.catalogue).length;
  if (scopes > 0) parts.push(`${scopes} scope${scopes === 1 ? '' : 's'} described`);
  return parts.join('; ');
}

function details(summary: ProviderSummary): string {
  const lines = [`${summary.name} (${[summary.id, ...summary.aliases].join(', ')})`];
  for (const doc of summary.docs) lines.push(`  docs: ${doc}`);
  if (summary.dialects.length > 0) {
    lines.push('  how it says a scope is missing:');
    for (const { dialect, reads } of summary.dialects) lines.push(`    ${dialect}: ${reads}`);
  }
  if (summary.rules !== null) {
    const what = [summary.rules.implies > 0 ? `${summary.rules.implies} implication entries` : undefined, summary.rules.shape ? 'a shape rule' : undefined, summary.rules.normalizes ? 'normalization' : undefined];
    lines.push(`  implication rules (--provider ${summary.id}): ${what.filter(Boolean).join(', ')}`);
  }
  if (summary.tokenPrefixes.length > 0) {
    lines.push('  token prefixes:');
    for (const kind of summary.tokenPrefixes) lines.push(`    ${kind.prefix}  ${kind.description}`);
  }
  if (summary.login !== null) {
    const login = summary.login;
    if (login.issuer !== undefined) lines.push(`  login: issuer ${login.issuer} (discovery)`);
    else if (login.authorizationEndpoint !== undefined) lines.push(`  login: ${login.authorizationEndpoint} → ${login.tokenEndpoint ?? '?'} (no discovery)`);
    if (login.slots.length > 0) lines.push(`    needs: ${login.slots.map((slot) => (slot === 'tenant' ? '--tenant' : '--domain')).join(', ')}`);
    if (login.needsAudience) lines.push('    needs: --audience');
    const params = Object.entries(login.authorizationParams);
    if (params.length > 0) lines.push(`    adds: ${params.map(([key, value]) => `${key}=${value}`).join(' ')}`);
    lines.push(`    scopes separated by ${login.scopeSeparator === ' ' ? 'spaces' : 'commas'}`);
    for (const quirk of login.quirks) lines.push(`    - ${quirk}`);
  }
  const catalogue = Object.entries(summary.catalogue);
  if (catalogue.length > 0) {
    lines.push('  scopes:');
    for (const [scope, description] of catalogue) lines.push(`    ${scope}  ${description}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `scopes providers [NAME]`: what the tool knows of each provider, or of one. */
export async function runProviders(deps: Deps, globals: GlobalOptions, name: string | undefined): Promise<number> {
  let chosen: readonly Provider[] = PROVIDERS;
  if (name !== undefined) {
    const provider = findProvider(name);
    if (provider === undefined) {
      throw new UsageError(`"${name}" is not a provider the tool knows: ${PROVIDER_NAMES.join(', ')}.`, { hint: 'Run `scopes providers` for the list.' });
    }
    chosen = [provider];
  }
  const summaries = chosen.map(summarize);
  if (globals.json) {
    deps.io.out.write(`${JSON.stringify(name === undefined ? { providers: summaries } : summaries[0])}\n`);
    return ExitCode.ok;
  }
  if (name !== undefined) {
    deps.io.out.write(details(summaries[0]!));
    return ExitCode.ok;
  }
  const width = Math.max(...summaries.map((summary) => summary.id.length));
  for (const summary of summaries) deps.io.out.write(`${summary.id.padEnd(width)}  ${summary.name}: ${knows(summary) || 'its scope catalogue'}\n`);
  deps.io.err.write('`scopes providers NAME` shows one in full; `scopes login --provider NAME` logs in with its template.\n');
  return ExitCode.ok;
}

export const providersAction = (deps: Deps, globalsOf: (command: Command, deps: Deps) => GlobalOptions) => (command: Command) =>
  runProviders(deps, globalsOf(command, deps), command.args[0]);
