import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type mongoose from 'mongoose';
import { useTestDatabase, type TestDatabase } from '../support/test-db.js';
import { MongoDedupeStore } from '../../src/webhook/dedupe/mongo-store.js';
import { parseXml } from '../../src/webhook/xml.js';
import type { HandlerMap } from '../../src/webhook/registry.js';
import { dedupeStoreSuite } from './support/dedupe-suite.js';
import { deferred } from '../support/deferred.js';
import { until } from '../support/until.js';
import { PATH, makeApp, signedQuery, textXml, eventXml } from './support/fixtures.js';

let db: TestDatabase;
let second: mongoose.Connection;

before(async () => {
  db = await useTestDatabase(import.meta.url);
  second = await db.connect();
});
after(async () => {
  await db?.cleanup();
});

dedupeStoreSuite('MongoDedupeStore', () => new MongoDedupeStore(db.connection, { collectionName: 'suite_dedupe' }));

test('MongoDedupeStore keeps one document per key and sweeps expired ones without a TTL index', async () => {
  const store = new MongoDedupeStore(db.connection, { collectionName: 'sweep_dedupe', sweepIntervalMs: 0 });
  const t = 1_800_000_000_000;
  await store.claim('a', t, 5000, 1000);
  await store.complete('a', 'body-a', t, 1000);
  await store.claim('b', t, 5000, 60_000);
  const col = db.connection.db!.collection('sweep_dedupe');
  assert.equal(await col.countDocuments({ _id: 'a' as never }), 1);
  const doc = await col.findOne({ _id: 'b' as never });
  assert.equal(doc?.state, 'pending');
  assert.ok(doc?.expiresAt instanceof Date);
  const indexes = await col.indexes();
  assert.ok(indexes.every((i) => i.expireAfterSeconds === undefined), 'no TTL index');
  assert.equal(await store.sweep(t + 2000), 1, 'the expired document is deleted');
  assert.equal(await col.countDocuments({}), 1);
  // claims sweep occasionally on their own (every claim here, sweepIntervalMs 0)
  await store.claim('c', t + 120_000, 5000, 1000);
  await store.backgroundSweep;
  assert.equal(await col.countDocuments({ _id: 'b' as never }), 0);
});

test('two app instances sharing MongoDedupeStore: 3 concurrent deliveries run the handler once', async () => {
  let runs = 0;
  const release = deferred();
  const hits: string[] = [];
  const handlers: HandlerMap = {
    text: async (m) => {
      runs++;
      await release.promise;
      return `shared ${m.Content} #${runs}`;
    },
  };
  const observer = { onDedupeHit: (e: { state: string }) => hits.push(e.state) };
  const a = makeApp({ dedupe: new MongoDedupeStore(db.connection), observer }, handlers);
  const b = makeApp({ dedupe: new MongoDedupeStore(second), observer }, handlers);
  const xml = textXml('hello', '880001');
  const sent = Promise.all([a, b, b].map((app) => request(app.callback()).post(`${PATH}?${signedQuery()}`).send(xml)));
  // The handler holds the first delivery until both re-deliveries have found it held.
  await until(() => hits.length === 2, { what: 'two re-deliveries waiting' });
  release.resolve();
  const res = await sent;
  assert.equal(runs, 1);
  assert.ok(res.every((r) => r.status === 200));
  assert.equal(new Set(res.map((r) => r.text)).size, 1, 'identical replies from both instances');
  assert.equal(parseXml(res[0]!.text).Content, 'shared hello #1');
});

test('two app instances sharing MongoDedupeStore: sequential re-deliveries get the stored reply', async () => {
  let runs = 0;
  const handlers = { 'event:CLICK': () => `click #${++runs}` };
  const a = makeApp({ dedupe: new MongoDedupeStore(db.connection) }, handlers);
  const b = makeApp({ dedupe: new MongoDedupeStore(second) }, handlers);
  const xml = eventXml('CLICK', '<EventKey>SHARED</EventKey>');
  const bodies: string[] = [];
  for (const app of [a, b, a]) bodies.push((await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(xml)).text);
  assert.equal(runs, 1);
  assert.equal(new Set(bodies).size, 1);
  assert.equal(parseXml(bodies[0]!).Content, 'click #1');
});

test('MongoDedupeStore bounds one entry: an oversize reply is answered in full, stored marked without its body, and its re-delivery runs nothing', async () => {
  let runs = 0;
  const big = 'é'.repeat(40_000); // 80,000 UTF-8 bytes: past the 64 KiB default
  const handlers = { text: () => `${big}#${++runs}` };
  const oversize: number[] = [];
  const store = new MongoDedupeStore(db.connection, { collectionName: 'oversize_dedupe', onOversize: (bytes) => oversize.push(bytes) });
  assert.equal(store.maxReplyBytes, 64 * 1024);
  const app = makeApp({ dedupe: store }, handlers);
  const xml = textXml('large please', '880099');
  const first = await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(xml);
  assert.equal(first.status, 200);
  assert.equal(parseXml(first.text).Content, `${big}#1`, 'the delivery still gets its whole reply');
  // Deliveries only (the replay guard keeps its own small records in the same store).
  const docs = await db.connection.db!.collection('oversize_dedupe').find({ _id: { $not: /^replay\|/ } as never }).toArray();
  assert.equal(docs.length, 1);
  assert.equal(docs[0]!.state, 'done');
  assert.equal(docs[0]!.oversize, true);
  assert.equal(docs[0]!.body, '', 'the body is not stored');
  assert.equal(oversize.length, 1);
  assert.ok(oversize[0]! > 64 * 1024);
  // WeChat's retry of the same message: deduplicated (no second run), answered `success`.
  const again = await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(xml);
  assert.equal(again.status, 200);
  assert.equal(again.text, 'success');
  assert.equal(runs, 1);
  // A reply within the bound is stored as before.
  const small = await request(makeApp({ dedupe: new MongoDedupeStore(second, { collectionName: 'oversize_dedupe', maxReplyBytes: 1024 }) }, { text: () => 'short' }).callback())
    .post(`${PATH}?${signedQuery()}`)
    .send(textXml('small', '880100'));
  assert.equal(parseXml(small.text).Content, 'short');
  const stored = await db.connection.db!.collection('oversize_dedupe').countDocuments({ body: { $regex: 'short' } });
  assert.equal(stored, 1);
});
