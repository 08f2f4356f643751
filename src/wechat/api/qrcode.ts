/**
 * QR codes and short keys (docs/protocol.md section 11): `wechat.qrcode`. Scenes are checked against
 * WeChat's limits before the call; the image URL carries the ticket URL-encoded (tickets contain
 * `+`, `/` and `=`, and an unencoded one names another ticket).
 */
import { InvalidOptionError } from '../../errors.js';
import type { ApiContext } from './context.js';

/** Where QR code images are served. */
export const SHOW_QRCODE_URL = 'https://mp.weixin.qq.com/cgi-bin/showqrcode';
/** Longest lifetime of a temporary code (30 days), seconds. */
export const MAX_QR_EXPIRE_SECONDS = 2_592_000;
/** WeChat's default lifetime of a temporary code, seconds. */
export const DEFAULT_QR_EXPIRE_SECONDS = 30;
/** Largest permanent numeric scene. */
export const MAX_PERMANENT_SCENE_ID = 100_000;
/** Largest temporary numeric scene (32-bit, non-zero). */
export const MAX_TEMPORARY_SCENE_ID = 4_294_967_295;
/** Longest string scene, characters. */
export const MAX_SCENE_STR_LENGTH = 64;

/** A scene: a number (scene_id) or a string (scene_str, 1-64 characters). */
export type QrScene = number | string;

/** A created QR code. */
export interface QrCode {
  ticket: string;
  /** Temporary codes only. */
  expireSeconds?: number;
  /** The URL the code encodes. */
  url: string;
  /** The image (`showqrcode`), with the ticket URL-encoded. */
  imageUrl: string;
}

/** The QR code API. */
export interface QrCodeApi {
  /** `POST /cgi-bin/qrcode/create` (QR_SCENE / QR_STR_SCENE): lives `expireSeconds` (default 30, at most 30 days). */
  createTemporary(scene: QrScene, expireSeconds?: number): Promise<QrCode>;
  /** `POST /cgi-bin/qrcode/create` (QR_LIMIT_SCENE / QR_LIMIT_STR_SCENE): scene_id 1-100000 or a string. */
  createPermanent(scene: QrScene): Promise<QrCode>;
  /** The image URL of a ticket, URL-encoded. */
  imageUrl(ticket: string): string;
  /** `POST /cgi-bin/shorten/gen`: a short key for up to 4 KB of data, valid `expireSeconds` (at most 30 days). */
  shorten(longData: string, expireSeconds?: number): Promise<string>;
  /** `POST /cgi-bin/shorten/fetch`: the data behind a short key. */
  fetchShortened(shortKey: string): Promise<{ long_data: string; create_time: number; expire_seconds: number }>;
}

function sceneBody(scene: QrScene, maxId: number): { scene_id: number } | { scene_str: string } {
  if (typeof scene === 'number') {
    if (!Number.isInteger(scene) || scene < 1 || scene > maxId) throw new InvalidOptionError('scene', `an integer scene id from 1 to ${maxId}, or a string of 1 to ${MAX_SCENE_STR_LENGTH} characters`);
    return { scene_id: scene };
  }
  if (typeof scene !== 'string' || scene.length === 0 || [...scene].length > MAX_SCENE_STR_LENGTH) {
    throw new InvalidOptionError('scene', `a string of 1 to ${MAX_SCENE_STR_LENGTH} characters, or an integer scene id`);
  }
  return { scene_str: scene };
}

/** The QR code area of one client. */
export function qrcodeApi({ request }: ApiContext): QrCodeApi {
  const imageUrl = (ticket: string): string => {
    if (typeof ticket !== 'string' || ticket.length === 0) throw new InvalidOptionError('ticket', 'a QR code ticket');
    return `${SHOW_QRCODE_URL}?ticket=${encodeURIComponent(ticket)}`;
  };
  async function create(body: Record<string, unknown>): Promise<QrCode> {
    // Creating a code twice is harmless, so transient failures are retried.
    const res = await request<{ ticket: string; expire_seconds?: number; url: string }>('POST', '/cgi-bin/qrcode/create', { body, retry: true });
    return { ticket: res.ticket, ...(res.expire_seconds !== undefined ? { expireSeconds: Number(res.expire_seconds) } : {}), url: res.url, imageUrl: imageUrl(res.ticket) };
  }
  return {
    async createTemporary(scene, expireSeconds = DEFAULT_QR_EXPIRE_SECONDS) {
      if (!Number.isInteger(expireSeconds) || expireSeconds < 1 || expireSeconds > MAX_QR_EXPIRE_SECONDS) throw new InvalidOptionError('expireSeconds', `an integer from 1 to ${MAX_QR_EXPIRE_SECONDS}`);
      const s = sceneBody(scene, MAX_TEMPORARY_SCENE_ID);
      return create({ expire_seconds: expireSeconds, action_name: 'scene_id' in s ? 'QR_SCENE' : 'QR_STR_SCENE', action_info: { scene: s } });
    },
    async createPermanent(scene) {
      const s = sceneBody(scene, MAX_PERMANENT_SCENE_ID);
      return create({ action_name: 'scene_id' in s ? 'QR_LIMIT_SCENE' : 'QR_LIMIT_STR_SCENE', action_info: { scene: s } });
    },
    imageUrl,
    async shorten(longData, expireSeconds = MAX_QR_EXPIRE_SECONDS) {
      if (typeof longData !== 'string' || longData.length === 0 || Buffer.byteLength(longData) > 4096) throw new InvalidOptionError('longData', 'a string of 1 to 4096 bytes');
      if (!Number.isInteger(expireSeconds) || expireSeconds < 1 || expireSeconds > MAX_QR_EXPIRE_SECONDS) throw new InvalidOptionError('expireSeconds', `an integer from 1 to ${MAX_QR_EXPIRE_SECONDS}`);
      const res = await request<{ short_key: string }>('POST', '/cgi-bin/shorten/gen', { body: { long_data: longData, expire_seconds: expireSeconds } });
      return res.short_key;
    },
    async fetchShortened(shortKey) {
      if (typeof shortKey !== 'string' || shortKey.length === 0) throw new InvalidOptionError('shortKey', 'a short key');
      return request('POST', '/cgi-bin/shorten/fetch', { body: { short_key: shortKey }, retry: true });
    },
  };
}
