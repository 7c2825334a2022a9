/**
 * `npm run demo`: the tool's main job end to end with nothing else installed. An embedded OpenID provider and a
 * small demo API (the video API of the reference scope documents) start on 127.0.0.1; then the real `scopes`
 * binary logs in against them, and shows what was granted, what an endpoint is missing, and the fix.
 *
 * Everything runs in a throwaway home (config, state, file storage), so the demo never touches your own profiles.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canOpenSystemBrowser } from '../src/io/browser.js';
import { binPath, repoRoot, userAgentPath } from '../test/support/cli.js';
import { startTestProvider } from '../test/support/provider.js';

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (text: string) => (color ? `\u001b[1m${text}\u001b[22m` : text);
const dim = (text: string) => (color ? `\u001b[2m${text}\u001b[22m` : text);

const SCOPES = 'openid offline_access profile videos:read export:write jobs:read';
const UNTICKED = 'export:write';

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  process.stdout.write(`\n${bold(`$ scopes ${args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}`)}\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [binPath, ...args], { env, stdio: 'inherit' });
    current = child;
    child.once('close', (code) => {
      current = undefined;
      process.stdout.write(dim(`(exit ${code})\n`));
      resolve(code ?? 1);
    });
  });
}

/** The scopes process running now, so that an interrupt can stop it too. */
let current: ChildProcess | undefined;

/**
 * Ctrl-C (or a kill) must not leave the scratch home behind: it holds a refresh token and an access token. The
 * running `scopes` gets the same signal; the home goes synchronously, before exiting with 128 + the signal number.
 */
function removeHomeOnInterrupt(home: string): () => void {
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const) {
    const handler = () => {
      current?.kill(signal);
      rmSync(home, { recursive: true, force: true });
      process.stdout.write(`\nInterrupted: removed the scratch home ${home} (it held tokens).\n`);
      process.exit(128 + number);
    };
    handlers.set(signal, handler);
    process.once(signal, handler);
  }
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}

/** A free port on 127.0.0.1 for the provider: the demo API must know its issuer, and the provider the API's URL. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function main(): Promise<number> {
  const home = await mkdtemp(join(tmpdir(), 'scopes-demo-'));
  const stopWatching = removeHomeOnInterrupt(home);
  // The demo API is the resource: tokens are minted for its URL (their aud), and that URL is where probe calls it.
  const port = await freePort();
  const api = await startDemoApi(`http://127.0.0.1:${port}`);
  const provider = await startTestProvider({ title: 'scopes demo provider', port, ...(api ? { resource: api.url } : {}) });
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_STATE_HOME: join(home, 'state'),
      SCOPES_STORAGE: 'file',
      SCOPES_PROFILE: 'demo',
    };
    delete env.SCOPES_TOKEN;
    delete env.SCOPES_CONFIG;

    process.stdout.write(`${bold('scopes demo')}\n`);
    process.stdout.write(`  OpenID provider  ${provider.issuer}  (oidc-provider, accounts alice and bob, no passwords)\n`);
    if (api) process.stdout.write(`  demo API         ${api.url}  (the video API of the reference scope documents; tokens for it: --resource ${provider.resource})\n`);
    process.stdout.write(`  scratch home     ${home}\n`);

    const browser = process.env.BROWSER || canOpenSystemBrowser(process.env).ok;
    if (browser) {
      process.stdout.write(`\nA browser opens on the provider's consent page: untick a scope or two (say ${UNTICKED}) and press Allow.\n`);
    } else {
      const why = canOpenSystemBrowser(process.env).reason ?? 'no browser';
      process.stdout.write(`\nNo browser can be opened here (${why}), so a scripted user agent logs in as alice and unticks ${bold(UNTICKED)}, as a person might.\n`);
      env.BROWSER = `${JSON.stringify(process.execPath)} ${JSON.stringify(userAgentPath)}`;
      env.SCOPES_UA_UNTICK = UNTICKED;
    }

    const login = await run(['login', '--issuer', provider.issuer, '--client-id', provider.publicClientId, '--scope', SCOPES, '--resource', provider.resource, '--timeout', '300'], env);
    if (login !== 0) return login;
    await run(['diff'], env);
    if (api) {
      const manifest = join(home, 'scopes.manifest.json');
      await writeFile(manifest, JSON.stringify(demoManifest(api.url), null, 2));
      await run(['probe', '--manifest', manifest], env);
      await run(['check', '--manifest', manifest], env);
      await run(['minimal', '--manifest', manifest], env);
      process.stdout.write(`\nThe fix probe printed: ask again for what is missing. ${browser ? 'Allow everything this time.' : 'This time the scripted user agent ticks every box.'}\n`);
      delete env.SCOPES_UA_UNTICK;
      const fixed = await run(['login', '--add-scope', 'export:write usage:read', '--timeout', '300'], env);
      if (fixed === 0) await run(['check', '--manifest', manifest], env);
    }
    await run(['status'], env);
    process.stdout.write(`\n${bold('Done.')} Try it on your own provider: scopes login --issuer https://… --client-id … --scope "…"\n`);
    return 0;
  } finally {
    await api?.close();
    await provider.close();
    await rm(home, { recursive: true, force: true });
    stopWatching();
  }
}

/** The demo API's manifest: the video API's endpoint-to-scope table (reference seed 003), a few of its endpoints. */
function demoManifest(apiUrl: string) {
  return {
    api: apiUrl,
    endpoints: [
      { method: 'GET', path: '/v1/videos', scopes: ['videos:read'] },
      { method: 'POST', path: '/v1/videos/{id}/export', scopes: ['export:write'] },
      { method: 'GET', path: '/v1/jobs/{id}', anyOf: [['jobs:read']], probe: '/v1/jobs/7' },
      { method: 'GET', path: '/v1/usage', scopes: ['usage:read'] },
    ],
  };
}

interface DemoApi {
  url: string;
  close(): Promise<void>;
}

/** The demo API is the test resource server's video API, when it is built; it accepts tokens minted for its own URL. */
async function startDemoApi(issuer: string): Promise<DemoApi | undefined> {
  const modulePath = join(repoRoot, 'dist', 'test', 'support', 'resource-server.js');
  if (!existsSync(modulePath)) return undefined;
  const { startResourceServer } = (await import(modulePath)) as {
    startResourceServer(options: { issuer: string }): Promise<DemoApi>;
  };
  return await startResourceServer({ issuer });
}

process.exitCode = await main();
