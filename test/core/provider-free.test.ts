import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVIDERS } from '../../src/providers/index.js';

// Issue 9: what the tool knows of a provider lives in src/providers/<provider>.ts; the protocol core names none, and
// never imports the providers (they import it).
const CORE = join(import.meta.dirname, '..', '..', 'src', 'core');
const files = readdirSync(CORE).filter((name) => name.endsWith('.ts'));

/** Provider ids that are also ordinary English words are looked for by display name only. */
const ENGLISH = new Set(['box', 'linear', 'zoom', 'stripe']);
const names = [...new Set(PROVIDERS.flatMap((provider) => [provider.name.split(' ')[0]!, ...(ENGLISH.has(provider.id) ? [] : [provider.id, ...(provider.aliases ?? [])])]))]
  .filter((name) => name.length > 2 && name !== 'the');

describe('src/core is provider-free', () => {
  it.each(files)('%s names no provider', (file) => {
    const text = readFileSync(join(CORE, file), 'utf8');
    const found = names.filter((name) => new RegExp(`(?<![\\w-])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`).test(text));
    expect(found).toEqual([]);
  });

  it.each(files)('%s does not import src/providers', (file) => {
    expect(readFileSync(join(CORE, file), 'utf8')).not.toMatch(/from '\.\.\/providers\//);
  });
});
