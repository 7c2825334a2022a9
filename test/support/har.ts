/**
 * The HAR file the README's least-privilege section shows (examples/okta-app.har): what browser devtools save for an
 * app that lists users and groups of an Okta org with a token granted more than it needs. HAR 1.2 as Chrome writes it
 * (log.version, creator, entries[].request with method, url, httpVersion, headers, queryString, cookies).
 * The token is a made-up JWT whose payload carries `scp` as Okta's access tokens do; the cookie is made up too.
 * @see http://www.softwareishard.com/blog/har-12-spec/
 * @see https://developer.okta.com/docs/guides/implement-oauth-for-okta/main/#scopes-and-supported-endpoints
 */
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Okta access tokens list scopes in `scp`; the signature is not checked by `scopes`. */
export const HAR_TOKEN = `${b64({ alg: 'RS256', kid: 'example' })}.${b64({
  ver: 1,
  iss: 'https://subdomain.okta.com',
  aud: 'https://subdomain.okta.com',
  exp: 4102444800,
  cid: '0oa-example-client',
  scp: ['okta.users.read', 'okta.users.manage', 'okta.groups.read', 'okta.groups.manage'],
  sub: 'dev@example.com',
})}.c2lnbmF0dXJl`;

export const HAR_COOKIE = 'sid=102-example-session-cookie';

const entry = (method: string, url: string, headers: Record<string, string>) => ({
  startedDateTime: '2026-06-29T10:00:00.000Z',
  time: 120,
  request: {
    method,
    url,
    httpVersion: 'HTTP/1.1',
    headers: Object.entries(headers).map(([name, value]) => ({ name, value })),
    queryString: [...new URL(url).searchParams].map(([name, value]) => ({ name, value })),
    cookies: [],
    headersSize: -1,
    bodySize: 0,
  },
  response: { status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', headers: [], cookies: [], content: { size: 0, mimeType: 'application/json' }, redirectURL: '', headersSize: -1, bodySize: 0 },
  cache: {},
  timings: { send: 0, wait: 120, receive: 0 },
});

/** Three calls to the management API, one to the OIDC userinfo endpoint (no operation of the management API). */
export function makeOktaHar(): string {
  const bearer = { accept: 'application/json', authorization: `Bearer ${HAR_TOKEN}`, cookie: HAR_COOKIE };
  return `${JSON.stringify(
    {
      log: {
        version: '1.2',
        creator: { name: 'WebInspector', version: '537.36' },
        pages: [],
        entries: [
          entry('GET', 'https://subdomain.okta.com/api/v1/users?limit=20&search=profile.department%20eq%20%22Sales%22', bearer),
          entry('GET', 'https://subdomain.okta.com/api/v1/users/00u1example', bearer),
          entry('GET', 'https://subdomain.okta.com/api/v1/groups?q=Sales', bearer),
          entry('GET', `https://subdomain.okta.com/oauth2/v1/userinfo?access_token=${HAR_TOKEN}`, { accept: 'application/json', cookie: HAR_COOKIE }),
        ],
      },
    },
    null,
    2,
  )}\n`;
}
