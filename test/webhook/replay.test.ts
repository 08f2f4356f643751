/**
 * A captured push query (timestamp, nonce, signature) is bound to the body first seen with it:
 * WeChat's re-deliveries pass, another body is refused, on one instance and across instances.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { useTestDatabase, type TestDatabase } from '../support/test-db.js';
import { MongoDedupeStore } from '../../src/webhook/dedupe/mongo-store.js';
import { MemoryDedupeStore } from '../../src/webhook/dedupe/memory-store.js';
import { ReplayGuard, REPLAY_REASON } from '../../src/webhook/replay-guard.js';
import { PATH, APP_ID, AES_KEY, encryptedRequest, makeApp, signedQuery, textXml, xmlMessage } from './support/fixtures.js';

let db: TestDatabase;
before(async () => {
  db = await useTestDatabase(import.meta.url);
});
after(async () => {
  await db?.cleanup();
});

const forged = (i: number) => xmlMessage('text', `<Content><![CDATA[forged ${i}]]></Content><MsgId>${5_000_000 + i}</MsgId>`, { from: `oForged${String(i).padStart(21, '0')}` });

for (const mode of ['plain', 'compatible'] as const) {
  test(`hardening: a captured push query cannot carry forged bodies (${mode} mode)`, async () => {
    const seen: string[] = [];
    const app = makeApp({ mode, encodingAESKey: AES_KEY, appId: APP_ID }, { text: (m) => (seen.push(m.FromUserName), `hello ${m.Content}`) });
    const cb = app.callback();
    let query: string;
    let body: string;
    if (mode === 'plain') {
      query = signedQuery();
      body = textXml('genuine', '4000000001');
    } else {
      const genuine = encryptedRequest(textXml('genuine', '4000000001'), { plainFields: true });
      body = genuine.body;
      // The attacker strips the encryption parameters and posts plaintext with the same signature.
      assert.equal((await request(cb).post(`${PATH}?${genuine.query}`).send(body)).status, 200, 'the genuine push');
      assert.equal((await request(cb).post(`${PATH}?${genuine.query}`).send(body)).status, 200, "WeChat's re-delivery: same query, same body");
      const q = new URLSearchParams(genuine.query);
      q.delete('encrypt_type');
      q.delete('msg_signature');
      query = q.toString();
    }
    if (mode === 'plain') {
      assert.equal((await request(cb).post(`${PATH}?${query}`).send(body)).status, 200, 'the genuine push');
      assert.equal((await request(cb).post(`${PATH}?${query}`).send(body)).status, 200, "WeChat's re-delivery: same query, same body");
    }
    let accepted = 0;
    for (let i = 0; i < 100; i++) {
      const res = await request(cb).post(`${PATH}?${query}`).send(forged(i));
      if (res.status === 200) accepted++;
      else {
        assert.equal(res.status, 401);
        assert.equal(res.text, REPLAY_REASON);
      }
    }
    assert.equal(accepted, 0, 'no forged body accepted');
    assert.deepEqual([...new Set(seen)], [seen[0]], 'only the genuine sender reached a handler');
  });
}

test('hardening: a captured push query is refused with another body on a second instance (shared MongoDB store)', async () => {
  const make = () => makeApp({ dedupe: new MongoDedupeStore(db.connection, { collectionName: 'replay_dedupe' }) }, { text: (m) => `hi ${m.Content}` });
  const a = make().callback();
  const b = make().callback();
  const query = signedQuery();
  const body = textXml('genuine', '4000000002');
  assert.equal((await request(a).post(`${PATH}?${query}`).send(body)).status, 200);
  assert.equal((await request(b).post(`${PATH}?${query}`).send(body)).status, 200, 're-delivery to the other instance');
  const res = await request(b).post(`${PATH}?${query}`).send(forged(1));
  assert.equal(res.status, 401);
  assert.equal(res.text, REPLAY_REASON);
});

test('replay bindings are fixed-size and live until the timestamp leaves the window', () => {
  const store = new MemoryDedupeStore();
  const guard = new ReplayGuard(store, 300);
  const t = 1_800_000_000;
  const q = { timestamp: String(t), nonce: 'n'.repeat(10_000), signature: 'a'.repeat(40) };
  assert.equal(guard.check(q, 'body', t * 1000), 'first');
  assert.equal(guard.check(q, 'body', t * 1000 + 299_000), 'same');
  assert.equal(guard.check(q, 'other', t * 1000 + 299_000), 'different');
  assert.ok(store.bytes < 1000, `${store.bytes} bytes for one binding`);
});
