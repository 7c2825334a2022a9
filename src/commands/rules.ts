import type { Preset, RuleSpec, ScopeRules } from '../core/scopes.js';
import { compileRules, findProvider, PROVIDER_NAMES } from '../providers/index.js';
import type { Profile } from '../core/profile.js';
import { UsageError } from '../errors.js';

/** `--preset` / `--provider` and `--implies` flags, as the same RuleSpec a profile or manifest holds. */
export function ruleFlags(presets: readonly string[] = [], implies: readonly string[] = []): RuleSpec {
  for (const preset of presets) {
    if (findProvider(preset) === undefined) {
      throw new UsageError(`--preset: "${preset}" is not one of ${PROVIDER_NAMES.join(', ')}.`, { hint: 'Run `scopes providers` to see what each one knows.' });
    }
  }
  const map: Record<string, string[]> = {};
  for (const rule of implies) {
    const equals = rule.indexOf('=');
    if (equals <= 0) throw new UsageError(`--implies expects BROAD=NARROW[,NARROW…], got "${rule}".`);
    const broad = rule.slice(0, equals).trim();
    map[broad] = [...(map[broad] ?? []), ...rule.slice(equals + 1).split(',').map((s) => s.trim()).filter(Boolean)];
  }
  return { preset: presets as Preset[], implies: map };
}

const asList = (preset: RuleSpec['preset']): Preset[] => (preset === undefined ? [] : typeof preset === 'string' ? [preset] : [...preset]);

/** Merges rule specs (profile, manifest, flags): presets add up, implies maps merge. */
export function mergeRules(...specs: readonly (RuleSpec | Profile | undefined)[]): RuleSpec {
  const presets = new Set<Preset>();
  const implies: Record<string, string[]> = {};
  for (const spec of specs) {
    if (!spec) continue;
    for (const preset of asList(spec.preset)) presets.add(preset);
    for (const [broad, narrow] of Object.entries(spec.implies ?? {})) implies[broad] = [...(implies[broad] ?? []), ...narrow];
  }
  return { preset: [...presets], implies };
}

export const compileMerged = (...specs: readonly (RuleSpec | Profile | undefined)[]): ScopeRules => compileRules(mergeRules(...specs));
