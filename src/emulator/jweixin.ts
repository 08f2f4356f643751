/**
 * A stand-in for WeChat's `jweixin-1.6.0.js`, served by the emulator at the path the real file has
 * (`/open/js/jweixin-1.6.0.js`). Its `wx.config` sends the config and the page's own `location.href`
 * without the fragment to the emulator (`POST /open/js/verify`, checked by jssdk-check.ts against the
 * app's valid tickets), then calls the page's `wx.ready` callbacks, or its `wx.error` callbacks with
 * `{ errMsg: 'config:invalid signature' }`, like the real file. Other JS-SDK calls are not emulated:
 * each calls its `fail` (or `complete`) callback with `{ errMsg: '<name>:not emulated' }`.
 */

/** Paths of the file and of its check. */
export const JWEIXIN_PATHS = ['/open/js/jweixin-1.6.0.js', '/open/js/jweixin-1.4.0.js'] as const;
/** Path the stand-in posts its config to. */
export const JSSDK_VERIFY_PATH = '/open/js/verify';

/** The script's text. */
export const JWEIXIN_JS = `/* wechat-mp-server emulator: a stand-in for jweixin (wx.config, wx.ready, wx.error) */
(function () {
  var script = document.currentScript;
  var origin = script && script.src ? new URL(script.src).origin : location.origin;
  var readyFns = [], errorFns = [], state = 'idle', errRes = null;
  function run(list, arg) { for (var i = 0; i < list.length; i++) { try { list[i](arg); } catch (e) { setTimeout(function () { throw e; }); } } }
  function done(ok, errMsg) {
    if (ok) { state = 'ready'; run(readyFns); } else { state = 'error'; errRes = { errMsg: errMsg }; run(errorFns, errRes); }
  }
  var wx = {
    config: function (cfg) {
      state = 'pending';
      cfg = cfg || {};
      var body = { appId: cfg.appId, timestamp: cfg.timestamp, nonceStr: cfg.nonceStr, signature: cfg.signature,
        jsApiList: cfg.jsApiList, url: location.href.split('#')[0] };
      fetch(origin + '${JSSDK_VERIFY_PATH}', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(body) })
        .then(function (r) { return r.json(); })
        .then(function (res) { if (cfg.debug) console.log('wx.config', JSON.stringify(res)); done(res.ok === true, res.errMsg); },
              function () { done(false, 'config:fail'); });
    },
    ready: function (fn) { if (state === 'ready') fn(); else readyFns.push(fn); },
    error: function (fn) { if (state === 'error') fn(errRes); else errorFns.push(fn); }
  };
  ['checkJsApi', 'updateAppMessageShareData', 'updateTimelineShareData', 'chooseImage', 'getLocation', 'scanQRCode', 'chooseWXPay', 'addCard', 'chooseCard', 'openCard']
    .forEach(function (name) {
      wx[name] = function (o) { o = o || {}; var r = { errMsg: name + ':not emulated' }; if (o.fail) o.fail(r); if (o.complete) o.complete(r); };
    });
  window.wx = window.jWeixin = wx;
})();
`;
