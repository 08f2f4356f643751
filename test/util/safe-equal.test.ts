import { test } from 'node:test';
import assert from 'node:assert/strict';
import { digestEqual, safeEqual } from '../../src/util/safe-equal.js';

test('digestEqual (hot path, fixed-length digests) and safeEqual (secrets of any length) agree with ===', () => {
  assert.ok(digestEqual('a'.repeat(40), 'a'.repeat(40)));
  assert.ok(!digestEqual('a'.repeat(40), `${'a'.repeat(39)}b`));
  assert.ok(!digestEqual(`b${'a'.repeat(39)}`, 'a'.repeat(40)));
  assert.ok(!digestEqual('abc', 'abcd'));
  assert.ok(safeEqual('secret', 'secret') && !safeEqual('secret', 'secreT') && !safeEqual('s', 'secret'));
});
