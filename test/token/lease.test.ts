/**
 * The refresh lease seen from the manager (emulator over HTTP, MemoryTokenStore as the shared store;
 * the stores' own lease semantics are in the conformance suite): bounded waiting, a crashed holder's
 * lease expiring, waiters taking what the holder saved, close() leaving no lease behind.
 */
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulator } from '../../src/emulator/index.js';
import { WechatMpError } from '../../src/errors.js';
import { MemoryTokenStore } from '../../src/token/memory-token-store.js';
import { APPID, SECRET, startEmu, tokenCalls, wechatOn, wechatTracker } from '../wechat/support/harness.js';

let emu: Emulator;
const { track, closeAll } = wechatTracker();
before(async () => {
  emu = await startEmu();
});
beforeEach(() => emu.reset());
after(async () => {
  await closeAll();
  await emu.close();
});

test("a crashed holder's lease: callers wait a bounded time, then the lease expires and one refresh happens", async () => {
  const store = new MemoryTokenStore();
  // Another process took the lease and died.
  assert.equal(store.acquireLease(APPID, { owner: 'crashed-process', now: emu.now(), ttlMs: 30_000 }), true);
  const w = track(wechatOn(emu, { store, leaseWaitMs: 100, leasePollMs: 10 }));
  await assert.rejects(w.fetchAccessToken(), (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_TOKEN_STORE');
  assert.equal(tokenCalls(emu), 0, 'nobody called WeChat while the lease was held');
  emu.advanceClock(31);
  const t = await w.fetchAccessToken();
  assert.ok(t.access_token);
  assert.equal(tokenCalls(emu), 1);
  assert.equal(store.get(APPID)?.access_token, t.access_token);
  assert.equal(store.acquireLease(APPID, { owner: 'someone', now: emu.now(), ttlMs: 1000 }), true, 'the refresher released its lease');
});

test('waiters re-read the store and take what the lease holder saved, without calling WeChat', async () => {
  const store = new MemoryTokenStore();
  assert.equal(store.acquireLease(APPID, { owner: 'other-process', now: emu.now(), ttlMs: 30_000 }), true);
  const w = track(wechatOn(emu, { store, leasePollMs: 5 }));
  const sources: string[] = [];
  w.on('refreshed', (e) => sources.push(e.source));
  const waiting = Promise.all(Array.from({ length: 20 }, () => w.fetchAccessToken()));
  // The other process refreshes (one upstream call of its own), saves, releases.
  const res = await fetch(`${emu.url}/cgi-bin/stable_token`, {
    method: 'POST',
    body: JSON.stringify({ grant_type: 'client_credential', appid: APPID, secret: SECRET }),
  });
  const body = (await res.json()) as { access_token: string; expires_in: number };
  store.save(APPID, { access_token: body.access_token, expires_at: emu.now() + body.expires_in * 1000, fetched_at: emu.now() });
  store.releaseLease(APPID, 'other-process');
  const tokens = await waiting;
  assert.ok(tokens.every((t) => t.access_token === body.access_token));
  assert.deepEqual(sources, ['store']);
  assert.equal(tokenCalls(emu), 1, "only the other process's call");
});

test('close() lets an in-flight refresh finish and leaves no lease behind', async () => {
  const store = new MemoryTokenStore();
  emu.injectFault({ appId: APPID, endpoint: 'stable_token', kind: 'delay', delayMs: 150, count: 1 });
  const w = wechatOn(emu, { store });
  const pending = w.fetchAccessToken();
  await new Promise((r) => setImmediate(r));
  await w.close();
  const t = await pending;
  assert.ok(t.access_token);
  assert.equal(store.acquireLease(APPID, { owner: 'next', now: emu.now(), ttlMs: 1000 }), true);
});
