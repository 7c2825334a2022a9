import { spawn } from 'node:child_process';
import type { BrowserResult } from '../deps.js';
import type { Env } from './paths.js';

/** No display and no $BROWSER: opening a browser would fail or, worse, start a text browser inside our terminal. */
export function canOpenSystemBrowser(env: Env, platform = process.platform): { ok: boolean; reason?: string } {
  if (env.SSH_CONNECTION || env.SSH_TTY) return { ok: false, reason: 'this is an SSH session' };
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return { ok: false, reason: 'no display was found' };
  return { ok: true };
}

/**
 * Opens `url` with `$BROWSER` (a command; the URL is its last argument) or else the system browser. The URL is passed
 * as a positional parameter of `sh -c`, never spliced into the command text, so a hostile URL cannot run anything.
 */
export async function openBrowser(url: string, env: Env): Promise<BrowserResult> {
  const command = env.BROWSER?.trim();
  if (command) {
    return await new Promise<BrowserResult>((resolve) => {
      const child = spawn('/bin/sh', ['-c', `${command} "$1"`, 'sh', url], { stdio: 'ignore', detached: true, env: { ...process.env, ...env } });
      child.once('error', (error) => resolve({ opened: false, detail: `$BROWSER failed: ${error.message}` }));
      // Listened for before it can happen; unref'd, so a browser that stays open never keeps scopes running.
      const exited = new Promise<{ code: number | null; signal: string | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
      child.once('spawn', () => {
        child.unref();
        resolve({ opened: true, detail: '$BROWSER', exited });
      });
    });
  }
  const possible = canOpenSystemBrowser(env);
  if (!possible.ok) return { opened: false, detail: possible.reason ?? 'no browser' };
  try {
    const { default: open } = await import('open');
    const child = await open(url, { wait: false });
    child.unref();
    return { opened: true, detail: 'the system browser' };
  } catch (error) {
    return { opened: false, detail: `the system browser could not be opened: ${(error as Error).message}` };
  }
}
