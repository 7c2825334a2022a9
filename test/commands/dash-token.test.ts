/**
 * A token passed where commander expects an option (an opaque token that starts with `-`) is echoed by commander's
 * "unknown option" error: it must be cut, on stderr and in the --json error document (regression: whole token shown).
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { testDeps } from '../support/deps.js';

const token = `-${'Zx9_Qw7'.repeat(8)}`;

describe('a token that looks like an option', () => {
  it.each([
    ['inspect', [token]],
    ['diff --token', ['--token', 'x', token]],
    ['probe', [token]],
  ])('is not printed whole by %s', async (command, args) => {
    const deps = testDeps({ env: {} });
    const code = await main([command.split(' ')[0]!, ...args, '--json'], deps);
    expect(code).toBe(2);
    expect(deps.stderr() + deps.stdout()).not.toContain(token.slice(0, 20));
    expect(deps.stderr()).toContain(`'${token.slice(0, 6)}…' (${token.length} characters, not shown in full)`);
    expect(JSON.parse(deps.stdout()).error.exitCode).toBe(2);
  });
});
