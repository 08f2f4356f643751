import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, readFile, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tokenStoreSuite } from './store-suite.js';
import { MemoryTokenStore } from '../../src/token/memory-token-store.js';
import { FileTokenStore } from '../../src/token/file-token-store.js';
import { MongoTokenStore } from '../../src/token/mongo-token-store.js';
import { BreakerTokenStore } from '../../src/token/breaker-store.js';
import { WechatMpError } from '../../src/errors.js';
import { useTestDatabase, type TestDatabase } from '../support/test-db.js';
import { until } from '../support/until.js';

tokenStoreSuite('MemoryTokenStore', () => {
  const store = new MemoryTokenStore();
  // A second instance over the same memory, as a second process has its own store over one database.
  return { store, peer: () => new MemoryTokenStore({ shareWith: store }), cleanup: () => {} };
});

tokenStoreSuite('FileTokenStore', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wmp-file-store-'));
  return {
    store: new FileTokenStore({ dir }),
    peer: () => new FileTokenStore({ dir }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

let db: TestDatabase | undefined;
const getDb = async () => (db ??= await useTestDatabase(import.meta.url));
after(async () => {
  await db?.cleanup();
});

tokenStoreSuite('MongoTokenStore', async () => {
  const d = await getDb();
  return {
    store: new MongoTokenStore(d.connection),
    // Another connection plays another process.
    peer: async () => new MongoTokenStore(await d.connect()),
    cleanup: () => {},
  };
});

tokenStoreSuite('BreakerTokenStore over MongoTokenStore', async () => {
  const d = await getDb();
  return {
    store: new BreakerTokenStore(new MongoTokenStore(d.connection), { connection: d.connection }),
    peer: async () => {
      const other = await d.connect();
      return new BreakerTokenStore(new MongoTokenStore(other), { connection: other });
    },
    cleanup: () => {},
  };
});

describe('MongoTokenStore specifics', () => {
  let store: MongoTokenStore;
  before(async () => {
    store = new MongoTokenStore((await getDb()).connection);
  });

  test('the pre-save hook sets meta.createdAt on insert and moves only meta.updatedAt on update', async () => {
    const appid = 'wxmetatimestamps01';
    const t1 = { access_token: 'META_TOKEN_1', expires_at: Date.now() + 7_200_000, fetched_at: Date.now() };
    await store.save(appid, t1);
    const first = await store.Token.findOne({ appid }).lean();
    assert.ok(first?.meta.createdAt instanceof Date && first.meta.updatedAt instanceof Date);
    assert.equal(first.meta.createdAt.getTime(), first.meta.updatedAt.getTime());
    const firstWrite = first.meta.updatedAt.getTime();
    await until(() => Date.now() > firstWrite, { what: 'the clock moved past the first write' }); // a distinct millisecond for the second write
    await store.save(appid, { ...t1, access_token: 'META_TOKEN_2', fetched_at: t1.fetched_at + 1 });
    const second = await store.Token.findOne({ appid }).lean();
    assert.equal(second?.token, 'META_TOKEN_2');
    assert.equal(second?.meta.createdAt?.getTime(), first.meta.createdAt.getTime());
    assert.ok(second!.meta.updatedAt!.getTime() > first.meta.updatedAt.getTime());
    assert.equal(await store.Token.countDocuments({ appid }), 1, 'one document per appid');
  });

  test('statics getAccessToken(appid) / saveAccessToken(data), as in the tutorials', async () => {
    const appid = 'wxstatics000000001';
    assert.equal(await store.Token.getAccessToken(appid), null);
    const saved = await store.Token.saveAccessToken({ appid, access_token: 'STATIC_TOKEN', expires_at: 2_000_000_000_000, fetched_at: 1_999_992_800_000 });
    assert.equal(saved.access_token, 'STATIC_TOKEN');
    assert.deepEqual({ ...(await store.Token.getAccessToken(appid)) }, { access_token: 'STATIC_TOKEN', expires_at: 2_000_000_000_000, fetched_at: 1_999_992_800_000 });
    const doc = await store.Token.findOne({ appid }).lean();
    assert.equal((doc as unknown as Record<string, unknown>).expires_in, undefined, 'no absolute time in a field named expires_in');
    assert.ok(doc?.expiresAt instanceof Date);
  });

  test('unique indexes on appid, and no TTL index (FerretDB has none)', async () => {
    const tokenIdx = await store.Token.collection.indexes();
    const leaseIdx = await store.TokenLease.collection.indexes();
    for (const idx of [...tokenIdx, ...leaseIdx]) assert.equal(idx.expireAfterSeconds, undefined, `index ${idx.name} is not a TTL index`);
    assert.ok(tokenIdx.some((i) => i.unique && i.key.appid === 1));
    assert.ok(leaseIdx.some((i) => i.unique && i.key.appid === 1));
  });

  test('an unreachable database becomes a quick TokenStoreError, not a hang', async () => {
    const d = await getDb();
    const c = await d.connect();
    await c.close(true);
    const closed = new MongoTokenStore(c, { operationTimeoutMs: 300, modelName: 'TokenClosed', leaseModelName: 'TokenLeaseClosed' });
    await assert.rejects(Promise.resolve(closed.get('wxclosed')), (err: unknown) => err instanceof WechatMpError && err.code === 'WMP_ERR_TOKEN_STORE');
  });
});

describe('FileTokenStore specifics', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wmp-file-store-x-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('writes leave no temporary files behind, and the token file is private (0600)', async () => {
    const s = new FileTokenStore({ dir });
    for (let i = 0; i < 5; i++) await s.save('wxfile', { access_token: `F${i}`, expires_at: 10_000 + i, fetched_at: i });
    await s.acquireLease('wxfile', { owner: 'A', now: 0, ttlMs: 10 });
    await s.acquireLease('wxfile', { owner: 'B', now: 100, ttlMs: 10 }); // breaks the expired lock
    await s.releaseLease('wxfile', 'B');
    assert.deepEqual((await readdir(dir)).sort(), ['access-token.wxfile.json']);
    const { stat } = await import('node:fs/promises');
    assert.equal((await stat(path.join(dir, 'access-token.wxfile.json'))).mode & 0o777, 0o600);
    assert.equal(JSON.parse(await readFile(path.join(dir, 'access-token.wxfile.json'), 'utf8')).access_token, 'F4');
  });

  test('a garbage token file reads as no token; a break lock left by a crash is cleared', async () => {
    const s = new FileTokenStore({ dir, breakLockStaleMs: 1000 });
    await writeFile(path.join(dir, 'access-token.wxgarbage.json'), '{"errcode":40013,"errmsg":"invalid appid"}');
    assert.equal(await s.get('wxgarbage'), null);
    // An expired lease plus a break lock from a process that crashed while breaking it.
    await s.acquireLease('wxcrash', { owner: 'dead', now: 0, ttlMs: 10 });
    const breaker = path.join(dir, 'access-token.wxcrash.lease.break');
    await writeFile(breaker, '999999');
    assert.equal(await s.acquireLease('wxcrash', { owner: 'B', now: 100, ttlMs: 10 }), false, 'someone else is breaking it');
    const old = new Date(Date.now() - 60_000);
    await utimes(breaker, old, old);
    assert.equal(await s.acquireLease('wxcrash', { owner: 'B', now: 100, ttlMs: 10 }), false, 'the stale break lock is removed first');
    assert.equal(await s.acquireLease('wxcrash', { owner: 'B', now: 100, ttlMs: 10 }), true);
  });

  test('rejects an appid that could escape the directory', async () => {
    const s = new FileTokenStore({ dir });
    await assert.rejects(s.get('../etc/passwd'), (err: unknown) => err instanceof WechatMpError && err.code === 'WMP_ERR_INVALID_OPTION');
  });
});

describe('MemoryTokenStore specifics', () => {
  test('instances share memory only when asked to', () => {
    const a = new MemoryTokenStore();
    const shared = new MemoryTokenStore({ shareWith: a });
    const apart = new MemoryTokenStore();
    a.save('wxmem', { access_token: 'M1', expires_at: 2_000, fetched_at: 1_000 });
    assert.equal(shared.get('wxmem')?.access_token, 'M1');
    assert.equal(apart.get('wxmem'), null);
    assert.equal(apart.acquireLease('wxmem', { owner: 'X', now: 0, ttlMs: 10 }), true, 'a separate store has its own leases');
    assert.throws(() => new MemoryTokenStore({ shareWith: {} as MemoryTokenStore }), (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_INVALID_OPTION');
  });
});
