/**
 * The web-page flows end to end in a real browser (chromium): a Koa site using the library's login
 * middleware and wechat.jssdk.config, against the emulator's consent page and jweixin stand-in.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import Koa from 'koa';
import Router from 'koa-router';
import type { Browser, Page } from 'puppeteer-core';
import { startEmulator, SANDBOX_APP, type Emulator } from '../../src/emulator/index.js';
import { MemoryTokenStore, Wechat, oauthLogin, type OAuthGrant } from '../../src/index.js';
import { listenOn } from '../../src/util/listen.js';
import { launchBrowser } from '../support/browser.js';

let emu: Emulator;
let browser: Browser;
let server: http.Server;
let site: string;
let wechat: Wechat;
const logins: OAuthGrant[] = [];
const reports: { url: string; outcome: string }[] = [];

const PAGE = (emuUrl: string) => `<!doctype html><html><body><div id="out">pending</div>
<script src="${emuUrl}/open/js/jweixin-1.6.0.js"></script>
<script>
  fetch('/jssdk-config?url=' + encodeURIComponent(location.href)).then(function (r) { return r.json(); }).then(function (cfg) {
    wx.config(cfg);
    wx.ready(function () { document.getElementById('out').textContent = 'ready'; });
    wx.error(function (e) {
      fetch('/jssdk-report', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ url: location.href, nonceStr: cfg.nonceStr, timestamp: cfg.timestamp, signature: cfg.signature }) })
        .then(function () { document.getElementById('out').textContent = 'error:' + e.errMsg; });
    });
  });
</script></body></html>`;

before(async () => {
  emu = await startEmulator();
  wechat = new Wechat({ appId: SANDBOX_APP.appId, appSecret: SANDBOX_APP.secret, apiBase: emu.url, store: new MemoryTokenStore() });
  const app = new Koa();
  app.keys = ['test-cookie-key-0123456789'];
  const flow = oauthLogin({
    wechat,
    scope: 'snsapi_userinfo',
    callbackPath: '/oauth/callback',
    onLogin: (ctx, grant) => {
      logins.push(grant);
      ctx.cookies.set('who', grant.openid, { signed: true, httpOnly: true });
    },
    onDenied: (ctx) => {
      ctx.status = 200;
      ctx.body = 'denied';
    },
  });
  const router = new Router();
  router.get('/login', flow.login);
  router.get('/oauth/callback', flow.callback);
  router.get('/account', (ctx) => {
    ctx.body = `hello ${ctx.cookies.get('who', { signed: true }) ?? 'nobody'}`;
  });
  router.get('/page', (ctx) => {
    ctx.type = 'html';
    ctx.body = PAGE(emu.url);
  });
  router.get('/jssdk-config', async (ctx) => {
    ctx.body = await wechat.jssdk.config({ url: String(ctx.query.url), jsApiList: ['chooseImage'] });
  });
  router.post('/jssdk-report', async (ctx) => {
    const chunks: Buffer[] = [];
    for await (const c of ctx.req) chunks.push(c as Buffer);
    const r = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { url: string; nonceStr: string; timestamp: number; signature: string };
    const outcome = await wechat.jssdk.checkReport(r);
    if (outcome === 'current') await wechat.jssdk.invalidateTicket('jsapi', await wechat.jssdk.ticket('jsapi'));
    reports.push({ url: r.url, outcome });
    ctx.status = 204;
  });
  app.use(router.routes());
  server = http.createServer(app.callback());
  site = await listenOn(server, { host: '127.0.0.1', port: 0 });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await wechat?.close();
  await emu?.close();
});
beforeEach(() => {
  logins.length = 0;
  reports.length = 0;
});

async function text(page: Page): Promise<string> {
  return String(await page.evaluate('document.body.innerText'));
}

describe('OAuth login in the browser', () => {
  test('login -> consent page -> Allow -> callback -> onLogin -> returnTo; the code replayed', async () => {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    try {
      const callbacks: string[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/oauth/callback')) callbacks.push(r.url());
      });
      await page.goto(`${site}/login?returnTo=${encodeURIComponent('/account?tab=1')}`);
      assert.equal(new URL(page.url()).origin, new URL(emu.url).origin, 'on the emulated consent page');
      await Promise.all([page.waitForNavigation(), page.click('#allow-alice')]);
      const final = new URL(page.url());
      assert.equal(final.pathname + final.search, '/account?tab=1');
      assert.equal(logins.length, 1);
      assert.match(await text(page), new RegExp(`hello ${logins[0]!.openid}`));
      assert.equal(JSON.stringify(logins[0]).includes(logins[0]!.accessToken), false, 'user tokens redacted in JSON');

      // Back button to the callback URL in the same browser: already completed -> returnTo, no second exchange.
      const cb = callbacks[0]!;
      const snsBefore = emu.stats()[SANDBOX_APP.appId]?.sns ?? 0;
      await page.goto(cb);
      assert.equal(new URL(page.url()).pathname, '/account');
      assert.equal(emu.stats()[SANDBOX_APP.appId]?.sns, snsBefore);
      assert.equal(logins.length, 1);

      // The same code from another browser: refused, the state is not its own.
      const other = await browser.createBrowserContext();
      const p2 = await other.newPage();
      const res = await p2.goto(cb);
      assert.equal(res?.status(), 403);
      assert.match(await text(p2), /state does not belong to this browser/);
      await other.close();
      assert.equal(logins.length, 1);
    } finally {
      await context.close();
    }
  });

  test('Deny calls onDenied; a forged state is refused with 403; an open redirect with 400', async () => {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    try {
      await page.goto(`${site}/login?returnTo=/account`);
      await Promise.all([page.waitForNavigation(), page.click('#deny')]);
      assert.equal(new URL(page.url()).pathname, '/oauth/callback');
      assert.equal(await text(page), 'denied');
      assert.equal(logins.length, 0);

      const forged = await page.goto(`${site}/oauth/callback?code=abc&state=${'0'.repeat(32)}`);
      assert.equal(forged?.status(), 403);
      assert.match(await text(page), /state does not belong/);
      const missing = await page.goto(`${site}/oauth/callback?code=abc`);
      assert.equal(missing?.status(), 403);
      assert.match(await text(page), /state parameter is missing/);

      for (const evil of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
        const r = await page.goto(`${site}/login?returnTo=${encodeURIComponent(evil)}`);
        assert.equal(r?.status(), 400, evil);
        assert.match(await text(page), /returnTo must be a path on this site/);
      }
      assert.equal(logins.length, 0);
    } finally {
      await context.close();
    }
  });
});

describe('wx.config in the browser', () => {
  async function load(path: string): Promise<string> {
    const page = await browser.newPage();
    try {
      await page.goto(`${site}${path}`);
      await page.waitForFunction("document.getElementById('out').textContent !== 'pending'");
      return String(await page.evaluate("document.getElementById('out').textContent"));
    } finally {
      await page.close();
    }
  }

  test('succeeds, also with a #fragment; a ticket rotated upstream fails once, is reported, the next load succeeds after one getticket', async () => {
    assert.equal(await load('/page?a=1'), 'ready');
    assert.equal(await load('/page?a=1#/deep/route?x=2'), 'ready');
    const tickets = emu.stats()[SANDBOX_APP.appId]?.ticket;
    assert.equal(tickets, 1, 'one getticket for both loads');

    emu.pinTicket(SANDBOX_APP.appId, 'jsapi');
    assert.equal(await load('/page?b=2'), 'error:config:invalid signature');
    assert.deepEqual(reports.map((r) => r.outcome), ['current']);
    assert.match(reports[0]!.url, /\/page\?b=2$/);
    assert.equal(await load('/page?b=2'), 'ready');
    assert.equal(emu.stats()[SANDBOX_APP.appId]?.ticket, 2, 'exactly one refresh after the report');
  });
});
