/**
 * The guard every run goes through (main.ts and runCli wrap the Deps once): it is where secrets enter and leave.
 * - Output: stdout and stderr pass the SecretRedactor, so no line (the report, --json, the --verbose trace, an error
 *   message quoting a server) can carry a secret the run holds. `scopes token` alone prints one, via `writeSecret`.
 * - Secrets are learnt where they come in: the secret store's reads, SCOPES_TOKEN / SCOPES_REFRESH_TOKEN, every
 *   credential an outgoing request carries (Authorization header, client_secret, refresh_token, token, …) and every
 *   token a token endpoint answers with.
 * - A request that carries a credential never goes over plain http to a host that is not loopback (unless the
 *   command was given --allow-insecure), whatever code path built it.
 * - Every response body is capped while it is read (capResponse): discovery, token, JWKS, introspection, userinfo
 *   (openid-client reads them through this fetch); probed APIs are cut by the probe engine's own reading, which says
 *   so on its request (READS_AT_MOST).
 * - The lean client probe calls endpoints with (Deps.request) passes the same rules: credentials learnt, the transport
 *   rule, its read cap held within the same 2 MiB. With the HTTP trace on it is left out, so every call is traced.
 */
import type { Deps, LeanRequestInit, OutputStream } from '../deps.js';
import { UsageError } from '../errors.js';
import { capResponse, READS_AT_MOST, type CappedRequestInit } from './bounded.js';
import { SecretRedactor } from './redact.js';
import type { SecretStore } from './store/types.js';
import { isExposedTransport } from './transport.js';

/** No answer a CLI reads (discovery, JWKS, tokens; probed bodies are cut at 1 MiB by the engine) is bigger. */
export const MAX_RESPONSE_BYTES = 2 * 1024 * 1024;

/** Form parameters whose value is a credential. */
const CREDENTIAL_PARAMETERS = ['client_secret', 'client_assertion', 'refresh_token', 'code', 'code_verifier', 'token', 'device_code', 'password', 'assertion', 'subject_token', 'actor_token'];
const ISSUED_TOKENS = ['access_token', 'refresh_token', 'id_token'];

export interface Guard {
  readonly redactor: SecretRedactor;
  /** Set by a command given --allow-insecure. */
  allowInsecure: boolean;
}

const GUARD = Symbol.for('scopes.guard');
type GuardedDeps = Deps & { [GUARD]?: Guard };

export const guardOf = (deps: Deps): Guard | undefined => (deps as GuardedDeps)[GUARD];

/** `--allow-insecure`: credentials may go over plain http to this run's hosts. */
export function permitInsecure(deps: Deps): void {
  const guard = guardOf(deps);
  if (guard) guard.allowInsecure = true;
}

/** Tells the redaction layer about a secret that came in by another way (a `--token`, stdin). */
export function registerSecret(deps: Deps, value: string | undefined): void {
  guardOf(deps)?.redactor.add(value);
}

function redactingStream(stream: OutputStream, redactor: SecretRedactor): OutputStream {
  return {
    isTTY: stream.isTTY,
    color: stream.color,
    columns: stream.columns,
    write: (text) => stream.write(redactor.redact(text)),
    writeSecret: (text) => stream.write(text),
  };
}

function registeringStore(store: SecretStore, redactor: SecretRedactor): SecretStore {
  const wrapped = Object.create(store) as SecretStore;
  (wrapped as { read: SecretStore['read'] }).read = async (key) => {
    const secrets = await store.read(key);
    if (secrets) for (const value of [secrets.accessToken, secrets.refreshToken, secrets.idToken]) redactor.add(value);
    return secrets;
  };
  (wrapped as { write: SecretStore['write'] }).write = async (key, secrets) => {
    for (const value of [secrets.accessToken, secrets.refreshToken, secrets.idToken]) redactor.add(value);
    return store.write(key, secrets);
  };
  return wrapped;
}

function bodyText(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  return undefined;
}

/** What the guard reads of a request's headers. */
interface HeaderLookup {
  get(name: string): string | null;
}

/** HTTP whitespace, which Headers strips from both ends of a value (Fetch standard, "normalize"). */
const HTTP_WHITESPACE_ENDS = /^[\t\n\r ]+|[\t\n\r ]+$/g;

/**
 * The headers of `init` as Headers would read them (names in any case, repeated ones joined with ", ", values
 * trimmed), without building a Headers for a plain record: the probe engine sends thousands of requests, each with a
 * record of two headers. Any other form (Headers, pairs, an iterable) goes through Headers itself.
 */
function headerLookup(headers: RequestInit['headers']): HeaderLookup {
  if (headers === undefined || headers === null) return { get: () => null };
  if (headers instanceof Headers || Array.isArray(headers) || typeof headers !== 'object' || Symbol.iterator in headers) return new Headers(headers);
  const record = headers as Record<string, unknown>;
  return {
    get: (name) => {
      const values: string[] = [];
      for (const key of Object.keys(record)) if (key.toLowerCase() === name) values.push(String(record[key]).replace(HTTP_WHITESPACE_ENDS, ''));
      return values.length === 0 ? null : values.join(', ');
    },
  };
}

/** A request carrying a credential goes over plain http only to loopback, unless the command was given --allow-insecure. */
function refuseExposedCredential(url: URL, carries: boolean, guard: Guard): void {
  if (carries && !guard.allowInsecure && isExposedTransport(url)) {
    throw new UsageError(`Refusing to send a credential over plain http to ${url.origin} (${url.origin}${url.pathname}): anyone on the way could read it.`, {
      hint: 'Use https; --allow-insecure (probe, check) sends it anyway, on a network you trust.',
    });
  }
}

/** Learns the credentials a request carries. @returns whether it carries any. */
function learnRequestCredentials(request: { readonly headers: HeaderLookup }, body: string | undefined, redactor: SecretRedactor): boolean {
  let carries = false;
  const authorization = request.headers.get('authorization');
  if (authorization) {
    carries = true;
    const [scheme, value = ''] = authorization.split(/\s+/, 2);
    redactor.add(value);
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) {
        // RFC 6749 §2.3.1: both halves are form-urlencoded before encoding.
        const decode = (text: string) => {
          try {
            return decodeURIComponent(text.replace(/\+/g, ' '));
          } catch {
            return text;
          }
        };
        redactor.add(decode(decoded.slice(colon + 1)));
        redactor.add(decoded.slice(colon + 1));
      }
    }
  }
  for (const name of ['dpop', 'x-api-key']) if (request.headers.get(name)) carries = true;
  if (body !== undefined) {
    const parameters = new URLSearchParams(body);
    for (const name of CREDENTIAL_PARAMETERS) {
      for (const value of parameters.getAll(name)) {
        carries = true;
        redactor.add(value);
      }
    }
  }
  return carries;
}

async function learnIssuedTokens(response: Response, redactor: SecretRedactor): Promise<void> {
  try {
    const json = JSON.parse(await response.clone().text()) as Record<string, unknown>;
    if (typeof json === 'object' && json !== null) for (const name of ISSUED_TOKENS) redactor.add(json[name]);
  } catch {
    // not JSON (an error page), or over the cap: no token to learn, and the reader of the original finds out
  }
}

function guardedFetch(inner: typeof fetch, guard: Guard): typeof fetch {
  return async (input, init) => {
    // A URL and headers are all the guard reads: a whole Request (signal, body, cache mode…) only for a Request input,
    // whose headers init may extend. Building one per call cost as much as the call itself on loopback.
    const request = typeof input === 'string' || input instanceof URL ? { url: String(input), headers: headerLookup(init?.headers) } : new Request(input, init);
    const body = bodyText(init?.body);
    const carries = learnRequestCredentials(request, body, guard.redactor);
    const url = new URL(request.url);
    refuseExposedCredential(url, carries, guard);
    const response = capResponse(await inner(input, init), `${url.origin}${url.pathname}`, MAX_RESPONSE_BYTES, (init as CappedRequestInit | undefined)?.[READS_AT_MOST]);
    if (body !== undefined && new URLSearchParams(body).has('grant_type')) await learnIssuedTokens(response, guard.redactor);
    return response;
  };
}

/** The same rules for the lean client: credentials learnt, none over plain http off loopback, the body within the cap. */
function guardedRequest(inner: NonNullable<Deps['request']>, guard: Guard): NonNullable<Deps['request']> {
  return async (target, init) => {
    const carries = learnRequestCredentials({ headers: headerLookup(init.headers) }, undefined, guard.redactor);
    refuseExposedCredential(new URL(target), carries, guard);
    const capped: LeanRequestInit = { ...init, maxBytes: Math.min(Number.isFinite(init.maxBytes) && init.maxBytes >= 0 ? init.maxBytes : MAX_RESPONSE_BYTES, MAX_RESPONSE_BYTES) };
    return inner(target, capped);
  };
}

/**
 * The Deps every command gets: redacting streams, a guarded fetch, stores whose secrets are known to the redactor.
 * Idempotent: guarding guarded Deps returns them unchanged.
 * @param traceTo when the HTTP trace is wanted, the fetch to wrap with it, given the redacting stderr.
 */
export function guardDeps(deps: Deps, traceTo?: (err: OutputStream) => (inner: typeof fetch) => typeof fetch): Deps {
  if (guardOf(deps)) return deps;
  const guard: Guard = { redactor: new SecretRedactor(), allowInsecure: false };
  for (const name of ['SCOPES_TOKEN', 'SCOPES_REFRESH_TOKEN']) guard.redactor.add(deps.env[name]);
  const io = { ...deps.io, out: redactingStream(deps.io.out, guard.redactor), err: redactingStream(deps.io.err, guard.redactor) };
  const traced = traceTo ? traceTo(io.err)(deps.fetch) : deps.fetch;
  const guarded: GuardedDeps = {
    ...deps,
    io,
    fetch: guardedFetch(traced, guard),
    // The HTTP trace wraps fetch only: with it on, the lean client is left out and fetch does its work.
    ...(deps.request === undefined || traceTo !== undefined ? { request: undefined } : { request: guardedRequest(deps.request, guard) }),
    store: (kind) => registeringStore(deps.store(kind), guard.redactor),
    [GUARD]: guard,
  };
  return guarded;
}
