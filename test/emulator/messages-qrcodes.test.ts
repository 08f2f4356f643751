import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { followerOpenId, SANDBOX_SUBSCRIBE_TEMPLATES, SANDBOX_TEMPLATES } from '../../src/emulator/index.js';
import { FIXED_NOW, errcodeOf, tokenOf, useEmulatorWithToken } from './support/client.js';

const env = useEmulatorWithToken({ clock: () => FIXED_NOW, customServiceWindow: true });
const { client, api } = env;
const U1 = followerOpenId(1);
const TEMPLATE = SANDBOX_TEMPLATES[0]!.template_id;
const MENU = { button: [{ type: 'click', name: 'A', key: 'A' }] };

describe('template messages', () => {
  test('send answers a 64-bit msgid; a resend with the same client_msg_id is not sent twice', async () => {
    const body = { touser: U1, template_id: TEMPLATE, client_msg_id: 'order-1', data: { first: { value: 'hi' } } };
    const r = await client.post(api('/cgi-bin/message/template/send'), body);
    assert.match(r.text, /"msgid":\d{19}\}$/);
    const again = await client.post(api('/cgi-bin/message/template/send'), body);
    assert.equal(again.text.match(/"msgid":(\d+)/)?.[1], r.text.match(/"msgid":(\d+)/)?.[1]);
    assert.equal(env.emu.account().sent.length, 1);
    await client.post(api('/cgi-bin/message/template/send'), { ...body, client_msg_id: 'order-2' });
    assert.equal(env.emu.account().sent.length, 2);
  });

  test('40037 unknown template, 40003 unknown user, 43004 not following, 47001 bad data', async () => {
    const base = { touser: U1, template_id: TEMPLATE, data: { k: { value: 'v' } } };
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/message/template/send'), { ...base, template_id: 'nope' })), 40037);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/message/template/send'), { ...base, touser: 'oNobody' })), 40003);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/message/template/send'), { ...base, data: { k: 'v' } })), 47001);
    env.emu.account().recordPush(U1, 'unsubscribe', env.emu.now());
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/message/template/send'), base)), 43004);
  });

  test('private templates: list, delete, 40037 on a second delete', async () => {
    const list = await client.get(api('/cgi-bin/template/get_all_private_template'));
    assert.equal((list.json?.template_list as unknown[]).length, SANDBOX_TEMPLATES.length);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/template/del_private_template'), { template_id: TEMPLATE })), 0);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/template/del_private_template'), { template_id: TEMPLATE })), 40037);
  });

  test('bizsend: subscription templates only', async () => {
    const body = { touser: U1, template_id: SANDBOX_SUBSCRIBE_TEMPLATES[0], page: 'index', data: { thing1: { value: 'x' } } };
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/message/subscribe/bizsend'), body)), 0);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/message/subscribe/bizsend'), { ...body, template_id: TEMPLATE })), 40037);
  });
});

describe('the customer-service window', () => {
  const send = (touser: string) => client.post(api('/cgi-bin/message/custom/send'), { touser, msgtype: 'text', text: { content: 'x' } });

  test('45015 without a push, open for 48 hours after one, 45047 after 20 in a row, typing follows the window', async () => {
    assert.equal(errcodeOf(await send(U1)), 45015);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/message/custom/typing'), { touser: U1, command: 'Typing' })), 45015);
    env.emu.account().recordPush(U1, undefined, env.emu.now());
    for (let i = 0; i < 20; i++) assert.equal(errcodeOf(await send(U1)), 0);
    assert.equal(errcodeOf(await send(U1)), 45047);
    env.emu.account().recordPush(U1, 'CLICK', env.emu.now());
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/message/custom/typing'), { touser: U1, command: 'Typing' })), 0);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/message/custom/typing'), { touser: U1, command: 'typing' })), 47001);
    env.emu.advanceClock(48 * 3600 + 1);
    env.token = tokenOf(await client.token(env.emu.url));
    assert.equal(errcodeOf(await send(U1)), 45015);
  });

  test('the control API records a push: POST /__emulator/interactions', async () => {
    const r = await client.post(`${env.emu.url}/__emulator/interactions`, { openid: 'oNewUser', event: 'subscribe' });
    assert.equal(r.status, 200);
    assert.equal(errcodeOf(await send('oNewUser')), 0);
    assert.equal((await client.post(`${env.emu.url}/__emulator/interactions`, { nope: 1 })).status, 400);
  });
});

describe('menus', () => {
  test('conditional: needs a default menu (65303), a rule (65304); trymatch picks the tag rule; get lists it; delete', async () => {
    const tag = await client.post(api('/cgi-bin/tags/create'), { tag: { name: 'vip' } });
    const tagId = (tag.json?.tag as { id: number }).id;
    const vipMenu = { button: [{ type: 'click', name: 'VIP', key: 'V' }], matchrule: { tag_id: String(tagId) } };
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/menu/addconditional'), vipMenu)), 65303);
    await client.post(api('/cgi-bin/menu/create'), MENU);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/menu/addconditional'), { ...vipMenu, matchrule: {} })), 65304);
    const added = await client.post(api('/cgi-bin/menu/addconditional'), vipMenu);
    const menuid = String(added.json?.menuid);
    assert.match(menuid, /^\d+$/);
    assert.deepEqual((await client.post(api('/cgi-bin/menu/trymatch'), { user_id: U1 })).json, { button: MENU.button });
    await client.post(api('/cgi-bin/tags/members/batchtagging'), { openid_list: [U1], tagid: tagId });
    assert.deepEqual((await client.post(api('/cgi-bin/menu/trymatch'), { user_id: U1 })).json, { button: vipMenu.button });
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/menu/trymatch'), { user_id: 'oNobody' })), 65302);
    const got = await client.get(api('/cgi-bin/menu/get'));
    assert.equal((got.json?.conditionalmenu as unknown[]).length, 1);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/menu/delconditional'), { menuid })), 0);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/menu/delconditional'), { menuid })), 65301);
  });
});

describe('QR codes', () => {
  test('temporary: default 30 s, capped at 30 days, expires by the emulated clock', async () => {
    const r = await client.post(api('/cgi-bin/qrcode/create'), { action_name: 'QR_SCENE', action_info: { scene: { scene_id: 7 } } });
    assert.equal(r.json?.expire_seconds, 30);
    const ticket = String(r.json?.ticket);
    assert.match(ticket, /[+/=]/, 'a real ticket needs URL-encoding');
    const show = () => client.download(`${env.emu.url}/cgi-bin/showqrcode?ticket=${encodeURIComponent(ticket)}`);
    const img = await show();
    assert.equal(img.status, 200);
    assert.equal(img.contentType, 'image/png');
    assert.equal((await client.download(`${env.emu.url}/cgi-bin/showqrcode?ticket=${ticket}`)).status, 404, 'an unencoded ticket is another ticket');
    const long = await client.post(api('/cgi-bin/qrcode/create'), { expire_seconds: 9_999_999, action_name: 'QR_STR_SCENE', action_info: { scene: { scene_str: 's' } } });
    assert.equal(long.json?.expire_seconds, 2_592_000);
    env.emu.advanceClock(30);
    assert.equal((await show()).status, 404);
  });

  test('scene limits: permanent id 1-100000, strings 1-64, unknown action 40097', async () => {
    const create = (action_name: string, scene: Record<string, unknown>) => client.post(api('/cgi-bin/qrcode/create'), { action_name, action_info: { scene } });
    assert.equal(errcodeOf(await create('QR_LIMIT_SCENE', { scene_id: 100000 })), 0);
    assert.equal((await create('QR_LIMIT_SCENE', { scene_id: 1 })).json?.expire_seconds, undefined);
    assert.equal(errcodeOf(await create('QR_LIMIT_SCENE', { scene_id: 100001 })), 40097);
    assert.equal(errcodeOf(await create('QR_LIMIT_SCENE', { scene_id: 0 })), 40097);
    assert.equal(errcodeOf(await create('QR_LIMIT_STR_SCENE', { scene_str: 'x'.repeat(64) })), 0);
    assert.equal(errcodeOf(await create('QR_LIMIT_STR_SCENE', { scene_str: 'x'.repeat(65) })), 40097);
    assert.equal(errcodeOf(await create('QR_LIMIT_STR_SCENE', { scene_id: 1 })), 40097);
    assert.equal(errcodeOf(await create('QR_FOREVER', { scene_id: 1 })), 40097);
  });

  test('a scan: SCAN for a follower, subscribe with qrscene_ for a new user who then follows', async () => {
    const r = await client.post(api('/cgi-bin/qrcode/create'), { action_name: 'QR_LIMIT_STR_SCENE', action_info: { scene: { scene_str: 'shop-9' } } });
    const ticket = String(r.json?.ticket);
    const scan = (openid: string) => client.post(`${env.emu.url}/__emulator/scan`, { ticket, openid });
    assert.deepEqual((await scan(U1)).json, { event: 'SCAN', eventKey: 'shop-9', ticket, appid: env.emu.account().appId });
    assert.equal((await scan('oNewcomer')).json?.eventKey, 'qrscene_shop-9');
    const info = await client.get(api('/cgi-bin/user/info', '&openid=oNewcomer'));
    assert.equal(info.json?.subscribe_scene, 'ADD_SCENE_QR_CODE');
    assert.equal(info.json?.qr_scene_str, 'shop-9');
    assert.equal((await scan('oNewcomer')).json?.event, 'SCAN');
    assert.equal((await client.post(`${env.emu.url}/__emulator/scan`, { ticket: 'nope', openid: U1 })).status, 404);
  });

  test('shorten/gen and fetch', async () => {
    const g = await client.post(api('/cgi-bin/shorten/gen'), { long_data: 'loooong', expire_seconds: 60 });
    const key = String(g.json?.short_key);
    const f = await client.post(api('/cgi-bin/shorten/fetch'), { short_key: key });
    assert.equal(f.json?.long_data, 'loooong');
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/shorten/gen'), { long_data: 'x'.repeat(4097) })), 40097);
    env.emu.advanceClock(60);
    env.token = tokenOf(await client.token(env.emu.url));
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/shorten/fetch'), { short_key: key })), 40097);
  });
});

test('an unknown endpoint answers like an unknown WeChat path, saying the emulator lacks it', async () => {
  const r = await client.get(api('/cgi-bin/nothing/here'));
  assert.equal(r.status, 404);
  assert.equal(errcodeOf(r), -1);
  assert.match(String(r.json?.errmsg), /emulator lacks/);
});

test('a wrong field is a WeChat errcode, not a 404: 47001 for a body that is not JSON, 43002 for GET on a POST API', async () => {
  assert.equal(errcodeOf(await client.post(api('/cgi-bin/tags/create'), 'not json')), 47001);
  assert.equal(errcodeOf(await client.get(api('/cgi-bin/qrcode/create'))), 43002);
});
