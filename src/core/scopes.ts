/**
 * The scope model: reading scope lists, implication rules (`implies` maps and the rule sets providers contribute), requirements with
 * alternatives (OpenAPI security semantics), the smallest scope set for a set of endpoints, and the
 * requested-versus-granted diff. Pure: no IO, no clock; the only throws are the `UsageError`s documented below.
 */
import { UsageError } from '../errors.js';

/** A requirement: any one group suffices, each group needs all of its scopes (OpenAPI security semantics). */
export type Requirement = readonly (readonly string[])[];

/** A preset's name: a provider whose implication rules apply (see `scopes providers`). */
export type Preset = string;

/** How rules are written in config and manifests. */
export interface RuleSpec {
  readonly preset?: Preset | readonly Preset[] | undefined;
  readonly implies?: Readonly<Record<string, readonly string[]>> | undefined;
}

export interface ScopeRules {
  /** The canonical form used to compare two scopes (identity, unless a preset folds case or drops a prefix). */
  normalize(scope: string): string;
  /** True when holding `granted` gives `needed` (equal after normalize, or implied). */
  covers(granted: string, needed: string): boolean;
  /** True when `covers` is equality after `normalize` (no implication at all): lets a search stop at the exact match. */
  readonly equalityOnly?: boolean;
}

/** How a granted set meets one requirement. */
export interface Satisfaction {
  readonly satisfied: boolean;
  /** The group that is met, or the closest one (fewest missing, first on ties); null for a requirement with no groups. */
  readonly group: readonly string[] | null;
  /** Needed scope → the granted scope that covers it (itself when equal), for the scopes of `group` that are covered. */
  readonly coveredBy: Record<string, string>;
  /** What to add to meet `group`; [] when satisfied. */
  readonly missing: string[];
}

/** Requested versus granted scopes. */
export interface ScopeDiff {
  /** Requested scopes, without duplicates (after normalize), first-seen order. */
  readonly requested: string[];
  /** Granted scopes, without duplicates (after normalize), first-seen order. */
  readonly granted: string[];
  /** Requested and granted as is (equal after normalize). */
  readonly asRequested: string[];
  /** Requested, neither granted nor implied by a granted scope. */
  readonly notGranted: string[];
  /** Granted scopes that were not requested (after normalize), whether or not they cover a requested one. */
  readonly extra: string[];
  /** Requested scope → the broader granted scope that covers it. */
  readonly impliedBy: Record<string, string>;
}

export interface MinimalOptions {
  /** Scopes that may be chosen besides those the requirements name, e.g. a broader one that covers several. */
  readonly candidates?: readonly string[];
  /** Work allowed to the exact search before it settles for the greedy answer (default 2 000 000 steps). */
  readonly budget?: number;
  /**
   * How many operations of the whole document a scope alone unlocks: among sets of equal size and breadth, the one
   * unlocking fewer wins (a platform-wide scope unlocks every operation, a read-only one only the reads).
   */
  readonly unlocks?: (scope: string) => number;
}

/** Why a chosen scope was preferred to another that would have done as well in its place. */
export interface ChoiceReason {
  /** The scope not chosen. */
  readonly over: string;
  readonly because: 'implied' | 'fewer-operations' | 'narrower-name' | 'listed-first' | 'name-order';
  /** The same, for people: `implied by admin`, `unlocks 2 operations, admin 9`. */
  readonly detail: string;
}

export interface MinimalResult {
  /** The chosen scopes, sorted. */
  readonly scopes: string[];
  /** False when the exact search ran out of budget and the answer is greedy (still irredundant, maybe not smallest). */
  readonly exact: boolean;
  /** Per chosen scope, the equally small alternatives it was preferred to, and why (none when it had no rival). */
  readonly reasons: Record<string, ChoiceReason[]>;
}

/**
 * How much a scope's name says it grants: `read`/`readonly`/`view` 0, most names 1, `write` 1, `admin`/`manage`/
 * `full`/`cloud-platform` 2. Words are split at punctuation and camelCase (`users.manage`, `Mail.ReadWrite`).
 */
export function nameWeight(scope: string): number {
  const lower = scope.toLowerCase();
  if (lower.endsWith('/cloud-platform') || lower === 'cloud-platform') return 2;
  const words = scope.split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/).map((word) => word.toLowerCase()).filter(Boolean);
  if (words.some((word) => ['admin', 'manage', 'full', 'owner'].includes(word))) return 2;
  if (words.some((word) => ['write', 'readwrite', 'modify', 'edit'].includes(word))) return 1;
  if (words.some((word) => ['read', 'readonly', 'view', 'viewonly'].includes(word))) return 0;
  return 1;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading and writing scope lists

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const SPACES = /\s+/;
const SPACES_AND_COMMAS = /[\s,]+/;

/**
 * True when `value` is one RFC 6749 scope-token (printable ASCII without space, `"` and `\`).
 * Parsing does not require it (providers send worse); this is for warning about what a user typed.
 * @see RFC 6749 §3.3
 */
export function isScopeToken(value: unknown): boolean {
  return typeof value === 'string' && SCOPE_TOKEN.test(value);
}

/**
 * Reads a scope list: a space-delimited string, or an array of such strings; repeated whitespace and order do not
 * matter, the empty string is the empty set, duplicates are dropped (first-seen order kept). `commas: true` also
 * splits on commas, for the providers whose lists use them (`repo,gist`, `X-OAuth-Scopes: repo, user`). Anything else (undefined, null, numbers, objects, non-string array elements) reads as nothing. Never throws.
 * @see RFC 6749 §3.3
 */
export function parseScopes(value: unknown, options?: { readonly commas?: boolean }): string[] {
  const separator = options?.commas === true ? SPACES_AND_COMMAS : SPACES;
  const pieces: unknown[] = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  const seen = new Set<string>();
  for (const piece of pieces) {
    if (typeof piece !== 'string') continue;
    for (const scope of piece.split(separator)) if (scope !== '') seen.add(scope);
  }
  return [...seen];
}

/**
 * Writes a scope list as the space-delimited string the `scope` parameter carries. Never throws.
 * @see RFC 6749 §3.3
 */
export function formatScopes(scopes: readonly string[]): string {
  if (!Array.isArray(scopes)) return '';
  return scopes.filter((scope): scope is string => typeof scope === 'string' && scope !== '').join(' ');
}

// ---------------------------------------------------------------------------------------------------------------
// Rule sets: what a provider knows about how its scopes contain one another (src/providers/ holds them)

/** Implication rules a provider contributes, under its name (`preset`). */
export interface RuleSet {
  /** The canonical form to compare scopes in (e.g. case folded, a resource prefix dropped). */
  readonly normalize?: (scope: string) => string;
  /** Scope → the scopes it contains (transitive). */
  readonly implies?: Readonly<Record<string, readonly string[]>>;
  /** A containment that a finite map cannot list (a shape of scope). */
  readonly contains?: (granted: string, needed: string) => boolean;
}

/** Where preset names are looked up; the registry in `src/providers/` is one. */
export interface RuleCatalogue {
  /** Every name a preset may be given (ids and aliases), for messages. */
  readonly names: readonly string[];
  /** The preset's canonical id and its rules, or undefined for an unknown name. Ids order the presets (see compileRules). */
  resolve(name: string): { readonly id: string; readonly order: number; readonly rules: RuleSet } | undefined;
}

/** A catalogue that knows no preset: rules are only what `implies` says. */
export const NO_PRESETS: RuleCatalogue = { names: [], resolve: () => undefined };

// Compiling rules

const invalidRules = (message: string, catalogue: RuleCatalogue): UsageError =>
  new UsageError(
    message,
    { hint: `${catalogue.names.length === 0 ? 'No presets are known here' : `Presets: ${catalogue.names.join(', ')}`}; "implies" maps a scope to the scopes it contains.` },
    'invalid_rules',
  );

function readPresets(value: unknown, catalogue: RuleCatalogue): RuleSet[] {
  if (value === undefined || value === null) return [];
  const list: unknown[] = Array.isArray(value) ? value : [value];
  const found = new Map<string, { order: number; rules: RuleSet }>();
  for (const item of list) {
    const preset = typeof item === 'string' ? catalogue.resolve(item) : undefined;
    if (preset === undefined) throw invalidRules(`Unknown scope preset ${JSON.stringify(item)}.`, catalogue);
    found.set(preset.id, preset);
  }
  // A fixed order keeps normalization the same however the presets were listed.
  return [...found.values()].sort((a, b) => a.order - b.order).map((preset) => preset.rules);
}

function readImplies(value: unknown, catalogue: RuleCatalogue): [string, string[]][] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidRules('"implies" must be an object mapping a scope to a list of scopes.', catalogue);
  const entries: [string, string[]][] = [];
  for (const [from, to] of Object.entries(value)) {
    if (parseScopes(from).length !== 1 || from.trim() !== from) {
      throw invalidRules(`"implies" key ${JSON.stringify(from)} must be exactly one scope.`, catalogue);
    }
    const valid = typeof to === 'string' || (Array.isArray(to) && to.every((scope) => typeof scope === 'string'));
    if (!valid) throw invalidRules(`"implies" for ${JSON.stringify(from)} must be a list of scopes.`, catalogue);
    entries.push([from, parseScopes(to)]);
  }
  return entries;
}

interface GrantedReach {
  /** Normalized scopes reached by explicit rules (and the structural hops between their keys), the start included. */
  readonly nodes: ReadonlySet<string>;
  /** One spelling of each reached scope, for the structural rules that read more than the normalized form. */
  readonly spellings: readonly string[];
}

const GRANTED_CACHE_LIMIT = 10_000;

/**
 * Compiles presets (looked up in `catalogue`: `src/providers/` passes its registry) and an `implies` map into rules. `implies` is transitive, cycles are harmless, and it combines
 * with the presets (a scope an `implies` entry names can lead into a preset's shape rule and back).
 * Throws `UsageError` (code `invalid_rules`) for an unknown preset or an `implies` that is not a map from one scope
 * to a list of scopes.
 */
export function compileRules(spec?: RuleSpec, catalogue: RuleCatalogue = NO_PRESETS): ScopeRules {
  if (spec !== undefined && spec !== null && (typeof spec !== 'object' || Array.isArray(spec))) {
    throw invalidRules('Scope rules must be an object with "preset" and/or "implies".', catalogue);
  }
  const definitions = readPresets(spec?.preset, catalogue);
  const userImplies = readImplies(spec?.implies, catalogue);

  const normalizers = definitions.flatMap((definition) => (definition.normalize ? [definition.normalize] : []));
  const normalize = (scope: string): string => {
    if (typeof scope !== 'string') return '';
    let result = scope;
    for (const normalizer of normalizers) result = normalizer(result);
    return result;
  };
  const containers = definitions.flatMap((definition) => (definition.contains ? [definition.contains] : []));
  const contains =
    containers.length === 0
      ? undefined
      : (granted: string, needed: string): boolean => containers.some((container) => container(granted, needed));

  const edges = new Map<string, Set<string>>();
  const spelling = new Map<string, string>();
  const remember = (scope: string): string => {
    const key = normalize(scope);
    if (!spelling.has(key)) spelling.set(key, scope);
    return key;
  };
  const addEdge = (from: string, to: string): void => {
    if (from === to) return;
    let targets = edges.get(from);
    if (targets === undefined) edges.set(from, (targets = new Set()));
    targets.add(to);
  };
  const addImplies = (entries: Iterable<readonly [string, readonly string[]]>): void => {
    for (const [from, to] of entries) {
      const key = remember(from);
      for (const scope of to) addEdge(key, remember(scope));
    }
  };
  for (const definition of definitions) if (definition.implies) addImplies(Object.entries(definition.implies));
  addImplies(userImplies);

  // A shape rule can lead from any named scope to another map key; linking them once here keeps covers() to a lookup.
  const keys = [...edges.keys()];
  if (contains !== undefined) {
    for (const [node, nodeSpelling] of spelling) {
      for (const key of keys) if (node !== key && contains(nodeSpelling, spelling.get(key) as string)) addEdge(node, key);
    }
  }

  const reachCache = new Map<string, ReadonlySet<string>>();
  const reach = (start: string): ReadonlySet<string> => {
    const cached = reachCache.get(start);
    if (cached !== undefined) return cached;
    const seen = new Set<string>([start]);
    const queue = [start];
    for (let i = 0; i < queue.length; i++) {
      for (const next of edges.get(queue[i] as string) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    reachCache.set(start, seen);
    return seen;
  };

  const grantedCache = new Map<string, GrantedReach>();
  const reachOfGranted = (granted: string, key: string): GrantedReach => {
    const cached = grantedCache.get(granted);
    if (cached !== undefined) return cached;
    const nodes = new Set<string>([key]);
    if (edges.has(key)) {
      for (const node of reach(key)) nodes.add(node);
    } else if (contains !== undefined && !spelling.has(key)) {
      for (const mapKey of keys) {
        if (contains(granted, spelling.get(mapKey) as string)) for (const node of reach(mapKey)) nodes.add(node);
      }
    }
    const spellings = [granted];
    for (const node of nodes) if (node !== key) spellings.push(spelling.get(node) as string);
    const result: GrantedReach = { nodes, spellings };
    if (grantedCache.size >= GRANTED_CACHE_LIMIT) grantedCache.clear();
    grantedCache.set(granted, result);
    return result;
  };

  const hasRules = edges.size > 0 || contains !== undefined;
  const covers = (granted: string, needed: string): boolean => {
    if (typeof granted !== 'string' || typeof needed !== 'string') return false;
    const have = normalize(granted);
    const want = normalize(needed);
    if (have === want) return true;
    if (!hasRules) return false;
    const reached = reachOfGranted(granted, have);
    if (reached.nodes.has(want)) return true;
    if (contains !== undefined) for (const scope of reached.spellings) if (contains(scope, needed)) return true;
    return false;
  };

  return { normalize, covers, equalityOnly: !hasRules };
}

// ---------------------------------------------------------------------------------------------------------------
// Requirements

const invalidRequirement = (): UsageError =>
  new UsageError('A scope requirement must be a list of groups, each a list of scopes.', {}, 'invalid_requirement');

/** Groups of a requirement, each read as a scope list (so `["a b"]` is `["a", "b"]` and `[""]` needs nothing). */
function readRequirement(requirement: unknown): string[][] {
  if (!Array.isArray(requirement)) throw invalidRequirement();
  return requirement.map((group: unknown) => {
    if (!Array.isArray(group) || !group.every((scope) => typeof scope === 'string')) throw invalidRequirement();
    return parseScopes(group);
  });
}

function uniqueBy(scopes: readonly string[], key: (scope: string) => string): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const scope of scopes) {
    const k = key(scope);
    if (!seen.has(k)) {
      seen.add(k);
      result.push(scope);
    }
  }
  return result;
}

/**
 * Granted scopes read once, for judging many requirements against one token: `check` judges every endpoint of a
 * description (thousands) against the same grant, and reading the grant again for each would cost endpoints × scopes.
 * Made by `holdScopes`; answers only for the rules it was made with.
 */
export interface HeldScopes {
  readonly scopes: readonly string[];
  readonly rules: ScopeRules;
  /** normalize(scope) → the first granted scope with that key. */
  readonly byKey: ReadonlyMap<string, string>;
  /** needed scope → the granted scope found to cover it (or undefined), so each is searched for once. */
  readonly found: Map<string, string | undefined>;
}

const heldScopes = new WeakSet<HeldScopes>();

/** The granted scopes (duplicates dropped, malformed entries ignored) ready for `satisfies` and `findCover`. */
export function holdScopes(granted: readonly string[], rules: ScopeRules): HeldScopes {
  return hold(parseScopes(granted), rules);
}

function hold(scopes: readonly string[], rules: ScopeRules): HeldScopes {
  const byKey = new Map<string, string>();
  for (const scope of scopes) {
    const key = rules.normalize(scope);
    if (!byKey.has(key)) byKey.set(key, scope);
  }
  const held: HeldScopes = { scopes, rules, byKey, found: new Map() };
  heldScopes.add(held);
  return held;
}

const heldFor = (granted: readonly string[] | HeldScopes, rules: ScopeRules): HeldScopes =>
  heldScopes.has(granted as HeldScopes) && (granted as HeldScopes).rules === rules
    ? (granted as HeldScopes)
    : holdScopes(heldScopes.has(granted as HeldScopes) ? (granted as HeldScopes).scopes : (granted as readonly string[]), rules);

function coverIn(held: HeldScopes, needed: string): string | undefined {
  const exact = held.byKey.get(held.rules.normalize(needed));
  if (exact !== undefined || held.rules.equalityOnly === true) return exact;
  if (held.found.has(needed)) return held.found.get(needed);
  const cover = held.scopes.find((scope) => held.rules.covers(scope, needed));
  held.found.set(needed, cover);
  return cover;
}

/**
 * The granted scope that gives `needed`: an equal one (after normalize) first, else the first that covers it.
 * Never throws; malformed input finds nothing.
 */
export function findCover(granted: readonly string[] | HeldScopes, needed: string, rules: ScopeRules): string | undefined {
  if (typeof needed !== 'string') return undefined;
  if (heldScopes.has(granted as HeldScopes)) return coverIn(heldFor(granted, rules), needed);
  if (!Array.isArray(granted)) return undefined;
  // Each entry as one scope, as given (not split on spaces).
  return coverIn(hold(granted.filter((scope): scope is string => typeof scope === 'string'), rules), needed);
}

/**
 * Whether `granted` meets `requirement` (any one group, all of its scopes, with implication), and if not, the group
 * closest to being met and what it lacks. A requirement with no groups, or with an empty group, needs nothing.
 * Throws `UsageError` (code `invalid_requirement`) when `requirement` is not a list of lists of strings.
 * @see RFC 6750 §3.1 (`insufficient_scope`)
 */
export function satisfies(granted: readonly string[] | HeldScopes, requirement: Requirement, rules: ScopeRules): Satisfaction {
  const groups = readRequirement(requirement);
  if (groups.length === 0) return { satisfied: true, group: null, coveredBy: {}, missing: [] };
  const held = heldFor(granted, rules);
  let closest: { group: string[]; covered: [string, string][]; missing: string[] } | undefined;
  for (const group of groups) {
    const covered: [string, string][] = [];
    const missing: string[] = [];
    for (const scope of group) {
      const cover = coverIn(held, scope);
      if (cover === undefined) missing.push(scope);
      else covered.push([scope, cover]);
    }
    if (missing.length === 0) return { satisfied: true, group, coveredBy: Object.fromEntries(covered), missing: [] };
    if (closest === undefined || missing.length < closest.missing.length) closest = { group, covered, missing };
  }
  const { group, covered, missing } = closest as NonNullable<typeof closest>;
  return { satisfied: false, group, coveredBy: Object.fromEntries(covered), missing };
}

/**
 * Granted scopes that no requirement uses: a granted scope is used when it covers some scope of some group of some
 * requirement (least privilege). Throws `UsageError` (code `invalid_requirement`) on a malformed requirement.
 */
export function unusedScopes(granted: readonly string[], requirements: readonly Requirement[], rules: ScopeRules): string[] {
  if (!Array.isArray(requirements)) throw invalidRequirement();
  const key = (scope: string): string => rules.normalize(scope);
  const needed = uniqueBy(
    requirements.flatMap((requirement) => readRequirement(requirement).flat()),
    key,
  );
  // A scope some requirement names as it is needs no search through every needed scope for one it covers.
  const neededKeys = new Set(needed.map(key));
  return uniqueBy(parseScopes(granted), key).filter((scope) => !neededKeys.has(key(scope)) && (rules.equalityOnly === true || !needed.some((want) => rules.covers(scope, want))));
}

// ---------------------------------------------------------------------------------------------------------------
// Diff and union

/**
 * Requested versus granted: what came as asked, what a broader granted scope covers, what is missing, and what came
 * unasked. Comparison is after `rules.normalize` (case-sensitive unless a preset says otherwise). Never throws.
 * @see RFC 6749 §3.3, §5.1
 */
export function diffScopes(requested: readonly string[], granted: readonly string[], rules: ScopeRules): ScopeDiff {
  const key = (scope: string): string => rules.normalize(scope);
  const asked = uniqueBy(parseScopes(requested), key);
  const got = uniqueBy(parseScopes(granted), key);
  const askedKeys = new Set(asked.map(key));
  const gotKeys = new Set(got.map(key));
  const asRequested: string[] = [];
  const notGranted: string[] = [];
  const implied: [string, string][] = [];
  for (const scope of asked) {
    if (gotKeys.has(key(scope))) {
      asRequested.push(scope);
      continue;
    }
    const cover = got.find((held) => rules.covers(held, scope));
    if (cover === undefined) notGranted.push(scope);
    else implied.push([scope, cover]);
  }
  const extra = got.filter((scope) => !askedKeys.has(key(scope)));
  return { requested: asked, granted: got, asRequested, notGranted, extra, impliedBy: Object.fromEntries(implied) };
}

/**
 * The union of two scope lists, `a`'s order first (incremental consent asks for what is held plus what is new).
 * Duplicates are judged after `rules.normalize` when rules are given. Never throws.
 * @see RFC 6749 §3.3
 */
export function unionScopes(a: readonly string[], b: readonly string[], rules?: ScopeRules): string[] {
  return uniqueBy([...parseScopes(a), ...parseScopes(b)], (scope) => (rules === undefined ? scope : rules.normalize(scope)));
}

// ---------------------------------------------------------------------------------------------------------------
// Minimal scope set

const DEFAULT_BUDGET = 2_000_000;
const VISITED_LIMIT = 200_000;

const isSubset = (small: readonly number[], large: readonly number[]): boolean => small.every((x) => large.includes(x));

/** Drops groups that contain another group of the same requirement: they are never the cheaper way to meet it. */
function withoutSupersetGroups(groups: number[][]): number[][] {
  const kept: number[][] = [];
  groups.forEach((group, i) => {
    const dominated = groups.some(
      (other, j) => j !== i && isSubset(other, group) && (other.length < group.length || j < i),
    );
    if (!dominated) kept.push(group);
  });
  return kept;
}

/** True when meeting requirement `a` always meets `b`: each group of `a` contains some group of `b`. */
const meetsOther = (a: readonly number[][], b: readonly number[][]): boolean =>
  a.every((groupA) => b.some((groupB) => isSubset(groupB, groupA)));

/**
 * The requirements still worth solving: one that another always meets is dropped (of two that meet each other, the
 * first stays). For `a` to meet `b`, `b` must name a scope of every group of `a`; so each `a` is compared only with the
 * requirements naming a scope of its least-named group, not with all: a failing check passes thousands, and a scope
 * every operation accepts would make comparing all with all quadratic.
 */
function withoutMetRequirements(all: readonly number[][][]): number[][][] {
  const naming = new Map<number, number[]>();
  all.forEach((requirement, i) => {
    for (const atom of new Set(requirement.flat())) {
      let list = naming.get(atom);
      if (list === undefined) naming.set(atom, (list = []));
      list.push(i);
    }
  });
  const dropped = new Set<number>();
  all.forEach((a, i) => {
    let rarest: number[] | undefined;
    let rarestCount = Infinity;
    for (const group of a) {
      const count = group.reduce((sum, atom) => sum + (naming.get(atom) as number[]).length, 0);
      if (count < rarestCount) [rarest, rarestCount] = [group, count];
    }
    const rivals = new Set<number>();
    for (const atom of rarest ?? []) for (const j of naming.get(atom) as number[]) rivals.add(j);
    for (const j of rivals) {
      const b = all[j] as number[][];
      if (j !== i && !dropped.has(j) && meetsOther(a, b) && (!meetsOther(b, a) || i < j)) dropped.add(j);
    }
  });
  return all.filter((_, j) => !dropped.has(j));
}

function compareOrder(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

function compareNames(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

const sortedNames = (scopes: readonly string[]): string[] => [...scopes].sort();

/**
 * The smallest scope set that satisfies every requirement, honouring alternatives and implication. A candidate is
 * any scope the requirements name or `options.candidates` lists. Ties go to fewer scopes, then narrower scopes (those
 * covering fewer other candidates), then alternatives listed earlier within their requirement, then names. Exact by branch and bound within a
 * work budget; past it, the best answer found so far (at worst greedy, always irredundant) with `exact: false`.
 * Throws `UsageError` (code `invalid_requirement`) on a malformed requirement.
 */
export function minimal(
  requirements: readonly Requirement[],
  rules: ScopeRules,
  options?: MinimalOptions,
): MinimalResult {
  if (!Array.isArray(requirements)) throw invalidRequirement();

  // Scopes become atom numbers, compared after normalize; requirements become groups of atoms.
  const atomOf = new Map<string, number>();
  const atoms: string[] = [];
  const atom = (scope: string): number => {
    const key = rules.normalize(scope);
    let index = atomOf.get(key);
    if (index === undefined) {
      index = atoms.length;
      atoms.push(scope);
      atomOf.set(key, index);
    }
    return index;
  };
  const distinct = new Map<string, number[][]>();
  /** Per atom, the earliest place among its requirement's alternatives it is listed in (0 = the first group). */
  const alternativeRank: number[] = [];
  for (const requirement of requirements) {
    const groups = readRequirement(requirement);
    if (groups.length === 0 || groups.some((group) => group.length === 0)) continue;
    groups.forEach((group, place) => {
      for (const scope of group) {
        const a = atom(scope);
        alternativeRank[a] = Math.min(alternativeRank[a] ?? place, place);
      }
    });
    const indexed = withoutSupersetGroups(
      groups.map((group) => [...new Set(group.map(atom))].sort((x, y) => x - y)),
    ).sort((x, y) => x.length - y.length || compareNames(x.map(String), y.map(String)));
    const key = indexed.map((group) => group.join(',')).join('|');
    if (!distinct.has(key)) distinct.set(key, indexed);
  }
  const problems = withoutMetRequirements([...distinct.values()]);
  if (problems.length === 0) return { scopes: [], exact: true, reasons: {} };

  // Candidates: the named scopes, then the extra ones; those covering nothing needed are dropped.
  const names = uniqueBy([...atoms, ...parseScopes(options?.candidates)], (scope) => rules.normalize(scope));
  const usedAtoms = [...new Set(problems.flat(2))];
  let coverage: number[][];
  let breadth: number[];
  if (rules.equalityOnly) {
    // Without implication a name covers only its own atom (names are unique after normalize, atoms first): the
    // general reading below asks `covers` names × atoms times, seconds for the thousands a failing check passes.
    const used = new Set(usedAtoms);
    coverage = names.map((_, c) => (c < atoms.length && used.has(c) ? [c] : []));
    breadth = names.map(() => 0);
  } else {
    coverage = names.map((name) => usedAtoms.filter((a) => rules.covers(name, atoms[a] as string)));
    const covering = names.map((_, c) => c).filter((c) => (coverage[c] as number[]).length > 0);
    breadth = names.map((name, c) => covering.filter((other) => other !== c && rules.covers(name, names[other] as string)).length);
  }
  const candidates = names.map((_, c) => c).filter((c) => (coverage[c] as number[]).length > 0);
  /** A name's earliest place among alternatives; names only `options.candidates` lists come last. */
  const rankOf = (c: number): number => (c < atoms.length ? (alternativeRank[c] ?? 0) : Number.MAX_SAFE_INTEGER);
  const coverers: number[][] = atoms.map(() => []);
  for (const c of candidates) for (const a of coverage[c] as number[]) (coverers[a] as number[]).push(c);
  // Trying broad candidates first finds good answers early, which prunes more.
  for (const list of coverers) {
    list.sort((x, y) => (coverage[y] as number[]).length - (coverage[x] as number[]).length || (breadth[x] as number) - (breadth[y] as number) || x - y);
  }

  // Requirements that no candidate links are solved apart: the smallest answer is the union of each part's, and a
  // search over one part never pays for the others (a failing check's missing scopes are mostly unrelated).
  const parent = names.map((_, c) => c);
  const find = (c: number): number => {
    while (parent[c] !== c) c = parent[c] = parent[parent[c] as number] as number;
    return c;
  };
  const join = (x: number, y: number): void => {
    const [rx, ry] = [find(x), find(y)];
    if (rx !== ry) parent[Math.max(rx, ry)] = Math.min(rx, ry);
  };
  for (const groups of problems) {
    const first = (coverers[groups[0]![0]!] as number[])[0]!;
    for (const group of groups) for (const a of group) for (const c of coverers[a] as number[]) join(first, c);
  }
  const partOf = new Map<number, number[][][]>();
  for (const groups of problems) {
    const root = find((coverers[groups[0]![0]!] as number[])[0]!);
    let part = partOf.get(root);
    if (part === undefined) partOf.set(root, (part = []));
    part.push(groups);
  }
  const membersOf = new Map<number, number[]>();
  for (const c of candidates) {
    const root = find(c);
    if (!partOf.has(root)) continue;
    let members = membersOf.get(root);
    if (members === undefined) membersOf.set(root, (members = []));
    members.push(c);
  }
  // Parts in an order the requirements' order cannot change (each root is the part's lowest candidate index, and
  // candidate indexes follow first mention), so which part a spent budget leaves greedy depends on the scopes alone.
  const parts = [...partOf.entries()]
    .map(([root, list]) => {
      const members = membersOf.get(root) ?? [];
      return { problems: list, members, key: sortedNames(members.map((c) => names[c] as string))[0] ?? '' };
    })
    .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));

  // How many of each atom's coverers are chosen; zero everywhere between the steps below.
  const coverCount = new Int32Array(atoms.length);
  const add = (c: number): void => {
    for (const a of coverage[c] as number[]) coverCount[a] = (coverCount[a] as number) + 1;
  };
  const remove = (c: number): void => {
    for (const a of coverage[c] as number[]) coverCount[a] = (coverCount[a] as number) - 1;
  };
  /** Candidates one of which any answer extending the current set must add to meet `groups`; [] when met. */
  const branchesOf = (groups: readonly number[][]): number[] => {
    const branches = new Set<number>();
    for (const group of groups) {
      const first = group.find((a) => coverCount[a] === 0);
      if (first === undefined) return [];
      for (const c of coverers[first] as number[]) branches.add(c);
    }
    return [...branches];
  };
  const allMet = (part: readonly number[][][], chosen: readonly number[]): boolean => {
    for (const c of chosen) add(c);
    const met = part.every((groups) => branchesOf(groups).length === 0);
    for (const c of chosen) remove(c);
    return met;
  };
  const breadthOf = (chosen: readonly number[]): number => chosen.reduce((sum, c) => sum + (breadth[c] as number), 0);
  /** Removes what the rest already provides, broadest first, so what stays is irredundant and narrow. */
  const prune = (part: readonly number[][][], chosen: readonly number[]): number[] => {
    let kept = [...chosen];
    const order = [...chosen].sort(
      (x, y) => (breadth[y] as number) - (breadth[x] as number) || ((names[y] as string) < (names[x] as string) ? -1 : 1),
    );
    for (const c of order) {
      const without = kept.filter((other) => other !== c);
      if (allMet(part, without)) kept = without;
    }
    return kept;
  };

  /**
   * Each step meets the requirement with the fewest ways left, by the candidate that helps the most open requirements
   * (a scope every operation accepts beats one operation's own), then the narrower, the listed-first, the name.
   */
  const greedy = (part: readonly number[][][]): number[] => {
    const chosen: number[] = [];
    for (;;) {
      let pick: number[] | undefined;
      const helps = new Map<number, number>();
      for (const groups of part) {
        const branches = branchesOf(groups);
        if (branches.length === 0) continue;
        for (const c of branches) helps.set(c, (helps.get(c) ?? 0) + 1);
        if (pick === undefined || branches.length < pick.length) pick = branches;
      }
      if (pick === undefined) break;
      const best = pick.reduce((x, y) => {
        const byHelp = (helps.get(y) as number) - (helps.get(x) as number);
        if (byHelp !== 0) return byHelp > 0 ? y : x;
        const byBreadth = (breadth[x] as number) - (breadth[y] as number);
        if (byBreadth !== 0) return byBreadth > 0 ? y : x;
        const byRank = rankOf(x) - rankOf(y);
        if (byRank !== 0) return byRank > 0 ? y : x;
        return (names[y] as string) < (names[x] as string) ? y : x;
      });
      chosen.push(best);
      add(best);
    }
    for (const c of chosen) remove(c);
    return prune(part, chosen);
  };

  // Between alternatives no rule relates, prefer the one listed earlier among its requirement's groups (the API's
  // author put it first: `anyOf: [["jobs:read"], ["admin"]]` means jobs:read), then names. Ranks depend on the place
  // within a requirement only, so the order of the requirements themselves still never changes the answer.
  const unlockCache = new Map<number, number>();
  const unlocksOf = (c: number): number => {
    let count = unlockCache.get(c);
    if (count === undefined) {
      count = options?.unlocks?.(names[c] as string) ?? 0;
      unlockCache.set(c, count);
    }
    return count;
  };
  const weights: number[] = [];
  const weightOf = (c: number): number => (weights[c] ??= nameWeight(names[c] as string));
  const orderOf = (chosen: readonly number[]): { unlocks: number; weight: number; ranks: number[]; names: string[] } => ({
    unlocks: chosen.reduce((sum, c) => sum + unlocksOf(c), 0),
    weight: chosen.reduce((sum, c) => sum + weightOf(c), 0),
    ranks: chosen.map(rankOf).sort((x, y) => x - y),
    names: sortedNames(chosen.map((c) => names[c] as string)),
  });
  // After size and breadth: fewer operations unlocked, then names that say less, then the API author's order. Each
  // is a sum or a sorted list, so the best of each part together are the best of the whole.
  const compareChoice = (a: ReturnType<typeof orderOf>, b: ReturnType<typeof orderOf>): number =>
    a.unlocks - b.unlocks || a.weight - b.weight || compareOrder(a.ranks, b.ranks) || compareNames(a.names, b.names);

  const budget = typeof options?.budget === 'number' && options.budget >= 0 ? options.budget : DEFAULT_BUDGET;
  let work = 0;
  let exhausted = false;

  /** The best answer for one part: exact by branch and bound while the budget lasts, else the best found. */
  const solve = (part: readonly number[][][], members: readonly number[]): number[] => {
    // One candidate covers all this part names: it is the answer (most parts of a failing check are one scope).
    if (members.length === 1) return [...members];
    const start = greedy(part);
    let best = { chosen: start, size: start.length, breadth: breadthOf(start), order: orderOf(start) };
    const consider = (chosen: readonly number[], breadthSum: number): void => {
      if (chosen.length > best.size || (chosen.length === best.size && breadthSum > best.breadth)) return;
      const order = orderOf(chosen);
      if (chosen.length === best.size && breadthSum === best.breadth && compareChoice(order, best.order) >= 0) return;
      best = { chosen: [...chosen], size: chosen.length, breadth: breadthSum, order };
    };
    let stopped = false;
    const visited = new Set<string>();
    const chosen: number[] = [];
    const search = (open: readonly number[], breadthSum: number): void => {
      const stillOpen: number[] = [];
      const branchSets: number[][] = [];
      for (const r of open) {
        const groups = part[r] as number[][];
        work += groups.length;
        const branches = branchesOf(groups);
        if (branches.length === 0) continue;
        stillOpen.push(r);
        branchSets.push(branches);
      }
      if (stillOpen.length === 0) {
        consider(chosen, breadthSum);
        return;
      }
      if (work > budget) {
        stopped = true;
        return;
      }
      // Lower bound: requirements whose branch sets share no candidate each need a different new scope.
      const bySize = branchSets.map((_, i) => i).sort((x, y) => (branchSets[x] as number[]).length - (branchSets[y] as number[]).length);
      const taken = new Set<number>();
      let lowerBound = 0;
      for (const i of bySize) {
        const branches = branchSets[i] as number[];
        work += branches.length;
        if (branches.some((c) => taken.has(c))) continue;
        lowerBound++;
        for (const c of branches) taken.add(c);
      }
      const size = chosen.length + lowerBound;
      if (size > best.size || (size === best.size && breadthSum > best.breadth)) return;
      const branches = branchSets[bySize[0] as number] as number[];
      for (const c of branches) {
        chosen.push(c);
        const key = [...chosen].sort((x, y) => x - y).join(',');
        if (!visited.has(key)) {
          if (visited.size < VISITED_LIMIT) visited.add(key);
          add(c);
          search(stillOpen, breadthSum + (breadth[c] as number));
          remove(c);
        }
        chosen.pop();
        if (stopped) return;
      }
    };
    // Once the budget is spent, the parts left keep their greedy answers.
    if (work > budget) stopped = true;
    else search(part.map((_, r) => r), 0);
    if (stopped) exhausted = true;
    return stopped ? prune(part, best.chosen) : best.chosen;
  };

  const reasons: Record<string, ChoiceReason[]> = Object.create(null) as Record<string, ChoiceReason[]>;
  const answer: number[] = [];
  for (const part of parts) {
    const chosenHere = solve(part.problems, part.members);
    answer.push(...chosenHere);
    // Why: each chosen scope against every candidate of its part that could stand in its place, by the first rule
    // that tells them apart (one of another part covers none of what this part needs).
    const chosenSet = new Set(chosenHere);
    for (const c of chosenHere) {
      const name = names[c] as string;
      const list: ChoiceReason[] = [];
      for (const x of part.members) {
        if (list.length >= 5) break;
        if (x === c || chosenSet.has(x)) continue;
        if (!allMet(part.problems, chosenHere.map((other) => (other === c ? x : other)))) continue;
        const other = names[x] as string;
        let reason: ChoiceReason;
        if ((breadth[c] as number) !== (breadth[x] as number)) {
          const implied = rules.covers(other, name);
          reason = { over: other, because: 'implied', detail: implied ? `implied by ${other}` : `covers fewer scopes than ${other}` };
        } else if (unlocksOf(c) !== unlocksOf(x)) {
          reason = { over: other, because: 'fewer-operations', detail: `unlocks ${unlocksOf(c)} operations of the document, ${other} ${unlocksOf(x)}` };
        } else if (nameWeight(name) !== nameWeight(other)) {
          reason = { over: other, because: 'narrower-name', detail: `its name says it grants less than ${other}` };
        } else if (rankOf(c) !== rankOf(x)) {
          reason = { over: other, because: 'listed-first', detail: `listed before ${other} among the alternatives` };
        } else {
          reason = { over: other, because: 'name-order', detail: `sorts before ${other}` };
        }
        list.push(reason);
      }
      reasons[name] = list;
    }
  }
  return { scopes: sortedNames(answer.map((c) => names[c] as string)), exact: !exhausted, reasons };
}
