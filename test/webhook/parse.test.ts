import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { ACCOUNT, BIG_MSG_ID, OPENID, PATH, eventXml, makeApp, signedQuery, xmlMessage } from './support/fixtures.js';
import type { WechatMessage } from '../../src/webhook/messages.js';
import { parseXml } from '../../src/webhook/xml.js';
import { toMessage } from '../../src/webhook/parse.js';
import { WebhookRequestError } from '../../src/webhook/request-error.js';

const CT = 1714112445;
const common = { ToUserName: ACCOUNT, FromUserName: OPENID, CreateTime: CT };

// Each fixture is written as WeChat documents the push (indented, strings in CDATA, numbers bare).
const CASES: Array<{ name: string; xml: string; expected: Record<string, unknown> }> = [
  {
    name: 'text',
    xml: xmlMessage('text', `  <Content><![CDATA[你好 <b>&amp;</b>]]></Content>\n  <MsgId>${BIG_MSG_ID}</MsgId>`),
    expected: { kind: 'text', MsgType: 'text', Content: '你好 <b>&amp;</b>', MsgId: BIG_MSG_ID, MsgDataId: undefined, Idx: undefined },
  },
  {
    name: 'text from an article (MsgDataId, Idx)',
    xml: xmlMessage('text', `  <Content><![CDATA[hi]]></Content>\n  <MsgId>${BIG_MSG_ID}</MsgId>\n  <MsgDataId>2247483651</MsgDataId>\n  <Idx>1</Idx>`),
    expected: { kind: 'text', MsgType: 'text', Content: 'hi', MsgId: BIG_MSG_ID, MsgDataId: '2247483651', Idx: 1 },
  },
  {
    name: 'image',
    xml: xmlMessage('image', `  <PicUrl><![CDATA[http://mmbiz.qpic.cn/abc]]></PicUrl>\n  <MediaId><![CDATA[media_id_1]]></MediaId>\n  <MsgId>${BIG_MSG_ID}</MsgId>`),
    expected: { kind: 'image', MsgType: 'image', PicUrl: 'http://mmbiz.qpic.cn/abc', MediaId: 'media_id_1', MsgId: BIG_MSG_ID, MsgDataId: undefined, Idx: undefined },
  },
  {
    name: 'voice with recognition',
    xml: xmlMessage(
      'voice',
      `  <MediaId><![CDATA[media_id_2]]></MediaId>\n  <Format><![CDATA[amr]]></Format>\n  <Recognition><![CDATA[腾讯微信团队]]></Recognition>\n  <MediaId16K><![CDATA[media16k]]></MediaId16K>\n  <MsgId>${BIG_MSG_ID}</MsgId>`,
    ),
    expected: { kind: 'voice', MsgType: 'voice', MediaId: 'media_id_2', Format: 'amr', Recognition: '腾讯微信团队', MediaId16K: 'media16k', MsgId: BIG_MSG_ID, MsgDataId: undefined, Idx: undefined },
  },
  {
    name: 'voice without recognition',
    xml: xmlMessage('voice', `  <MediaId><![CDATA[media_id_2]]></MediaId>\n  <Format><![CDATA[speex]]></Format>\n  <MsgId>${BIG_MSG_ID}</MsgId>`),
    expected: { kind: 'voice', MsgType: 'voice', MediaId: 'media_id_2', Format: 'speex', Recognition: undefined, MediaId16K: undefined, MsgId: BIG_MSG_ID, MsgDataId: undefined, Idx: undefined },
  },
  {
    name: 'video',
    xml: xmlMessage('video', `  <MediaId><![CDATA[media_id_3]]></MediaId>\n  <ThumbMediaId><![CDATA[thumb_3]]></ThumbMediaId>\n  <MsgId>${BIG_MSG_ID}</MsgId>`),
    expected: { kind: 'video', MsgType: 'video', MediaId: 'media_id_3', ThumbMediaId: 'thumb_3', MsgId: BIG_MSG_ID, MsgDataId: undefined, Idx: undefined },
  },
  {
    name: 'shortvideo',
    xml: xmlMessage('shortvideo', `  <MediaId><![CDATA[media_id_4]]></MediaId>\n  <ThumbMediaId><![CDATA[thumb_4]]></ThumbMediaId>\n  <MsgId>${BIG_MSG_ID}</MsgId>`),
    expected: { kind: 'shortvideo', MsgType: 'shortvideo', MediaId: 'media_id_4', ThumbMediaId: 'thumb_4', MsgId: BIG_MSG_ID, MsgDataId: undefined, Idx: undefined },
  },
  {
    name: 'location',
    xml: xmlMessage(
      'location',
      `  <Location_X>23.134521</Location_X>\n  <Location_Y>113.358803</Location_Y>\n  <Scale>20</Scale>\n  <Label><![CDATA[位置信息]]></Label>\n  <MsgId>${BIG_MSG_ID}</MsgId>`,
    ),
    expected: { kind: 'location', MsgType: 'location', Location_X: 23.134521, Location_Y: 113.358803, Scale: 20, Label: '位置信息', MsgId: BIG_MSG_ID, MsgDataId: undefined, Idx: undefined },
  },
  {
    name: 'link',
    xml: xmlMessage(
      'link',
      `  <Title><![CDATA[公众平台官网链接]]></Title>\n  <Description><![CDATA[公众平台官网链接]]></Description>\n  <Url><![CDATA[https://mp.weixin.qq.com]]></Url>\n  <MsgId>${BIG_MSG_ID}</MsgId>`,
    ),
    expected: { kind: 'link', MsgType: 'link', Title: '公众平台官网链接', Description: '公众平台官网链接', Url: 'https://mp.weixin.qq.com', MsgId: BIG_MSG_ID, MsgDataId: undefined, Idx: undefined },
  },
  {
    name: 'unknown message type',
    xml: xmlMessage('miniprogrampage', `  <Title><![CDATA[card]]></Title>\n  <AppId><![CDATA[wxapp]]></AppId>\n  <MsgId>${BIG_MSG_ID}</MsgId>`),
    expected: { kind: 'unknown', MsgType: 'miniprogrampage', MsgId: BIG_MSG_ID },
  },
  {
    name: 'subscribe',
    xml: eventXml('subscribe', '  <EventKey><![CDATA[]]></EventKey>'),
    expected: { kind: 'event', MsgType: 'event', Event: 'subscribe', EventKey: undefined, Ticket: undefined },
  },
  {
    name: 'subscribe by QR code',
    xml: eventXml('subscribe', '  <EventKey><![CDATA[qrscene_123123]]></EventKey>\n  <Ticket><![CDATA[TICKET]]></Ticket>'),
    expected: { kind: 'event', MsgType: 'event', Event: 'subscribe', EventKey: 'qrscene_123123', Ticket: 'TICKET' },
  },
  { name: 'unsubscribe', xml: eventXml('unsubscribe'), expected: { kind: 'event', MsgType: 'event', Event: 'unsubscribe' } },
  {
    name: 'SCAN',
    xml: eventXml('SCAN', '  <EventKey><![CDATA[123123]]></EventKey>\n  <Ticket><![CDATA[TICKET]]></Ticket>'),
    expected: { kind: 'event', MsgType: 'event', Event: 'SCAN', EventKey: '123123', Ticket: 'TICKET' },
  },
  {
    name: 'LOCATION',
    xml: eventXml('LOCATION', '  <Latitude>23.137466</Latitude>\n  <Longitude>113.352425</Longitude>\n  <Precision>119.385040</Precision>'),
    expected: { kind: 'event', MsgType: 'event', Event: 'LOCATION', Latitude: 23.137466, Longitude: 113.352425, Precision: 119.38504 },
  },
  {
    name: 'CLICK',
    xml: eventXml('CLICK', '  <EventKey><![CDATA[V1001_TODAY_MUSIC]]></EventKey>'),
    expected: { kind: 'event', MsgType: 'event', Event: 'CLICK', EventKey: 'V1001_TODAY_MUSIC' },
  },
  {
    name: 'VIEW',
    xml: eventXml('VIEW', '  <EventKey><![CDATA[https://www.qq.com/]]></EventKey>\n  <MenuId>208379533</MenuId>'),
    expected: { kind: 'event', MsgType: 'event', Event: 'VIEW', EventKey: 'https://www.qq.com/', MenuId: '208379533' },
  },
  {
    name: 'scancode_push',
    xml: eventXml(
      'scancode_push',
      '  <EventKey><![CDATA[6]]></EventKey>\n  <ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType>\n  <ScanResult><![CDATA[1]]></ScanResult>\n  </ScanCodeInfo>',
    ),
    expected: { kind: 'event', MsgType: 'event', Event: 'scancode_push', EventKey: '6', ScanCodeInfo: { ScanType: 'qrcode', ScanResult: '1' } },
  },
  {
    name: 'scancode_waitmsg',
    xml: eventXml(
      'scancode_waitmsg',
      '  <EventKey><![CDATA[6]]></EventKey>\n  <ScanCodeInfo><ScanType><![CDATA[barcode]]></ScanType>\n  <ScanResult><![CDATA[EAN_13,6901234567892]]></ScanResult>\n  </ScanCodeInfo>',
    ),
    expected: { kind: 'event', MsgType: 'event', Event: 'scancode_waitmsg', EventKey: '6', ScanCodeInfo: { ScanType: 'barcode', ScanResult: 'EAN_13,6901234567892' } },
  },
  {
    name: 'pic_sysphoto',
    xml: eventXml(
      'pic_sysphoto',
      '  <EventKey><![CDATA[6]]></EventKey>\n  <SendPicsInfo><Count>1</Count>\n  <PicList><item><PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum>\n  </item>\n  </PicList>\n  </SendPicsInfo>',
    ),
    expected: {
      kind: 'event',
      MsgType: 'event',
      Event: 'pic_sysphoto',
      EventKey: '6',
      SendPicsInfo: { Count: 1, PicList: [{ PicMd5Sum: '1b5f7c23b5bf75682a53e7b6d163e185' }] },
    },
  },
  {
    name: 'pic_photo_or_album with two pictures',
    xml: eventXml(
      'pic_photo_or_album',
      '  <EventKey><![CDATA[6]]></EventKey>\n  <SendPicsInfo><Count>2</Count>\n  <PicList><item><PicMd5Sum><![CDATA[aaa]]></PicMd5Sum></item><item><PicMd5Sum><![CDATA[bbb]]></PicMd5Sum></item></PicList>\n  </SendPicsInfo>',
    ),
    expected: {
      kind: 'event',
      MsgType: 'event',
      Event: 'pic_photo_or_album',
      EventKey: '6',
      SendPicsInfo: { Count: 2, PicList: [{ PicMd5Sum: 'aaa' }, { PicMd5Sum: 'bbb' }] },
    },
  },
  {
    name: 'pic_weixin',
    xml: eventXml('pic_weixin', '  <EventKey><![CDATA[6]]></EventKey>\n  <SendPicsInfo><Count>1</Count>\n  <PicList><item><PicMd5Sum><![CDATA[ccc]]></PicMd5Sum></item></PicList></SendPicsInfo>'),
    expected: { kind: 'event', MsgType: 'event', Event: 'pic_weixin', EventKey: '6', SendPicsInfo: { Count: 1, PicList: [{ PicMd5Sum: 'ccc' }] } },
  },
  {
    name: 'location_select',
    xml: eventXml(
      'location_select',
      '  <EventKey><![CDATA[6]]></EventKey>\n  <SendLocationInfo><Location_X><![CDATA[23]]></Location_X>\n  <Location_Y><![CDATA[113]]></Location_Y>\n  <Scale><![CDATA[15]]></Scale>\n  <Label><![CDATA[ 广州市海珠区客村艺苑路 106号]]></Label>\n  <Poiname><![CDATA[]]></Poiname>\n  </SendLocationInfo>',
    ),
    expected: {
      kind: 'event',
      MsgType: 'event',
      Event: 'location_select',
      EventKey: '6',
      SendLocationInfo: { Location_X: 23, Location_Y: 113, Scale: 15, Label: ' 广州市海珠区客村艺苑路 106号', Poiname: '' },
    },
  },
  {
    name: 'TEMPLATESENDJOBFINISH (MsgID with a capital D)',
    xml: eventXml('TEMPLATESENDJOBFINISH', '  <MsgID>200163836</MsgID>\n  <Status><![CDATA[failed:user block]]></Status>'),
    expected: { kind: 'event', MsgType: 'event', Event: 'TEMPLATESENDJOBFINISH', MsgID: '200163836', Status: 'failed:user block' },
  },
  {
    name: 'MASSSENDJOBFINISH',
    xml: eventXml(
      'MASSSENDJOBFINISH',
      '  <MsgID>1000001625</MsgID>\n  <Status><![CDATA[err(30003)]]></Status>\n  <TotalCount>100</TotalCount>\n  <FilterCount>80</FilterCount>\n  <SentCount>75</SentCount>\n  <ErrorCount>5</ErrorCount>',
    ),
    expected: {
      kind: 'event',
      MsgType: 'event',
      Event: 'MASSSENDJOBFINISH',
      MsgID: '1000001625',
      Status: 'err(30003)',
      TotalCount: 100,
      FilterCount: 80,
      SentCount: 75,
      ErrorCount: 5,
    },
  },
  {
    name: 'unknown event',
    xml: eventXml('view_miniprogram', '  <EventKey><![CDATA[pages/index]]></EventKey>\n  <MenuId>1</MenuId>'),
    expected: { kind: 'unknown_event', MsgType: 'event', Event: 'view_miniprogram', EventKey: 'pages/index' },
  },
];

function withoutRaw(m: WechatMessage): Record<string, unknown> {
  const { raw: _raw, ...rest } = m;
  return rest;
}

test('every message and event type parses to its typed fields through the middleware', async () => {
  const seen: WechatMessage[] = [];
  for (const c of CASES) {
    seen.length = 0;
    // a fresh app per case: several fixtures share a MsgId, which the dedupe would rightly answer from memory
    const app = makeApp({}, { fallback: (m) => void seen.push(m) });
    const res = await request(app.callback()).post(`${PATH}?${signedQuery()}`).type('text/xml').send(c.xml);
    assert.equal(res.status, 200, `${c.name}: ${res.text}`);
    assert.equal(res.text, 'success', c.name);
    assert.equal(seen.length, 1, c.name);
    const got = withoutRaw(seen[0] as WechatMessage);
    assert.deepEqual(got, { ...common, ...c.expected }, c.name);
  }
});

test('MsgId beyond 2^53 stays an exact string; raw keeps fields the type does not name', () => {
  const m = toMessage(parseXml(CASES.find((c) => c.name === 'unknown message type')!.xml));
  assert.equal(m.kind, 'unknown');
  assert.equal(m.MsgType === 'miniprogrampage' && 'MsgId' in m ? m.MsgId : undefined, BIG_MSG_ID);
  assert.notEqual(String(Number(BIG_MSG_ID)), BIG_MSG_ID); // the reason it must be a string
  assert.equal(m.raw.AppId, 'wxapp');
});

test('missing or malformed required fields are rejected with WMP_ERR_XML', () => {
  const bad: Array<[string, string]> = [
    ['no MsgType', '<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime></xml>'],
    ['no FromUserName', '<xml><ToUserName>a</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>'],
    ['CreateTime not a number', xmlMessage('text', '<Content>x</Content><MsgId>1</MsgId>').replace('1714112445', 'soon')],
    ['text without MsgId', xmlMessage('text', '<Content>x</Content>')],
    ['text without Content', xmlMessage('text', '<MsgId>1</MsgId>')],
    ['event without Event', xmlMessage('event', '')],
    ['CLICK without EventKey', eventXml('CLICK')],
    ['location with a non-numeric coordinate', xmlMessage('location', '<Location_X>north</Location_X><Location_Y>1</Location_Y><Scale>1</Scale><Label>x</Label><MsgId>1</MsgId>')],
    ['nested where text is expected', xmlMessage('text', '<Content><b>x</b></Content><MsgId>1</MsgId>')],
    ['repeated field', xmlMessage('text', '<Content>x</Content><Content>y</Content><MsgId>1</MsgId>')],
  ];
  for (const [name, xml] of bad) {
    assert.throws(
      () => toMessage(parseXml(xml)),
      (e: unknown) => e instanceof WebhookRequestError && e.status === 400 && e.code === 'WMP_ERR_XML',
      name,
    );
  }
});

test('parseXml refuses DTDs, other roots and malformed documents, and recovers afterwards', () => {
  const bad = [
    '<!DOCTYPE xml [<!ENTITY a "b">]><xml><A>&a;</A></xml>',
    '<root><A>1</A></root>',
    '<xml><A>1</A>',
    '<xml><A>1</B></xml>',
    '<xml><A>&undefined;</A></xml>',
    '<xml><A>1</A></xml><xml><A>2</A></xml>',
    '',
    'not xml at all',
  ];
  for (const xml of bad) {
    assert.throws(() => parseXml(xml), (e: unknown) => e instanceof WebhookRequestError && e.status === 400, JSON.stringify(xml));
    // the shared parser must be usable again after every failure
    assert.deepEqual(parseXml('<xml><A><![CDATA[ok]]></A><B>2</B></xml>'), { A: 'ok', B: '2' });
  }
  assert.deepEqual(parseXml('<xml><A><![CDATA[</xml><xml>]]></A></xml>\n \r\n'), { A: '</xml><xml>' });
  assert.deepEqual(parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<xml><A>&lt;&amp;</A><!-- note --><B/></xml>'), { A: '<&', B: '' });
});
