import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { SANDBOX_APP, startEmulator, type Emulator } from '../../src/emulator/index.js';
import { simulate, simulateScan, type SimulateOptions } from '../../src/simulator/index.js';
import { replyXml, startReferenceWebhook, type ReferenceWebhook } from './support/reference-webhook.js';

const APP = { token: SANDBOX_APP.token, appId: SANDBOX_APP.appId };
const agent = new Agent({ keepAliveTimeout: 1000 });
let hook: ReferenceWebhook;
let emu: Emulator;

before(async () => {
  hook = await startReferenceWebhook(APP);
  emu = await startEmulator({ customServiceWindow: true });
});
after(async () => {
  await hook.close();
  await emu.close();
  await agent.close();
});
beforeEach(() => {
  emu.reset();
  hook.received.length = 0;
  hook.respond = (msg) => ({ body: replyXml(msg) });
});

const opts = (extra: Partial<SimulateOptions> = {}): SimulateOptions => ({ url: hook.url, ...APP, dispatcher: agent, emulatorUrl: emu.url, ...extra });

test('a push reported to the emulator opens the customer-service window; one not reported does not', async () => {
  await simulate({ type: 'text', content: 'hi' }, opts({ emulatorUrl: undefined, openId: 'oQuiet' }));
  assert.equal(emu.account().serviceWindow('oQuiet', emu.now(), false), 45015);
  await simulate({ type: 'text', content: 'hi' }, opts({ openId: 'oTalker' }));
  assert.equal(emu.account().serviceWindow('oTalker', emu.now(), false), 0);
  assert.equal(emu.account().users.get('oTalker')?.subscribed, true, 'a user who writes follows');
  await simulate({ type: 'event', event: 'unsubscribe' }, opts({ openId: 'oTalker' }));
  assert.equal(emu.account().users.get('oTalker')?.subscribed, false);
});

test('simulateScan pushes subscribe with qrscene_ to a new user, then SCAN, both with the Ticket', async () => {
  const q = emu.account().addQrCode('QR_STR_SCENE', 'promo', emu.now() + 60_000);
  hook.respond = () => ({ body: 'success' });
  await simulateScan(q.ticket, opts({ openId: 'oScanner' }));
  await simulateScan(q.ticket, opts({ openId: 'oScanner' }));
  const [first, second] = hook.received.map((r) => r.fields);
  assert.equal(first?.Event, 'subscribe');
  assert.equal(first?.EventKey, 'qrscene_promo');
  assert.equal(first?.Ticket, q.ticket);
  assert.equal(second?.Event, 'SCAN');
  assert.equal(second?.EventKey, 'promo');
  await assert.rejects(simulateScan('unknown-ticket', opts()), /cannot scan this ticket: HTTP 404/);
  await assert.rejects(simulateScan(q.ticket, opts({ emulatorUrl: undefined })), { code: 'WMP_ERR_INVALID_OPTION' });
});

test('the scan control endpoint is loopback-only like the rest of the control API and checks its body', async () => {
  const r = await request(`${emu.url}/__emulator/scan`, { method: 'POST', dispatcher: agent, body: '{"ticket": 1}' });
  assert.equal(r.statusCode, 400);
  await r.body.dump();
});
