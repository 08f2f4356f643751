/**
 * MongoDB stopped under a running Wechat whose store is wrapped in a BreakerTokenStore: the call that
 * discovers the outage is the only one that waits for the store's timeout; the lease and the
 * compare-and-invalidate are skipped, the refresh comes from upstream, and once MongoDB is back
 * (and the cool-off has passed) the probe closes the breaker and the token is saved.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulator } from '../../src/emulator/index.js';
import { BreakerTokenStore } from '../../src/token/breaker-store.js';
import { TokenStoreError } from '../../src/token/errors.js';
import { MongoTokenStore } from '../../src/token/mongo-token-store.js';
import type { LeaseRequest, StoredToken, TokenStore } from '../../src/token/types.js';
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

/** Counts the calls that reach the MongoDB store, and those that ended in its operation timeout. */
function counted(inner: MongoTokenStore): { store: TokenStore; calls: string[]; timedOut: string[] } {
  const calls: string[] = [];
  const timedOut: string[] = [];
  const track = async <T>(op: string, run: () => Promise<T>): Promise<T> => {
    calls.push(op);
    try {
      return await run();
    } catch (err) {
      if (err instanceof TokenStoreError && /no answer from MongoDB/.test(err.message)) timedOut.push(op);
      throw err;
    }
  };
  const store: TokenStore = {
    get: (appId: string) => track('get', () => inner.get(appId)),
    save: (appId: string, token: StoredToken) => track('save', () => inner.save(appId, token)),
    invalidate: (appId: string, rejected: string) => track('invalidate', () => inner.invalidate(appId, rejected)),
    acquireLease: (appId: string, lease: LeaseRequest) => track('acquireLease', () => inner.acquireLease(appId, lease)),
    releaseLease: (appId: string, owner: string) => track('releaseLease', () => inner.releaseLease(appId, owner)),
  };
  return { store, calls, timedOut };
}

test('a refresh during a MongoDB outage waits for at most one store timeout, then the store is skipped until it is back', async () => {
  const mongo = new MongoTokenStore(db.connection, { operationTimeoutMs: 300 });
  const inner = counted(mongo);
  let now = Date.now();
  const changes: boolean[] = [];
  const breaker = new BreakerTokenStore(inner.store, { connection: db.connection, coolOffMs: 60_000, now: () => now, onChange: (open) => changes.push(open) });
  w = wechatOn(emu, { tokenMode: 'classic', store: breaker, saveRetryBaseMs: 100 });
  const t0 = await w.fetchAccessToken();
  await until(async () => (await mongo.Token.getAccessToken(APPID))?.access_token === t0.access_token, { what: 'the token saved while MongoDB is up' });
  // A save that outlasted the bound on a loaded machine may have opened the breaker: let it close.
  now += 60_001;
  await until(async () => { await breaker.get(APPID); return !breaker.open; }, { what: 'the breaker closed while MongoDB is up' });
  changes.length = 0;

  await db.server.pause();
  let paused = true;
  try {
    inner.calls.length = 0;
    inner.timedOut.length = 0;
    // The token WeChat rejects (40001): invalidate, re-read, lease, refresh, save, all during the outage.
    const t1 = await w.invalidateAccessToken(t0.access_token);
    assert.notEqual(t1.access_token, t0.access_token);
    assert.equal(tokenCalls(emu), 2, 'one upstream refresh');
    assert.ok(inner.timedOut.length <= 1, `store calls that waited for a timeout: ${inner.timedOut.join(', ')}`);
    assert.ok(inner.calls.length <= 1, `store calls made during the outage: ${inner.calls.join(', ')}`);
    assert.equal(breaker.open, true, 'the store is known to be down');
    assert.equal((await w.fetchAccessToken()).access_token, t1.access_token, 'kept in memory although the save failed');

    // A second rejection during the same outage does not touch the store at all.
    const before = inner.calls.length;
    const t2 = await w.invalidateAccessToken(t1.access_token);
    assert.notEqual(t2.access_token, t1.access_token);
    assert.equal(inner.calls.length, before, 'no store call while the breaker is open');

    const saves: boolean[] = [];
    w.on('saved', (e) => saves.push(e.deferred));
    await db.server.resume();
    paused = false;
    // After the cool-off the deferred save's retry is the probe that closes the breaker.
    now += 60_001;
    await until(() => saves.length > 0, { timeoutMs: 30_000, what: 'the deferred save' });
    assert.equal(breaker.open, false, 'closed by the successful probe');
    assert.deepEqual(changes.at(0), true);
    assert.deepEqual(changes.at(-1), false);
    await until(async () => (await mongo.Token.getAccessToken(APPID))?.access_token === t2.access_token, { timeoutMs: 30_000, what: 'the latest outage token in MongoDB' });
  } finally {
    if (paused) await db.server.resume().catch(() => {});
  }
});
