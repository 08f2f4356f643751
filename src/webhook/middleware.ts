/**
 * The webhook middleware: one request from verification to reply.
 *
 *   GET  -> signature + timestamp window -> echo `echostr`
 *   POST -> signature + timestamp window -> raw body (size limit) -> XML
 *           -> [encrypted: msg_signature, decrypt with current/previous key, inner XML]
 *           -> typed message -> dedupe claim -> handler (registry.ts) within the deadline
 *           -> reply XML [encrypted with the key that opened the request] or `success`
 *
 * Bad input gets a 4xx with a short plain-text reason and one log line without secrets; nothing a
 * client sends produces a 5xx. Handler errors and missed deadlines are answered with `success`.
 */
import { performance } from 'node:perf_hooks';
import type Koa from 'koa';
import { WechatMpError } from '../errors.js';
import type { WechatCipher } from './crypto.js';
import { computeSignature } from './signature.js';
import { resolveWebhookOptions, type ResolvedWebhookOptions, type WebhookOptions, type WebhookOutcome } from './options.js';
import { WebhookRequestError, statusOf } from './request-error.js';
import { verifyQuery, verifyMsgSignature, openEncrypted } from './verify.js';
import { parseWebhookQuery } from './query.js';
import { readBody } from './body.js';
import { parseXml } from './xml.js';
import { toMessage } from './parse.js';
import { isEvent, messageId, type WechatMessage } from './messages.js';
import { renderReplyXml, renderEncryptedReply, type Reply } from './replies.js';
import { HandlerRegistry, type HandlerMap, type HandlerResult } from './registry.js';
import { dedupeKey, type DedupeRecord, type DedupeStore } from './dedupe/store.js';
import { MemoryDedupeStore } from './dedupe/memory-store.js';
import { FallbackDedupeStore } from './dedupe/fallback-store.js';
import { DEADLINE_PASSED, withDeadline } from './deadline.js';

/** What `ctx.state.wechat` holds after a message was parsed (for request logs). */
export interface WechatRequestState {
  msgType: string;
  msgId: string | undefined;
  event: string | undefined;
}

/** The answer to one delivery: plaintext reply XML ('' = `success`) and how it came about. */
interface Answer {
  readonly body: string;
  readonly outcome: WebhookOutcome;
}

const SUCCESS = 'success';
const NO_HANDLER: Answer = Object.freeze({ body: '', outcome: 'success' });
const NO_REPLY: Answer = NO_HANDLER;
const HANDLER_ERROR: Answer = Object.freeze({ body: '', outcome: 'handler_error' });
const DEADLINE: Answer = Object.freeze({ body: '', outcome: 'deadline' });
const duplicateOf = (body: string): Answer => ({ body, outcome: 'duplicate' });
const XML_TYPE = 'application/xml; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
// How long past the reply deadline a claim stays `pending` before another instance may take it over
// (only when its owner died: a live owner marks it done at the deadline at the latest).
const LEASE_SLACK_MS = 2000;
// Polling of a delivery another instance is handling: first interval, doubled up to the maximum.
const POLL_FIRST_MS = 20;
const POLL_MAX_MS = 200;

function isThenable(v: unknown): v is PromiseLike<HandlerResult> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function errorFields(err: unknown): { name: string; message: string; code?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? { name: err.name, message: err.message, code } : { name: err.name, message: err.message };
  }
  return { name: typeof err, message: String(err) };
}

/** The webhook middleware, with a way to wait for work that outlives its requests. */
export interface WebhookMiddleware extends Koa.Middleware {
  /**
   * Wait until handlers that missed the reply deadline have finished and their replies have been
   * handed to `sender`, for at most `timeoutMs`. For graceful shutdown: call it after the HTTP server
   * stopped accepting and before closing what `sender` uses. Resolves `true` when nothing is left.
   */
  drain(timeoutMs: number): Promise<boolean>;
}

/**
 * The webhook as Koa middleware, for `router.all(path, webhook(options, handlers))`.
 * It answers every request itself (it does not call `next`).
 * @throws {InvalidOptionError} for bad options (at construction, not per request).
 */
export function webhook(options: WebhookOptions, handlers: HandlerMap): WebhookMiddleware;
/** The webhook with handlers from a {@link HandlerRegistry}. */
export function webhook(options: WebhookOptions, handlers: HandlerRegistry): WebhookMiddleware;
// Overloads rather than a union parameter: with a union, `{ fallback: (m) => ... }` would be typed
// against HandlerRegistry's `fallback` method too and lose its contextual type.
export function webhook(options: WebhookOptions, handlers: HandlerMap | HandlerRegistry): WebhookMiddleware {
  const o = resolveWebhookOptions(options);
  const registry = handlers instanceof HandlerRegistry ? handlers : HandlerRegistry.from(handlers);
  const endpoint = new WebhookEndpoint(o, registry);
  return Object.assign(endpoint.middleware(), { drain: (timeoutMs: number) => endpoint.drain(timeoutMs) });
}

class WebhookEndpoint {
  readonly #o: ResolvedWebhookOptions;
  readonly #registry: HandlerRegistry;
  readonly #store: DedupeStore;
  /** Deliveries being answered in this process, by dedupe key: local re-deliveries wait on these. */
  readonly #inflight = new Map<string, Promise<string>>();
  readonly #leaseMs: number;
  /** Late deliveries (handlers past the deadline, then `sender`) still running. */
  readonly #late = new Set<Promise<void>>();

  constructor(o: ResolvedWebhookOptions, registry: HandlerRegistry) {
    this.#o = o;
    this.#registry = registry;
    this.#leaseMs = o.replyDeadlineMs + LEASE_SLACK_MS;
    this.#store =
      o.dedupe instanceof MemoryDedupeStore
        ? o.dedupe
        : new FallbackDedupeStore(o.dedupe, new MemoryDedupeStore(), {
            timeoutMs: o.dedupeStoreTimeoutMs,
            logger: o.logger,
            now: o.now,
            onChange: (degraded) => this.#notify(() => o.observer.onDedupeStore?.({ degraded })),
          });
  }

  middleware(): Koa.Middleware {
    return async (ctx) => {
      const started = performance.now();
      try {
        if (ctx.method === 'POST') await this.#post(ctx, started);
        else if (ctx.method === 'GET') this.#get(ctx, started);
        else {
          ctx.set('Allow', 'GET, POST');
          throw new WebhookRequestError(405, 'WMP_ERR_WEBHOOK_REQUEST', 'method not allowed');
        }
      } catch (err) {
        const status = statusOf(err);
        if (status === undefined) throw err; // a bug, not bad input: let Koa report it
        this.#reject(ctx, status, err as WebhookRequestError, started);
      }
    };
  }

  #get(ctx: Koa.Context, started: number): void {
    const q = parseWebhookQuery(ctx.querystring);
    verifyQuery(q, this.#o.token, this.#o.now(), this.#o.timestampWindowSeconds);
    if (q.echostr === undefined) throw new WebhookRequestError(400, 'WMP_ERR_WEBHOOK_REQUEST', 'missing echostr');
    ctx.status = 200;
    ctx.set('Content-Type', TEXT_TYPE);
    ctx.body = q.echostr;
    this.#finished('echo', 200, undefined, started);
  }

  async #post(ctx: Koa.Context, started: number): Promise<void> {
    const o = this.#o;
    const q = parseWebhookQuery(ctx.querystring);
    verifyQuery(q, o.token, o.now(), o.timestampWindowSeconds);
    const fields = parseXml(await readBody(ctx, o.bodyLimitBytes));
    let cipher: WechatCipher | undefined;
    let messageFields = fields;
    if (o.mode !== 'plain' && (fields.Encrypt !== undefined || q.encrypt_type === 'aes')) {
      const encrypt = fields.Encrypt;
      if (typeof encrypt !== 'string' || encrypt.length === 0) throw new WebhookRequestError(400, 'WMP_ERR_XML', 'missing Encrypt');
      verifyMsgSignature(q, o.token, q.timestamp, q.nonce, encrypt);
      const opened = openEncrypted(encrypt, o.ciphers);
      cipher = opened.cipher;
      messageFields = parseXml(opened.message);
    } else if (o.mode === 'safe') {
      throw new WebhookRequestError(401, 'WMP_ERR_WEBHOOK_REQUEST', 'safe mode requires an encrypted message');
    }
    const message = toMessage(messageFields);
    const state: WechatRequestState = { msgType: message.MsgType, msgId: messageId(message), event: isEvent(message) ? message.Event : undefined };
    ctx.state.wechat = state;
    const delivered = this.#deliver(ctx, message, started);
    const answer = delivered instanceof Promise ? await delivered : delivered;
    ctx.status = 200;
    if (answer.body === '') {
      ctx.set('Content-Type', TEXT_TYPE);
      ctx.body = SUCCESS;
    } else {
      ctx.set('Content-Type', XML_TYPE);
      ctx.body = cipher === undefined ? answer.body : this.#encrypt(answer.body, cipher);
    }
    this.#finished(answer.outcome, 200, message, started);
  }

  #encrypt(body: string, cipher: WechatCipher): string {
    const encrypt = cipher.encrypt(body);
    const timestamp = Math.floor(this.#o.now() / 1000);
    // The nonce only has to differ between replies; the signature is what authenticates the reply.
    const nonce = String(Math.floor(Math.random() * 1e10));
    return renderEncryptedReply(encrypt, computeSignature(this.#o.token, String(timestamp), nonce, encrypt), timestamp, nonce);
  }

  /**
   * Dedupe, then run the handler: the first delivery of a key runs it, re-deliveries share its answer.
   * With the in-process store and a synchronous handler everything happens in one tick, so nothing
   * can interleave and no promise is made; whenever something is awaited, the key is registered in
   * `#inflight` first, in the same tick as the claim, so a local re-delivery always finds it.
   */
  #deliver(ctx: Koa.Context, message: WechatMessage, started: number): Answer | Promise<Answer> {
    const key = dedupeKey(message);
    const running = this.#inflight.get(key);
    if (running !== undefined) {
      this.#dedupeHit(message, 'inflight');
      return running.then(duplicateOf);
    }
    const o = this.#o;
    const held = this.#store.claim(key, o.now(), this.#leaseMs, o.dedupeTtlMs);
    if (held instanceof Promise) return this.#track(key, held.then((h) => (h === null ? this.#answerAndStore(ctx, message, started, key) : this.#fromRecord(h, key, message, started))));
    if (held !== null) {
      const answer = this.#fromRecord(held, key, message, started);
      return answer instanceof Promise ? this.#track(key, answer) : answer;
    }
    const answer = this.#answerAndStore(ctx, message, started, key);
    return answer instanceof Promise ? this.#track(key, answer) : answer;
  }

  /** Run the handler for a claimed key and store its answer. */
  #answerAndStore(ctx: Koa.Context, message: WechatMessage, started: number, key: string): Answer | Promise<Answer> {
    const answer = this.#answer(ctx, message, started);
    if (answer instanceof Promise) {
      return answer.then(async (a) => {
        await this.#store.complete(key, a.body, this.#o.now(), this.#o.dedupeTtlMs);
        return a;
      });
    }
    const stored = this.#store.complete(key, answer.body, this.#o.now(), this.#o.dedupeTtlMs);
    return stored instanceof Promise ? stored.then(() => answer) : answer;
  }

  /** The answer to a re-delivery the store already knows: the stored body, or wait for its owner. */
  #fromRecord(record: DedupeRecord, key: string, message: WechatMessage, started: number): Answer | Promise<Answer> {
    this.#dedupeHit(message, record.state);
    if (record.state === 'done') return { body: record.body, outcome: 'duplicate' };
    return this.#waitForOther(key, started).then(duplicateOf);
  }

  /** Register `work` as the in-flight answer of `key` until it settles. */
  #track(key: string, work: Promise<Answer>): Promise<Answer> {
    const body = work.then(
      (a) => a.body,
      () => '',
    );
    this.#inflight.set(key, body);
    return work.finally(() => {
      if (this.#inflight.get(key) === body) this.#inflight.delete(key);
    });
  }

  #dedupeHit(message: WechatMessage, state: 'inflight' | 'done' | 'pending'): void {
    const onDedupeHit = this.#o.observer.onDedupeHit;
    if (onDedupeHit !== undefined) this.#notify(() => onDedupeHit({ msgType: message.MsgType, state }));
  }

  /** Poll a delivery another instance holds, until it is done or our own deadline passes ('' then). */
  async #waitForOther(key: string, started: number): Promise<string> {
    let interval = POLL_FIRST_MS;
    // Bounded by the reply deadline: at most deadline / POLL_FIRST_MS iterations.
    while (performance.now() - started + interval < this.#o.replyDeadlineMs) {
      await new Promise((resolve) => setTimeout(resolve, interval));
      const record = await this.#store.get(key, this.#o.now());
      if (record === null) return ''; // expired or released: answer success, never run twice
      if (record.state === 'done') return record.body;
      interval = Math.min(interval * 2, POLL_MAX_MS);
    }
    return '';
  }

  /** Run the handler (synchronously when it is synchronous) and render its reply. */
  #answer(ctx: Koa.Context, message: WechatMessage, started: number): Answer | Promise<Answer> {
    const handler = this.#registry.resolve(message);
    if (handler === undefined) return NO_HANDLER;
    const t0 = performance.now();
    let out: HandlerResult | PromiseLike<HandlerResult>;
    try {
      out = handler(message, ctx);
    } catch (err) {
      this.#handlerFailed(err, message, t0);
      return HANDLER_ERROR;
    }
    return isThenable(out) ? this.#answerAsync(Promise.resolve(out), message, started, t0) : this.#render(out, message, t0);
  }

  async #answerAsync(work: Promise<HandlerResult>, message: WechatMessage, started: number, t0: number): Promise<Answer> {
    let settled: HandlerResult | typeof DEADLINE_PASSED;
    try {
      settled = await withDeadline(work, this.#o.replyDeadlineMs - (performance.now() - started));
    } catch (err) {
      this.#handlerFailed(err, message, t0);
      return HANDLER_ERROR;
    }
    if (settled === DEADLINE_PASSED) {
      this.#lateDelivery(work, message, t0);
      return DEADLINE;
    }
    return this.#render(settled, message, t0);
  }

  #render(result: HandlerResult, message: WechatMessage, t0: number): Answer {
    try {
      const r = toReply(result);
      if (r === undefined) {
        this.#handlerDone(message, t0, true);
        return NO_REPLY;
      }
      const o = this.#o;
      const body = renderReplyXml(r, message.FromUserName, message.ToUserName, Math.floor(o.now() / 1000), isEvent(message) ? o.newsLimitEvent : o.newsLimitMessage);
      this.#handlerDone(message, t0, true);
      return { body, outcome: 'reply' };
    } catch (err) {
      this.#handlerFailed(err, message, t0);
      return HANDLER_ERROR;
    }
  }

  /** The deadline passed: `success` was sent; deliver the handler's eventual reply through `sender`. */
  #lateDelivery(work: Promise<HandlerResult>, message: WechatMessage, t0: number): void {
    const o = this.#o;
    const ids = messageIds(message);
    this.#notify(() => o.observer.onDeadline?.({ msgType: message.MsgType, deadlineMs: o.replyDeadlineMs }));
    o.logger.warn({ event: 'webhook.deadline', ...ids, deadlineMs: o.replyDeadlineMs }, 'handler missed the reply deadline; answered success');
    const delivery: Promise<void> = work
      .then(
        async (result) => {
          this.#handlerDone(message, t0, true);
          const r = toReply(result);
          if (r === undefined) return;
          if (o.sender === undefined) {
            o.logger.warn({ event: 'webhook.late_reply_dropped', ...ids, replyType: r.type }, 'late reply dropped: no sender configured');
            this.#notify(() => o.observer.onLateReply?.({ ok: false, error: new Error('no sender configured') }));
            return;
          }
          try {
            await o.sender(message.FromUserName, r);
            o.logger.info({ event: 'webhook.late_reply_sent', ...ids, replyType: r.type }, 'late reply delivered through sender');
            this.#notify(() => o.observer.onLateReply?.({ ok: true }));
          } catch (err) {
            o.logger.error({ event: 'webhook.late_reply_failed', ...ids, replyType: r.type, err: errorFields(err) }, 'late reply could not be delivered');
            this.#notify(() => o.observer.onLateReply?.({ ok: false, error: err }));
          }
        },
        (err: unknown) => this.#handlerFailed(err, message, t0),
      )
      .catch((err: unknown) => this.#handlerFailed(err, message, t0))
      .finally(() => this.#late.delete(delivery));
    this.#late.add(delivery);
  }

  /** See {@link WebhookMiddleware.drain}. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.#late.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs));
    });
    // Deliveries never reject (their errors are logged above); loop in case one starts while waiting.
    const settled = (async () => {
      while (this.#late.size > 0) await Promise.all([...this.#late]);
      return true as const;
    })();
    const done = await Promise.race([settled, timedOut]);
    clearTimeout(timer);
    if (!done) this.#o.logger.warn({ event: 'webhook.drain_timeout', pending: this.#late.size, timeoutMs }, 'late replies still running at shutdown; giving up on them');
    return done;
  }

  #handlerDone(message: WechatMessage, t0: number, ok: boolean): void {
    const onHandler = this.#o.observer.onHandler;
    if (onHandler !== undefined) this.#notify(() => onHandler({ msgType: message.MsgType, durationMs: performance.now() - t0, ok }));
  }

  #handlerFailed(err: unknown, message: WechatMessage, t0: number): void {
    this.#handlerDone(message, t0, false);
    this.#o.logger.error({ event: 'webhook.handler_error', ...messageIds(message), err: errorFields(err) }, 'webhook handler failed; answered success');
  }

  #reject(ctx: Koa.Context, status: number, err: WebhookRequestError, started: number): void {
    ctx.status = status;
    ctx.set('Content-Type', TEXT_TYPE);
    ctx.body = err.message;
    this.#o.logger.warn({ event: 'webhook.rejected', status, code: err.code, reason: err.message, method: ctx.method }, 'webhook request rejected');
    this.#finished('rejected', status, undefined, started, err.message);
  }

  #finished(outcome: WebhookOutcome, status: number, message: WechatMessage | undefined, started: number, reason?: string): void {
    const onRequest = this.#o.observer.onRequest;
    if (onRequest === undefined) return;
    const durationMs = performance.now() - started;
    this.#notify(() =>
      onRequest({
        outcome,
        status,
        msgType: message?.MsgType,
        event: message !== undefined && isEvent(message) ? message.Event : undefined,
        durationMs,
        reason,
      }),
    );
  }

  #notify(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#o.logger.debug({ event: 'webhook.observer_error', err: errorFields(err) }, 'webhook observer threw');
    }
  }
}

/** Log fields naming a message (`wechatEvent`, since `event` names the log line). */
function messageIds(m: WechatMessage): { msgType: string; msgId?: string; wechatEvent?: string } {
  return { msgType: m.MsgType, msgId: messageId(m), wechatEvent: isEvent(m) ? m.Event : undefined };
}

const REPLY_TYPES: Record<string, true> = { text: true, image: true, voice: true, video: true, music: true, news: true, transfer_customer_service: true };

/** A handler's result as a reply, or undefined for `success`. */
function toReply(result: HandlerResult): Reply | undefined {
  if (result === undefined || result === null || result === '') return undefined;
  if (typeof result === 'string') return { type: 'text', content: result };
  if (typeof result === 'object' && typeof result.type === 'string' && REPLY_TYPES[result.type] === true) return result;
  throw new WechatMpError('WMP_ERR_REPLY', 'handler returned something that is not a reply');
}
