/**
 * The one fix line that diff, probe and check end with, on stdout after their table (so `> file` and `| cat` keep
 * it in order): `To fix: scopes login --add-scope "…"`. For a token that is not the profile's (given with --token and
 * issued elsewhere), adding scopes to the profile would change nothing: the line then names the token's own issuer
 * and client as a login of its own, or says in words what is needed.
 */
import { excerpt } from '../core/challenges.js';
import { isScopeToken, unionScopes } from '../core/scopes.js';
import { shellWords, wrapCommand } from './help.js';
import { addScopeCommand, shellWord } from './probe.js';
import { visibleWidth, wrapText } from './table.js';

export type FixTarget =
  /** The token is the profile's: add scopes to it. */
  | { readonly kind: 'profile'; readonly profile: string }
  /**
   * A token from elsewhere. `issuer` and `clientId` come from its claims (untrusted: quoted and shortened here);
   * `keep` are the scopes a new login should ask for besides the missing ones.
   */
  | { readonly kind: 'foreign'; readonly issuer?: string | undefined; readonly clientId?: string | undefined; readonly keep: readonly string[] };

/** A profile name for a login of a foreign token's issuer: its host, which the profile-name alphabet allows. */
function profileNameFor(issuer: string): string {
  try {
    const host = new URL(issuer).hostname;
    if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(host)) return host;
  } catch {
    // not a URL: fall through
  }
  return 'other';
}

const isHttpUrl = (value: string): boolean => {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
};

/** `To fix: …` for `missing`, or undefined when nothing is missing (or nothing that may go in a command). */
export function fixLine(missing: readonly string[], target: FixTarget): string | undefined {
  const scopes = missing.filter((scope) => isScopeToken(scope));
  if (scopes.length === 0) return undefined;
  if (target.kind === 'profile') {
    const command = addScopeCommand(scopes, target.profile);
    return command === undefined ? undefined : `To fix: ${command}`;
  }
  const { issuer, clientId } = target;
  if (issuer !== undefined && clientId !== undefined && isHttpUrl(issuer) && !/[\u0000-\u001f\u007f-\u009f]/.test(issuer + clientId)) {
    const wanted = unionScopes(target.keep.filter((scope) => isScopeToken(scope)), scopes);
    return `To fix: scopes login --profile ${profileNameFor(issuer)} --issuer ${shellWord(issuer)} --client-id ${shellWord(clientId)} --scope ${shellWord(wanted.join(' '))}`;
  }
  const from = issuer === undefined ? 'the server that issued it' : excerpt(issuer, 120);
  return `To fix: get a token that also carries ${scopes.join(' ')} from ${from} (the token is not this profile's, so \`scopes login --add-scope\` would not change it).`;
}

/**
 * The fix line fit to a terminal `width` (undefined: a pipe or file, whole line). A command is broken between shell
 * words with a trailing ` \`, so it still pastes as one command; prose is word-wrapped with a hanging indent.
 */
export function fitFixLine(line: string, width: number | undefined): string[] {
  if (width === undefined || visibleWidth(line) <= width) return [line];
  const prefix = 'To fix: ';
  if (line.startsWith(`${prefix}scopes `)) return ['To fix:', ...wrapCommand(`  ${splitScopeLists(line.slice(prefix.length), width - 4)}`, width)];
  return wrapText(line, width, 2, 0);
}

/**
 * A command whose quoted scope list is wider than `room` cannot be broken between words: `--scope` and `--add-scope`
 * may repeat, so the list becomes one flag per scope, which can.
 */
function splitScopeLists(command: string, room: number): string {
  const words = shellWords(command);
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const flag = out[out.length - 1];
    const quoted = /^(['"])([^'"]*)\1$/.exec(word);
    if ((flag === '--scope' || flag === '--add-scope') && visibleWidth(word) > room && quoted) {
      const scopes = quoted[2]!.split(' ').filter(Boolean);
      out.pop();
      for (const scope of scopes) out.push(flag, shellWord(scope));
    } else {
      out.push(word);
    }
  }
  return out.join(' ');
}
