import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { MemoryDedupeStore } from '../../src/webhook/dedupe/memory-store.js';
import { dedupeKey } from '../../src/webhook/dedupe/store.js';
import { toMessage } from '../../src/webhook/parse.js';
import { parseXml } from '../../src/webhook/xml.js';
import { reply } from '../../src/webhook/replies.js';
import { dedupeStoreSuite } from './support/dedupe-suite.js';
import { WechatCipher } from '../../src/webhook/crypto.js';
import { AES_KEY, APP_ID, PATH, encryptedRequest, replyEncrypt, eventXml, makeApp, signedQuery, textXml, xmlMessage } from './support/fixtures.js';
import { deferred } from '../support/deferred.js';
import { until } from '../support/until.js';

dedupeStoreSuite('MemoryDedupeStore', () => new MemoryDedupeStore());

test('MemoryDedupeStore stays within maxEntries, dropping the oldest', () => {
  const store = new MemoryDedupeStore({ maxEntries: 3 });
  for (let i = 0; i < 10; i++) {
    store.claim(`k${i}`, 1000, 5000, 60_000);
    store.complete(`k${i}`, `b${i}`, 1000, 60_000);
    assert.ok(store.size <= 3, `size ${store.size}`);
  }
  assert.equal(store.get('k0', 1001), null);
  assert.deepEqual(store.get('k9', 1001), { state: 'done', body: 'b9' });
  assert.throws(() => new MemoryDedupeStore({ maxEntries: 0 }), /maxEntries/);
});

test('MemoryDedupeStore: expired entries read as null and old generations are dropped whole', () => {
  const store = new MemoryDedupeStore({ maxEntries: 8 });
  for (let i = 0; i < 4; i++) store.claim(`old${i}`, 0, 10, 100);
  assert.equal(store.get('old0', 100), null, 'expired');
  assert.equal(store.claim('old0', 100, 10, 100), null, 'expired entries can be claimed again');
  for (let i = 0; i < 20; i++) store.claim(`new${i}`, 200, 10, 100);
  assert.ok(store.size <= 8, `size ${store.size}`);
  assert.equal(store.get('old1', 200), null);
  assert.deepEqual(store.get('new19', 201), { state: 'pending' });
});

test('dedupe keys: MsgId for messages, sender+CreateTime+Event+EventKey for events', () => {
  const k = (xml: string) => dedupeKey(toMessage(parseXml(xml)));
  assert.equal(k(textXml('a', '1')), k(textXml('different text, same MsgId', '1')));
  assert.notEqual(k(textXml('a', '1')), k(textXml('a', '2')));
  assert.notEqual(k(xmlMessage('text', '<Content>a</Content><MsgId>1</MsgId>', { from: 'userA' })), k(xmlMessage('text', '<Content>a</Content><MsgId>1</MsgId>', { from: 'userB' })));
  const click = (key: string, time = 1_700_000_100) => xmlMessage('event', `<Event>CLICK</Event><EventKey>${key}</EventKey>`, { createTime: time });
  assert.equal(k(click('A')), k(click('A')));
  assert.notEqual(k(click('A')), k(click('B')), 'EventKey is part of the key');
  assert.notEqual(k(click('A', 1_700_000_100)), k(click('A', 1_700_000_101)), 'CreateTime is part of the key');
  assert.notEqual(k(eventXml('subscribe')), k(eventXml('unsubscribe')), 'Event is part of the key');
});

test('3 concurrent deliveries of one MsgId: the handler runs once, all get the same reply', async () => {
  let runs = 0;
  const release = deferred();
  const hits: string[] = [];
  const app = makeApp({ observer: { onDedupeHit: (e) => hits.push(e.state) } }, {
    text: async (m) => {
      runs++;
      await release.promise;
      return reply.text(`handled ${m.Content} #${runs}`);
    },
  });
  const xml = textXml('once', '900001');
  const sent = Promise.all([1, 2, 3].map(() => request(app.callback()).post(`${PATH}?${signedQuery()}`).send(xml)));
  // The handler holds the first delivery until both re-deliveries have found it in flight.
  await until(() => hits.length === 2, { what: 'two re-deliveries waiting' });
  release.resolve();
  const res = await sent;
  assert.deepEqual(hits, ['inflight', 'inflight']);
  assert.equal(runs, 1);
  assert.ok(res.every((r) => r.status === 200));
  assert.equal(parseXml(res[0]!.text).Content, 'handled once #1');
  assert.equal(new Set(res.map((r) => r.text)).size, 1, 'identical replies');
});

test('3 sequential deliveries of one MsgId: the handler runs once, all get the same reply', async () => {
  let runs = 0;
  const outcomes: string[] = [];
  const app = makeApp({ observer: { onRequest: (e) => outcomes.push(e.outcome) } }, { text: (m) => `${m.Content} #${++runs}` });
  const xml = textXml('seq', '900002');
  const bodies: string[] = [];
  for (let i = 0; i < 3; i++) bodies.push((await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(xml)).text);
  assert.equal(runs, 1);
  assert.equal(new Set(bodies).size, 1);
  assert.equal(parseXml(bodies[0]!).Content, 'seq #1');
  assert.deepEqual(outcomes, ['reply', 'duplicate', 'duplicate']);
});

test('re-deliveries of an event and of a success answer are deduplicated too', async () => {
  let runs = 0;
  const app = makeApp({}, { 'event:CLICK': () => void runs++ });
  const xml = eventXml('CLICK', '<EventKey>K</EventKey>');
  for (let i = 0; i < 3; i++) assert.equal((await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(xml)).text, 'success');
  assert.equal(runs, 1);
});

test('in safe mode re-deliveries get the same reply, encrypted afresh', async () => {
  let runs = 0;
  const app = makeApp({ encodingAESKey: AES_KEY, mode: 'safe' }, { text: () => `r${++runs}` });
  const xml = textXml('x', '900003');
  const replies = [];
  for (let i = 0; i < 3; i++) {
    const { query, body } = encryptedRequest(xml);
    replies.push((await request(app.callback()).post(`${PATH}?${query}`).send(body)).text);
  }
  assert.equal(runs, 1);
  assert.equal(new Set(replies).size, 3, 'each reply has its own nonce and ciphertext');
  const inner = replies.map((r) => new WechatCipher(AES_KEY, APP_ID).decrypt(replyEncrypt(r).encrypt).message);
  assert.equal(new Set(inner).size, 1, 'the same reply inside');
  assert.equal(parseXml(inner[0]!).Content, 'r1');
});

test('hardening: pushes with oversized or malformed ids are refused with 400 before anything is stored', async () => {
  const store = new MemoryDedupeStore();
  let runs = 0;
  const app = makeApp({ dedupe: store }, { text: () => `#${++runs}` });
  const huge = 'o'.repeat(60_000);
  const cases = [
    xmlMessage('text', '<Content>a</Content><MsgId>1</MsgId>', { from: huge }),
    xmlMessage('text', '<Content>a</Content><MsgId>1</MsgId>', { from: 'o<script>' }),
    xmlMessage('text', `<Content>a</Content><MsgId>${'9'.repeat(21)}</MsgId>`),
    xmlMessage('text', '<Content>a</Content><MsgId>12ab</MsgId>'),
    xmlMessage('text', '<Content>a</Content><MsgId>1</MsgId>', { createTime: 17 }),
    xmlMessage('text', '<Content>a</Content><MsgId>1</MsgId>', { createTime: 17_141_124_450 }),
    xmlMessage('x'.repeat(100), '<MsgId>1</MsgId>'),
    xmlMessage('event', `<Event>${'E'.repeat(500)}</Event>`),
  ];
  for (const xml of cases) {
    const res = await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(xml);
    assert.equal(res.status, 400, xml.slice(0, 200));
    assert.match(res.text, /missing or malformed field/);
  }
  assert.equal(store.size, 0, 'nothing stored');
  assert.equal(runs, 0, 'no handler ran');
  assert.equal((await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(textXml('fine', '12345678901234567890'))).status, 200);
});

test('hardening: dedupe keys are a fixed-size digest whatever the size of the fields', () => {
  const k = (xml: string) => dedupeKey(toMessage(parseXml(xml)));
  const short = k(xmlMessage('event', '<Event>CLICK</Event><EventKey>a</EventKey>'));
  const long = k(xmlMessage('event', `<Event>CLICK</Event><EventKey>${'k'.repeat(50_000)}</EventKey>`));
  assert.equal(short.length, 43);
  assert.equal(long.length, 43);
  assert.notEqual(short, long);
});

test('hardening: the memory dedupe store is bounded by bytes and counts early evictions', () => {
  const evicted: number[] = [];
  const store = new MemoryDedupeStore({ maxEntries: 1_000_000, maxBytes: 1_000_000, onEarlyEviction: (n) => evicted.push(n) });
  const body = 'b'.repeat(10_000);
  for (let i = 0; i < 1000; i++) {
    store.claim(`k${i}`, 1000, 5000, 60_000);
    store.complete(`k${i}`, body, 1000, 60_000);
    assert.ok(store.bytes <= 1_000_000, `bytes ${store.bytes}`);
  }
  assert.ok(store.earlyEvictions > 0, 'live entries were dropped early, and counted');
  assert.equal(evicted.reduce((a, b) => a + b, 0), store.earlyEvictions);
  // Expired entries dropped with their generation are not early evictions.
  const calm = new MemoryDedupeStore({ maxEntries: 4 });
  for (let i = 0; i < 20; i++) calm.claim(`c${i}`, i * 1000, 10, 100);
  assert.equal(calm.earlyEvictions, 0);
});

test('hardening: by default the memory dedupe store covers the 15 s retry window at 8,430 pushes/s', () => {
  const store = new MemoryDedupeStore();
  const rate = 8_430;
  const key = (i: number) => dedupeKey(toMessage(parseXml(textXml('x', String(7_000_000_000 + i)))));
  // 15 s of traffic at the peak rate, one 'success' answer each (time moves 1/rate s per push).
  const n = rate * 15;
  const t0 = 1_700_000_000_000;
  const first = key(0);
  for (let i = 0; i < n; i++) {
    const k = i === 0 ? first : `${i}`.padStart(43, 'k');
    const now = t0 + Math.floor((i * 1000) / rate);
    store.claim(k, now, 5000, 60_000);
    store.complete(k, '', now, 60_000);
  }
  assert.deepEqual(store.get(first, t0 + 15_000), { state: 'done', body: '' }, 'the first delivery is still remembered at its last retry');
  assert.equal(store.earlyEvictions, 0);
});
