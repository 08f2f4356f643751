/**
 * One conformance suite for every DedupeStore (undici's cache-store-test-utils pattern): run it for
 * the memory store and the MongoDB store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DedupeStore } from '../../../src/webhook/dedupe/store.js';

let seq = 0;
const uniqueKey = (name: string) => `suite|${process.pid}|${Date.now()}|${seq++}|${name}`;

/** Register the suite's tests; `makeStore` may return the same store or a fresh one each time. */
export function dedupeStoreSuite(label: string, makeStore: () => DedupeStore | Promise<DedupeStore>): void {
  const T0 = 1_800_000_000_000;

  test(`${label}: the first claim owns the key, the next sees it pending`, async () => {
    const store = await makeStore();
    const key = uniqueKey('claim');
    assert.equal(await store.claim(key, T0, 5000, 60_000), null);
    assert.deepEqual(await store.claim(key, T0 + 1, 5000, 60_000), { state: 'pending' });
    assert.deepEqual(await store.get(key, T0 + 2), { state: 'pending' });
  });

  test(`${label}: complete stores the body for later deliveries`, async () => {
    const store = await makeStore();
    const key = uniqueKey('complete');
    assert.equal(await store.claim(key, T0, 5000, 60_000), null);
    await store.complete(key, '<xml>reply</xml>', T0 + 10, 60_000);
    assert.deepEqual(await store.claim(key, T0 + 20, 5000, 60_000), { state: 'done', body: '<xml>reply</xml>' });
    assert.deepEqual(await store.get(key, T0 + 20), { state: 'done', body: '<xml>reply</xml>' });
    const empty = uniqueKey('success');
    await store.claim(empty, T0, 5000, 60_000);
    await store.complete(empty, '', T0, 60_000);
    assert.deepEqual(await store.get(empty, T0 + 1), { state: 'done', body: '' });
  });

  test(`${label}: a record past its expiry is gone and can be claimed again`, async () => {
    const store = await makeStore();
    const key = uniqueKey('expiry');
    await store.claim(key, T0, 5000, 60_000);
    await store.complete(key, 'old', T0, 60_000);
    assert.equal(await store.get(key, T0 + 60_001), null);
    assert.equal(await store.claim(key, T0 + 60_001, 5000, 60_000), null, 'expired record taken over');
    assert.deepEqual(await store.get(key, T0 + 60_002), { state: 'pending' });
  });

  test(`${label}: a pending claim past its lease (dead owner) is taken over once`, async () => {
    const store = await makeStore();
    const key = uniqueKey('lease');
    await store.claim(key, T0, 5000, 60_000);
    assert.deepEqual(await store.claim(key, T0 + 4999, 5000, 60_000), { state: 'pending' });
    const results = await Promise.all([store.claim(key, T0 + 6000, 5000, 60_000), store.claim(key, T0 + 6000, 5000, 60_000)]);
    assert.equal(results.filter((r) => r === null).length, 1, 'exactly one taker');
  });

  test(`${label}: concurrent claims of one key: exactly one owner`, async () => {
    const store = await makeStore();
    const key = uniqueKey('race');
    const results = await Promise.all(Array.from({ length: 5 }, () => store.claim(key, T0, 5000, 60_000)));
    assert.equal(results.filter((r) => r === null).length, 1);
  });

  test(`${label}: unknown keys read as null`, async () => {
    const store = await makeStore();
    assert.equal(await store.get(uniqueKey('none'), T0), null);
  });
}
