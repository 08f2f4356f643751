/**
 * Media (docs/protocol.md section 10): `wechat.media`. Temporary media (kept 3 days by WeChat),
 * images for articles, and permanent materials. Uploads stream a multipart body from a file path, a
 * Buffer/Blob, or a function that opens a fresh stream (replayed after a rejected token); the file's
 * type is checked against its extension and size limit BEFORE anything is sent, so 40005/40006 do
 * not cost a round trip. Downloads answer a stream (or a Buffer) and tell a JSON error from bytes by
 * the response's Content-Type.
 */
import type { Readable } from 'node:stream';
import { InvalidOptionError } from '../../errors.js';
import { extensionOf } from '../../util/media-types.js';
import { filenameOf, sizeOf, type UploadFile } from '../body.js';
import type { DownloadResult, RequestOptions } from '../request.js';
import type { ApiContext } from './context.js';

/** Types of temporary media and permanent file materials. */
export type MediaType = 'image' | 'voice' | 'video' | 'thumb';
/** Types of permanent materials as listed by batchget. */
export type MaterialType = 'image' | 'voice' | 'video' | 'news';

/** Upload limits in bytes (WeChat's older documented limits; newer docs allow larger images, so each is overridable). */
export const MEDIA_MAX_BYTES: Readonly<Record<MediaType, number>> = { image: 2 * 1024 * 1024, voice: 2 * 1024 * 1024, video: 10 * 1024 * 1024, thumb: 64 * 1024 };
/** Permanent image materials may be up to 10 MB. */
export const MATERIAL_IMAGE_MAX_BYTES = 10 * 1024 * 1024;
/** Images for articles (uploadimg): jpg/png up to 1 MB. */
export const ARTICLE_IMAGE_MAX_BYTES = 1024 * 1024;
/** Extensions WeChat accepts per media type. */
export const MEDIA_EXTENSIONS: Readonly<Record<MediaType, readonly string[]>> = {
  image: ['bmp', 'png', 'jpeg', 'jpg', 'gif'],
  voice: ['amr', 'mp3'],
  video: ['mp4'],
  thumb: ['jpg'],
};
/** Bound on one upload, ms (a 10 MB video on a slow uplink takes longer than an ordinary call). */
export const DEFAULT_UPLOAD_TIMEOUT_MS = 120_000;

/** A file to upload: a path, or an {@link UploadFile} (source + filename). */
export type MediaFile = string | UploadFile;

/** Options of an upload. */
export interface UploadOptions {
  /** Override the size limit (bytes), e.g. when WeChat allows your account larger images. @default MEDIA_MAX_BYTES[type] */
  maxBytes?: number;
  /** @default DEFAULT_UPLOAD_TIMEOUT_MS */
  timeoutMs?: number;
}

/** A temporary media. */
export interface UploadedMedia {
  type: MediaType;
  /** The media_id (for a thumb, WeChat's `thumb_media_id`). */
  mediaId: string;
  /** Seconds since the epoch. */
  createdAt: number;
}

/** Options of a download. */
export interface MediaDownloadOptions {
  /** @default 'stream' */
  as?: 'stream' | 'buffer';
  /** `as: 'buffer'` only: most bytes read. */
  maxBytes?: number;
}

/** A download of one media: a Buffer with `as: 'buffer'`, else a stream to consume. */
export interface MediaFetch {
  (mediaId: string, opts: MediaDownloadOptions & { as: 'buffer' }): Promise<DownloadResult<Buffer>>;
  (mediaId: string, opts?: MediaDownloadOptions & { as?: 'stream' }): Promise<DownloadResult<Readable>>;
}

/** A page of batchget_material. */
export interface MaterialPage {
  total_count: number;
  item_count: number;
  item: Array<{ media_id: string; name?: string; update_time: number; url?: string; content?: unknown }>;
}

/** The media API. */
export interface MediaApi {
  /**
   * `POST /cgi-bin/media/upload`: a temporary media, kept 3 days.
   * @throws {InvalidOptionError} before any request when the filename's extension does not fit `type`
   *   or the file is larger than the limit (a stream of unknown size is stopped at the limit).
   * @throws {WechatApiError} 40004, 40005, 40006, 41005 from WeChat.
   */
  upload(type: MediaType, file: MediaFile, opts?: UploadOptions): Promise<UploadedMedia>;
  /**
   * `GET /cgi-bin/media/get`: the bytes of a temporary media (a stream unless `as: 'buffer'`), or, for
   * a video, WeChat's JSON `{video_url}`. @throws {WechatApiError} 40007 for an unknown or expired media_id.
   */
  download: MediaFetch;
  /** `GET /cgi-bin/media/get/jssdk`: a voice recorded by the JS-SDK, as 16 kHz speex. */
  downloadJssdkVoice: MediaFetch;
  /** `POST /cgi-bin/media/uploadimg`: an image for article bodies (jpg/png, 1 MB); its URL. */
  uploadArticleImage(file: MediaFile, opts?: UploadOptions): Promise<string>;
  /**
   * `POST /cgi-bin/material/add_material`: a permanent material. A video needs `video.title` (and
   * optionally `video.introduction`). Answers the media_id, and the URL of an image.
   */
  addMaterial(type: MediaType, file: MediaFile, opts?: UploadOptions & { video?: { title: string; introduction?: string } }): Promise<{ mediaId: string; url?: string }>;
  /** `POST /cgi-bin/material/get_material`: JSON for a video or news material, the bytes otherwise. */
  getMaterial: MediaFetch;
  /** `POST /cgi-bin/material/del_material`. */
  deleteMaterial(mediaId: string): Promise<void>;
  /** `GET /cgi-bin/material/get_materialcount`. */
  countMaterials(): Promise<{ voice_count: number; video_count: number; image_count: number; news_count: number }>;
  /** `POST /cgi-bin/material/batchget_material`: one page (`count` 1-20). */
  listMaterials(type: MaterialType, offset?: number, count?: number): Promise<MaterialPage>;
}

const a = (kind: string): string => `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
const MiB = (n: number): string => `${(n / 1024 / 1024).toFixed(n < 1024 * 1024 ? 3 : 1)} MiB`;

function fileOf(file: MediaFile): UploadFile {
  if (typeof file === 'string') return { source: file };
  if (!file || typeof file !== 'object' || file.source === undefined || file.source === null) throw new InvalidOptionError('file', 'a file path or { source, filename }');
  return file;
}

/** Check a file against the extensions and size limit of its type; its filename. */
async function check(file: UploadFile, kind: string, extensions: readonly string[], maxBytes: number): Promise<string> {
  const filename = filenameOf(file);
  if (!filename) throw new InvalidOptionError('file.filename', `a filename with one of ${extensions.map((e) => `.${e}`).join(' ')} for ${a(kind)} (WeChat reads the type from it; without one it answers 40005)`);
  const ext = extensionOf(filename);
  if (!extensions.includes(ext)) {
    throw new InvalidOptionError('file.filename', `${a(kind)} named ${extensions.map((e) => `.${e}`).join(' ')} (got "${filename.slice(0, 100)}"; WeChat answers 40005 invalid file type)`);
  }
  let size: number | undefined;
  try {
    size = await sizeOf(file);
  } catch (err) {
    throw new InvalidOptionError('file.source', `a readable file (${(err as { code?: string }).code ?? 'unreadable'})`);
  }
  if (size !== undefined && size > maxBytes) throw new InvalidOptionError('file', `${a(kind)} of at most ${MiB(maxBytes)} (this one is ${MiB(size)}; WeChat answers 40006)`);
  if (size === 0) throw new InvalidOptionError('file', `a non-empty ${kind} (WeChat answers 41005 media data missing)`);
  return filename;
}

const TYPES: readonly MediaType[] = ['image', 'voice', 'video', 'thumb'];

function checkType(type: unknown): asserts type is MediaType {
  if (!TYPES.includes(type as MediaType)) throw new InvalidOptionError('type', 'image, voice, video or thumb');
}

function checkId(mediaId: unknown): asserts mediaId is string {
  if (typeof mediaId !== 'string' || mediaId.length === 0 || mediaId.length > 256) throw new InvalidOptionError('mediaId', 'a media_id');
}

/** The media area of one client. */
export function mediaApi({ request, download }: ApiContext): MediaApi {
  async function send<T>(path: string, query: Record<string, string>, file: UploadFile, filename: string, maxBytes: number, opts: UploadOptions, fields?: Record<string, string>): Promise<T> {
    const form: RequestOptions['form'] = { files: { media: { ...file, filename } }, ...(fields ? { fields } : {}) };
    return request<T>('POST', path, { query, form, formLimits: { media: maxBytes }, timeoutMs: opts.timeoutMs ?? DEFAULT_UPLOAD_TIMEOUT_MS });
  }
  const get = async (path: string, mediaId: string, opts: MediaDownloadOptions = {}): Promise<DownloadResult> => {
    checkId(mediaId);
    const query = { media_id: mediaId };
    return opts.as === 'buffer'
      ? download('GET', path, { query, as: 'buffer', ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}) })
      : download('GET', path, { query });
  };

  return {
    async upload(type, input, opts = {}) {
      checkType(type);
      const file = fileOf(input);
      const max = opts.maxBytes ?? MEDIA_MAX_BYTES[type];
      const filename = await check(file, type, MEDIA_EXTENSIONS[type], max);
      const res = await send<{ type?: string; media_id?: string; thumb_media_id?: string; created_at?: number | string }>('/cgi-bin/media/upload', { type }, file, filename, max, opts);
      return { type, mediaId: String(res.media_id ?? res.thumb_media_id ?? ''), createdAt: Number(res.created_at ?? 0) };
    },
    download: ((mediaId: string, opts?: MediaDownloadOptions) => get('/cgi-bin/media/get', mediaId, opts)) as MediaFetch,
    downloadJssdkVoice: ((mediaId: string, opts?: MediaDownloadOptions) => get('/cgi-bin/media/get/jssdk', mediaId, opts)) as MediaFetch,
    async uploadArticleImage(input, opts = {}) {
      const file = fileOf(input);
      const max = opts.maxBytes ?? ARTICLE_IMAGE_MAX_BYTES;
      const filename = await check(file, 'article image', ['jpg', 'jpeg', 'png'], max);
      const res = await send<{ url?: string }>('/cgi-bin/media/uploadimg', {}, file, filename, max, opts);
      return String(res.url ?? '');
    },
    async addMaterial(type, input, opts = {}) {
      checkType(type);
      const file = fileOf(input);
      const max = opts.maxBytes ?? (type === 'image' ? MATERIAL_IMAGE_MAX_BYTES : MEDIA_MAX_BYTES[type]);
      let fields: Record<string, string> | undefined;
      if (type === 'video') {
        const v = opts.video;
        if (!v || typeof v.title !== 'string' || v.title.length === 0) throw new InvalidOptionError('video.title', 'the title of a permanent video (WeChat requires its description)');
        fields = { description: JSON.stringify({ title: v.title, introduction: v.introduction ?? '' }) };
      }
      const filename = await check(file, type, MEDIA_EXTENSIONS[type], max);
      const res = await send<{ media_id?: string; url?: string }>('/cgi-bin/material/add_material', { type }, file, filename, max, opts, fields);
      return { mediaId: String(res.media_id ?? ''), ...(res.url ? { url: res.url } : {}) };
    },
    getMaterial: (async (mediaId: string, opts: MediaDownloadOptions = {}): Promise<DownloadResult> => {
      checkId(mediaId);
      const base = { body: { media_id: mediaId }, retry: true };
      return opts.as === 'buffer'
        ? download('POST', '/cgi-bin/material/get_material', { ...base, as: 'buffer', ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}) })
        : download('POST', '/cgi-bin/material/get_material', base);
    }) as MediaFetch,
    async deleteMaterial(mediaId) {
      checkId(mediaId);
      await request('POST', '/cgi-bin/material/del_material', { body: { media_id: mediaId } });
    },
    countMaterials: () => request('GET', '/cgi-bin/material/get_materialcount'),
    async listMaterials(type, offset = 0, count = 20) {
      if (!['image', 'voice', 'video', 'news'].includes(type)) throw new InvalidOptionError('type', 'image, voice, video or news');
      if (!Number.isInteger(offset) || offset < 0) throw new InvalidOptionError('offset', 'an integer >= 0');
      if (!Number.isInteger(count) || count < 1 || count > 20) throw new InvalidOptionError('count', 'an integer from 1 to 20');
      return request<MaterialPage>('POST', '/cgi-bin/material/batchget_material', { body: { type, offset, count }, retry: true });
    },
  };
}

/** Read a download's bytes whatever it answered (a stream or a Buffer); undefined for a JSON answer. */
export async function readDownload(result: DownloadResult): Promise<Buffer | undefined> {
  if (result.kind === 'json') return undefined;
  if (Buffer.isBuffer(result.body)) return result.body;
  const chunks: Buffer[] = [];
  for await (const c of result.body as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
