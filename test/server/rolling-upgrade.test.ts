/**
 * A rolling upgrade on one MongoDB database: the previous release's token document and indexes
 * (built as that release built them: a unique index on `appid` in `tokens` and `token_leases`)
 * shared by a reader doing what the previous release did (a `tokens` read by `appid`) and a new
 * service instance that also stores jsapi tickets.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { loadConfig } from '../../config/index.js';
import { createApp, type WechatApp } from '../../src/server/app.js';
import { startEmulator, SANDBOX_APP, type Emulator } from '../../src/emulator/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-db.js';

let emulator: Emulator;
let db: TestDatabase;
let app: WechatApp | undefined;

before(async () => {
  emulator = await startEmulator();
  db = await useTestDatabase(import.meta.url);
});
after(async () => {
  await app?.close(0);
  await db?.cleanup();
  await emulator?.close();
});

/** What the previous release's `Token.getAccessToken(appid)` did. */
async function oldRead(appid: string) {
  const d = db.connection.db;
  assert.ok(d);
  return d.collection('tokens').findOne({ appid }, { projection: { token: 1, expiresAt: 1, fetchedAt: 1 } });
}

test('an old instance keeps reading its token document and never a ticket while a new instance reads that token and stores tickets beside it', async () => {
  const d = db.connection.db;
  assert.ok(d);
  // The previous release: unique indexes on appid (schema `unique: true`, created on first use), one document per app.
  await d.collection('tokens').createIndex({ appid: 1 }, { unique: true });
  await d.collection('token_leases').createIndex({ appid: 1 }, { unique: true });
  const issued = (await (await fetch(`${emulator.url}/cgi-bin/token?grant_type=client_credential&appid=${SANDBOX_APP.appId}&secret=${SANDBOX_APP.secret}`)).json()) as { access_token: string; expires_in: number };
  const at = new Date();
  await d.collection('tokens').insertOne({
    appid: SANDBOX_APP.appId,
    token: issued.access_token,
    expiresAt: new Date(at.getTime() + issued.expires_in * 1000),
    fetchedAt: at,
    meta: { createdAt: at, updatedAt: at },
    __v: 0,
  });
  const tokenCallsBefore = emulator.stats()[SANDBOX_APP.appId]?.token ?? 0;

  const config = loadConfig({
    dotenvPath: false,
    env: {
      WECHAT_APP_ID: SANDBOX_APP.appId,
      WECHAT_APP_SECRET: SANDBOX_APP.secret,
      WECHAT_TOKEN: SANDBOX_APP.token,
      WECHAT_API_BASE: emulator.url,
      TOKEN_STORE: 'mongo',
      MONGODB_URI: db.uri,
      JSSDK_ALLOWED_ORIGINS: 'https://h5.example.com',
    },
  });
  app = createApp(config, undefined, { mongo: db.connection, processMetrics: false });
  // The new instance reads the old document: no token call upstream.
  assert.equal((await app.wechat.fetchAccessToken()).access_token, issued.access_token);
  await request(app.callback()).get('/jssdk/config').query({ url: 'https://h5.example.com/page' }).expect(200);
  assert.equal(emulator.stats()[SANDBOX_APP.appId]?.token ?? 0, tokenCallsBefore);

  // A ticket document now sits in the same collection...
  const all = await d.collection('tokens').find({}).toArray();
  assert.ok(all.length >= 2, 'the new instance stored its ticket');
  const ticket = emulator.tickets(SANDBOX_APP.appId).jsapi.current?.ticket;
  assert.ok(ticket && all.some((doc) => JSON.stringify(doc).includes(ticket)), 'the stored ticket is the issued one');
  // ...and the old reader still finds exactly its token document, never the ticket.
  const old = await oldRead(SANDBOX_APP.appId);
  assert.ok(old);
  assert.equal(old.token, issued.access_token);
  assert.ok(old.expiresAt instanceof Date && old.expiresAt.getTime() > Date.now());
  assert.equal(await d.collection('tokens').countDocuments({ appid: SANDBOX_APP.appId }), 1);
  assert.ok(!JSON.stringify(old).includes(ticket));
  // The previous release's indexes are still there and unique.
  const indexes = await d.collection('tokens').indexes();
  assert.ok(indexes.some((i) => i.key.appid === 1 && i.unique === true));
});
