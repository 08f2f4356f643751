import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { startEmulator, SANDBOX_APP, type Emulator } from '../../src/emulator/index.js';
import { InvalidOptionError, MemoryTokenStore, Wechat, jsapiSignature } from '../../src/index.js';
import { cardSignature, signedUrl } from '../../src/wechat/api/jssdk.js';
import { credentialKey } from '../../src/token/credential-key.js';

let emu: Emulator;
let wechat: Wechat;
let store: MemoryTokenStore;

before(async () => {
  emu = await startEmulator();
});
after(async () => {
  await emu.close();
});
beforeEach(async () => {
  await wechat?.close();
  emu.reset();
  store = new MemoryTokenStore();
  wechat = new Wechat({ appId: SANDBOX_APP.appId, appSecret: SANDBOX_APP.secret, apiBase: emu.url, store });
});

describe('signature', () => {
  test('the official JS-SDK example vector', () => {
    const ticket = 'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg';
    assert.equal(jsapiSignature(ticket, 'Wm3WZYTPz0wzccnW', 1414587457, 'http://mp.weixin.qq.com?params=value'), '0f9de62fce790f9a083d5c99e95740ceb90c27ed');
  });

  test('the signed URL: fragment dropped, serialized as location.href, absolute http(s) only', () => {
    assert.equal(signedUrl('https://h5.example.com/a/b?x=1&y=%E4%B8%AD#/route?z=1'), 'https://h5.example.com/a/b?x=1&y=%E4%B8%AD');
    assert.equal(signedUrl('https://H5.example.com?x=1'), 'https://h5.example.com/?x=1');
    for (const bad of ['/relative', 'ftp://h5.example.com/', 'javascript:alert(1)', '', 'x'.repeat(5000)]) {
      assert.throws(() => signedUrl(bad), InvalidOptionError, bad);
    }
  });

  test('the signed URL equals the WHATWG parser\'s href without the fragment for any input, canonical or not', () => {
    // The URL parser is the reference; signedUrl skips it for URLs already in canonical form.
    const reference = (url: string): string | undefined => {
      try {
        const u = new URL(url);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
        u.hash = '';
        return u.href;
      } catch {
        return undefined;
      }
    };
    const ours = (url: string): string | undefined => {
      try {
        return signedUrl(url);
      } catch (err) {
        assert.ok(err instanceof InvalidOptionError);
        return undefined;
      }
    };
    const pieces = ['a', 'Z', '0', '9', '-', '.', '..', '/', '//', '?', '#', '%', '%2e', '%2E', '%41', '%zz', "'", '"', ' ', '\t', '\n', '\\', '@', ':', ':80', ':443', ':8080', ':0', '~', '!', '$', '&', '=', '+', ',', ';', '(', ')', '*', '[', ']', '{', '}', '|', '^', '`', '<', '>', 'é', '中', 'xn--', 'xn--ls8h', '1.2.3.4', '0x7f', '.com', 'H5.Example'];
    const tail = fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((p) => p.join(''));
    const prefix = fc.constantFrom('http://', 'https://', 'HTTPS://', 'https:/', 'https:', 'https:///', 'ftp://', 'javascript:', '', ' https://', 'https://user@', 'https://a.', 'https://h5.example.com', 'https://h5.example.com/', 'http://127.0.0.1/');
    fc.assert(
      fc.property(prefix, tail, (p, t) => {
        const url = p + t;
        assert.equal(ours(url), reference(url), JSON.stringify(url));
      }),
      { numRuns: 20_000 },
    );
    for (const url of ['https://h5.example.com/a/./b', 'https://h5.example.com/a/%2E%2e/b?x', 'https://h5.example.com/.well-known/x', 'https://a.b.example.com/x?y=%E4%B8%AD&z=/?#f#g', 'https://example.123/', 'https://xn--ls8h.example/', 'https://h5.example.com/it\'s?it\'s']) {
      assert.equal(ours(url), reference(url), url);
    }
  });

  test('cardExt signature: the values sorted as strings, joined without separators', () => {
    assert.equal(cardSignature(['b', 'a', 'c']), createHash('sha1').update('abc').digest('hex'));
  });
});

describe('wechat.jssdk', () => {
  test('config(): one getticket, then memory only; the signature checks against the emulated ticket', async () => {
    const url = 'https://h5.example.com/page?x=1';
    const cfg = await wechat.jssdk.config({ url: `${url}#frag`, jsApiList: ['chooseImage'], openTagList: ['wx-open-launch-weapp'] });
    const ticket = emu.tickets(SANDBOX_APP.appId).jsapi.current?.ticket ?? '';
    assert.equal(cfg.appId, SANDBOX_APP.appId);
    assert.equal(cfg.signature, jsapiSignature(ticket, cfg.nonceStr, cfg.timestamp, url));
    assert.deepEqual(cfg.openTagList, ['wx-open-launch-weapp']);
    assert.match(cfg.nonceStr, /^[0-9a-f]{16}$/);
    const again = await Promise.all(Array.from({ length: 20 }, () => wechat.jssdk.config({ url, jsApiList: [] })));
    assert.equal(new Set(again.map((c) => c.nonceStr)).size, 20, 'a fresh nonce per call');
    assert.equal(emu.stats()[SANDBOX_APP.appId]?.ticket, 1);
    const stored = await store.get(credentialKey(SANDBOX_APP.appId, 'jsapi_ticket'));
    assert.equal(stored?.access_token, ticket, 'the ticket is in the shared store under its own key');
    await assert.rejects(wechat.jssdk.config({ url: '/relative', jsApiList: [] }), InvalidOptionError);
  });

  test('a second client on the same store reads the ticket from the store: no getticket', async () => {
    await wechat.jssdk.config({ url: 'https://h5.example.com/', jsApiList: [] });
    const second = new Wechat({ appId: SANDBOX_APP.appId, appSecret: SANDBOX_APP.secret, apiBase: emu.url, store });
    try {
      await second.jssdk.config({ url: 'https://h5.example.com/', jsApiList: [] });
      assert.equal(emu.stats()[SANDBOX_APP.appId]?.ticket, 1);
    } finally {
      await second.close();
    }
  });

  test('getticket answered 40001: the access_token recovers once and the ticket is retried once', async () => {
    await wechat.fetchAccessToken();
    emu.injectFault({ appId: SANDBOX_APP.appId, endpoint: 'ticket', kind: 'errcode', errcode: 40001, count: 1 });
    const cfg = await wechat.jssdk.config({ url: 'https://h5.example.com/', jsApiList: [] });
    assert.equal(cfg.appId, SANDBOX_APP.appId);
    assert.equal(emu.stats()[SANDBOX_APP.appId]?.ticket, 2);
    emu.injectFault({ appId: SANDBOX_APP.appId, endpoint: 'ticket', kind: 'errcode', errcode: 40001, count: 10 });
    await wechat.jssdk.invalidateTicket('jsapi', await wechat.jssdk.ticket('jsapi')).catch(() => {});
    const before = emu.stats()[SANDBOX_APP.appId]?.ticket ?? 0;
    await assert.rejects(wechat.jssdk.ticket('jsapi'));
    assert.ok((emu.stats()[SANDBOX_APP.appId]?.ticket ?? 0) - before <= 2 * 3, 'bounded: never a loop');
  });

  test('invalidateTicket: at most once per ticket; a report of a signature we did not issue is ignored', async () => {
    const cfg = await wechat.jssdk.config({ url: 'https://h5.example.com/p', jsApiList: [] });
    const t1 = await wechat.jssdk.ticket('jsapi');
    assert.equal(await wechat.jssdk.checkReport({ url: 'https://h5.example.com/p#x', nonceStr: cfg.nonceStr, timestamp: cfg.timestamp, signature: cfg.signature }), 'current');
    assert.equal(await wechat.jssdk.checkReport({ url: 'https://h5.example.com/p', nonceStr: 'forged', timestamp: cfg.timestamp, signature: cfg.signature }), 'unknown');
    assert.equal(await wechat.jssdk.invalidateTicket('jsapi', t1), true);
    assert.equal(await wechat.jssdk.invalidateTicket('jsapi', t1), false);
    assert.notEqual(await wechat.jssdk.ticket('jsapi'), t1);
    assert.equal(emu.stats()[SANDBOX_APP.appId]?.ticket, 2);
  });

  test('cardExt uses the wx_card ticket', async () => {
    const ext = await wechat.jssdk.cardExt({ cardId: 'pFS7Fjg8kV1IdDz01r4SQwMkuCKc', code: '123', openid: 'oUser' });
    const parsed = JSON.parse(ext.cardExt) as Record<string, string>;
    const ticket = emu.tickets(SANDBOX_APP.appId).wx_card.current?.ticket ?? '';
    assert.equal(parsed.signature, cardSignature([ticket, parsed.timestamp!, 'pFS7Fjg8kV1IdDz01r4SQwMkuCKc', parsed.nonce_str!, '123', 'oUser']));
  });
});

describe('wechat.oauth', () => {
  test('authorizeUrl in WeChat order; exchangeCode, userInfo, check; errors typed; tokens redacted in JSON', async () => {
    const link = wechat.oauth.authorizeUrl({ redirectUri: 'https://h5.example.com/cb', scope: 'snsapi_userinfo', state: 'abc' });
    assert.match(link, /\/connect\/oauth2\/authorize\?appid=[^&]+&redirect_uri=https%3A%2F%2Fh5\.example\.com%2Fcb&response_type=code&scope=snsapi_userinfo&state=abc#wechat_redirect$/);
    assert.throws(() => wechat.oauth.authorizeUrl({ redirectUri: 'https://h5.example.com/cb', scope: 'snsapi_base', state: 'a-b' }), InvalidOptionError);
    const q = new URLSearchParams({ appid: SANDBOX_APP.appId, redirect_uri: 'https://h5.example.com/cb', scope: 'snsapi_userinfo', state: 'abc', user: 'alice', decision: 'allow' });
    const res = await fetch(`${emu.url}/connect/oauth2/decide?${q}`, { redirect: 'manual' });
    const code = new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const grant = await wechat.oauth.exchangeCode(code);
    assert.equal(grant.scope, 'snsapi_userinfo');
    assert.equal(JSON.stringify(grant).includes(grant.accessToken), false);
    assert.equal((await wechat.oauth.userInfo(grant)).nickname, 'Alice');
    assert.equal(await wechat.oauth.check(grant), true);
    await assert.rejects(wechat.oauth.exchangeCode(code), (e: unknown) => (e as { errcode?: number }).errcode === 40163);
    const again = await wechat.oauth.refresh(grant.refreshToken);
    assert.notEqual(again.accessToken, grant.accessToken);
  });
});
