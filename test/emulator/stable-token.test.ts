import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOX_APP, startEmulator, type Emulator } from '../../src/emulator/index.js';
import { FIXED_NOW, errcodeOf, makeClient, tokenOf, type Answer } from './support/client.js';

const client = makeClient();
let emu: Emulator;

before(async () => {
  emu = await startEmulator({
    clock: () => FIXED_NOW,
    apps: [{ appId: 'wxlimits0000000001', secret: 'limitsecret', stableMinuteQuota: 3, stableDailyQuota: 5 }],
  });
});
after(async () => {
  await client.close();
  await emu.close();
});
beforeEach(() => emu.reset());

const api = (token: string): Promise<Answer> => client.get(`${emu.url}/cgi-bin/getcallbackip?access_token=${token}`);
const stableBody = { grant_type: 'client_credential', appid: SANDBOX_APP.appId, secret: SANDBOX_APP.secret };

describe('/cgi-bin/stable_token', () => {
  test('returns the same token with expires_in counting down while more than 300 s remain', async () => {
    const a = await client.stable(emu.url);
    assert.equal(a.json?.expires_in, 7200);
    emu.advanceClock(1000);
    const b = await client.stable(emu.url);
    assert.equal(tokenOf(b), tokenOf(a));
    assert.equal(b.json?.expires_in, 6200);
    emu.advanceClock(5899);
    const c = await client.stable(emu.url);
    assert.equal(tokenOf(c), tokenOf(a));
    assert.equal(c.json?.expires_in, 301);
  });

  test('in the last 300 s a call issues a new token; the old one works until its own expiry, then 42001', async () => {
    const old = tokenOf(await client.stable(emu.url));
    emu.advanceClock(6900); // 300 s left
    const r = await client.stable(emu.url);
    const fresh = tokenOf(r);
    assert.notEqual(fresh, old);
    assert.equal(r.json?.expires_in, 7200);
    assert.equal(errcodeOf(await api(old)), 0, 'old token still valid');
    assert.equal(errcodeOf(await api(fresh)), 0);
    emu.advanceClock(299);
    assert.equal(errcodeOf(await api(old)), 0);
    emu.advanceClock(1);
    assert.equal(errcodeOf(await api(old)), 42001);
    assert.equal(errcodeOf(await api(fresh)), 0);
    const again = await client.stable(emu.url);
    assert.equal(tokenOf(again), fresh);
    assert.equal(again.json?.expires_in, 6900);
  });

  test('force_refresh invalidates the previous token at once (40001) and issues a new one', async () => {
    const old = tokenOf(await client.stable(emu.url));
    emu.advanceClock(10);
    const forced = await client.stable(emu.url, true);
    assert.notEqual(tokenOf(forced), old);
    assert.equal(forced.json?.expires_in, 7200);
    assert.equal(errcodeOf(await api(old)), 40001);
    assert.equal(errcodeOf(await api(tokenOf(forced))), 0);
  });

  test('force_refresh also invalidates a rotated token still in its last minutes', async () => {
    const t1 = tokenOf(await client.stable(emu.url));
    emu.advanceClock(7000);
    const t2 = tokenOf(await client.stable(emu.url)); // rotation: t1 valid 200 s more
    assert.equal(errcodeOf(await api(t1)), 0);
    const t3 = tokenOf(await client.stable(emu.url, true));
    assert.equal(errcodeOf(await api(t1)), 40001);
    assert.equal(errcodeOf(await api(t2)), 40001);
    assert.equal(errcodeOf(await api(t3)), 0);
  });

  test('a force_refresh within 30 s of the last one does not refresh: current token, remaining expires_in', async () => {
    const first = tokenOf(await client.stable(emu.url, true));
    emu.advanceClock(29);
    const refused = await client.stable(emu.url, true);
    assert.equal(tokenOf(refused), first);
    assert.equal(refused.json?.expires_in, 7171);
    assert.equal(errcodeOf(await api(first)), 0);
    emu.advanceClock(1);
    const honoured = await client.stable(emu.url, true);
    assert.notEqual(tokenOf(honoured), first);
    assert.equal(errcodeOf(await api(first)), 40001);
  });

  test('at most 20 honoured force_refresh calls per Beijing day', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      seen.add(tokenOf(await client.stable(emu.url, true)));
      emu.advanceClock(31);
    }
    assert.equal(seen.size, 20, 'each of the first 20 forced calls issued a new token');
    const last = [...seen].at(-1)!;
    const refused = await client.stable(emu.url, true);
    assert.equal(tokenOf(refused), last, 'the 21st did not refresh');
    assert.equal(errcodeOf(await api(last)), 0);
    emu.advanceClock(12 * 3600); // next Beijing day; the current token has expired meanwhile
    const next = tokenOf(await client.stable(emu.url, true));
    assert.ok(!seen.has(next));
  });

  test('isolated from /cgi-bin/token in both directions', async () => {
    const c1 = tokenOf(await client.token(emu.url));
    const s1 = tokenOf(await client.stable(emu.url));
    const c2 = tokenOf(await client.token(emu.url));
    emu.advanceClock(301);
    assert.equal(errcodeOf(await api(c1)), 40001, 'classic grace over');
    assert.equal(errcodeOf(await api(s1)), 0, 'stable token untouched by /token');
    assert.equal(tokenOf(await client.stable(emu.url)), s1, 'and still the current stable token');
    emu.advanceClock(30);
    const s2 = tokenOf(await client.stable(emu.url, true));
    assert.notEqual(s2, s1);
    assert.equal(errcodeOf(await api(c2)), 0, 'classic token untouched by force_refresh');
    assert.equal(errcodeOf(await api(s1)), 40001);
  });

  test('JSON body only: GET 43002; URL parameters or a form body 41002; bad grant_type 40002; bad force_refresh 47001', async () => {
    const url = `${emu.url}/cgi-bin/stable_token`;
    assert.equal(errcodeOf(await client.get(url)), 43002);
    const q = `?grant_type=client_credential&appid=${SANDBOX_APP.appId}&secret=${SANDBOX_APP.secret}`;
    assert.equal(errcodeOf(await client.post(url + q, '')), 41002);
    assert.equal(errcodeOf(await client.post(url + q, stableBody)), 41002, 'URL parameters are refused even with a body');
    const form = `grant_type=client_credential&appid=${SANDBOX_APP.appId}&secret=${SANDBOX_APP.secret}`;
    assert.equal(errcodeOf(await client.post(url, form, 'application/x-www-form-urlencoded')), 41002);
    assert.equal(errcodeOf(await client.post(url, { ...stableBody, grant_type: 'x' })), 40002);
    assert.equal(errcodeOf(await client.post(url, { ...stableBody, secret: 'wrong' })), 40125);
    assert.equal(errcodeOf(await client.post(url, { ...stableBody, appid: 'wxnosuchapp0000001' })), 40013);
    assert.equal(errcodeOf(await client.post(url, { ...stableBody, secret: undefined })), 41004);
    assert.equal(errcodeOf(await client.post(url, { ...stableBody, force_refresh: 'true' })), 47001);
    // JSON with a text/plain content type is still JSON.
    assert.equal(errcodeOf(await client.post(url, stableBody, 'text/plain')), 0);
    const stats = emu.stats();
    assert.equal(stats[SANDBOX_APP.appId]!.stable_token, 7, 'requests naming the sandbox are counted for it');
    assert.equal(stats['-']!.stable_token, 3, 'the GET, the form body and the unknown appid name no configured app');
  });

  test('its own quotas: 45011 per minute, 45009 per day, separate from /cgi-bin/token', async () => {
    const id = 'wxlimits0000000001';
    for (let i = 0; i < 3; i++) tokenOf(await client.stable(emu.url, false, id, 'limitsecret'));
    assert.equal(errcodeOf(await client.stable(emu.url, false, id, 'limitsecret')), 45011);
    tokenOf(await client.token(emu.url, id, 'limitsecret'));
    emu.advanceClock(60);
    for (let i = 0; i < 2; i++) tokenOf(await client.stable(emu.url, false, id, 'limitsecret'));
    assert.equal(errcodeOf(await client.stable(emu.url, false, id, 'limitsecret')), 45009);
    tokenOf(await client.token(emu.url, id, 'limitsecret'));
  });
});
