import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, WechatMpError } from '../src/errors.js';

test('docs/errors.md documents exactly the codes of the registry', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Set([...doc.matchAll(/^\|\s*`(WMP_ERR_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]));
  const registered = new Set(Object.keys(ERROR_CODES));
  assert.deepEqual([...documented].sort(), [...registered].sort());
});

test('WechatMpError carries its code', () => {
  const e = new WechatMpError('WMP_ERR_XML', 'bad');
  assert.equal(e.code, 'WMP_ERR_XML');
  assert.ok(e instanceof Error);
});
