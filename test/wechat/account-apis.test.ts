/**
 * wechat.message, wechat.menu, wechat.user and wechat.qrcode against the emulator: each method's
 * happy path and the errcodes users meet first, typed and with their hint.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { followerOpenId, SANDBOX_SUBSCRIBE_TEMPLATES, SANDBOX_TEMPLATES, type Emulator } from '../../src/emulator/index.js';
import { WechatApiError } from '../../src/wechat/errors.js';
import { APPID, startEmu, wechatOn, wechatTracker } from './support/harness.js';

let emu: Emulator;
const { track, closeAll } = wechatTracker();
before(async () => {
  emu = await startEmu({ followers: 45, userListPageSize: 20, customServiceWindow: true });
});
beforeEach(() => emu.reset());
after(async () => {
  await closeAll();
  await emu.close();
});

const U1 = followerOpenId(1);
const TEMPLATE = SANDBOX_TEMPLATES[0]!.template_id;
const calls = (p: string): number => emu.stats()[APPID]?.endpoints[p] ?? 0;

async function rejectsWith(p: Promise<unknown>, errcode: number): Promise<WechatApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof WechatApiError, `expected errcode ${errcode}, got ${String(err)}`);
  assert.equal(err.errcode, errcode);
  return err;
}

describe('messages', () => {
  test('sendTemplate answers the 64-bit msgid as a string; client_msg_id makes a resend safe', async () => {
    const w = track(wechatOn(emu));
    const msg = { touser: U1, template_id: TEMPLATE, client_msg_id: 'ship-1', data: { first: { value: 'Shipped' } } };
    const a = await w.message.sendTemplate(msg);
    assert.match(a.msgid, /^\d{19}$/);
    assert.equal((await w.message.sendTemplate(msg)).msgid, a.msgid);
    assert.equal(emu.account().sent.length, 1);
  });

  test('sendTemplate errors: 40037 (with a hint naming listTemplates), 40003, 43004; bad data refused before sending', async () => {
    const w = track(wechatOn(emu));
    const e = await rejectsWith(w.message.sendTemplate({ touser: U1, template_id: 'nope', data: { a: { value: 'b' } } }), 40037);
    assert.match(e.message, /listTemplates/);
    await rejectsWith(w.message.sendTemplate({ touser: 'oNobody', template_id: TEMPLATE, data: {} }), 40003);
    emu.account().recordPush(U1, 'unsubscribe', emu.now());
    const e2 = await rejectsWith(w.message.sendTemplate({ touser: U1, template_id: TEMPLATE, data: {} }), 43004);
    assert.match(e2.message, /does not follow/);
    await assert.rejects(w.message.sendTemplate({ touser: U1, template_id: TEMPLATE, data: { a: 'b' } as never }), { code: 'WMP_ERR_INVALID_OPTION' });
  });

  test('listTemplates and deleteTemplate', async () => {
    const w = track(wechatOn(emu));
    assert.deepEqual((await w.message.listTemplates()).map((t) => t.template_id), SANDBOX_TEMPLATES.map((t) => t.template_id));
    await w.message.deleteTemplate(TEMPLATE);
    assert.equal((await w.message.listTemplates()).length, SANDBOX_TEMPLATES.length - 1);
    await rejectsWith(w.message.deleteTemplate(TEMPLATE), 40037);
  });

  test('sendSubscription (bizsend)', async () => {
    const w = track(wechatOn(emu));
    await w.message.sendSubscription({ touser: U1, template_id: SANDBOX_SUBSCRIBE_TEMPLATES[0]!, page: 'https://example.com', data: { thing1: { value: 'x' } } });
    assert.equal(emu.account().sent[0]?.endpoint, '/cgi-bin/message/subscribe/bizsend');
    await rejectsWith(w.message.sendSubscription({ touser: U1, template_id: TEMPLATE, data: {} }), 40037);
  });

  test('sendCustom and typing follow the 48-hour window: 45015 with its hint, then open after a push, 45047 after 20', async () => {
    const w = track(wechatOn(emu));
    const text = { touser: U1, msgtype: 'text', text: { content: 'hi' } } as const;
    const e = await rejectsWith(w.message.sendCustom(text), 45015);
    assert.match(String(e.hint?.action), /template message/);
    await rejectsWith(w.message.typing(U1), 45015);
    emu.account().recordPush(U1, undefined, emu.now());
    await w.message.typing(U1);
    await w.message.typing(U1, false);
    const image = await w.message.sendCustom({ touser: U1, msgtype: 'image', image: { media_id: 'm' } });
    assert.match(String(image.msgid), /^\d+$/);
    for (let i = 0; i < 19; i++) await w.message.sendCustom(text);
    await rejectsWith(w.message.sendCustom(text), 45047);
  });
});

describe('menus', () => {
  test('delete, conditional add / trymatch / delete, 65303 without a default menu', async () => {
    const w = track(wechatOn(emu));
    const tag = await w.user.createTag('vip');
    const vip = { button: [{ type: 'click', name: 'VIP', key: 'V' }] };
    await rejectsWith(w.menu.addConditional(vip, { tag_id: String(tag.id) }), 65303);
    await w.menu.create({ button: [{ type: 'click', name: 'All', key: 'A' }] });
    await assert.rejects(w.menu.addConditional(vip, {}), /matchrule/);
    const id = await w.menu.addConditional(vip, { tag_id: String(tag.id) });
    assert.equal((await w.menu.tryMatch(U1)).button[0]?.name, 'All');
    await w.user.tagUsers(tag.id, [U1]);
    assert.equal((await w.menu.tryMatch(U1)).button[0]?.name, 'VIP');
    assert.equal((await w.menu.get())?.conditionalmenu?.length, 1);
    await w.menu.deleteConditional(id);
    await rejectsWith(w.menu.deleteConditional(id), 65301);
    await w.menu.delete();
    assert.equal(await w.menu.get(), null);
  });
});

describe('users', () => {
  test('followers is an async iterator over next_openid: 45 users in pages of 20 (4 calls, the last empty)', async () => {
    const w = track(wechatOn(emu));
    const seen: string[] = [];
    for await (const id of w.user.followers()) seen.push(id);
    assert.equal(seen.length, 45);
    assert.equal(new Set(seen).size, 45);
    assert.equal(calls('/cgi-bin/user/get'), 4);
    const rest: string[] = [];
    for await (const id of w.user.followers({ startAfter: followerOpenId(40) })) rest.push(id);
    assert.deepEqual(rest, [41, 42, 43, 44, 45].map(followerOpenId));
  });

  test('info, and batchInfo cut into calls of 100 for the caller', async () => {
    const w = track(wechatOn(emu));
    const one = await w.user.info(U1, 'en');
    assert.equal(one.subscribe, 1);
    assert.equal(one.language, 'en');
    await rejectsWith(w.user.info('oNobody'), 40003);
    const ids = Array.from({ length: 230 }, (_, i) => followerOpenId((i % 45) + 1));
    const infos = await w.user.batchInfo(ids);
    assert.deepEqual(infos.map((u) => u.openid), ids);
    assert.equal(calls('/cgi-bin/user/info/batchget'), 3);
  });

  test('remark, tags (CRUD, batch tagging in chunks of 50, a user tags, members), blacklist in chunks of 20', async () => {
    const w = track(wechatOn(emu));
    await w.user.updateRemark(U1, 'VIP buyer');
    assert.equal((await w.user.info(U1)).remark, 'VIP buyer');
    const tag = await w.user.createTag('buyers');
    await rejectsWith(w.user.createTag('buyers'), 45157);
    const all: string[] = [];
    for await (const id of w.user.followers()) all.push(id);
    const before = calls('/cgi-bin/tags/members/batchtagging');
    await w.user.tagUsers(tag.id, all);
    assert.equal(calls('/cgi-bin/tags/members/batchtagging') - before, 1);
    assert.equal((await w.user.listTags()).find((t) => t.id === tag.id)?.count, 45);
    const members: string[] = [];
    for await (const id of w.user.usersWithTag(tag.id)) members.push(id);
    assert.equal(members.length, 45);
    assert.deepEqual(await w.user.tagsOf(U1), [tag.id]);
    await w.user.untagUsers(tag.id, [U1]);
    assert.deepEqual(await w.user.tagsOf(U1), []);
    await w.user.updateTag(tag.id, 'buyers-2026');
    await rejectsWith(w.user.updateTag(2, 'star'), 45058);
    await w.user.deleteTag(tag.id);
    await rejectsWith(w.user.deleteTag(tag.id), 45159);
    await w.user.block(all.slice(0, 25));
    assert.equal(calls('/cgi-bin/tags/members/batchblacklist'), 2);
    const blocked: string[] = [];
    for await (const id of w.user.blacklist()) blocked.push(id);
    assert.deepEqual(blocked, all.slice(0, 25));
    await w.user.unblock(all.slice(0, 25));
    let left = 0;
    for await (const _ of w.user.blacklist()) left += 1;
    assert.equal(left, 0);
  });
});

describe('QR codes', () => {
  test('temporary and permanent codes, the image URL with the ticket URL-encoded, which the image server accepts', async () => {
    const w = track(wechatOn(emu));
    const t = await w.qrcode.createTemporary(12345, 600);
    assert.equal(t.expireSeconds, 600);
    assert.ok(t.imageUrl.startsWith('https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket='));
    assert.equal(new URL(t.imageUrl).searchParams.get('ticket'), t.ticket, 'the ticket survives URL parsing');
    assert.doesNotMatch(t.imageUrl.split('ticket=')[1]!, /[+/=]/);
    const img = await fetch(`${emu.url}/cgi-bin/showqrcode${new URL(t.imageUrl).search}`);
    assert.equal(img.status, 200);
    assert.equal(img.headers.get('content-type'), 'image/png');
    const p = await w.qrcode.createPermanent('shop-42');
    assert.equal(p.expireSeconds, undefined);
    assert.deepEqual(emu.account().qrcodes.get(p.ticket)?.scene, 'shop-42');
  });

  test('scenes are checked against WeChat limits before the call', async () => {
    const w = track(wechatOn(emu));
    await w.fetchAccessToken();
    await assert.rejects(w.qrcode.createPermanent(100_001), /1 to 100000/);
    await assert.rejects(w.qrcode.createPermanent(0), /scene/);
    await assert.rejects(w.qrcode.createPermanent('x'.repeat(65)), /1 to 64/);
    await assert.rejects(w.qrcode.createTemporary(1, 2_592_001), /expireSeconds/);
    assert.equal(calls('/cgi-bin/qrcode/create'), 0);
    assert.equal((await w.qrcode.createPermanent(100_000)).ticket.length > 10, true);
  });

  test('shorten and fetchShortened', async () => {
    const w = track(wechatOn(emu));
    const key = await w.qrcode.shorten('{"campaign":"spring"}', 3600);
    assert.equal((await w.qrcode.fetchShortened(key)).long_data, '{"campaign":"spring"}');
    await rejectsWith(w.qrcode.fetchShortened('nope'), 40097);
  });
});
