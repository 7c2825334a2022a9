/**
 * Small helpers the provider modules share for writing readers. Pure; built only on `src/core/response.ts`.
 */
import { finding, jsonEvidence, type Finding, type ResponseView } from '../core/response.js';
import { parseScopes } from '../core/scopes.js';

/** A host name (`tenant.us.auth0.com`): what a `{domain}` slot must be before it goes into a URL. */
export const HOST_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

/**
 * The items of a list that follows `phrase` in `message` (case-insensitive): up to `]`, a closing quote, or the end
 * of the sentence; items separated by commas and/or spaces, brackets and quotes removed. Undefined without the phrase.
 */
export function listAfter(message: string, phrase: string): string[] | undefined {
  const found = message.toLowerCase().indexOf(phrase.toLowerCase());
  if (found === -1) return undefined;
  let rest = message.slice(found + phrase.length, found + phrase.length + 4_000).trimStart();
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    rest = rest.slice(1, close === -1 ? undefined : close);
  } else if (rest.startsWith("'") || rest.startsWith('"') || rest.startsWith('`')) {
    const close = rest.indexOf(rest[0]!, 1);
    rest = rest.slice(1, close === -1 ? undefined : close);
  } else {
    const end = rest.search(/\.(\s|$)|\s[A-Z]/);
    if (end !== -1) rest = rest.slice(0, end);
  }
  return parseScopes(rest.replace(/["'`]/g, ''), { commas: true });
}

/**
 * A refusal the provider documents as a scope problem without naming the scope: `missing_scope` with
 * `required: []`, so a person knows which kind of problem it is (the manifest's scopes are the fallback).
 */
export function namelessScopeFinding(view: ResponseView, dialect: string, quoted: unknown, note: string): Finding {
  return finding(view, { outcome: 'missing_scope', required: [], evidence: [view.evidence(`body ${jsonEvidence(quoted)}`)], dialect }, { note });
}
