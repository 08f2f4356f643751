import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { useTestDatabase, type TestDatabase } from './support/test-db.js';

let db: TestDatabase;
before(async () => {
  db = await useTestDatabase(import.meta.url);
  process.stderr.write(`[test-db] db-harness test uses ${db.server.description}, database ${db.dbName}\n`);
});
after(async () => {
  await db?.cleanup();
});

const thingSchema = new mongoose.Schema({ key: { type: String, required: true, unique: true }, n: Number });

test('a Mongoose model round-trips a document', async () => {
  const Thing = db.connection.model('Thing', thingSchema);
  await Thing.init();
  await Thing.create({ key: 'a', n: 1 });
  const found = await Thing.findOne({ key: 'a' }).lean();
  assert.equal(found?.n, 1);
  const updated = await Thing.findOneAndUpdate({ key: 'a' }, { $inc: { n: 41 } }, { new: true }).lean();
  assert.equal(updated?.n, 42);
});

test('a unique-index violation surfaces as E11000', async () => {
  const Thing = db.connection.model('Thing');
  await assert.rejects(Thing.create({ key: 'a', n: 2 }), (err: unknown) => {
    const e = err as { code?: number; message?: string };
    return e.code === 11000 && /E11000/.test(e.message ?? '');
  });
});
