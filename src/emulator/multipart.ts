/**
 * multipart/form-data bodies of the media endpoints (docs/protocol.md section 10), parsed with
 * busboy. The emulator reads a request in full before routing, so the parser is fed that buffer.
 */
import busboy from 'busboy';

/** A file part. */
export interface FormFile {
  /** The part's `name` (WeChat reads `media`). */
  readonly field: string;
  /** The `filename` of its Content-Disposition, '' when absent. */
  readonly filename: string;
  readonly mimeType: string;
  readonly data: Buffer;
}

/** A parsed form: text fields by name (the last one wins) and the file parts in order. */
export interface MultipartForm {
  readonly fields: ReadonlyMap<string, string>;
  readonly files: readonly FormFile[];
}

/** Most parts read from one body (WeChat's forms have one or two). */
const MAX_PARTS = 16;

/** True when `contentType` (lower-cased) announces a multipart/form-data body. */
export function isMultipart(contentType: string): boolean {
  return contentType.startsWith('multipart/form-data');
}

/**
 * Parse `body`; resolves to undefined when it is not a well-formed multipart body (no boundary,
 * truncated, too many parts), which the media routes answer with 41005 as WeChat does.
 */
export function parseMultipart(body: Buffer, contentType: string): Promise<MultipartForm | undefined> {
  return new Promise((resolve) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: { 'content-type': contentType }, limits: { parts: MAX_PARTS, files: MAX_PARTS, fields: MAX_PARTS } });
    } catch {
      resolve(undefined);
      return;
    }
    const fields = new Map<string, string>();
    const files: FormFile[] = [];
    let failed = false;
    parser.on('field', (name, value) => fields.set(name, value));
    parser.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => files.push({ field, filename: info.filename ?? '', mimeType: info.mimeType, data: Buffer.concat(chunks) }));
    });
    const fail = () => {
      failed = true;
    };
    parser.on('partsLimit', fail);
    parser.on('filesLimit', fail);
    parser.on('fieldsLimit', fail);
    parser.on('error', () => resolve(undefined));
    parser.on('close', () => resolve(failed ? undefined : { fields, files }));
    parser.end(body);
  });
}
