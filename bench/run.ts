/**
 * `npm run bench`: each row's ratio against its floor, measured on this machine in this run, beside its goal.
 * Never a timed assertion in the tests: speed depends on the machine, and this prints what it is.
 *
 *   npm run bench                      every row
 *   npm run bench -- --runs 21 token   more runs; only rows whose name contains "token"
 */
import { cpus } from 'node:os';
import { rows } from './rows/index.js';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 11;
const filters = args.filter((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--runs');
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a whole number');

const selected = rows.filter((row) => filters.length === 0 || filters.some((filter) => row.name.includes(filter)));
console.log(`scopes bench: ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, ${runs} interleaved runs, medians`);
console.log('');
const table: string[][] = [['what', 'floor', 'ratio', 'goal', '', 'figures']];
let failed = 0;
for (const row of selected) {
  const measured = await row.measure(runs);
  const ok = measured.ratio <= row.goal;
  if (!ok) failed++;
  table.push([row.name, row.floor, `${measured.ratio.toFixed(2)}×`, `≤ ${row.goal}×`, ok ? 'ok' : 'MISSED', measured.detail]);
  process.stderr.write(`measured: ${row.name}\n`);
}
const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
for (const line of table) console.log(line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
console.log('');
console.log(failed === 0 ? 'every row meets its goal' : `${failed} row(s) missed the goal on this machine`);
