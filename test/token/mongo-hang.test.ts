/**
 * A hanging MongoDB (accepts TCP, never answers) under a Wechat with no usable token in memory: the
 * store read gets a budget, the token comes from upstream while that read is still unanswered, and
 * nothing else is asked of the store (no lease, no compare-and-invalidate, no save queued behind it).
 * The read's own timeout then opens the breaker; the token is saved once MongoDB answers again.
 *
 * Two shapes: FerretDB behind a TCP proxy that stops forwarding (a connected MongoDB that hangs), and
 * a listener that never answers as the whole MongoDB.
 *
 * The store's operation timeout is set far above the 1 s read budget (10 s instead of the default 3 s),
 * so "the token was handed out before the read settled" holds however slowly the emulator answers on a
 * loaded machine; the order of events, not their timing, is asserted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import type { Emulator } from '../../src/emulator/index.js';
import { BreakerTokenStore } from '../../src/token/breaker-store.js';
import { MongoTokenStore } from '../../src/token/mongo-token-store.js';
import type { LeaseRequest, StoredToken, TokenStore } from '../../src/token/types.js';
import { useTestDatabase, type TestDatabase } from '../support/test-db.js';
import { hostOf, proxiedUri, startHangingListener, startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { until } from '../support/until.js';
import { APPID, startEmu, tokenCalls, wechatOn, wechatTracker } from '../wechat/support/harness.js';

/** Far above the read budget (DEFAULT_STORE_READ_BUDGET_MS), so the upstream refresh fits in between. */
const STORE_TIMEOUT_MS = 10_000;

let emu: Emulator;
let db: TestDatabase;
let proxy: TcpProxy;
const tracker = wechatTracker();
const connections: mongoose.Connection[] = [];

before(async () => {
  emu = await startEmu();
  db = await useTestDatabase(import.meta.url);
  proxy = await startTcpProxy(hostOf(db.uri));
});
after(async () => {
  await tracker.closeAll();
  proxy?.resume();
  for (const c of connections) await c.close(true).catch(() => {});
  await proxy?.close();
  await emu?.close();
  await db?.cleanup();
});

/** Records each store call's start and end, in one ordered list shared with the test's own events. */
function traced(inner: TokenStore, order: string[]): { store: TokenStore; calls: string[] } {
  const calls: string[] = [];
  const track = async <T>(op: string, run: () => T | PromiseLike<T>): Promise<T> => {
    calls.push(op);
    order.push(`${op}:start`);
    try {
      const v = await run();
      order.push(`${op}:ok`);
      return v;
    } catch (err) {
      order.push(`${op}:failed`);
      throw err;
    }
  };
  const store: TokenStore = {
    get: (appId: string) => track('get', () => inner.get(appId)),
    save: (appId: string, token: StoredToken) => track('save', () => inner.save(appId, token)),
    invalidate: (appId: string, rejected: string) => track('invalidate', () => inner.invalidate!(appId, rejected)),
    acquireLease: (appId: string, lease: LeaseRequest) => track('acquireLease', () => inner.acquireLease!(appId, lease)),
    releaseLease: (appId: string, owner: string) => track('releaseLease', () => inner.releaseLease!(appId, owner)),
  };
  return { store, calls };
}

test('a hanging MongoDB: the first token call goes upstream while the store read is unanswered, and the breaker opens after that one call', { timeout: 90_000 }, async () => {
  const conn = await mongoose.createConnection(proxiedUri(db.uri, proxy.port), { serverSelectionTimeoutMS: 5000 }).asPromise();
  connections.push(conn);
  const mongo = new MongoTokenStore(conn, { operationTimeoutMs: STORE_TIMEOUT_MS });
  const order: string[] = [];
  const inner = traced(mongo, order);
  // The app's wiring: the breaker reads the connection state, which stays "connected" while it hangs.
  const breaker = new BreakerTokenStore(inner.store, { connection: conn, coolOffMs: 500 });
  const w = tracker.track(wechatOn(emu, { tokenMode: 'classic', store: breaker, saveRetryBaseMs: 50, saveRetryMaxMs: 200 }));
  w.on('refreshed', (e) => order.push(`refreshed:${e.source}`));
  const t0 = (await w.fetchAccessToken()).access_token;
  await until(async () => (await mongo.Token.getAccessToken(APPID))?.access_token === t0, { what: 'the first token saved' });
  const callsBefore = tokenCalls(emu);

  proxy.hang();
  order.length = 0;
  inner.calls.length = 0;
  const started = Date.now();
  // WeChat rejected t0 (40001): nothing usable in memory, a caller waits.
  const t1 = (await w.invalidateAccessToken(t0)).access_token;
  const elapsedMs = Date.now() - started;
  assert.notEqual(t1, t0);
  assert.equal(tokenCalls(emu), callsBefore + 1, 'one upstream refresh');
  assert.deepEqual(order, ['get:start', 'refreshed:upstream'], 'handed out while the store read was still unanswered');
  await until(() => breaker.open, { timeoutMs: STORE_TIMEOUT_MS + 10_000, what: 'the breaker opens when the read times out' });
  assert.deepEqual(inner.calls, ['get'], 'one store call during the hang');
  assert.equal((await w.fetchAccessToken()).access_token, t1, 'kept in memory');
  console.log(`# hanging MongoDB: token handed out after ${elapsedMs} ms; store calls during the hang: ${inner.calls.join(', ')}`);

  proxy.resume();
  await until(async () => (await mongo.Token.getAccessToken(APPID).catch(() => null))?.access_token === t1, { timeoutMs: STORE_TIMEOUT_MS + 30_000, what: 'the outage token saved once MongoDB answers' });
  assert.equal(breaker.open, false);
});

test('a listener that never answers as MongoDB: the first token call goes upstream after the read budget', { timeout: 60_000 }, async () => {
  const hanging = await startHangingListener();
  try {
    const conn = mongoose.createConnection(`mongodb://127.0.0.1:${hanging.port}/never`, { serverSelectionTimeoutMS: 3 * STORE_TIMEOUT_MS });
    conn.on('error', () => {});
    connections.push(conn);
    const order: string[] = [];
    const inner = traced(new MongoTokenStore(conn, { operationTimeoutMs: STORE_TIMEOUT_MS }), order);
    const w = tracker.track(wechatOn(emu, { tokenMode: 'classic', store: inner.store, saveRetryBaseMs: 50 }));
    w.on('refreshed', (e) => order.push(`refreshed:${e.source}`));
    const callsBefore = tokenCalls(emu);
    const started = Date.now();
    const t = await w.fetchAccessToken();
    const elapsedMs = Date.now() - started;
    assert.ok(t.access_token.length > 0);
    assert.equal(tokenCalls(emu), callsBefore + 1);
    assert.deepEqual(order, ['get:start', 'refreshed:upstream'], 'upstream before the store read settled');
    assert.ok(hanging.accepted() >= 1, 'the driver did connect to the listener');
    await until(() => order.includes('get:failed'), { timeoutMs: STORE_TIMEOUT_MS + 10_000, what: 'the read times out' });
    assert.deepEqual(inner.calls, ['get'], 'no lease, invalidate or save queued behind the hung read');
    console.log(`# listener that never answers: token handed out after ${elapsedMs} ms`);
  } finally {
    await hanging.close();
  }
});
