/**
 * The tutorials' path as README shows it: examples/tutorial.ts run as a program against the emulator
 * and the test MongoDB; the Token model's statics passed as the Wechat callbacks; its expiry check;
 * a document in the tutorials' shape converted or reported, never silently dropped.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startEmulator, SANDBOX_APP, type Emulator } from '../../src/emulator/index.js';
import { Wechat, getTokenModel, type StoredToken } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-db.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TSX = import.meta.resolve('tsx');
let emulator: Emulator;
let db: TestDatabase;
before(async () => {
  emulator = await startEmulator();
  db = await useTestDatabase(import.meta.url);
});
after(async () => {
  await emulator?.close();
  await db?.cleanup();
});

function runExample(): Promise<{ code: number | null; out: string }> {
  const env = { ...process.env, MONGODB_URI: db.uri, WECHAT_APP_ID: SANDBOX_APP.appId, WECHAT_APP_SECRET: SANDBOX_APP.secret, WECHAT_API_BASE: emulator.url };
  const child = spawn(process.execPath, ['--import', TSX, 'examples/tutorial.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

test('examples/tutorial.ts fetches once, stores through Token, and the second run reads the store', async () => {
  const first = await runExample();
  assert.equal(first.code, 0, first.out);
  assert.match(first.out, /stored and valid: true/);
  const second = await runExample();
  assert.equal(second.code, 0, second.out);
  const calls = emulator.stats()[SANDBOX_APP.appId];
  assert.equal((calls?.token ?? 0) + (calls?.stable_token ?? 0), 1, 'one token request across both runs');
  const doc = await db.connection.collection('tokens').findOne({ appid: SANDBOX_APP.appId });
  assert.ok(doc?.meta?.createdAt instanceof Date && doc.meta.updatedAt instanceof Date, 'pre-save timestamps');
});

test("README's tutorial block is the example's code", () => {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const code = readFileSync(`${root}examples/tutorial.ts`, 'utf8');
  const block = /```ts\n(import mongoose[\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'README has the tutorial block');
  assert.ok(code.includes(block), 'README block appears verbatim in examples/tutorial.ts');
});

test('Token.isValid honours the skew, and the manager uses the same check', async () => {
  const Token = getTokenModel(db.connection);
  const now = Date.now();
  const soon: StoredToken = { access_token: 'x', expires_at: now + 10_000, fetched_at: now };
  assert.equal(Token.isValid(soon), false, 'inside the 30 s skew');
  assert.equal(Token.isValid({ ...soon, expires_at: now + 60_000 }), true);
  assert.equal(Token.isValid(soon, { skewMs: 0 }), true);
  assert.equal(Token.isValid(null), false);
  // A stored token inside the skew is not handed out: a new one is fetched.
  const seen: string[] = [];
  const wechat = new Wechat({
    appID: SANDBOX_APP.appId,
    appSecret: SANDBOX_APP.secret,
    apiBase: emulator.url,
    getAccessToken: (appId) => (seen.push(appId), soon),
    saveAccessToken: () => {},
  });
  const got = await wechat.fetchAccessToken();
  await wechat.close();
  assert.notEqual(got.access_token, 'x');
  assert.ok(Token.isValid(got));
  assert.deepEqual([...new Set(seen)], [SANDBOX_APP.appId], 'getAccessToken is given the AppID');
});

test("a document in the tutorials' shape is converted, one that cannot be is reported once", async () => {
  const Token = getTokenModel(db.connection);
  const warnings: string[] = [];
  const onWarning = (w: Error & { code?: string }) => w.code === 'WMP_TOKEN_LEGACY_DOCUMENT' && warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    const tokens = db.connection.collection('tokens');
    const expires = Date.now() + 3600_000;
    await tokens.insertOne({ appid: 'wxlegacy00000001', access_token: 'LEGACY', expires_in: expires, meta: { updateAt: new Date() } });
    await tokens.insertOne({ appid: 'wxlegacy00000002', access_token: 'BROKEN', expires_in: 7200 });
    const converted = await Token.getAccessToken('wxlegacy00000001');
    assert.equal(converted?.access_token, 'LEGACY');
    assert.equal(converted?.expires_at, expires);
    assert.equal(await Token.getAccessToken('wxlegacy00000002'), null);
    assert.equal(await Token.getAccessToken('wxlegacy00000002'), null);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings[0]!, /read by converting it/);
    assert.match(warnings[1]!, /cannot be read \(its expires_in \(7200\) is relative/);
    // The next save writes the current shape and drops the old fields.
    const { saveAccessToken } = Token;
    await saveAccessToken({ appid: 'wxlegacy00000002', access_token: 'NEW', expires_at: expires, fetched_at: Date.now() });
    const doc = await tokens.findOne({ appid: 'wxlegacy00000002' });
    assert.equal(doc?.token, 'NEW');
    assert.equal(doc?.access_token, undefined);
    assert.equal(doc?.expires_in, undefined);
  } finally {
    process.off('warning', onWarning);
  }
});
