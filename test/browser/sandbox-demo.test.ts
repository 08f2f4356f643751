/**
 * The sandbox's demo page in a real browser (chromium), with `npm run dev` itself as a child process
 * on free ports: the printed demo URL loads, wx.config succeeds through the service's JS-SDK route and
 * the emulator's jweixin stand-in, and "log in" goes through the emulator's consent page and back to
 * the page, which then shows the OpenID; Deny comes back saying the login was refused.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { SANDBOX_APP } from '../../src/emulator/index.js';
import { DEFAULT_SANDBOX_USERS } from '../../src/emulator/h5-options.js';
import { openIdOf } from '../../src/emulator/oauth-state.js';
import { launchBrowser } from '../support/browser.js';
import { runSandbox, type SandboxProcess } from '../support/sandbox-process.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wmp-sandbox-'));
let sandbox: SandboxProcess;
let browser: Browser;
let demoUrl: string;
let emulatorUrl: string;

before(async () => {
  sandbox = runSandbox(['--port', '0', '--emulator-port', '0', '--data-dir', dataDir]);
  demoUrl = (await sandbox.printed(/demo H5 page:\s+(http:\/\/\S+)/))[1]!;
  emulatorUrl = (await sandbox.printed(/WeChat API emulator:\s+(http:\/\/\S+)/))[1]!;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  const code = await sandbox?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  assert.equal(code, 0, `the sandbox stops cleanly on SIGTERM; stderr: ${sandbox?.stderr().slice(0, 2000)}`);
});

async function jssdkState(page: Page): Promise<string> {
  await page.waitForFunction("document.getElementById('jssdk').textContent !== 'pending'");
  return String(await page.evaluate("document.getElementById('jssdk').textContent"));
}
const textOf = async (page: Page, id: string): Promise<string | null> =>
  (await page.evaluate(`(function () { var e = document.getElementById(${JSON.stringify(id)}); return e ? e.textContent : null; })()`)) as string | null;

test('the printed demo page: wx.config ready; log in -> consent page -> Allow -> back showing the OpenID', async () => {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  try {
    await page.goto(demoUrl);
    assert.equal(await jssdkState(page), 'ready');
    assert.equal(await textOf(page, 'login-state'), 'not logged in');

    await Promise.all([page.waitForNavigation(), page.click('#login')]);
    assert.equal(new URL(page.url()).origin, new URL(emulatorUrl).origin, 'on the emulated consent page');
    assert.equal(await textOf(page, 'scope'), 'snsapi_userinfo');
    await Promise.all([page.waitForNavigation(), page.click('#allow-alice')]);

    assert.equal(page.url(), demoUrl, 'back on the demo page, the code gone from the address');
    assert.equal(await textOf(page, 'openid'), openIdOf(SANDBOX_APP.appId, DEFAULT_SANDBOX_USERS[0]!));
    assert.equal(await jssdkState(page), 'ready');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'wmp_session');
    assert.ok(session?.httpOnly, 'the session cookie is HttpOnly');
    assert.equal(session.sameSite, 'Lax');
  } finally {
    await context.close();
  }
});

test('Deny on the consent page comes back to the demo page saying so, without a session', async () => {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  try {
    await page.goto(demoUrl);
    await Promise.all([page.waitForNavigation(), page.click('#login')]);
    await Promise.all([page.waitForNavigation(), page.click('#deny')]);
    const back = new URL(page.url());
    assert.equal(`${back.origin}${back.pathname}`, demoUrl);
    assert.equal(back.searchParams.get('oauth'), 'denied');
    assert.equal(await textOf(page, 'openid'), null);
    assert.match((await textOf(page, 'denied')) ?? '', /login refused/);
    assert.equal(await jssdkState(page), 'ready', 'the page URL with its query signs too');
  } finally {
    await context.close();
  }
});
