/**
 * Is a process still the one it was? A pid alone cannot say: pids are reused, so a lock or a temporary file naming a
 * pid is judged by the pid *and* the process's start time (and, on Linux, the boot it belongs to).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Fields of /proc/<pid>/stat after the command name, which may itself hold spaces and parentheses. */
function procStat(pid: number | 'self'): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

let bootIdCache: string | undefined | null = null;

/** The kernel's boot id (Linux): a lock from before a reboot names no live process, whatever its pid. */
export function bootId(): string | undefined {
  if (bootIdCache === null) {
    try {
      bootIdCache = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    } catch {
      bootIdCache = undefined;
    }
  }
  return bootIdCache;
}

/**
 * When a process started, as an opaque comparable string: `proc:<clock ticks since boot>` from /proc (exact), else
 * `epoch:<ms>` from `ps -o lstart=` (second precision), else undefined.
 */
export function processStartTime(pid: number): string | undefined {
  const fields = procStat(pid);
  // Field 22 of stat(5) is starttime; fields[0] here is field 3 (state).
  if (fields && fields[19]) return `proc:${fields[19]}`;
  if (process.platform === 'win32') return undefined;
  try {
    const text = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 });
    const ms = Date.parse(text.trim());
    return Number.isFinite(ms) ? `epoch:${ms}` : undefined;
  } catch {
    return undefined;
  }
}

let ownStart: string | undefined | null = null;

/** This process's start time, in the same form {@link processStartTime} gives for others. */
export function ownStartTime(): string | undefined {
  if (ownStart === null) {
    const fields = procStat('self');
    if (fields && fields[19]) ownStart = `proc:${fields[19]}`;
    else if (process.platform === 'win32') ownStart = undefined;
    else ownStart = `epoch:${Math.round(Date.now() - process.uptime() * 1000)}`;
  }
  return ownStart;
}

/** Whether two start times name the same process start; `undefined` when they cannot be compared. */
export function sameStart(a: string | undefined, b: string | undefined): boolean | undefined {
  if (!a || !b) return undefined;
  const [kindA, valueA] = a.split(':');
  const [kindB, valueB] = b.split(':');
  if (kindA !== kindB) return undefined;
  if (kindA === 'proc') return valueA === valueB;
  // `ps` prints whole seconds; our own estimate is ms from uptime.
  return Math.abs(Number(valueA) - Number(valueB)) < 2000;
}

/** Whether a process is stopped (SIGSTOP, Ctrl-Z); `undefined` where that cannot be told. */
export function processStopped(pid: number): boolean | undefined {
  const fields = procStat(pid);
  if (!fields) return undefined;
  return fields[0] === 'T' || fields[0] === 't';
}
