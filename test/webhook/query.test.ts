import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWebhookQuery } from '../../src/webhook/query.js';

test('parseWebhookQuery reads the six values, decodes them, ignores the rest', () => {
  const q = parseWebhookQuery('signature=abc&timestamp=1714112445&nonce=42&openid=o1&echostr=a%2Bb+c&encrypt_type=aes&msg_signature=def&x=1');
  assert.deepEqual(q, { signature: 'abc', timestamp: '1714112445', nonce: '42', echostr: 'a+b c', encrypt_type: 'aes', msg_signature: 'def' });
});

test('parseWebhookQuery treats repeated, empty and undecodable values as missing', () => {
  assert.equal(parseWebhookQuery('signature=a&signature=b').signature, undefined);
  assert.equal(parseWebhookQuery('signature=a&signature=b&signature=a').signature, undefined);
  assert.equal(parseWebhookQuery('signature=&nonce=1').signature, undefined);
  assert.equal(parseWebhookQuery('signature=%E0%A4%A').signature, undefined);
  assert.equal(parseWebhookQuery('signature').signature, undefined);
  assert.equal(parseWebhookQuery('__proto__=x&constructor=y').signature, undefined);
  assert.deepEqual(parseWebhookQuery(''), parseWebhookQuery('&&&='));
});
