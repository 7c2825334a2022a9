/**
 * The frame of an end-to-end test file: one real OpenID provider (oidc-provider on 127.0.0.1) for the whole file, and
 * sandboxes (a home of their own for the real binary) removed after each test. Call `endToEnd()` at the top of the file.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createSandbox, type Sandbox } from './cli.js';
import { startTestProvider, type TestProvider } from './provider.js';

export interface EndToEnd {
  /** The file's provider, started before its first test. */
  readonly provider: TestProvider;
  /** A sandbox cleaned up after the test that made it. */
  sandbox(options?: Parameters<typeof createSandbox>[0]): Promise<Sandbox>;
}

export function endToEnd(): EndToEnd {
  let started: TestProvider | undefined;
  const sandboxes: Sandbox[] = [];
  beforeAll(async () => {
    started = await startTestProvider();
  });
  afterAll(async () => {
    await started?.close();
  });
  afterEach(async () => {
    await Promise.all(sandboxes.splice(0).map((box) => box.cleanup()));
  });
  return {
    get provider(): TestProvider {
      if (started === undefined) throw new Error('The test provider starts in beforeAll: use it inside a test or a hook.');
      return started;
    },
    async sandbox(options = {}) {
      const box = await createSandbox(options);
      sandboxes.push(box);
      return box;
    },
  };
}

/** The file a sandbox's session is stored in (file storage: one file per credential). */
export async function secretsFileOf(box: Sandbox): Promise<string> {
  const dir = join(box.home, 'state', 'scopes', 'secrets');
  const [file] = await readdir(dir);
  if (file === undefined) throw new Error(`No session stored under ${dir}.`);
  return join(dir, file);
}
