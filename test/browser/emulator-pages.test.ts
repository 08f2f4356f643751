/**
 * The emulator's browser-facing pages in a real browser: the jweixin stand-in checks wx.config the
 * way WeChat does (valid tickets, URL without fragment), and the consent page needs #wechat_redirect.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Browser } from 'puppeteer-core';
import { startEmulator, SANDBOX_APP, type Emulator } from '../../src/emulator/index.js';
import { jsapiSignature } from '../../src/emulator/jssdk-check.js';
import { listenOn } from '../../src/util/listen.js';
import { launchBrowser } from '../support/browser.js';

let emu: Emulator;
let browser: Browser;
let site: http.Server;
let siteUrl: string;
/** What the page passes to wx.config, set per test. */
let config: Record<string, unknown> = {};

before(async () => {
  emu = await startEmulator();
  site = http.createServer((req, res) => {
    const page = `<!doctype html><html><body><div id="out">pending</div>
<script src="${emu.url}/open/js/jweixin-1.6.0.js"></script>
<script>
  wx.config(${JSON.stringify(config)});
  wx.ready(function () { document.getElementById('out').textContent = 'ready'; });
  wx.error(function (e) { document.getElementById('out').textContent = 'error:' + e.errMsg; });
</script></body></html>`;
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
  });
  siteUrl = await listenOn(site, { host: '127.0.0.1', port: 0 });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  site?.closeAllConnections();
  await new Promise((r) => site?.close(r));
  await emu?.close();
});

async function outcome(url: string): Promise<string> {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction("document.getElementById('out').textContent !== 'pending'");
    return String(await page.evaluate("document.getElementById('out').textContent"));
  } finally {
    await page.close();
  }
}

function signFor(ticket: string, pageUrl: string): Record<string, unknown> {
  const timestamp = 1_700_000_000;
  const nonceStr = 'Wm3WZYTPz0wzccnW';
  return { appId: SANDBOX_APP.appId, timestamp, nonceStr, signature: jsapiSignature(ticket, nonceStr, String(timestamp), pageUrl), jsApiList: ['chooseImage'] };
}

describe('jweixin stand-in', () => {
  test('wx.config with the signature of a valid ticket calls wx.ready, also on a page with a #fragment', async () => {
    const ticket = emu.pinTicket(SANDBOX_APP.appId, 'jsapi');
    const pageUrl = `${siteUrl}/page?x=1`;
    config = signFor(ticket, pageUrl);
    assert.equal(await outcome(pageUrl), 'ready');
    assert.equal(await outcome(`${pageUrl}#/route?y=2`), 'ready');
  });

  test('a rotated ticket, or a URL signed with its fragment, gives config:invalid signature', async () => {
    const old = emu.pinTicket(SANDBOX_APP.appId, 'jsapi');
    const pageUrl = `${siteUrl}/page?x=1`;
    config = signFor(old, `${pageUrl}#frag`);
    assert.equal(await outcome(`${pageUrl}#frag`), 'error:config:invalid signature');
    config = signFor(old, pageUrl);
    emu.pinTicket(SANDBOX_APP.appId, 'jsapi');
    assert.equal(await outcome(pageUrl), 'error:config:invalid signature');
  });
});

describe('consent page', () => {
  test('without #wechat_redirect the page shows a parameter error; with it, the users', async () => {
    const q = `appid=${SANDBOX_APP.appId}&redirect_uri=${encodeURIComponent(`${siteUrl}/cb`)}&response_type=code&scope=snsapi_userinfo&state=s1`;
    const page = await browser.newPage();
    try {
      await page.goto(`${emu.url}/connect/oauth2/authorize?${q}`);
      assert.equal(await page.evaluate("document.getElementById('consent').hidden"), true);
      assert.match(String(await page.evaluate("document.getElementById('fragment-error').textContent")), /#wechat_redirect/);
      await page.goto('about:blank');
      await page.goto(`${emu.url}/connect/oauth2/authorize?${q}#wechat_redirect`);
      assert.equal(await page.evaluate("document.getElementById('consent').hidden"), false);
      await Promise.all([page.waitForNavigation(), page.click('#deny')]);
      const back = new URL(page.url());
      assert.equal(back.pathname, '/cb');
      assert.equal(back.searchParams.get('state'), 's1');
      assert.equal(back.searchParams.has('code'), false);
    } finally {
      await page.close();
    }
  });
});
