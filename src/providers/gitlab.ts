/**
 * GitLab (gitlab.com, or a self-managed instance with `--domain`). An OpenID provider with discovery; its API answers
 * a missing scope with an RFC 6750 body, `{"error":"insufficient_scope","scope":"api read_api"}`, read by the core's
 * `rfc6750-body` reader. That list names scopes that would EACH do, which the implication rules below reduce.
 * @see https://docs.gitlab.com/integration/oauth_provider/#view-all-authorized-applications
 * @see https://docs.gitlab.com/user/profile/personal_access_tokens/#personal-access-token-scopes
 */
import type { Provider } from './types.js';

const HOST = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

export const gitlab: Provider = {
  id: 'gitlab',
  name: 'GitLab',
  docs: ['https://docs.gitlab.com/integration/oauth_provider/'],
  // The scope table: `api` is "complete read/write access to the API", which read_api ("read access to the API")
  // is part of; the write_* scopes are described as read-write, so they hold their read_* counterparts.
  rules: {
    implies: {
      api: ['read_api'],
      write_repository: ['read_repository'],
      write_registry: ['read_registry'],
      write_virtual_registry: ['read_virtual_registry'],
    },
  },
  tokenPrefixes: [
    { prefix: 'glpat-', description: 'personal, project or group access token', scopesVia: 'GET /api/v4/personal_access_tokens/self' },
    { prefix: 'gloas-', description: 'OAuth application secret (not a token)' },
    { prefix: 'glrt-', description: 'runner authentication token' },
  ],
  login: {
    issuer: 'https://{domain}',
    slots: [{ name: 'domain', description: 'the GitLab host', default: 'gitlab.com', pattern: HOST }],
    scopeSeparator: ' ',
    defaultScopes: ['openid'],
  },
  catalogue: {
    api: 'Complete read and write access to the API, including all groups and projects, the container registry, the dependency proxy and the package registry',
    read_api: 'Read access to the API, including all groups and projects, the container registry and the package registry',
    read_user: 'Read-only access to the user profile through the /user API endpoint',
    read_repository: 'Read-only access to repositories on private projects using Git over HTTP or the Repository Files API',
    write_repository: 'Read-write access to repositories on private projects using Git over HTTP (not the API)',
    read_registry: 'Read-only (pull) access to container registry images of private projects',
    write_registry: 'Read-write (push) access to container registry images of private projects',
    sudo: 'Perform API actions as any user in the system (administrators)',
    openid: 'Authenticate with GitLab using OpenID Connect; read-only access to the profile and group memberships',
    profile: 'Read-only access to the profile data using OpenID Connect',
    email: 'Read-only access to the primary email address using OpenID Connect',
  },
};
