import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'undici';
import { SANDBOX_APP } from '../../src/emulator/index.js';
import { WechatCipher } from '../../src/webhook/crypto.js';
import { WechatMpError } from '../../src/errors.js';
import { simulate, SimulationError, validateReply, type SimulateOptions } from '../../src/simulator/index.js';
import { encryptedReply, replyXml, startReferenceWebhook, type ReferenceWebhook } from './support/reference-webhook.js';

const APP = { token: SANDBOX_APP.token, appId: SANDBOX_APP.appId, encodingAESKey: SANDBOX_APP.encodingAESKey };
const cipher = new WechatCipher(APP.encodingAESKey, APP.appId);
const agent = new Agent({ keepAliveTimeout: 1000 });
let hook: ReferenceWebhook;

before(async () => {
  hook = await startReferenceWebhook(APP);
});
after(async () => {
  await hook.close();
  await agent.close();
});
beforeEach(() => {
  hook.received.length = 0;
  hook.respond = (msg) => ({ body: replyXml(msg) });
});

const opts = (extra: Partial<SimulateOptions> = {}): SimulateOptions => ({ url: hook.url, ...APP, dispatcher: agent, ...extra });

/** Asserts `p` rejects with a WMP_ERR_SIMULATOR whose message matches `reason`. */
async function rejectsWith(p: Promise<unknown>, reason: RegExp): Promise<SimulationError> {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => {
    caught = e;
    return true;
  });
  assert.ok(caught instanceof SimulationError, String(caught));
  assert.equal(caught.code, 'WMP_ERR_SIMULATOR');
  assert.match(caught.message, reason);
  return caught;
}

describe('simulate: deliveries in the three modes', () => {
  test('plain: signed query with openid, text/xml body with a bare 64-bit MsgId; the reply is validated', async () => {
    const r = await simulate({ type: 'text', content: 'hello' }, opts({ mode: 'plain', openId: 'oAlice' }));
    assert.equal(hook.received.length, 1);
    const got = hook.received[0]!;
    assert.deepEqual(got.problems, []);
    assert.equal(got.contentType, 'text/xml');
    assert.equal(got.query.get('openid'), 'oAlice');
    assert.equal(got.query.has('encrypt_type'), false);
    assert.equal(got.fields.Content, 'hello');
    assert.equal(got.fields.FromUserName, 'oAlice');
    assert.equal(got.fields.ToUserName, SANDBOX_APP.accountId);
    assert.match(got.body, new RegExp(`<MsgId>${r.msgId}</MsgId>`));
    assert.ok(BigInt(r.msgId!) > 2n ** 53n);
    assert.ok(Math.abs(Number(got.fields.CreateTime) - Date.now() / 1000) < 5, 'CreateTime in seconds');
    assert.equal(r.attempts, 1);
    assert.equal(r.status, 200);
    assert.deepEqual(r.reply, { toUserName: 'oAlice', fromUserName: SANDBOX_APP.accountId, createTime: r.reply!.createTime, encrypted: false, msgType: 'text', content: 'echo' });
  });

  test('compatible: the plain fields AND <Encrypt>, encrypt_type=aes and a valid msg_signature; plain or encrypted replies', async () => {
    const r = await simulate({ type: 'text', content: 'hi' }, opts({ mode: 'compatible' }));
    const got = hook.received[0]!;
    assert.deepEqual(got.problems, []);
    assert.equal(got.query.get('encrypt_type'), 'aes');
    assert.equal(got.outer.Content, 'hi', 'plain fields present');
    assert.ok(got.outer.Encrypt, 'and the ciphertext');
    assert.equal(got.fields.Content, 'hi', 'which decrypts to the same message');
    assert.equal(r.reply?.encrypted, false);
    hook.respond = (msg) => ({ body: encryptedReply(replyXml(msg), cipher, APP.token) });
    const enc = await simulate({ type: 'text', content: 'hi' }, opts({ mode: 'compatible' }));
    assert.equal(enc.reply?.encrypted, true);
    assert.equal(enc.reply?.msgType, 'text');
  });

  test('safe: ciphertext only (ToUserName + Encrypt); the encrypted reply is verified and decrypted', async () => {
    hook.respond = (msg) => ({ body: encryptedReply(replyXml(msg, { payload: '<Content><![CDATA[你好]]></Content>' }), cipher, APP.token) });
    const r = await simulate({ type: 'event', event: 'subscribe' }, opts({ mode: 'safe' }));
    const got = hook.received[0]!;
    assert.deepEqual(got.problems, []);
    assert.deepEqual(Object.keys(got.outer), ['ToUserName', 'Encrypt']);
    assert.equal(got.outer.ToUserName, SANDBOX_APP.accountId);
    assert.equal(got.fields.Event, 'subscribe');
    assert.equal(got.fields.MsgId, undefined, 'events carry no MsgId');
    assert.equal(r.msgId, undefined);
    assert.equal(r.reply?.encrypted, true);
    assert.equal(r.reply?.msgType === 'text' && r.reply.content, '你好');
  });

  test('mode defaults to compatible when an EncodingAESKey is given, else plain', async () => {
    assert.equal((await simulate({ type: 'image' }, opts())).mode, 'compatible');
    const { encodingAESKey: _k, ...noKey } = APP;
    assert.equal((await simulate({ type: 'image' }, { url: hook.url, ...noKey, dispatcher: agent })).mode, 'plain');
  });

  test('"success" and an empty body mean no reply', async () => {
    for (const body of ['success', '', '  success\n']) {
      hook.respond = () => ({ body });
      const r = await simulate({ type: 'text', content: 'x' }, opts({ mode: 'safe' }));
      assert.equal(r.reply, null);
      assert.equal(r.rawBody, body);
    }
  });

  test('every reply type with its required fields is accepted', async () => {
    const cases: [string, string, (r: unknown) => void][] = [
      ['image', '<Image><MediaId><![CDATA[m1]]></MediaId></Image>', (r) => assert.equal((r as { mediaId: string }).mediaId, 'm1')],
      ['voice', '<Voice><MediaId><![CDATA[m2]]></MediaId></Voice>', (r) => assert.equal((r as { mediaId: string }).mediaId, 'm2')],
      ['video', '<Video><MediaId><![CDATA[m3]]></MediaId><Title><![CDATA[T]]></Title></Video>', (r) => assert.equal((r as { title: string }).title, 'T')],
      ['music', '<Music><Title><![CDATA[S]]></Title><MusicUrl><![CDATA[http://m]]></MusicUrl><ThumbMediaId><![CDATA[t]]></ThumbMediaId></Music>', (r) => assert.equal((r as { thumbMediaId: string }).thumbMediaId, 't')],
      [
        'news',
        '<ArticleCount>2</ArticleCount><Articles><item><Title><![CDATA[A]]></Title><Url><![CDATA[http://a]]></Url></item><item><Title><![CDATA[B]]></Title></item></Articles>',
        (r) => assert.deepEqual((r as { articles: unknown }).articles, [{ title: 'A', url: 'http://a' }, { title: 'B' }]),
      ],
      ['transfer_customer_service', '', (r) => assert.equal((r as { kfAccount?: string }).kfAccount, undefined)],
      ['transfer_customer_service', '<TransInfo><KfAccount><![CDATA[kf2001@test]]></KfAccount></TransInfo>', (r) => assert.equal((r as { kfAccount: string }).kfAccount, 'kf2001@test')],
    ];
    for (const [msgType, payload, check] of cases) {
      hook.respond = (msg) => ({ body: replyXml(msg, { msgType, payload }) });
      const r = await simulate({ type: 'text', content: 'x' }, opts({ mode: 'plain' }));
      assert.equal(r.reply?.msgType, msgType);
      check(r.reply);
    }
  });
});

describe('simulate: timeout and re-delivery', () => {
  test('a slow webhook gets the SAME MsgId and CreateTime again, with a fresh nonce, up to `attempts` times', async () => {
    hook.respond = (msg, i) => ({ ...(i < 2 ? { delayMs: 2000 } : {}), body: encryptedReply(replyXml(msg), cipher, APP.token) });
    const r = await simulate({ type: 'text', content: 'retry me' }, opts({ mode: 'safe', timeoutMs: 300, attempts: 3 }));
    assert.equal(r.attempts, 3);
    assert.equal(hook.received.length, 3);
    const ids = hook.received.map((m) => m.fields.MsgId);
    assert.deepEqual(ids, [r.msgId, r.msgId, r.msgId]);
    assert.equal(new Set(hook.received.map((m) => m.fields.CreateTime)).size, 1);
    assert.equal(new Set(hook.received.map((m) => m.query.get('nonce'))).size, 3);
    for (const m of hook.received) assert.deepEqual(m.problems, []);
  });

  test('events are re-delivered identically too (same CreateTime, no MsgId)', async () => {
    hook.respond = (msg, i) => (i < 1 ? { delayMs: 2000 } : { body: 'success' });
    const r = await simulate({ type: 'event', event: 'CLICK', eventKey: 'K1' }, opts({ mode: 'plain', timeoutMs: 300 }));
    assert.equal(r.attempts, 2);
    assert.equal(hook.received[0]!.plainXml, hook.received[1]!.plainXml);
  });

  test('no answer within the timeout on every attempt -> SimulationError after exactly `attempts` deliveries', async () => {
    hook.respond = () => ({ delayMs: 2000, body: 'success' });
    const err = await rejectsWith(simulate({ type: 'text', content: 'x' }, opts({ timeoutMs: 300, attempts: 2 })), /after 2 attempts \(last: no answer within 300 ms\)/);
    assert.equal(err.attempts, 2);
    assert.equal(hook.received.length, 2);
  });

  test('connection errors are retried as well', async () => {
    const dead = await startReferenceWebhook(APP);
    const url = dead.url;
    await dead.close();
    const err = await rejectsWith(simulate({ type: 'text', content: 'x' }, opts({ url, attempts: 2, timeoutMs: 2000 })), /after 2 attempts \(last: connection error/);
    assert.equal(err.attempts, 2);
  });

  test('an HTTP error status is reported, not retried', async () => {
    hook.respond = () => ({ status: 500, body: 'boom' });
    const err = await rejectsWith(simulate({ type: 'text', content: 'x' }, opts()), /HTTP 500/);
    assert.equal(err.status, 500);
    assert.equal(err.rawBody, 'boom');
    assert.equal(hook.received.length, 1);
  });
});

describe('simulate: each validation rule fails an invalid reply', () => {
  const other = new WechatCipher(APP.encodingAESKey, 'wxsomeoneelse00001');
  const otherKey = new WechatCipher('A'.repeat(43), APP.appId);
  const cases: [string, SimulateOptions['mode'], (msg: Parameters<typeof replyXml>[0]) => string, RegExp][] = [
    ['To not swapped (To = account id)', 'plain', (m) => replyXml(m, { to: m.fields.ToUserName }), /ToUserName is "gh_sandbox000001", expected the user's OpenID/],
    ['wrong FromUserName', 'plain', (m) => replyXml(m, { from: 'gh_other' }), /FromUserName is "gh_other", expected the account id "gh_sandbox000001"/],
    ['CreateTime in milliseconds', 'plain', (m) => replyXml(m, { createTime: Date.now() }), /CreateTime \d+ looks like milliseconds/],
    ['CreateTime far from now', 'plain', (m) => replyXml(m, { createTime: Math.floor(Date.now() / 1000) - 3600 }), /CreateTime \d+ is 36\d\d s away from now/],
    ['CreateTime not a number', 'plain', (m) => replyXml(m).replace(/<CreateTime>\d+/, '<CreateTime>soon'), /CreateTime "soon" is not a whole number/],
    ['root is not <xml>', 'plain', (m) => replyXml(m).replace(/^<xml>/, '<reply>').replace(/<\/xml>$/, '</reply>'), /root element is <reply>, expected <xml>/],
    ['not XML at all', 'plain', () => 'hello there', /not XML/],
    ['malformed XML', 'plain', (m) => replyXml(m).slice(0, -3), /not well-formed XML/],
    ['a second root', 'plain', (m) => `${replyXml(m)}<xml></xml>`, /content after the root element/],
    ['text after the root', 'plain', (m) => `${replyXml(m)}trailing`, /content after the root element|not well-formed/],
    ['unknown MsgType', 'plain', (m) => replyXml(m, { msgType: 'sticker' }), /unknown MsgType "sticker"/],
    ['text without Content', 'plain', (m) => replyXml(m, { payload: '' }), /<Content> is missing/],
    ['image without MediaId', 'plain', (m) => replyXml(m, { msgType: 'image', payload: '<Image></Image>' }), /<Image>: <MediaId> is missing/],
    ['music without ThumbMediaId', 'plain', (m) => replyXml(m, { msgType: 'music', payload: '<Music><Title>t</Title></Music>' }), /<Music>: <ThumbMediaId> is missing/],
    [
      'news count mismatch',
      'plain',
      (m) => replyXml(m, { msgType: 'news', payload: '<ArticleCount>2</ArticleCount><Articles><item><Title>A</Title></item></Articles>' }),
      /ArticleCount is 2 but <Articles> holds 1 <item>/,
    ],
    ['duplicate field', 'plain', (m) => replyXml(m, { payload: '<Content>a</Content><Content>b</Content>' }), /<Content> appears 2 times/],
    ['safe mode, plain reply', 'safe', (m) => replyXml(m), /safe mode needs an encrypted reply/],
    ['bad MsgSignature', 'safe', (m) => encryptedReply(replyXml(m), cipher, APP.token, { badSignature: true }), /MsgSignature does not match/],
    ['MsgSignature signed with another token', 'compatible', (m) => encryptedReply(replyXml(m), cipher, 'othertoken'), /MsgSignature does not match/],
    ['wrong AppID inside', 'safe', (m) => encryptedReply(replyXml(m), other, APP.token), /different AppID than "wxsandbox000000001"/],
    ['another EncodingAESKey', 'safe', (m) => encryptedReply(replyXml(m), otherKey, APP.token), /does not decrypt with our EncodingAESKey|different AppID/],
    ['TimeStamp in milliseconds', 'safe', (m) => encryptedReply(replyXml(m), cipher, APP.token, { timestamp: String(Date.now()) }), /TimeStamp \d+ looks like milliseconds/],
    ['decrypted reply not swapped', 'safe', (m) => encryptedReply(replyXml(m, { to: 'gh_sandbox000001' }), cipher, APP.token), /decrypted reply: ToUserName is "gh_sandbox000001"/],
  ];
  for (const [name, mode, build, reason] of cases) {
    test(name, async () => {
      hook.respond = (msg) => ({ body: build(msg) });
      const err = await rejectsWith(simulate({ type: 'text', content: 'x' }, opts({ mode })), reason);
      assert.equal(err.status, 200);
      assert.equal(err.attempts, 1, 'an invalid reply is not re-delivered');
    });
  }

  test('validateReply can be used on its own, and throws WechatMpError WMP_ERR_SIMULATOR', () => {
    const ctx = { openId: 'oU', accountId: 'gh_a', token: 't', appId: 'wx1', mode: 'plain' as const, nowSeconds: 1_700_000_000 };
    const ok = '<xml><ToUserName><![CDATA[oU]]></ToUserName><FromUserName><![CDATA[gh_a]]></FromUserName><CreateTime>1700000010</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content></xml>';
    assert.equal(validateReply(ok, ctx).msgType, 'text');
    assert.throws(
      () => validateReply(ok.replace('1700000010', '1700000400'), ctx),
      (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_SIMULATOR' && /400 s away/.test(e.message),
    );
    assert.equal(validateReply(ok.replace('1700000010', '1700000400'), { ...ctx, maxSkewSeconds: 600 }).createTime, 1700000400);
    assert.throws(() => validateReply(encryptedReply(ok, cipher, 't'), ctx), /no EncodingAESKey is configured/);
  });
});

describe('simulate: options', () => {
  test('bad options are refused before anything is sent', async () => {
    const bad: Partial<SimulateOptions>[] = [{ url: 'ftp://x' }, { url: 'nope' }, { token: '' }, { mode: 'safe', encodingAESKey: undefined }, { timeoutMs: 0 }, { attempts: 11 }, { appId: '' }];
    for (const b of bad) await assert.rejects(simulate({ type: 'text', content: 'x' }, opts(b)), { code: 'WMP_ERR_INVALID_OPTION' }, JSON.stringify(b));
    assert.equal(hook.received.length, 0);
  });

  test('an injected clock sets CreateTime and the timestamp', async () => {
    const now = () => Date.UTC(2024, 0, 1) + 1234;
    hook.respond = (msg) => ({ body: replyXml(msg, { createTime: Math.floor(now() / 1000) }) });
    await simulate({ type: 'text', content: 'x' }, opts({ now, mode: 'plain' }));
    assert.equal(hook.received[0]!.fields.CreateTime, String(Date.UTC(2024, 0, 1) / 1000 + 1));
    assert.equal(hook.received[0]!.query.get('timestamp'), String(Date.UTC(2024, 0, 1) / 1000 + 1));
  });
});
