/**
 * The JS-SDK routes of the composed service (`app.callback()` with supertest) against the real
 * emulator: origin checks and CORS, input bounds, the rate limit, and invalid-signature reports
 * that invalidate the jsapi_ticket only when it is really the current one, once per interval.
 */
import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { AppConfig } from '../../config/index.js';
import { createApp, type WechatApp } from '../../src/server/app.js';
import { JSSDK_RATE_LIMIT, MAX_PAGE_URL } from '../../src/server/jssdk-routes.js';
import { jsapiSignature } from '../../src/wechat/api/jssdk.js';
import { MemoryTokenStore } from '../../src/token/memory-token-store.js';
import { SANDBOX_APP } from '../../src/emulator/index.js';
import { captureLogs, sandboxConfig, useEmulator } from './support/sandbox-config.js';

const PAGE = 'https://h5.example.com';
const OTHER = 'https://m.example.com';
const env = useEmulator();
const apps: WechatApp[] = [];
after(async () => {
  await Promise.all(apps.map((a) => a.close()));
});

const configFor = (extra: Record<string, string> = {}): AppConfig => sandboxConfig(env.emulator.url, { JSSDK_ALLOWED_ORIGINS: `${PAGE},${OTHER}`, ...extra });

function make(extra: Record<string, string> = {}): { app: WechatApp; logs: () => string } {
  const logs = captureLogs();
  const app = createApp(configFor(extra), undefined, { tokenStore: new MemoryTokenStore(), processMetrics: false, logger: logs.logger });
  apps.push(app);
  return { app, logs: logs.text };
}

const ticketCalls = (): number => env.emulator.stats()[SANDBOX_APP.appId]?.ticket ?? 0;
const currentTicket = (): string => {
  const t = env.emulator.tickets(SANDBOX_APP.appId).jsapi.current;
  assert.ok(t, 'the emulator has a current jsapi_ticket');
  return t.ticket;
};

describe('GET /jssdk/config', () => {
  test('answers a wx.config that signs the page URL with the current ticket, with CORS for that origin', async () => {
    const { app } = make();
    const url = `${PAGE}/shop/item?id=7#reviews`;
    const res = await request(app.callback())
      .get('/jssdk/config')
      .query({ url, jsApiList: 'updateAppMessageShareData,chooseImage' })
      .set('Origin', PAGE)
      .expect(200);
    assert.equal(res.headers['access-control-allow-origin'], PAGE);
    assert.match(String(res.headers.vary), /Origin/);
    assert.equal(res.body.appId, SANDBOX_APP.appId);
    assert.deepEqual(res.body.jsApiList, ['updateAppMessageShareData', 'chooseImage']);
    assert.equal(res.body.signature, jsapiSignature(currentTicket(), res.body.nonceStr, res.body.timestamp, `${PAGE}/shop/item?id=7`));
    assert.ok(!res.text.includes(currentTicket()), 'the ticket itself is never sent');
  });

  test('refuses pages and browsers of origins outside the list with 403 and a reason', async () => {
    const { app } = make();
    const foreignPage = await request(app.callback()).get('/jssdk/config').query({ url: 'https://evil.example.net/' }).expect(403);
    assert.match(foreignPage.body.error, /origin/);
    const foreignCaller = await request(app.callback()).get('/jssdk/config').query({ url: `${PAGE}/` }).set('Origin', 'https://evil.example.net').expect(403);
    assert.match(foreignCaller.body.error, /origin/);
    assert.equal(foreignCaller.headers['access-control-allow-origin'], undefined);
    // Same host, other scheme: another origin.
    await request(app.callback()).get('/jssdk/config').query({ url: 'http://h5.example.com/' }).expect(403);
  });

  test('answers a preflight for allowed origins only', async () => {
    const { app } = make();
    const ok = await request(app.callback()).options('/jssdk/config').set('Origin', OTHER).set('Access-Control-Request-Method', 'GET').expect(204);
    assert.equal(ok.headers['access-control-allow-origin'], OTHER);
    assert.match(String(ok.headers['access-control-allow-methods']), /GET/);
    await request(app.callback()).options('/jssdk/config').set('Origin', 'https://evil.example.net').expect(403);
  });

  test('answers 400 for a missing, non-http, too long or repeated url and a too long jsApiList', async () => {
    const { app } = make();
    for (const query of [{}, { url: 'ftp://h5.example.com/' }, { url: 'not a url' }, { url: `${PAGE}/${'a'.repeat(MAX_PAGE_URL)}` }, { url: [`${PAGE}/a`, `${PAGE}/b`] }]) {
      const res = await request(app.callback()).get('/jssdk/config').query(query).expect(400);
      assert.match(res.body.error, /url/);
    }
    const names = Array.from({ length: 65 }, (_, i) => `api${i}`).join(',');
    await request(app.callback()).get('/jssdk/config').query({ url: `${PAGE}/`, jsApiList: names }).expect(400);
    await request(app.callback()).get('/jssdk/config').query({ url: `${PAGE}/`, jsApiList: 'bad name!' }).expect(400);
  });

  test('limits requests per client address', async () => {
    const { app } = make();
    const server = app.callback();
    for (let i = 0; i < JSSDK_RATE_LIMIT; i++) await request(server).get('/jssdk/config').expect(400);
    const res = await request(server).get('/jssdk/config').query({ url: `${PAGE}/` }).expect(429);
    assert.ok(Number(res.headers['retry-after']) > 0);
  });

  test('is not mounted without JSSDK_ALLOWED_ORIGINS, and follows JSSDK_CONFIG_PATH', async () => {
    const off = createApp(sandboxConfig(env.emulator.url), undefined, { tokenStore: new MemoryTokenStore(), processMetrics: false });
    apps.push(off);
    await request(off.callback()).get('/jssdk/config').query({ url: `${PAGE}/` }).expect(404);
    const { app } = make({ JSSDK_CONFIG_PATH: '/h5/sign' });
    await request(app.callback()).get('/h5/sign').query({ url: `${PAGE}/` }).expect(200);
  });

  test('a list of origins that are not plain http(s) origins stops start-up naming the variable', () => {
    assert.throws(() => configFor({ JSSDK_ALLOWED_ORIGINS: 'https://h5.example.com/path' }), /JSSDK_ALLOWED_ORIGINS/);
    assert.throws(() => configFor({ JSSDK_ALLOWED_ORIGINS: 'javascript:alert(1)' }), /JSSDK_ALLOWED_ORIGINS/);
  });
});

describe('POST /jssdk/report', () => {
  test('a forged report is accepted with 202, logged with its URL, and costs no getticket call', async () => {
    const { app, logs } = make();
    await request(app.callback()).get('/jssdk/config').query({ url: `${PAGE}/warm` }).expect(200);
    const before = ticketCalls();
    const res = await request(app.callback())
      .post('/jssdk/report')
      .send({ url: `${PAGE}/forged-page`, nonceStr: 'abc', timestamp: 1, signature: 'f'.repeat(40) })
      .expect(202);
    assert.ok(!res.text.includes(currentTicket()));
    assert.equal(ticketCalls(), before);
    await app.close(0);
    assert.match(logs(), /jssdk\.report_ignored/);
    assert.match(logs(), /forged-page/);
  });

  test('a report of our current ticket replaces it once; a repeat inside the interval changes nothing', async () => {
    const { app, logs } = make();
    const server = app.callback();
    const url = `${PAGE}/rotated`;
    const first = (await request(server).get('/jssdk/config').query({ url }).expect(200)).body;
    const oldTicket = currentTicket();
    // Upstream rotates the ticket out: the page's wx.config fails and it reports.
    env.emulator.pinTicket(SANDBOX_APP.appId, 'jsapi');
    const before = ticketCalls();
    const report = { url, nonceStr: first.nonceStr, timestamp: first.timestamp, signature: first.signature };
    await request(server).post('/jssdk/report').send(report).expect(202);
    assert.equal(ticketCalls(), before + 1, 'one getticket for the replacement');
    const second = (await request(server).get('/jssdk/config').query({ url }).expect(200)).body;
    assert.notEqual(currentTicket(), oldTicket);
    assert.equal(second.signature, jsapiSignature(currentTicket(), second.nonceStr, second.timestamp, url));
    // The same report again, and a report of the new (current) ticket inside the interval: no call.
    await request(server).post('/jssdk/report').send(report).expect(202);
    await request(server).post('/jssdk/report').send({ url, nonceStr: second.nonceStr, timestamp: second.timestamp, signature: second.signature }).expect(202);
    assert.equal(ticketCalls(), before + 1);
    await app.close(0);
    assert.match(logs(), /jssdk\.ticket_reported/);
    assert.ok(!logs().includes(oldTicket), 'the ticket is never logged');
  });

  test('answers 400 for a body that is not a report and 413 past the size bound', async () => {
    const { app } = make();
    await request(app.callback()).post('/jssdk/report').set('Content-Type', 'application/json').send('not json').expect(400);
    await request(app.callback()).post('/jssdk/report').send({ url: `${PAGE}/` }).expect(400);
    await request(app.callback()).post('/jssdk/report').send({ url: `${PAGE}/`, nonceStr: 'x', timestamp: 1, signature: 'y', pad: 'z'.repeat(10_000) }).expect(413);
    await request(app.callback()).post('/jssdk/report').set('Origin', 'https://evil.example.net').send({}).expect(403);
  });
});
