/**
 * Request and response bodies beyond JSON: a multipart/form-data upload streamed from a file, a
 * Buffer/Blob, or a function that opens a fresh stream (so the token recovery can send it again),
 * and how a download tells a JSON body from bytes (docs/protocol.md sections 0 and 10).
 *
 * The multipart body is written here as a stream rather than through undici's FormData: FormData
 * takes Blobs only, and a caller's stream of unknown length must go out as it is read, never
 * buffered. Each part is announced with its filename (WeChat reads the type from its extension).
 *
 * A file path is read into a few reused buffers rather than a stream's fresh chunk per read: those
 * chunks are garbage once written, but nothing collects them during an upload (the JS heap barely
 * grows, and V8 only collects for external memory past tens of MB), so a 10 MB file cost 10 MB of resident
 * memory, as much as reading it whole. The body is an async iterable that undici's writer pulls one
 * chunk at a time; see {@link fileChunks} for why the reuse is safe.
 */
import { randomBytes } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { contentTypeOf } from '../util/media-types.js';
import path from 'node:path';
import { Readable } from 'node:stream';
import { InvalidOptionError } from '../errors.js';

/** Where an uploaded file's bytes come from. */
export type UploadSource =
  /** A file path, read as a stream on each attempt. */
  | string
  | Uint8Array
  | Blob
  /** Opens a fresh stream on each attempt (a retry after a rejected token sends it again). */
  | (() => Readable | AsyncIterable<Uint8Array> | Promise<Readable | AsyncIterable<Uint8Array>>);

/** A file to upload. */
export interface UploadFile {
  source: UploadSource;
  /** The filename WeChat sees; its extension decides the accepted type. @default the path's base name */
  filename?: string;
  /** @default derived from the extension, else application/octet-stream */
  contentType?: string;
  /** Byte size of a stream source, when known: checked before the upload and sent as Content-Length. */
  size?: number;
}

/** A multipart form: file parts and text fields. */
export interface UploadForm {
  files: Record<string, UploadFile>;
  fields?: Record<string, string>;
}

/** A body to send, opened for one attempt. */
export interface StreamedBody {
  readonly contentType: string;
  /** Content-Length when every part's size is known. */
  readonly length?: number;
  /**
   * The bytes, pulled one chunk at a time. A chunk read from a file is only valid until the next
   * one after it is pulled (its buffer is reused): write it out first, never keep it. undici's
   * writer of an iterable body does exactly that.
   */
  readonly body: AsyncIterable<Uint8Array>;
}

/** The filename a file is sent under. */
export function filenameOf(file: UploadFile): string | undefined {
  if (file.filename !== undefined) return file.filename;
  return typeof file.source === 'string' ? path.basename(file.source) : undefined;
}

/** The byte size of a file when it can be known without reading it (a stat for a path). */
export async function sizeOf(file: UploadFile): Promise<number | undefined> {
  const s = file.source;
  if (typeof s === 'string') return (await stat(s)).size;
  if (s instanceof Uint8Array) return s.byteLength;
  if (typeof Blob !== 'undefined' && s instanceof Blob) return s.size;
  return file.size;
}

/**
 * A file that breaks its own rules while it streams (larger than the limit, shorter or longer than
 * announced). Marked so the HTTP client does not mistake it for a network failure and retry.
 */
export class BodyError extends InvalidOptionError {
  readonly wechatBodyError = true;
}

/** Bytes of one read of a file, and the size of each of its reused buffers. */
export const FILE_CHUNK_BYTES = 64 * 1024;
/** Buffers a file is read into in turn. */
export const FILE_BUFFERS = 3;

/**
 * The bytes of the file at `file`, read into {@link FILE_BUFFERS} buffers of {@link FILE_CHUNK_BYTES}
 * in turn, opened when the first chunk is pulled and closed when the last is (or the consumer stops).
 *
 * Why reuse is safe with undici's writer of an iterable body: it pulls the next chunk only after
 * `socket.write()` of the previous one returned true, or after the socket drained. A full chunk is
 * larger than a socket's write high-water mark (16 KiB on Node 20, 64 KiB from Node 22, and undici
 * writes it corked behind the request head), so its write returns false and the pull waits for the
 * drain, when the kernel has the bytes. Only a short read (the end of the file) could be written
 * without a drain, so it is copied out instead. A buffer is refilled {@link FILE_BUFFERS} pulls
 * later, one more margin on top.
 */
async function* fileChunks(file: string): AsyncGenerator<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffers: Buffer[] = [];
    for (let i = 0; ; i++) {
      const buf = (buffers[i % FILE_BUFFERS] ??= Buffer.allocUnsafeSlow(FILE_CHUNK_BYTES));
      const { bytesRead } = await handle.read(buf, 0, FILE_CHUNK_BYTES, null);
      if (bytesRead === 0) return;
      yield bytesRead === FILE_CHUNK_BYTES ? buf : Buffer.from(buf.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

async function* bytesOf(file: UploadFile, limit: number | undefined): AsyncGenerator<Uint8Array> {
  const s = file.source;
  let source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  if (typeof s === 'string') source = fileChunks(s);
  else if (s instanceof Uint8Array) source = [s];
  else if (s instanceof Blob) source = Readable.fromWeb(s.stream() as import('node:stream/web').ReadableStream<Uint8Array>);
  else source = await s();
  let sent = 0;
  for await (const chunk of source) {
    const c = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    sent += c.byteLength;
    // A stream of unannounced size is checked as it goes: the upload stops at the limit.
    if (limit !== undefined && sent > limit) throw new BodyError('file', `a file of at most ${limit} bytes (it streamed more)`);
    yield c;
  }
  if (file.size !== undefined && sent !== file.size) throw new BodyError('file.size', `the stream's real size (announced ${file.size} bytes, it gave ${sent})`);
}

const escape = (s: string): string => s.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');

/**
 * A factory of the multipart body of `form`: each call opens the sources again. `limits` caps a
 * file part (by field name) while it streams.
 */
export function multipartBody(form: UploadForm, limits: Readonly<Record<string, number>> = {}): () => Promise<StreamedBody> {
  return async () => {
    const boundary = `----wechat-mp-server-${randomBytes(12).toString('hex')}`;
    const enc = new TextEncoder();
    const parts: { head: Uint8Array; file?: UploadFile; text?: Uint8Array; size?: number; limit?: number }[] = [];
    for (const [name, value] of Object.entries(form.fields ?? {})) {
      parts.push({ head: enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${escape(name)}"\r\n\r\n`), text: enc.encode(value) });
    }
    for (const [name, file] of Object.entries(form.files)) {
      const filename = filenameOf(file) ?? 'file';
      const type = file.contentType ?? contentTypeOf(filename);
      const head = enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${escape(name)}"; filename="${escape(filename)}"\r\nContent-Type: ${type}\r\n\r\n`);
      parts.push({ head, file, size: await sizeOf(file), ...(limits[name] !== undefined ? { limit: limits[name] } : {}) });
    }
    const crlf = enc.encode('\r\n');
    const tail = enc.encode(`--${boundary}--\r\n`);
    let length: number | undefined = tail.byteLength;
    for (const p of parts) {
      const bodySize = p.text ? p.text.byteLength : p.size;
      length = length === undefined || bodySize === undefined ? undefined : length + p.head.byteLength + bodySize + crlf.byteLength;
    }
    async function* body(): AsyncGenerator<Uint8Array> {
      for (const p of parts) {
        yield p.head;
        if (p.text) yield p.text;
        else yield* bytesOf(p.file!, p.limit);
        yield crlf;
      }
      yield tail;
    }
    return { contentType: `multipart/form-data; boundary=${boundary}`, ...(length === undefined ? {} : { length }), body: body() };
  };
}

/** True when a response's Content-Type says the body is JSON (WeChat labels errors JSON or text/plain). */
export function isJsonContentType(contentType: string): boolean {
  const t = contentType.split(';')[0]!.trim().toLowerCase();
  return t === 'application/json' || t === 'text/json' || t === 'text/plain';
}

/** The filename of a Content-Disposition header, if any. */
export function dispositionFilename(header: string | string[] | undefined): string | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return undefined;
  const star = /filename\*\s*=\s*(?:UTF-8'')?([^;]+)/i.exec(h);
  if (star) {
    try {
      return decodeURIComponent(star[1]!.trim().replace(/^"|"$/g, ''));
    } catch {
      // fall through to the plain parameter
    }
  }
  return /filename\s*=\s*"?([^";]+)"?/i.exec(h)?.[1]?.trim();
}
