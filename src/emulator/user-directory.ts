/**
 * Followers, tags, remarks and the blacklist of one emulated account (docs/protocol.md section 11).
 * Follower order is subscription order, which is the order user/get pages through.
 */
import { MAX_TAGS, MAX_TAGS_PER_USER } from './account-constants.js';

/** One user of the account. */
export interface UserRecord {
  readonly openid: string;
  /** Currently following. */
  subscribed: boolean;
  /** Seconds since the epoch of the last subscription. */
  subscribeTime: number;
  /** How the user subscribed, as user/info reports it (ADD_SCENE_QR_CODE after a QR code scan). */
  subscribeScene: string;
  qrScene: number;
  qrSceneStr: string;
  remark: string;
  readonly tags: Set<number>;
  blacklisted: boolean;
}

/** System tags WeChat creates (2: 星标组); they cannot be changed. */
const SYSTEM_TAGS: ReadonlyMap<number, string> = new Map([[2, '星标组']]);
/** First id of a created tag. */
const FIRST_TAG_ID = 100;

/** The OpenID of generated follower `i` (1-based), e.g. `oSandboxUser000000000000001`. */
export function followerOpenId(i: number): string {
  return `oSandboxUser${String(i).padStart(15, '0')}`;
}

/** Users and tags of one account. */
export class UserDirectory {
  readonly #users = new Map<string, UserRecord>();
  /** OpenIDs in subscription order (followers and former followers; user/get skips the latter). */
  #order: string[] = [];
  readonly tags = new Map<number, string>(SYSTEM_TAGS);
  #nextTagId = FIRST_TAG_ID;

  constructor(followers: number, nowSeconds: number) {
    for (let i = 1; i <= followers; i++) this.subscribe(followerOpenId(i), nowSeconds - (followers - i) * 60, 'ADD_SCENE_SEARCH');
  }

  /** The user, whether following or not. */
  get(openid: string): UserRecord | undefined {
    return this.#users.get(openid);
  }

  /** Current followers in subscription order. */
  followers(): string[] {
    return this.#order.filter((id) => this.#users.get(id)?.subscribed);
  }

  /** Follow (again): moves the user to the end of the follower list. */
  subscribe(openid: string, nowSeconds: number, scene: string, qr?: { scene: number; sceneStr: string }): UserRecord {
    let u = this.#users.get(openid);
    if (!u) {
      u = { openid, subscribed: true, subscribeTime: nowSeconds, subscribeScene: scene, qrScene: 0, qrSceneStr: '', remark: '', tags: new Set(), blacklisted: false };
      this.#users.set(openid, u);
    }
    u.subscribed = true;
    u.subscribeTime = nowSeconds;
    u.subscribeScene = scene;
    u.qrScene = qr?.scene ?? 0;
    u.qrSceneStr = qr?.sceneStr ?? '';
    this.#order = this.#order.filter((id) => id !== openid);
    this.#order.push(openid);
    return u;
  }

  /** Stop following (tags and remark are kept, as WeChat keeps them). */
  unsubscribe(openid: string): void {
    const u = this.#users.get(openid);
    if (u) u.subscribed = false;
  }

  /** Create a tag: its id, or the errcode (45157 name taken, 45056 too many). */
  createTag(name: string): { id: number } | { errcode: number } {
    if ([...this.tags.values()].includes(name)) return { errcode: 45157 };
    if (this.tags.size - SYSTEM_TAGS.size >= MAX_TAGS) return { errcode: 45056 };
    const id = this.#nextTagId++;
    this.tags.set(id, name);
    return { id };
  }

  /** Followers carrying `tagId`, in subscription order. */
  tagged(tagId: number): string[] {
    return this.followers().filter((id) => this.#users.get(id)?.tags.has(tagId));
  }

  /** Add or remove `tagId` on every user; the errcode of the first problem, 0 when done. */
  tag(openids: readonly string[], tagId: number, on: boolean): number {
    if (!this.tags.has(tagId)) return 45159;
    const users = openids.map((id) => this.#users.get(id));
    if (users.some((u) => u === undefined)) return 40003;
    if (on && users.some((u) => !u!.tags.has(tagId) && u!.tags.size >= MAX_TAGS_PER_USER)) return 45059;
    for (const u of users) {
      if (on) u!.tags.add(tagId);
      else u!.tags.delete(tagId);
    }
    return 0;
  }

  /** Delete a tag and take it off every user. */
  deleteTag(tagId: number): void {
    this.tags.delete(tagId);
    for (const u of this.#users.values()) u.tags.delete(tagId);
  }

  /** Blacklisted users in subscription order. */
  blacklist(): string[] {
    return this.#order.filter((id) => this.#users.get(id)?.blacklisted);
  }

  /** True for a system tag (cannot be renamed or deleted). */
  static isSystemTag(id: number): boolean {
    return SYSTEM_TAGS.has(id) || id < 3;
  }
}

/**
 * One page of `ids` after `cursor` ('' or absent: from the start), as user/get pages: the page's
 * OpenIDs and the cursor of the next page (the last OpenID of this one, '' when this one is empty).
 * An unknown cursor answers undefined (WeChat: 40003).
 */
export function page(ids: readonly string[], cursor: string, size: number): { openids: string[]; next: string } | undefined {
  let start = 0;
  if (cursor !== '') {
    const i = ids.indexOf(cursor);
    if (i < 0) return undefined;
    start = i + 1;
  }
  const openids = ids.slice(start, start + size);
  return { openids, next: openids.length > 0 ? openids[openids.length - 1]! : '' };
}
