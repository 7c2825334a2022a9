/**
 * Microsoft Entra ID (Azure AD) and Microsoft Graph.
 *
 * Setup: register an application (Entra admin center → App registrations) as a public client with the redirect URI
 * `http://localhost`, then `scopes login --provider entra --tenant <tenant id or domain> --client-id <id>`.
 * Tokens are issued per tenant: the issuer is `https://login.microsoftonline.com/<tenant>/v2.0`, and the
 * `common` / `organizations` endpoints answer with a templated issuer that no OpenID client accepts, so a tenant is
 * required. Scopes are requested as `<resource>/<permission>` (`https://graph.microsoft.com/Mail.Read`) and granted
 * bare in `scp`; `<resource>/.default` asks for every permission consented for the resource.
 * @see https://learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc
 * @see https://learn.microsoft.com/en-us/graph/permissions-reference
 * @see https://learn.microsoft.com/en-us/graph/errors
 */
import {
  alternatives,
  finding,
  get,
  indexOfIgnoringCase,
  jsonEvidence,
  text,
  type Finding,
  type ResponseReader,
  type ResponseView,
} from '../core/response.js';
import { asDialect as toDialect } from '../core/response.js';
import { parseScopes } from '../core/scopes.js';
import type { Provider } from './types.js';

/*
 * Entra ID (Azure AD), Microsoft identity platform v2.
 * Documented by Microsoft: a scope is requested as `<resource>/<permission>` (`https://graph.microsoft.com/Mail.Read`)
 * while the token's `scp` / `roles` carry the bare permission (`Mail.Read`); `<resource>/.default` asks for every
 * permission statically consented for that resource. Observed, not a documented guarantee: permission names compare
 * case-insensitively (standards.md §4), and percent-encoded scopes appear in Microsoft's own samples.
 * NOT documented as a general rule: `X.ReadWrite` ⊇ `X.Read`, `X.Read.All` ⊇ `X.Read`, `X.Read` ⊇ `X.ReadBasic`.
 * Microsoft Graph's per-API permission tables list the broader forms as "higher privileged permissions" for the same
 * call, which is where the pattern comes from; a particular API may differ.
 * A bare permission has no resource: one token has one audience, so it is taken to be the resource in question.
 */
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const GRAPH_RESOURCE = 'https://graph.microsoft.com';
const OIDC_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'email', 'offline_access']);

interface EntraScope {
  readonly resource: string | undefined;
  readonly name: string;
}

function entraParse(scope: string): EntraScope {
  let text = scope;
  if (/%[0-9a-f]{2}/i.test(text)) {
    try {
      text = decodeURIComponent(text);
    } catch {
      // A stray `%` is not an encoding; keep the scope as sent.
    }
  }
  const slash = text.lastIndexOf('/');
  if (slash <= 0 || slash === text.length - 1) return { resource: undefined, name: text.toLowerCase() };
  let resource = text.slice(0, slash).toLowerCase().replace(/\/+$/, '');
  if (resource === GRAPH_APP_ID) resource = GRAPH_RESOURCE;
  return { resource, name: text.slice(slash + 1).toLowerCase() };
}

const entraNormalize = (scope: string): string => entraParse(scope).name;

const sameResource = (a: string | undefined, b: string | undefined): boolean =>
  a === undefined || b === undefined || a === b;

const ENTRA_RIGHTS_BELOW: ReadonlyMap<string, readonly string[]> = new Map([
  ['readwrite', ['read', 'readbasic']],
  ['read', ['readbasic']],
]);

const entraContains = (granted: string, needed: string): boolean => {
  const have = entraParse(granted);
  const want = entraParse(needed);
  if (!sameResource(have.resource, want.resource)) return false;
  // `.default` names no permission itself: holding it holds the resource's permissions, and any permission of the
  // resource shows that a `.default` request was answered.
  if (have.name === '.default') return !OIDC_SCOPES.has(want.name);
  if (want.name === '.default') return !OIDC_SCOPES.has(have.name);
  const [haveEntity, haveRight, ...haveRest] = have.name.split('.');
  const [wantEntity, wantRight, ...wantRest] = want.name.split('.');
  if (!haveEntity || !haveRight || haveEntity !== wantEntity || wantRight === undefined) return false;
  const rightCovered = haveRight === wantRight || (ENTRA_RIGHTS_BELOW.get(haveRight)?.includes(wantRight) ?? false);
  const haveQualifier = haveRest.join('.');
  const wantQualifier = wantRest.join('.');
  const qualifierCovered = haveQualifier === wantQualifier || (haveQualifier === 'all' && wantQualifier === '');
  return rightCovered && qualifierCovered;
};


// ---------------------------------------------------------------------------------------------------------------
// Readers (Microsoft Graph)

const REQUIRES_ONE_OF = 'api requires one of';
const MISSING_PERMISSION_SCOPE = 'missing permission scope';
const SCOPES_ON_REQUEST = 'scopes on the request';
const GRAPH_DENIED = new Set(['Authorization_RequestDenied', 'ErrorAccessDenied']);
/** Codes that say the token lacks a permission without naming it. */
const GRAPH_SCOPE_CODES = new Set(['AccessDenied', 'ErrorInsufficientPermissionsInAccessToken', 'PermissionScopeNotGranted']);

/** `'A, B, C'` after `phrase` (quoted), or `A,B,C.` to the end of the sentence. */
const listAfter = (message: string, phrase: string): string[] | undefined => {
  const found = indexOfIgnoringCase(message, phrase);
  if (found === -1) return undefined;
  let rest = message.slice(found + phrase.length).trimStart();
  const quote = rest[0];
  if (quote === "'" || quote === '"') {
    const close = rest.indexOf(quote, 1);
    if (close === -1) return undefined;
    rest = rest.slice(1, close);
  } else {
    const end = rest.search(/\.(\s|$)|["']/);
    rest = (end === -1 ? rest : rest.slice(0, end)).replace(/\.+$/, '');
  }
  return parseScopes(rest, { commas: true });
};

/** The message, and the inner message when Graph wrapped a service's JSON error in it (`{"errorCode":…}`). */
const graphMessages = (error: unknown): { code?: string; message: string; innerCode?: string }[] => {
  const code = text(get(error, 'code'));
  const message = text(get(error, 'message'));
  if (message === undefined) return code === undefined ? [] : [{ code, message: '' }];
  const out: { code?: string; message: string; innerCode?: string }[] = [{ ...(code === undefined ? {} : { code }), message }];
  if (message.trimStart().startsWith('{') && message.length < 65_536) {
    try {
      const inner = JSON.parse(message) as unknown;
      const innerMessage = text(get(inner, 'message')) ?? text(get(inner, 'Message'));
      const innerCode = text(get(inner, 'errorCode')) ?? text(get(inner, 'ErrorCode'));
      // The wrapped service's own message is the one to quote: read it first.
      if (innerMessage !== undefined) out.unshift({ ...(code === undefined ? {} : { code }), message: innerMessage, ...(innerCode === undefined ? {} : { innerCode }) });
    } catch {
      // Not JSON after all: the outer message is all there is.
    }
  }
  return out;
};

const graph = (view: ResponseView): Finding | null => {
  if (view.status !== 403 && view.status !== 401) return null;
  const error = get(view.json, 'error');
  const code = text(get(error, 'code'));
  if (code === undefined) return null;
  const dialect = 'microsoft-graph';
  const innerCode = text(get(get(error, 'innerError'), 'code'));
  for (const { message, innerCode: wrappedCode } of graphMessages(error)) {
    // "Missing scope permissions on the request. API requires one of 'A, B'. Scopes on the request 'C, D'"
    // "Authorization failed due to missing permission scope A,B,C." (a service's error wrapped by Graph)
    const named = listAfter(message, REQUIRES_ONE_OF) ?? listAfter(message, MISSING_PERMISSION_SCOPE);
    if (named === undefined || named.length === 0) continue;
    const granted = listAfter(message, SCOPES_ON_REQUEST);
    const evidence = [view.evidence(`body ${jsonEvidence({ error: { code, ...(wrappedCode === undefined ? {} : { errorCode: wrappedCode }), message } })}`)];
    return finding(view, { outcome: 'missing_scope', required: alternatives(named), evidence, dialect }, {
      granted,
      note:
        named.length > 1
          ? 'Microsoft Graph lists the permissions that would each do (least privileged first): any one of them suffices.'
          : undefined,
    });
  }
  const message = text(get(error, 'message'));
  const evidence = [view.evidence(`body ${jsonEvidence({ error: { code, ...(message === undefined ? {} : { message }), ...(innerCode === undefined ? {} : { innerError: { code: innerCode } }) } })}`)];
  if (GRAPH_SCOPE_CODES.has(code) || (innerCode !== undefined && GRAPH_SCOPE_CODES.has(innerCode))) {
    return finding(view, { outcome: 'missing_scope', required: [], evidence, dialect }, {
      note: 'Microsoft Graph says a permission (scope) is missing without naming it: see the permissions table of the API in its reference.',
    });
  }
  if (view.status === 403 && GRAPH_DENIED.has(code)) {
    return finding(view, { outcome: 'forbidden', required: [], evidence, dialect }, {
      note: "Microsoft Graph does not name the missing scope (permission); the manifest's declared scopes are the fallback.",
    });
  }
  return null;
};

export const ENTRA_READERS: readonly ResponseReader[] = [
  {
    dialect: 'microsoft-graph',
    reads: `"API requires one of 'A, B'" and PermissionScopeNotGranted (alternatives); AccessDenied (a scope, unnamed); Authorization_RequestDenied (refused)`,
    read: graph,
  },
];

const TENANT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+)$/i;

export const entra: Provider = {
  id: 'entra',
  name: 'Microsoft Entra ID / Microsoft Graph',
  aliases: ['microsoft', 'azure-ad'],
  docs: ['https://learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc', 'https://learn.microsoft.com/en-us/graph/permissions-reference'],
  readers: ENTRA_READERS,
  rules: { normalize: entraNormalize, contains: entraContains },
  login: {
    issuer: 'https://login.microsoftonline.com/{tenant}/v2.0',
    slots: [{ name: 'tenant', description: 'the directory (tenant) id, or a verified domain such as contoso.onmicrosoft.com', pattern: TENANT }],
    scopeSeparator: ' ',
    defaultScopes: ['openid', 'offline_access'],
    quirks: [
      'One tenant per issuer: the common / organizations endpoints advertise a templated issuer no client can validate.',
      'Ask for <resource>/.default to get every permission consented for a resource; .default cannot be mixed with that resource\'s named permissions.',
      'Permissions are requested with the resource prefix (https://graph.microsoft.com/Mail.Read) and granted bare (scp: Mail.Read).',
      'A token has one audience: ask for one resource\'s scopes per token.',
    ],
  },
  catalogue: {
    'User.Read': 'Sign in and read the signed-in user\'s profile',
    'User.ReadBasic.All': 'Read all users\' basic profiles',
    'User.Read.All': 'Read all users\' full profiles',
    'Mail.Read': 'Read the user\'s mail',
    'Mail.Send': 'Send mail as the user',
    'Calendars.Read': 'Read the user\'s calendars',
    'Files.Read': 'Read the user\'s files',
    'Files.ReadWrite': 'Have full access to the user\'s files',
    'Group.Read.All': 'Read all groups',
    'Directory.Read.All': 'Read directory data',
    offline_access: 'Maintain access to data you have given it access to (a refresh token)',
  },
};

/** Microsoft Graph 403s: named permissions (alternatives), unnamed scope refusals, and plain refusals. */
export const readMicrosoftGraph = toDialect(graph);
