import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMessageXml, cdata, newSimMsgId, parseMessageArgs, resolveSimulateOptions } from '../../src/simulator/index.js';
import { SANDBOX_APP } from '../../src/emulator/index.js';
import { InvalidOptionError } from '../../src/errors.js';
import { xmlFields } from './support/reference-webhook.js';

const ENV = { toUser: 'gh_sandbox000001', fromUser: 'oUser', createTime: 1714112445, msgId: '9223372036854775807' };

describe('buildMessageXml', () => {
  test('text: CDATA strings, bare CreateTime in seconds, bare 64-bit MsgId last', () => {
    assert.equal(
      buildMessageXml({ type: 'text', content: 'hello' }, ENV),
      '<xml><ToUserName><![CDATA[gh_sandbox000001]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>' +
        '<CreateTime>1714112445</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content>' +
        '<MsgId>9223372036854775807</MsgId></xml>',
    );
  });

  test('a "]]>" in content cannot close the CDATA section', () => {
    const xml = buildMessageXml({ type: 'text', content: 'a]]><b>x</b>' }, ENV);
    assert.equal(xmlFields(xml).Content, 'a]]><b>x</b>');
    assert.equal(cdata(']]>'), '<![CDATA[]]]]><![CDATA[>]]>');
  });

  test('every message type carries its fields; numbers bare', () => {
    const f = (spec: Parameters<typeof buildMessageXml>[0]) => xmlFields(buildMessageXml(spec, ENV));
    assert.deepEqual(Object.keys(f({ type: 'image' })).slice(4), ['PicUrl', 'MediaId', 'MsgId']);
    assert.deepEqual(Object.keys(f({ type: 'voice', recognition: '你好' })).slice(4), ['MediaId', 'Format', 'Recognition', 'MediaId16K', 'MsgId']);
    assert.deepEqual(Object.keys(f({ type: 'video' })).slice(4), ['MediaId', 'ThumbMediaId', 'MsgId']);
    assert.equal(f({ type: 'shortvideo' }).MsgType, 'shortvideo');
    const loc = buildMessageXml({ type: 'location', latitude: 23.134521, longitude: 113.358803, scale: 20, label: 'X' }, ENV);
    assert.match(loc, /<Location_X>23\.134521<\/Location_X><Location_Y>113\.358803<\/Location_Y><Scale>20<\/Scale><Label><!\[CDATA\[X\]\]><\/Label>/);
    assert.deepEqual(Object.keys(f({ type: 'link' })).slice(4), ['Title', 'Description', 'Url', 'MsgId']);
  });

  test('events have no MsgId; their fields follow the event', () => {
    const ev = (spec: Parameters<typeof buildMessageXml>[0]) => buildMessageXml(spec, ENV);
    const sub = ev({ type: 'event', event: 'subscribe' });
    assert.ok(!sub.includes('<MsgId>'));
    assert.match(sub, /<MsgType><!\[CDATA\[event\]\]><\/MsgType><Event><!\[CDATA\[subscribe\]\]><\/Event><\/xml>$/);
    assert.match(ev({ type: 'event', event: 'subscribe', eventKey: 'qrscene_123' }), /<EventKey><!\[CDATA\[qrscene_123\]\]><\/EventKey><Ticket>/);
    assert.match(ev({ type: 'event', event: 'SCAN', eventKey: '123' }), /<EventKey><!\[CDATA\[123\]\]><\/EventKey><Ticket>/);
    assert.match(ev({ type: 'event', event: 'LOCATION' }), /<Latitude>23\.137466<\/Latitude><Longitude>113\.352425<\/Longitude><Precision>119\.38504<\/Precision>/);
    assert.match(ev({ type: 'event', event: 'CLICK', eventKey: 'K' }), /<Event><!\[CDATA\[CLICK\]\]><\/Event><EventKey><!\[CDATA\[K\]\]><\/EventKey><\/xml>$/);
    assert.match(ev({ type: 'event', event: 'VIEW', eventKey: 'https://a/', menuId: '7' }), /<EventKey><!\[CDATA\[https:\/\/a\/\]\]><\/EventKey><MenuId><!\[CDATA\[7\]\]><\/MenuId>/);
    assert.match(ev({ type: 'event', event: 'scancode_push' }), /<ScanCodeInfo><ScanType><!\[CDATA\[qrcode\]\]><\/ScanType><ScanResult>/);
    assert.match(ev({ type: 'event', event: 'pic_weixin', picMd5Sums: ['a', 'b'] }), /<SendPicsInfo><Count>2<\/Count><PicList><item><PicMd5Sum><!\[CDATA\[a\]\]><\/PicMd5Sum><\/item><item>/);
    assert.match(ev({ type: 'event', event: 'location_select' }), /<SendLocationInfo><Location_X>23<\/Location_X><Location_Y>113<\/Location_Y><Scale>15<\/Scale>/);
    assert.match(ev({ type: 'event', event: 'TEMPLATESENDJOBFINISH', jobMsgId: '9223372036854775807' }), /<MsgID>9223372036854775807<\/MsgID><Status><!\[CDATA\[success\]\]><\/Status>/);
    assert.match(ev({ type: 'event', event: 'MASSSENDJOBFINISH' }), /<TotalCount>100<\/TotalCount><FilterCount>80<\/FilterCount><SentCount>75<\/SentCount><ErrorCount>5<\/ErrorCount>/);
  });

  test('a message without a 64-bit decimal MsgId, or a CreateTime that is not whole seconds, is refused', () => {
    assert.throws(() => buildMessageXml({ type: 'text', content: 'x' }, { ...ENV, msgId: undefined }), InvalidOptionError);
    assert.throws(() => buildMessageXml({ type: 'text', content: 'x' }, { ...ENV, msgId: '12a' }), InvalidOptionError);
    assert.throws(() => buildMessageXml({ type: 'text', content: 'x' }, { ...ENV, createTime: 1714112445.5 }), InvalidOptionError);
  });

  test('newSimMsgId: decimal strings above 2^53 that a JS number cannot hold', () => {
    for (let i = 0; i < 5000; i++) {
      const id = newSimMsgId();
      assert.match(id, /^\d+$/);
      assert.ok(BigInt(id) > 2n ** 53n && BigInt(id) < 2n ** 63n);
      assert.notEqual(String(Number(id)), id);
    }
  });
});

describe('CLI words and environment', () => {
  test('parseMessageArgs maps the CLI forms to specs', () => {
    assert.deepEqual(parseMessageArgs(['text', 'hello', 'world']), { type: 'text', content: 'hello world' });
    assert.deepEqual(parseMessageArgs(['event', 'subscribe']), { type: 'event', event: 'subscribe' });
    assert.deepEqual(parseMessageArgs(['event', 'subscribe', '42']), { type: 'event', event: 'subscribe', eventKey: 'qrscene_42' });
    assert.deepEqual(parseMessageArgs(['event', 'unsubscribe']), { type: 'event', event: 'unsubscribe' });
    assert.deepEqual(parseMessageArgs(['event', 'CLICK', 'KEY']), { type: 'event', event: 'CLICK', eventKey: 'KEY' });
    assert.deepEqual(parseMessageArgs(['event', 'VIEW', 'https://x/']), { type: 'event', event: 'VIEW', eventKey: 'https://x/' });
    assert.deepEqual(parseMessageArgs(['event', 'SCAN']), { type: 'event', event: 'SCAN' });
    assert.deepEqual(parseMessageArgs(['event', 'LOCATION', '1.5', '2.5', '30']), { type: 'event', event: 'LOCATION', latitude: 1.5, longitude: 2.5, precision: 30 });
    assert.deepEqual(parseMessageArgs(['location', '1', '2', 'Some', 'place']), { type: 'location', latitude: 1, longitude: 2, label: 'Some place' });
    for (const t of ['image', 'video', 'shortvideo', 'link', 'voice']) assert.equal(parseMessageArgs([t]).type, t);
    for (const bad of [[], ['text'], ['event'], ['event', 'CLICK'], ['event', 'VIEW'], ['nope'], ['location', 'north']]) {
      assert.throws(() => parseMessageArgs(bad), InvalidOptionError, JSON.stringify(bad));
    }
  });

  test('resolveSimulateOptions reads only what it needs from the environment', () => {
    const env = { WECHAT_TOKEN: 'tok', WECHAT_APP_ID: 'wx1234567890abcdef', WECHAT_ENCODING_AES_KEY: SANDBOX_APP.encodingAESKey, PORT: '8080', WEBHOOK_PATH: '/wx' };
    assert.deepEqual(resolveSimulateOptions({}, env), {
      url: 'http://127.0.0.1:8080/wx',
      token: 'tok',
      appId: 'wx1234567890abcdef',
      encodingAESKey: SANDBOX_APP.encodingAESKey,
    });
    assert.equal(resolveSimulateOptions({}, { WECHAT_TOKEN: 't' }).url, 'http://127.0.0.1:3000/wechat');
    assert.equal(resolveSimulateOptions({ mode: 'safe' }, env).mode, 'safe');
    assert.equal(resolveSimulateOptions({}, { ...env, WECHAT_MESSAGE_MODE: 'plain' }).mode, 'plain');
    const sb = resolveSimulateOptions({ sandbox: true, url: 'http://127.0.0.1:1/w', openid: 'oX', timeout: '300', attempts: '2' }, {});
    assert.deepEqual(sb, {
      url: 'http://127.0.0.1:1/w',
      openId: 'oX',
      timeoutMs: 300,
      attempts: 2,
      token: SANDBOX_APP.token,
      appId: SANDBOX_APP.appId,
      encodingAESKey: SANDBOX_APP.encodingAESKey,
      accountId: SANDBOX_APP.accountId,
    });
    const rejects: [Parameters<typeof resolveSimulateOptions>[0], Record<string, string>, string][] = [
      [{}, {}, 'WECHAT_TOKEN'],
      [{ mode: 'safe' }, { WECHAT_TOKEN: 't' }, 'WECHAT_ENCODING_AES_KEY'],
      [{}, { WECHAT_TOKEN: 't', WECHAT_ENCODING_AES_KEY: SANDBOX_APP.encodingAESKey }, 'WECHAT_APP_ID'],
      [{ mode: 'secret' }, { WECHAT_TOKEN: 't' }, '--mode'],
      [{}, { WECHAT_TOKEN: 't', WECHAT_MESSAGE_MODE: 'x' }, 'WECHAT_MESSAGE_MODE'],
      [{}, { WECHAT_TOKEN: 't', PORT: '0' }, '--url'],
      [{ timeout: '1.5' }, { WECHAT_TOKEN: 't' }, '--timeout'],
    ];
    for (const [flags, e, option] of rejects) {
      assert.throws(() => resolveSimulateOptions(flags, e), (err: unknown) => err instanceof InvalidOptionError && err.option === option, option);
    }
  });
});
