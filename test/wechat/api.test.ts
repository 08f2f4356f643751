/**
 * Token-authenticated API calls against the emulator: parsed JSON with exact 64-bit ids, typed
 * errcodes, and the one-shot recovery on 40001/40014/42001 (compare-and-invalidate, one refresh,
 * exactly one retry), including three instances on one MongoDB seeing the same rejection.
 */
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulator } from '../../src/emulator/index.js';
import { MongoTokenStore } from '../../src/token/mongo-token-store.js';
import type { StoredToken } from '../../src/token/types.js';
import { API_AREAS } from '../../src/wechat/api/index.js';
import { WechatApiError } from '../../src/wechat/errors.js';
import { parseJsonLossless } from '../../src/wechat/lossless-json.js';
import { ForceRefreshBudget } from '../../src/wechat/token-endpoint.js';
import type { Wechat } from '../../src/wechat/client.js';
import { WechatMpError } from '../../src/errors.js';
import { useTestDatabase, type TestDatabase } from '../support/test-db.js';
import { recordingLogger } from '../support/recording-logger.js';
import { APPID, SECRET, errorText, startEmu, wechatOn, wechatTracker } from './support/harness.js';

let emu: Emulator;
let db: TestDatabase;
const { track, closeAll } = wechatTracker();
before(async () => {
  emu = await startEmu();
  db = await useTestDatabase(import.meta.url);
});
beforeEach(async () => {
  emu.reset();
  await db.connection.dropDatabase();
});
after(async () => {
  await closeAll();
  await emu.close();
  await db.cleanup();
});

const stats = () => emu.stats()[APPID]!;

/** Rotate the classic token behind our back (another client of the same account), then let the grace pass. */
async function rotateClassicBehindOurBack(): Promise<void> {
  const res = await fetch(`${emu.url}/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}`);
  assert.ok(((await res.json()) as { access_token?: string }).access_token);
  emu.advanceClock(301);
}

describe('lossless JSON', () => {
  test('integers above 2^53 come back as exact strings; everything else as JSON.parse gives it', () => {
    const text = '{"msgid":3147483648123456789,"n":-9007199254740993,"safe":9007199254740991,"f":1.5e300,"s":"12345678901234567890","a":[18446744073709551615,1],"e":"\\"9999999999999999999"}';
    assert.deepEqual(parseJsonLossless(text), {
      msgid: '3147483648123456789',
      n: '-9007199254740993',
      safe: 9007199254740991,
      f: 1.5e300,
      s: '12345678901234567890',
      a: ['18446744073709551615', 1],
      e: '"9999999999999999999',
    });
    assert.deepEqual(parseJsonLossless('{"ip_list":["1.2.3.4"]}'), { ip_list: ['1.2.3.4'] });
    assert.throws(() => parseJsonLossless('{"a":1'), SyntaxError);
  });
});

describe('API calls', () => {
  test('request() adds the token and returns parsed JSON; the API areas work', async () => {
    const w = track(wechatOn(emu));
    const ips = await w.domain.getApiDomainIp();
    assert.ok(ips.length > 0 && ips.every((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip)));
    assert.equal(await w.menu.get(), null, 'no menu yet (46003)');
    await w.menu.create({ button: [{ type: 'click', name: 'Hello', key: 'HELLO' }] });
    const menu = await w.menu.get();
    assert.equal(menu?.menu.button[0]?.key, 'HELLO');
    const raw = await w.request<{ ip_list: string[] }>('GET', '/cgi-bin/getcallbackip');
    assert.ok(Array.isArray(raw.ip_list));
    assert.equal(stats().stable_token, 1);
  });

  test('every registered API area is mounted on the client, frozen', () => {
    const w = track(wechatOn(emu)) as unknown as Record<string, unknown>;
    for (const name of Object.keys(API_AREAS)) {
      assert.equal(typeof w[name], 'object', name);
      assert.ok(Object.isFrozen(w[name]), name);
    }
  });

  test('the deprecated one-level methods call the same APIs', async () => {
    const w = track(wechatOn(emu));
    assert.deepEqual(await w.getApiDomainIp(), await w.domain.getApiDomainIp());
    assert.equal(await w.getMenu(), null);
    await w.createMenu({ button: [{ type: 'click', name: 'Hi', key: 'HI' }] });
    assert.equal((await w.menu.get())?.menu.button[0]?.key, 'HI');
    assert.equal(typeof (await w.sendCustomMessage({ touser: 'oUSER000000000000000000001', msgtype: 'text', text: { content: 'x' } })).msgid, 'string');
    assert.equal(w.appID, w.appId);
  });

  test('message.sendCustom returns the 64-bit msgid exactly, as a string', async () => {
    const w = track(wechatOn(emu));
    const res = await w.message.sendCustom({ touser: 'oUSER000000000000000000001', msgtype: 'text', text: { content: 'hello' } });
    const sent = emu.messages();
    assert.equal(sent.length, 1);
    assert.equal(typeof res.msgid, 'string');
    assert.equal(res.msgid, sent[0]!.msgid);
    assert.ok(BigInt(res.msgid!) > 2n ** 53n, 'above 2^53, where JSON.parse would round it');
  });

  test('a non-zero errcode is a WechatApiError with errcode, errmsg and endpoint, and no token in it', async () => {
    const w = track(wechatOn(emu));
    const token = (await w.fetchAccessToken()).access_token;
    emu.injectFault({ appId: APPID, endpoint: 'api', kind: 'errcode', errcode: 48001, count: 1 });
    const err = await w.domain.getApiDomainIp().then(() => assert.fail('resolved'), (e: unknown) => e);
    assert.ok(err instanceof WechatApiError);
    assert.equal(err.code, 'WMP_ERR_WECHAT_API');
    assert.equal(err.errcode, 48001);
    assert.equal(err.endpoint, '/cgi-bin/get_api_domain_ip');
    assert.ok(err.errmsg.length > 0);
    assert.ok(!errorText(err).includes(token) && !errorText(err).includes(SECRET));
  });

  test('POSTs are not retried on transient failures by default (a message could be sent twice); GETs are', async () => {
    const w = track(wechatOn(emu));
    await w.fetchAccessToken();
    emu.injectFault({ appId: APPID, endpoint: 'api', kind: 'http', status: 502, count: 1 });
    await assert.rejects(w.message.sendCustom({ touser: 'oUSER1', msgtype: 'text', text: { content: 'x' } }), (e: unknown) => (e as { code?: string }).code === 'WMP_ERR_UPSTREAM');
    assert.equal(emu.messages().length, 0);
    emu.injectFault({ appId: APPID, endpoint: 'api', kind: 'http', status: 502, count: 1 });
    assert.ok((await w.domain.getApiDomainIp()).length > 0);
  });
});

describe('recovery from a rejected token', () => {
  test('token rotated behind our back: 40001, one refresh, the call succeeds', async () => {
    const w = track(wechatOn(emu, { tokenMode: 'classic' }));
    const before = await w.fetchAccessToken();
    await rotateClassicBehindOurBack();
    const ips = await w.domain.getApiDomainIp();
    assert.ok(ips.length > 0);
    // 1 initial + 1 by the other client + 1 refresh.
    assert.equal(stats().token, 3);
    assert.equal(stats().endpoints['/cgi-bin/get_api_domain_ip'], 2, 'one rejected call, one retry');
    assert.notEqual((await w.fetchAccessToken()).access_token, before.access_token);
  });

  test('three instances on one MongoDB see the same rejection at once: still one refresh', async () => {
    const instances = [
      track(wechatOn(emu, { tokenMode: 'classic', store: new MongoTokenStore(db.connection) })),
      track(wechatOn(emu, { tokenMode: 'classic', store: new MongoTokenStore(await db.connect()) })),
      track(wechatOn(emu, { tokenMode: 'classic', store: new MongoTokenStore(await db.connect()) })),
    ];
    const [a, b, c] = instances as [Wechat, Wechat, Wechat];
    const t1 = await a.fetchAccessToken();
    assert.equal((await b.fetchAccessToken()).access_token, t1.access_token, 'b took it from the store');
    assert.equal((await c.fetchAccessToken()).access_token, t1.access_token, 'c took it from the store');
    assert.equal(stats().token, 1);
    await rotateClassicBehindOurBack();
    const results = await Promise.all(instances.map((w) => w.domain.getApiDomainIp()));
    assert.ok(results.every((ips) => ips.length > 0));
    assert.equal(stats().token, 3, '1 initial + 1 by the other client + exactly 1 refresh for all three');
    const now = await Promise.all(instances.map((w) => w.fetchAccessToken()));
    assert.equal(new Set(now.map((t) => t.access_token)).size, 1, 'all three hold the same new token');
    assert.equal(stats().endpoints['/cgi-bin/get_api_domain_ip'], 6, 'three rejected calls, three retries');
  });

  test('the central token service route: N reports of one rejected token cause one refresh', async () => {
    const w = track(wechatOn(emu, { tokenMode: 'classic' }));
    const t1 = await w.fetchAccessToken();
    const replies = await Promise.all(Array.from({ length: 10 }, () => w.invalidateAccessToken(t1.access_token)));
    assert.equal(new Set(replies.map((t) => t.access_token)).size, 1);
    assert.notEqual(replies[0]!.access_token, t1.access_token);
    assert.equal(stats().token, 2);
    // A late report of the already-replaced token changes nothing.
    await w.invalidateAccessToken(t1.access_token);
    assert.equal(stats().token, 2);
  });

  test('stable mode, token force-refreshed by someone else: the normal stable_token call brings the new one', async () => {
    const w = track(wechatOn(emu, { tokenMode: 'stable' }));
    const t1 = await w.fetchAccessToken();
    const res = await fetch(`${emu.url}/cgi-bin/stable_token`, {
      method: 'POST',
      body: JSON.stringify({ grant_type: 'client_credential', appid: APPID, secret: SECRET, force_refresh: true }),
    });
    const t2 = ((await res.json()) as { access_token: string }).access_token;
    assert.notEqual(t2, t1.access_token);
    assert.ok((await w.domain.getApiDomainIp()).length > 0);
    assert.equal((await w.fetchAccessToken()).access_token, t2);
    assert.equal(stats().stable_token, 3, '1 initial + 1 force by the other client + 1 normal refresh (no force by us)');
  });

  test('42001 (our clock lags WeChat): one refresh and one retry', async () => {
    const w = track(wechatOn(emu, { tokenMode: 'stable', now: () => emu.now() - 600_000 }));
    await w.fetchAccessToken();
    emu.advanceClock(7200 + 1); // WeChat: expired; our lagging clock: still 599 s to go
    assert.ok((await w.domain.getApiDomainIp()).length > 0);
    assert.equal(stats().stable_token, 2);
  });

  test('40014 (a malformed token in the store): one refresh and one retry', async () => {
    const bad: StoredToken = { access_token: 'not.a/valid%token', expires_at: emu.now() + 7_000_000, fetched_at: emu.now() };
    const w = track(wechatOn(emu, { getAccessToken: () => bad, saveAccessToken: () => {} }));
    assert.equal((await w.fetchAccessToken()).access_token, bad.access_token);
    assert.ok((await w.domain.getApiDomainIp()).length > 0);
    assert.equal(stats().stable_token, 1);
  });

  test('a token rejected again after the refresh: exactly one retry, then the typed error (no loop)', async () => {
    const logger = recordingLogger();
    const w = track(wechatOn(emu, { tokenMode: 'stable', logger }));
    const t1 = await w.fetchAccessToken();
    emu.injectFault({ appId: APPID, endpoint: 'api', kind: 'errcode', errcode: 40001, count: 5 });
    await assert.rejects(w.domain.getApiDomainIp(), (e: unknown) => e instanceof WechatApiError && e.errcode === 40001);
    assert.equal(stats().endpoints['/cgi-bin/get_api_domain_ip'], 2);
    // stable_token answered the same (valid) token, so the locked path used one force_refresh.
    assert.equal(stats().stable_token, 3);
    assert.notEqual((await w.fetchAccessToken()).access_token, t1.access_token);
    assert.ok(!logger.text().includes(SECRET) && !logger.text().includes(t1.access_token));
  });
});

describe('force_refresh budget', () => {
  test('at most 20 a day and 30 s apart', () => {
    const budget = new ForceRefreshBudget();
    let t = 1_000_000_000;
    for (let i = 0; i < 20; i++) {
      assert.equal(budget.allows(t), true, `force #${i + 1}`);
      budget.record(t);
      assert.equal(budget.allows(t + 29_999), false, 'spacing');
      t += 30_000;
    }
    assert.equal(budget.allows(t + 3_600_000), false, 'daily limit');
    assert.equal(budget.allows(1_000_000_000 + 86_400_001), true, 'the oldest left the 24-hour window');
  });

  test('a forced stable_token refresh that fails is not retried', async () => {
    const w = track(wechatOn(emu));
    const t = await w.fetchAccessToken();
    const before = stats().stable_token;
    emu.injectFault({ appId: APPID, endpoint: 'stable_token', kind: 'drop', count: 5, forceRefresh: true });
    await assert.rejects(w.invalidateAccessToken(t.access_token), (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_UPSTREAM');
    // One normal call (returns the rejected token) and ONE forced call: no retry of the force.
    assert.equal(stats().stable_token - before, 2);
  });

  test('when force_refresh is not allowed, the rejected token is neither returned nor stored again', async () => {
    const store = new MongoTokenStore(db.connection);
    const w = track(wechatOn(emu, { store }));
    const t1 = await w.fetchAccessToken();
    const t2 = await w.invalidateAccessToken(t1.access_token); // uses the one force allowed now
    assert.notEqual(t2.access_token, t1.access_token);
    // Within 30 s of the last force, a second rejection cannot be forced: typed error, store untouched.
    await assert.rejects(w.invalidateAccessToken(t2.access_token), (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_UPSTREAM' && (e as { kind?: string }).kind === 'rejected_token');
    const stored = await store.get(APPID);
    assert.notEqual(stored?.access_token, t2.access_token, 'the rejected token must not be written back');
  });
});

describe('MongoDB token store', () => {
  test('a tutorial-shaped document with an absolute expires_in long past is read converted, seen as expired, and overwritten', async () => {
    const coll = db.connection.collection('tokens');
    await coll.insertOne({ appid: APPID, access_token: 'legacy', expires_in: 1234567890 });
    const store = new MongoTokenStore(db.connection);
    const legacy = await store.get(APPID);
    assert.equal(legacy?.access_token, 'legacy', 'the tutorial document is read, not dropped');
    assert.ok((legacy?.expires_at ?? Infinity) < Date.now(), 'its absolute expires_in (2009) makes it expired');
    const w = track(wechatOn(emu, { store }));
    const t = await w.fetchAccessToken();
    assert.equal((await store.get(APPID))?.access_token, t.access_token);
  });
});
