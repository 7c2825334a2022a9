/** Issue 12, point 6: `--help` wraps to the terminal, and a wrapped example is still one command when pasted. */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { shellWords, wrapCommand } from '../../src/render/help.js';
import { visibleWidth } from '../../src/render/table.js';
import { testDeps } from '../support/deps.js';

async function help(args: string[], columns?: number): Promise<string> {
  const deps = testDeps({ env: { NO_COLOR: '1' }, tty: columns !== undefined, columns });
  expect(await main(args, deps)).toBe(0);
  return deps.stdout();
}

/** What a shell reads: backslash-newline continuations joined. */
const pasted = (text: string) => text.replace(/ \\\n +/g, ' ');

describe('--help at the terminal width', () => {
  it.each([120, 80, 60, 40])('fits %i columns for the program and every command', async (columns) => {
    for (const args of [['--help'], ...['login', 'token', 'exec', 'status', 'logout', 'diff', 'inspect', 'probe', 'check', 'minimal'].map((name) => [name, '--help'])]) {
      const text = await help(args, columns);
      for (const line of text.split('\n')) {
        // A quoted shell word cannot be broken without changing the command: it alone may overflow.
        const words = shellWords(line.replace(/ \\$/, '').trim());
        if (words.length === 1 && /^["']/.test(words[0]!)) continue;
        expect(visibleWidth(line), `${args.join(' ')}: ${line}`).toBeLessThanOrEqual(columns);
      }
      // Nothing is lost: the text read as a shell would is the text of a wide terminal.
      expect(pasted(text).replace(/\s+/g, ' ')).toContain('Examples:');
    }
  });

  it('breaks an example between shell words with a trailing backslash, so pasting it runs the same command', async () => {
    const wide = await help(['login', '--help']);
    const narrow = await help(['login', '--help'], 50);
    const example = 'scopes login --issuer https://auth.example.com --client-id abc --scope "openid offline_access videos:read"';
    expect(wide).toContain(`  ${example}\n`);
    expect(narrow).not.toContain(example);
    expect(pasted(narrow)).toContain(`  ${example}\n`);
    expect(narrow).toContain('  scopes login --issuer https://auth.example.com \\\n    --client-id abc --scope \\\n');
  });

  it('puts an option description under its column, or below the option when the column would be too narrow', async () => {
    // The description column is as wide as the longest option needs, so it moves when an option is added.
    const at60 = /\n  --issuer <url>( +)issuer URL \(discovery via OpenID\n( +)Connect \/ RFC 8414\)\n/.exec(await help(['login', '--help'], 60));
    expect(at60, 'the --issuer row at 60 columns').not.toBeNull();
    expect(at60![2]!.length).toBe('  --issuer <url>'.length + at60![1]!.length);
    expect(await help(['login', '--help'], 40)).toContain('  --issuer <url>\n      issuer URL (discovery via OpenID\n      Connect / RFC 8414)\n');
  });

  it('keeps a pipe unchanged (commander wraps at 80 as before; examples stay whole)', async () => {
    const text = await help(['probe', '--help']);
    expect(text).toContain('  scopes probe https://api.example.com/v1/videos\n');
  });
});

describe('shell words', () => {
  it.each([
    ['scopes login --scope "openid email" --strict', ['scopes', 'login', '--scope', '"openid email"', '--strict']],
    ["scopes exec -- sh -c 'curl -H \"A: $T\" x'", ['scopes', 'exec', '--', 'sh', '-c', "'curl -H \"A: $T\" x'"]],
    ['scopes login --scope "$(scopes minimal --manifest m.json)"', ['scopes', 'login', '--scope', '"$(scopes minimal --manifest m.json)"']],
    ['curl -H "Authorization: Bearer $(scopes token)" https://x', ['curl', '-H', '"Authorization: Bearer $(scopes token)"', 'https://x']],
  ])('%s', (line, words) => {
    expect(shellWords(line)).toEqual(words);
    expect(wrapCommand(`  ${line}`, 24).join('\n').replace(/ \\\n +/g, ' ')).toBe(`  ${line}`);
  });
});
