/** The one backoff formula. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs } from '../../src/util/backoff.js';

test('doubles from the base up to the cap without jitter', () => {
  const o = { baseMs: 100, maxMs: 1000, jitter: false };
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((r) => backoffMs(r, o)), [100, 200, 400, 800, 1000, 1000]);
  assert.equal(backoffMs(10_000, o), 1000, 'huge retry numbers stay finite and capped');
});

test('equal jitter: between half the step and the step', () => {
  const o = (random: () => number) => ({ baseMs: 100, maxMs: 1000, random });
  assert.equal(backoffMs(3, o(() => 0)), 200);
  assert.equal(backoffMs(3, o(() => 0.5)), 300);
  assert.ok(backoffMs(3, o(() => 0.999)) < 400);
});
