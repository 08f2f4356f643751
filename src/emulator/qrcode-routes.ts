/**
 * QR codes and short keys (docs/protocol.md section 11): qrcode/create with WeChat's scene limits,
 * the showqrcode image (served here for mp.weixin.qq.com, no access_token), shorten/gen and
 * shorten/fetch. A scan is driven by the simulator through the control API (control-account.ts).
 */
import { randomBytes } from 'node:crypto';
import type { QrCodeRecord } from './account.js';
import {
  DEFAULT_QR_EXPIRE_SECONDS,
  MAX_QR_EXPIRE_SECONDS,
  MAX_QR_LIMIT_SCENE_ID,
  MAX_QR_SCENE_ID,
  MAX_QR_SCENE_STR,
  MAX_SHORTEN_DATA_BYTES,
} from './account-constants.js';
import { apiRoute, objectBody } from './api-routes.js';
import { json, wechatError, type Reply } from './replies.js';
import type { Route } from './request.js';

/** A 1x1 PNG: what showqrcode answers for a valid ticket. */
const QR_IMAGE = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
const ACTIONS = new Set(['QR_SCENE', 'QR_STR_SCENE', 'QR_LIMIT_SCENE', 'QR_LIMIT_STR_SCENE']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The scene of a create body, checked against the action's limits; undefined when invalid. */
function sceneOf(action: string, info: unknown): number | string | undefined {
  const scene = isObject(info) && isObject(info.scene) ? info.scene : undefined;
  if (!scene) return undefined;
  if (action === 'QR_SCENE' || action === 'QR_LIMIT_SCENE') {
    const max = action === 'QR_SCENE' ? MAX_QR_SCENE_ID : MAX_QR_LIMIT_SCENE_ID;
    const id = scene.scene_id;
    return typeof id === 'number' && Number.isInteger(id) && id >= 1 && id <= max ? id : undefined;
  }
  const str = scene.scene_str;
  return typeof str === 'string' && str.length >= 1 && [...str].length <= MAX_QR_SCENE_STR ? str : undefined;
}

/** POST /cgi-bin/qrcode/create -> {ticket, expire_seconds (temporary only), url} */
const create = apiRoute('POST', (req, app, state) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  const { action_name: action, action_info: info, expire_seconds: expire } = b.value;
  if (typeof action !== 'string' || !ACTIONS.has(action)) return wechatError(40097);
  const scene = sceneOf(action, info);
  if (scene === undefined) return wechatError(40097);
  const temporary = action === 'QR_SCENE' || action === 'QR_STR_SCENE';
  let seconds: number | undefined;
  if (temporary) {
    if (expire !== undefined && (typeof expire !== 'number' || !Number.isInteger(expire) || expire < 1)) return wechatError(40097);
    // WeChat caps a longer lifetime at 30 days rather than refusing it.
    seconds = Math.min(expire ?? DEFAULT_QR_EXPIRE_SECONDS, MAX_QR_EXPIRE_SECONDS);
  }
  const q = app.account.addQrCode(action as QrCodeRecord['actionName'], scene, seconds === undefined ? undefined : state.clock.now() + seconds * 1000);
  return json({ ticket: q.ticket, ...(seconds === undefined ? {} : { expire_seconds: seconds }), url: q.url });
});

/** GET /cgi-bin/showqrcode?ticket= : the image, or HTTP 404 for an unknown or expired ticket. */
const show: Route = (req, state) => {
  const ticket = req.query.get('ticket') ?? '';
  const owner = [...state.apps.values()].find((a) => a.account.qrcodes.has(ticket));
  return {
    appId: owner?.config.appId,
    counter: 'api',
    faultEndpoint: 'api',
    respond: (): Reply => {
      if (owner?.account.qrCode(ticket, state.clock.now())) return { kind: 'bytes', status: 200, contentType: 'image/png', body: QR_IMAGE };
      return { kind: 'bytes', status: 404, contentType: 'text/plain; charset=utf-8', body: Buffer.from('invalid ticket') };
    },
  };
};

/** POST /cgi-bin/shorten/gen {long_data, expire_seconds?} -> {short_key} */
const shortenGen = apiRoute('POST', (req, app, state) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  const { long_data: data, expire_seconds: expire } = b.value;
  if (typeof data !== 'string' || data.length === 0 || Buffer.byteLength(data) > MAX_SHORTEN_DATA_BYTES) return wechatError(40097);
  if (expire !== undefined && (typeof expire !== 'number' || !Number.isInteger(expire) || expire < 1 || expire > MAX_QR_EXPIRE_SECONDS)) return wechatError(40097);
  const key = randomBytes(12).toString('base64url');
  const now = state.clock.now();
  app.account.shortKeys.set(key, { longData: data, createdAt: now, expiresAt: now + (expire ?? MAX_QR_EXPIRE_SECONDS) * 1000 });
  return json({ errcode: 0, errmsg: 'ok', short_key: key });
});

/** POST /cgi-bin/shorten/fetch {short_key} -> {long_data, create_time, expire_seconds} */
const shortenFetch = apiRoute('POST', (req, app, state) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  const key = b.value.short_key;
  const hit = typeof key === 'string' ? app.account.shortKeys.get(key) : undefined;
  const now = state.clock.now();
  if (!hit || now >= hit.expiresAt) return wechatError(40097);
  return json({ errcode: 0, errmsg: 'ok', long_data: hit.longData, create_time: Math.floor(hit.createdAt / 1000), expire_seconds: Math.floor((hit.expiresAt - now) / 1000) });
});

/** The QR code routes, by path. */
export const QRCODE_ROUTES: ReadonlyArray<readonly [string, Route]> = [
  ['/cgi-bin/qrcode/create', create],
  ['/cgi-bin/showqrcode', show],
  ['/cgi-bin/shorten/gen', shortenGen],
  ['/cgi-bin/shorten/fetch', shortenFetch],
];
