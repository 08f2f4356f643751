/** The one timeout race, on the fake clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TIMED_OUT, withTimeout } from '../../src/util/timeout.js';
import { FakeClock } from '../support/fake-clock.js';
import { deferred } from '../support/deferred.js';

test('work that settles first wins, and its timer is cleared', async () => {
  const clock = new FakeClock();
  const work = deferred<string>();
  const raced = withTimeout(work.promise, 1000, { timers: clock });
  assert.equal(clock.pending.length, 1);
  work.resolve('done');
  assert.equal(await raced, 'done');
  assert.equal(clock.pending.length, 0, 'timer cleared');
});

test('a rejection before the timeout rejects; the timer is cleared', async () => {
  const clock = new FakeClock();
  const raced = withTimeout(Promise.reject(new Error('boom')), 1000, { timers: clock });
  await assert.rejects(raced, /boom/);
  assert.equal(clock.pending.length, 0);
});

test('the timeout resolves TIMED_OUT at its due time, not before; a late rejection is ignored', async () => {
  const clock = new FakeClock();
  const work = deferred<string>();
  let result: unknown;
  void withTimeout(work.promise, 1000, { timers: clock }).then((r) => (result = r));
  await clock.advance(999);
  assert.equal(result, undefined);
  await clock.advance(1);
  assert.equal(result, TIMED_OUT);
  work.reject(new Error('late'));
});

test('ms <= 0 resolves TIMED_OUT at once without a timer', async () => {
  const clock = new FakeClock();
  assert.equal(await withTimeout(new Promise(() => {}), 0, { timers: clock }), TIMED_OUT);
  assert.equal(clock.pending.length, 0);
});

test('the fake clock runs due timers in due order, including ones set while advancing', async () => {
  const clock = new FakeClock(0);
  const order: string[] = [];
  clock.setTimeout(() => order.push(`b@${clock.now()}`), 20);
  clock.setTimeout(() => {
    order.push(`a@${clock.now()}`);
    clock.setTimeout(() => order.push(`c@${clock.now()}`), 5);
  }, 10);
  const cancelled = clock.setTimeout(() => order.push('never'), 12);
  clock.clearTimeout(cancelled);
  await clock.advance(30);
  assert.deepEqual(order, ['a@10', 'c@15', 'b@20']);
  assert.equal(clock.now(), 30);
});
