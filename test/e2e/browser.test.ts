/**
 * A real browser (Debian's chromium, driven by playwright-core, which downloads no browser of its own) logs in through
 * `scopes login`: the CLI starts it through $BROWSER as it would any browser, a person's hand unticks a scope on the
 * test provider's consent page and presses Allow, and the test reads both ends: what the terminal says was requested
 * and granted, and what the browser was shown. Screenshots of the consent and success pages go to
 * test-output/browser/. Needs `npm run build` (npm test does it). Skipped only outside CI when chromium is absent;
 * in CI (CI=true) a missing chromium is a failure.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, repoRoot, type Sandbox } from '../support/cli.js';
import { startTestProvider, type TestProvider } from '../support/provider.js';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = join(repoRoot, 'test-output', 'browser');
const runs = existsSync(CHROMIUM) || process.env.CI === 'true';

let provider: TestProvider;
let box: Sandbox;
let context: BrowserContext;
let profileDir: string;
let handoff: Server;
let handoffUrl: string;
const handedOff: string[] = [];
let waiting: ((url: string) => void) | undefined;

/** The next URL a $BROWSER invocation handed over. */
const nextUrl = () => new Promise<string>((resolve) => (waiting = resolve));

beforeAll(async () => {
  if (!runs) return;
  provider = await startTestProvider();
  box = await createSandbox();
  await mkdir(OUTPUT, { recursive: true });
  profileDir = await mkdtemp(join(tmpdir(), 'scopes-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // $BROWSER: a small script that hands the URL to this test, which opens it in the chromium it drives.
  handoff = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      handedOff.push(body);
      waiting?.(body);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => handoff.listen(0, '127.0.0.1', resolve));
  handoffUrl = `http://127.0.0.1:${(handoff.address() as AddressInfo).port}/open`;
  await writeFile(
    join(box.home, 'browser.mjs'),
    "const response = await fetch(process.env.SCOPES_TEST_HANDOFF, { method: 'POST', body: process.argv[2] });\nprocess.exit(response.ok ? 0 : 1);\n",
  );
}, 60_000);

afterAll(async () => {
  await context?.close();
  handoff?.close();
  await box?.cleanup();
  await provider?.close();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

describe.skipIf(!runs)('login in a real browser (chromium)', () => {
  it('shows the consent page, takes an unticked scope, and both the terminal and the browser tell what was refused', async () => {
    const opened = nextUrl();
    const login = box.run(
      ['login', '--issuer', provider.issuer, '--client-id', provider.publicClientId, '--scope', 'openid profile offline_access videos:read export:write', '--resource', provider.resource, '--timeout', '60'],
      { env: { BROWSER: `${JSON.stringify(process.execPath)} ${JSON.stringify(join(box.home, 'browser.mjs'))}`, SCOPES_TEST_HANDOFF: handoffUrl }, timeoutMs: 90_000 },
    );
    const url = await opened;
    expect(new URL(url).origin).toBe(provider.issuer);

    const page = await context.newPage();
    await page.goto(url);
    // The consent page: the account pre-filled, each scope with what it lets the client do.
    await expect(page.getByLabel('Account').inputValue()).resolves.toBe('alice');
    const consent = await page.locator('fieldset').innerText();
    expect(consent).toContain('videos:read View videos in the workspace');
    expect(consent).toContain('export:write Export videos');
    const exportBox = page.getByRole('checkbox', { name: /^export:write/ });
    await expect(exportBox.isChecked()).resolves.toBe(true);
    await exportBox.uncheck();
    await page.screenshot({ path: join(OUTPUT, 'consent.png'), fullPage: true });

    await Promise.all([page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/), page.getByRole('button', { name: 'Allow' }).click()]);
    await page.locator('h1').waitFor();
    await page.screenshot({ path: join(OUTPUT, 'success.png'), fullPage: true });
    const shown = await page.locator('body').innerText();
    const result = await login;

    // The terminal: requested vs granted, export:write refused.
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/✓ granted +videos:read/);
    expect(result.stdout).toMatch(/✗ not granted +export:write/);
    expect(handedOff).toEqual([url]);
    // The browser: the same verdict.
    expect(await page.title()).toBe('scopes: Logged in, but 1 scope was not granted');
    expect(shown).toContain(`Profile\ndefault\nIssuer\n${provider.issuer}`);
    expect(shown).toMatch(/Not granted\n✗ export:write\nGranted\n✓ videos:read/);
    expect(shown).toContain('To ask for them again: scopes login --add-scope "export:write"');
    // Amber, not the green of a full grant; and in dark mode, light text on a dark page.
    // Evaluated in the page (a string: this project's TypeScript has no DOM types).
    const colours = () =>
      page.evaluate(`(() => {
        const style = (selector) => getComputedStyle(document.querySelector(selector));
        return { heading: style('h1').color, text: style('body').color, background: style('body').backgroundColor };
      })()`);
    expect(await colours()).toEqual({ heading: 'rgb(154, 103, 0)', text: 'rgb(31, 35, 40)', background: 'rgb(255, 255, 255)' });
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await colours()).toEqual({ heading: 'rgb(210, 153, 34)', text: 'rgb(230, 237, 243)', background: 'rgb(13, 17, 23)' });
    await page.screenshot({ path: join(OUTPUT, 'success-dark.png'), fullPage: true });
    await page.close();
  }, 120_000);
});
