/**
 * The re-reads after a deferred save (src/token/store-rereads.ts): read now and at doubling delays
 * capped at the longest, for the time given; a new start or stop ends the chain before it, including
 * a read still in flight; a throwing `consider` is reported and the chain goes on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreRereads } from '../../src/token/store-rereads.js';
import type { Credential } from '../../src/token/types.js';
import { FakeClock } from '../support/fake-clock.js';
import { deferred } from '../support/deferred.js';

const credential = (value: string): Credential => ({ value, expiresAt: Date.now() + 7_200_000, fetchedAt: Date.now() });

test('reads now, then at 100, 200, 400, 400 ms for 1,100 ms more, and hands each answer over', async () => {
  const clock = new FakeClock();
  const start = clock.now();
  const readsAt: number[] = [];
  const seen: (string | undefined)[] = [];
  const rereads = new StoreRereads({
    timers: clock,
    read: async () => {
      readsAt.push(clock.now() - start);
      return credential(`t${readsAt.length}`);
    },
    consider: (c) => seen.push(c?.value),
    onError: (err) => assert.fail(String(err)),
    firstDelayMs: 100,
    maxDelayMs: 400,
  });
  rereads.start(1_100);
  await clock.advance(0); // the first read answers
  for (let i = 0; i < 10; i++) await clock.advance(500);
  assert.deepEqual(readsAt, [0, 100, 300, 700, 1_100]);
  assert.deepEqual(seen, ['t1', 't2', 't3', 't4', 't5']);
  assert.equal(clock.pending.length, 0, 'nothing left scheduled');
});

test('stop() ends the chain: no timer left, and a read in flight is ignored when it answers', async () => {
  const clock = new FakeClock();
  const answer = deferred<Credential | null>();
  let reads = 0;
  const seen: string[] = [];
  const rereads = new StoreRereads({
    timers: clock,
    read: () => {
      reads++;
      return reads === 1 ? Promise.resolve(credential('first')) : answer.promise;
    },
    consider: (c) => seen.push(c!.value),
    onError: (err) => assert.fail(String(err)),
    firstDelayMs: 100,
    maxDelayMs: 400,
  });
  rereads.start(10_000);
  await clock.advance(0); // the first read answers
  await clock.advance(100); // the second read starts and hangs
  assert.equal(reads, 2);
  rereads.stop();
  answer.resolve(credential('late'));
  await clock.advance(10_000);
  assert.deepEqual(seen, ['first']);
  assert.equal(reads, 2);
  assert.equal(clock.pending.length, 0);
});

test('a new start ends the chain before it; a throwing consider is reported and the chain goes on', async () => {
  const clock = new FakeClock();
  const errors: unknown[] = [];
  let reads = 0;
  const rereads = new StoreRereads({
    timers: clock,
    read: async () => {
      reads++;
      return null;
    },
    consider: () => {
      throw new Error('present() failed');
    },
    onError: (err) => errors.push(err),
    firstDelayMs: 100,
    maxDelayMs: 100,
  });
  rereads.start(1_000);
  await clock.advance(0);
  rereads.start(200); // the first chain ends; this one reads at 0, 100, 200
  for (let i = 0; i < 20; i++) await clock.advance(100);
  assert.equal(reads, 1 + 3);
  assert.equal(errors.length, 4);
  assert.match(String(errors[0]), /present\(\) failed/);
  assert.equal(clock.pending.length, 0);
});
