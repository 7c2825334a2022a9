import { describe, expect, it } from 'vitest';
import { GITHUB_403_BODY, GRAPHQL_MESSAGE, respond, runTable } from '../support/dialects.js';
import { readGitHubGraphql, readGitHubRest } from '../../src/providers/github.js';

describe('GitHub REST', () => {
  runTable(readGitHubRest, [
    {
      description: '403: accepted scope not granted',
      input: respond(403, { 'x-accepted-oauth-scopes': 'repo', 'x-oauth-scopes': 'read:user, gist' }, GITHUB_403_BODY),
      expected: {
        outcome: 'missing_scope',
        required: [['repo']],
        granted: ['read:user', 'gist'],
        dialect: 'github-rest',
        evidence: [
          'X-Accepted-OAuth-Scopes: repo',
          'X-OAuth-Scopes: read:user, gist',
          'body message: "Resource not accessible by personal access token"',
        ],
      },
    },
    {
      description: '404 with the headers is a scope gap',
      input: respond(404, { 'x-accepted-oauth-scopes': 'repo', 'x-oauth-scopes': 'gist' }, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }),
      expected: {
        outcome: 'missing_scope',
        required: [['repo']],
        note: 'GitHub answers 404 instead of 403 where the token may not see a resource.',
      },
    },
    {
      description: 'several accepted scopes are alternatives',
      input: respond(403, { 'x-accepted-oauth-scopes': 'admin:org, read:org, write:org', 'x-oauth-scopes': 'repo' }),
      expected: { outcome: 'missing_scope', required: [['admin:org'], ['read:org'], ['write:org']] },
    },
    {
      description: 'Slack-style list without spaces',
      input: respond(403, { 'x-accepted-oauth-scopes': 'admin:org,read:org', 'x-oauth-scopes': '' }),
      expected: { outcome: 'missing_scope', required: [['admin:org'], ['read:org']], granted: [] },
    },
    {
      description: 'an accepted scope is held: not a scope gap',
      input: respond(403, { 'x-accepted-oauth-scopes': 'admin:org, read:org', 'x-oauth-scopes': 'read:org, repo' }),
      expected: { outcome: 'forbidden', required: [] },
    },
    {
      description: 'an accepted scope is held on a 404: a real 404',
      input: respond(404, { 'x-accepted-oauth-scopes': 'repo', 'x-oauth-scopes': 'repo' }),
      expected: null,
    },
    {
      description: 'an empty accepted header on a 403: no scope needed',
      input: respond(403, { 'x-accepted-oauth-scopes': '', 'x-oauth-scopes': 'repo' }),
      expected: { outcome: 'forbidden', required: [] },
    },
    { description: 'an empty accepted header on a 404', input: respond(404, { 'x-accepted-oauth-scopes': '', 'x-oauth-scopes': 'repo' }), expected: null },
    {
      description: 'X-OAuth-Scopes absent: granted unknown',
      input: respond(403, { 'x-accepted-oauth-scopes': 'repo' }),
      expected: {
        outcome: 'missing_scope',
        required: [['repo']],
        note: 'X-OAuth-Scopes is absent, so the granted scopes are not known (fine-grained and GitHub App tokens carry permissions, not scopes).',
      },
    },
    {
      description: 'a spent rate limit is not a scope gap',
      input: respond(403, { 'x-accepted-oauth-scopes': 'repo', 'x-oauth-scopes': 'gist', 'x-ratelimit-remaining': '0' }, { message: 'API rate limit exceeded' }),
      expected: { outcome: 'forbidden', note: 'GitHub refused because the rate limit is spent, not for a scope.' },
    },
    { description: 'a 404 without GitHub headers', input: respond(404, {}, { message: 'Not Found' }), expected: null },
    { description: 'a 200 with the headers', input: respond(200, { 'x-accepted-oauth-scopes': 'repo', 'x-oauth-scopes': 'gist' }), expected: null },
    {
      description: 'header names in mixed case are still found',
      input: respond(403, { 'X-Accepted-OAuth-Scopes': 'repo', 'X-OAuth-Scopes': 'gist' }),
      expected: { outcome: 'missing_scope', required: [['repo']], granted: ['gist'] },
    },
  ]);

  it('uses the caller-known granted scopes when X-OAuth-Scopes is absent', () => {
    expect(readGitHubRest(respond(403, { 'x-accepted-oauth-scopes': 'repo' }), { granted: ['repo'] })).toMatchObject({ outcome: 'forbidden' });
    expect(readGitHubRest(respond(404, { 'x-accepted-oauth-scopes': 'repo' }), { granted: ['repo'] })).toBeNull();
  });
});

describe('GitHub GraphQL', () => {
  const graphql = (...errors: unknown[]) => ({ data: null, errors });
  runTable(readGitHubGraphql, [
    {
      description: 'INSUFFICIENT_SCOPES on a 200',
      input: respond(200, {}, graphql({ type: 'INSUFFICIENT_SCOPES', locations: [{ line: 1, column: 25 }], message: GRAPHQL_MESSAGE })),
      expected: { outcome: 'missing_scope', required: [['read:project']], granted: ['repo'], dialect: 'github-graphql' },
    },
    {
      description: 'one of several scopes',
      input: respond(
        200,
        {},
        graphql({ type: 'INSUFFICIENT_SCOPES', message: "The 'x' field requires one of the following scopes: ['read:org', 'admin:org'], but your token has only been granted the: ['repo', 'gist'] scopes." }),
      ),
      expected: { required: [['read:org'], ['admin:org']], granted: ['repo', 'gist'] },
    },
    {
      description: 'two fields: both are needed',
      input: respond(
        200,
        {},
        graphql(
          { type: 'INSUFFICIENT_SCOPES', message: "The 'a' field requires one of the following scopes: ['read:org']" },
          { type: 'INSUFFICIENT_SCOPES', message: "The 'b' field requires one of the following scopes: ['repo', 'public_repo']" },
          { type: 'INSUFFICIENT_SCOPES', message: "The 'c' field requires one of the following scopes: ['read:org']" },
        ),
      ),
      expected: { required: [['read:org', 'repo'], ['public_repo', 'read:org']] },
    },
    {
      description: 'a message without a list',
      input: respond(200, {}, graphql({ type: 'INSUFFICIENT_SCOPES', message: 'Your token has not been granted the required scopes.' })),
      expected: { outcome: 'missing_scope', required: [], note: 'The error does not name the scopes it needs.' },
    },
    {
      description: 'one field with many alternatives keeps them all',
      input: respond(200, {}, graphql({ type: 'INSUFFICIENT_SCOPES', message: `requires one of the following scopes: [${Array.from({ length: 200 }, (_, i) => `'s${i}'`).join(', ')}]` })),
      expected: { required: Array.from({ length: 200 }, (_, i) => [`s${i}`]) },
    },
    {
      description: 'fields whose combinations explode: the first ones are counted, with a note',
      input: respond(
        200,
        {},
        graphql(
          ...['a', 'b', 'c'].map((field) => ({
            type: 'INSUFFICIENT_SCOPES',
            message: `requires one of the following scopes: [${Array.from({ length: 10 }, (_, i) => `'${field}${i}'`).join(', ')}]`,
          })),
        ),
      ),
      expected: {
        required: Array.from({ length: 10 }, (_, i) => [`a${i}`]),
        note: "GitHub GraphQL lists alternatives: any one of the scopes named for a field suffices. Too many combinations of the fields' scopes; only the first fields are counted.",
      },
    },
    { description: 'other GraphQL errors', input: respond(200, {}, graphql({ type: 'NOT_FOUND', message: "Could not resolve to a Repository with the name 'x'." })), expected: null },
    { description: 'data, no errors', input: respond(200, {}, { data: { viewer: { login: 'octocat' } } }), expected: null },
  ]);
});
