/**
 * Users, tags and the blacklist (docs/protocol.md section 11): `wechat.user`. Lists WeChat pages by
 * `next_openid` are async iterators here, and batch calls are cut into WeChat's chunk sizes for the
 * caller (info 100, tagging 50, blacklist 20).
 */
import { InvalidOptionError } from '../../errors.js';
import type { ApiContext } from './context.js';
import type { ApiRequest } from '../request.js';

/** Users per user/info/batchget call. */
export const BATCH_INFO_CHUNK = 100;
/** OpenIDs per batchtagging/batchuntagging call. */
export const TAGGING_CHUNK = 50;
/** OpenIDs per batchblacklist/batchunblacklist call. */
export const BLACKLIST_CHUNK = 20;

/** Language of user/info. */
export type UserLang = 'zh_CN' | 'zh_TW' | 'en';

/** user/info of a follower (no nickname or avatar since 2021-12-27), or `{subscribe: 0, openid}`. */
export interface UserInfo {
  subscribe: 0 | 1;
  openid: string;
  language?: string;
  subscribe_time?: number;
  unionid?: string;
  remark?: string;
  groupid?: number;
  tagid_list?: number[];
  subscribe_scene?: string;
  qr_scene?: number;
  qr_scene_str?: string;
}

/** A tag. */
export interface Tag {
  id: number;
  name: string;
  /** Followers carrying it (tags/get only). */
  count?: number;
}

/** The user API. */
export interface UserApi {
  /** `GET /cgi-bin/user/info`. @throws {WechatApiError} 40003 for an OpenID not of this account. */
  info(openId: string, lang?: UserLang): Promise<UserInfo>;
  /** `POST /cgi-bin/user/info/batchget`, cut into calls of 100; answers in the order asked. */
  batchInfo(openIds: readonly string[], lang?: UserLang): Promise<UserInfo[]>;
  /** `GET /cgi-bin/user/get`: every follower's OpenID, page after page (`next_openid`), as they come. */
  followers(opts?: { startAfter?: string }): AsyncIterable<string>;
  /** `POST /cgi-bin/user/info/updateremark` (at most 30 characters). */
  updateRemark(openId: string, remark: string): Promise<void>;
  /** `POST /cgi-bin/tags/create` (name at most 30 bytes). @throws {WechatApiError} 45157 name taken. */
  createTag(name: string): Promise<Tag>;
  /** `GET /cgi-bin/tags/get`, with follower counts. */
  listTags(): Promise<Tag[]>;
  /** `POST /cgi-bin/tags/update`. */
  updateTag(id: number, name: string): Promise<void>;
  /** `POST /cgi-bin/tags/delete`. */
  deleteTag(id: number): Promise<void>;
  /** `POST /cgi-bin/tags/members/batchtagging`, cut into calls of 50. */
  tagUsers(tagId: number, openIds: readonly string[]): Promise<void>;
  /** `POST /cgi-bin/tags/members/batchuntagging`, cut into calls of 50. */
  untagUsers(tagId: number, openIds: readonly string[]): Promise<void>;
  /** `POST /cgi-bin/tags/getidlist`: the tag ids of one user. */
  tagsOf(openId: string): Promise<number[]>;
  /** `POST /cgi-bin/user/tag/get`: the followers carrying a tag, page after page. */
  usersWithTag(tagId: number): AsyncIterable<string>;
  /** `POST /cgi-bin/tags/members/getblacklist`: every blacklisted OpenID, page after page. */
  blacklist(): AsyncIterable<string>;
  /** `POST /cgi-bin/tags/members/batchblacklist`, cut into calls of 20. */
  block(openIds: readonly string[]): Promise<void>;
  /** `POST /cgi-bin/tags/members/batchunblacklist`, cut into calls of 20. */
  unblock(openIds: readonly string[]): Promise<void>;
}

interface ListPage {
  count?: number;
  data?: { openid?: string[] };
  next_openid?: string;
}

function openId(v: unknown, name = 'openId'): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 128) throw new InvalidOptionError(name, "a user's OpenID");
  return v;
}

function openIds(v: unknown): string[] {
  if (!Array.isArray(v)) throw new InvalidOptionError('openIds', 'an array of OpenIDs');
  return v.map((x, i) => openId(x, `openIds[${i}]`));
}

function tagId(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new InvalidOptionError('tagId', 'a tag id');
  return v;
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * Page through a `next_openid` list: each page's OpenIDs in order, until a page is empty or names no
 * next cursor. Bounded: a cursor that does not move ends the walk instead of looping.
 */
async function* pages(fetch: (cursor: string) => Promise<ListPage>, start = ''): AsyncGenerator<string> {
  let cursor = start;
  for (;;) {
    const page = await fetch(cursor);
    const ids = page.data?.openid ?? [];
    yield* ids;
    const next = typeof page.next_openid === 'string' ? page.next_openid : '';
    if (ids.length === 0 || next === '' || next === cursor) return;
    cursor = next;
  }
}

function checkTagName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > 30) throw new InvalidOptionError('name', 'a tag name of 1 to 30 bytes');
  return name;
}

async function inChunks(request: ApiRequest, path: string, ids: string[], size: number, extra: Record<string, unknown> = {}): Promise<void> {
  // Tagging and blacklisting are idempotent: a retried chunk changes nothing twice.
  for (const chunk of chunks(ids, size)) await request('POST', path, { body: { openid_list: chunk, ...extra }, retry: true });
}

/** The user area of one client. */
export function userApi({ request }: ApiContext): UserApi {
  return {
    info: async (id, lang = 'zh_CN') => request<UserInfo>('GET', '/cgi-bin/user/info', { query: { openid: openId(id), lang } }),
    async batchInfo(ids, lang = 'zh_CN') {
      const list = openIds(ids);
      const out: UserInfo[] = [];
      for (const chunk of chunks(list, BATCH_INFO_CHUNK)) {
        const res = await request<{ user_info_list?: UserInfo[] }>('POST', '/cgi-bin/user/info/batchget', {
          body: { user_list: chunk.map((openid) => ({ openid, lang })) },
          retry: true,
        });
        out.push(...(res.user_info_list ?? []));
      }
      return out;
    },
    followers: (opts = {}) => pages((cursor) => request<ListPage>('GET', '/cgi-bin/user/get', { query: cursor ? { next_openid: cursor } : {} }), opts.startAfter ?? ''),
    async updateRemark(id, remark) {
      if (typeof remark !== 'string' || [...remark].length > 30) throw new InvalidOptionError('remark', 'at most 30 characters');
      await request('POST', '/cgi-bin/user/info/updateremark', { body: { openid: openId(id), remark }, retry: true });
    },
    async createTag(name) {
      const res = await request<{ tag: Tag }>('POST', '/cgi-bin/tags/create', { body: { tag: { name: checkTagName(name) } } });
      return res.tag;
    },
    async listTags() {
      return (await request<{ tags?: Tag[] }>('GET', '/cgi-bin/tags/get')).tags ?? [];
    },
    async updateTag(id, name) {
      await request('POST', '/cgi-bin/tags/update', { body: { tag: { id: tagId(id), name: checkTagName(name) } }, retry: true });
    },
    async deleteTag(id) {
      await request('POST', '/cgi-bin/tags/delete', { body: { tag: { id: tagId(id) } }, retry: true });
    },
    tagUsers: (id, ids) => inChunks(request, '/cgi-bin/tags/members/batchtagging', openIds(ids), TAGGING_CHUNK, { tagid: tagId(id) }),
    untagUsers: (id, ids) => inChunks(request, '/cgi-bin/tags/members/batchuntagging', openIds(ids), TAGGING_CHUNK, { tagid: tagId(id) }),
    async tagsOf(id) {
      return (await request<{ tagid_list?: number[] }>('POST', '/cgi-bin/tags/getidlist', { body: { openid: openId(id) }, retry: true })).tagid_list ?? [];
    },
    usersWithTag(id) {
      const t = tagId(id);
      return pages((cursor) => request<ListPage>('POST', '/cgi-bin/user/tag/get', { body: { tagid: t, next_openid: cursor }, retry: true }));
    },
    blacklist: () => pages((cursor) => request<ListPage>('POST', '/cgi-bin/tags/members/getblacklist', { body: { begin_openid: cursor }, retry: true })),
    block: (ids) => inChunks(request, '/cgi-bin/tags/members/batchblacklist', openIds(ids), BLACKLIST_CHUNK),
    unblock: (ids) => inChunks(request, '/cgi-bin/tags/members/batchunblacklist', openIds(ids), BLACKLIST_CHUNK),
  };
}
