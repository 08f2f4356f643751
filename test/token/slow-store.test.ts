/**
 * The token manager against stores that answer late or never, on the fake clock: the store read past
 * its budget, a save deferred behind a read that never settles, and the re-reads after deferred saves
 * (their timers and a throwing `present`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenManager } from '../../src/token/token-manager.js';
import { bindStore } from '../../src/token/store-adapter.js';
import { TokenStoreError } from '../../src/token/errors.js';
import { UNANSWERED_READ_WAIT_MS } from '../../src/token/deferred-save.js';
import { type Credential, type CredentialFetcher, type FetchedCredential, type StoredToken, type TokenStore } from '../../src/token/types.js';
import { FakeClock } from '../support/fake-clock.js';
import { deferred, type Deferred } from '../support/deferred.js';
import { recordingLogger } from '../support/recording-logger.js';
import { until } from '../support/until.js';

/** A fetcher whose answers the test releases one by one. */
function scriptedFetcher() {
  const waiting: Deferred<FetchedCredential>[] = [];
  let calls = 0;
  const fetcher: CredentialFetcher = {
    source: 'upstream',
    fetch() {
      calls++;
      const d = deferred<FetchedCredential>();
      waiting.push(d);
      return d.promise;
    },
    classify: () => 'transient',
  };
  return {
    fetcher,
    get calls() {
      return calls;
    },
    get waiting() {
      return waiting.length;
    },
    async answer(c: FetchedCredential | Error) {
      await until(() => waiting.length > 0, { what: 'a fetch is waiting for its answer' });
      const next = waiting.shift()!;
      if (c instanceof Error) next.reject(c);
      else next.resolve(c);
    },
  };
}

/**
 * A store (no lease, no invalidate) whose reads the test answers one by one; saves fail while `down`
 * and otherwise land in `saved`.
 */
function scriptedStore() {
  const reads: Deferred<StoredToken | null>[] = [];
  const state = {
    down: false,
    saved: [] as StoredToken[],
    reads,
    store: {
      get: () => {
        const d = deferred<StoredToken | null>();
        reads.push(d);
        return d.promise;
      },
      save: (_appId: string, token: StoredToken) => {
        if (state.down) throw new TokenStoreError('save', 'scripted outage');
        state.saved.push(token);
      },
    } as TokenStore,
    /** Resolves once read number `n` (0-based) was asked for, then answers it. */
    async answerRead(n: number, token: StoredToken | null) {
      await until(() => reads.length > n, { what: `store read ${n} asked` });
      reads[n]!.resolve(token);
    },
  };
  return state;
}

const credential = (value: string, now: number, lifeSeconds = 7200): FetchedCredential => ({ value, expiresAt: now + lifeSeconds * 1000, fetchedAt: now });
const stored = (value: string, now: number, lifeSeconds = 7200): StoredToken => ({ access_token: value, expires_at: now + lifeSeconds * 1000, fetched_at: now });
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test('re-reads after two deferred saves in quick succession: one timer chain, and close() leaves nothing pending', async () => {
  const clock = new FakeClock();
  const f = scriptedFetcher();
  const s = scriptedStore();
  const m = new TokenManager({ appId: 'wx_test', fetcher: f.fetcher, store: bindStore('wx_test', s.store, {}), now: clock.now, timers: clock, saveRetryBaseMs: 1000, saveRetryMaxMs: 4000 });
  // First credential: its save fails, the retry lands a second later and starts the re-reads.
  s.down = true;
  const first = m.get();
  await s.answerRead(0, null);
  await f.answer(credential('C1', clock.now()));
  assert.equal((await first).value, 'C1');
  s.down = false;
  await clock.advance(1000);
  assert.equal(s.saved.length, 1, 'the deferred save of C1 landed');
  assert.equal(s.reads.length, 2, 'the first re-read is in flight');
  // While it is unanswered, C1 is rejected; the replacement's save fails and its retry lands too.
  s.down = true;
  const second = m.invalidate('C1');
  await s.answerRead(2, null);
  await f.answer(credential('C2', clock.now()));
  assert.equal((await second).value, 'C2');
  s.down = false;
  await clock.advance(1000);
  assert.equal(s.saved.length, 2, 'the deferred save of C2 landed');
  assert.equal(s.reads.length, 4, 'a second re-read is in flight');
  // Both re-reads answer: only the newer chain may go on.
  s.reads[1]!.resolve(null);
  s.reads[3]!.resolve(null);
  await settle();
  assert.equal(clock.pending.length, 1, 'one re-read timer, not one per deferred save');
  await m.close();
  assert.deepEqual(clock.pending, [], 'close() cleared every timer');
  await clock.advance(60_000);
  assert.equal(s.reads.length, 4, 'no re-read after close()');
});

test('a re-read whose credential present() refuses: a warning, no unhandled rejection, the re-reads go on', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const clock = new FakeClock();
    const f = scriptedFetcher();
    const s = scriptedStore();
    const logger = recordingLogger();
    const m = new TokenManager({
      appId: 'wx_test',
      fetcher: f.fetcher,
      store: bindStore('wx_test', s.store, {}),
      now: clock.now,
      timers: clock,
      logger,
      saveRetryBaseMs: 1000,
      saveRetryMaxMs: 4000,
      present: (c: Credential) => {
        if (c.value === 'BAD') throw new Error('present refused');
        return c;
      },
    });
    s.down = true;
    const first = m.get();
    await s.answerRead(0, null);
    await f.answer(credential('C1', clock.now()));
    await first;
    s.down = false;
    await clock.advance(1000);
    // Another instance saved a newer credential that present() throws on.
    await s.answerRead(1, stored('BAD', clock.now()));
    await settle();
    await settle();
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
    assert.equal(logger.byEvent('token.converge_failed').length, 1, 'the failure is logged');
    assert.equal((await m.get()).value, 'C1', 'the held credential stays');
    assert.equal(clock.pending.length, 1, 'the next re-read is still scheduled');
    await m.close();
    assert.deepEqual(clock.pending, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('a store whose get() never settles: the deferred save is still tried after a bounded wait', async () => {
  const clock = new FakeClock();
  const f = scriptedFetcher();
  const saved: StoredToken[] = [];
  const store: TokenStore = {
    get: () => new Promise<never>(() => {}),
    save: (_appId: string, token: StoredToken) => {
      saved.push(token);
    },
  };
  const m = new TokenManager({ appId: 'wx_test', fetcher: f.fetcher, store: bindStore('wx_test', store, {}), now: clock.now, timers: clock, saveRetryBaseMs: 1000, saveRetryMaxMs: 4000, storeReadBudgetMs: 1000 });
  const events: boolean[] = [];
  m.on('saved', (e) => events.push(e.deferred));
  const got = m.get();
  await clock.advance(1000); // the read's budget
  await f.answer(credential('C1', clock.now()));
  assert.equal((await got).value, 'C1', 'from upstream past the budget');
  assert.equal(saved.length, 0, 'not saved behind the unanswered read');
  await clock.advance(UNANSWERED_READ_WAIT_MS - 1);
  assert.equal(saved.length, 0, 'the read is given time to settle or time out first');
  await clock.advance(1 + 1000); // the bounded wait for the read, then the first retry delay
  assert.deepEqual(saved.map((t) => t.access_token), ['C1'], 'saved although the read never settled');
  assert.deepEqual(events, [true]);
  await m.close();
  assert.deepEqual(clock.pending, [], 'close() cleared every timer');
});

test('a read answering past its budget, before the issuer: its shared credential is handed out, and the newer classic one from the issuer is then taken and saved', async () => {
  const clock = new FakeClock();
  const f = scriptedFetcher();
  const s = scriptedStore();
  const logger = recordingLogger();
  const m = new TokenManager({ appId: 'wx_test', fetcher: f.fetcher, store: bindStore('wx_test', s.store, {}), now: clock.now, timers: clock, logger, storeReadBudgetMs: 1000 });
  let handedOut: Credential | undefined;
  void m.get().then((c) => (handedOut = c));
  await clock.advance(1000);
  assert.equal(f.calls, 1, 'past the budget the refresh went upstream');
  assert.equal(logger.byEvent('token.store_read_slow').length, 1);
  await clock.advance(200);
  await s.answerRead(0, stored('SHARED', clock.now() - 60_000));
  await until(() => handedOut !== undefined, { what: 'the late stored credential is handed out before the issuer answers' });
  assert.equal(handedOut!.value, 'SHARED');
  assert.equal(logger.byEvent('token.store_read_late')[0]?.obj.durationMs, 1200, 'how long the store took, for tuning');
  // The fetch was already sent: a classic token superseded SHARED at the issuer, so it must not be lost.
  await f.answer(credential('FRESH', clock.now()));
  await until(() => s.saved.length === 1, { what: 'the newer credential saved' });
  assert.equal(s.saved[0]!.access_token, 'FRESH');
  assert.equal((await m.get()).value, 'FRESH', 'the newest by fetched_at is held');
  // Still slow: the next read past its budget is not logged again.
  const again = m.invalidate('FRESH');
  await clock.advance(1000);
  assert.equal(logger.byEvent('token.store_read_slow').length, 1, 'once per slow episode');
  await s.answerRead(1, null);
  await f.answer(credential('NEXT', clock.now()));
  assert.equal((await again).value, 'NEXT');
  await m.close();
});

test('a late stored credential and the same value from the issuer (stable_token): nothing saved again', async () => {
  const clock = new FakeClock();
  const f = scriptedFetcher();
  const s = scriptedStore();
  const m = new TokenManager({ appId: 'wx_test', fetcher: f.fetcher, store: bindStore('wx_test', s.store, {}), now: clock.now, timers: clock, storeReadBudgetMs: 1000 });
  const got = m.get();
  await clock.advance(1200);
  const sharedAt = clock.now() - 60_000;
  await s.answerRead(0, stored('SAME', sharedAt));
  assert.equal((await got).value, 'SAME');
  await f.answer({ value: 'SAME', expiresAt: sharedAt + 7_200_000, fetchedAt: clock.now() });
  await settle();
  await clock.advance(60_000);
  assert.deepEqual(s.saved, [], 'no save of the value the store already holds');
  assert.equal((await m.get()).value, 'SAME');
  await m.close();
});

test('past the budget the issuer fails, then the read answers: its credential is taken, with no further fetch', async () => {
  const clock = new FakeClock();
  const f = scriptedFetcher();
  const s = scriptedStore();
  const m = new TokenManager({ appId: 'wx_test', fetcher: f.fetcher, store: bindStore('wx_test', s.store, {}), now: clock.now, timers: clock, storeReadBudgetMs: 1000 });
  const got = m.get();
  got.catch(() => {});
  await clock.advance(1000);
  await f.answer(new Error('upstream down'));
  await assert.rejects(got, /upstream down/);
  await s.answerRead(0, stored('SHARED', clock.now() - 60_000));
  await until(() => m.status().hasToken, { what: 'the late stored credential is taken' });
  assert.equal((await m.get()).value, 'SHARED');
  assert.equal(f.calls, 1, 'no second fetch');
  await m.close();
});

test('past the budget the issuer answers first, then the read brings a newer credential: it is taken and the older is not saved', async () => {
  const clock = new FakeClock();
  const f = scriptedFetcher();
  const s = scriptedStore();
  const logger = recordingLogger();
  const m = new TokenManager({ appId: 'wx_test', fetcher: f.fetcher, store: bindStore('wx_test', s.store, {}), now: clock.now, timers: clock, logger, storeReadBudgetMs: 1000, saveRetryBaseMs: 1000 });
  const got = m.get();
  await clock.advance(1000);
  await f.answer(credential('MINE', clock.now() - 100));
  assert.equal((await got).value, 'MINE', 'from upstream while the read is unanswered');
  await s.answerRead(0, stored('NEWER', clock.now()));
  await until(() => logger.byEvent('token.converged').length === 1, { what: 'the newer stored credential is taken' });
  assert.equal((await m.get()).value, 'NEWER');
  await clock.advance(60_000);
  assert.deepEqual(s.saved, [], 'the older credential is not saved over it');
  await m.close();
});
