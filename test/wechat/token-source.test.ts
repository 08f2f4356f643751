/**
 * `tokenSource`: instances that take their token from a central token service (the service's real
 * `/internal/access-token` routes, backed by a Wechat on the emulator) instead of from WeChat.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from 'koa-router';
import type { Emulator } from '../../src/emulator/index.js';
import { noopLogger } from '../../src/log/logger.js';
import { mountTokenService } from '../../src/server/token-service.js';
import { TokenSourceError } from '../../src/wechat/errors.js';
import { Wechat } from '../../src/wechat/client.js';
import { APPID, SECRET, errorText, startEmu, wechatOn } from './support/harness.js';

const SERVICE_SECRET = 'central-service-bearer-secret-0001';
let emu: Emulator;
let central: Wechat;
let server: http.Server;
let sourceUrl: string;
const clients: Wechat[] = [];

function client(secret = SERVICE_SECRET, clockOffsetMs = 0): Wechat {
  const w = new Wechat({ appId: APPID, appSecret: '', apiBase: emu.url, tokenSource: sourceUrl, tokenSourceSecret: secret, now: () => emu.now() + clockOffsetMs, retry: { attempts: 3, baseDelayMs: 5 } });
  clients.push(w);
  return w;
}

before(async () => {
  emu = await startEmu();
  central = wechatOn(emu, { tokenMode: 'classic' });
  const app = new Koa();
  app.silent = true;
  const router = new Router();
  mountTokenService(router, { secret: SERVICE_SECRET, tokens: central, logger: noopLogger, now: () => emu.now() });
  app.use(router.routes());
  server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sourceUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/internal/access-token`;
});
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await central.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await emu.close();
});

const stats = () => emu.stats()[APPID]!;

test('instances take the central token; only the central service calls WeChat', async () => {
  const a = client();
  const b = client();
  const [ta, tb] = await Promise.all([a.fetchAccessToken(), b.fetchAccessToken()]);
  assert.equal(ta.access_token, tb.access_token);
  assert.equal(ta.access_token, (await central.fetchAccessToken()).access_token);
  assert.equal(stats().token + stats().stable_token, 1);
  assert.ok((await a.domain.getApiDomainIp()).length > 0);
});

test('a token rejected at three instances: reported to /invalidate, one refresh at the centre, every call succeeds', async () => {
  const cs = [client(), client(), client()];
  const calls0 = stats().token;
  const t1 = await cs[0]!.fetchAccessToken();
  await Promise.all(cs.map((c) => c.fetchAccessToken()));
  // Rotated behind everyone's back, grace over.
  await fetch(`${emu.url}/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}`);
  emu.advanceClock(301);
  const results = await Promise.all(cs.map((c) => c.domain.getApiDomainIp()));
  assert.ok(results.every((r) => r.length > 0));
  assert.equal(stats().token - calls0, 2, '1 by the other client + exactly 1 refresh at the centre');
  const now = await Promise.all(cs.map((c) => c.fetchAccessToken()));
  assert.equal(new Set(now.map((t) => t.access_token)).size, 1);
  assert.notEqual(now[0]!.access_token, t1.access_token);
});

test('a wrong bearer secret: a typed error, not retried, the secret not in it', async () => {
  const wrong = 'wrong-bearer-secret-value-000000001';
  const c = client(wrong);
  const err = await c.fetchAccessToken().then(() => assert.fail('resolved'), (e: unknown) => e);
  assert.ok(err instanceof TokenSourceError);
  assert.equal(err.code, 'WMP_ERR_TOKEN_SOURCE');
  assert.equal(err.status, 401);
  assert.ok(!errorText(err).includes(wrong) && !errorText(err).includes(SERVICE_SECRET));
});

test('a client whose clock runs ahead of the service keeps the token for its real remaining life', async () => {
  const held = await central.fetchAccessToken();
  // The service's token has 100 s left; the client's clock is 10 minutes ahead of the service's.
  emu.advanceClock(Math.floor((held.expires_at - emu.now()) / 1000) - 100);
  const ahead = client(SERVICE_SECRET, 600_000);
  // The client's clock when the call starts and when it ends (the emulator's clock runs in real time).
  const before = emu.now() + 600_000;
  const t = await ahead.fetchAccessToken();
  const after = emu.now() + 600_000;
  assert.equal(t.access_token, (await central.fetchAccessToken()).access_token);
  // expires_in (relative) is used, not the service's absolute expires_at (already past on this clock):
  // at most 100 s from whenever during the call the client counted it.
  assert.ok(t.expires_at - before > 90_000 && t.expires_at - after <= 100_000, `expiry on the client's clock is ${t.expires_at - before} ms after the call started, ${t.expires_at - after} ms after it ended`);
  assert.ok(ahead.status().hasToken, 'the token is usable on the client');
});
