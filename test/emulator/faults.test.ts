import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { JSON_CONTENT_TYPE, SANDBOX_APP, startEmulator, type Emulator } from '../../src/emulator/index.js';
import { WechatMpError } from '../../src/errors.js';
import { FIXED_NOW, errcodeOf, makeClient, tokenOf } from './support/client.js';

const client = makeClient();
let emu: Emulator;
const OTHER = { appId: 'wxother00000000001', secret: 'othersecret' };

before(async () => {
  emu = await startEmulator({ clock: () => FIXED_NOW, apps: [OTHER] });
});
after(async () => {
  await client.close();
  await emu.close();
});
beforeEach(() => emu.reset());

const sandbox = SANDBOX_APP.appId;

describe('faults', () => {
  test('errcode: the next N matching calls answer the errcode with a rid, then normal service resumes', async () => {
    emu.injectFault({ appId: sandbox, endpoint: 'token', kind: 'errcode', errcode: -1, count: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await client.token(emu.url);
      assert.equal(r.status, 200);
      assert.equal(errcodeOf(r), -1);
      assert.match(String(r.json?.errmsg), /^system error rid: [0-9a-f-]{26}$/);
    }
    tokenOf(await client.token(emu.url));
    assert.equal(emu.stats()[sandbox]!.token, 3, 'faulted calls are counted');
    assert.equal(emu.pendingFaults().length, 0);
  });

  test('errcode 45011 on api calls via the control API', async () => {
    const t = tokenOf(await client.token(emu.url));
    const set = await client.post(`${emu.url}/__emulator/faults`, { appid: sandbox, endpoint: 'api', kind: 'errcode', errcode: 45011, count: 1 });
    assert.equal(set.status, 200);
    const r = await client.get(`${emu.url}/cgi-bin/menu/get?access_token=${t}`);
    assert.equal(errcodeOf(r), 45011);
    assert.equal(errcodeOf(await client.get(`${emu.url}/cgi-bin/menu/get?access_token=${t}`)), 46003);
  });

  test('http: the status with an HTML body, for the next N calls only', async () => {
    emu.injectFault({ appId: sandbox, endpoint: 'stable_token', kind: 'http', status: 503, count: 1 });
    const r = await client.stable(emu.url);
    assert.equal(r.status, 503);
    assert.match(r.contentType, /^text\/html/);
    assert.match(r.text, /<title>503 Service Unavailable<\/title>/);
    assert.equal(r.json, undefined);
    emu.injectFault({ appId: sandbox, endpoint: 'stable_token', kind: 'http', count: 1 });
    assert.equal((await client.stable(emu.url)).status, 502, 'default status 502');
    tokenOf(await client.stable(emu.url));
  });

  test('delay: answers normally after the delay, and the delayed request was processed', async () => {
    emu.injectFault({ appId: sandbox, endpoint: 'token', kind: 'delay', delayMs: 200, count: 1 });
    const start = performance.now();
    const r = await client.token(emu.url);
    const elapsed = performance.now() - start;
    assert.ok(elapsed >= 190, `answered after ${elapsed.toFixed(0)} ms`);
    const t = tokenOf(r);
    assert.equal(errcodeOf(await client.get(`${emu.url}/cgi-bin/getcallbackip?access_token=${t}`)), 0);
    assert.equal(emu.pendingFaults().length, 0);
    tokenOf(await client.token(emu.url));
  });

  test('drop: the connection is destroyed without a response; the next call is fine', async () => {
    emu.injectFault({ appId: sandbox, endpoint: 'token', kind: 'drop', count: 1 });
    await assert.rejects(client.token(emu.url), (e: Error & { code?: string }) => {
      assert.match(String(e.code ?? e.name), /UND_ERR_SOCKET|ECONNRESET|SocketError/);
      return true;
    });
    tokenOf(await client.token(emu.url));
    assert.equal(emu.stats()[sandbox]!.token, 2);
  });

  test('malformed: 200 with a truncated JSON body', async () => {
    emu.injectFault({ appId: '*', endpoint: '*', kind: 'malformed', count: 2 });
    const a = await client.token(emu.url);
    assert.equal(a.status, 200);
    assert.equal(a.contentType, JSON_CONTENT_TYPE);
    assert.ok(a.text.startsWith('{"access_token":"'));
    assert.throws(() => JSON.parse(a.text), SyntaxError);
    const b = await client.get(`${emu.url}/cgi-bin/get_api_domain_ip?access_token=whatever`);
    assert.throws(() => JSON.parse(b.text), SyntaxError);
    assert.equal(errcodeOf(await client.get(`${emu.url}/cgi-bin/get_api_domain_ip?access_token=whatever`)), 40001);
  });

  test('faults only hit their appid and endpoint; "*" matches any; first scheduled applies first', async () => {
    emu.injectFault({ appId: OTHER.appId, endpoint: 'token', kind: 'errcode', errcode: 40001, count: 1 });
    emu.injectFault({ appId: sandbox, endpoint: 'api', kind: 'errcode', errcode: -1, count: 1 });
    tokenOf(await client.token(emu.url)); // sandbox token: neither fault applies
    tokenOf(await client.stable(emu.url, false, OTHER.appId, OTHER.secret)); // other app, but stable_token
    assert.equal(errcodeOf(await client.token(emu.url, OTHER.appId, OTHER.secret)), 40001);
    tokenOf(await client.token(emu.url, OTHER.appId, OTHER.secret));
    assert.equal(emu.pendingFaults().length, 1);
    emu.injectFault({ appId: '*', endpoint: 'token', kind: 'errcode', errcode: 45009, count: 1 });
    assert.equal(errcodeOf(await client.token(emu.url, OTHER.appId, OTHER.secret)), 45009);
    assert.equal(errcodeOf(await client.token(emu.url, 'wxunknown000000001', 'x')), 40013, '"*" fault consumed already');
  });

  test('bad fault specs are refused with a reason: 400 over HTTP, WMP_ERR_EMULATOR in code', async () => {
    // The wire spells the AppID `appid`, code `appId`.
    const inCode = (spec: unknown) => {
      if (typeof spec !== 'object' || spec === null || Array.isArray(spec) || !('appid' in spec)) return spec as never;
      const { appid, ...rest } = spec as Record<string, unknown>;
      return { appId: appid, ...rest } as never;
    };
    const bad: [unknown, RegExp][] = [
      [{ appid: sandbox, endpoint: 'token', kind: 'errcode', count: 1 }, /errcode/],
      [{ appid: sandbox, endpoint: 'tokens', kind: 'drop', count: 1 }, /endpoint/],
      [{ appid: sandbox, endpoint: 'token', kind: 'explode', count: 1 }, /kind/],
      [{ appid: sandbox, endpoint: 'token', kind: 'drop', count: 0 }, /count/],
      [{ appid: sandbox, endpoint: 'token', kind: 'drop' }, /count/],
      [{ appid: '', endpoint: 'token', kind: 'drop', count: 1 }, /appid/i],
      [{ appid: sandbox, endpoint: 'token', kind: 'delay', count: 1 }, /delayMs/],
      [{ appid: sandbox, endpoint: 'token', kind: 'http', status: 200, count: 1 }, /status/],
      [{ appid: sandbox, endpoint: 'token', kind: 'drop', count: 1, extra: 1 }, /unknown field "extra"/],
      [[1], /object/],
    ];
    for (const [spec, reason] of bad) {
      const r = await client.post(`${emu.url}/__emulator/faults`, spec);
      assert.equal(r.status, 400, JSON.stringify(spec));
      assert.equal(r.json?.error, 'WMP_ERR_EMULATOR');
      assert.match(String(r.json?.message), reason);
      assert.throws(
        () => emu.injectFault(inCode(spec)),
        (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_EMULATOR' && reason.test(e.message),
      );
    }
    const notJson = await client.post(`${emu.url}/__emulator/faults`, '{nope');
    assert.equal(notJson.status, 400);
    assert.equal(emu.pendingFaults().length, 0);
  });
});
