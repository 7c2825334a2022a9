/**
 * Runs the real `scopes` binary in a child process with an isolated home: its own XDG folders, its own keychain
 * service name, and the scripted user agent as $BROWSER. What a user would run, nothing mocked.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root, from either test/support (vitest) or dist/test/support (compiled). */
export const repoRoot = here.includes(`${join('dist', 'test')}`) ? resolve(here, '..', '..', '..') : resolve(here, '..', '..');
export const binPath = join(repoRoot, 'bin', 'scopes.js');
export const userAgentPath = join(repoRoot, 'dist', 'test', 'support', 'user-agent.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Sandbox {
  readonly home: string;
  readonly env: Record<string, string>;
  run(args: readonly string[], options?: { env?: Record<string, string | undefined>; stdin?: string; timeoutMs?: number }): Promise<CliResult>;
  cleanup(): Promise<void>;
}

/** Environment variables of the parent that must not leak into a test run (a developer's own profile, colour…). */
const SCRUBBED = ['SCOPES_PROFILE', 'SCOPES_CONFIG', 'SCOPES_TOKEN', 'SCOPES_REFRESH_TOKEN', 'SCOPES_STORAGE', 'SCOPES_DEBUG', 'BROWSER', 'FORCE_COLOR', 'NO_COLOR', 'DISPLAY', 'WAYLAND_DISPLAY'];

export async function createSandbox(options: { storage?: 'file' | 'keychain'; env?: Record<string, string> } = {}): Promise<Sandbox> {
  const home = await mkdtemp(join(tmpdir(), 'scopes-test-'));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !SCRUBBED.includes(key)) env[key] = value;
  Object.assign(env, {
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_STATE_HOME: join(home, 'state'),
    SCOPES_STORAGE: options.storage ?? 'file',
    SCOPES_KEYCHAIN_SERVICE: `scopes-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    BROWSER: `${JSON.stringify(process.execPath)} ${JSON.stringify(userAgentPath)}`,
    NO_COLOR: '1',
    ...options.env,
  });
  return {
    home,
    env,
    run: (args, runOptions = {}) => runCli(args, { ...env, ...runOptions.env }, runOptions.stdin, runOptions.timeoutMs, home),
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}

export function runCli(args: readonly string[], env: Record<string, string | undefined>, stdin?: string, timeoutMs = 60_000, cwd?: string): Promise<CliResult> {
  const cleanEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) cleanEnv[key] = value;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], { env: cleanEnv, cwd: cwd ?? repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`scopes ${args.join(' ')} did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
    // A child that stops reading (a refused, too-large stdin) closes the pipe: that is its answer, not a test failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
  });
}
