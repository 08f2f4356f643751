import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { API_DOMAIN_IPS, CALLBACK_IPS, JSON_CONTENT_TYPE, SANDBOX_APP, startEmulator, type Emulator } from '../../src/emulator/index.js';
import { FIXED_NOW, errcodeOf, makeClient, tokenOf } from './support/client.js';

const client = makeClient();
let emu: Emulator;
let token: string;

before(async () => {
  emu = await startEmulator({ clock: () => FIXED_NOW, apps: [{ appId: 'wxother00000000001', secret: 'othersecret' }] });
});
after(async () => {
  await client.close();
  await emu.close();
});
beforeEach(async () => {
  emu.reset();
  token = tokenOf(await client.token(emu.url));
});

const MENU = {
  button: [
    { type: 'click', name: '今日歌曲', key: 'V1001_TODAY_MUSIC' },
    { name: '菜单', sub_button: [{ type: 'view', name: '搜索', url: 'http://www.soso.com/' }, { type: 'click', name: '赞', key: 'V1001_GOOD' }] },
  ],
};

describe('token-authenticated APIs', () => {
  test('get_api_domain_ip and getcallbackip answer ip_list', async () => {
    const a = await client.get(`${emu.url}/cgi-bin/get_api_domain_ip?access_token=${token}`);
    assert.equal(a.contentType, JSON_CONTENT_TYPE);
    assert.deepEqual(a.json, { ip_list: API_DOMAIN_IPS });
    const b = await client.get(`${emu.url}/cgi-bin/getcallbackip?access_token=${token}`);
    assert.deepEqual(b.json, { ip_list: CALLBACK_IPS });
  });

  test('bad tokens: missing 41001, empty 41001, bad charset 40014, unknown 40001', async () => {
    const u = `${emu.url}/cgi-bin/menu/get`;
    assert.equal(errcodeOf(await client.get(u)), 41001);
    assert.equal(errcodeOf(await client.get(`${u}?access_token=`)), 41001);
    assert.equal(errcodeOf(await client.get(`${u}?access_token=${encodeURIComponent(token + '!')}`)), 40014);
    assert.equal(errcodeOf(await client.get(`${u}?access_token=${encodeURIComponent('a b')}`)), 40014);
    assert.equal(errcodeOf(await client.get(`${u}?access_token=${token.slice(0, -1)}X`)), 40001);
    for (const r of [await client.get(u), await client.get(`${u}?access_token=zz`)]) {
      assert.match(String(r.json?.errmsg), / rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
    }
  });

  test('menu: 46003 without a menu, create validates and sets it per app, get returns it, delete clears it', async () => {
    const get = `${emu.url}/cgi-bin/menu/get?access_token=${token}`;
    const r0 = await client.get(get);
    assert.equal(errcodeOf(r0), 46003);
    assert.match(String(r0.json?.errmsg), /^menu no exist rid: /);
    const created = await client.post(`${emu.url}/cgi-bin/menu/create?access_token=${token}`, MENU);
    assert.deepEqual(created.json, { errcode: 0, errmsg: 'ok' });
    assert.deepEqual((await client.get(get)).json, { menu: MENU });
    const other = tokenOf(await client.token(emu.url, 'wxother00000000001', 'othersecret'));
    assert.equal(errcodeOf(await client.get(`${emu.url}/cgi-bin/menu/get?access_token=${other}`)), 46003, 'menus are per app');
    assert.equal(errcodeOf(await client.get(`${emu.url}/cgi-bin/menu/delete?access_token=${token}`)), 0);
    assert.equal(errcodeOf(await client.get(get)), 46003);
  });

  test('menu/create rejects bad bodies with an errcode and keeps the previous menu', async () => {
    const create = `${emu.url}/cgi-bin/menu/create?access_token=${token}`;
    await client.post(create, MENU);
    const bad: [unknown, number][] = [
      ['', 44002],
      ['{"button":', 47001],
      [{}, 40016],
      [{ button: [] }, 40016],
      [{ button: [1, 2, 3, 4].map((i) => ({ type: 'click', name: `b${i}`, key: 'k' })) }, 40016],
      [{ button: [{ type: 'click', key: 'k' }] }, 40018],
      [{ button: [{ type: 'click', name: 'x'.repeat(17), key: 'k' }] }, 40018],
      [{ button: [{ type: 'bogus', name: 'x', key: 'k' }] }, 40017],
      [{ button: [{ type: 'click', name: 'x' }] }, 40019],
      [{ button: [{ type: 'view', name: 'x' }] }, 40054],
      [{ button: [{ name: 'x', sub_button: [] }] }, 40023],
      [{ button: [{ name: 'x', sub_button: new Array(6).fill({ type: 'click', name: 's', key: 'k' }) }] }, 40023],
    ];
    for (const [body, code] of bad) assert.equal(errcodeOf(await client.post(create, body)), code, JSON.stringify(body));
    assert.equal(errcodeOf(await client.get(create)), 43002);
    assert.deepEqual((await client.get(`${emu.url}/cgi-bin/menu/get?access_token=${token}`)).json, { menu: MENU });
  });

  test('custom/send answers a 64-bit msgid above 2^53 as an exact bare JSON number and records the message', async () => {
    const body = { touser: 'oUSER000000000000000000000001', msgtype: 'text', text: { content: 'Hello' } };
    const r = await client.post(`${emu.url}/cgi-bin/message/custom/send?access_token=${token}`, body);
    const m = /^\{"errcode":0,"errmsg":"ok","msgid":(\d+)\}$/.exec(r.text);
    assert.ok(m, r.text);
    const raw = m[1]!;
    assert.ok(BigInt(raw) > 2n ** 53n, `${raw} is above 2^53`);
    assert.ok(BigInt(raw) < 2n ** 64n);
    // Parsing it as a JS number loses digits: exactly the trap the raw text avoids.
    assert.notEqual(String(JSON.parse(r.text).msgid), raw);
    const sent = emu.messages();
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0], { appId: SANDBOX_APP.appId, body, at: FIXED_NOW, msgid: raw });
    const viaHttp = await client.get(`${emu.url}/__emulator/messages`);
    // The control API's JSON keeps WeChat's spelling, `appid`.
    assert.deepEqual(viaHttp.json, [{ appid: SANDBOX_APP.appId, body, at: FIXED_NOW, msgid: raw }]);
    const second = await client.post(`${emu.url}/cgi-bin/message/custom/send?access_token=${token}`, body);
    assert.notEqual(/"msgid":(\d+)/.exec(second.text)?.[1], raw, 'each message gets its own id');
  });

  test('custom/send validates its body', async () => {
    const u = `${emu.url}/cgi-bin/message/custom/send?access_token=${token}`;
    assert.equal(errcodeOf(await client.post(u, { msgtype: 'text', text: { content: 'x' } })), 40003);
    assert.equal(errcodeOf(await client.post(u, { touser: 'o1', msgtype: 'bogus' })), 40008);
    assert.equal(errcodeOf(await client.post(u, { touser: 'o1', msgtype: 'text' })), 47001);
    assert.equal(errcodeOf(await client.post(u, 'not json')), 47001);
    assert.equal(errcodeOf(await client.get(u)), 43002);
    assert.equal(emu.messages().length, 0);
  });

  test('an unknown path answers 404 JSON with errcode -1 and is not counted', async () => {
    const r = await client.get(`${emu.url}/cgi-bin/nope?access_token=${token}`);
    assert.equal(r.status, 404);
    assert.equal(errcodeOf(r), -1);
    assert.equal(emu.stats()[SANDBOX_APP.appId]!.api, 0);
  });

  test('counters: per appid and per path, errors included; unknown tokens under "-"', async () => {
    await client.get(`${emu.url}/cgi-bin/menu/get?access_token=${token}`); // 46003, still counted
    await client.get(`${emu.url}/cgi-bin/get_api_domain_ip?access_token=${token}`);
    await client.get(`${emu.url}/cgi-bin/get_api_domain_ip?access_token=${token}`);
    await client.get(`${emu.url}/cgi-bin/getcallbackip?access_token=unknowntoken`);
    await client.stable(emu.url);
    const s = emu.stats();
    assert.deepEqual(s[SANDBOX_APP.appId], {
      token: 1,
      stable_token: 1,
      api: 3,
      clear_quota: 0,
      ticket: 0,
      sns: 0,
      endpoints: { '/cgi-bin/token': 1, '/cgi-bin/menu/get': 1, '/cgi-bin/get_api_domain_ip': 2, '/cgi-bin/stable_token': 1 },
    });
    assert.deepEqual(s['-'], { token: 0, stable_token: 0, api: 1, clear_quota: 0, ticket: 0, sns: 0, endpoints: { '/cgi-bin/getcallbackip': 1 } });
    assert.deepEqual(s.wxother00000000001, { token: 0, stable_token: 0, api: 0, clear_quota: 0, ticket: 0, sns: 0, endpoints: {} });
    assert.deepEqual((await client.get(`${emu.url}/__emulator/stats`)).json, emu.stats() as unknown, 'control API serves the same JSON');
  });
});
