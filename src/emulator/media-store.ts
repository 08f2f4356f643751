/**
 * Uploaded media of one emulated account (docs/protocol.md section 10): temporary media kept
 * 3 days by the emulated clock, permanent materials until deleted.
 */
import { randomBytes } from 'node:crypto';
import { MEDIA_LIFETIME_MS } from './account-constants.js';

/** The upload types of media/upload and add_material. */
export type MediaType = 'image' | 'voice' | 'video' | 'thumb';
/** The media types of material/* (news articles are added by draft APIs this emulator lacks). */
export type MaterialType = MediaType | 'news';

/** One stored file. */
export interface StoredMedia {
  readonly mediaId: string;
  readonly type: MaterialType;
  readonly filename: string;
  readonly data: Buffer;
  /** Emulated ms. */
  readonly createdAt: number;
  /** Permanent video: the `description` part. */
  readonly title?: string;
  readonly introduction?: string;
  /** Permanent image: its URL. */
  readonly url?: string;
}

/** A media_id in WeChat's shape: 64 characters of [A-Za-z0-9_-]. */
function newMediaId(): string {
  return randomBytes(48).toString('base64url');
}

/** Media and materials of one account. */
export class MediaStore {
  readonly #temporary = new Map<string, StoredMedia>();
  readonly #permanent = new Map<string, StoredMedia>();
  /** URLs answered by uploadimg, with their bytes. */
  readonly images = new Map<string, Buffer>();

  /** Keep a temporary upload; its media_id. */
  addTemporary(type: MediaType, filename: string, data: Buffer, now: number): StoredMedia {
    const m: StoredMedia = { mediaId: newMediaId(), type, filename, data, createdAt: now };
    this.#temporary.set(m.mediaId, m);
    return m;
  }

  /** A temporary upload younger than 3 days at `now`. */
  getTemporary(mediaId: string, now: number): StoredMedia | undefined {
    const m = this.#temporary.get(mediaId);
    if (!m) return undefined;
    if (now - m.createdAt >= MEDIA_LIFETIME_MS) {
      this.#temporary.delete(mediaId);
      return undefined;
    }
    return m;
  }

  /** Keep a permanent material. */
  addPermanent(type: MediaType, filename: string, data: Buffer, now: number, extra: { title?: string; introduction?: string } = {}): StoredMedia {
    const mediaId = newMediaId();
    const url = type === 'image' ? `http://mmbiz.qpic.cn/mmbiz_jpg/${mediaId}/0?wx_fmt=jpeg` : undefined;
    const m: StoredMedia = { mediaId, type, filename, data, createdAt: now, ...extra, ...(url ? { url } : {}) };
    this.#permanent.set(mediaId, m);
    return m;
  }

  getPermanent(mediaId: string): StoredMedia | undefined {
    return this.#permanent.get(mediaId);
  }

  deletePermanent(mediaId: string): boolean {
    return this.#permanent.delete(mediaId);
  }

  /** Permanent materials of `type`, newest first (batchget_material's order). */
  permanentOf(type: MaterialType): StoredMedia[] {
    return [...this.#permanent.values()].filter((m) => m.type === type).reverse();
  }
}
