/**
 * Typed errors. Every failure a user can meet is one of these: it carries a stable `code`, the exit code of
 * the SPEC's table, a message a user can act on, and optionally a hint (a command to copy).
 * `main.ts` is the one place that turns them into stderr text and an exit code.
 */

/** Exit codes of the SPEC's table. */
export const ExitCode = {
  ok: 0,
  /** a scope is missing (diff, probe, check, `login --strict`) */
  missingScope: 1,
  /** usage or configuration error */
  usage: 2,
  /** no session, login denied or timed out, refresh token rejected, keychain unavailable */
  auth: 3,
  /** network or server error */
  network: 4,
  /** cancelled with Ctrl-C: 128 + SIGINT, as a shell reports a command the signal ended */
  cancelled: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorDetails {
  /** A line the user can act on, printed after the message (e.g. "run `scopes login`"). */
  readonly hint?: string;
  readonly cause?: unknown;
}

export class ScopesError extends Error {
  readonly hint: string | undefined;
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode,
    details: ErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.hint = details.hint;
  }
}

/** A bad flag, an unreadable or invalid file, a bad URL: exit 2. */
export class UsageError extends ScopesError {
  constructor(message: string, details?: ErrorDetails, code = 'usage') {
    super(code, message, ExitCode.usage, details);
  }
}

/** No session, a denied or timed-out login, a rejected refresh token, an unreachable keychain: exit 3. */
export class AuthError extends ScopesError {
  constructor(code: string, message: string, details?: ErrorDetails) {
    super(code, message, ExitCode.auth, details);
  }
}

/** Unreachable server, 5xx, a broken discovery document: exit 4. */
export class NetworkError extends ScopesError {
  constructor(code: string, message: string, details?: ErrorDetails) {
    super(code, message, ExitCode.network, details);
  }
}

/** Raised by a command whose outcome is "a scope is missing" after it has printed its report: exit 1. */
export class MissingScopeError extends ScopesError {
  constructor(message: string, details?: ErrorDetails) {
    super('missing_scope', message, ExitCode.missingScope, details);
  }
}

/** The user pressed Ctrl-C while the command waited (for a browser, a device code): exit 130. */
export class CancelledError extends ScopesError {
  constructor(message: string) {
    super('cancelled', message, ExitCode.cancelled);
  }
}

export const noSession = (profile: string): AuthError =>
  new AuthError('no_session', `No session for profile "${profile}".`, {
    hint: profile === 'default' ? 'Run `scopes login` first.' : `Run \`scopes login --profile ${profile}\` first.`,
  });
