/**
 * The probe engine with an injected fetch: the decisions (what is sent, where the token may go, what is missing, what
 * to add) checked against hand-built responses. The real-server side is in test/commands/probe.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findCover, minimal, parseScopes, unionScopes, type ScopeRules } from '../../src/core/scopes.js';
// Presets are providers: the registry's compileRules knows them (core's takes the catalogue as a parameter).
import { compileRules } from '../../src/providers/index.js';
import { READS_AT_MOST, type CappedRequestInit } from '../../src/io/bounded.js';
import { guardDeps, MAX_RESPONSE_BYTES } from '../../src/io/guard.js';
import { testDeps } from '../support/deps.js';
import { MAX_BODY_BYTES, probeEndpoints, scopesToAdd, type ProbeOptions, type ProbeResult } from '../../src/probe/engine.js';

const TOKEN = 'eyJhbGciOiJub25lIn0.eyJzY29wZSI6InZpZGVvczpyZWFkIn0.signature-part';
const plain = compileRules();

interface Call {
  readonly url: string;
  readonly method: string;
  readonly authorization: string | null;
}

/** A fetch that answers from a table of handlers by URL, and records every call. */
function fakeFetch(handler: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input);
    const headers = new Headers(init.headers);
    calls.push({ url, method: init.method ?? 'GET', authorization: headers.get('authorization') });
    return handler(url, init);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const options = (overrides: Partial<ProbeOptions> & Pick<ProbeOptions, 'fetch'>): ProbeOptions => ({
  token: TOKEN,
  granted: ['videos:read'],
  rules: plain,
  concurrency: 4,
  timeoutMs: 2000,
  allowUnsafe: false,
  ...overrides,
});

const result = (partial: Partial<ProbeResult> & Pick<ProbeResult, 'required' | 'missing'>): ProbeResult => ({
  method: 'GET',
  url: 'https://api.example.com/x',
  status: 403,
  outcome: 'missing_scope',
  evidence: [],
  ...partial,
});

describe('scopesToAdd', () => {
  const github = compileRules({ preset: 'github' });
  const videoRules = compileRules({ implies: { 'videos:write': ['videos:read'] } });
  const cases: { description: string; input: { results: ProbeResult[]; granted: string[]; rules: ScopeRules }; expected: string[] }[] = [
    {
      description: 'nothing missing: nothing to add',
      input: { results: [result({ outcome: 'ok', status: 200, required: [['videos:read']], missing: [] })], granted: ['videos:read'], rules: plain },
      expected: [],
    },
    {
      description: 'RFC 6750: every scope of the one group',
      input: { results: [result({ required: [['files:read', 'files:write']], missing: ['files:read', 'files:write'] })], granted: [], rules: plain },
      expected: ['files:read', 'files:write'],
    },
    {
      description: 'alternatives: the one whose name says less (read before write), as minimal prefers',
      input: { results: [result({ required: [['tools:write'], ['tools:read']], missing: ['tools:write'] })], granted: [], rules: plain },
      expected: ['tools:read'],
    },
    {
      description: 'alternatives: the first listed when nothing else decides',
      input: { results: [result({ required: [['b:x'], ['a:x']], missing: ['b:x'] })], granted: [], rules: plain },
      expected: ['b:x'],
    },
    {
      description: 'alternatives shared by two endpoints: the one scope that serves both',
      input: {
        results: [result({ required: [['jobs:read'], ['usage:read']], missing: ['jobs:read'] }), result({ required: [['usage:read'], ['admin']], missing: ['usage:read'] })],
        granted: [],
        rules: plain,
      },
      expected: ['usage:read'],
    },
    {
      description: 'implication: the broader scope covers both endpoints',
      input: {
        results: [result({ required: [['videos:read']], missing: ['videos:read'] }), result({ required: [['videos:write']], missing: ['videos:write'] })],
        granted: [],
        rules: videoRules,
      },
      expected: ['videos:write'],
    },
    {
      description: 'what is granted is not asked again: only the rest of the group',
      input: { results: [result({ required: [['export:write', 'videos:read']], missing: ['export:write'] })], granted: ['videos:read'], rules: plain },
      expected: ['export:write'],
    },
    {
      description: 'a granted broad scope (GitHub repo) covers part of the group',
      input: { results: [result({ required: [['repo:status', 'gist']], missing: ['gist'] })], granted: ['repo'], rules: github },
      expected: ['gist'],
    },
    {
      description: 'an alternative already met by the granted scopes asks for nothing',
      input: { results: [result({ required: [['a', 'b'], ['c']], missing: ['a', 'b'] })], granted: ['c'], rules: plain },
      expected: [],
    },
    {
      description: 'what the response said the token holds counts as held for that endpoint',
      input: { results: [result({ required: [['x', 'y']], missing: ['y'], granted: ['x'] })], granted: [], rules: plain },
      expected: ['y'],
    },
    {
      description: 'results that lack nothing (ok, unknown scopes, errors) are left out',
      input: {
        results: [
          result({ outcome: 'ok', status: 200, required: [['never:asked']], missing: [] }),
          result({ outcome: 'error', status: null, required: [['also:never']], missing: [] }),
          result({ required: [['jobs:read']], missing: ['jobs:read'] }),
        ],
        granted: [],
        rules: plain,
      },
      expected: ['jobs:read'],
    },
  ];
  it.each(cases)('$description', ({ input, expected }) => {
    expect(scopesToAdd(input.results, input.granted, input.rules)).toEqual(expected);
  });

  /** scopesToAdd as one minimal() over every need: what solving independent parts apart must always equal. */
  function asOneProblem(results: readonly ProbeResult[], granted: readonly string[], rules: ScopeRules): string[] {
    const needs: string[][][] = [];
    const named: string[] = [];
    for (const entry of results) {
      if (entry.requiredKind !== undefined) continue;
      named.push(...entry.required.flat());
      if (entry.missing.length === 0) continue;
      const held = unionScopes(granted, entry.granted ?? [], rules);
      const reduced = entry.required.map((group) => group.filter((scope) => findCover(held, scope, rules) === undefined));
      if (reduced.length === 0 || reduced.some((group) => group.length === 0)) continue;
      needs.push(reduced);
    }
    if (needs.length === 0) return [];
    return minimal(needs, rules, { candidates: parseScopes(named) }).scopes.filter((scope) => findCover(granted, scope, rules) === undefined);
  }

  it('solves needs that share no scope apart, with the answer of solving them together (random needs, with and without implication)', () => {
    const scope = fc.constantFrom('a:read', 'a:write', 'b:read', 'b:write', 'admin', 'c', 'C', 'd:x', 'e');
    const group = fc.uniqueArray(scope, { minLength: 1, maxLength: 3 });
    const entry = fc.record({
      required: fc.array(group, { minLength: 1, maxLength: 3 }),
      missing: fc.boolean().map((lacking) => (lacking ? ['x'] : [])),
      granted: fc.option(fc.array(scope, { maxLength: 2 }), { nil: undefined }),
    });
    const ruleSets = [
      plain,
      compileRules({ implies: { 'a:write': ['a:read'], admin: ['a:write', 'b:write', 'd:x'], 'b:write': ['b:read'] } }),
      compileRules({ implies: { e: ['c'], 'd:x': ['e'] } }),
      compileRules({ preset: 'github' }),
    ];
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), fc.array(scope, { maxLength: 3 }), fc.nat(ruleSets.length - 1), (entries, granted, which) => {
        const rules = ruleSets[which]!;
        const results = entries.map(({ granted: held, ...rest }) => result({ ...rest, ...(held === undefined ? {} : { granted: held }) }));
        expect(scopesToAdd(results, granted, rules)).toEqual(asOneProblem(results, granted, rules));
      }),
      { numRuns: 400 },
    );
  });

  it('finds the scope of each of 500 endpoints that lack one of their own, and the broader one that serves two', () => {
    const results = Array.from({ length: 500 }, (_, i) => result({ required: [[`r${i}:read`]], missing: [`r${i}:read`] }));
    results.push(result({ required: [['r0:write']], missing: ['r0:write'] }));
    const rules = compileRules({ implies: { 'r0:write': ['r0:read'] } });
    const expected = [...Array.from({ length: 500 }, (_, i) => `r${i}:read`).slice(1), 'r0:write'].sort();
    expect(scopesToAdd(results, [], rules)).toEqual(expected);
  });
});

describe('probeEndpoints', () => {
  it('does not send an unsafe method, and judges it from its declared requirement', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, {}));
    const [judged] = await probeEndpoints(
      [{ method: 'POST', url: 'https://api.example.com/v1/videos/1/export', declared: [['export:write']] }],
      options({ fetch }),
    );
    expect(calls).toEqual([]);
    expect(judged).toMatchObject({ outcome: 'skipped', status: null, required: [['export:write']], missing: ['export:write'], requiredFrom: 'manifest' });
    expect(judged!.evidence.join('\n')).toContain('--allow-unsafe');
  });

  it('sends it with allowUnsafe', async () => {
    const { fetch, calls } = fakeFetch(() => json(202, { job: 1 }));
    const [sent] = await probeEndpoints([{ method: 'POST', url: 'https://api.example.com/v1/videos/1/export' }], options({ fetch, allowUnsafe: true }));
    expect(calls.map((call) => call.method)).toEqual(['POST']);
    expect(sent).toMatchObject({ outcome: 'ok', status: 202 });
  });

  it('says nothing is missing when the token scopes are unknown and only a manifest speaks', async () => {
    const { fetch } = fakeFetch(() => json(200, {}));
    const [judged] = await probeEndpoints([{ method: 'DELETE', url: 'https://api.example.com/v1/x', declared: [['x:write']] }], options({ fetch, grantedKnown: false, granted: [] }));
    expect(judged).toMatchObject({ outcome: 'skipped', missing: [] });
    expect(judged!.evidence.join('\n')).toContain('not known');
  });

  it('judges a target marked skip without calling it', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, {}));
    const [judged] = await probeEndpoints([{ method: 'GET', url: 'https://api.example.com/v1/jobs/{id}', declared: [['jobs:read']], skip: 'templated' }], options({ fetch }));
    expect(calls).toEqual([]);
    expect(judged).toMatchObject({ outcome: 'skipped', missing: ['jobs:read'], evidence: ['templated', expect.stringContaining('jobs:read')] });
  });

  it('follows a redirect within the origin with the token', async () => {
    const { fetch, calls } = fakeFetch((url) =>
      url.endsWith('/old') ? new Response(null, { status: 301, headers: { location: '/new' } }) : json(200, { ok: true }),
    );
    const [followed] = await probeEndpoints([{ method: 'GET', url: 'https://api.example.com/old' }], options({ fetch }));
    expect(calls.map((call) => [call.url, call.authorization])).toEqual([
      ['https://api.example.com/old', `Bearer ${TOKEN}`],
      ['https://api.example.com/new', `Bearer ${TOKEN}`],
    ]);
    expect(followed).toMatchObject({ outcome: 'ok', status: 200, finalUrl: 'https://api.example.com/new' });
  });

  it('does not follow a redirect to another origin: the token stays home', async () => {
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 302, headers: { location: 'https://elsewhere.example.net/landing' } }));
    const [refused] = await probeEndpoints([{ method: 'GET', url: 'https://api.example.com/go' }], options({ fetch }));
    expect(calls).toHaveLength(1);
    expect(refused).toMatchObject({ outcome: 'error', status: 302 });
    expect(refused!.evidence.join('\n')).toContain('redirected to another origin (https://elsewhere.example.net): not followed, the token was not sent');
  });

  it('treats a scheme change as another origin', async () => {
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 308, headers: { location: 'http://api.example.com/go' } }));
    const [refused] = await probeEndpoints([{ method: 'GET', url: 'https://api.example.com/go' }], options({ fetch }));
    expect(calls).toHaveLength(1);
    expect(refused!.outcome).toBe('error');
  });

  it('stops after five redirects', async () => {
    let n = 0;
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 302, headers: { location: `/hop${++n}` } }));
    const [looped] = await probeEndpoints([{ method: 'GET', url: 'https://api.example.com/start' }], options({ fetch }));
    expect(calls).toHaveLength(6);
    expect(looped).toMatchObject({ outcome: 'error', error: 'more than 5 redirects' });
  });

  it('reads a body only up to the cap', async () => {
    const big = 'x'.repeat(MAX_BODY_BYTES + 4096);
    const { fetch } = fakeFetch(() => new Response(big, { status: 200 }));
    const [read] = await probeEndpoints([{ method: 'GET', url: 'https://api.example.com/big' }], options({ fetch }));
    expect(read!.outcome).toBe('ok');
    expect(read!.warnings).toEqual([expect.stringContaining(`up to ${MAX_BODY_BYTES} bytes`)]);
  });

  it('says on each request that it reads at most its cap, within the guard\'s, and keeps to it on an endless body', async () => {
    const marks: unknown[] = [];
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('x'.repeat(64 * 1024)));
      },
    });
    const guarded = guardDeps(
      testDeps({
        env: {},
        fetch: async (_input, init) => (marks.push((init as CappedRequestInit)[READS_AT_MOST]), new Response(endless, { status: 200 })),
      }),
    );
    const [read] = await probeEndpoints([{ method: 'GET', url: 'http://127.0.0.1:1/endless' }], options({ fetch: guarded.fetch }));
    expect(marks).toEqual([MAX_BODY_BYTES]);
    expect(MAX_BODY_BYTES).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(read).toMatchObject({ outcome: 'ok', warnings: [expect.stringContaining(`up to ${MAX_BODY_BYTES} bytes`)] });
  });

  it('keeps at most `concurrency` requests in flight, and the results in target order', async () => {
    let inFlight = 0;
    let most = 0;
    const { fetch } = fakeFetch(async (url) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5 + (url.length % 3)));
      inFlight--;
      return json(200, {});
    });
    const targets = Array.from({ length: 12 }, (_, i) => ({ method: 'GET', url: `https://api.example.com/item/${i}` }));
    const results = await probeEndpoints(targets, options({ fetch, concurrency: 3 }));
    expect(most).toBe(3);
    expect(results.map((entry) => entry.url)).toEqual(targets.map((target) => target.url));
  });

  it('turns a timeout and a network failure into errors', async () => {
    const { fetch } = fakeFetch((url, init) => {
      if (url.endsWith('/refused')) return Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' } }));
      return new Promise<Response>((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)));
    });
    const results = await probeEndpoints(
      [
        { method: 'GET', url: 'https://api.example.com/slow' },
        { method: 'GET', url: 'https://api.example.com/refused' },
      ],
      options({ fetch, timeoutMs: 50 }),
    );
    expect(results.map((entry) => [entry.outcome, entry.status, entry.error])).toEqual([
      ['error', null, 'no answer within 0.1 s'],
      ['error', null, 'connection refused (connect ECONNREFUSED 127.0.0.1:9)'],
    ]);
  });

  it('counts a 5xx as an error, whatever it says', async () => {
    const { fetch } = fakeFetch(() => json(503, { error: 'insufficient_scope', scope: 'a' }));
    const [failed] = await probeEndpoints([{ method: 'GET', url: 'https://api.example.com/x' }], options({ fetch }));
    expect(failed).toMatchObject({ outcome: 'error', status: 503, missing: [] });
  });

  it('shows the start of the body when no reader reads a refusal (GitHub answers 404 for what a token may not see)', async () => {
    // The body GitHub sent a token lacking access, quoted in https://github.com/PyGithub/PyGithub/issues/2919; GitHub
    // answers 404 rather than 403 for resources a token may not see (https://github.com/gr2m/octokit-plugin-create-pull-request/issues/20).
    const body = { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/actions/self-hosted-runners#list-self-hosted-runners-for-a-repository' };
    const { fetch } = fakeFetch(() => json(404, body));
    const [notFound] = await probeEndpoints([{ method: 'GET', url: 'https://api.github.test/repos/o/r/actions/runners' }], options({ fetch }));
    expect(notFound).toMatchObject({ outcome: 'error', status: 404, error: 'the server answered HTTP 404' });
    expect(notFound!.evidence).toContain(`body begins: ${JSON.stringify(body)}`);
  });

  it('shows the start of a 5xx body too: redacted, control characters escaped, cut short', async () => {
    const page = `<html>\n<body>\u001b[31mupstream failed for ${TOKEN}</body></html>${'x'.repeat(5000)}`;
    const { fetch } = fakeFetch(() => new Response(page, { status: 502, headers: { 'content-type': 'text/html' } }));
    const [failed] = await probeEndpoints([{ method: 'GET', url: 'https://api.example.com/x' }], options({ fetch }));
    expect(failed).toMatchObject({ outcome: 'error', status: 502 });
    const start = failed!.evidence.find((line) => line.startsWith('body begins: '));
    // 200 characters of the body after redaction (the escape is one character there, four once escaped).
    expect(start).toBe(`body begins: <html> <body>\\x1b[31mupstream failed for [redacted]</body></html>${'x'.repeat(138)}…`);
    expect(JSON.stringify(failed)).not.toContain(TOKEN);
  });

  it('redacts the token before cutting the body: no first characters of it are left at the cut', async () => {
    const { fetch } = fakeFetch(() => new Response(`${'x'.repeat(180)} ${TOKEN}`, { status: 400 }));
    const [failed] = await probeEndpoints([{ method: 'GET', url: 'https://api.example.com/x' }], options({ fetch }));
    expect(failed!.evidence).toContain(`body begins: ${'x'.repeat(180)} [redacted]`);
    expect(JSON.stringify(failed)).not.toContain(TOKEN.slice(0, 9));
  });

  it('keeps ok for a 2xx the manifest says needs more, with a note', async () => {
    const { fetch } = fakeFetch(() => json(200, {}));
    const [ok] = await probeEndpoints([{ method: 'GET', url: 'https://api.example.com/x', declared: [['admin']] }], options({ fetch }));
    expect(ok).toMatchObject({ outcome: 'ok', missing: [] });
    expect(ok!.evidence.join('\n')).toContain('the manifest may be out of date');
  });

  it('falls back to the manifest when the refusal names no scope (Microsoft Graph)', async () => {
    const graph = { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } };
    const { fetch } = fakeFetch(() => json(403, graph));
    const [fallback, unknown] = await probeEndpoints(
      [
        { method: 'GET', url: 'https://graph.example.com/me', declared: [['User.Read']] },
        { method: 'GET', url: 'https://graph.example.com/me/2' },
      ],
      options({ fetch }),
    );
    expect(fallback).toMatchObject({ outcome: 'missing_scope', required: [['User.Read']], missing: ['User.Read'], requiredFrom: 'manifest', dialect: 'microsoft-graph' });
    expect(fallback!.evidence.join('\n')).toContain('from the manifest');
    expect(unknown).toMatchObject({ outcome: 'forbidden', required: [], missing: [] });
  });

  it('computes missing with alternatives and implication rules', async () => {
    const rules = compileRules({ preset: 'github' });
    const { fetch } = fakeFetch(() => json(403, { message: 'nope' }, { 'x-accepted-oauth-scopes': 'repo:status, admin:org', 'x-oauth-scopes': 'gist' }));
    const [held] = await probeEndpoints([{ method: 'GET', url: 'https://api.github.test/x' }], options({ fetch, rules, granted: ['repo'] }));
    // `repo` covers `repo:status`, so GitHub's refusal has another cause: nothing is missing.
    expect(held).toMatchObject({ required: [['repo:status'], ['admin:org']], missing: [] });
  });

  it('never puts the token in evidence', async () => {
    const { fetch } = fakeFetch(() => json(403, { error: 'insufficient_scope', error_description: `bad token ${TOKEN}`, scope: 'a' }));
    const [refused] = await probeEndpoints([{ method: 'GET', url: 'https://api.example.com/x' }], options({ fetch }));
    expect(JSON.stringify(refused)).not.toContain(TOKEN);
    expect(refused!.evidence.join('\n')).toContain('[redacted]');
  });

  describe('RFC 9728 resource metadata', () => {
    const challenge = (metadata: string) => ({ 'www-authenticate': `Bearer error="insufficient_scope", scope="a", resource_metadata="${metadata}"` });

    it('reports scopes_supported from a document whose resource is the URL requested, never as required', async () => {
      const { fetch, calls } = fakeFetch((url) =>
        url.includes('/.well-known/')
          ? json(200, { resource: 'https://api.example.com/v1/x', scopes_supported: ['a', 'b', 'c'] })
          : json(403, {}, challenge('https://api.example.com/.well-known/oauth-protected-resource/v1/x')),
      );
      const [found] = await probeEndpoints([{ method: 'GET', url: 'https://api.example.com/v1/x' }], options({ fetch }));
      expect(found).toMatchObject({
        required: [['a']],
        missing: ['a'],
        resourceMetadata: { url: 'https://api.example.com/.well-known/oauth-protected-resource/v1/x', resource: 'https://api.example.com/v1/x', scopesSupported: ['a', 'b', 'c'], valid: true },
      });
      expect(calls[1]!.authorization).toBeNull();
    });

    it('does not use a document whose resource is another URL', async () => {
      const { fetch } = fakeFetch((url) =>
        url.includes('/.well-known/') ? json(200, { resource: 'https://api.example.com/', scopes_supported: ['z'] }) : json(403, {}, challenge('https://api.example.com/.well-known/oauth-protected-resource/v1/x')),
      );
      const [found] = await probeEndpoints([{ method: 'GET', url: 'https://api.example.com/v1/x' }], options({ fetch }));
      expect(found!.resourceMetadata).toMatchObject({ valid: false, resource: 'https://api.example.com/', problem: expect.stringContaining('RFC 9728 §3.3') });
      expect(found!.resourceMetadata!.scopesSupported).toBeUndefined();
    });

    it('does not fetch plain http metadata off loopback', async () => {
      const { fetch, calls } = fakeFetch(() => json(403, {}, challenge('http://api.example.com/.well-known/oauth-protected-resource')));
      const [found] = await probeEndpoints([{ method: 'GET', url: 'https://api.example.com/v1/x' }], options({ fetch }));
      expect(calls).toHaveLength(1);
      expect(found!.resourceMetadata).toMatchObject({ valid: false, problem: expect.stringContaining('not an https URL') });
    });

    it('fetches one document once for many endpoints', async () => {
      const { fetch, calls } = fakeFetch((url) =>
        url.includes('/.well-known/') ? json(200, { resource: 'https://api.example.com' }) : json(403, {}, challenge('https://api.example.com/.well-known/oauth-protected-resource')),
      );
      await probeEndpoints(
        [1, 2, 3].map((i) => ({ method: 'GET', url: `https://api.example.com/v${i}` })),
        options({ fetch, concurrency: 1 }),
      );
      expect(calls.filter((call) => call.url.includes('/.well-known/'))).toHaveLength(1);
    });
  });
});
