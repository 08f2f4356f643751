import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ACCESS_TOKEN_RE, JSON_CONTENT_TYPE, SANDBOX_APP, startEmulator, type Emulator } from '../../src/emulator/index.js';
import { FIXED_NOW, errcodeOf, makeClient, tokenOf, type Answer } from './support/client.js';

const RID_RE = / rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;
const client = makeClient();
let emu: Emulator;

before(async () => {
  emu = await startEmulator({
    clock: () => FIXED_NOW,
    apps: [
      { appId: 'wxquota00000000001', secret: 'quotasecret', dailyQuota: 3 },
      { appId: 'wxipblocked0000001', secret: 's1', ipNotWhitelisted: true },
      { appId: 'wxipblocked0000002', secret: 's2', ipNotWhitelisted: true, ipErrcode: 61004 },
      { appId: 'wxfrozen0000000001', secret: 's3', secretFrozen: true },
    ],
  });
});
after(async () => {
  await client.close();
  await emu.close();
});
beforeEach(() => emu.reset());

const api = (token: string): Promise<Answer> => client.get(`${emu.url}/cgi-bin/get_api_domain_ip?access_token=${token}`);

describe('/cgi-bin/token', () => {
  test('issues a new random token on every call, >= 100 chars of [A-Za-z0-9_-], expires_in 7200', async () => {
    const a = await client.token(emu.url);
    const b = await client.token(emu.url);
    assert.equal(a.status, 200);
    assert.equal(a.contentType, JSON_CONTENT_TYPE);
    assert.equal(a.json?.expires_in, 7200);
    const ta = tokenOf(a);
    const tb = tokenOf(b);
    assert.notEqual(ta, tb);
    for (const t of [ta, tb]) {
      assert.ok(t.length >= 100, `length ${t.length}`);
      assert.match(t, ACCESS_TOKEN_RE);
    }
  });

  test('the previous token works through the 5-minute grace, then answers 40001; the newest keeps working', async () => {
    const first = tokenOf(await client.token(emu.url));
    const second = tokenOf(await client.token(emu.url));
    assert.equal((await api(first)).status, 200);
    assert.ok(Array.isArray((await api(first)).json?.ip_list));
    emu.advanceClock(299);
    assert.ok(Array.isArray((await api(first)).json?.ip_list), 'still inside the grace');
    emu.advanceClock(2);
    const late = await api(first);
    assert.equal(errcodeOf(late), 40001);
    assert.match(String(late.json?.errmsg), RID_RE);
    assert.ok(Array.isArray((await api(second)).json?.ip_list));
  });

  test('the grace is counted from the moment a token was superseded, per token', async () => {
    const t1 = tokenOf(await client.token(emu.url));
    emu.advanceClock(200);
    const t2 = tokenOf(await client.token(emu.url)); // t1 superseded at 200 s
    emu.advanceClock(200);
    tokenOf(await client.token(emu.url)); // t2 superseded at 400 s
    emu.advanceClock(101); // 501 s: t1's grace ended at 500 s, t2's ends at 700 s
    assert.equal(errcodeOf(await api(t1)), 40001);
    assert.equal(errcodeOf(await api(t2)), 0);
    emu.advanceClock(200);
    assert.equal(errcodeOf(await api(t2)), 40001);
  });

  test('a token past its 7200 s lifetime answers 42001', async () => {
    const t = tokenOf(await client.token(emu.url));
    emu.advanceClock(7199);
    assert.equal(errcodeOf(await api(t)), 0);
    emu.advanceClock(1);
    const r = await api(t);
    assert.equal(errcodeOf(r), 42001);
    assert.match(String(r.json?.errmsg), /^access_token expired rid: /);
  });

  test('credential errors: 40013, 40125 (never 40001), 40002, 41002, 41004, 40164, 61004, 40243', async () => {
    const base = `${emu.url}/cgi-bin/token`;
    const cases: [string, number][] = [
      [`${base}?grant_type=client_credential&appid=wxnosuchapp0000001&secret=x`, 40013],
      [`${base}?grant_type=client_credential&appid=${SANDBOX_APP.appId}&secret=wrong`, 40125],
      [`${base}?grant_type=password&appid=${SANDBOX_APP.appId}&secret=${SANDBOX_APP.secret}`, 40002],
      [`${base}?appid=${SANDBOX_APP.appId}&secret=${SANDBOX_APP.secret}`, 40002],
      [`${base}?grant_type=client_credential&secret=${SANDBOX_APP.secret}`, 41002],
      [`${base}?grant_type=client_credential&appid=${SANDBOX_APP.appId}`, 41004],
      [`${base}?grant_type=client_credential&appid=wxipblocked0000001&secret=s1`, 40164],
      [`${base}?grant_type=client_credential&appid=wxipblocked0000002&secret=s2`, 61004],
      [`${base}?grant_type=client_credential&appid=wxfrozen0000000001&secret=s3`, 40243],
    ];
    for (const [url, code] of cases) {
      const r = await client.get(url);
      assert.equal(r.status, 200, url);
      assert.equal(r.contentType, JSON_CONTENT_TYPE);
      assert.equal(errcodeOf(r), code, url);
      assert.match(String(r.json?.errmsg), RID_RE, url);
      assert.equal(r.json?.access_token, undefined);
    }
    const ip = await client.get(cases[6]![0]);
    assert.match(String(ip.json?.errmsg), /^invalid ip 127\.0\.0\.1 .*not in whitelist rid: /);
  });

  test('the rid suffix differs between two identical errors', async () => {
    const url = `${emu.url}/cgi-bin/token?grant_type=client_credential&appid=${SANDBOX_APP.appId}&secret=wrong`;
    const a = String((await client.get(url)).json?.errmsg);
    const b = String((await client.get(url)).json?.errmsg);
    assert.notEqual(a, b);
  });

  test('daily quota -> 45009, clear_quota resets it, and the quota renews on the next Beijing day', async () => {
    const id = 'wxquota00000000001';
    const tokens = [];
    for (let i = 0; i < 3; i++) tokens.push(tokenOf(await client.token(emu.url, id, 'quotasecret')));
    const over = await client.token(emu.url, id, 'quotasecret');
    assert.equal(errcodeOf(over), 45009);
    assert.match(String(over.json?.errmsg), /^reach max api daily quota limit rid: /);
    const cleared = await client.post(`${emu.url}/cgi-bin/clear_quota?access_token=${tokens[2]}`, { appid: id });
    assert.deepEqual(cleared.json, { errcode: 0, errmsg: 'ok' });
    for (let i = 0; i < 3; i++) tokenOf(await client.token(emu.url, id, 'quotasecret'));
    assert.equal(errcodeOf(await client.token(emu.url, id, 'quotasecret')), 45009);
    // FIXED_NOW is Beijing noon: 12 h later is the next Beijing day.
    emu.advanceClock(12 * 3600);
    tokenOf(await client.token(emu.url, id, 'quotasecret'));
    const s = emu.stats()[id]!;
    assert.equal(s.token, 9, 'every call counted, the refused ones too');
    assert.equal(s.clear_quota, 1);
  });

  test('the sandbox app has the default 2000/day quota', async () => {
    for (let i = 0; i < 2000; i++) {
      const r = await client.token(emu.url);
      if (i % 500 === 0 || i === 1999) assert.equal(errcodeOf(r), 0, `call ${i}`);
    }
    assert.equal(errcodeOf(await client.token(emu.url)), 45009);
  });
});

describe('/cgi-bin/clear_quota', () => {
  const id = 'wxquota00000000001';
  const fresh = async () => {
    emu.reset();
    return tokenOf(await client.token(emu.url, id, 'quotasecret'));
  };

  test('at most 10 per Beijing calendar month, then 48006; a new month allows it again', async () => {
    const t = await fresh();
    for (let i = 0; i < 10; i++) {
      const r = await client.post(`${emu.url}/cgi-bin/clear_quota?access_token=${t}`, { appid: id });
      assert.equal(errcodeOf(r), 0, `clear ${i + 1}`);
    }
    const refused = await client.post(`${emu.url}/cgi-bin/clear_quota?access_token=${t}`, { appid: id });
    assert.equal(errcodeOf(refused), 48006);
    assert.match(String(refused.json?.errmsg), / rid: /);
    emu.advanceClock(25 * 86400); // 2024-06-04 Beijing
    const t2 = tokenOf(await client.token(emu.url, id, 'quotasecret'));
    assert.equal(errcodeOf(await client.post(`${emu.url}/cgi-bin/clear_quota?access_token=${t2}`, { appid: id })), 0);
    assert.equal(emu.stats()[id]!.clear_quota, 12);
  });

  test('needs a valid token of that same app, POST and an appid', async () => {
    const t = await fresh();
    const sandbox = tokenOf(await client.token(emu.url));
    const url = `${emu.url}/cgi-bin/clear_quota`;
    assert.equal(errcodeOf(await client.post(url, { appid: id })), 41001);
    assert.equal(errcodeOf(await client.post(`${url}?access_token=nope`, { appid: id })), 40001);
    assert.equal(errcodeOf(await client.post(`${url}?access_token=${sandbox}`, { appid: id })), 48001);
    assert.equal(errcodeOf(await client.post(`${url}?access_token=${t}`, {})), 41002);
    assert.equal(errcodeOf(await client.post(`${url}?access_token=${t}`, { appid: 'wxnosuchapp0000001' })), 40013);
    assert.equal(errcodeOf(await client.get(`${url}?access_token=${t}`)), 43002);
    // A stable token of the app works too.
    const stable = tokenOf(await client.stable(emu.url, false, id, 'quotasecret'));
    assert.equal(errcodeOf(await client.post(`${url}?access_token=${stable}`, { appid: id })), 0);
  });
});
