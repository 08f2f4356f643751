/**
 * MongoDB stopped under a running Wechat (a dedicated server, paused and resumed):
 * - a valid cached token keeps being served from memory, without touching the store;
 * - a refresh needed during the outage still succeeds from upstream (store calls fail fast);
 * - that token is saved once MongoDB is back (deferred save).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulator } from '../../src/emulator/index.js';
import { MongoTokenStore } from '../../src/token/mongo-token-store.js';
import type { Wechat } from '../../src/wechat/client.js';
import { useTestDatabase, type TestDatabase } from '../support/test-db.js';
import { until } from '../support/until.js';
import { APPID, startEmu, tokenCalls, wechatOn } from '../wechat/support/harness.js';

let emu: Emulator;
let db: TestDatabase;
let w: Wechat | undefined;

before(async () => {
  emu = await startEmu();
  db = await useTestDatabase(import.meta.url, { dedicated: true });
});
after(async () => {
  await w?.close();
  await emu?.close();
  await db?.cleanup();
});

test('MongoDB outage: memory keeps answering, a refresh still succeeds, and it is saved once MongoDB is back', async () => {
  const store = new MongoTokenStore(db.connection, { operationTimeoutMs: 300 });
  w = wechatOn(emu, { tokenMode: 'classic', store, saveRetryBaseMs: 100 });
  const storeErrors: string[] = [];
  w.on('storeError', (e) => storeErrors.push(e.operation));
  const t0 = await w.fetchAccessToken();
  // Saved while MongoDB is up (the first save also builds the indexes: on a loaded machine it may
  // outlast the 300 ms bound and be saved by the retry instead).
  await until(async () => (await store.Token.getAccessToken(APPID))?.access_token === t0.access_token, { what: 'the token saved while MongoDB is up' });
  storeErrors.length = 0;

  await db.server.pause();
  let paused = true;
  try {
    // A valid token in memory: no store access at all, so the outage is invisible.
    for (let i = 0; i < 1000; i++) assert.equal((await w.fetchAccessToken()).access_token, t0.access_token);
    assert.equal(storeErrors.length, 0, 'the hot path never touched the store');

    // 20 s before expiry a caller must get a new token: the store reads/lease fail fast, upstream answers.
    emu.advanceClock(7200 - 20);
    const t1 = await w.fetchAccessToken();
    assert.notEqual(t1.access_token, t0.access_token);
    assert.equal(tokenCalls(emu), 2);
    assert.ok(storeErrors.includes('get') && storeErrors.includes('save'), `store failures were reported: ${storeErrors}`);
    assert.equal((await w.fetchAccessToken()).access_token, t1.access_token, 'kept in memory although the save failed');

    const saves: boolean[] = [];
    w.on('saved', (e) => saves.push(e.deferred));
    await db.server.resume();
    paused = false;
    // The deferred save's retry timer keeps trying with backoff; wait for its event (bounded).
    await until(() => saves.length > 0, { timeoutMs: 30_000, what: 'the deferred save' });
    assert.deepEqual(saves, [true]);
    assert.equal((await store.Token.getAccessToken(APPID))?.access_token, t1.access_token, 'the outage token reached MongoDB');
    assert.equal(tokenCalls(emu), 2, 'no extra upstream call');
  } finally {
    // Leave the server running for cleanup even if an assertion failed mid-outage.
    if (paused) await db.server.resume().catch(() => {});
  }
});
