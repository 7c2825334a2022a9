/**
 * Issue 12, point 15: `scopes completion bash|zsh|fish`. The bash script is loaded into a real bash, which completes
 * partial command lines through COMP_WORDS/COMP_CWORD as readline would; profile names come from the config files
 * through the built binary (`scopes` on PATH is a wrapper around bin/scopes.js). zsh and fish are syntax-checked when
 * installed. Needs `npm run build`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, createSandbox, type Sandbox } from '../support/cli.js';

const exec = promisify(execFile);
let box: Sandbox;
let script: string;
let pathWithScopes: string;

const has = (shell: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${shell}`]);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  box = await createSandbox();
  const bin = join(box.home, 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'scopes'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(binPath)} "$@"\n`);
  await chmod(join(bin, 'scopes'), 0o755);
  pathWithScopes = `${bin}:${process.env.PATH ?? ''}`;
  await mkdir(join(box.home, 'config', 'scopes'), { recursive: true });
  await writeFile(
    join(box.home, 'config', 'scopes', 'config.json'),
    JSON.stringify({ profiles: { default: { issuer: 'https://a.example' }, work: { issuer: 'https://b.example' }, 'work-eu': { issuer: 'https://c.example' }, 'bad name; rm -rf /': {} } }),
  );
  const result = await box.run(['completion', 'bash']);
  expect(result.code, result.stderr).toBe(0);
  script = join(box.home, 'scopes.bash');
  await writeFile(script, result.stdout);
});
afterAll(async () => {
  await box?.cleanup();
});

/** What bash offers for the command line `line` with the cursor at its end (a trailing space starts a new word). */
async function complete(line: string): Promise<string[]> {
  const words = line.split(' ');
  const program = `source ${JSON.stringify(script)}
COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')})
COMP_CWORD=${words.length - 1}
COMP_LINE=${JSON.stringify(line)}
COMP_POINT=${line.length}
_scopes_complete
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await exec('bash', ['--norc', '--noprofile', '-c', program], { env: { ...box.env, PATH: pathWithScopes }, cwd: box.home });
  return stdout.split('\n').filter(Boolean).sort();
}

describe('scopes completion bash, loaded in bash', () => {
  it.each([
    ['scopes lo', ['login', 'logout']],
    ['scopes c', ['check', 'completion']],
    ['scopes --profile work st', ['status']],
    ['scopes probe --man', ['--manifest']],
    ['scopes login --st', ['--storage', '--strict']],
    ['scopes login --storage k', ['keychain']],
    ['scopes check --format ', ['github', 'text']],
    ['scopes diff --preset g', ['github', 'gitlab', 'google']],
    ['scopes --js', ['--json']],
    ['scopes completion ', ['bash', 'fish', 'zsh']],
  ])('%s', async (line, expected) => {
    expect(await complete(line)).toEqual(expected);
  });

  it('completes profile names from the config, and leaves out a name no profile can have', async () => {
    expect(await complete('scopes token --profile w')).toEqual(['work', 'work-eu']);
    expect(await complete('scopes -p ')).toEqual(['default', 'work', 'work-eu']);
  });

  it('completes a file name after --manifest', async () => {
    await writeFile(join(box.home, 'scopes.manifest.json'), '{"endpoints":[]}');
    expect(await complete('scopes check --manifest scopes.man')).toEqual(['scopes.manifest.json']);
  });

  it('a bad shell name is a usage error (exit 2) that says which shells there are', async () => {
    const result = await box.run(['completion', 'powershell']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('bash, zsh or fish');
  });
});

describe('zsh and fish scripts', () => {
  it.skipIf(!has('zsh'))('zsh parses it', async () => {
    const { stdout } = await box.run(['completion', 'zsh']);
    await writeFile(join(box.home, '_scopes'), stdout);
    await exec('zsh', ['-n', join(box.home, '_scopes')]);
  });

  it.skipIf(!has('fish'))('fish parses it', async () => {
    const { stdout } = await box.run(['completion', 'fish']);
    await writeFile(join(box.home, 'scopes.fish'), stdout);
    await exec('fish', ['--no-execute', join(box.home, 'scopes.fish')]);
  });

  it.skipIf(!has('fish'))('fish completes a partial command, flag and profile with it', async () => {
    const { stdout } = await box.run(['completion', 'fish']);
    const file = join(box.home, 'scopes.fish');
    await writeFile(file, stdout);
    const complete = async (line: string) => {
      const result = await exec('fish', ['--no-config', '-c', `source ${file}; complete -C ${JSON.stringify(line)}`], { env: { ...box.env, PATH: pathWithScopes }, cwd: box.home });
      return result.stdout.split('\n').filter(Boolean).map((entry) => entry.split('\t')[0]).sort();
    };
    expect(await complete('scopes lo')).toEqual(['login', 'logout']);
    expect(await complete('scopes probe --man')).toEqual(['--manifest']);
    expect(await complete('scopes token --profile w')).toEqual(['work', 'work-eu']);
  });

  it('both name every command and ask the binary for profile names', async () => {
    for (const shell of ['zsh', 'fish']) {
      const { code, stdout } = await box.run(['completion', shell]);
      expect(code).toBe(0);
      for (const command of ['login', 'token', 'probe', 'check', 'completion']) expect(stdout).toContain(command);
      expect(stdout).toContain('scopes completion --profiles');
      expect(stdout).toContain('--manifest'.slice(shell === 'fish' ? 2 : 0));
    }
  });
});
