/**
 * Regression tests for a second read of the token manager: a throwing event listener, a forced
 * refresh that fails, a force refused by the budget, legacy documents in the tokens collection.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmu, wechatOn, APPID, type RecordingLogger, recordingLogger } from './support/harness.js';
import type { Emulator } from '../../src/emulator/index.js';
import { WechatMpError } from '../../src/errors.js';
import { MongoTokenStore } from '../../src/token/mongo-token-store.js';
import { useTestDatabase, type TestDatabase } from '../support/test-db.js';

let emu: Emulator;
let db: TestDatabase;
before(async () => {
  emu = await startEmu();
  db = await useTestDatabase(import.meta.url);
});
after(async () => {
  await emu?.close();
  await db?.cleanup();
});

const stableCalls = () => emu.stats()[APPID]?.stable_token ?? 0;

test('a throwing tokenRefreshed listener neither fails the fetch nor stops refresh-ahead', async () => {
  const log: RecordingLogger = recordingLogger();
  const wechat = wechatOn(emu, { logger: log });
  wechat.on('tokenRefreshed', () => {
    throw new Error('listener bug');
  });
  const t = await wechat.fetchAccessToken();
  assert.ok(t.access_token.length > 0);
  assert.ok(wechat.status().hasToken);
  assert.match(log.text(), /token\.listener_error/);
  await wechat.close();
});

test('a forced stable_token refresh that fails is not retried (30 s spacing, 20/day budget)', async () => {
  emu.reset();
  const wechat = wechatOn(emu);
  const t = await wechat.fetchAccessToken();
  const before = stableCalls();
  emu.injectFault({ appid: APPID, endpoint: 'stable_token', kind: 'drop', count: 5, forceRefresh: true });
  await assert.rejects(wechat.invalidateAccessToken(t.access_token), (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_UPSTREAM');
  // One normal call (returns the rejected token) and ONE forced call: no retry of the force.
  assert.equal(stableCalls() - before, 2);
  await wechat.close();
});

test('when force_refresh is not allowed, the rejected token is neither returned nor stored again', async () => {
  emu.reset();
  const store = new MongoTokenStore(db.connection);
  const wechat = wechatOn(emu, { store });
  const t1 = await wechat.fetchAccessToken();
  const t2 = await wechat.invalidateAccessToken(t1.access_token); // uses the one force allowed now
  assert.notEqual(t2.access_token, t1.access_token);
  // Within 30 s of the last force, a second rejection cannot be forced: typed error, store untouched.
  await assert.rejects(wechat.invalidateAccessToken(t2.access_token), (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_UPSTREAM' && (e as { kind?: string }).kind === 'rejected_token');
  const stored = await store.get(APPID);
  assert.notEqual(stored?.access_token, t2.access_token, 'the rejected token must not be written back');
  await wechat.close();
});

test('a legacy tutorial document in the tokens collection is treated as absent and overwritten', async () => {
  emu.reset();
  const coll = db.connection.collection('tokens');
  await coll.deleteMany({});
  await coll.insertOne({ appid: APPID, access_token: 'legacy', expires_in: 1234567890 });
  const store = new MongoTokenStore(db.connection);
  assert.equal(await store.get(APPID), null);
  const wechat = wechatOn(emu, { store });
  const t = await wechat.fetchAccessToken();
  assert.equal((await store.get(APPID))?.access_token, t.access_token);
  await wechat.close();
});

test('close() during a hanging refresh returns within its bound, and later calls fail typed', { timeout: 30_000 }, async () => {
  emu.reset();
  // requestTimeoutMs 1000 x 3 attempts would keep the refresh busy for over 3 s; a 10 s delay per call keeps it hanging.
  emu.injectFault({ appid: APPID, endpoint: 'stable_token', kind: 'delay', delayMs: 10_000, count: 3 });
  const wechat = wechatOn(emu, { requestTimeoutMs: 10_000 });
  const pending = wechat.fetchAccessToken().catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 100));
  const started = Date.now();
  await wechat.close();
  const took = Date.now() - started;
  assert.ok(took < 5000, `close() took ${took} ms; it must not wait for the hanging upstream`);
  const outcome = await pending;
  assert.ok(outcome instanceof WechatMpError, 'the hanging refresh ends with a typed error');
  await assert.rejects(wechat.getApiDomainIp(), (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_UPSTREAM');
});
