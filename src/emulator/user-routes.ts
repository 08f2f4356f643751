/**
 * Users, tags and the blacklist (docs/protocol.md section 11). Lists page by `next_openid` with the
 * emulator's `userListPageSize`; a page answers `{total, count, data: {openid: []}, next_openid}`
 * and an empty one leaves out `data`, as WeChat does.
 */
import { apiRoute, objectBody } from './api-routes.js';
import type { AccountData } from './account.js';
import {
  MAX_BATCHGET_USERS,
  MAX_BLACKLIST_OPENIDS,
  MAX_REMARK_CHARS,
  MAX_TAG_NAME_BYTES,
  MAX_TAGGING_OPENIDS,
} from './account-constants.js';
import { json, ok, wechatError, type JsonReply } from './replies.js';
import type { EmulatorState } from './state.js';
import type { Route } from './request.js';
import { page, UserDirectory, type UserRecord } from './user-directory.js';

const LANGS = new Set(['zh_CN', 'zh_TW', 'en']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** user/info of one user (no nickname or avatar since 2021-12-27). */
function userInfo(u: UserRecord, lang: string): Record<string, unknown> {
  if (!u.subscribed) return { subscribe: 0, openid: u.openid };
  return {
    subscribe: 1,
    openid: u.openid,
    language: lang,
    subscribe_time: u.subscribeTime,
    remark: u.remark,
    groupid: 0,
    tagid_list: [...u.tags],
    subscribe_scene: u.subscribeScene,
    qr_scene: u.qrScene,
    qr_scene_str: u.qrSceneStr,
  };
}

/** One page of `ids` after `cursor`, with or without `total`; 40003 for an unknown cursor. */
function listPage(ids: readonly string[], cursor: unknown, state: EmulatorState, withTotal = true): JsonReply {
  const p = page(ids, typeof cursor === 'string' ? cursor : '', state.options.userListPageSize);
  if (!p) return wechatError(40003);
  return json({
    ...(withTotal ? { total: ids.length } : {}),
    count: p.openids.length,
    ...(p.openids.length ? { data: { openid: p.openids } } : {}),
    next_openid: p.next,
  });
}

/** An `openid_list` of 1..max known OpenIDs, or the errcode. */
function openidList(v: unknown, max: number, account: AccountData): string[] | number {
  if (!Array.isArray(v) || v.length === 0 || v.length > max) return 40032;
  if (!v.every((x): x is string => typeof x === 'string' && account.users.get(x) !== undefined)) return 40003;
  return v;
}

/** GET /cgi-bin/user/info?openid&lang */
const info = apiRoute('ANY', (req, app) => {
  const openid = req.query.get('openid') ?? '';
  const lang = req.query.get('lang') ?? 'zh_CN';
  if (!LANGS.has(lang)) return wechatError(40097);
  const u = app.account.users.get(openid);
  return u ? json(userInfo(u, lang)) : wechatError(40003);
});

/** POST /cgi-bin/user/info/batchget {user_list: [{openid, lang?}]} (at most 100) */
const batchInfo = apiRoute('POST', (req, app) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  const list = b.value.user_list;
  if (!Array.isArray(list) || list.length === 0) return wechatError(47001);
  if (list.length > MAX_BATCHGET_USERS) return wechatError(40032);
  const out: Record<string, unknown>[] = [];
  for (const item of list) {
    if (!isObject(item) || typeof item.openid !== 'string') return wechatError(47001);
    const u = app.account.users.get(item.openid);
    if (!u) return wechatError(40003);
    out.push(userInfo(u, typeof item.lang === 'string' && LANGS.has(item.lang) ? item.lang : 'zh_CN'));
  }
  return json({ user_info_list: out });
});

/** GET /cgi-bin/user/get?next_openid */
const followers = apiRoute('ANY', (req, app, state) => listPage(app.account.users.followers(), req.query.get('next_openid'), state));

/** POST /cgi-bin/user/info/updateremark {openid, remark} */
const remark = apiRoute('POST', (req, app) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  const { openid, remark: text } = b.value;
  if (typeof text !== 'string' || [...text].length > MAX_REMARK_CHARS) return wechatError(47001);
  const u = typeof openid === 'string' ? app.account.users.get(openid) : undefined;
  if (!u) return wechatError(40003);
  u.remark = text;
  return ok();
});

/** The `tag` object of a tags/* body. */
function tagOf(body: Record<string, unknown>): Record<string, unknown> | undefined {
  return isObject(body.tag) ? body.tag : undefined;
}

/** POST /cgi-bin/tags/create {tag: {name}} -> {tag: {id, name}} */
const tagCreate = apiRoute('POST', (req, app) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  const name = tagOf(b.value)?.name;
  if (typeof name !== 'string' || name.length === 0) return wechatError(47001);
  if (Buffer.byteLength(name) > MAX_TAG_NAME_BYTES) return wechatError(45158);
  const r = app.account.users.createTag(name);
  return 'errcode' in r ? wechatError(r.errcode) : json({ tag: { id: r.id, name } });
});

/** GET /cgi-bin/tags/get -> {tags: [{id, name, count}]} */
const tagList = apiRoute('ANY', (_req, app) => {
  const users = app.account.users;
  return json({ tags: [...users.tags].map(([id, name]) => ({ id, name, count: users.tagged(id).length })) });
});

/** A tag id of a body that names an existing, non-system tag; else the errcode. */
function editableTag(body: Record<string, unknown>, account: AccountData): number | { errcode: number } {
  const id = tagOf(body)?.id;
  if (typeof id !== 'number' || !Number.isInteger(id)) return { errcode: 47001 };
  if (UserDirectory.isSystemTag(id)) return { errcode: 45058 };
  if (!account.users.tags.has(id)) return { errcode: 45159 };
  return id;
}

/** POST /cgi-bin/tags/update {tag: {id, name}} */
const tagUpdate = apiRoute('POST', (req, app) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  const id = editableTag(b.value, app.account);
  if (typeof id !== 'number') return wechatError(id.errcode);
  const name = tagOf(b.value)?.name;
  if (typeof name !== 'string' || name.length === 0) return wechatError(47001);
  if (Buffer.byteLength(name) > MAX_TAG_NAME_BYTES) return wechatError(45158);
  if ([...app.account.users.tags].some(([other, n]) => n === name && other !== id)) return wechatError(45157);
  app.account.users.tags.set(id, name);
  return ok();
});

/** POST /cgi-bin/tags/delete {tag: {id}} */
const tagDelete = apiRoute('POST', (req, app) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  const id = editableTag(b.value, app.account);
  if (typeof id !== 'number') return wechatError(id.errcode);
  app.account.users.deleteTag(id);
  return ok();
});

/** POST /cgi-bin/user/tag/get {tagid, next_openid}: the followers carrying a tag. */
const tagMembers = apiRoute('POST', (req, app, state) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  const id = b.value.tagid;
  if (typeof id !== 'number' || !app.account.users.tags.has(id)) return wechatError(45159);
  // This list answers without `total` (WeChat's shape).
  return listPage(app.account.users.tagged(id), b.value.next_openid, state, false);
});

function batchTagging(on: boolean): Route {
  return apiRoute('POST', (req, app) => {
    const b = objectBody(req);
    if ('error' in b) return b.error;
    const ids = openidList(b.value.openid_list, MAX_TAGGING_OPENIDS, app.account);
    if (typeof ids === 'number') return wechatError(ids);
    const tagId = b.value.tagid;
    if (typeof tagId !== 'number') return wechatError(45159);
    const e = app.account.users.tag(ids, tagId, on);
    return e ? wechatError(e) : ok();
  });
}

/** POST /cgi-bin/tags/getidlist {openid} -> {tagid_list} */
const userTags = apiRoute('POST', (req, app) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  const u = typeof b.value.openid === 'string' ? app.account.users.get(b.value.openid) : undefined;
  return u ? json({ tagid_list: [...u.tags] }) : wechatError(40003);
});

/** POST /cgi-bin/tags/members/getblacklist {begin_openid} */
const blacklist = apiRoute('POST', (req, app, state) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  return listPage(app.account.users.blacklist(), b.value.begin_openid, state);
});

function batchBlacklist(on: boolean): Route {
  return apiRoute('POST', (req, app) => {
    const b = objectBody(req);
    if ('error' in b) return b.error;
    const ids = openidList(b.value.openid_list, MAX_BLACKLIST_OPENIDS, app.account);
    if (typeof ids === 'number') return wechatError(ids);
    for (const id of ids) app.account.users.get(id)!.blacklisted = on;
    return ok();
  });
}

/** The user, tag and blacklist routes, by path. */
export const USER_ROUTES: ReadonlyArray<readonly [string, Route]> = [
  ['/cgi-bin/user/info', info],
  ['/cgi-bin/user/info/batchget', batchInfo],
  ['/cgi-bin/user/get', followers],
  ['/cgi-bin/user/info/updateremark', remark],
  ['/cgi-bin/tags/create', tagCreate],
  ['/cgi-bin/tags/get', tagList],
  ['/cgi-bin/tags/update', tagUpdate],
  ['/cgi-bin/tags/delete', tagDelete],
  ['/cgi-bin/user/tag/get', tagMembers],
  ['/cgi-bin/tags/members/batchtagging', batchTagging(true)],
  ['/cgi-bin/tags/members/batchuntagging', batchTagging(false)],
  ['/cgi-bin/tags/getidlist', userTags],
  ['/cgi-bin/tags/members/getblacklist', blacklist],
  ['/cgi-bin/tags/members/batchblacklist', batchBlacklist(true)],
  ['/cgi-bin/tags/members/batchunblacklist', batchBlacklist(false)],
];
