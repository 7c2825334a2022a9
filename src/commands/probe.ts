/**
 * `scopes probe`: calls endpoints with the token and reports, from what each answer says, which scope is missing and
 * the `scopes login --add-scope …` line that gets it. The endpoints are the URLs given (absolute, or paths under the
 * API base), else a manifest's; the token goes to their origins and nowhere else.
 */
import type { Command } from 'commander';
import { excerpt } from '../core/challenges.js';
import type { Endpoint, ScopeDocument } from '../core/manifest.js';
import type { Requirement } from '../core/scopes.js';
import type { Deps, GlobalOptions } from '../deps.js';
import { ExitCode, UsageError } from '../errors.js';
import { permitInsecure } from '../io/guard.js';
import { isLoopbackHost, refuseExposedBearer } from '../io/transport.js';
import { probeEndpoints, scopesToAdd, type ProbeResult, type ProbeTarget } from '../probe/engine.js';
import { probeJson, renderProbe } from '../render/probe.js';
import { fitLine, widthOf } from '../render/table.js';
import { styleFor } from '../render/style.js';
import { commandContext, type CommandContext } from './context.js';
import { compileMerged, ruleFlags } from './rules.js';
import { fixLine } from '../render/fix.js';
import { fixTargetFor, loadScopeDocument, resolveToken, type LoadedDocument } from './shared.js';
import { jsonText } from '../render/json.js';

export interface ProbeCommandOptions {
  readonly urls: readonly string[];
  readonly manifest?: string | undefined;
  /** For the URLs; a manifest's endpoints keep their own. */
  readonly method: string;
  /** `-` reads standard input. */
  readonly token?: string | undefined;
  readonly concurrency: number;
  readonly timeoutSeconds: number;
  readonly allowUnsafe: boolean;
  /** Send the token over plain http to a host that is not loopback. */
  readonly allowInsecure?: boolean;
  readonly presets: readonly string[];
  readonly implies: readonly string[];
  /** `--login`: on a missing scope or step-up, log in for it, probe again, show before/after. */
  readonly login?: boolean;
  /** Receives the results (for `--login`'s before/after). */
  readonly onResults?: (results: ProbeResult[]) => void;
}

const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** `scopes probe`: exit 1 when an endpoint lacks a scope, 4 when no endpoint could be probed at all, else 0. */
export async function runProbe(deps: Deps, globals: GlobalOptions, options: ProbeCommandOptions): Promise<number> {
  const method = options.method.trim().toUpperCase();
  if (!METHODS.includes(method)) throw new UsageError(`--method: expected one of ${METHODS.join(', ')}, got "${excerpt(options.method, 40)}".`);
  const flagRules = ruleFlags(options.presets, options.implies);
  const { checkLoginFlags } = await import('./probe-login.js');
  checkLoginFlags(Boolean(options.login), globals.json, options.token);
  const context = await commandContext(deps, globals);
  const profile = context.resolved.profile;

  const manifest = await loadScopeDocument(context, { manifest: options.manifest }, false);
  for (const warning of manifest?.document.warnings ?? []) context.warn(warning);
  const api = manifest?.document.api ?? profile.api?.replace(/\/+$/, '');
  const targets = options.urls.length > 0 ? urlTargets(options.urls, method, api, manifest?.document) : manifestTargets(manifest, api);
  if (targets.length === 0) {
    throw new UsageError('Nothing to probe: give one or more URLs, or --manifest FILE (or a profile with "manifest").', {
      hint: 'scopes probe https://api.example.com/v1/videos',
    });
  }
  const rules = compileMerged(profile, manifest?.document.rules, flagRules);
  // Before any token is minted or read: a token sent over plain http can be read by anyone on the way.
  refuseExposedTargets(targets, context, Boolean(options.allowInsecure));

  const token = await resolveToken(context, options.token);
  if (!token.known) {
    context.warn("The token's scopes cannot be read (an opaque token, or a JWT without a scope claim): only what the APIs say is counted.");
  }

  const sent = targets.filter((target) => target.skip === undefined && (options.allowUnsafe || ['GET', 'HEAD', 'OPTIONS'].includes(target.method))).length;
  const progress = deps.io.err.isTTY && sent > 1;
  const errWidth = widthOf(deps.io.err);
  if (progress) deps.io.err.write(fitLine(`probing ${sent} endpoints…`, errWidth));
  const results = await probeEndpoints(targets, {
    token: token.token,
    granted: token.granted,
    grantedKnown: token.known,
    rules,
    fetch: deps.fetch,
    request: deps.request,
    concurrency: options.concurrency,
    timeoutMs: options.timeoutSeconds * 1000,
    allowUnsafe: options.allowUnsafe,
    ...(progress ? { onResult: (_result: ProbeResult, done: number, total: number) => deps.io.err.write(`\r${fitLine(`probing ${sent} endpoints… ${done}/${total}`, errWidth)}`) } : {}),
  });
  if (progress) deps.io.err.write('\r\u001b[K');

  const missing = scopesToAdd(results, token.granted, rules);
  const fix = fixLine(missing, fixTargetFor(context, options.token === undefined ? undefined : token.token, token.granted));
  const report = { results, missing, granted: token.known ? token.granted : null, profile: context.resolved.name, api, fix };
  if (globals.json) deps.io.out.write(jsonText(deps.io.out, probeJson(report)));
  else deps.io.out.write(renderProbe(report, styleFor(deps.io.out), widthOf(deps.io.out)));
  options.onResults?.(results);
  if (options.login) {
    const { loginAndProbeAgain } = await import('./probe-login.js');
    const again = await loginAndProbeAgain(deps, globals, results, report.missing, (collect) => runProbe(deps, globals, { ...options, login: false, onResults: collect }));
    if (again !== undefined) return again;
  }

  if (results.every((result) => result.outcome === 'error')) {
    context.info(results.length === 1 ? 'The endpoint could not be probed.' : `None of the ${results.length} endpoints could be probed.`);
    return ExitCode.network;
  }
  const lacking = results.some((result) => result.missing.length > 0 || result.outcome === 'missing_scope');
  return lacking ? ExitCode.missingScope : ExitCode.ok;
}

const isTemplated = (path: string): boolean => /\{[^}]*\}/.test(path);

/** The URLs given: absolute http(s), or paths appended to the API base. Exit 2 on anything else. */
function urlTargets(urls: readonly string[], method: string, api: string | undefined, manifest: ScopeDocument | undefined): ProbeTarget[] {
  return urls.map((raw) => {
    const value = raw.trim();
    let url: URL;
    if (value.startsWith('/')) {
      if (api === undefined) {
        throw new UsageError(`"${excerpt(value, 100)}" is a path, and there is no API base to put it under.`, {
          hint: 'Give an absolute URL, or an "api" base URL in the manifest (--manifest) or in the profile.',
        });
      }
      url = parseUrl(`${api}${value}`, value);
      if (url.origin !== new URL(api).origin) throw new UsageError(`"${excerpt(value, 100)}" does not stay on the API's origin ${new URL(api).origin}.`);
    } else {
      url = parseUrl(value, value);
    }
    url.hash = '';
    const declared = manifest === undefined || api === undefined ? undefined : declaredFor(manifest, api, method, url);
    return {
      method,
      url: url.href,
      ...(declared === undefined ? {} : { declared: declared.required, label: `${declared.method} ${declared.path}` }),
    };
  });
}

function parseUrl(text: string, shown: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`"${excerpt(shown, 100)}" is not a URL: expected https://… or a path such as /v1/videos.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`"${excerpt(shown, 100)}": only http and https URLs can be probed, not ${url.protocol.slice(0, -1)}.`);
  }
  if (url.username !== '' || url.password !== '') throw new UsageError(`"${excerpt(shown, 100)}" carries credentials; the token is the only credential probe sends.`);
  return url;
}

/** The manifest endpoint a URL is an instance of (same method, path matching the template), most literal first. */
function declaredFor(manifest: ScopeDocument, apiBase: string, method: string, url: URL): Endpoint | undefined {
  const api = new URL(apiBase);
  const basePath = api.pathname.replace(/\/+$/, '');
  if (url.origin !== api.origin || !url.pathname.startsWith(`${basePath}/`)) return undefined;
  const segments = url.pathname.slice(basePath.length).split('/');
  let best: { endpoint: Endpoint; literal: number } | undefined;
  for (const endpoint of manifest.endpoints) {
    if (endpoint.method !== method) continue;
    const template = endpoint.path.split('/');
    if (template.length !== segments.length) continue;
    let literal = 0;
    const matches = template.every((part, i) => {
      if (/^\{[^}]*\}$/.test(part)) return segments[i] !== '';
      if (part === segments[i]) {
        literal++;
        return true;
      }
      return false;
    });
    if (matches && (best === undefined || literal > best.literal)) best = { endpoint, literal };
  }
  return best?.endpoint;
}

/** A manifest's endpoints under its API base; a templated path without a `probe` path is judged, not called. */
function manifestTargets(manifest: LoadedDocument | undefined, api: string | undefined): ProbeTarget[] {
  if (manifest === undefined) return [];
  if (api === undefined) {
    throw new UsageError(`The manifest ${manifest.path} has no "api" base URL, and the profile none either: its paths cannot be called.`, {
      hint: 'Add "api": "https://api.example.com" to the manifest, or give absolute URLs.',
    });
  }
  const origin = new URL(api).origin;
  return manifest.document.endpoints.map((endpoint): ProbeTarget => {
    const label = `${endpoint.method} ${endpoint.path}`;
    const declared: Requirement = endpoint.required;
    if (endpoint.probe === undefined && isTemplated(endpoint.path)) {
      return {
        method: endpoint.method,
        url: `${api}${endpoint.path}`,
        declared,
        label,
        skip: 'Not called: the path is templated and the manifest gives no "probe" path to call instead.',
      };
    }
    const path = endpoint.probe ?? endpoint.path;
    let url: URL | undefined;
    try {
      url = new URL(`${api}${path}`);
    } catch {
      url = undefined;
    }
    if (url === undefined || url.origin !== origin) {
      return { method: endpoint.method, url: `${api}${path}`, declared, label, skip: `Not called: ${excerpt(path, 100)} does not stay on the API's origin ${origin}.` };
    }
    url.hash = '';
    return { method: endpoint.method, url: url.href, declared, label };
  });
}

/** Exit 2 for a target the token would reach over plain http off this machine; with --allow-insecure, a warning. */
function refuseExposedTargets(targets: readonly ProbeTarget[], context: CommandContext, allowInsecure: boolean): void {
  const origins = new Set<string>();
  for (const target of targets) {
    if (target.skip !== undefined) continue;
    refuseExposedBearer(target.url, allowInsecure);
    const url = new URL(target.url);
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) origins.add(url.origin);
  }
  if (allowInsecure && origins.size > 0) permitInsecure(context.deps);
  for (const origin of origins) context.warn(`${origin} is plain http: the token crosses the network unencrypted (--allow-insecure).`);
}

/** Commander's half: the parsed URLs and flags become ProbeCommandOptions. */
export const probeAction = (deps: Deps, globalsOf: (command: Command, deps: Deps) => GlobalOptions) => (command: Command) => {
  const options = command.opts<{
    manifest?: string;
    method: string;
    token?: string;
    concurrency: number;
    timeout: number;
    allowUnsafe?: boolean;
    allowInsecure?: boolean;
    preset?: string[];
    implies?: string[];
    login?: boolean;
  }>();
  return runProbe(deps, globalsOf(command, deps), {
    urls: (command.processedArgs[0] as string[] | undefined) ?? [],
    manifest: options.manifest,
    method: options.method,
    token: options.token,
    concurrency: options.concurrency,
    timeoutSeconds: options.timeout,
    allowUnsafe: Boolean(options.allowUnsafe),
    allowInsecure: Boolean(options.allowInsecure),
    presets: options.preset ?? [],
    implies: options.implies ?? [],
    login: Boolean(options.login),
  });
};
