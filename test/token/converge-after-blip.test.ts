/**
 * Instances diverge after a database blip: two instances on one store refresh on their own while its
 * saves fail (classic tokens: the second refresh supersedes the first, which the emulator rejects
 * with 40001 five minutes later). Once the store is back, the deferred saves land and each instance
 * re-reads the store and takes the newer token, so both hand out the same one before the older is
 * rejected. (The reliability suite covers both saves landing in whatever order the retries fall.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulator } from '../../src/emulator/index.js';
import { MemoryTokenStore } from '../../src/token/memory-token-store.js';
import { TokenStoreError } from '../../src/token/errors.js';
import type { StoredToken, TokenStore } from '../../src/token/types.js';
import { recordingLogger } from '../support/recording-logger.js';
import { until } from '../support/until.js';
import { APPID, startEmu, tokenCalls, wechatOn, wechatTracker } from '../wechat/support/harness.js';

let emu: Emulator;
const tracker = wechatTracker();
before(async () => {
  emu = await startEmu();
});
after(async () => {
  await tracker.closeAll();
  await emu?.close();
});

/** A store over shared memory whose saves fail while `down` is set; `saved` lists what it took. */
function blippingStore(shared: MemoryTokenStore): { store: TokenStore; down: boolean; failedSaves: number; saved: string[] } {
  const state = {
    down: true,
    failedSaves: 0,
    saved: [] as string[],
    store: {
      get: (appId: string) => shared.get(appId),
      save: (appId: string, token: StoredToken) => {
        if (state.down) {
          state.failedSaves++;
          throw new TokenStoreError('save', 'database blip');
        }
        state.saved.push(token.access_token);
        shared.save(appId, token);
      },
      invalidate: (appId: string, rejected: string) => shared.invalidate(appId, rejected),
      acquireLease: shared.acquireLease.bind(shared),
      releaseLease: shared.releaseLease.bind(shared),
    } as TokenStore,
  };
  return state;
}

/** Whether the emulator still accepts `token` (errcode 0) or rejects it (its errcode). */
async function errcodeOf(token: string): Promise<number> {
  const res = await fetch(`${emu.url}/cgi-bin/get_api_domain_ip?access_token=${encodeURIComponent(token)}`);
  return ((await res.json()) as { errcode?: number }).errcode ?? 0;
}

test('instances diverge after a database blip: after the deferred saves both hand out the newer token', async () => {
  const shared = new MemoryTokenStore();
  const a = blippingStore(shared);
  const b = blippingStore(shared);
  const log = recordingLogger();
  const opts = { tokenMode: 'classic' as const, saveRetryBaseMs: 20, saveRetryMaxMs: 100, logger: log };
  const A = tracker.track(wechatOn(emu, { ...opts, store: a.store }));
  const B = tracker.track(wechatOn(emu, { ...opts, store: b.store }));

  // The blip: A refreshes, its save fails; B finds nothing stored and refreshes on its own.
  const tokenA = (await A.fetchAccessToken()).access_token;
  const tokenB = (await B.fetchAccessToken()).access_token;
  assert.notEqual(tokenA, tokenB, 'two refreshes: the classic token of B supersedes A');
  assert.equal(tokenCalls(emu), 2);
  assert.ok(a.failedSaves >= 1 && b.failedSaves >= 1, 'both saves failed');

  // Back: B's retry lands first, then A's older token, which the store does not take over B's (it
  // keeps the later fetched_at). A's re-read right after its own save then finds B's token: the order
  // is fixed by the test, so it does not depend on when the re-reads fall (on a loaded machine a save
  // landing late could miss another instance's re-read window).
  b.down = false;
  await until(() => b.saved.length > 0, { what: "B's deferred save" });
  a.down = false;
  await until(() => a.saved.length > 0, { what: "A's deferred save" });
  assert.equal(shared.get(APPID)?.access_token, tokenB, 'the store holds the newer token');

  // Both converge on B's token without another token call.
  await until(async () => (await A.fetchAccessToken()).access_token === tokenB, { what: 'A takes the newer stored token' });
  assert.equal((await B.fetchAccessToken()).access_token, tokenB);
  assert.ok(log.byEvent('token.converged').length > 0, 'the adoption is logged');

  // Five minutes on, WeChat rejects the superseded token; neither instance hands it out any more.
  emu.advanceClock(301);
  assert.equal(await errcodeOf(tokenA), 40001, 'the older token is rejected now');
  assert.equal(await errcodeOf(tokenB), 0);
  assert.deepEqual(await A.domain.getApiDomainIp().then((l) => l.length > 0), true);
  assert.equal((await A.fetchAccessToken()).access_token, (await B.fetchAccessToken()).access_token, 'both hand out the same token');
  assert.equal(tokenCalls(emu), 2, 'no refresh was needed to get there');
});
