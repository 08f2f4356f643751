/**
 * End to end, offline: the account creates a QR code, a new user scans it (the simulator asks the
 * emulator what WeChat pushes), the webhook handler reads the scene from EventKey, replies, and sends a
 * template message through Wechat; the second scan of a follower arrives as SCAN.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from 'koa-router';
import { SANDBOX_APP, SANDBOX_TEMPLATES, startEmulator, type Emulator } from '../../src/emulator/index.js';
import { simulateScan } from '../../src/simulator/index.js';
import { reply, webhook, Wechat } from '../../src/index.js';

let emu: Emulator;
let server: http.Server;
let url: string;
let wechat: Wechat;
const TEMPLATE = SANDBOX_TEMPLATES[1]!.template_id;
const seen: Array<{ event: string; scene: string }> = [];

before(async () => {
  emu = await startEmulator({ customServiceWindow: true });
  wechat = new Wechat({ appId: SANDBOX_APP.appId, appSecret: SANDBOX_APP.secret, apiBase: emu.url, now: () => emu.now() });
  const welcome = async (openId: string, event: string, eventKey: string) => {
    const scene = eventKey.replace(/^qrscene_/, '');
    seen.push({ event, scene });
    await wechat.message.sendTemplate({ touser: openId, template_id: TEMPLATE, client_msg_id: `${event}-${openId}-${scene}`, data: { first: { value: 'Welcome' }, keyword1: { value: scene } } });
    return reply.text(`${event === 'subscribe' ? 'welcome' : 'welcome back'} from ${scene}`);
  };
  const router = new Router();
  router.all(
    '/wechat',
    webhook(
      { token: SANDBOX_APP.token, appId: SANDBOX_APP.appId },
      {
        'event:subscribe': (m) => welcome(m.FromUserName, 'subscribe', String(m.EventKey ?? '')),
        'event:SCAN': (m) => welcome(m.FromUserName, 'SCAN', String(m.EventKey ?? '')),
      },
    ),
  );
  const app = new Koa().use(router.routes());
  server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wechat`;
});

after(async () => {
  await wechat.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await emu.close();
});

test('QR code -> scan -> webhook sees the scene, replies, and sends a template message', async () => {
  const qr = await wechat.qrcode.createPermanent('spring-fair');
  const options = { url, token: SANDBOX_APP.token, appId: SANDBOX_APP.appId, emulatorUrl: emu.url, openId: 'oNewFan000000000000000000001' };
  const first = await simulateScan(qr.ticket, options);
  assert.deepEqual(first.reply?.msgType === 'text' && first.reply.content, 'welcome from spring-fair');
  assert.match(first.requestXml, /<Event><!\[CDATA\[subscribe\]\]><\/Event>/);
  assert.match(first.requestXml, /<EventKey><!\[CDATA\[qrscene_spring-fair\]\]><\/EventKey>/);
  const second = await simulateScan(qr.ticket, options);
  assert.equal(second.reply?.msgType === 'text' && second.reply.content, 'welcome back from spring-fair');
  assert.deepEqual(seen, [
    { event: 'subscribe', scene: 'spring-fair' },
    { event: 'SCAN', scene: 'spring-fair' },
  ]);
  const sent = emu.account().sent;
  assert.equal(sent.length, 2);
  assert.deepEqual(
    sent.map((s) => [s.body.touser, (s.body.data as Record<string, { value: string }>).keyword1?.value]),
    [
      [options.openId, 'spring-fair'],
      [options.openId, 'spring-fair'],
    ],
  );
  // The scan opened the customer-service window, so a follow-up custom message goes through too.
  await wechat.message.sendCustom({ touser: options.openId, msgtype: 'text', text: { content: 'see you at the fair' } });
  assert.equal(emu.messages().length, 1);
});
