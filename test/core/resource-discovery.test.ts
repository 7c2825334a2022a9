/**
 * The pure decisions of "log in from a resource URL", as vector tables. Sources: RFC 9728 §3.1 (the path-aware example
 * `https://resource.example.com/resource1` → `/.well-known/oauth-protected-resource/resource1`), RFC 8414 §3.1, and the
 * MCP authorization specification 2026-07-28 (discovery order for `https://auth.example.com/tenant1`, scope selection,
 * offline_access only when listed) — see ../shared/reference/standards.md §3.
 */
import { describe, expect, it } from 'vitest';
import {
  authorizationServerMetadataUrls,
  chooseAuthorizationServer,
  chooseScopes,
  closestScope,
  droppedOidcScopes,
  editDistance,
  issuerMismatch,
  pkceSupport,
  printable,
  protectedResourceMetadataUrls,
  readResourceMetadata,
  resourceMismatch,
  unlistedScopes,
  unusualScopes,
} from '../../src/core/resource-discovery.js';
import { compileRules } from '../../src/providers/index.js';
import { withoutImplied } from '../../src/commands/login-checks.js';

describe('protectedResourceMetadataUrls (RFC 9728 §3.1)', () => {
  it.each([
    ['https://resource.example.com/resource1', ['https://resource.example.com/.well-known/oauth-protected-resource/resource1', 'https://resource.example.com/.well-known/oauth-protected-resource']],
    ['https://mcp.example.com/mcp/', ['https://mcp.example.com/.well-known/oauth-protected-resource/mcp', 'https://mcp.example.com/.well-known/oauth-protected-resource']],
    ['https://mcp.example.com', ['https://mcp.example.com/.well-known/oauth-protected-resource']],
    ['http://127.0.0.1:8080/a/b', ['http://127.0.0.1:8080/.well-known/oauth-protected-resource/a/b', 'http://127.0.0.1:8080/.well-known/oauth-protected-resource']],
  ])('%s', (resource, expected) => {
    expect(protectedResourceMetadataUrls(resource).map((entry) => entry.url)).toEqual(expected);
  });
});

describe('authorizationServerMetadataUrls (MCP order)', () => {
  it('tries three locations, in order, for an issuer with a path', () => {
    expect(authorizationServerMetadataUrls('https://auth.example.com/tenant1').map((entry) => entry.url)).toEqual([
      'https://auth.example.com/.well-known/oauth-authorization-server/tenant1',
      'https://auth.example.com/.well-known/openid-configuration/tenant1',
      'https://auth.example.com/tenant1/.well-known/openid-configuration',
    ]);
  });
  it('tries RFC 8414 then OpenID Connect for an issuer without one', () => {
    expect(authorizationServerMetadataUrls('https://auth.example.com').map((entry) => entry.url)).toEqual([
      'https://auth.example.com/.well-known/oauth-authorization-server',
      'https://auth.example.com/.well-known/openid-configuration',
    ]);
  });
});

describe('readResourceMetadata', () => {
  it('reads the fields and ignores unknown members (RFC 9728 §2)', () => {
    expect(readResourceMetadata({ resource: 'https://r', authorization_servers: ['https://as'], scopes_supported: ['a', 'b'], x: 1 })).toMatchObject({
      resource: 'https://r',
      authorizationServers: ['https://as'],
      scopesSupported: ['a', 'b'],
    });
  });
  it.each([[null], [[]], ['text'], [{}], [{ resource: 3 }], [{ resource: '' }]])('refuses %j', (body) => {
    expect(readResourceMetadata(body)).toHaveProperty('invalid');
  });
  it('drops servers and scopes a terminal could not show safely', () => {
    const read = readResourceMetadata({ resource: 'https://r', authorization_servers: ['https://as', 'https://e\u001b[2J', 'javascript:x', 7], scopes_supported: ['ok', 'bad\u0007'] });
    expect(read).toMatchObject({ authorizationServers: ['https://as'], scopesSupported: ['ok'] });
  });
});

describe('resourceMismatch (RFC 9728 §3.3)', () => {
  it.each([
    ['https://mcp.example.com/mcp', 'https://mcp.example.com/mcp', 'challenge', true],
    ['https://mcp.example.com/', 'https://mcp.example.com', 'path', true],
    ['https://mcp.example.com', 'https://mcp.example.com/', 'path', true],
    ['https://mcp.example.com/mcp/', 'https://mcp.example.com/mcp', 'challenge', false],
    ['https://MCP.example.com/mcp', 'https://mcp.example.com/mcp', 'path', false],
    ['https://mcp.example.com', 'https://mcp.example.com/mcp', 'path', false],
    ['https://mcp.example.com', 'https://mcp.example.com/mcp', 'root', true],
    ['https://other.example.com', 'https://mcp.example.com/mcp', 'root', false],
  ] as const)('document %s for %s from %s: match %s', (documentResource, asked, source, matches) => {
    expect(resourceMismatch(documentResource, asked, source) === undefined).toBe(matches);
  });
  it('says where the two differ', () => {
    expect(resourceMismatch('https://mcp.example.com/mcp/', 'https://mcp.example.com/mcp', 'challenge')).toContain('from character 28: "/" versus ""');
  });
});

describe('chooseAuthorizationServer', () => {
  it.each([
    [['https://a'], undefined, { issuer: 'https://a' }],
    [['https://a', 'https://b'], undefined, { ask: ['https://a', 'https://b'] }],
    [['https://a', 'https://b'], 'https://b', { issuer: 'https://b' }],
    [['https://a', 'https://b/'], 'https://b', { issuer: 'https://b/' }],
  ] as const)('%j with --issuer %s', (servers, pick, expected) => {
    expect(chooseAuthorizationServer(servers, pick)).toMatchObject(expected);
  });
  it('refuses none, and an --issuer the resource does not name', () => {
    expect(chooseAuthorizationServer([], undefined)).toHaveProperty('refused');
    expect(chooseAuthorizationServer(['https://a'], 'https://evil')).toHaveProperty('refused');
  });
});

describe('issuerMismatch and pkceSupport (RFC 8414)', () => {
  it('compares issuers exactly', () => {
    expect(issuerMismatch('https://as/tenant1', 'https://as/tenant1')).toBeUndefined();
    expect(issuerMismatch('https://as/tenant1/', 'https://as/tenant1')).toContain('not "https://as/tenant1"');
    expect(issuerMismatch(undefined, 'https://as')).toContain('missing');
  });
  it.each([
    [['S256'], 'S256'],
    [['plain', 'S256'], 'S256'],
    [['plain'], 'without-S256'],
    [undefined, 'absent'],
    ['S256', 'absent'],
  ] as const)('%j → %s', (methods, expected) => {
    expect(pkceSupport(methods)).toBe(expected);
  });
});

describe('chooseScopes (MCP scope selection)', () => {
  it.each([
    [{ flag: ['a b'], challenge: ['c'], resourceScopes: ['d'], serverScopes: ['offline_access'] }, ['a', 'b']],
    [{ challenge: ['c'], resourceScopes: ['d'], serverScopes: ['offline_access'] }, ['c', 'offline_access']],
    [{ resourceScopes: ['d', 'e'], serverScopes: ['d'] }, ['d', 'e']],
    [{ challenge: [], resourceScopes: ['d'], serverScopes: [] }, ['d']],
    [{ serverScopes: ['offline_access'] }, ['offline_access']],
    [{}, []],
  ])('%j → %j', (input, expected) => {
    expect(chooseScopes(input).choice.scopes).toEqual(expected);
  });
});

describe('did you mean', () => {
  it.each([
    ['videos:read', 'vidoes:read', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['same', 'same', 0],
  ])('editDistance(%s, %s) = %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });
  const supported = ['openid', 'offline_access', 'videos:read', 'videos:write', 'User.Read'];
  it.each([
    ['vidoes:read', 'videos:read'],
    ['videos:reed', 'videos:read'],
    ['offline-access', 'offline_access'],
    ['user.read', 'User.Read'],
    ['admin', undefined],
    ['x', undefined],
  ])('%s → %s', (scope, suggestion) => {
    expect(closestScope(scope, supported)).toBe(suggestion);
  });
  it('lists only the scopes not supported', () => {
    expect(unlistedScopes(['openid', 'vidoes:read'], supported)).toEqual([{ scope: 'vidoes:read', suggestion: 'videos:read' }]);
  });
  it('names unusual scopes when no list exists', () => {
    expect(unusualScopes(['repo,gist', 'a%3Ab', 'vidéos', 'Read', 'read', 'fine']).map((entry) => entry.scope)).toEqual(['repo,gist', 'a%3Ab', 'vidéos', 'Read', 'read']);
  });
});

describe('droppedOidcScopes and withoutImplied', () => {
  it('finds openid / offline_access the last login had', () => {
    expect(droppedOidcScopes(['openid', 'offline_access', 'a'], ['a'])).toEqual(['openid', 'offline_access']);
    expect(droppedOidcScopes(['a'], ['b'])).toEqual([]);
  });
  it('leaves out scopes another asked scope implies (GitHub preset, D5)', () => {
    expect(withoutImplied(['repo:status', 'user', 'repo', 'user:email'], compileRules({ preset: 'github' }))).toEqual(['user', 'repo']);
    expect(withoutImplied(['a', 'b'], compileRules({ implies: { b: ['a'] } }))).toEqual(['b']);
    expect(withoutImplied(['a', 'b'], compileRules({ implies: { a: ['b'], b: ['a'] } }))).toEqual(['a', 'b']);
  });
  it('escapes control characters a server sent', () => {
    expect(printable('ok\u001b[2Jx\nnext')).toBe('ok\\u{1b}[2Jx\nnext');
  });
});
