import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import fc from 'fast-check';
import { reply, renderReply, cdata, type Reply } from '../../src/webhook/replies.js';
import { parseXml } from '../../src/webhook/xml.js';
import { WechatMpError } from '../../src/errors.js';
import { checkReplyXml, strictTree, textAt } from './support/reply-check.js';
import { ACCOUNT, OPENID, PATH, eventXml, makeApp, signedQuery, textXml } from './support/fixtures.js';

const target = { toUser: OPENID, fromUser: ACCOUNT, createTime: Math.floor(Date.now() / 1000) };
const expectTo = { toUser: OPENID, fromUser: ACCOUNT };

const ALL: Array<{ reply: Reply; check: (xml: string) => void }> = [
  {
    reply: reply.text('hello ]]> <world> & 你好'),
    check: (xml) => assert.equal(parseXml(xml).Content, 'hello ]]> <world> & 你好'),
  },
  { reply: reply.image('img-media'), check: (xml) => assert.deepEqual(parseXml(xml).Image, { MediaId: 'img-media' }) },
  { reply: reply.voice('voice-media'), check: (xml) => assert.deepEqual(parseXml(xml).Voice, { MediaId: 'voice-media' }) },
  {
    reply: reply.video({ mediaId: 'v1', title: 'T', description: 'D' }),
    check: (xml) => assert.deepEqual(parseXml(xml).Video, { MediaId: 'v1', Title: 'T', Description: 'D' }),
  },
  { reply: reply.video({ mediaId: 'v2' }), check: (xml) => assert.deepEqual(parseXml(xml).Video, { MediaId: 'v2' }) },
  {
    reply: reply.music({ title: 'M', description: 'D', musicUrl: 'http://a/m.mp3', hqMusicUrl: 'http://a/hq.mp3', thumbMediaId: 'th' }),
    check: (xml) =>
      assert.deepEqual(parseXml(xml).Music, { Title: 'M', Description: 'D', MusicUrl: 'http://a/m.mp3', HQMusicUrl: 'http://a/hq.mp3', ThumbMediaId: 'th' }),
  },
  {
    reply: reply.news([
      { title: 'A', description: 'a', picUrl: 'http://p/a.jpg', url: 'http://u/a' },
      { title: 'B ]]>', url: 'http://u/b?x=1&y=2' },
    ]),
    check: (xml) => {
      const f = parseXml(xml);
      assert.equal(f.ArticleCount, '2');
      assert.deepEqual(f.Articles, {
        item: [
          { Title: 'A', Description: 'a', PicUrl: 'http://p/a.jpg', Url: 'http://u/a' },
          { Title: 'B ]]>', Url: 'http://u/b?x=1&y=2' },
        ],
      });
    },
  },
  { reply: reply.transferCustomerService(), check: (xml) => assert.equal(parseXml(xml).TransInfo, undefined) },
  {
    reply: reply.transferCustomerService('kf2001@gh_0123456789ab'),
    check: (xml) => assert.deepEqual(parseXml(xml).TransInfo, { KfAccount: 'kf2001@gh_0123456789ab' }),
  },
];

test('every reply type renders XML that the strict check and our parser accept', () => {
  for (const { reply: r, check } of ALL) {
    const xml = renderReply(r, target);
    const { msgType } = checkReplyXml(xml, expectTo);
    assert.equal(msgType, r.type);
    const f = parseXml(xml);
    assert.equal(f.ToUserName, OPENID);
    assert.equal(f.FromUserName, ACCOUNT);
    assert.equal(f.MsgType, r.type);
    assert.match(String(f.CreateTime), /^\d{10}$/, 'CreateTime in seconds');
    check(xml);
  }
});

test('the strict check rejects what WeChat would not read', () => {
  const good = renderReply(reply.text('x'), target);
  assert.throws(() => checkReplyXml(good.replace('<Content>', '<Content a="1">'), expectTo));
  assert.throws(() => checkReplyXml(good.replace('text]]>', 'txt]]>'), expectTo));
  assert.throws(() => checkReplyXml(good, { toUser: ACCOUNT, fromUser: OPENID }), /ToUserName/);
  assert.throws(() => checkReplyXml(good.replace(/<CreateTime>\d+/, `<CreateTime>${Date.now()}`), expectTo), /seconds/);
  assert.throws(() => checkReplyXml(`<xml>${good}</xml>`, expectTo));
  assert.throws(() => strictTree('<xml><A><![CDATA[a]]>]]></A></xml>'), /outside CDATA/);
});

test(']]> and other awkward text survive a round trip (property)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.constantFrom('', ']]>', ']]]]>', ']]>]]>', '<![CDATA[', ']'), (s, tricky) => {
      const content = `${tricky}${s}${tricky}`;
      const xml = renderReply(reply.text(content), target);
      checkReplyXml(xml, expectTo);
      assert.equal(parseXml(xml).Content, content);
      assert.equal(textAt(strictTree(xml), ['Content']), content);
    }),
    { numRuns: 300 },
  );
});

test('characters XML 1.0 forbids are dropped instead of breaking the reply', () => {
  const xml = renderReply(reply.text('a\u0000b\u0007c\uD800d'), target);
  checkReplyXml(xml, expectTo);
  assert.equal(parseXml(xml).Content, 'abcd');
  assert.equal(cdata('plain'), 'plain');
});

test('builders and rendering reject replies WeChat would refuse', () => {
  const isReplyError = (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_REPLY';
  assert.throws(() => reply.image(''), isReplyError);
  assert.throws(() => reply.news([]), isReplyError);
  assert.throws(() => reply.news(Array.from({ length: 9 }, (_, i) => ({ title: `t${i}` }))), isReplyError);
  assert.throws(() => reply.music({ thumbMediaId: '' }), isReplyError);
  assert.throws(() => reply.transferCustomerService(''), isReplyError);
  const two = reply.news([{ title: 'a' }, { title: 'b' }]);
  assert.throws(() => renderReply(two, { ...target, newsLimit: 1 }), isReplyError);
  assert.doesNotThrow(() => renderReply(two, { ...target, newsLimit: 8 }));
  assert.throws(() => renderReply({ type: 'nonsense' } as unknown as Reply, target), isReplyError);
});

test('news limits: 1 article for a user message, up to 8 for an event, configurable', async () => {
  const three = reply.news([{ title: 'a' }, { title: 'b' }, { title: 'c' }]);
  const handlers = { text: () => three, 'event:CLICK': () => three };
  const post = (app: ReturnType<typeof makeApp>, xml: string) => request(app.callback()).post(`${PATH}?${signedQuery()}`).send(xml);

  const app = makeApp({}, handlers);
  const toMessage = await post(app, textXml('hi', '1001'));
  assert.equal(toMessage.text, 'success', 'too many articles for a message: handler error answered with success');
  const toEvent = await post(app, eventXml('CLICK', '<EventKey>k</EventKey>'));
  assert.equal(checkReplyXml(toEvent.text, expectTo).msgType, 'news');
  assert.equal(parseXml(toEvent.text).ArticleCount, '3');

  const lenient = makeApp({ newsArticleLimits: { message: 8, event: 2 } }, handlers);
  assert.equal(parseXml((await post(lenient, textXml('hi', '1002'))).text).ArticleCount, '3');
  assert.equal((await post(lenient, eventXml('CLICK', '<EventKey>k2</EventKey>'))).text, 'success');
});

test('every reply type goes through the middleware with To/From swapped', async () => {
  let i = 0;
  for (const { reply: r, check } of ALL) {
    const app = makeApp({ newsArticleLimits: { message: 8 } }, { text: () => r });
    const res = await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(textXml('x', String(5000 + i++)));
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /xml/);
    assert.equal(checkReplyXml(res.text, expectTo).msgType, r.type);
    check(res.text);
  }
});
