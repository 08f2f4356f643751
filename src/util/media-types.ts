/**
 * File extensions of WeChat media and their content types: what an upload is sent as, and what the
 * emulator serves a stored file as.
 */
import path from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  bmp: 'image/bmp',
  amr: 'audio/amr',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
};

/** The lower-case extension of `filename` without the dot, '' when none. */
export function extensionOf(filename: string): string {
  const base = path.basename(filename);
  const i = base.lastIndexOf('.');
  return i <= 0 ? '' : base.slice(i + 1).toLowerCase();
}

/** The content type of a media file by its extension, `application/octet-stream` when unknown. */
export function contentTypeOf(filename: string): string {
  return CONTENT_TYPES[extensionOf(filename)] ?? 'application/octet-stream';
}
