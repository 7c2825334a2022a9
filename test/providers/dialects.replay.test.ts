/**
 * Issue 9, section 2: every dialect read from a REAL response, replayed byte for byte by an HTTP server on loopback and
 * probed through the engine with the platform's fetch, so `required` (all-of vs any-of), `missing` and `evidence` are
 * checked end to end. Each vector cites where the response was published; where only the message was published, the
 * envelope is the provider's documented error shape and the vector says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeEndpoints, scopesToAdd, type ProbeResult } from '../../src/probe/engine.js';
import { renderProbe } from '../../src/render/probe.js';
import type { Style } from '../../src/render/style.js';
import { compileRules } from '../../src/providers/index.js';
import { startReplayServer, type RecordedResponse, type ReplayServer } from '../support/replay-server.js';

interface Replayed {
  readonly name: string;
  /** Where the response was published. */
  readonly source: string;
  readonly response: RecordedResponse;
  /** The token's scopes as the caller knows them; [] when none. */
  readonly granted?: readonly string[];
  /** What a manifest declares for the endpoint (the fallback when the response names nothing). */
  readonly declared?: string[][];
  readonly preset?: string;
  /** What `scopes probe` prints for a person: each string must appear in the rendered report. */
  readonly human?: readonly string[];
  readonly expected: Partial<ProbeResult> & {
    readonly outcome: ProbeResult['outcome'];
    readonly required: string[][];
    readonly missing: string[];
    /** Substrings, each of which some evidence line must contain. */
    readonly evidence: readonly string[];
  };
}

const TOKEN = 'replay-token-0123456789abcdef';
const same = (text: string): string => text;
const PLAIN: Style = { ok: same, bad: same, warn: same, dim: same, bold: same, code: same };

const VECTORS: readonly Replayed[] = [
  {
    name: 'Microsoft Graph: "API requires one of" (named, any of)',
    human: ["ChannelMessage.Read.All", "To fix: scopes login --add-scope \"ChannelMessage.Read.All\""],
    source: 'https://github.com/12Knocksinna/Office365itpros/issues/116 (message and status; the envelope is Graph\'s error shape)',
    response: {
      status: 403,
      body: {
        error: {
          code: 'Forbidden',
          message:
            "Missing scope permissions on the request. API requires one of 'ChannelMessage.Read.All'. Scopes on the request 'ChannelMessage.ReadWrite, ChannelSettings.Read.All, Team.ReadBasic.All, TeamMember.Read.All, User.Read'",
          innerError: { date: '2024-08-08T10:00:00', 'request-id': '00000000-0000-0000-0000-000000000000' },
        },
      },
    },
    preset: 'entra',
    expected: {
      outcome: 'missing_scope',
      dialect: 'microsoft-graph',
      required: [['ChannelMessage.Read.All']],
      missing: ['ChannelMessage.Read.All'],
      granted: ['ChannelMessage.ReadWrite', 'ChannelSettings.Read.All', 'Team.ReadBasic.All', 'TeamMember.Read.All', 'User.Read'],
      evidence: ["API requires one of 'ChannelMessage.Read.All'"],
    },
  },
  {
    name: 'Microsoft Graph: PermissionScopeNotGranted wrapped in the message (named, any of)',
    human: ["To fix: scopes login --add-scope \"PrivilegedEligibilitySchedule.Read.AzureADGroup\""],
    source: 'https://github.com/kayasax/EasyPIM/issues/37',
    response: {
      status: 403,
      body: {
        error: {
          code: 'UnknownError',
          message:
            '{"errorCode":"PermissionScopeNotGranted","message":"Authorization failed due to missing permission scope PrivilegedEligibilitySchedule.Read.AzureADGroup,PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup,PrivilegedAccess.Read.AzureADGroup,PrivilegedAccess.ReadWrite.AzureADGroup.","instanceAnnotations":[]}',
          innerError: { date: '2024-03-28T07:04:50', 'request-id': '09dd9fb3-b166-4e7e-ae19-03054b2435bf' },
        },
      },
    },
    expected: {
      outcome: 'missing_scope',
      dialect: 'microsoft-graph',
      required: [
        ['PrivilegedEligibilitySchedule.Read.AzureADGroup'],
        ['PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup'],
        ['PrivilegedAccess.Read.AzureADGroup'],
        ['PrivilegedAccess.ReadWrite.AzureADGroup'],
      ],
      missing: ['PrivilegedEligibilitySchedule.Read.AzureADGroup'],
      evidence: ['"errorCode":"PermissionScopeNotGranted"', 'missing permission scope PrivilegedEligibilitySchedule.Read.AzureADGroup'],
    },
  },
  {
    name: 'Microsoft Graph: AccessDenied, no name (a scope problem; the manifest fills in)',
    human: ["To fix: scopes login --add-scope \"Policy.Read.All\""],
    source: 'https://github.com/AlexFilipin/ConditionalAccess/issues/10',
    response: {
      status: 403,
      body: {
        error: {
          code: 'AccessDenied',
          message: 'You cannot perform the requested operation, required scopes are missing in the token.',
          innerError: { date: '2020-10-15T12:44:40', 'request-id': '76d8b152-ffff-4286-8181-89a33effcc38' },
        },
      },
    },
    declared: [['Policy.Read.All']],
    expected: {
      outcome: 'missing_scope',
      dialect: 'microsoft-graph',
      required: [['Policy.Read.All']],
      requiredFrom: 'manifest',
      missing: ['Policy.Read.All'],
      evidence: ['"code":"AccessDenied"', 'required scopes are missing in the token', 'required is from the manifest: Policy.Read.All'],
    },
  },
  {
    name: 'Auth0 Management API: "Insufficient scope, expected any of" (any of)',
    human: ["To fix: scopes login --add-scope \"read:users\""],
    source: 'https://github.com/raster-foundry/raster-foundry/issues/2030',
    response: {
      status: 403,
      body: { statusCode: 403, error: 'Forbidden', message: 'Insufficient scope, expected any of: read:users,read:current_user,read:user_idp_tokens', errorCode: 'insufficient_scope' },
    },
    expected: {
      outcome: 'missing_scope',
      dialect: 'auth0',
      required: [['read:users'], ['read:current_user'], ['read:user_idp_tokens']],
      missing: ['read:users'],
      evidence: ['Insufficient scope, expected any of: read:users,read:current_user,read:user_idp_tokens'],
    },
  },
  {
    name: 'Dropbox: error.required_scope on a 401',
    human: ["To fix: scopes login --add-scope \"files.content.write\""],
    source: 'https://github.com/andreafabrizi/Dropbox-Uploader/issues/514',
    response: {
      status: 401,
      headers: { 'Www-Authenticate': 'Bearer realm="Dropbox-API"', 'X-Dropbox-Request-Id': '20bc6a64f49a46f585bf0738eb31d2a2' },
      body: '{"error_summary": "missing_scope/...", "error": {".tag": "missing_scope", "required_scope": "files.content.write"}}',
    },
    expected: {
      outcome: 'missing_scope',
      dialect: 'dropbox',
      required: [['files.content.write']],
      missing: ['files.content.write'],
      evidence: ['"required_scope":"files.content.write"', 'WWW-Authenticate: Bearer realm="Dropbox-API"'],
    },
  },
  {
    name: 'Zoom: code 4711 on a 400 (any of)',
    human: ["To fix: scopes login --add-scope \"cloud_recording:read:list_user_recordings\""],
    source: 'https://github.com/lanec/zoom-batch-downloader/issues/34',
    response: {
      status: 400,
      body: '{"code":4711,"message":"Invalid access token, does not contain scopes:[cloud_recording:read:list_user_recordings, cloud_recording:read:list_user_recordings:admin]."}',
    },
    expected: {
      outcome: 'missing_scope',
      dialect: 'zoom',
      required: [['cloud_recording:read:list_user_recordings'], ['cloud_recording:read:list_user_recordings:admin']],
      missing: ['cloud_recording:read:list_user_recordings'],
      evidence: ['"code":4711', 'does not contain scopes:[cloud_recording:read:list_user_recordings'],
    },
  },
  {
    name: 'HubSpot: MISSING_SCOPES with requiredScopes',
    human: ["To fix: scopes login --add-scope \"contacts\""],
    source: 'https://github.com/HubSpot/hubspot-api-nodejs/issues/268',
    response: {
      status: 403,
      body: {
        status: 'error',
        message: "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
        correlationId: '5d3b1c5e-6b7e-4d9f-9a55-0c3e4f7a1b2c',
        errors: [{ message: 'One or more of the following scopes are required.', context: { requiredScopes: ['contacts'] } }],
        links: { scopes: 'https://developers.hubspot.com/scopes' },
        category: 'MISSING_SCOPES',
      },
    },
    expected: { outcome: 'missing_scope', dialect: 'hubspot', required: [['contacts']], missing: ['contacts'], evidence: ['"category":"MISSING_SCOPES"', '"requiredScopes":["contacts"]'] },
  },
  {
    name: 'Twitch: "missing scope X" on a 401',
    human: ["To fix: scopes login --add-scope \"moderator:read:follows\""],
    source: 'https://github.com/twitchdev/issues/issues/836',
    response: { status: 401, body: { data: [], error: 'Unauthorized', message: 'missing scope moderator:read:follows', status: 401 } },
    expected: {
      outcome: 'missing_scope',
      dialect: 'twitch',
      required: [['moderator:read:follows']],
      missing: ['moderator:read:follows'],
      evidence: ['missing scope moderator:read:follows'],
    },
  },
  {
    name: 'Figma: "This endpoint requires the X scope", and the scopes the token holds',
    human: ["To fix: scopes login --add-scope \"file_variables:read\""],
    source: 'https://github.com/figma/variables-github-action-example/issues/38',
    response: {
      status: 403,
      body: {
        status: 403,
        error: true,
        message:
          'Invalid scope(s): files:read, file_code_connect:read, file_code_connect:write, file_comments:write, file_dev_resources:read, file_dev_resources:write, webhooks:write. This endpoint requires the file_variables:read scope',
      },
    },
    expected: {
      outcome: 'missing_scope',
      dialect: 'figma',
      required: [['file_variables:read']],
      missing: ['file_variables:read'],
      granted: ['files:read', 'file_code_connect:read', 'file_code_connect:write', 'file_comments:write', 'file_dev_resources:read', 'file_dev_resources:write', 'webhooks:write'],
      evidence: ['This endpoint requires the file_variables:read scope'],
    },
  },
  {
    name: 'Linear: "Invalid scope: `admin` required" in a GraphQL error',
    human: ["To fix: scopes login --add-scope \"admin\""],
    source: 'https://github.com/calcom/synclinear.com/issues/171 (the message; GraphQL\'s errors envelope)',
    response: { status: 400, body: { errors: [{ message: 'Invalid scope: `admin` required', extensions: { type: 'forbidden', code: 'FORBIDDEN' } }] } },
    expected: { outcome: 'missing_scope', dialect: 'linear', required: [['admin']], missing: ['admin'], evidence: ['Invalid scope: `admin` required'] },
  },
  {
    name: 'Okta: a DPoP challenge naming the scope',
    human: ["To fix: scopes login --add-scope \"okta.policies.read\""],
    source: 'https://github.com/okta/terraform-provider-okta/issues/2375',
    response: {
      status: 403,
      headers: {
        'Www-Authenticate':
          'DPoP algs="RS256 RS384 RS512 ES256 ES384 ES512", authorization_uri="http://xxx.oktapreview.com/oauth2/v1/authorize", realm="http://xxx.oktapreview.com", scope="okta.policies.read", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="/api/v1/policies"',
      },
    },
    granted: ['okta.authorizationServers.manage', 'okta.apps.manage'],
    expected: {
      outcome: 'missing_scope',
      dialect: 'okta',
      required: [['okta.policies.read']],
      missing: ['okta.policies.read'],
      evidence: ['scope="okta.policies.read"', 'error="insufficient_scope"'],
    },
  },
  {
    name: 'GitHub fine-grained token: X-Accepted-GitHub-Permissions (permissions, any set)',
    human: ["permission repository_projects=write", "Permissions: repository_projects=write or organization_projects=admin", "To fix: grant them in the token's or the app's permission settings"],
    source: 'https://github.blog/changelog/2023-08-10-x-accepted-github-permissions-header-for-fine-grained-permission-actors',
    response: {
      status: 403,
      headers: { 'x-accepted-github-permissions': 'repository_projects=write; organization_projects=admin', 'x-github-api-version-selected': '2022-11-28' },
      body: { message: 'Resource not accessible by personal access token', documentation_url: 'https://docs.github.com/rest/projects/collaborators#list-project-collaborators', status: '403' },
    },
    expected: {
      outcome: 'missing_scope',
      dialect: 'github-permissions',
      requiredKind: 'permission',
      required: [['repository_projects=write'], ['organization_projects=admin']],
      missing: ['repository_projects=write'],
      evidence: ['X-Accepted-GitHub-Permissions: repository_projects=write; organization_projects=admin', 'Resource not accessible by personal access token'],
    },
  },
  {
    name: 'GitHub GraphQL: the older error shape without type (any of)',
    human: ["To fix: scopes login --add-scope \"read:user\""],
    source: 'https://github.com/mntnr/name-your-contributors/issues/67',
    response: {
      status: 200,
      body: {
        data: null,
        errors: [
          {
            message:
              "Your token has not been granted the required scopes to execute this query. The 'email' field requires one of the following scopes: ['user:email', 'read:user'], but your token has only been granted the: ['repo'] scopes. Please modify your token's scopes at: https://github.com/settings/tokens.",
            locations: [{ line: 9, column: 1 }],
          },
        ],
      },
    },
    preset: 'github',
    expected: {
      outcome: 'missing_scope',
      dialect: 'github-graphql',
      required: [['user:email'], ['read:user']],
      missing: ['user:email'],
      granted: ['repo'],
      evidence: ["requires one of the following scopes: ['user:email', 'read:user']"],
    },
  },
  {
    name: 'Stripe restricted key: the rak_ permission it lacks (a key permission, not a scope)',
    human: ["key permission rak_subscription_read", "Key permissions: rak_subscription_read", "To fix: give the API key these permissions in the provider's dashboard"],
    source: 'https://github.com/tylerjrichards/st-paywall/issues/45 (message; Stripe\'s error envelope)',
    response: {
      status: 403,
      body: {
        error: {
          message:
            "The provided key 'rk_test_*********************************************************************************************BYBoGA' does not have the required permissions for this endpoint on account 'acct_1AF6F5BDknbCVWX2'. Having the 'rak_subscription_read' permission would allow this request to continue.",
          type: 'invalid_request_error',
        },
      },
    },
    expected: {
      outcome: 'missing_scope',
      dialect: 'stripe',
      requiredKind: 'key-permission',
      required: [['rak_subscription_read']],
      missing: ['rak_subscription_read'],
      evidence: ["Having the 'rak_subscription_read' permission would allow this request to continue."],
    },
  },
  {
    name: 'Jira: "Unauthorized; scope does not match" (a scope problem, no name)',
    human: ["a scope, not named", "A scope, not named: an endpoint says the token lacks a scope without naming it", "To fix: find the scope in the API's reference"],
    source: 'https://github.com/raycast/extensions/issues/11212',
    response: { status: 401, body: { code: 401, message: 'Unauthorized; scope does not match' } },
    expected: { outcome: 'missing_scope', dialect: 'atlassian', required: [], missing: [], evidence: ['Unauthorized; scope does not match'] },
  },
  {
    name: 'Spotify: "Insufficient client scope" (a scope problem, no name)',
    human: ["a scope, not named", "To fix: find the scope in the API's reference"],
    source: 'https://github.com/spotify/web-api/issues/387',
    response: { status: 403, body: '{\n  "error" : {\n    "status" : 403,\n    "message" : "Insufficient client scope"\n  }\n}' },
    expected: { outcome: 'missing_scope', dialect: 'spotify', required: [], missing: [], evidence: ['Insufficient client scope'] },
  },
  {
    name: 'Box: an insufficient_scope challenge without a scope (a scope problem, no name)',
    human: ["a scope, not named", "To fix: find the scope in the API's reference"],
    source: 'https://github.com/box/box-windows-sdk-v2/issues/264',
    response: {
      status: 403,
      headers: { 'WWW-Authenticate': 'Bearer realm="Service", error="insufficient_scope", error_description="The request requires higher privileges than provided by the access token."' },
    },
    expected: { outcome: 'missing_scope', dialect: 'box', required: [], missing: [], evidence: ['error="insufficient_scope"', 'higher privileges'] },
  },
  {
    name: 'Mastodon: "outside the authorized scopes" (a scope problem, no name; the manifest fills in)',
    human: ["To fix: scopes login --add-scope \"write:statuses\""],
    source: 'https://github.com/mastodon/mastodon/issues/1367',
    response: { status: 403, body: '{"error":"This action is outside the authorized scopes"}' },
    declared: [['write:statuses']],
    granted: ['read'],
    preset: 'mastodon',
    expected: {
      outcome: 'missing_scope',
      dialect: 'mastodon',
      required: [['write:statuses']],
      requiredFrom: 'manifest',
      missing: ['write:statuses'],
      evidence: ['This action is outside the authorized scopes'],
    },
  },
  {
    name: 'Generic sentence (lower confidence): Vimeo\'s "does not have the \\"upload\\" scope"',
    human: ["upload (?)", "To fix: scopes login --add-scope \"upload\"", "read from the wording of a message"],
    source: 'https://github.com/vimeo/vimeo.php/issues/100 (message; Vimeo\'s error envelope, vimeo/vimeo.php#263)',
    response: { status: 403, headers: { 'content-type': 'application/vnd.vimeo.error+json' }, body: '{"error":"Your access token does not have the \\"upload\\" scope","link":null}' },
    expected: { outcome: 'missing_scope', dialect: 'sentence', confidence: 'low', required: [['upload']], missing: ['upload'], evidence: ['does not have the \\"upload\\" scope'] },
  },
  {
    name: 'Nothing matches: the evidence shows the start of the body',
    human: ["forbidden", "body begins: {\"error\":{\"code\":\"UnknownError\""],
    source: 'https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/6318',
    response: {
      status: 403,
      body: { error: { code: 'UnknownError', message: '', innerError: { 'request-id': '41be8x55-84x4-40b5-8933-1055x1c6e9xx', date: '2019-11-12T14:50:13' } } },
    },
    expected: { outcome: 'forbidden', dialect: 'http-status', required: [], missing: [], evidence: ['HTTP 403', 'body begins: {"error":{"code":"UnknownError","message":""'] },
  },
];

describe('dialects of real providers, replayed over loopback', () => {
  let server: ReplayServer;
  const path = (index: number): string => `/replay/${index}`;

  beforeAll(async () => {
    server = await startReplayServer(Object.fromEntries(VECTORS.map((vector, index) => [path(index), vector.response])));
  });
  afterAll(async () => server.close());

  it.each(VECTORS.map((vector, index) => ({ ...vector, index })))('$name', async ({ index, granted, declared, preset, expected, source, human }) => {
    expect(source).toMatch(/^https:\/\//);
    const rules = compileRules(preset === undefined ? {} : { preset });
    const [result] = await probeEndpoints([{ method: 'GET', url: `${server.url}${path(index)}`, ...(declared === undefined ? {} : { declared }) }], {
      token: TOKEN,
      granted: granted ?? [],
      rules,
      fetch: globalThis.fetch,
      concurrency: 1,
      timeoutMs: 5_000,
      allowUnsafe: false,
    });
    const { evidence, ...rest } = expected;
    expect(result).toMatchObject(rest);
    for (const part of evidence) expect(result!.evidence.some((line) => line.includes(part)), `evidence containing ${JSON.stringify(part)} in ${JSON.stringify(result!.evidence)}`).toBe(true);
    expect(result!.evidence.join('\n')).not.toContain(TOKEN);
    // What a person reads: the MISSING cell, and the line that fixes it.
    const missing = scopesToAdd([result!], granted ?? [], rules);
    // A permission or a key permission is never put in a `login --add-scope` line: no login asks for one.
    if (expected.requiredKind !== undefined) expect(missing).toEqual([]);
    const text = renderProbe({ results: [result!], missing, granted: granted ?? [], profile: 'default', api: server.url }, PLAIN);
    for (const line of human ?? []) expect(text, text).toContain(line);
    expect(text).not.toContain(TOKEN);
  });

  it('sent the token to every replayed route, and only there', () => {
    expect(server.received.every((request) => request.path.startsWith('/replay/') && request.authorization)).toBe(true);
  });
});
