import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { MongoTokenStore } from '../../src/token/mongo-token-store.js';
import { useTestDatabase, type TestDatabase } from '../support/test-db.js';

let db: TestDatabase | undefined;
const opened: mongoose.Connection[] = [];
after(async () => {
  await Promise.all(opened.map((c) => c.close(true).catch(() => {})));
  await db?.cleanup();
});

interface Sent {
  name: string;
  collection: unknown;
  command: Record<string, unknown>;
}

test('token and lease reads ask for the primary and writes for a majority although the URI says secondaryPreferred and w=1', async () => {
  db = await useTestDatabase(import.meta.url);
  const uri = new URL(db.uri);
  uri.searchParams.set('readPreference', 'secondaryPreferred');
  uri.searchParams.set('w', '1');
  const connection = mongoose.createConnection(uri.toString(), { serverSelectionTimeoutMS: 10_000, monitorCommands: true });
  opened.push(connection);
  await connection.asPromise();
  const sent: Sent[] = [];
  connection.getClient().on('commandStarted', (e) => {
    const command = e.command as Record<string, unknown>;
    sent.push({ name: e.commandName, collection: command[e.commandName], command });
  });

  // A standalone server (as in these tests) gets no $readPreference on the wire whatever the mode, so
  // reads are checked at the driver's door: the read preference each find is handed.
  const handed: { collection: string; mode: unknown }[] = [];
  const proto = mongoose.mongo.Collection.prototype;
  const originalFind = proto.find;
  const originalFindOne = proto.findOne;
  const record = (c: mongoose.mongo.Collection, options: unknown) => {
    const pref = (options as { readPreference?: unknown } | undefined)?.readPreference;
    handed.push({ collection: c.collectionName, mode: typeof pref === 'string' ? pref : (pref as { mode?: string } | undefined)?.mode });
  };
  proto.find = function (this: mongoose.mongo.Collection, ...args: unknown[]) {
    record(this, args[1]);
    return (originalFind as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof proto.find;
  proto.findOne = function (this: mongoose.mongo.Collection, ...args: unknown[]) {
    record(this, args[1]);
    return (originalFindOne as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof proto.findOne;
  after(() => {
    proto.find = originalFind;
    proto.findOne = originalFindOne;
  });

  const store = new MongoTokenStore(connection);
  const appId = 'wxreplicaconcerns1';
  const now = Date.now();
  await store.save(appId, { access_token: 'CONCERN_TOKEN_1', expires_at: now + 7_200_000, fetched_at: now });
  await store.save(appId, { access_token: 'CONCERN_TOKEN_2', expires_at: now + 7_200_000, fetched_at: now + 1 });
  assert.equal((await store.get(appId))?.access_token, 'CONCERN_TOKEN_2');
  assert.equal(await store.acquireLease(appId, { owner: 'a', now, ttlMs: 30_000 }), true);
  assert.equal(await store.acquireLease(appId, { owner: 'a', now, ttlMs: 30_000 }), true); // renewal: updateOne
  await store.releaseLease(appId, 'a');
  assert.equal(await store.invalidate(appId, 'CONCERN_TOKEN_2'), true);

  const ours = sent.filter((s) => s.collection === 'tokens' || s.collection === 'token_leases');
  const reads = ours.filter((s) => s.name === 'find');
  const writes = ours.filter((s) => ['insert', 'update', 'delete', 'findAndModify'].includes(s.name));
  // Every kind of operation the store uses was seen, on both collections.
  assert.deepEqual(new Set(reads.map((s) => s.collection)), new Set(['tokens', 'token_leases']));
  assert.deepEqual(new Set(writes.map((s) => s.name)), new Set(['insert', 'update', 'delete', 'findAndModify']));

  // The URI's read preference is in force on this connection...
  assert.equal(connection.getClient().readPreference.mode, 'secondaryPreferred');
  assert.ok(!writes.some((w) => (w.command.writeConcern as { w?: unknown } | undefined)?.w === 1));
  // ...but every token and lease read is handed primary.
  const ourReads = handed.filter((h) => h.collection === 'tokens' || h.collection === 'token_leases');
  assert.deepEqual(new Set(ourReads.map((h) => h.collection)), new Set(['tokens', 'token_leases']));
  for (const r of ourReads) assert.equal(r.mode, 'primary', `a read of ${r.collection}`);
  // Nor does the wire carry a secondary read preference for them.
  for (const r of reads) {
    const pref = r.command.$readPreference as { mode?: string } | undefined;
    assert.ok(pref === undefined || pref.mode === 'primary', `${r.name} on ${String(r.collection)} sent ${JSON.stringify(pref)}`);
  }
  for (const w of writes) {
    assert.deepEqual(w.command.writeConcern, { w: 'majority' }, `${w.name} on ${String(w.collection)}`);
  }
});
