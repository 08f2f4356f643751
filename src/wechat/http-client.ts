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
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
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

/**
 * The whole-request bound of a JSON call: one timer, handed to undici as its `signal` (undici takes
 * an EventEmitter that emits 'abort' as well as an AbortSignal). A per-call `AbortSignal.timeout()`
 * cost more than the rest of the client's own work on a call.
 */
class Deadline extends EventEmitter {
  aborted = false;
  readonly #timer: NodeJS.Timeout;

  constructor(ms: number) {
    super();
    this.#timer = setTimeout(() => {
      this.aborted = true;
      this.emit('abort');
    }, ms);
    // Like AbortSignal.timeout(): the bound alone does not keep the process alive.
    this.#timer.unref();
  }

  /** The call is over: let the timer go. */
  clear(): void {
    clearTimeout(this.#timer);
  }
}

/** Where undici sends a call: the origin and path of a URL (as `new URL` gives them). */
interface Target {
  readonly origin: string;
  readonly pathname: string;
  /** The URL's own query; a URL with one is merged through `URL.searchParams` as before. */
  readonly search: string;
}

/** Distinct URLs whose parse is kept (the API paths in use; cleared when full). */
const MAX_TARGETS = 256;
/** Characters `URLSearchParams` leaves as they are: a query of these only needs no encoding. */
const FORM_SAFE = /^[A-Za-z0-9*._-]*$/;

/** `k=v&...` exactly as `URLSearchParams` serialises `query`, without building one when nothing needs encoding. */
function queryString(query: Record<string, string>): string {
  let out = '';
  for (const k of Object.keys(query)) {
    const v = query[k]!;
    if (!FORM_SAFE.test(k) || !FORM_SAFE.test(v)) return new URLSearchParams(query).toString();
    out += out === '' ? `${k}=${v}` : `&${k}=${v}`;
  }
  return out;
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
  readonly #targets = new Map<string, Target>();
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
    return this.#withRetry(spec, (attempt) => this.#once(spec, attempt));
  }

  /**
   * Perform `spec` and answer the bytes as a stream, or the JSON body when the response says it is
   * JSON (Content-Type application/json, text/json or text/plain, as WeChat labels its errors).
   * Transient failures before the body starts are retried like {@link HttpClient.call}. The stream
   * is bounded by the body's idle timeout, not by the whole-request timeout (a slow reader is fine).
   */
  async download(spec: CallSpec): Promise<DownloadResult> {
    return this.#withRetry(spec, async (attempt): Promise<DownloadResult> => {
      const res = await this.#send(spec, undefined);
      const type = String(res.headers['content-type'] ?? '');
      if (res.statusCode >= 200 && res.statusCode < 300 && !isJsonContentType(type)) {
        return { kind: 'binary', status: res.statusCode, headers: res.headers, body: res.body, attempts: attempt };
      }
      const json = await this.#readJson(spec, res, undefined);
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

  async #once(spec: CallSpec, attempt: number): Promise<CallResult> {
    const deadline = new Deadline(positive(spec.timeoutMs, this.requestTimeoutMs));
    try {
      const res = await this.#send(spec, deadline);
      return { status: res.statusCode, json: await this.#readJson(spec, res, deadline), attempts: attempt };
    } finally {
      deadline.clear();
    }
  }

  /** The origin and path of `url`, parsed once per distinct URL. */
  #target(url: string): Target {
    let t = this.#targets.get(url);
    if (t === undefined) {
      const u = new URL(url);
      t = { origin: u.origin, pathname: u.pathname, search: u.search };
      if (this.#targets.size >= MAX_TARGETS) this.#targets.clear();
      this.#targets.set(url, t);
    }
    return t;
  }

  /** The path and query undici sends: `url`'s path with `query` set on its search params. */
  #path(target: Target, url: string, query: Record<string, string> | undefined): string {
    if (target.search !== '') {
      const u = new URL(url);
      for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, v);
      return `${u.pathname}${u.search}`;
    }
    const qs = query === undefined ? '' : queryString(query);
    return qs === '' ? target.pathname : `${target.pathname}?${qs}`;
  }

  /**
   * Send the request; connection failures and timeouts become {@link Transient}. `deadline` bounds a
   * JSON call as a whole; a streamed download has none and is bounded by the idle timeouts only (the
   * caller reads it at its own pace).
   */
  async #send(spec: CallSpec, deadline: Deadline | undefined): Promise<Dispatcher.ResponseData> {
    const timeoutMs = positive(spec.timeoutMs, this.requestTimeoutMs);
    try {
      const target = this.#target(spec.url);
      const path = this.#path(target, spec.url, spec.query);
      const streamed = spec.stream ? await spec.stream() : undefined;
      const headers: Record<string, string> = { accept: deadline ? 'application/json' : '*/*' };
      let body: string | Readable | undefined;
      if (streamed) {
        headers['content-type'] = streamed.contentType;
        if (streamed.length !== undefined) headers['content-length'] = String(streamed.length);
        // undici writes an async iterable body as documented, though its types list Readable only.
        body = streamed.body as Readable;
      } else if (spec.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(spec.body);
      }
      if (spec.headers) Object.assign(headers, spec.headers);
      return await this.#getDispatcher().request({
        origin: target.origin,
        path,
        method: spec.method,
        signal: deadline ?? null,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        headers,
        body: body ?? null,
      });
    } catch (err) {
      throw this.#transientOf(err, deadline, timeoutMs);
    }
  }

  #transientOf(err: unknown, signal: { readonly aborted: boolean } | undefined, timeoutMs: number): unknown {
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
  async #readJson(spec: CallSpec, res: Dispatcher.ResponseData, signal: { readonly aborted: boolean } | undefined): Promise<Record<string, unknown>> {
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

/**
 * The body as UTF-8 text, at most {@link MAX_RESPONSE_BYTES}. Read through 'data' events: an async
 * iterator per call cost several microseconds more for the one chunk a WeChat answer usually is.
 */
function readLimited(body: Dispatcher.ResponseData['body']): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        body.destroy();
        reject(new Transient('malformed', `body larger than ${MAX_RESPONSE_BYTES} bytes`));
      } else chunks.push(chunk);
    });
    body.once('end', () => {
      ended = true;
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8'));
    });
    body.once('error', reject);
    // Closed with neither an end nor an error (destroyed under us): the answer is cut short.
    body.once('close', () => {
      if (!ended) reject(Object.assign(new Error('the response closed before its end'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
  });
}
