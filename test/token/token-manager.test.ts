/**
 * The token manager on its own, with a scripted fetcher and a hand-set clock: orderings that the
 * emulator tests cannot pin down (a refresh already in flight when a token is rejected) and answers
 * no real upstream gives (a token that is already due).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenManager, type TokenFetcher } from '../../src/token/token-manager.js';
import type { AccessToken } from '../../src/token/types.js';
import { WechatMpError } from '../../src/errors.js';

const T0 = 1_800_000_000_000;

/** A fetcher whose answers the test releases one by one; it records what each call was asked. */
function scriptedFetcher(): TokenFetcher & { asked: Array<{ rejected?: string }>; answer(t: AccessToken): void } {
  const waiting: Array<(t: AccessToken) => void> = [];
  const asked: Array<{ rejected?: string }> = [];
  return {
    source: 'tokenSource',
    asked,
    fetch(ctx) {
      asked.push({ ...ctx });
      return new Promise<AccessToken>((resolve) => waiting.push(resolve));
    },
    answer(t) {
      const next = waiting.shift();
      assert.ok(next, 'a fetch is waiting for its answer');
      next(t);
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const token = (access_token: string, now: number, lifeSeconds: number): AccessToken => ({ access_token, expires_at: now + lifeSeconds * 1000, fetched_at: now });

test('a refresh in flight that brings back the rejected token: invalidate asks again and never hands it out', async () => {
  let now = T0;
  const fetcher = scriptedFetcher();
  const m = new TokenManager({ appid: 'wx_test', fetcher, now: () => now, refreshJitterMs: 0 });
  const first = m.get();
  await tick();
  fetcher.answer(token('X', now, 7200));
  assert.equal((await first).access_token, 'X');

  now += (7200 - 200) * 1000; // inside the refresh margin, still valid
  assert.equal((await m.get()).access_token, 'X', 'served from memory while a refresh-ahead starts');
  assert.equal(fetcher.asked.length, 2, 'the refresh-ahead is in flight');
  const replaced = m.invalidate('X'); // an API call got 40001 with X meanwhile
  await tick();
  fetcher.answer(token('X', now, 200)); // the refresh-ahead brings X back (the centre had not rotated)
  await tick();
  assert.equal(fetcher.asked.length, 3, 'a second fetch, for the rejection');
  assert.deepEqual(fetcher.asked[2], { rejected: 'X' });
  fetcher.answer(token('Y', now, 7200));
  assert.equal((await replaced).access_token, 'Y');
  assert.equal((await m.get()).access_token, 'Y');
  assert.equal(fetcher.asked.length, 3, 'no further fetch');
  await m.close();
});

test('an answer that is already due is a typed failure, never handed out or kept', async () => {
  const now = T0;
  const fetcher = scriptedFetcher();
  const m = new TokenManager({ appid: 'wx_test', fetcher, now: () => now, expirySkewMs: 30_000 });
  const p = m.get();
  await tick();
  fetcher.answer(token('DUE', now, 20)); // 20 s left, inside the 30 s skew
  await assert.rejects(p, (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_UPSTREAM' && /expires within 30 s/.test(e.message));
  assert.equal(m.status().hasToken, false);
  assert.equal(m.status().lastError?.code, 'WMP_ERR_UPSTREAM');
  await m.close();
});
