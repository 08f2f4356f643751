/**
 * The token request against the emulator over real HTTP: single-flight, typed failures, bounded
 * retries, no secret in errors or logs, refresh-ahead. Emulated clock; retry backoff in milliseconds.
 */
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Emulator } from '../../src/emulator/index.js';
import { WechatMpError } from '../../src/errors.js';
import { MemoryTokenStore } from '../../src/token/memory-token-store.js';
import type { StoredToken } from '../../src/token/types.js';
import { TokenPermanentError, TokenQuotaError, UpstreamError } from '../../src/wechat/errors.js';
import { Wechat } from '../../src/wechat/client.js';
import { FakeClock, type PendingTimer } from '../support/fake-clock.js';
import { until } from '../support/until.js';
import { recordingLogger } from '../support/recording-logger.js';
import { APPID, SECRET, errorText, startEmu, tokenCalls, wechatOn, wechatTracker } from './support/harness.js';

const WRONG_APP = { appId: 'wxwrongsecret00001', secret: 'therightsecret000000000000000001' };
const WRONG_SECRET = 'WRONGsecretValue9876543210zyxwvu';

let emu: Emulator;
const { track, closeAll } = wechatTracker();
before(async () => {
  emu = await startEmu({ apps: [WRONG_APP] });
});
beforeEach(() => emu.reset());
after(async () => {
  await closeAll();
  await emu.close();
});

/** The one pending timer (the background refresher keeps at most one). */
function onlyTimer(clock: FakeClock): PendingTimer {
  assert.equal(clock.pending.length, 1, 'exactly one pending timer');
  return clock.pending[0]!;
}

describe('construction', () => {
  test('validates and assigns only: no upstream call, no timer', () => {
    const timers = new FakeClock();
    track(wechatOn(emu, { timers }));
    assert.equal(tokenCalls(emu), 0);
    assert.equal(timers.pending.length, 0);
  });

  test('rejects bad options with a typed error naming the option', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['appId', { appId: '' }],
      ['appId', { appId: '../x' }],
      ['appID', { appID: '' }],
      ['appID', { appID: '../x' }],
      ['appID', { appId: APPID, appID: 'wxsomeotherapp0001' }],
      ['appSecret', { appSecret: '' }],
      ['apiBase', { apiBase: 'ftp://x' }],
      ['tokenMode', { tokenMode: 'fast' }],
      ['refreshMarginSeconds', { refreshMarginSeconds: -1 }],
      ['expirySkewSeconds', { expirySkewSeconds: 241 }], // above MAX_EXPIRY_SKEW_SECONDS: would refuse stable_token's 300 s answers
      ['store', { store: { get() {} } }],
      ['store', { store: { get() {}, save() {}, acquireLease() {} } }],
      ['store', { store: new MemoryTokenStore(), getAccessToken: () => null, saveAccessToken: () => {} }],
      ['getAccessToken', { getAccessToken: () => null }],
      ['tokenSourceSecret', { tokenSource: 'http://127.0.0.1:1/internal/access-token' }],
      ['retry.attempts', { retry: { attempts: 0 } }],
    ];
    for (const [option, bad] of cases) {
      assert.throws(
        () => new Wechat({ ...('appID' in bad ? {} : { appId: APPID }), appSecret: SECRET, ...bad } as never),
        (err: unknown) => err instanceof WechatMpError && err.code === 'WMP_ERR_INVALID_OPTION' && (err as { option?: string }).option === option,
        `option ${option}: ${JSON.stringify(bad)}`,
      );
    }
  });
});

describe('single-flight', () => {
  for (const tokenMode of ['stable', 'classic'] as const) {
    test(`200 concurrent cold fetchAccessToken() -> exactly 1 upstream call (${tokenMode})`, async () => {
      const w = track(wechatOn(emu, { tokenMode }));
      const tokens = await Promise.all(Array.from({ length: 200 }, () => w.fetchAccessToken()));
      assert.equal(tokenCalls(emu), 1);
      assert.equal(emu.stats()[APPID]![tokenMode === 'stable' ? 'stable_token' : 'token'], 1);
      assert.equal(new Set(tokens.map((t) => t.access_token)).size, 1);
      const t = tokens[0]!;
      assert.ok(Object.isFrozen(t));
      assert.equal(t.expires_at - t.fetched_at, 7_200_000, 'absolute expiry from expires_in');
      assert.ok(t.fetched_at <= emu.now() && t.fetched_at > emu.now() - 5000);
      // The emulator accepts it.
      assert.ok((await w.domain.getApiDomainIp()).length > 0);
      // Later calls are served from memory.
      for (let i = 0; i < 1000; i++) await w.fetchAccessToken();
      assert.equal(tokenCalls(emu), 1);
    });
  }

  test('hardening: after a failed refresh, callers share a short pause with the last error, then the next call tries again', async () => {
    emu.injectFault({ appId: APPID, endpoint: 'stable_token', kind: 'http', status: 503, count: 3 });
    const w = track(wechatOn(emu));
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => w.fetchAccessToken()));
    assert.ok(results.every((r) => r.status === 'rejected'));
    assert.equal(tokenCalls(emu), 3, 'one bounded retry sequence for all 20 callers');
    const during = await Promise.allSettled(Array.from({ length: 32 }, () => w.fetchAccessToken()));
    assert.ok(during.every((r) => r.status === 'rejected'));
    assert.equal(tokenCalls(emu), 3, 'callers during the pause get the last error, no upstream call');
    emu.advanceClock(1);
    const t = await w.fetchAccessToken();
    assert.equal(tokenCalls(emu), 4);
    assert.ok(t.access_token);
  });
});

describe('typed failures and bounded retries', () => {
  test('wrong secret: one upstream call, a permanent typed error, no secret anywhere, no retry loop', async () => {
    const logger = recordingLogger();
    const store = new MemoryTokenStore();
    const w = track(new Wechat({ appId: WRONG_APP.appId, appSecret: WRONG_SECRET, apiBase: emu.url, now: () => emu.now(), logger, store, retry: { attempts: 3, baseDelayMs: 5 } }));
    const failed: unknown[] = [];
    w.on('refreshFailed', (e) => failed.push(e.error));
    const err = await w.fetchAccessToken().then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TokenPermanentError);
    assert.equal(err.code, 'WMP_ERR_TOKEN_PERMANENT');
    assert.equal(err.errcode, 40125);
    assert.equal(err.reason, 'invalid_appsecret');
    assert.equal(tokenCalls(emu, WRONG_APP.appId), 1);
    // Callers keep asking: the pause answers them without hammering WeChat.
    for (let i = 0; i < 10; i++) await assert.rejects(w.fetchAccessToken(), TokenPermanentError);
    assert.equal(tokenCalls(emu, WRONG_APP.appId), 1);
    assert.equal(failed.length, 1, 'the pause does not report the same failure again');
    assert.equal(store.get(WRONG_APP.appId), null, 'an error body is never stored as a token');
    assert.deepEqual(w.status().lastError, { code: 'WMP_ERR_TOKEN_PERMANENT', errcode: 40125 });
    assert.equal(w.status().hasToken, false);
    for (const text of [errorText(err), logger.text()]) {
      assert.ok(!text.includes(WRONG_SECRET), 'the secret never appears');
      assert.ok(!text.includes(WRONG_APP.secret));
    }
    assert.ok(logger.lines.some((l) => l.level === 'error' && (l.obj as { event?: string }).event === 'token.permanent_failure'));
    // Calls during the pause do not extend it; after it, one more try (bounded, not a loop).
    emu.advanceClock(40);
    await assert.rejects(w.fetchAccessToken(), TokenPermanentError);
    emu.advanceClock(21);
    await assert.rejects(w.fetchAccessToken(), TokenPermanentError);
    assert.equal(tokenCalls(emu, WRONG_APP.appId), 2);
    assert.equal(failed.length, 2);
  });

  test('45009: a distinct typed error, logged loudly, bounded calls', async () => {
    emu.injectFault({ appId: APPID, endpoint: 'stable_token', kind: 'errcode', errcode: 45009, count: 1000 });
    const logger = recordingLogger();
    const w = track(wechatOn(emu, { logger }));
    await assert.rejects(w.fetchAccessToken(), (e: unknown) => e instanceof TokenQuotaError && e.code === 'WMP_ERR_TOKEN_QUOTA' && e.errcode === 45009);
    assert.equal(tokenCalls(emu), 1, 'not retried');
    await Promise.all(Array.from({ length: 50 }, () => assert.rejects(w.fetchAccessToken(), TokenQuotaError)));
    assert.equal(tokenCalls(emu), 1, 'paused: callers do not reach WeChat');
    const alert = logger.lines.find((l) => (l.obj as { event?: string }).event === 'token.quota_exhausted');
    assert.equal(alert?.level, 'error');
    assert.match(alert?.msg ?? '', /ALERT/);
    emu.advanceClock(300);
    await assert.rejects(w.fetchAccessToken(), TokenQuotaError);
    emu.advanceClock(301);
    await assert.rejects(w.fetchAccessToken(), TokenQuotaError);
    assert.equal(tokenCalls(emu), 2, 'one try per pause, even with callers during the pause');
    assert.equal(logger.lines.filter((l) => (l.obj as { event?: string }).event === 'token.quota_exhausted').length, 2, 'one alert per try');
  });

  test('the background refresher backs off after 45009 instead of hammering', async () => {
    emu.injectFault({ appId: APPID, endpoint: 'stable_token', kind: 'errcode', errcode: 45009, count: 1000 });
    const timers = new FakeClock();
    const w = track(wechatOn(emu, { timers }));
    w.start();
    const first = onlyTimer(timers);
    assert.equal(first.ms, 0, 'no token yet: refresh at once');
    const failed = once(w, 'refreshFailed');
    await timers.runNext();
    const [ev] = await failed;
    assert.equal(ev.background, true);
    assert.ok(ev.error instanceof TokenQuotaError);
    await until(() => timers.pending.length === 1, { what: 'the refresher re-armed its timer' });
    const nextTimer = onlyTimer(timers);
    assert.ok(nextTimer.ms >= 600_000 - 1000, `next background try waits out the quota pause (${nextTimer.ms} ms)`);
    assert.equal(tokenCalls(emu), 1);
  });

  test('errcode -1 twice, then success after backoff', async () => {
    emu.injectFault({ appId: APPID, endpoint: 'stable_token', kind: 'errcode', errcode: -1, count: 2 });
    const delays: number[] = [];
    const w = track(wechatOn(emu, { sleep: (ms) => (delays.push(ms), new Promise((r) => setTimeout(r, ms))) }));
    const t = await w.fetchAccessToken();
    assert.ok(t.access_token);
    assert.equal(tokenCalls(emu), 3);
    assert.equal(delays.length, 2);
    assert.ok(delays[1]! >= 5 && delays[1]! <= 10 && delays[0]! >= 2.5 && delays[0]! <= 5, `exponential with jitter: ${delays}`);
  });

  test('errcode -1 that persists: bounded attempts, then WMP_ERR_UPSTREAM', async () => {
    emu.injectFault({ appId: APPID, endpoint: 'stable_token', kind: 'errcode', errcode: -1, count: 100 });
    const w = track(wechatOn(emu));
    await assert.rejects(w.fetchAccessToken(), (e: unknown) => e instanceof UpstreamError && e.kind === 'errcode' && e.errcode === -1 && e.attempts === 3);
    assert.equal(tokenCalls(emu), 3);
  });

  test('timeouts: bounded retries, then a typed timeout error', async () => {
    emu.injectFault({ appId: APPID, endpoint: 'stable_token', kind: 'delay', delayMs: 2000, count: 3 });
    const w = track(wechatOn(emu, { requestTimeoutMs: 150 }));
    const started = Date.now();
    const err = await w.fetchAccessToken().then(() => assert.fail('resolved'), (e: unknown) => e);
    assert.ok(err instanceof UpstreamError && err.kind === 'timeout' && err.attempts === 3, String(err));
    assert.ok(Date.now() - started < 1500, 'each attempt is cut at the timeout');
    assert.equal(tokenCalls(emu), 3);
    assert.ok(!errorText(err).includes(SECRET));
  });

  test('dropped connections: bounded retries, then a typed network error', async () => {
    emu.injectFault({ appId: APPID, endpoint: 'stable_token', kind: 'drop', count: 3 });
    const w = track(wechatOn(emu, { tokenMode: 'stable' }));
    await assert.rejects(w.fetchAccessToken(), (e: unknown) => e instanceof UpstreamError && e.kind === 'network' && e.attempts === 3);
    assert.equal(tokenCalls(emu), 3);
    // The fault is used up: the next call after the pause succeeds.
    emu.advanceClock(1);
    assert.ok((await w.fetchAccessToken()).access_token);
  });

  test('a malformed body and a 502 are retried; neither is stored', async () => {
    const store = new MemoryTokenStore();
    const saved: StoredToken[] = [];
    const orig = store.save.bind(store);
    store.save = (appid, t) => {
      saved.push(t);
      orig(appid, t);
    };
    emu.injectFault({ appId: APPID, endpoint: 'token', kind: 'malformed', count: 1 });
    emu.injectFault({ appId: APPID, endpoint: 'token', kind: 'http', status: 502, count: 1 });
    const w = track(wechatOn(emu, { tokenMode: 'classic', store }));
    const t = await w.fetchAccessToken();
    assert.equal(tokenCalls(emu), 3);
    assert.equal(saved.length, 1);
    assert.equal(saved[0]!.access_token, t.access_token);
  });
});

describe('stores and injection styles', () => {
  test('seed-style getAccessToken/saveAccessToken: a second instance takes the saved token without an upstream call', async () => {
    let kept: StoredToken | null = null;
    const seed = {
      getAccessToken: async () => kept,
      saveAccessToken: async (t: StoredToken) => {
        kept = t;
      },
    };
    const a = track(wechatOn(emu, seed));
    const ta = await a.fetchAccessToken();
    assert.equal(kept!.access_token, ta.access_token);
    const b = track(wechatOn(emu, seed));
    const sources: string[] = [];
    b.on('refreshed', (e) => sources.push(e.source));
    const tb = await b.fetchAccessToken();
    assert.equal(tb.access_token, ta.access_token);
    assert.deepEqual(sources, ['store']);
    assert.equal(tokenCalls(emu), 1);
  });

  test('a fetched token is kept in memory even if saving it fails', async () => {
    const failing = { get: () => null, save: () => Promise.reject(new Error('disk full')) };
    const w = track(wechatOn(emu, { store: failing }));
    const errors: string[] = [];
    w.on('storeError', (e) => errors.push(e.operation));
    const t = await w.fetchAccessToken();
    assert.ok(t.access_token);
    assert.deepEqual(errors, ['save']);
    assert.equal((await w.fetchAccessToken()).access_token, t.access_token);
    assert.equal(tokenCalls(emu), 1);
  });

  test('a store that throws on read is treated as empty; the caller still gets a token', async () => {
    const broken = { get: () => Promise.reject(new Error('down')), save: () => Promise.reject(new Error('down')) };
    const w = track(wechatOn(emu, { store: broken }));
    assert.ok((await w.fetchAccessToken()).access_token);
  });
});

describe('refresh ahead', () => {
  test('the background timer refreshes inside the margin; callers never wait and never get an expired token', async () => {
    const timers = new FakeClock();
    const w = track(wechatOn(emu, { timers, tokenMode: 'classic' }));
    w.start();
    let t = onlyTimer(timers);
    assert.equal(t.ms, 0, 'no token yet: fetch at once');
    let refreshed = once(w, 'refreshed');
    await timers.runNext();
    await refreshed;
    const first = await w.fetchAccessToken();
    await until(() => timers.pending.length === 1, { what: 'the refresher re-armed its timer' });
    t = onlyTimer(timers);
    assert.equal(t.ms, 600_000, 'long waits are split into 10-minute timers, so clock jumps are noticed');
    await timers.runNext();
    assert.equal(tokenCalls(emu), 1, 'too early: the timer re-arms without calling WeChat');

    // Refresh time = expiry - 300 s margin + jitter in [0, 60 s]; 239 s before expiry is past it.
    emu.advanceClock(7200 - 239);
    t = onlyTimer(timers);
    refreshed = once(w, 'refreshed');
    await timers.runNext();
    await refreshed;
    assert.equal(tokenCalls(emu), 2, 'the timer refreshed with no caller involved');
    const second = await w.fetchAccessToken();
    assert.notEqual(second.access_token, first.access_token);

    // Caller-driven: inside the margin the current token is handed out at once and a refresh starts behind it.
    emu.advanceClock(7200 - 239);
    assert.equal((await w.fetchAccessToken()).access_token, second.access_token);
    await once(w, 'refreshed');
    const third = await w.fetchAccessToken();
    assert.notEqual(third.access_token, second.access_token);
    assert.equal(tokenCalls(emu), 3);

    // Past the skew with no refresh: the caller waits for a new token rather than get an almost expired one.
    emu.advanceClock(7200 - 20);
    const fourth = await w.fetchAccessToken();
    assert.notEqual(fourth.access_token, third.access_token);
    assert.ok(fourth.expires_at - emu.now() > 7000_000);
    assert.equal(tokenCalls(emu), 4);
    await w.close();
    assert.equal(timers.pending.length, 0, 'close() clears the timer');
  });

  test('stable mode: a refresh before the rotation window is not repeated in a loop', async () => {
    const w = track(wechatOn(emu, { tokenMode: 'stable', refreshMarginSeconds: 3000 }));
    const first = await w.fetchAccessToken();
    // The margin is capped at 300 s in stable mode: 1000 s before expiry nothing is refreshed.
    emu.advanceClock(7200 - 1000);
    for (let i = 0; i < 20; i++) assert.equal((await w.fetchAccessToken()).access_token, first.access_token);
    assert.equal(tokenCalls(emu), 1);
  });
});

describe('events and lifecycle', () => {
  test('a throwing refreshed listener neither fails the fetch nor stops refresh-ahead', async () => {
    const log = recordingLogger();
    const w = track(wechatOn(emu, { logger: log }));
    w.on('refreshed', () => {
      throw new Error('listener bug');
    });
    const t = await w.fetchAccessToken();
    assert.ok(t.access_token.length > 0);
    assert.ok(w.status().hasToken);
    assert.match(log.text(), /token\.listener_error/);
  });

  test('close() during a hanging refresh ends it at once: no retry after the pool is destroyed, later calls fail typed', { timeout: 30_000 }, async () => {
    // A 10 s delay on each of 3 attempts keeps the refresh hanging far past the test's own bound.
    emu.injectFault({ appId: APPID, endpoint: 'stable_token', kind: 'delay', delayMs: 10_000, count: 3 });
    const w = wechatOn(emu, { requestTimeoutMs: 10_000 });
    const pending = w.fetchAccessToken().catch((e: unknown) => e);
    await until(() => (emu.stats()[APPID]?.stable_token ?? 0) >= 1, { what: 'the token request reached the emulator' });
    await w.close();
    const outcome = await pending;
    assert.ok(outcome instanceof WechatMpError, 'the hanging refresh ends with a typed error');
    assert.equal(emu.stats()[APPID]?.stable_token, 1, 'the destroyed call is not retried on a new pool');
    await assert.rejects(w.domain.getApiDomainIp(), (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_UPSTREAM');
  });
});
