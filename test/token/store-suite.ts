/**
 * One conformance suite for every TokenStore (undici `cache-store-test-utils.js` style): run by
 * stores.test.ts for MemoryTokenStore, FileTokenStore and MongoTokenStore.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TokenStore, StoredToken } from '../../src/token/types.js';

/** What a suite run needs from one store implementation. */
export interface StoreFixture {
  store: TokenStore;
  /**
   * Another instance on the same backing data (another process would open one like it); never the
   * same object as `store`, or the peer tests could not fail.
   */
  peer(): Promise<TokenStore> | TokenStore;
  cleanup(): Promise<void> | void;
}

const T0 = 1_800_000_000_000;
let seq = 0;
/** A unique appId per test, so tests never see each other's data. */
function appId(): string {
  seq += 1;
  return `wxsuite${process.pid}x${seq}`;
}
function token(n: number, fetchedAt = T0 + n): StoredToken {
  return { access_token: `TOKEN_${n}_${'x'.repeat(100)}`, expires_at: fetchedAt + 7_200_000, fetched_at: fetchedAt };
}

/** Register the suite for `name`. */
export function tokenStoreSuite(name: string, makeStore: () => Promise<StoreFixture> | StoreFixture): void {
  describe(`TokenStore conformance: ${name}`, () => {
    let fx: StoreFixture;
    let s: TokenStore;
    before(async () => {
      fx = await makeStore();
      s = fx.store;
      assert.notEqual(await fx.peer(), s, 'the peer is a second instance');
    });
    after(async () => {
      await fx?.cleanup();
    });

    test('get of an unknown appId is null', async () => {
      assert.equal((await s.get(appId())) ?? null, null);
    });

    test('save then get returns the same token, field for field', async () => {
      const id = appId();
      const t = token(1);
      await s.save(id, t);
      assert.deepEqual({ ...(await s.get(id)) }, t);
    });

    test('appIds are isolated', async () => {
      const a = appId();
      const b = appId();
      await s.save(a, token(1));
      await s.save(b, token(2));
      assert.equal((await s.get(a))?.access_token, token(1).access_token);
      assert.equal((await s.get(b))?.access_token, token(2).access_token);
    });

    test('a newer token replaces an older one; an older one never replaces a newer one', async () => {
      const id = appId();
      await s.save(id, token(1, T0));
      await s.save(id, token(2, T0 + 1000));
      assert.equal((await s.get(id))?.access_token, token(2).access_token);
      await s.save(id, token(3, T0 + 500)); // a delayed write of an older token
      assert.equal((await s.get(id))?.access_token, token(2).access_token);
    });

    test('a peer instance sees what this one saved', async () => {
      const id = appId();
      await s.save(id, token(7));
      const p = await fx.peer();
      assert.equal((await p.get(id))?.access_token, token(7).access_token);
    });

    test('invalidate removes the token only if it is still the rejected one', async () => {
      assert.ok(s.invalidate, 'store offers invalidate');
      const id = appId();
      await s.save(id, token(1));
      assert.equal(await s.invalidate(id, 'SOME_OTHER_TOKEN'), false);
      assert.equal((await s.get(id))?.access_token, token(1).access_token);
      assert.equal(await s.invalidate(id, token(1).access_token), true);
      assert.equal((await s.get(id)) ?? null, null);
      assert.equal(await s.invalidate(id, token(1).access_token), false, 'second invalidate finds nothing');
    });

    test('the lease excludes other owners, is re-entrant, and only its owner releases it', async () => {
      assert.ok(s.acquireLease && s.releaseLease, 'store offers a lease');
      const id = appId();
      const p = await fx.peer();
      assert.equal(await s.acquireLease(id, { owner: 'A', now: T0, ttlMs: 30_000 }), true);
      assert.equal(await p.acquireLease!(id, { owner: 'B', now: T0 + 1, ttlMs: 30_000 }), false);
      assert.equal(await s.acquireLease(id, { owner: 'A', now: T0 + 2, ttlMs: 30_000 }), true, 're-entrant');
      await p.releaseLease!(id, 'B'); // not B's: no effect
      assert.equal(await p.acquireLease!(id, { owner: 'B', now: T0 + 3, ttlMs: 30_000 }), false);
      await s.releaseLease(id, 'A');
      assert.equal(await p.acquireLease!(id, { owner: 'B', now: T0 + 4, ttlMs: 30_000 }), true);
      await p.releaseLease!(id, 'B');
    });

    test("a crashed holder's lease expires", async () => {
      const id = appId();
      const p = await fx.peer();
      assert.equal(await s.acquireLease!(id, { owner: 'crashed', now: T0, ttlMs: 1000 }), true);
      assert.equal(await p.acquireLease!(id, { owner: 'B', now: T0 + 999, ttlMs: 1000 }), false);
      assert.equal(await p.acquireLease!(id, { owner: 'B', now: T0 + 1001, ttlMs: 1000 }), true);
      assert.equal(await s.acquireLease!(id, { owner: 'crashed', now: T0 + 1002, ttlMs: 1000 }), false, 'the old holder lost it');
      await p.releaseLease!(id, 'B');
    });

    test('hardening: a lease expiring a day ahead (fast clock, then a crash) is stale, not held', async () => {
      const id = appId();
      const p = await fx.peer();
      // Written by a holder whose clock ran a day ahead, with a 30 s TTL.
      assert.equal(await s.acquireLease!(id, { owner: 'fast-clock', now: T0 + 86_400_000, ttlMs: 30_000 }), true);
      assert.equal(await p.acquireLease!(id, { owner: 'B', now: T0, ttlMs: 30_000 }), true, 'taken over at once');
      assert.equal(await s.acquireLease!(id, { owner: 'C', now: T0 + 1, ttlMs: 30_000 }), false, 'the new lease holds');
      await p.releaseLease!(id, 'B');
    });

    test('30 owners racing for a free lease (two instances): exactly one wins', async () => {
      const id = appId();
      const p = await fx.peer();
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 ? p : s).acquireLease!(id, { owner: `o${i}`, now: T0, ttlMs: 30_000 })),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });

    test('30 owners racing for an expired lease: exactly one wins', async () => {
      const id = appId();
      const p = await fx.peer();
      assert.equal(await s.acquireLease!(id, { owner: 'old', now: T0, ttlMs: 10 }), true);
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 ? p : s).acquireLease!(id, { owner: `o${i}`, now: T0 + 1000, ttlMs: 30_000 })),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });

    test('leases of different appIds are independent', async () => {
      const a = appId();
      const b = appId();
      assert.equal(await s.acquireLease!(a, { owner: 'A', now: T0, ttlMs: 30_000 }), true);
      assert.equal(await s.acquireLease!(b, { owner: 'B', now: T0, ttlMs: 30_000 }), true);
      await s.releaseLease!(a, 'A');
      await s.releaseLease!(b, 'B');
    });
  });
}
