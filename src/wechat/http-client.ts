/**
 * The one place that talks HTTP to WeChat (and to a central token service): undici with keep-alive,
 * a connect timeout and a whole-request timeout, bounded retries with exponential backoff and jitter
 * for transient failures (network errors, timeouts, 5xx/429, errcode -1, unparseable bodies), and
 * lossless JSON (64-bit integers kept as strings).
 *
 * Nothing here puts a URL in an error or a log line: query strings carry `secret=` and `access_token=`.
 *
 * Over 300 lines on purpose: JSON calls, streamed uploads and downloads share one retry loop, one timeout
 * rule and one error classification; split apart, each would need its own copy of them.
 */
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { isJsonContentType, type StreamedBody } from './body.js';
import { backoffMs } from '../util/backoff.js';
import { parseJsonLossless } from './lossless-json.js';
import { UpstreamError, type UpstreamFailureKind } from './errors.js';

/** Default bound on one HTTP request (connect + headers + body), ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
/** Default TCP/TLS connect timeout of the built-in dispatcher, ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
/** Default idle keep-alive of the built-in dispatcher's sockets, ms. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 10_000;
/** Default attempts per call, the first included (so 2 retries). */
export const DEFAULT_RETRY_ATTEMPTS = 3;
/** Default first backoff delay, ms (doubles per retry, with jitter). */
export const DEFAULT_RETRY_BASE_DELAY_MS = 200;
/** Default cap of one backoff delay, ms. */
export const DEFAULT_RETRY_MAX_DELAY_MS = 2000;
/** Largest response body read, bytes (WeChat answers are small; this bounds a hostile one). */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Bounded retry with exponential backoff. */
export interface RetryPolicy {
  /** Attempts per call, the first included (1 = no retry). @default DEFAULT_RETRY_ATTEMPTS */
  attempts?: number;
  /** First backoff delay, ms. @default DEFAULT_RETRY_BASE_DELAY_MS */
  baseDelayMs?: number;
  /** Cap of one backoff delay, ms. @default DEFAULT_RETRY_MAX_DELAY_MS */
  maxDelayMs?: number;
}

/** Options of {@link HttpClient}. */
export interface HttpClientOptions {
  /** An undici dispatcher; when absent a keep-alive Agent is created on first use and closed by `close()`. */
  dispatcher?: Dispatcher;
  /** @default DEFAULT_REQUEST_TIMEOUT_MS */
  requestTimeoutMs?: number;
  /** @default DEFAULT_CONNECT_TIMEOUT_MS */
  connectTimeoutMs?: number;
  retry?: RetryPolicy;
  /** Waits between retries. @default setTimeout-based */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
}

/** One call. */
export interface CallSpec {
  method: 'GET' | 'POST';
  /** Full URL without the query. */
  url: string;
  /** Name for errors and logs (a path such as `/cgi-bin/token`), never containing secrets. */
  endpoint: string;
  query?: Record<string, string>;
  /** JSON-serialised as the body (POST). */
  body?: unknown;
  /**
   * A streamed body instead of `body` (a multipart upload), opened afresh for every attempt so that
   * a retry sends it again from the start.
   */
  stream?: () => Promise<StreamedBody>;
  /** Bound on this call instead of the client's `requestTimeoutMs` (a large upload). */
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** Retry transient failures. A POST that is not idempotent should pass false. */
  retry: boolean;
  /**
   * Judge a parsed 2xx body: 'ok' returns it, 'retry' treats it as a transient failure (e.g. errcode -1,
   * or a body that is neither an error nor a result). @default errcode -1 -> retry, else ok
   */
  classify?: (json: Record<string, unknown>) => 'ok' | 'retry';
  /** Accept these non-2xx statuses as results instead of failures (the caller inspects them). */
  acceptStatus?: (status: number) => boolean;
}

/** A parsed answer. */
export interface CallResult {
  status: number;
  json: Record<string, unknown>;
  attempts: number;
}

/**
 * The answer of {@link HttpClient.download}: a JSON body (an error, or a JSON result such as a
 * video's URL), told apart by its Content-Type; or the bytes, as a stream the caller must consume.
 */
export type DownloadResult =
  | { readonly kind: 'json'; readonly status: number; readonly json: Record<string, unknown>; readonly attempts: number }
  | {
      readonly kind: 'binary';
      readonly status: number;
      readonly headers: Readonly<Record<string, string | string[] | undefined>>;
      readonly body: Readable;
      readonly attempts: number;
    };

class Transient extends Error {
  constructor(
    readonly kind: UpstreamFailureKind,
    readonly detail: string,
    readonly extra: { status?: number; errcode?: number; cause?: unknown } = {},
  ) {
    super(detail);
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** JSON over HTTP with timeouts and bounded retries. */
export class HttpClient {
  readonly requestTimeoutMs: number;
  readonly attempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #connectTimeoutMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  #dispatcher: Dispatcher | undefined;
  #closed = false;
  readonly #ownsDispatcher: boolean;

  constructor(options: HttpClientOptions = {}) {
    this.requestTimeoutMs = positive(options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
    this.#connectTimeoutMs = positive(options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
    this.attempts = Math.max(1, Math.floor(positive(options.retry?.attempts, DEFAULT_RETRY_ATTEMPTS)));
    this.#baseDelayMs = positive(options.retry?.baseDelayMs, DEFAULT_RETRY_BASE_DELAY_MS);
    this.#maxDelayMs = positive(options.retry?.maxDelayMs, DEFAULT_RETRY_MAX_DELAY_MS);
    this.#sleep = options.sleep ?? defaultSleep;
    this.#random = options.random ?? Math.random;
    this.#dispatcher = options.dispatcher;
    this.#ownsDispatcher = !options.dispatcher;
  }

  /** Backoff before retry number `retry` (1-based): exponential, capped, with "equal jitter". */
  backoffMs(retry: number): number {
    return backoffMs(retry, { baseMs: this.#baseDelayMs, maxMs: this.#maxDelayMs, random: this.#random });
  }

  /** Perform `spec`, retrying transient failures; throws {@link UpstreamError} when they persist. */
  async call(spec: CallSpec): Promise<CallResult> {
    return this.#withRetry(spec, async (attempt) => ({ ...(await this.#once(spec)), attempts: attempt }));
  }

  /**
   * Perform `spec` and answer the bytes as a stream, or the JSON body when the response says it is
   * JSON (Content-Type application/json, text/json or text/plain, as WeChat labels its errors).
   * Transient failures before the body starts are retried like {@link HttpClient.call}. The stream
   * is bounded by the body's idle timeout, not by the whole-request timeout (a slow reader is fine).
   */
  async download(spec: CallSpec): Promise<DownloadResult> {
    return this.#withRetry(spec, async (attempt): Promise<DownloadResult> => {
      const { res, signal } = await this.#send(spec, 'binary');
      const type = String(res.headers['content-type'] ?? '');
      if (res.statusCode >= 200 && res.statusCode < 300 && !isJsonContentType(type)) {
        return { kind: 'binary', status: res.statusCode, headers: res.headers, body: res.body, attempts: attempt };
      }
      const json = await this.#readJson(spec, res, signal);
      return { kind: 'json', status: res.statusCode, json, attempts: attempt };
    });
  }

  async #withRetry<R>(spec: CallSpec, once: (attempt: number) => Promise<R>): Promise<R> {
    // A call after close() must not quietly open a new keep-alive pool that nothing will close.
    if (this.#closed) throw new UpstreamError(spec.endpoint, 'network', 0, 'the WeChat HTTP client is closed');
    const attempts = spec.retry ? this.attempts : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await once(attempt);
      } catch (err) {
        if (!(err instanceof Transient)) throw err;
        // close() destroyed the pool under this call: a retry would only open a new one and wait again.
        if (attempt >= attempts || this.#closed) throw new UpstreamError(spec.endpoint, err.kind, attempt, err.detail, err.extra);
        await this.#sleep(this.backoffMs(attempt));
      }
    }
  }

  /** Close the built-in dispatcher (a dispatcher passed in is left to its owner). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#ownsDispatcher && this.#dispatcher) {
      const d = this.#dispatcher;
      this.#dispatcher = undefined;
      // destroy, not close: close() waits for requests still hanging on a slow upstream, which
      // would stretch shutdown by up to a request timeout per attempt. Their callers get an error.
      await d.destroy().catch(() => {});
    }
  }

  #getDispatcher(): Dispatcher {
    this.#dispatcher ??= new Agent({
      connect: { timeout: this.#connectTimeoutMs },
      keepAliveTimeout: DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    });
    return this.#dispatcher;
  }

  async #once(spec: CallSpec): Promise<{ status: number; json: Record<string, unknown> }> {
    const { res, signal } = await this.#send(spec, 'json');
    const json = await this.#readJson(spec, res, signal);
    return { status: res.statusCode, json };
  }

  /** Send the request; connection failures and timeouts become {@link Transient}. */
  async #send(spec: CallSpec, expect: 'json' | 'binary'): Promise<{ res: Dispatcher.ResponseData; signal: AbortSignal | undefined }> {
    const url = new URL(spec.url);
    for (const [k, v] of Object.entries(spec.query ?? {})) url.searchParams.set(k, v);
    const timeoutMs = positive(spec.timeoutMs, this.requestTimeoutMs);
    // A streamed download is bounded by the idle timeouts only: the caller reads it at its own pace.
    const signal = expect === 'json' ? AbortSignal.timeout(timeoutMs) : undefined;
    try {
      const streamed = spec.stream ? await spec.stream() : undefined;
      const res = await request(url, {
        method: spec.method,
        dispatcher: this.#getDispatcher(),
        ...(signal ? { signal } : {}),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        headers: {
          accept: expect === 'json' ? 'application/json' : '*/*',
          ...(spec.body !== undefined && !streamed ? { 'content-type': 'application/json' } : {}),
          ...(streamed ? { 'content-type': streamed.contentType } : {}),
          ...(streamed?.length !== undefined ? { 'content-length': String(streamed.length) } : {}),
          ...spec.headers,
        },
        // undici writes an async iterable body as documented, though its types list Readable only.
        body: streamed ? (streamed.body as Readable) : spec.body !== undefined ? JSON.stringify(spec.body) : undefined,
      });
      return { res, signal };
    } catch (err) {
      throw this.#transientOf(err, signal, timeoutMs);
    }
  }

  #transientOf(err: unknown, signal: AbortSignal | undefined, timeoutMs: number): unknown {
    const code = (err as { code?: string }).code;
    if (signal?.aborted || (code && TIMEOUT_CODES.has(code)) || (err as Error).name === 'TimeoutError') {
      return new Transient('timeout', `no complete answer within ${timeoutMs} ms`);
    }
    if (err instanceof Transient) return err;
    // A problem of the body we were sending (a file that vanished, a stream that failed) is not a
    // network failure: retrying cannot fix it, so it surfaces as it is.
    if (err instanceof Error && (err as { wechatBodyError?: boolean }).wechatBodyError) return err;
    return new Transient('network', `network error (${code ?? (err as Error).name ?? 'error'})`);
  }

  /** Read, check and parse a JSON answer. */
  async #readJson(spec: CallSpec, res: Dispatcher.ResponseData, signal: AbortSignal | undefined): Promise<Record<string, unknown>> {
    const status = res.statusCode;
    let text: string;
    try {
      text = await readLimited(res.body);
    } catch (err) {
      throw this.#transientOf(err, signal, positive(spec.timeoutMs, this.requestTimeoutMs));
    }
    const accepted = spec.acceptStatus?.(status) ?? false;
    if (!accepted && (status < 200 || status >= 300)) {
      const transient = status >= 500 || status === 429 || status === 408;
      const detail = `HTTP ${status}${errcodeDetail(text)}`;
      const e = new Transient('http_status', detail, { status });
      if (transient) throw e;
      throw new UpstreamError(spec.endpoint, 'http_status', 1, detail, { status });
    }
    let parsed: unknown;
    try {
      parsed = parseJsonLossless(text);
    } catch {
      throw new Transient('malformed', `unparseable body (HTTP ${status}, ${text.length} bytes)`, { status });
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Transient('malformed', `body is not a JSON object (HTTP ${status})`, { status });
    }
    const json = parsed as Record<string, unknown>;
    const verdict = spec.classify ? spec.classify(json) : json.errcode === -1 ? 'retry' : 'ok';
    if (verdict === 'retry') {
      const errcode = typeof json.errcode === 'number' ? json.errcode : undefined;
      throw new Transient(errcode !== undefined ? 'errcode' : 'malformed', errcode !== undefined ? `errcode ${errcode}` : 'unexpected body', { errcode, status });
    }
    return json;
  }
}

/** `: errcode N <errmsg>` when an error page is a WeChat JSON error (e.g. an unknown path), else ''. */
function errcodeDetail(text: string): string {
  try {
    const j = JSON.parse(text) as { errcode?: unknown; errmsg?: unknown };
    if (typeof j.errcode !== 'number') return '';
    return `: errcode ${j.errcode}${typeof j.errmsg === 'string' ? ` ${j.errmsg.slice(0, 200)}` : ''}`;
  } catch {
    return '';
  }
}

async function readLimited(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy();
      throw new Transient('malformed', `body larger than ${MAX_RESPONSE_BYTES} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
