/**
 * The MongoDB URI description that start-up and connection logs carry: hosts and database only,
 * never a credential, whatever the password holds (fuzzed with fast-check).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describeMongoUri, UNPARSEABLE_URI } from '../../src/db/mongo.js';

const passwordChar = fc.constantFrom(...'aZ9/@:?#%[]!$&\'()*+,;= ~.-_'.split(''), 'é', '中');
const password = fc.string({ unit: passwordChar, minLength: 1, maxLength: 24 });
const user = fc.string({ unit: fc.constantFrom(...'admin/@:%?'.split('')), minLength: 1, maxLength: 8 });
const host = fc.constantFrom('db.example.com', 'h1:27017,h2:27018', '[::1]:27017', '127.0.0.1');
const db = fc.constantFrom('', '/', '/wechat', '/wechat?replicaSet=rs0&authSource=admin', '?tls=true');
const expected = (h: string, d: string) => `${h}${/^\/[^?]/.test(d) ? d.replace(/\?.*$/, '') : ''}`;

test('hardening: a MongoDB password holding an unescaped / or @ does not reach the logs', () => {
  // The shapes the adversarial run found logged verbatim.
  for (const uri of ['mongodb://admin:Pa55/wordXYZ@db.example.com/wechat', 'mongodb://admin:Pa55@wordXYZ@db.example.com/wechat', 'mongodb+srv://admin:a/b@c@cluster0.example.net/x']) {
    const out = describeMongoUri(uri);
    assert.ok(!out.includes('Pa55') && !out.includes('wordXYZ') && !out.includes('a/b'), out);
    assert.equal(out, UNPARSEABLE_URI);
  }
});

test('hardening: fuzzed credentials never appear in a MongoDB URI description', () => {
  fc.assert(
    fc.property(user, password, host, db, (u, p, h, d) => {
      const raw = describeMongoUri(`mongodb://${u}:${p}@${h}${d}`);
      // Written as typed: either the exact hosts/database, or "unparseable" when in doubt.
      assert.ok(raw === expected(h, d) || raw === UNPARSEABLE_URI, `${raw} for password ${p}`);
      // Percent-encoded as the driver asks: always described, and described exactly.
      const encoded = describeMongoUri(`mongodb://${encodeURIComponent(u)}:${encodeURIComponent(p)}@${h}${d}`);
      assert.equal(encoded, expected(h, d));
    }),
    { numRuns: 2000, seed: 20_240_611 },
  );
});

test('a URI without credentials is described by hosts and database', () => {
  assert.equal(describeMongoUri('mongodb://localhost:27017/wechat?w=majority'), 'localhost:27017/wechat');
  assert.equal(describeMongoUri('not a uri'), UNPARSEABLE_URI);
});
