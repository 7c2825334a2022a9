/**
 * Google (Google Identity / Google APIs).
 *
 * Setup: create an OAuth client of type "Desktop app" in the Google Cloud console, then
 * `scopes login --provider google --client-id <id>` (Google issues a client secret even to desktop clients:
 * pass it with `--client-secret-env`). Google wants `access_type=offline` for a refresh token and
 * `include_granted_scopes=true` for incremental consent; its challenges list the scopes that would each do.
 * @see https://developers.google.com/identity/protocols/oauth2/native-app
 * @see https://developers.google.com/identity/protocols/oauth2/scopes
 */
import { findBearer, readError, readScope, type Challenge } from '../core/challenges.js';
import { alternatives, challengeEvidence, finding, get, text, type Finding, type ResponseReader, type ResponseView } from '../core/response.js';
import { asDialect as toDialect } from '../core/response.js';
import type { Provider } from './types.js';

/*
 * Google publishes no implication table (standards.md §4). What is here comes from the scope descriptions and from
 * the per-method "requires one of the following scopes" lists of the discovery documents, which list every broader
 * scope as an alternative (e.g. Gmail `users.messages.send` accepts mail.google.com, gmail.modify, gmail.compose,
 * gmail.send; `users.labels.create` accepts mail.google.com, gmail.labels, gmail.modify).
 *  - `…/auth/X` ⊇ `…/auth/X.readonly` in general (the `contains` rule below).
 *  - Drive: `drive` ⊇ drive.readonly, drive.file, drive.metadata (and so drive.metadata.readonly);
 *    drive.readonly ⊇ drive.metadata.readonly. NOT drive.appdata: Drive's scope page describes `drive` as access to
 *    "all of a user's files, excluding the Application Data folder". drive.photos.readonly is left out (unsure; the
 *    scope is deprecated).
 *  - Gmail: `https://mail.google.com/` ⊇ gmail.modify ⊇ {gmail.readonly, gmail.compose, gmail.labels, gmail.insert};
 *    gmail.readonly ⊇ gmail.metadata; gmail.compose ⊇ gmail.send. The gmail.settings.* scopes are under nothing:
 *    settings updates accept only gmail.settings.basic / .sharing.
 *  - Calendar: `calendar` ⊇ calendar.events (and by the general rule calendar.readonly, calendar.events.readonly);
 *    calendar.readonly ⊇ calendar.events.readonly.
 *  - `cloud-platform` ⊇ `cloud-platform.read-only` (read methods of Cloud APIs accept both; writes only the first).
 *  - `email` and `profile` are the short forms of `…/auth/userinfo.email` and `…/auth/userinfo.profile`: Google's
 *    token responses and tokeninfo answer with the long form.
 */
const GOOGLE_AUTH = 'https://www.googleapis.com/auth/';
const GMAIL_FULL = 'https://mail.google.com/';
const auth = (name: string): string => GOOGLE_AUTH + name;

const GOOGLE_IMPLIES: Readonly<Record<string, readonly string[]>> = {
  [auth('drive')]: [auth('drive.readonly'), auth('drive.file'), auth('drive.metadata')],
  [auth('drive.readonly')]: [auth('drive.metadata.readonly')],
  [GMAIL_FULL]: [auth('gmail.modify')],
  [auth('gmail.modify')]: [auth('gmail.readonly'), auth('gmail.compose'), auth('gmail.labels'), auth('gmail.insert')],
  [auth('gmail.readonly')]: [auth('gmail.metadata')],
  [auth('gmail.compose')]: [auth('gmail.send')],
  [auth('calendar')]: [auth('calendar.events')],
  [auth('calendar.readonly')]: [auth('calendar.events.readonly')],
  [auth('cloud-platform')]: [auth('cloud-platform.read-only')],
};

const GOOGLE_ALIASES: ReadonlyMap<string, string> = new Map([
  ['email', auth('userinfo.email')],
  ['profile', auth('userinfo.profile')],
]);

const googleNormalize = (scope: string): string => GOOGLE_ALIASES.get(scope) ?? scope;

const googleContains = (granted: string, needed: string): boolean => {
  const broad = googleNormalize(granted);
  return broad.startsWith(GOOGLE_AUTH) && broad.length > GOOGLE_AUTH.length && googleNormalize(needed) === `${broad}.readonly`;
};


// ---------------------------------------------------------------------------------------------------------------
// Reader: the challenge (realm https://accounts.google.com/) and google.rpc / legacy `errors[].reason` bodies

const GOOGLE_REALM = 'https://accounts.google.com';
const GOOGLE_SCOPE_REASONS = new Set(['ACCESS_TOKEN_SCOPE_INSUFFICIENT', 'insufficientPermissions']);

interface GoogleBody {
  readonly reasons: { readonly path: string; readonly reason: string }[];
  readonly googleShaped: boolean;
}

const googleBody = (json: unknown): GoogleBody => {
  const error = get(json, 'error');
  const reasons: { path: string; reason: string }[] = [];
  let googleShaped = false;
  const details = get(error, 'details');
  if (Array.isArray(details)) {
    details.slice(0, 50).forEach((detail: unknown, index) => {
      if (text(get(detail, '@type'))?.startsWith('type.googleapis.com/') === true) googleShaped = true;
      const reason = text(get(detail, 'reason'));
      if (reason !== undefined) reasons.push({ path: `error.details[${index}].reason`, reason });
    });
  }
  const errors = get(error, 'errors');
  if (Array.isArray(errors)) {
    errors.slice(0, 50).forEach((item: unknown, index) => {
      const reason = text(get(item, 'reason'));
      if (reason === undefined) return;
      if (text(get(item, 'domain')) !== undefined) googleShaped = true;
      reasons.push({ path: `error.errors[${index}].reason`, reason });
    });
  }
  return { reasons, googleShaped };
};

const isGoogleRealm = (challenge: Challenge | undefined): boolean => {
  const realm = challenge === undefined ? undefined : challenge.params.realm;
  return typeof realm === 'string' && (realm === GOOGLE_REALM || realm.startsWith(`${GOOGLE_REALM}/`));
};

const read = (view: ResponseView): Finding | null => {
  if (view.status !== 401 && view.status !== 403) return null;
  const bearer = findBearer(view.challenges);
  const body = googleBody(view.json);
  if (!isGoogleRealm(bearer) && !body.googleShaped) return null;

  const evidence: string[] = [];
  if (bearer !== undefined) evidence.push(challengeEvidence(view, bearer));
  for (const { path, reason } of body.reasons) evidence.push(view.evidence(`body ${path}: ${JSON.stringify(reason)}`));
  const message = text(get(get(view.json, 'error'), 'message'));
  if (message !== undefined) evidence.push(view.evidence(`body error.message: ${JSON.stringify(message)}`));
  const dialect = 'google';

  const scopeGap =
    (bearer !== undefined && readError(bearer) === 'insufficient_scope') || body.reasons.some(({ reason }) => GOOGLE_SCOPE_REASONS.has(reason));
  if (scopeGap) {
    const scopes = bearer === undefined ? undefined : readScope(bearer);
    if (scopes === undefined || scopes.length === 0) {
      return finding(view, { outcome: 'missing_scope', required: [], evidence, dialect }, {
        note: 'Google names the scopes it would accept only in the WWW-Authenticate challenge, which did not list any.',
      });
    }
    return finding(view, { outcome: 'missing_scope', required: alternatives(scopes), evidence, dialect }, {
      note: scopes.length > 1 ? "Google's challenge lists alternatives: any one of these scopes suffices." : undefined,
    });
  }
  if (view.status === 401) return finding(view, { outcome: 'unauthorized', required: [], evidence, dialect });
  const reasons = body.reasons.map(({ reason }) => reason);
  return finding(view, { outcome: 'forbidden', required: [], evidence, dialect }, {
    note: reasons.length === 0 ? 'Google refused without saying a scope is missing.' : `Google's reason ${reasons.map((r) => JSON.stringify(r)).join(', ')} is not a missing scope.`,
  });
};

export const GOOGLE_READERS: readonly ResponseReader[] = [
  {
    dialect: 'google',
    reads: 'realm="https://accounts.google.com/" challenges (alternatives) and google.rpc ErrorInfo / errors[].reason bodies',
    read,
    // Google's challenge is RFC 6750 in form, but its scope lists alternatives where RFC 6750 means all of them.
    supersedes: ['rfc6750'],
  },
];

export const google: Provider = {
  id: 'google',
  name: 'Google',
  docs: ['https://developers.google.com/identity/protocols/oauth2/scopes'],
  readers: GOOGLE_READERS,
  rules: { normalize: googleNormalize, implies: GOOGLE_IMPLIES, contains: googleContains },
  login: {
    issuer: 'https://accounts.google.com',
    scopeSeparator: ' ',
    authorizationParams: { access_type: 'offline', include_granted_scopes: 'true' },
    defaultScopes: ['openid', 'email'],
    quirks: [
      'A refresh token only with access_type=offline (and again only after prompt=consent once one was issued).',
      'include_granted_scopes=true makes a new grant add to the scopes already granted (incremental consent).',
      'Token responses name scopes in the long form (https://www.googleapis.com/auth/userinfo.email for email).',
      'Desktop clients are issued a client secret that is not secret; PKCE is still used.',
    ],
  },
  catalogue: {
    openid: 'Associate you with your personal info on Google',
    email: 'See your primary Google Account email address',
    profile: 'See your personal info, including any personal info you have made publicly available',
    [GOOGLE_AUTH + 'drive']: 'See, edit, create and delete all of your Google Drive files',
    [GOOGLE_AUTH + 'drive.readonly']: 'See and download all your Google Drive files',
    [GOOGLE_AUTH + 'drive.file']: 'See, edit, create and delete only the specific Google Drive files you use with this app',
    [GOOGLE_AUTH + 'drive.metadata.readonly']: 'See information about your Google Drive files',
    [GMAIL_FULL]: 'Read, compose, send and permanently delete all your email from Gmail',
    [GOOGLE_AUTH + 'gmail.readonly']: 'View your email messages and settings',
    [GOOGLE_AUTH + 'gmail.send']: 'Send email on your behalf',
    [GOOGLE_AUTH + 'calendar']: 'See, edit, share and permanently delete all the calendars you can access using Google Calendar',
    [GOOGLE_AUTH + 'calendar.readonly']: 'See and download any calendar you can access using your Google Calendar',
    [GOOGLE_AUTH + 'cloud-platform']: 'See, edit, configure and delete your Google Cloud data and see the email address for your Google Account',
  },
};

/** Google (realm `https://accounts.google.com/` or a google.rpc body): the challenge's scopes are ALTERNATIVES. */
export const readGoogle = toDialect(read);
