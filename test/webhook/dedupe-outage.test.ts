import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { useTestDatabase, type TestDatabase } from '../support/test-db.js';
import { MongoDedupeStore } from '../../src/webhook/dedupe/mongo-store.js';
import { parseXml } from '../../src/webhook/xml.js';
import { PATH, makeApp, memoryLogger, signedQuery, textXml } from './support/fixtures.js';

// Its own server, so it can be stopped without disturbing other test files.
let db: TestDatabase;
before(async () => {
  db = await useTestDatabase(import.meta.url, { dedicated: true });
});
after(async () => {
  await db?.cleanup();
});

test('MongoDB down: the webhook still answers, logs the fallback once, and dedupes in process', async () => {
  const log = memoryLogger();
  const changes: boolean[] = [];
  let runs = 0;
  const app = makeApp(
    { dedupe: new MongoDedupeStore(db.connection), dedupeStoreTimeoutMs: 300, logger: log, observer: { onDedupeStore: (e) => changes.push(e.degraded) } },
    { text: (m) => `${m.Content} #${++runs}` },
  );
  const post = (xml: string) => request(app.callback()).post(`${PATH}?${signedQuery()}`).send(xml);

  const up = await post(textXml('before', '770001'));
  assert.equal(parseXml(up.text).Content, 'before #1');

  await db.server.pause();
  const during = [];
  for (let i = 0; i < 3; i++) during.push(await post(textXml('during', '770002')));
  for (const r of during) {
    assert.equal(r.status, 200, r.text);
    assert.equal(parseXml(r.text).Content, 'during #2');
  }
  assert.equal(runs, 2, 'in-process dedupe while the store is down');
  const degraded = log.lines.filter((l) => l.obj.event === 'webhook.dedupe_degraded');
  assert.equal(degraded.length, 1, 'logged once per outage');
  assert.equal(degraded[0]?.obj.code, 'WMP_ERR_DEDUPE_STORE');
  assert.deepEqual(changes, [true]);
  await db.server.resume();
});
