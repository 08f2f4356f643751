import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { followerOpenId } from '../../src/emulator/index.js';
import { FIXED_NOW, errcodeOf, useEmulatorWithToken } from './support/client.js';

const env = useEmulatorWithToken({ clock: () => FIXED_NOW, followers: 25, userListPageSize: 10 });
const { client, api } = env;
const U1 = followerOpenId(1);
const U2 = followerOpenId(2);

describe('users', () => {
  test('user/get pages by next_openid; the page after the last is empty with next_openid ""', async () => {
    const seen: string[] = [];
    let next = '';
    const counts: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await client.get(api('/cgi-bin/user/get', `&next_openid=${next}`));
      assert.equal(r.json?.total, 25);
      counts.push(Number(r.json?.count));
      const ids = (r.json?.data as { openid: string[] } | undefined)?.openid ?? [];
      seen.push(...ids);
      next = String(r.json?.next_openid);
      if (ids.length === 0) break;
    }
    assert.deepEqual(counts, [10, 10, 5, 0]);
    assert.equal(next, '');
    assert.equal(new Set(seen).size, 25);
    assert.equal(seen[0], U1);
    assert.equal(errcodeOf(await client.get(api('/cgi-bin/user/get', '&next_openid=oNobody'))), 40003);
  });

  test('user/info: a follower, 40003 for an unknown openid, subscribe 0 after unsubscribe', async () => {
    const r = await client.get(api('/cgi-bin/user/info', `&openid=${U1}&lang=en`));
    assert.equal(r.json?.subscribe, 1);
    assert.equal(r.json?.language, 'en');
    assert.deepEqual(r.json?.tagid_list, []);
    assert.equal(r.json?.nickname, undefined, 'no nickname since 2021-12-27');
    assert.equal(errcodeOf(await client.get(api('/cgi-bin/user/info', '&openid=oNobody'))), 40003);
    env.emu.account().recordPush(U2, 'unsubscribe', env.emu.now());
    assert.deepEqual((await client.get(api('/cgi-bin/user/info', `&openid=${U2}`))).json, { subscribe: 0, openid: U2 });
  });

  test('batchget: at most 100, every openid known', async () => {
    const r = await client.post(api('/cgi-bin/user/info/batchget'), { user_list: [{ openid: U1 }, { openid: U2, lang: 'zh_TW' }] });
    const list = r.json?.user_info_list as { openid: string; language: string }[];
    assert.deepEqual(list.map((u) => [u.openid, u.language]), [[U1, 'zh_CN'], [U2, 'zh_TW']]);
    const many = Array.from({ length: 101 }, () => ({ openid: U1 }));
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/user/info/batchget'), { user_list: many })), 40032);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/user/info/batchget'), { user_list: [{ openid: 'oNobody' }] })), 40003);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/user/info/batchget'), { users: [] })), 47001);
  });

  test('remark is stored; longer than 30 characters 47001', async () => {
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/user/info/updateremark'), { openid: U1, remark: '老客户' })), 0);
    assert.equal((await client.get(api('/cgi-bin/user/info', `&openid=${U1}`))).json?.remark, '老客户');
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/user/info/updateremark'), { openid: U1, remark: 'x'.repeat(31) })), 47001);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/user/info/updateremark'), { openid: 'oNobody', remark: 'x' })), 40003);
  });
});

describe('tags and blacklist', () => {
  test('create, list with counts, rename, tag and untag users, a user tags, members, delete', async () => {
    const c = await client.post(api('/cgi-bin/tags/create'), { tag: { name: 'vip' } });
    const id = (c.json?.tag as { id: number }).id;
    assert.ok(id >= 100);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/tags/create'), { tag: { name: 'vip' } })), 45157);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/tags/create'), { tag: { name: '长'.repeat(11) } })), 45158);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/tags/members/batchtagging'), { openid_list: [U1, U2], tagid: id })), 0);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/tags/members/batchtagging'), { openid_list: [U1], tagid: 999 })), 45159);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/tags/members/batchtagging'), { openid_list: Array(51).fill(U1), tagid: id })), 40032);
    const list = await client.get(api('/cgi-bin/tags/get'));
    assert.deepEqual((list.json?.tags as { id: number; count: number }[]).find((t) => t.id === id), { id, name: 'vip', count: 2 });
    assert.deepEqual((await client.post(api('/cgi-bin/tags/getidlist'), { openid: U1 })).json, { tagid_list: [id] });
    const members = await client.post(api('/cgi-bin/user/tag/get'), { tagid: id, next_openid: '' });
    assert.deepEqual(members.json?.data, { openid: [U1, U2] });
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/tags/members/batchuntagging'), { openid_list: [U1], tagid: id })), 0);
    assert.deepEqual((await client.post(api('/cgi-bin/tags/getidlist'), { openid: U1 })).json, { tagid_list: [] });
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/tags/update'), { tag: { id, name: 'gold' } })), 0);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/tags/update'), { tag: { id: 2, name: 'x' } })), 45058);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/tags/delete'), { tag: { id } })), 0);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/tags/delete'), { tag: { id } })), 45159);
    assert.deepEqual((await client.post(api('/cgi-bin/tags/getidlist'), { openid: U2 })).json, { tagid_list: [] });
  });

  test('blacklist: add at most 20, list pages, remove', async () => {
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/tags/members/batchblacklist'), { openid_list: [U1, U2] })), 0);
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/tags/members/batchblacklist'), { openid_list: Array(21).fill(U1) })), 40032);
    const r = await client.post(api('/cgi-bin/tags/members/getblacklist'), { begin_openid: '' });
    assert.equal(r.json?.total, 2);
    assert.deepEqual(r.json?.data, { openid: [U1, U2] });
    assert.equal(errcodeOf(await client.post(api('/cgi-bin/tags/members/batchunblacklist'), { openid_list: [U1] })), 0);
    assert.equal((await client.post(api('/cgi-bin/tags/members/getblacklist'), {})).json?.total, 1);
  });
});
