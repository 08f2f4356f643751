import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { SANDBOX_APP, startEmulator, type Emulator } from '../../src/emulator/index.js';
import { FIXED_NOW, errcodeOf, makeClient, tokenOf } from './support/client.js';

const client = makeClient();
let emu: Emulator;
let token: string;
const redirectUri = 'https://h5.example.com/cb?x=1';

async function getTicket(type = 'jsapi', t = token) {
  return client.get(`${emu.url}/cgi-bin/ticket/getticket?access_token=${t}&type=${type}`);
}

function authorizeUrl(scope: string, state = 'abc123', base = emu.url): string {
  return `${base}/connect/oauth2/authorize?appid=${SANDBOX_APP.appId}&redirect_uri=${encodeURIComponent(redirectUri)}&response_type=code&scope=${scope}&state=${state}#wechat_redirect`;
}

/** Allow as `user` on the consent page (the form's query, as the browser submits it); the code. */
async function allow(scope: string, user = 'alice'): Promise<string> {
  const q = new URLSearchParams({ appid: SANDBOX_APP.appId, redirect_uri: redirectUri, scope, state: 'abc123', user, decision: 'allow' });
  const res = await fetch(`${emu.url}/connect/oauth2/decide?${q}`, { redirect: 'manual' });
  assert.equal(res.status, 302);
  const loc = new URL(res.headers.get('location') ?? '');
  assert.equal(loc.origin + loc.pathname, 'https://h5.example.com/cb');
  assert.equal(loc.searchParams.get('x'), '1');
  assert.equal(loc.searchParams.get('state'), 'abc123');
  return loc.searchParams.get('code') ?? '';
}

const exchange = (code: string) =>
  client.get(`${emu.url}/sns/oauth2/access_token?appid=${SANDBOX_APP.appId}&secret=${SANDBOX_APP.secret}&code=${code}&grant_type=authorization_code`);

before(async () => {
  emu = await startEmulator({ clock: () => FIXED_NOW });
});
after(async () => {
  await client.close();
  await emu.close();
});
beforeEach(async () => {
  emu.reset();
  token = tokenOf(await client.token(emu.url));
});

describe('getticket', () => {
  test('answers a ticket with expires_in 7200, counted; bad tokens and types answer errcodes', async () => {
    const a = await getTicket();
    assert.equal(a.json?.errcode, 0);
    assert.equal(a.json?.expires_in, 7200);
    assert.match(String(a.json?.ticket), /^[A-Za-z0-9_-]{40,}$/);
    assert.equal(errcodeOf(await getTicket('jsapi', 'nope')), 40001);
    assert.equal(errcodeOf(await getTicket('other')), 40097);
    assert.equal(emu.stats()[SANDBOX_APP.appId]?.ticket, 2, 'the unknown token counts under "-"');
    assert.deepEqual(emu.tickets(SANDBOX_APP.appId).jsapi.current?.ticket, a.json?.ticket);
  });

  test('default: a second call issues a new ticket and the old one stays valid; expiry by the emulator clock', async () => {
    const t1 = (await getTicket()).json?.ticket;
    const t2 = (await getTicket()).json?.ticket;
    assert.notEqual(t1, t2);
    assert.deepEqual(emu.tickets(SANDBOX_APP.appId).jsapi.valid.map((v) => v.ticket), [t2, t1]);
    emu.advanceClock(7200);
    assert.equal(emu.tickets(SANDBOX_APP.appId).jsapi.valid.length, 0);
    assert.equal(emu.tickets(SANDBOX_APP.appId).jsapi.current, null);
  });

  test('pin rotates: the old ticket is no longer valid; wx_card is separate', async () => {
    const t1 = (await getTicket()).json?.ticket;
    const card = (await getTicket('wx_card')).json?.ticket;
    const pinned = emu.pinTicket(SANDBOX_APP.appId, 'jsapi', 'pinnedTicket_1');
    assert.equal(pinned, 'pinnedTicket_1');
    const view = emu.tickets(SANDBOX_APP.appId);
    assert.deepEqual(view.jsapi.valid.map((v) => v.ticket), ['pinnedTicket_1']);
    assert.notEqual(t1, 'pinnedTicket_1');
    assert.deepEqual(view.wx_card.valid.map((v) => v.ticket), [card]);
  });

  test('control API reads and pins tickets (loopback), 400 with a reason on a bad body', async () => {
    const pin = await client.post(`${emu.url}/__emulator/tickets`, { appid: SANDBOX_APP.appId, type: 'jsapi' });
    assert.equal(pin.status, 200);
    const read = await client.get(`${emu.url}/__emulator/tickets?appid=${SANDBOX_APP.appId}`);
    assert.equal((read.json?.jsapi as { current: { ticket: string } }).current.ticket, pin.json?.ticket);
    const badType = await client.post(`${emu.url}/__emulator/tickets`, { appid: SANDBOX_APP.appId, type: 'x' });
    assert.equal(badType.status, 400);
    assert.match(String(badType.json?.message), /type/);
    assert.equal((await client.get(`${emu.url}/__emulator/tickets?appid=nobody`)).status, 400);
  });

  test('faults target getticket (endpoint "ticket") and the low daily quota answers 45009', async () => {
    emu.injectFault({ appId: SANDBOX_APP.appId, endpoint: 'ticket', kind: 'errcode', errcode: -1, count: 1 });
    assert.equal(errcodeOf(await getTicket()), -1);
    assert.equal((await getTicket()).json?.errcode, 0);
    const small = await startEmulator({ clock: () => FIXED_NOW, tickets: { dailyQuota: 2, reissue: 'same' } });
    try {
      const t = tokenOf(await client.token(small.url));
      const u = `${small.url}/cgi-bin/ticket/getticket?access_token=${t}&type=jsapi`;
      const a = await client.get(u);
      const b = await client.get(u);
      assert.equal(a.json?.ticket, b.json?.ticket, "reissue 'same' answers the current ticket again");
      assert.equal(errcodeOf(await client.get(u)), 45009);
    } finally {
      await small.close();
    }
  });

  test("oldStaysValid: false invalidates the previous ticket on reissue", async () => {
    const strict = await startEmulator({ clock: () => FIXED_NOW, tickets: { oldStaysValid: false } });
    try {
      const t = tokenOf(await client.token(strict.url));
      const u = `${strict.url}/cgi-bin/ticket/getticket?access_token=${t}&type=jsapi`;
      await client.get(u);
      const b = (await client.get(u)).json?.ticket;
      assert.deepEqual(strict.tickets(SANDBOX_APP.appId).jsapi.valid.map((v) => v.ticket), [b]);
    } finally {
      await strict.close();
    }
  });
});

describe('wx.config check and the jweixin stand-in', () => {
  test('verify accepts the signature of a valid ticket and the URL without fragment; rejects a rotated one', async () => {
    const ticket = String((await getTicket()).json?.ticket);
    const url = 'https://h5.example.com/page?a=1';
    const sig = createHash('sha1').update(`jsapi_ticket=${ticket}&noncestr=n0nce&timestamp=1700000000&url=${url}`).digest('hex');
    const body = { appId: SANDBOX_APP.appId, timestamp: 1700000000, nonceStr: 'n0nce', signature: sig, url: `${url}#frag` };
    const check = async () => (await client.post(`${emu.url}/open/js/verify`, body, 'text/plain')).json;
    assert.deepEqual(await check(), { ok: true });
    emu.pinTicket(SANDBOX_APP.appId, 'jsapi');
    assert.deepEqual(await check(), { ok: false, errMsg: 'config:invalid signature' });
    const js = await client.get(`${emu.url}/open/js/jweixin-1.6.0.js`);
    assert.match(js.contentType, /javascript/);
    assert.match(js.text, /wx\.config|config: function/);
  });
});

describe('OAuth', () => {
  test('consent page lists the users, Deny only for snsapi_userinfo; parameter checks', async () => {
    const page = await client.get(authorizeUrl('snsapi_userinfo'));
    assert.equal(page.status, 200);
    assert.match(page.text, /id="allow-alice"/);
    assert.match(page.text, /id="deny"/);
    assert.doesNotMatch((await client.get(authorizeUrl('snsapi_base'))).text, /id="deny"/);
    const outOfOrder = `${emu.url}/connect/oauth2/authorize?redirect_uri=${encodeURIComponent(redirectUri)}&appid=${SANDBOX_APP.appId}&response_type=code&scope=snsapi_base`;
    assert.match((await client.get(outOfOrder)).text, /out of order/);
    assert.match((await client.get(authorizeUrl('snsapi_other'))).text, /10005/);
    assert.match((await client.get(authorizeUrl('snsapi_base', 'bad-state!'))).text, /state must be/);
    assert.match((await client.get(authorizeUrl('snsapi_base', 'a'.repeat(129)))).text, /state must be/);
    const noRedirect = `${emu.url}/connect/oauth2/authorize?appid=${SANDBOX_APP.appId}&response_type=code&scope=snsapi_base`;
    assert.match((await client.get(noRedirect)).text, /10011/);
  });

  test('Deny redirects with the state and no code', async () => {
    const q = new URLSearchParams({ appid: SANDBOX_APP.appId, redirect_uri: redirectUri, scope: 'snsapi_userinfo', state: 'abc123', decision: 'deny' });
    const res = await fetch(`${emu.url}/connect/oauth2/decide?${q}`, { redirect: 'manual' });
    const loc = new URL(res.headers.get('location') ?? '');
    assert.equal(loc.searchParams.get('state'), 'abc123');
    assert.equal(loc.searchParams.has('code'), false);
  });

  test('a code works once (40163), expires after 5 minutes (40029); userinfo needs snsapi_userinfo (48001)', async () => {
    const code = await allow('snsapi_userinfo');
    const first = await exchange(code);
    assert.equal(first.json?.scope, 'snsapi_userinfo');
    assert.equal(first.json?.expires_in, 7200);
    assert.equal(first.json?.unionid, 'oUnionSandboxAlice000000000');
    assert.match(String(first.json?.openid), /^o[A-Za-z0-9_-]{27}$/);
    assert.equal(errcodeOf(await exchange(code)), 40163);
    assert.equal(errcodeOf(await exchange('nosuchcode')), 40029);
    const at = String(first.json?.access_token);
    const openid = String(first.json?.openid);
    const info = await client.get(`${emu.url}/sns/userinfo?access_token=${at}&openid=${openid}&lang=zh_CN`);
    assert.equal(info.json?.nickname, 'Alice');
    assert.equal(errcodeOf(await client.get(`${emu.url}/sns/userinfo?access_token=${at}&openid=oSomeoneElse`)), 40003);
    assert.equal(errcodeOf(await client.get(`${emu.url}/sns/userinfo?access_token=${token}&openid=${openid}`)), 40001, 'the account token is not a user token');
    assert.equal((await client.get(`${emu.url}/sns/auth?access_token=${at}&openid=${openid}`)).json?.errcode, 0);

    const late = await allow('snsapi_base', 'bob');
    emu.advanceClock(300);
    assert.equal(errcodeOf(await exchange(late)), 40029);
    const base = await exchange(await allow('snsapi_base', 'bob'));
    assert.equal(base.json?.scope, 'snsapi_base');
    assert.equal(errcodeOf(await client.get(`${emu.url}/sns/userinfo?access_token=${String(base.json?.access_token)}&openid=${String(base.json?.openid)}`)), 48001);
    assert.equal((await exchange(await allow('snsapi_base', 'carol'))).json?.is_snapshotuser, 1);
  });

  test('refresh_token gives a new user token; the old one expires after 7200 s (42001); bad secret 40125', async () => {
    const first = await exchange(await allow('snsapi_userinfo'));
    const rt = String(first.json?.refresh_token);
    emu.advanceClock(7200);
    const at = String(first.json?.access_token);
    const openid = String(first.json?.openid);
    assert.equal(errcodeOf(await client.get(`${emu.url}/sns/auth?access_token=${at}&openid=${openid}`)), 42001);
    const r = await client.get(`${emu.url}/sns/oauth2/refresh_token?appid=${SANDBOX_APP.appId}&grant_type=refresh_token&refresh_token=${rt}`);
    assert.equal(r.json?.refresh_token, rt);
    assert.notEqual(r.json?.access_token, at);
    assert.equal(errcodeOf(await client.get(`${emu.url}/sns/oauth2/refresh_token?appid=${SANDBOX_APP.appId}&grant_type=refresh_token&refresh_token=x`)), 40030);
    const wrong = await client.get(`${emu.url}/sns/oauth2/access_token?appid=${SANDBOX_APP.appId}&secret=bad&code=c&grant_type=authorization_code`);
    assert.equal(errcodeOf(wrong), 40125);
    assert.equal(emu.stats()[SANDBOX_APP.appId]?.sns, 5);
  });
});
