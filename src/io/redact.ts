/**
 * The one redaction layer every line of output passes: it knows each secret the run holds (access, refresh and ID
 * tokens, the client secret, SCOPES_TOKEN, SCOPES_REFRESH_TOKEN, a `--token`) and replaces it wherever it appears,
 * as is, URL-encoded, form-encoded or JSON-escaped: a server that echoes a token into a redirect URL, an error
 * description or a metadata URL cannot make scopes print it.
 *
 * Secrets are learnt as they come into the process (see guard.ts), so a value is known before any output can
 * quote it.
 */

/** Shorter values are not treated as secrets: replacing every "abc" in the output would hide more than it protects. */
export const MIN_SECRET_LENGTH = 8;
export const REDACTED = '[redacted]';

export class SecretRedactor {
  /** Every form a secret may take in text, longest first so a longer form is replaced before a shorter one inside it. */
  private forms: string[] = [];
  private readonly known = new Set<string>();

  /** Remembers a secret (and its encoded forms). Values that are too short or not strings are ignored. */
  add(value: unknown): void {
    if (typeof value !== 'string') return;
    const secret = value.trim();
    if (secret.length < MIN_SECRET_LENGTH || this.known.has(secret)) return;
    this.known.add(secret);
    const forms = new Set([secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2), JSON.stringify(secret).slice(1, -1)]);
    for (const form of forms) if (!this.forms.includes(form)) this.forms.push(form);
    this.forms.sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.known.size;
  }

  redact(text: string): string {
    if (this.forms.length === 0 || text.length < MIN_SECRET_LENGTH) return text;
    let result = text;
    for (const form of this.forms) if (result.includes(form)) result = result.split(form).join(REDACTED);
    return result;
  }
}
