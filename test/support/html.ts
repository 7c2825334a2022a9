/**
 * The little HTML the test provider writes and the scripted user agent reads. Both sides live here so the page
 * conventions (a form, `name` attributes, `checked`/`disabled` flags) are written down once.
 *
 * The parser is deliberately small: its only input is pages of our own test provider and of the CLI's loopback
 * listener, so it reads forms the way a browser submits them, not the way a browser renders them.
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for use in HTML element content and in quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes the character references a value may carry (`&amp;`, `&#39;`, `&#x2F;`); unknown ones stay as they are. */
export function decodeEntities(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** The attributes of one start tag (`<input type="checkbox" checked name=scope>`), names lower-cased, values decoded. */
export function parseAttributes(tag: string): Map<string, string> {
  const attributes = new Map<string, string>();
  const inner = tag.replace(/^<\s*[a-z0-9-]+/i, '').replace(/\/?>$/, '');
  const pattern = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  for (const match of inner.matchAll(pattern)) {
    const name = match[1]!.toLowerCase();
    if (attributes.has(name)) continue; // a browser keeps the first
    attributes.set(name, decodeEntities(match[2] ?? match[3] ?? match[4] ?? ''));
  }
  return attributes;
}

/** One submittable control of a form. */
export interface FormControl {
  readonly tag: 'input' | 'button' | 'select' | 'textarea';
  /** `text`, `hidden`, `checkbox`, `submit`, … (lower case; `submit` for a `<button>` without a type). */
  readonly type: string;
  readonly name: string;
  readonly value: string;
  readonly checked: boolean;
  readonly disabled: boolean;
}

export interface HtmlForm {
  readonly id: string | undefined;
  /** Absolute URL the form submits to. */
  readonly action: string;
  /** `GET` or `POST`. */
  readonly method: string;
  readonly controls: readonly FormControl[];
}

/**
 * Every `<form>` of a page, with its controls (including buttons outside it that name it with `form="id"`).
 * A form without `action` submits to the page itself, as in a browser.
 */
export function parseForms(html: string, pageUrl: string): HtmlForm[] {
  const forms: { id: string | undefined; action: string; method: string; controls: FormControl[] }[] = [];
  const byId = new Map<string, (typeof forms)[number]>();
  const outside: { formId: string; control: FormControl }[] = [];

  for (const match of html.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form\s*>/gi)) {
    const openTag = /^<form\b[^>]*>/i.exec(match[0])![0];
    const attributes = parseAttributes(openTag);
    const action = new URL(attributes.get('action') || pageUrl, pageUrl).href;
    const method = (attributes.get('method') ?? 'get').toUpperCase() === 'POST' ? 'POST' : 'GET';
    const form = { id: attributes.get('id'), action, method, controls: parseControls(match[1]!) };
    forms.push(form);
    if (form.id !== undefined) byId.set(form.id, form);
  }

  const withoutForms = html.replace(/<form\b[^>]*>[\s\S]*?<\/form\s*>/gi, '');
  for (const tag of withoutForms.match(/<(input|button)\b[^>]*>/gi) ?? []) {
    const attributes = parseAttributes(tag);
    const formId = attributes.get('form');
    const control = toControl(tag, attributes);
    if (formId !== undefined && control !== undefined) outside.push({ formId, control });
  }
  for (const { formId, control } of outside) byId.get(formId)?.controls.push(control);

  return forms;
}

function parseControls(formBody: string): FormControl[] {
  const controls: FormControl[] = [];
  for (const match of formBody.matchAll(/<(input|button|select|textarea)\b[^>]*>/gi)) {
    const control = toControl(match[0], parseAttributes(match[0]));
    if (control !== undefined) controls.push(control);
  }
  return controls;
}

function toControl(tag: string, attributes: Map<string, string>): FormControl | undefined {
  const element = /^<\s*([a-z]+)/i.exec(tag)![1]!.toLowerCase() as FormControl['tag'];
  const type = (attributes.get('type') ?? (element === 'button' ? 'submit' : 'text')).toLowerCase();
  return {
    tag: element,
    type,
    name: attributes.get('name') ?? '',
    // A checkbox without a value submits "on", like a browser.
    value: attributes.get('value') ?? (type === 'checkbox' ? 'on' : ''),
    checked: attributes.has('checked'),
    disabled: attributes.has('disabled'),
  };
}

/** The text of the first `<title>`, decoded; empty when there is none. */
export function pageTitle(html: string): string {
  const match = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html);
  return match ? decodeEntities(match[1]!).trim() : '';
}
