/**
 * Media (docs/protocol.md section 10): temporary upload/download (kept 3 days by the emulated
 * clock, then 40007), jssdk voice, uploadimg, and permanent materials. Uploads are multipart with
 * one file part named `media` whose filename carries the right extension: a missing part or an
 * empty file 41005, a wrong extension 40005, too large 40006, an unknown type 40004.
 * Simplification: WeChat answers a temporary video's media/get with JSON `{video_url}`; the
 * emulator answers its bytes.
 */
import { randomBytes } from 'node:crypto';
import { contentTypeOf, extensionOf } from '../util/media-types.js';
import { apiRoute, objectBody } from './api-routes.js';
import { MAX_MATERIAL_BATCH, MEDIA_EXTENSIONS, PERMANENT_IMAGE_MAX_BYTES, UPLOADIMG_MAX_BYTES } from './account-constants.js';
import type { MediaType, StoredMedia } from './media-store.js';
import type { FormFile } from './multipart.js';
import { bytes, json, ok, wechatError, type Reply } from './replies.js';
import type { EmulatorRequest, Route } from './request.js';

const MEDIA_TYPES = new Set<string>(['image', 'voice', 'video', 'thumb']);
/** The `media` file part, checked against `extensions` and `maxBytes`; else the errcode. */
function mediaPart(req: EmulatorRequest, extensions: readonly string[], maxBytes: number): FormFile | number {
  const file = req.form?.files.find((f) => f.field === 'media');
  if (!file || file.data.length === 0) return 41005;
  if (!extensions.includes(extensionOf(file.filename))) return 40005;
  if (file.data.length > maxBytes) return 40006;
  return file;
}

function download(m: StoredMedia): Reply {
  // The filename is the uploader's: keep it to safe characters in the header.
  const safe = m.filename.replace(/[^A-Za-z0-9._-]/g, '_');
  return bytes(m.data, contentTypeOf(m.filename), { 'Content-Disposition': `attachment; filename="${safe}"` });
}

/** POST /cgi-bin/media/upload?type= (multipart `media`) -> {type, media_id | thumb_media_id, created_at} */
const upload = apiRoute('POST', (req, app, state) => {
  const type = req.query.get('type') ?? '';
  if (!MEDIA_TYPES.has(type)) return wechatError(40004);
  const t = type as MediaType;
  const file = mediaPart(req, MEDIA_EXTENSIONS[t], state.options.mediaMaxBytes[t]);
  if (typeof file === 'number') return wechatError(file);
  const m = app.account.media.addTemporary(t, file.filename, file.data, state.clock.now());
  const createdAt = Math.floor(m.createdAt / 1000);
  // A thumb's id comes back as thumb_media_id (WeChat's shape).
  return json(t === 'thumb' ? { type, thumb_media_id: m.mediaId, created_at: createdAt } : { type, media_id: m.mediaId, created_at: createdAt });
});

/** GET /cgi-bin/media/get?media_id= : the bytes, or 40007 (unknown, or older than 3 days). */
const get = apiRoute('ANY', (req, app, state) => {
  const m = app.account.media.getTemporary(req.query.get('media_id') ?? '', state.clock.now());
  return m ? download(m) : wechatError(40007);
});

/** GET /cgi-bin/media/get/jssdk?media_id= : a voice recorded by the JS-SDK, as 16 kHz speex. */
const getJssdk = apiRoute('ANY', (req, app, state) => {
  const m = app.account.media.getTemporary(req.query.get('media_id') ?? '', state.clock.now());
  if (!m || m.type !== 'voice') return wechatError(40007);
  const base = m.filename.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]/g, '_');
  return bytes(m.data, 'audio/speex', { 'Content-Disposition': `attachment; filename="${base}.speex"` });
});

/** POST /cgi-bin/media/uploadimg (multipart `media`, jpg/png up to 1 MB) -> {url} */
const uploadImg = apiRoute('POST', (req, app) => {
  const file = mediaPart(req, ['jpg', 'jpeg', 'png'], UPLOADIMG_MAX_BYTES);
  if (typeof file === 'number') return wechatError(file);
  const url = `http://mmbiz.qpic.cn/mmbiz_jpg/${randomBytes(24).toString('base64url')}/0`;
  app.account.media.images.set(url, file.data);
  return json({ url });
});

/** POST /cgi-bin/material/add_material?type= (multipart `media`; a video also `description`) -> {media_id, url?} */
const addMaterial = apiRoute('POST', (req, app, state) => {
  const type = req.query.get('type') ?? '';
  if (!MEDIA_TYPES.has(type)) return wechatError(40004);
  const t = type as MediaType;
  const max = t === 'image' ? PERMANENT_IMAGE_MAX_BYTES : state.options.mediaMaxBytes[t];
  const file = mediaPart(req, MEDIA_EXTENSIONS[t], max);
  if (typeof file === 'number') return wechatError(file);
  let extra: { title?: string; introduction?: string } = {};
  if (t === 'video') {
    let d: unknown;
    try {
      d = JSON.parse(req.form?.fields.get('description') ?? '');
    } catch {
      return wechatError(47001);
    }
    const desc = d as { title?: unknown; introduction?: unknown } | null;
    if (typeof desc !== 'object' || desc === null || typeof desc.title !== 'string' || desc.title.length === 0) return wechatError(47001);
    extra = { title: desc.title, introduction: typeof desc.introduction === 'string' ? desc.introduction : '' };
  }
  const m = app.account.media.addPermanent(t, file.filename, file.data, state.clock.now(), extra);
  return json(m.url ? { media_id: m.mediaId, url: m.url } : { media_id: m.mediaId });
});

/** The media_id of a JSON body, or the errcode. */
function mediaIdOf(req: EmulatorRequest): string | Reply {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  return typeof b.value.media_id === 'string' ? b.value.media_id : wechatError(40007);
}

/** POST /cgi-bin/material/get_material {media_id}: JSON for a video, the bytes otherwise. */
const getMaterial = apiRoute('POST', (req, app) => {
  const id = mediaIdOf(req);
  if (typeof id !== 'string') return id;
  const m = app.account.media.getPermanent(id);
  if (!m) return wechatError(40007);
  if (m.type === 'video') return json({ title: m.title, description: m.introduction, down_url: `http://mmbiz.qpic.cn/video/${m.mediaId}` });
  return download(m);
});

/** POST /cgi-bin/material/del_material {media_id} */
const delMaterial = apiRoute('POST', (req, app) => {
  const id = mediaIdOf(req);
  if (typeof id !== 'string') return id;
  return app.account.media.deletePermanent(id) ? ok() : wechatError(40007);
});

/** GET /cgi-bin/material/get_materialcount */
const materialCount = apiRoute('ANY', (_req, app) => {
  const m = app.account.media;
  return json({
    voice_count: m.permanentOf('voice').length,
    video_count: m.permanentOf('video').length,
    image_count: m.permanentOf('image').length,
    news_count: m.permanentOf('news').length,
  });
});

/** POST /cgi-bin/material/batchget_material {type, offset, count (1-20)} */
const batchget = apiRoute('POST', (req, app) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  const { type, offset, count } = b.value;
  if (type !== 'image' && type !== 'voice' && type !== 'video' && type !== 'news') return wechatError(40004);
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) return wechatError(47001);
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_MATERIAL_BATCH) return wechatError(47001);
  const all = app.account.media.permanentOf(type);
  const items = all.slice(offset, offset + count).map((m) => ({
    media_id: m.mediaId,
    name: m.filename,
    update_time: Math.floor(m.createdAt / 1000),
    ...(m.url ? { url: m.url } : {}),
  }));
  return json({ total_count: all.length, item_count: items.length, item: items });
});

/** The media routes, by path. */
export const MEDIA_ROUTES: ReadonlyArray<readonly [string, Route]> = [
  ['/cgi-bin/media/upload', upload],
  ['/cgi-bin/media/get', get],
  ['/cgi-bin/media/get/jssdk', getJssdk],
  ['/cgi-bin/media/uploadimg', uploadImg],
  ['/cgi-bin/material/add_material', addMaterial],
  ['/cgi-bin/material/get_material', getMaterial],
  ['/cgi-bin/material/del_material', delMaterial],
  ['/cgi-bin/material/get_materialcount', materialCount],
  ['/cgi-bin/material/batchget_material', batchget],
];
