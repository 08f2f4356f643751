/** Option checks: undefined passes (so a default applies), a bad value names the option, never the value. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidOptionError } from '../../src/errors.js';
import { checkBoolean, checkFunction, checkHttpUrl, checkInteger, checkNumber, checkOneOf, checkPositive, checkString } from '../../src/util/validate.js';

const rejects = (fn: () => unknown, option: string, expected: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof InvalidOptionError && e.option === option && expected.test(e.message));

test('undefined passes through; good values come back', () => {
  assert.equal(checkInteger('n', undefined, { min: 1 }) ?? 7, 7);
  assert.equal(checkInteger('n', 3, { min: 1, max: 5 }), 3);
  assert.equal(checkNumber('x', 0.5, { min: 0, max: 1 }), 0.5);
  assert.equal(checkPositive('ms', 1), 1);
  assert.equal(checkBoolean('b', false), false);
  assert.equal(checkString('s', 'abc', 'abc', /^[a-c]+$/), 'abc');
  assert.equal(checkOneOf('mode', 'safe', ['plain', 'safe'] as const), 'safe');
  assert.equal(checkHttpUrl('url', 'https://example.com/x')?.pathname, '/x');
  const f = () => 1;
  assert.equal(checkFunction('now', f), f);
});

test('bad values throw InvalidOptionError naming the option and the expectation', () => {
  rejects(() => checkInteger('retry.attempts', 0, { min: 1, max: 10 }), 'retry.attempts', /an integer from 1 to 10/);
  rejects(() => checkInteger('maxEntries', 1.5, { min: 2 }), 'maxEntries', /an integer of at least 2/);
  rejects(() => checkNumber('leaseTtlMs', Number.NaN, { min: 1, max: 10, unit: 'ms' }), 'leaseTtlMs', /a number from 1 to 10 ms/);
  rejects(() => checkPositive('operationTimeoutMs', -1, 'ms'), 'operationTimeoutMs', /a positive number of ms/);
  rejects(() => checkBoolean('flag', 'yes'), 'flag', /a boolean/);
  rejects(() => checkFunction('now', 5 as never, 'a function returning ms'), 'now', /a function returning ms/);
  rejects(() => checkString('token', '', 'the webhook Token'), 'token', /the webhook Token/);
  rejects(() => checkOneOf('mode', 'fast', ['plain', 'compatible', 'safe']), 'mode', /'plain', 'compatible' or 'safe'/);
  rejects(() => checkHttpUrl('apiBase', 'ftp://x'), 'apiBase', /absolute http\(s\) URL/);
  rejects(() => checkHttpUrl('apiBase', 'not a url'), 'apiBase', /absolute http\(s\) URL/);
});

test('a secret value never appears in the message', () => {
  const secret = 'S3cretValueThatMustNotLeak';
  assert.throws(() => checkString('appSecret', secret, 'the AppSecret', /^x$/), (e: unknown) => e instanceof Error && !e.message.includes(secret));
});
