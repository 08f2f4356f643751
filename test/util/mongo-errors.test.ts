/** isDuplicateKey against the real server's unique-index violation (the MongoDB wire server of the test run). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { isDuplicateKey } from '../../src/util/mongo-errors.js';
import { useTestDatabase, type TestDatabase } from '../support/test-db.js';

let db: TestDatabase;
before(async () => {
  db = await useTestDatabase(import.meta.url);
});
after(async () => {
  await db?.cleanup();
});

test('a second insert of a unique key is recognised; other failures are not', async () => {
  const Thing = db.connection.model('UniqueThing', new mongoose.Schema({ key: { type: String, required: true, unique: true } }));
  await Thing.init();
  await Thing.create({ key: 'a' });
  const err = await Thing.create({ key: 'a' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.equal(isDuplicateKey(err), true, `the server's duplicate-key error: ${String(err)}`);
  const invalid = await Thing.create({}).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(invalid instanceof Error);
  assert.equal(isDuplicateKey(invalid), false, 'a validation error is not a duplicate key');
});

test('shapes: only code 11000 counts', () => {
  assert.equal(isDuplicateKey({ code: 11000 }), true);
  assert.equal(isDuplicateKey({ code: 11001 }), false);
  assert.equal(isDuplicateKey(null), false);
  assert.equal(isDuplicateKey('11000'), false);
});
