/**
 * The token-authenticated API call, in its three shapes: JSON in and out, a multipart upload (JSON
 * out), and a download (bytes, or JSON). Each adds `access_token`, parses JSON losslessly (64-bit
 * integers as strings), turns a non-zero errcode into a {@link WechatApiError}, and recovers once
 * from a rejected token (docs/protocol.md section 3): on 40001/40014/42001 the token is invalidated
 * (compare-and-invalidate), refreshed, and the call sent again exactly once; an upload's body is
 * opened afresh for that. Every API area (src/wechat/api/) calls through here.
 */
import type { Readable } from 'node:stream';
import { InvalidOptionError } from '../errors.js';
import { maskSecrets } from '../log/logger.js';
import type { AccessToken } from '../token/types.js';
import { dispositionFilename, multipartBody, type UploadForm } from './body.js';
import { WechatApiError } from './errors.js';
import type { CallSpec, HttpClient } from './http-client.js';

/** errcodes that mean "this access_token is not (or no longer) valid": recover once, then give up. */
export const TOKEN_REJECTED_ERRCODES: ReadonlySet<number> = new Set([40001, 40014, 42001]);

/** Default largest download read into a Buffer (`as: 'buffer'`), bytes. */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024;

/** HTTP methods of the WeChat API. */
export type ApiMethod = 'GET' | 'POST';

/** Options of one API call. */
export interface RequestOptions {
  query?: Record<string, string>;
  /** JSON body (POST). */
  body?: unknown;
  /** A multipart/form-data body instead of `body` (POST), streamed and replayable. */
  form?: UploadForm;
  /** Bytes a file part of `form` may stream at most, by part name (checked as it streams). */
  formLimits?: Readonly<Record<string, number>>;
  /** Retry transient failures. @default true for GET, false for POST (a POST may not be idempotent) */
  retry?: boolean;
  /** Bound on this call, ms. @default the client's requestTimeoutMs */
  timeoutMs?: number;
}

/** Options of a download. */
export interface DownloadOptions<As extends 'stream' | 'buffer' = 'stream' | 'buffer'> extends Omit<RequestOptions, 'form' | 'formLimits'> {
  /** Answer the bytes as a stream (the caller must consume or destroy it) or read into a Buffer. @default 'stream' */
  as?: As;
  /** `as: 'buffer'` only: most bytes read. @default DEFAULT_MAX_DOWNLOAD_BYTES */
  maxBytes?: number;
}

/** A downloaded file. */
export interface BinaryDownload<B> {
  readonly kind: 'binary';
  /** The response's Content-Type. */
  readonly contentType: string;
  /** From Content-Disposition, when WeChat names the file. */
  readonly filename?: string;
  /** Content-Length, when sent. */
  readonly length?: number;
  readonly body: B;
}

/** What a download answers: the bytes, or a JSON result (for example a video's `down_url`). */
export type DownloadResult<B = Readable | Buffer> = BinaryDownload<B> | { readonly kind: 'json'; readonly json: Record<string, unknown> };

/** Payload of the `apiCall` event (for metrics such as calls by endpoint and errcode). */
export interface ApiCallEvent {
  /** API path, e.g. `/cgi-bin/menu/get`. */
  endpoint: string;
  errcode: number | 'network';
}

/** A token-authenticated JSON (or multipart upload) call, as the API areas receive it. */
export type ApiRequest = <T = unknown>(method: ApiMethod, path: string, opts?: RequestOptions) => Promise<T>;

/** A token-authenticated download. */
export interface ApiDownload {
  (method: ApiMethod, path: string, opts: DownloadOptions<'buffer'> & { as: 'buffer' }): Promise<DownloadResult<Buffer>>;
  (method: ApiMethod, path: string, opts?: DownloadOptions<'stream'>): Promise<DownloadResult<Readable>>;
}

/** What {@link createApiCalls} needs. */
export interface ApiRequestDeps {
  /** API base URL, no trailing slash. */
  apiBase: string;
  http: HttpClient;
  /** The token in use, and its compare-and-invalidate replacement. */
  tokens: {
    get(): Promise<AccessToken>;
    invalidate(rejected: string): Promise<AccessToken>;
  };
  /** Values masked out of errmsg texts (the token used is added per call). */
  secrets: readonly string[];
  /** Told of every finished call. */
  onCall(event: ApiCallEvent): void;
}

const PATH_PATTERN = /^\/[A-Za-z0-9_\-/.]*$/;

function checkCall(method: unknown, path: unknown): void {
  if (method !== 'GET' && method !== 'POST') throw new InvalidOptionError('method', '"GET" or "POST"');
  if (typeof path !== 'string' || !PATH_PATTERN.test(path)) throw new InvalidOptionError('path', 'an API path such as "/cgi-bin/menu/get" (query through opts.query)');
}

async function readAll(body: Readable, maxBytes: number, endpoint: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      body.destroy();
      throw new InvalidOptionError('maxBytes', `at least the size of the file of ${endpoint} (more than ${maxBytes} bytes), or as: 'stream'`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Build the API calls of one client: `request` (JSON, uploads) and `download`. */
export function createApiCalls(deps: ApiRequestDeps): { request: ApiRequest; download: ApiDownload } {
  /** A non-zero errcode as a typed error (errmsg masked); the event for every answer. */
  function judge(path: string, json: Record<string, unknown>, accessToken: string): void {
    const errcode = json.errcode;
    deps.onCall({ endpoint: path, errcode: typeof errcode === 'number' ? errcode : 0 });
    if (typeof errcode === 'number' && errcode !== 0) {
      const errmsg = maskSecrets(typeof json.errmsg === 'string' ? json.errmsg : '', [...deps.secrets, accessToken]);
      throw new WechatApiError(path, errcode, errmsg);
    }
  }

  function spec(method: ApiMethod, path: string, accessToken: string, opts: RequestOptions): CallSpec {
    const form = method === 'POST' && opts.form ? multipartBody(opts.form, opts.formLimits) : undefined;
    return {
      method,
      url: `${deps.apiBase}${path}`,
      endpoint: path,
      query: { ...opts.query, access_token: accessToken },
      ...(form ? { stream: form } : { body: method === 'POST' ? (opts.body ?? {}) : undefined }),
      retry: opts.retry ?? method === 'GET',
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    };
  }

  async function network<R>(path: string, work: () => Promise<R>): Promise<R> {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof InvalidOptionError)) deps.onCall({ endpoint: path, errcode: 'network' });
      throw err;
    }
  }

  /** Run `call` with the current token; on a rejected token, once more with its replacement. */
  async function withToken<R>(call: (accessToken: string) => Promise<R>): Promise<R> {
    const token = await deps.tokens.get();
    try {
      return await call(token.access_token);
    } catch (err) {
      if (!(err instanceof WechatApiError) || !TOKEN_REJECTED_ERRCODES.has(err.errcode)) throw err;
      const fresh = await deps.tokens.invalidate(token.access_token);
      // The same token again would be refused again: report the original rejection instead.
      if (fresh.access_token === token.access_token) throw err;
      // Exactly one retry: a second rejection is the caller's error, never a loop.
      return await call(fresh.access_token);
    }
  }

  const request: ApiRequest = async <T>(method: ApiMethod, path: string, opts: RequestOptions = {}): Promise<T> => {
    checkCall(method, path);
    return withToken(async (accessToken) => {
      const { json } = await network(path, () => deps.http.call(spec(method, path, accessToken, opts)));
      judge(path, json, accessToken);
      return json as T;
    });
  };

  const download = (async (method: ApiMethod, path: string, opts: DownloadOptions = {}): Promise<DownloadResult> => {
    checkCall(method, path);
    if (opts.as !== undefined && opts.as !== 'stream' && opts.as !== 'buffer') throw new InvalidOptionError('as', "'stream' or 'buffer'");
    return withToken(async (accessToken) => {
      const res = await network(path, () => deps.http.download(spec(method, path, accessToken, opts)));
      if (res.kind === 'json') {
        judge(path, res.json, accessToken);
        return { kind: 'json', json: res.json };
      }
      deps.onCall({ endpoint: path, errcode: 0 });
      const length = Number(res.headers['content-length']);
      const filename = dispositionFilename(res.headers['content-disposition']);
      const meta = {
        kind: 'binary' as const,
        contentType: String(res.headers['content-type'] ?? 'application/octet-stream'),
        ...(filename ? { filename } : {}),
        ...(Number.isFinite(length) ? { length } : {}),
      };
      if (opts.as === 'buffer') return { ...meta, body: await readAll(res.body, opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES, path) };
      return { ...meta, body: res.body };
    });
  }) as ApiDownload;

  return { request, download };
}

/** The JSON call alone (kept for callers that need no download). */
export function createApiRequest(deps: ApiRequestDeps): ApiRequest {
  return createApiCalls(deps).request;
}
