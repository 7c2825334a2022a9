/**
 * The bench's measuring tools. Every figure is a ratio against a floor measured in the same run, alternating the
 * commands run by run (interleaved), so that a machine busy with something else slows both sides alike; the ratio
 * is of medians, which one slow run cannot move.
 */
import { spawn } from 'node:child_process';

/** One row of `npm run bench`: what is measured, against which floor, and the goal for the ratio. */
export interface Row {
  readonly name: string;
  /** What the ratio is measured against. */
  readonly floor: string;
  /** The ratio must be at most this. */
  readonly goal: number;
  /** Measures; `runs` is how many interleaved runs of each side to take. */
  measure(runs: number): Promise<Measured>;
}

export interface Measured {
  readonly ratio: number;
  /** The figures behind the ratio, e.g. "212 ms vs 190 ms". */
  readonly detail: string;
}

export interface Program {
  readonly argv: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Exit codes that count as a run that worked (the default is 0 only). */
  readonly exitCodes?: readonly number[];
}

/** Wall time of one run of `program`, in ms, from spawn to exit. Asynchronous, so a server in this process answers. */
export function timeProgram(program: Program): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [...program.argv], { env: program.env ?? process.env, cwd: program.cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (!(program.exitCodes ?? [0]).includes(code ?? -1)) reject(new Error(`node ${program.argv.join(' ').slice(0, 200)} exited ${code}: ${stderr}`));
      else resolve(ms);
    });
  });
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * Runs each program `runs` times, alternating them (and which goes first) after one warm-up run each that is not
 * counted (it fills the file cache). Returns the median wall time of each, in ms.
 */
export async function interleaved(programs: readonly Program[], runs: number): Promise<number[]> {
  for (const program of programs) await timeProgram(program);
  const times = programs.map((): number[] => []);
  for (let run = 0; run < runs; run++) {
    const order = programs.map((_, i) => i);
    if (run % 2 === 1) order.reverse();
    for (const i of order) times[i]!.push(await timeProgram(programs[i]!));
  }
  return times.map(median);
}

/** The same for work done inside this process: median ms of `runs` calls, alternating, after a warm-up each. */
export function interleavedInProcess(tasks: readonly (() => void)[], runs: number): number[] {
  for (const task of tasks) task();
  const times = tasks.map((): number[] => []);
  for (let run = 0; run < runs; run++) {
    for (const [i, task] of tasks.entries()) {
      const started = process.hrtime.bigint();
      task();
      times[i]!.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  return times.map(median);
}

export const ms = (value: number): string => `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ms`;
