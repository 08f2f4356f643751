/**
 * The sandbox's demo H5 page, served by the sandbox's service: it loads the emulator's jweixin
 * stand-in, asks the service's JS-SDK route for its `wx.config`, shows whether `wx.config`
 * succeeded (and reports `config:invalid signature` as a real page should), and links to the
 * service's web login; back from the emulator's consent page it shows the OpenID of the session.
 */
import type { Context } from 'koa';
import type Router from 'koa-router';
import { readSession } from '../server/oauth-session.js';

/** Path of the demo page. */
export const DEMO_PAGE_PATH = '/sandbox';

/** What the page links to. */
export interface DemoPageOptions {
  /** The emulator's base URL (serves `/open/js/jweixin-1.6.0.js`). */
  emulatorUrl: string;
  jssdkConfigPath: string;
  jssdkReportPath: string;
  loginPath: string;
  /** @default DEMO_PAGE_PATH */
  path?: string;
}

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
/** A value as a JavaScript literal safe inside a `<script>` element. */
const js = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

/** The page's HTML for this request's session. */
export function demoPageHtml(ctx: Context, o: DemoPageOptions): string {
  const path = o.path ?? DEMO_PAGE_PATH;
  const session = readSession(ctx);
  const state = session
    ? `logged in as <span id="openid">${esc(session.openid)}</span>`
    : ctx.query.oauth === 'denied'
      ? '<span id="denied">login refused on the consent page</span>'
      : 'not logged in';
  const loginHref = `${o.loginPath}?returnTo=${encodeURIComponent(path)}`;
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>wechat-mp-server sandbox page</title></head><body>
<h1>A page as WeChat's browser would open it</h1>
<p>wx.config: <span id="jssdk">pending</span></p>
<p>web login: <span id="login-state">${state}</span></p>
<p><a id="login" href="${esc(loginHref)}">log in</a> (the emulator's consent page, then back here)</p>
<script src="${esc(o.emulatorUrl)}/open/js/jweixin-1.6.0.js"></script>
<script>
  (function () {
    var out = document.getElementById('jssdk');
    function show(text) { out.textContent = text; }
    fetch(${js(o.jssdkConfigPath)} + '?jsApiList=updateAppMessageShareData&url=' + encodeURIComponent(location.href))
      .then(function (r) { return r.json().then(function (b) { if (!r.ok) throw new Error(b.error || r.status); return b; }); })
      .then(function (cfg) {
        wx.config(cfg);
        wx.ready(function () { show('ready'); });
        wx.error(function (e) {
          show('error: ' + e.errMsg);
          // The service replaces the jsapi_ticket when the page was signed with its current one.
          fetch(${js(o.jssdkReportPath)}, { method: 'POST', headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ url: location.href, nonceStr: cfg.nonceStr, timestamp: cfg.timestamp, signature: cfg.signature }) });
        });
      })
      .catch(function (e) { show('error: ' + e.message); });
  })();
</script>
</body></html>`;
}

/** Mount the demo page on the service's router. */
export function mountDemoPage(router: Router, options: DemoPageOptions): void {
  router.get(options.path ?? DEMO_PAGE_PATH, (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = demoPageHtml(ctx as unknown as Context, options);
  });
}
