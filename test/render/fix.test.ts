/** The fix line at terminal widths: a command stays one pasteable command, each line within the width. */
import { describe, expect, it } from 'vitest';
import { fitFixLine, fixLine } from '../../src/render/fix.js';

describe('fitFixLine', () => {
  it('keeps a line that fits, and breaks a long command between shell words with " \\\\", splitting a wide scope list', () => {
    const line = fixLine(['videos:read', 'export:write', 'organization:administration:write'], { kind: 'profile', profile: 'work' })!;
    expect(line).toBe('To fix: scopes login --profile work --add-scope "videos:read export:write organization:administration:write"');
    expect(fitFixLine(line, undefined)).toEqual([line]);
    const fitted = fitFixLine(line, 40);
    for (const row of fitted) expect(row.length).toBeLessThanOrEqual(40);
    expect(fitted[0]).toBe('To fix:');
    // Joined as a shell joins continuation lines, it is the same request.
    const command = fitted.slice(1).map((row) => row.replace(/ \\$/, '').trim()).join(' ');
    expect(command).toBe('scopes login --profile work --add-scope videos:read --add-scope export:write --add-scope organization:administration:write');
  });
});
