/**
 * The token manager on its own, with a scripted fetcher and the fake clock: orderings that the
 * emulator tests cannot pin down (a refresh already in flight when a value is rejected), answers no
 * real upstream gives (a value that is already due), the fetcher's classification driving the
 * cooldowns, and close() waiting on the injected timers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenManager } from '../../src/token/token-manager.js';
import { MemoryTokenStore } from '../../src/token/memory-token-store.js';
import { bindStore } from '../../src/token/store-adapter.js';
import type { CredentialFetcher, FailureClass, FetchedCredential } from '../../src/token/types.js';
import { WechatMpError } from '../../src/errors.js';
import { FakeClock } from '../support/fake-clock.js';
import { deferred, type Deferred } from '../support/deferred.js';
import { recordingLogger } from '../support/recording-logger.js';
import { until } from '../support/until.js';

/** A fetcher whose answers the test releases one by one; it records what each call was asked. */
function scriptedFetcher(classify: (err: unknown) => FailureClass = () => 'transient') {
  const waiting: Deferred<FetchedCredential>[] = [];
  const asked: Array<{ rejected?: string }> = [];
  const fetcher: CredentialFetcher = {
    source: 'tokenSource',
    fetch(ctx) {
      asked.push({ ...ctx });
      const d = deferred<FetchedCredential>();
      waiting.push(d);
      return d.promise;
    },
    classify,
  };
  return {
    fetcher,
    asked,
    /** Resolves once a fetch is waiting, then answers it. */
    async answer(c: FetchedCredential | Error) {
      await until(() => waiting.length > 0, { what: 'a fetch is waiting for its answer' });
      const next = waiting.shift()!;
      if (c instanceof Error) next.reject(c);
      else next.resolve(c);
    },
  };
}

const credential = (value: string, now: number, lifeSeconds: number): FetchedCredential => ({ value, expiresAt: now + lifeSeconds * 1000, fetchedAt: now });

test('a refresh in flight that brings back the rejected value: invalidate asks again and never hands it out', async () => {
  const clock = new FakeClock();
  const f = scriptedFetcher();
  const m = new TokenManager({ appId: 'wx_test', fetcher: f.fetcher, now: clock.now, timers: clock, refreshJitterMs: 0 });
  const first = m.get();
  await f.answer(credential('X', clock.now(), 7200));
  assert.equal((await first).value, 'X');

  await clock.advance((7200 - 200) * 1000); // inside the refresh margin, still valid
  assert.equal((await m.get()).value, 'X', 'served from memory while a refresh-ahead starts');
  assert.equal(f.asked.length, 2, 'the refresh-ahead is in flight');
  const replaced = m.invalidate('X'); // an API call got 40001 with X meanwhile
  await f.answer(credential('X', clock.now(), 200)); // the refresh-ahead brings X back (the centre had not rotated)
  await f.answer(credential('Y', clock.now(), 7200));
  assert.equal(f.asked.length, 3, 'a second fetch, for the rejection');
  assert.deepEqual(f.asked[2], { rejected: 'X' });
  assert.equal((await replaced).value, 'Y');
  assert.equal((await m.get()).value, 'Y');
  assert.equal(f.asked.length, 3, 'no further fetch');
  await m.close();
});

test('an answer that is already due is a typed failure, never handed out or kept', async () => {
  const clock = new FakeClock();
  const f = scriptedFetcher();
  const m = new TokenManager({ appId: 'wx_test', fetcher: f.fetcher, now: clock.now, timers: clock, expirySkewMs: 30_000 });
  const p = m.get();
  await f.answer(credential('DUE', clock.now(), 20)); // 20 s left, inside the 30 s skew
  await assert.rejects(p, (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_UPSTREAM' && /expires within 30 s/.test(e.message));
  assert.equal(m.status().hasToken, false);
  assert.equal(m.status().lastError?.code, 'WMP_ERR_UPSTREAM');
  await m.close();
});

test("hardening: the fetcher's classify decides the pause; after any failure callers share one pause and get the last error at once", async () => {
  // transient: the first pause is 0.5-1 s (1 s base with jitter); rate_limited (45011): at least 60 s.
  for (const [cls, pauseMs] of [['quota', 600_000], ['permanent', 60_000], ['rate_limited', 60_000], ['transient', 1_000]] as const) {
    const clock = new FakeClock();
    const logger = recordingLogger();
    const failure = new WechatMpError('WMP_ERR_UPSTREAM', `scripted ${cls} failure`);
    const f = scriptedFetcher((err) => (err === failure ? cls : 'transient'));
    const m = new TokenManager({ appId: 'wx_test', fetcher: f.fetcher, now: clock.now, timers: clock, logger });
    const failed: unknown[] = [];
    m.on('refreshFailed', (e) => failed.push(e.error));
    const p = m.get();
    await f.answer(failure);
    await assert.rejects(p, (e) => e === failure);
    if (pauseMs > 0) {
      for (let i = 0; i < 5; i++) await assert.rejects(m.get(), (e) => e === failure, 'the pause answers with the error that started it');
      assert.equal(f.asked.length, 1, `${cls}: no fetch during the pause`);
      assert.equal(failed.length, 1, `${cls}: the pause does not report the same failure again`);
      assert.equal(logger.byEvent(cls === 'quota' ? 'token.quota_exhausted' : cls === 'permanent' ? 'token.permanent_failure' : 'token.refresh_failed').length, 1, `${cls}: logged once per pause`);
      await clock.advance(pauseMs);
    }
    const again = m.get();
    await f.answer(credential('OK', clock.now(), 7200));
    assert.equal((await again).value, 'OK', `${cls}: fetching resumes`);
    assert.equal(f.asked.length, 2);
    await m.close();
  }
});

test('close() waits for an in-flight refresh at most closeWaitMs, on the injected timers', async () => {
  const clock = new FakeClock();
  const f = scriptedFetcher();
  const logger = recordingLogger();
  const m = new TokenManager({ appId: 'wx_test', fetcher: f.fetcher, now: clock.now, timers: clock, logger, closeWaitMs: 2000 });
  const hanging = m.get();
  hanging.catch(() => {});
  await until(() => f.asked.length === 1, { what: 'the fetch started' });
  let closed = false;
  const closing = m.close().then(() => (closed = true));
  await until(() => clock.pending.length === 1, { what: 'close() armed its wait' });
  assert.equal(clock.pending[0]!.ms, 2000);
  await clock.advance(1999);
  assert.equal(closed, false, 'still waiting for the refresh');
  await clock.advance(1);
  await closing;
  assert.equal(logger.byEvent('token.close_timeout').length, 1);
});

test('generic over what it manages: a second manager presents its own shape and shares the store keyed apart', async () => {
  const clock = new FakeClock();
  const store = new MemoryTokenStore();
  const tokens = scriptedFetcher();
  const tickets = scriptedFetcher();
  const tokenManager = new TokenManager({ appId: 'wx_test', fetcher: tokens.fetcher, now: clock.now, timers: clock, store: bindStore('wx_test', store, {}) });
  const ticketManager = new TokenManager({
    appId: 'wx_test',
    kind: 'jsapi_ticket',
    fetcher: tickets.fetcher,
    now: clock.now,
    timers: clock,
    store: bindStore('wx_test:jsapi_ticket', store, {}),
    present: (c) => Object.freeze({ ticket: c.value, expiresAt: c.expiresAt }),
  });
  const events: string[] = [];
  ticketManager.on('refreshed', (e) => events.push(`${e.kind}:${e.source}`));
  const t = tokenManager.get();
  await tokens.answer(credential('TOKEN', clock.now(), 7200));
  const k = ticketManager.get();
  await tickets.answer(credential('TICKET', clock.now(), 7200));
  assert.equal((await t).value, 'TOKEN');
  assert.deepEqual(await k, { ticket: 'TICKET', expiresAt: clock.now() + 7_200_000 });
  assert.equal(await ticketManager.get(), await k, 'the hot path hands out the same presented object');
  assert.deepEqual(events, ['jsapi_ticket:tokenSource']);
  assert.equal(store.get('wx_test')?.access_token, 'TOKEN');
  assert.equal(store.get('wx_test:jsapi_ticket')?.access_token, 'TICKET');
  await Promise.all([tokenManager.close(), ticketManager.close()]);
});

test('peek(): the value in memory until it is due for refresh, with no fetch and no refresh of its own', async () => {
  const clock = new FakeClock();
  const f = scriptedFetcher();
  const m = new TokenManager({ appId: 'wx_test', fetcher: f.fetcher, now: clock.now, timers: clock, refreshJitterMs: 0 });
  assert.equal(m.peek(), undefined, 'nothing held yet');
  assert.equal(f.asked.length, 0, 'peek alone never fetches');
  const first = m.get();
  await f.answer(credential('X', clock.now(), 7200));
  const held = await first;
  assert.equal(m.peek(), held, 'the same frozen credential get() hands out');
  await clock.advance((7200 - 200) * 1000); // inside the refresh margin, still valid
  assert.equal(m.peek(), undefined, 'due for refresh: callers must go through get()');
  assert.equal(f.asked.length, 1, 'and peek did not start the refresh');
  assert.equal((await m.get()).value, 'X');
  assert.equal(f.asked.length, 2, 'get() did');
  await f.answer(credential('Y', clock.now(), 7200));
  await until(() => m.peek()?.value === 'Y', { what: 'the refreshed value is held' });
  await m.close();
});
