/**
 * The composed service app through `app.callback()` (supertest), against the real emulator over
 * HTTP: health, readiness, metrics, the central token routes, and log redaction.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { redactConfig, type AppConfig } from '../../config/index.js';
import { createApp, type WechatApp } from '../../src/server/app.js';
import { deferred } from '../support/deferred.js';
import { until } from '../support/until.js';
import { MemoryTokenStore } from '../../src/token/memory-token-store.js';
import { SANDBOX_APP } from '../../src/emulator/index.js';
import { captureLogs, sandboxConfig, useEmulator } from './support/sandbox-config.js';
import { buildDelivery } from '../../src/simulator/delivery.js';
import { buildMessageXml } from '../../src/simulator/message-xml.js';
import type { SimMessageSpec } from '../../src/simulator/message-spec.js';
import { useTestDatabase, type TestDatabase } from '../support/test-db.js';

const BEARER = 'central-token-service-secret-0001';
const env = useEmulator();
const apps: WechatApp[] = [];
after(async () => {
  await Promise.all(apps.map((a) => a.close()));
});

const configFor = (extra: Record<string, string> = {}): AppConfig => sandboxConfig(env.emulator.url, extra);

function make(config: AppConfig, deps: Parameters<typeof createApp>[2] = {}): WechatApp {
  const app = createApp(config, undefined, { tokenStore: new MemoryTokenStore(), processMetrics: false, ...deps });
  apps.push(app);
  return app;
}

let seq = 0;
function signedPost(app: WechatApp, spec: SimMessageSpec, msgId?: string) {
  const now = Math.floor(Date.now() / 1000);
  // A nonce per delivery, as WeChat sends (a reused query with another body is refused as a replay).
  const nonce = `n${++seq}`;
  const xml = buildMessageXml(spec, {
    toUser: SANDBOX_APP.accountId,
    fromUser: 'oUser0000000000000000000001',
    createTime: now,
    msgId: spec.type === 'event' ? undefined : (msgId ?? `90000000000000${String(seq).padStart(5, '0')}`),
  });
  const d = buildDelivery({ xml, mode: 'plain', token: SANDBOX_APP.token, accountId: SANDBOX_APP.accountId, openId: 'oUser0000000000000000000001', timestamp: String(now), nonce });
  return request(app.callback()).post('/wechat').query(d.query).set('Content-Type', 'text/xml').send(d.body);
}

const apiCalls = () => {
  const s = env.emulator.stats()[SANDBOX_APP.appId];
  return { token: s?.token ?? 0, stable: s?.stable_token ?? 0 };
};

describe('health and readiness', () => {
  test('/healthz answers 200 while the process runs', async () => {
    const res = await request(make(configFor()).callback()).get('/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok' });
  });

  test('/readyz is 503 without a token, 200 once one is held', async () => {
    const app = make(configFor());
    const before = await request(app.callback()).get('/readyz');
    assert.equal(before.status, 503);
    assert.match(before.body.reasons.token, /no access_token yet/);
    await app.wechat.fetchAccessToken();
    const ready = await request(app.callback()).get('/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ready');
  });

  test('/readyz names the cause when the token cannot be had (wrong secret)', async () => {
    const app = make(configFor({ WECHAT_APP_SECRET: 'wrongsecret0000000000000000000000' }));
    await assert.rejects(app.wechat.fetchAccessToken(), (e: unknown) => (e as { code?: string }).code === 'WMP_ERR_TOKEN_PERMANENT');
    const res = await request(app.callback()).get('/readyz');
    assert.equal(res.status, 503);
    assert.match(res.body.reasons.token, /WMP_ERR_TOKEN_PERMANENT.*40125/);
  });
});

describe('readiness with MongoDB', () => {
  let db: TestDatabase;
  before(async () => {
    db = await useTestDatabase(import.meta.url, { dedicated: true });
  });
  after(async () => {
    await db?.cleanup();
  });

  test('/readyz is 503 while MongoDB is down and 200 again after it returns', { timeout: 60_000 }, async (t) => {
    if (db.server.kind === 'env') {
      t.skip('MONGODB_TEST_URI names a server this test cannot stop');
      return;
    }
    const conn = await db.connect();
    const app = make(configFor({ MONGODB_URI: db.uri, TOKEN_STORE: 'mongo' }), { mongo: conn, tokenStore: undefined });
    await app.wechat.fetchAccessToken();
    assert.equal((await request(app.callback()).get('/readyz')).status, 200);
    await db.server.pause();
    const down = await request(app.callback()).get('/readyz');
    assert.equal(down.status, 503);
    assert.ok(down.body.reasons.mongo, JSON.stringify(down.body));
    assert.equal(down.body.reasons.token, undefined, 'the cached token keeps the token check green');
    await db.server.resume();
    await until(async () => (await request(app.callback()).get('/readyz')).status === 200, { timeoutMs: 20_000, what: '/readyz back to 200' });
  });
});

describe('metrics', () => {
  test('/metrics exposes the named series after traffic', async () => {
    const app = make(configFor());
    await app.wechat.fetchAccessToken();
    assert.equal((await signedPost(app, { type: 'text', content: 'hi' })).status, 200);
    assert.equal((await signedPost(app, { type: 'event', event: 'subscribe' })).status, 200);
    const dup = `9100000000000000001`;
    await signedPost(app, { type: 'text', content: 'once' }, dup);
    await signedPost(app, { type: 'text', content: 'once' }, dup);
    assert.equal((await request(app.callback()).post('/wechat').query({ signature: 'bad', timestamp: '1', nonce: '1' }).send('<xml/>')).status, 401);
    await app.wechat.domain.getApiDomainIp();
    const res = await request(app.callback()).get('/metrics');
    assert.equal(res.status, 200);
    const text = res.text;
    for (const series of [
      /wechat_webhook_requests_total\{outcome="reply",msg_type="text"\} [1-9]/,
      /wechat_webhook_requests_total\{outcome="reply",msg_type="event"\} 1/,
      /wechat_webhook_requests_total\{outcome="rejected",msg_type="none"\} 1/,
      /wechat_webhook_requests_total\{outcome="duplicate",msg_type="text"\} 1/,
      /wechat_webhook_handler_duration_seconds_count\{msg_type="text",ok="true"\} [1-9]/,
      /wechat_webhook_dedupe_hits_total 1/,
      /wechat_webhook_deadline_fallbacks_total 0/,
      /wechat_token_refreshes_total\{source="upstream"\} 1/,
      /wechat_token_age_seconds \d/,
      /wechat_token_expires_in_seconds \d/,
      /wechat_api_calls_total\{endpoint="\/cgi-bin\/get_api_domain_ip",errcode="0"\} 1/,
      /http_requests_total\{method="POST",route="\/wechat",status="200"\} [1-9]/,
    ]) {
      assert.match(text, series);
    }
  });
});

describe('metrics under made-up input', () => {
  test('hardening: pushes with thousands of made-up MsgTypes add no metric series', async () => {
    const app = make(configFor());
    const cb = app.callback();
    const post = (msgType: string, i: number) => {
      const now = Math.floor(Date.now() / 1000);
      const xml = `<xml><ToUserName><![CDATA[${SANDBOX_APP.accountId}]]></ToUserName><FromUserName><![CDATA[oUser0000000000000000000001]]></FromUserName><CreateTime>${now}</CreateTime><MsgType><![CDATA[${msgType}]]></MsgType><MsgId>${8_000_000_000 + i}</MsgId></xml>`;
      const d = buildDelivery({ xml, mode: 'plain', token: SANDBOX_APP.token, accountId: SANDBOX_APP.accountId, openId: 'oUser0000000000000000000001', timestamp: String(now), nonce: `m${i}` });
      return request(cb).post('/wechat').query(d.query).set('Content-Type', 'text/xml').send(d.body);
    };
    const seriesCount = async () => (await request(cb).get('/metrics')).text.split('\n').filter((l) => l.startsWith('wechat_webhook_')).length;
    for (let i = 0; i < 5; i++) assert.equal((await post(`made_up_${i}`, i)).status, 200);
    const after5 = await seriesCount();
    for (let i = 5; i < 400; i++) await post(`made_up_${i}`, i);
    const text = (await request(cb).get('/metrics')).text;
    assert.equal(await seriesCount(), after5, 'series do not grow with the number of distinct MsgTypes');
    assert.doesNotMatch(text, /made_up_/);
    assert.match(text, /wechat_webhook_requests_total\{outcome="success",msg_type="other"\} 400/);
  });
});

describe('central token service', () => {
  test('routes do not exist without TOKEN_SERVICE_SECRET', async () => {
    const app = make(configFor());
    assert.equal((await request(app.callback()).get('/internal/access-token').set('Authorization', `Bearer ${BEARER}`)).status, 404);
  });

  test('wrong secret 401, repeated failures 429, right secret gets the token', async () => {
    const app = make(configFor({ TOKEN_SERVICE_SECRET: BEARER }));
    const cb = app.callback();
    assert.equal((await request(cb).get('/internal/access-token')).status, 401);
    for (let i = 0; i < 4; i++) assert.equal((await request(cb).get('/internal/access-token').set('Authorization', 'Bearer nope')).status, 401);
    assert.equal((await request(cb).get('/internal/access-token').set('Authorization', 'Bearer nope')).status, 429);
    const ok = await request(cb).get('/internal/access-token').set('Authorization', `Bearer ${BEARER}`);
    assert.equal(ok.status, 200);
    const held = await app.wechat.fetchAccessToken();
    assert.equal(ok.body.access_token, held.access_token);
    assert.equal(ok.body.expires_at, held.expires_at);
    assert.equal(ok.headers['cache-control'], 'no-store');
  });

  test('hardening: a valid secret passes after failures from the same address (a stale sibling behind one proxy)', async () => {
    const app = make(configFor({ TOKEN_SERVICE_SECRET: BEARER }));
    const cb = app.callback();
    await app.wechat.fetchAccessToken();
    let limited = 0;
    let served = 0;
    // The stale sibling keeps failing while the healthy ones, from the same address, keep asking.
    for (let i = 0; i < 20; i++) {
      const bad = await request(cb).get('/internal/access-token').set('Authorization', 'Bearer stale-secret');
      if (bad.status === 429) limited++;
      const good = await request(cb).post('/internal/access-token/invalidate').set('Authorization', `Bearer ${BEARER}`).send({ access_token: 'an-older-token' });
      if (good.status === 200) served++;
    }
    assert.equal(served, 20, 'every request with the right secret is served');
    assert.equal(limited, 15, 'the wrong secret is still limited after 5 failures');
  });

  test('hardening: the bearer scheme is accepted in any letter case (RFC 7235)', async () => {
    const app = make(configFor({ TOKEN_SERVICE_SECRET: BEARER }));
    for (const scheme of ['bearer', 'BEARER', 'Bearer', 'beArer']) {
      const res = await request(app.callback()).get('/internal/access-token').set('Authorization', `${scheme} ${BEARER}`);
      assert.equal(res.status, 200, scheme);
    }
    assert.equal((await request(app.callback()).get('/internal/access-token').set('Authorization', `Basic ${BEARER}`)).status, 401);
  });

  test('hardening: a flood of invalidations with the right secret forces one upstream refresh per interval', async () => {
    const app = make(configFor({ TOKEN_SERVICE_SECRET: BEARER, WECHAT_TOKEN_MODE: 'classic' }));
    const cb = app.callback();
    const first = await app.wechat.fetchAccessToken();
    const calls0 = apiCalls();
    // Each report names the token just handed out, as a buggy or hostile consumer would.
    let current = first.access_token;
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const res = await request(cb).post('/internal/access-token/invalidate').set('Authorization', `Bearer ${BEARER}`).send({ access_token: current });
      assert.equal(res.status, 200);
      current = res.body.access_token as string;
      seen.add(current);
    }
    // And 10 at once, all naming the current token: they share the one refresh of the interval.
    const burst = await Promise.all(
      Array.from({ length: 10 }, () => request(cb).post('/internal/access-token/invalidate').set('Authorization', `Bearer ${BEARER}`).send({ access_token: current })),
    );
    const calls1 = apiCalls();
    assert.equal(calls1.token - calls0.token, 1, 'one GET /cgi-bin/token for 40 reports');
    assert.equal(seen.size, 1);
    assert.notEqual(current, first.access_token, 'the first report did replace the token');
    for (const r of burst) assert.equal(r.body.access_token, current);
  });

  for (const [mode, expectedCalls, why] of [
    ['classic', 1, 'one GET /cgi-bin/token'],
    ['stable', 2, 'a plain stable_token call that still returns the rejected token, then one force_refresh'],
  ] as const) {
    test(`invalidate (${mode}): a stale token causes no refresh, the current one exactly one (${why})`, async () => {
      const app = make(configFor({ TOKEN_SERVICE_SECRET: BEARER, WECHAT_TOKEN_MODE: mode }));
      const cb = app.callback();
      const first = await app.wechat.fetchAccessToken();
      const calls0 = apiCalls();
      const stale = await request(cb).post('/internal/access-token/invalidate').set('Authorization', `Bearer ${BEARER}`).send({ access_token: 'some-older-token' });
      assert.equal(stale.status, 200);
      assert.equal(stale.body.access_token, first.access_token);
      assert.deepEqual(apiCalls(), calls0, 'no upstream call for a token that is not the current one');

      const fresh = await request(cb).post('/internal/access-token/invalidate').set('Authorization', `Bearer ${BEARER}`).send({ access_token: first.access_token });
      assert.equal(fresh.status, 200);
      assert.notEqual(fresh.body.access_token, first.access_token);
      const calls1 = apiCalls();
      assert.equal(calls1.token + calls1.stable - (calls0.token + calls0.stable), expectedCalls);
      // The new token works upstream, and a second report of the old one changes nothing.
      const r = await fetch(`${env.emulator.url}/cgi-bin/get_api_domain_ip?access_token=${fresh.body.access_token}`);
      assert.ok(Array.isArray(((await r.json()) as { ip_list?: unknown }).ip_list));
      const again = await request(cb).post('/internal/access-token/invalidate').set('Authorization', `Bearer ${BEARER}`).send({ access_token: first.access_token });
      assert.equal(again.body.access_token, fresh.body.access_token);
      assert.deepEqual(apiCalls(), calls1);

      const bad = await request(cb).post('/internal/access-token/invalidate').set('Authorization', `Bearer ${BEARER}`).send('not json');
      assert.equal(bad.status, 400);
    });
  }

  test('an upstream failure is a 503 with a code, not a 500', async () => {
    const app = make(configFor({ TOKEN_SERVICE_SECRET: BEARER, WECHAT_APP_SECRET: 'wrongsecret0000000000000000000000' }));
    const res = await request(app.callback()).get('/internal/access-token').set('Authorization', `Bearer ${BEARER}`);
    assert.equal(res.status, 503);
    assert.equal(res.body.error, 'WMP_ERR_TOKEN_PERMANENT');
  });
});

describe('redaction', () => {
  test('no secret or token appears in logs of a failing fetch and of token-carrying requests', async () => {
    const capture = captureLogs();
    const aesKey = 'Zx9'.repeat(14) + 'Q';
    const wrong = make(configFor({ WECHAT_APP_SECRET: 'wrongsecret0000000000000000000000', WECHAT_ENCODING_AES_KEY: aesKey, TOKEN_SERVICE_SECRET: BEARER }), { logger: capture.logger });
    await request(wrong.callback()).get('/internal/access-token').set('Authorization', `Bearer ${BEARER}`);
    await assert.rejects(wrong.wechat.fetchAccessToken());

    const good = make(configFor({ WECHAT_ENCODING_AES_KEY: aesKey, TOKEN_SERVICE_SECRET: BEARER }), { logger: capture.logger });
    const res = await request(good.callback()).get('/internal/access-token').set('Authorization', `Bearer ${BEARER}`);
    assert.equal(res.status, 200);
    const token = res.body.access_token as string;
    await request(good.callback()).post('/wechat').query({ signature: 'x', timestamp: '1', nonce: '2', access_token: token }).send('<xml/>');
    await good.wechat.domain.getApiDomainIp();
    env.emulator.injectFault({ appId: SANDBOX_APP.appId, endpoint: 'api', kind: 'errcode', errcode: 48001, count: 1 });
    await assert.rejects(good.wechat.menu.get());

    const text = capture.text();
    assert.ok(text.length > 0, 'something was logged');
    for (const secret of ['wrongsecret0000000000000000000000', SANDBOX_APP.secret, SANDBOX_APP.token, aesKey, BEARER, token]) {
      assert.ok(!text.includes(secret), `log output leaks ${secret.slice(0, 6)}...`);
    }
  });
});

test('a config dump in the logs tells set secrets (redacted) from unset ones', () => {
  const capture = captureLogs();
  const config = configFor({ WECHAT_ENCODING_AES_KEY: 'Zx9'.repeat(14) + 'Q' });
  capture.logger.info({ config: redactConfig(config) }, 'config');
  const line = JSON.parse(capture.text()) as { config: { wechat: Record<string, unknown>; tokenService: Record<string, unknown> } };
  assert.equal(line.config.wechat.appSecret, '[redacted]');
  assert.equal(line.config.wechat.encodingAESKey, '[redacted]');
  assert.equal(line.config.wechat.previousEncodingAESKey, '[unset]');
  assert.equal(line.config.tokenService.secret, '[unset]');
});

describe('shutdown', () => {
  test('close() waits for a handler that missed the deadline and delivers its late reply', async () => {
    const config = configFor({ WEBHOOK_REPLY_DEADLINE_MS: '100' });
    // The handler finishes only when the test says so: after the deadline answered, before close().
    const release = deferred();
    const app = createApp(
      config,
      {
        text: async (m) => {
          await release.promise;
          return `late: ${m.Content}`;
        },
      },
      { tokenStore: new MemoryTokenStore(), processMetrics: false },
    );
    await app.wechat.fetchAccessToken();
    const before = env.emulator.messages().length;
    const res = await signedPost(app, { type: 'text', content: 'slowpoke' });
    assert.equal(res.status, 200);
    assert.equal(res.text, 'success', 'the deadline answered success');
    let closedEarly = false;
    const closed = app.close().then(() => (closedEarly = !release.settled));
    await new Promise((r) => setImmediate(r));
    release.resolve();
    await closed;
    assert.equal(closedEarly, false, 'close() waited for the handler');
    const sent = env.emulator.messages().slice(before);
    assert.equal(sent.length, 1, 'the late reply went out through custom/send before close() resolved');
    assert.deepEqual((sent[0] as { body?: unknown }).body, { touser: 'oUser0000000000000000000001', msgtype: 'text', text: { content: 'late: slowpoke' } });
  });
});

test('an unexpected error answers 500 without details and is logged with its stack and a bounded path', async () => {
  const logs = captureLogs();
  const app = make(configFor(), { logger: logs.logger });
  app.use(() => {
    throw new Error('boom from a route added by the app');
  });
  const res = await request(app.callback()).get(`/added-route-${'x'.repeat(5000)}`);
  assert.equal(res.status, 500);
  assert.deepEqual(res.body, { error: 'internal error' });
  assert.doesNotMatch(res.text, /boom|stack/);
  const line = logs.text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'http.unexpected_error');
  assert.ok(line, logs.text().slice(0, 2000));
  const err = line.err as { message: string; stack: string };
  assert.match(err.message, /boom/);
  assert.match(err.stack, /app\.test\.ts/);
  assert.ok((line.path as string).length <= 200);
});
