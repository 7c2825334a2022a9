/**
 * GitHub (github.com; GitHub Enterprise Server answers the same under its own host).
 *
 * Setup: register an OAuth app (Settings → Developer settings → OAuth Apps) with a loopback callback, then
 * `scopes login --provider github --client-id <id>`. GitHub publishes no OpenID discovery document, so the endpoints
 * are written here, and its token endpoint answers form-encoded unless asked for `Accept: application/json`
 * (openid-client sends that header on every token request). OAuth-app tokens carry scopes; GitHub App and
 * fine-grained tokens carry permissions instead, which GitHub names in `X-Accepted-GitHub-Permissions`.
 * @see https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps
 * @see https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
 * @see https://github.blog/changelog/2023-08-10-x-accepted-github-permissions-header-for-fine-grained-permission-actors
 */
import {
  alternatives,
  bracketListAfter,
  conjoin,
  finding,
  get,
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
 * Implication: the indented rows of "Scopes for OAuth apps" (github/docs
 * content/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps.md), where indentation means "included".
 * Not from that table, and so marked:
 *  - `codespace` ⊇ `codespace:secrets`: the codespaces-secrets endpoints accept "the `codespace` or
 *    `codespace:secrets` scope", and the GitHub CLI expands `codespace` the same way.
 *  - `write:packages` ⊇ `read:packages`, `write:discussion` ⊇ `read:discussion`: nested in the token settings page and
 *    expanded so by the GitHub CLI (cli/cli: `write:X` ⊇ `read:X`); the scopes table lists the packages rows flat.
 * Deliberately left out:
 *  - `delete:packages` implies nothing: the packages docs say deleting needs "`delete:packages` and `read:packages`".
 *  - `repo` ⊉ `workflow`, `repo` ⊉ `admin:repo_hook` / org scopes: the `repo` row's prose says it reaches repository
 *    hooks and some organisation resources, but GitHub does not list those scopes under it, and the prose is too
 *    loose to encode as containment. Add an `implies` entry if an API of yours relies on it.
 */
const IMPLIES: Readonly<Record<string, readonly string[]>> = {
  repo: ['repo:status', 'repo_deployment', 'public_repo', 'repo:invite', 'security_events'],
  'admin:repo_hook': ['write:repo_hook'],
  'write:repo_hook': ['read:repo_hook'],
  'admin:org': ['write:org'],
  'write:org': ['read:org'],
  'admin:public_key': ['write:public_key'],
  'write:public_key': ['read:public_key'],
  'admin:gpg_key': ['write:gpg_key'],
  'write:gpg_key': ['read:gpg_key'],
  user: ['read:user', 'user:email', 'user:follow'],
  project: ['read:project'],
  'admin:enterprise': ['manage_runners:enterprise', 'manage_billing:enterprise', 'read:enterprise'],
  codespace: ['codespace:secrets'],
  'write:packages': ['read:packages'],
  'write:discussion': ['read:discussion'],
};

/** The scopes table of "Scopes for OAuth apps", shortened. */
const CATALOGUE: Readonly<Record<string, string>> = {
  repo: 'Full access to public and private repositories, including code, commit statuses, invitations, collaborators, deployment statuses and webhooks',
  'repo:status': 'Read and write commit statuses in public and private repositories',
  repo_deployment: 'Access deployment statuses',
  public_repo: 'Read and write public repositories only',
  'repo:invite': 'Accept or decline invitations to collaborate on a repository',
  security_events: 'Read and write security events of code scanning',
  'admin:repo_hook': 'Read, write, ping and delete repository hooks',
  'write:repo_hook': 'Read, write and ping repository hooks',
  'read:repo_hook': 'Read and ping repository hooks',
  'admin:org': 'Fully manage the organization, its teams, projects and memberships',
  'write:org': 'Read and write organization membership and projects',
  'read:org': 'Read-only access to organization membership, projects and team membership',
  'admin:public_key': 'Fully manage public keys',
  'write:public_key': 'Create, list and view details of public keys',
  'read:public_key': 'List and view details of public keys',
  'admin:org_hook': 'Read, write, ping and delete organization hooks',
  gist: 'Write access to gists',
  notifications: 'Read notifications, mark them read, watch and unwatch repositories',
  user: 'Read and write profile information',
  'read:user': 'Read profile data',
  'user:email': 'Read email addresses',
  'user:follow': 'Follow and unfollow users',
  project: 'Read and write user and organization projects',
  'read:project': 'Read-only access to user and organization projects',
  delete_repo: 'Delete administrable repositories',
  'write:packages': 'Upload or publish a package in GitHub Packages',
  'read:packages': 'Download or install packages from GitHub Packages',
  'delete:packages': 'Delete packages from GitHub Packages',
  'admin:gpg_key': 'Fully manage GPG keys',
  'write:gpg_key': 'Create, list and view details of GPG keys',
  'read:gpg_key': 'List and view details of GPG keys',
  codespace: 'Create and manage codespaces',
  workflow: 'Add and update GitHub Actions workflow files',
};

// ---------------------------------------------------------------------------------------------------------------
// Readers

const rest = (view: ResponseView): Finding | null => {
  if (view.status !== 403 && view.status !== 404) return null;
  const acceptedHeader = view.header('x-accepted-oauth-scopes');
  if (acceptedHeader === undefined) return null;
  const grantedHeader = view.header('x-oauth-scopes');
  const accepted = parseScopes(acceptedHeader, { commas: true });
  const grantedFromHeader = grantedHeader === undefined ? undefined : parseScopes(grantedHeader, { commas: true });
  const granted = grantedFromHeader ?? (Array.isArray(view.options.granted) ? parseScopes(view.options.granted) : undefined);

  const evidence = [view.evidence(`X-Accepted-OAuth-Scopes: ${acceptedHeader}`)];
  if (grantedHeader !== undefined) evidence.push(view.evidence(`X-OAuth-Scopes: ${grantedHeader}`));
  const message = text(get(view.json, 'message'));
  if (message !== undefined) evidence.push(view.evidence(`body message: ${JSON.stringify(message)}`));
  const base = { evidence, dialect: 'github-rest' };
  const extra = { granted: grantedFromHeader };

  if (view.status === 403 && view.header('x-ratelimit-remaining')?.trim() === '0') {
    evidence.push('X-RateLimit-Remaining: 0');
    return finding(view, { ...base, outcome: 'forbidden', required: [] }, { ...extra, note: 'GitHub refused because the rate limit is spent, not for a scope.' });
  }
  if (accepted.length === 0) {
    if (view.status === 404) return null;
    return finding(view, { ...base, outcome: 'forbidden', required: [] }, {
      ...extra,
      note: 'GitHub checks no OAuth scope here: the refusal has another cause (repository or organisation permissions, SSO).',
    });
  }
  const held = granted?.find((scope) => accepted.includes(scope));
  if (held !== undefined) {
    if (view.status === 404) return null;
    return finding(view, { ...base, outcome: 'forbidden', required: [] }, {
      ...extra,
      note: `The token holds the accepted scope "${held}": the refusal has another cause (repository or organisation permissions, SSO).`,
    });
  }
  const notes = [accepted.length > 1 ? 'GitHub lists alternatives: any one of the accepted scopes suffices.' : undefined];
  if (view.status === 404) notes.push('GitHub answers 404 instead of 403 where the token may not see a resource.');
  if (grantedFromHeader === undefined) {
    notes.push('X-OAuth-Scopes is absent, so the granted scopes are not known (fine-grained and GitHub App tokens carry permissions, not scopes).');
  }
  return finding(view, { ...base, outcome: 'missing_scope', required: alternatives(accepted) }, {
    ...extra,
    note: notes.filter((note) => note !== undefined).join(' ') || undefined,
  });
};

/**
 * Fine-grained personal access tokens and GitHub Apps: `X-Accepted-GitHub-Permissions: a=read, b=write; c=admin`,
 * sets separated by `;` (any one set suffices), permissions within a set by `,` (all needed). These are permissions
 * set on the token or the app, never OAuth scopes.
 */
const permissions = (view: ResponseView): Finding | null => {
  if (view.status !== 403 && view.status !== 404) return null;
  const header = view.header('x-accepted-github-permissions');
  if (header === undefined) return null;
  const sets = header
    .split(';')
    .slice(0, 20)
    .map((set) => [...new Set(set.split(',').map((permission) => permission.trim()).filter((permission) => /^[a-z_]+=[a-z_]+$/.test(permission)))])
    .filter((set) => set.length > 0);
  const evidence = [view.evidence(`X-Accepted-GitHub-Permissions: ${header}`)];
  const message = text(get(view.json, 'message'));
  if (message !== undefined) evidence.push(view.evidence(`body message: ${JSON.stringify(message)}`));
  if (sets.length === 0) {
    if (view.status === 404) return null;
    return finding(view, { outcome: 'forbidden', required: [], evidence, dialect: 'github-permissions' }, {
      note: 'GitHub checks no permission here: the refusal has another cause (the token\'s repository selection, organisation policy, SSO).',
    });
  }
  return finding(view, { outcome: 'missing_scope', required: sets, evidence, dialect: 'github-permissions' }, {
    requiredKind: 'permission',
    note: `These are fine-grained permissions (GitHub App or fine-grained token), not OAuth scopes: grant ${sets.length > 1 ? 'one of these sets' : 'them'} in the token's or the app's permission settings.${view.status === 404 ? ' GitHub answers 404 instead of 403 where the token may not see a resource.' : ''}`,
  });
};

const SCOPES_PHRASE = 'requires one of the following scopes:';

/**
 * GraphQL errors naming scopes (HTTP 200): `{"type":"INSUFFICIENT_SCOPES","message":"… requires one of the following
 * scopes: ['read:project'] …"}`, and the older shape with the same message and no `type`.
 */
const graphql = (view: ResponseView): Finding | null => {
  const errors = get(view.json, 'errors');
  if (!Array.isArray(errors)) return null;
  const requirements: string[][][] = [];
  const evidence: string[] = [];
  let granted: string[] | undefined;
  errors.slice(0, 100).forEach((error: unknown, index) => {
    const type = get(error, 'type');
    const message = text(get(error, 'message')) ?? '';
    if (type !== 'INSUFFICIENT_SCOPES' && (type !== undefined || !message.toLowerCase().includes(SCOPES_PHRASE))) return;
    evidence.push(view.evidence(`body errors[${index}]: ${jsonEvidence(type === undefined ? { message } : { type, message })}`));
    const needed = bracketListAfter(message, SCOPES_PHRASE);
    if (needed !== undefined) requirements.push(alternatives(needed));
    granted ??= bracketListAfter(message, 'granted the:');
  });
  if (evidence.length === 0) return null;
  const { required, truncated } = conjoin(requirements);
  const notes: string[] = [];
  if (required.length > 1) notes.push('GitHub GraphQL lists alternatives: any one of the scopes named for a field suffices.');
  if (requirements.length === 0) notes.push('The error does not name the scopes it needs.');
  if (truncated) notes.push(`Too many combinations of the fields' scopes; only the first fields are counted.`);
  return finding(view, { outcome: 'missing_scope', required, evidence, dialect: 'github-graphql' }, {
    granted,
    note: notes.length === 0 ? undefined : notes.join(' '),
  });
};

export const GITHUB_READERS: readonly ResponseReader[] = [
  { dialect: 'github-rest', reads: 'X-Accepted-OAuth-Scopes (alternatives) against X-OAuth-Scopes on a 403/404', read: rest },
  { dialect: 'github-permissions', reads: 'X-Accepted-GitHub-Permissions on a 403/404: fine-grained permissions, not scopes', read: permissions },
  { dialect: 'github-graphql', reads: 'GraphQL errors "requires one of the following scopes: [...]" (HTTP 200)', read: graphql },
];

const OAUTH_SCOPES = 'the X-OAuth-Scopes header of any GitHub API response';
const APP_PERMISSIONS = "the GitHub App's permissions (these tokens carry no OAuth scopes)";

export const github: Provider = {
  id: 'github',
  name: 'GitHub',
  docs: ['https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps'],
  readers: GITHUB_READERS,
  rules: { implies: IMPLIES },
  commaSeparatedScopes: true,
  // https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/
  // OAuth apps check a token with `POST /applications/{client_id}/token`, not RFC 7662
  // (https://docs.github.com/en/rest/apps/oauth-applications#check-a-token): no --introspect hint for its tokens.
  introspection: false,
  tokenPrefixes: [
    { prefix: 'gho_', description: 'OAuth app user access token', scopesVia: OAUTH_SCOPES },
    { prefix: 'ghp_', description: 'personal access token (classic)', scopesVia: OAUTH_SCOPES },
    { prefix: 'ghu_', description: 'GitHub App user access token (user-to-server)', scopesVia: APP_PERMISSIONS },
    { prefix: 'ghs_', description: 'GitHub App installation access token (server-to-server)', scopesVia: APP_PERMISSIONS },
    { prefix: 'ghr_', description: 'GitHub App refresh token (exchanged at the token endpoint, not accepted by the API)' },
    {
      prefix: 'github_pat_',
      description: 'fine-grained personal access token',
      scopesVia: 'its repository and permission settings (fine-grained tokens carry no OAuth scopes)',
    },
  ],
  login: {
    authorizationEndpoint: 'https://github.com/login/oauth/authorize',
    tokenEndpoint: 'https://github.com/login/oauth/access_token',
    deviceAuthorizationEndpoint: 'https://github.com/login/device/code',
    scopeSeparator: ' ',
    tokenRequestHeaders: { Accept: 'application/json' },
    quirks: [
      'No OpenID discovery: the endpoints are fixed.',
      'The token endpoint answers form-encoded unless the request says Accept: application/json.',
      'Granted scopes come back comma-separated (repo,gist) and in the X-OAuth-Scopes header of every API response.',
      'No revocation endpoint (RFC 7009): revoke in the settings page or through the OAuth app API.',
    ],
  },
  catalogue: CATALOGUE,
};

/** GitHub REST `X-Accepted-OAuth-Scopes` (alternatives) against `X-OAuth-Scopes` on a 403 or 404. */
export const readGitHubRest = toDialect(rest);
/** GitHub fine-grained `X-Accepted-GitHub-Permissions` (permissions, not scopes). */
export const readGitHubPermissions = toDialect(permissions);
/** GitHub GraphQL scope errors (HTTP 200), with or without `type: INSUFFICIENT_SCOPES`. */
export const readGitHubGraphql = toDialect(graphql);
