/** Start-up: the commands scripts call many times a minute, against bare `node -e 0`. */
import { binPath } from '../../test/support/cli.js';
import { homeWithCachedToken } from '../fixtures.js';
import { interleaved, ms, type Row } from '../lib.js';

const startupRow = (name: string, goal: number, args: readonly string[]): Row => ({
  name,
  floor: 'node -e 0',
  goal,
  async measure(runs) {
    const home = await homeWithCachedToken();
    try {
      const [floor, scopes] = await interleaved([{ argv: ['-e', '0'], env: home.env }, { argv: [binPath, ...args], env: home.env, cwd: home.dir }], runs);
      return { ratio: scopes! / floor!, detail: `${ms(scopes!)} vs ${ms(floor!)}` };
    } finally {
      home.cleanup();
    }
  },
});

export const rows: Row[] = [
  startupRow('scopes --version', 1.15, ['--version']),
  startupRow('scopes token (cached, file storage)', 1.25, ['token']),
];
