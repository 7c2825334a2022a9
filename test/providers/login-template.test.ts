import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { fillLoginTemplate } from '../../src/providers/login.js';

describe('fillLoginTemplate', () => {
  it('GitHub: fixed endpoints, no discovery, the provider as preset', () => {
    const filled = fillLoginTemplate('github');
    expect(filled.profile).toEqual({
      authorizationEndpoint: 'https://github.com/login/oauth/authorize',
      tokenEndpoint: 'https://github.com/login/oauth/access_token',
      deviceAuthorizationEndpoint: 'https://github.com/login/device/code',
      preset: 'github',
    });
    expect(filled.quirks.join(' ')).toContain('Accept: application/json');
  });

  it('Google: discovery, and the parameters for a refresh token and incremental consent', () => {
    expect(fillLoginTemplate('google').profile).toMatchObject({
      issuer: 'https://accounts.google.com',
      authorizationParams: { access_type: 'offline', include_granted_scopes: 'true' },
      preset: 'google',
    });
  });

  it.each([
    { tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47', issuer: 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0' },
    { tenant: 'contoso.onmicrosoft.com', issuer: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0' },
  ])('Entra: the tenant issuer for $tenant', ({ tenant, issuer }) => {
    expect(fillLoginTemplate('entra', { tenant }).profile).toMatchObject({ issuer, preset: 'entra' });
  });

  it.each([
    { description: 'Entra without a tenant', name: 'entra', values: {}, message: /needs --tenant/ },
    { description: "Entra's common endpoint (its issuer is a template no client accepts)", name: 'entra', values: { tenant: 'common' }, message: /is not the directory/ },
    { description: 'a tenant that would change the URL', name: 'entra', values: { tenant: 'a.com/../evil' }, message: /is not/ },
    { description: 'Auth0 without audience', name: 'auth0', values: { domain: 'tenant.us.auth0.com' }, message: /needs --audience/ },
    { description: 'Auth0 with a domain that is a URL', name: 'auth0', values: { domain: 'https://tenant.auth0.com', audience: 'x' }, message: /is not/ },
    { description: '--tenant for a provider without one', name: 'github', values: { tenant: 'x.com' }, message: /means nothing to GitHub/ },
    { description: 'an unknown provider', name: 'nosuchprovider', values: {}, message: /is not one of github/ },
    { description: 'a provider whose endpoints the tool does not know', name: 'laserfiche', values: {}, message: /knows no endpoints/ },
  ])('refuses $description (exit 2)', ({ name, values, message }) => {
    let caught: unknown;
    try {
      fillLoginTemplate(name, values);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).message).toMatch(message);
  });

  it('Auth0: the tenant issuer (with its trailing slash) once audience is given', () => {
    expect(fillLoginTemplate('auth0', { domain: 'tenant.us.auth0.com', audience: 'https://api.example.com' }).profile).toMatchObject({ issuer: 'https://tenant.us.auth0.com/' });
  });

  it('GitLab: gitlab.com by default, a self-managed host with --domain', () => {
    expect(fillLoginTemplate('gitlab').profile.issuer).toBe('https://gitlab.com');
    expect(fillLoginTemplate('gitlab', { domain: 'gitlab.example.org' }).profile.issuer).toBe('https://gitlab.example.org');
  });

  it('Mastodon: the instance fills every endpoint', () => {
    expect(fillLoginTemplate('mastodon', { domain: 'mastodon.social' }).profile).toMatchObject({
      authorizationEndpoint: 'https://mastodon.social/oauth/authorize',
      tokenEndpoint: 'https://mastodon.social/oauth/token',
      revocationEndpoint: 'https://mastodon.social/oauth/revoke',
    });
  });

  it('Atlassian: audience=api.atlassian.com and prompt=consent', () => {
    expect(fillLoginTemplate('jira').profile.authorizationParams).toEqual({ audience: 'api.atlassian.com', prompt: 'consent' });
  });
});

describe('the README', () => {
  it('has a row for every provider in its Providers table', async () => {
    const { readFileSync } = await import('node:fs');
    const { PROVIDERS } = await import('../../src/providers/index.js');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('### Providers'), readme.indexOf('### Beyond the SPEC'));
    for (const provider of PROVIDERS) expect(table, provider.id).toContain(`\`${provider.id}\``);
  });
});
