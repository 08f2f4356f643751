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
