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
import { verifyQuery, verifyMsgSignature, openEncrypted, type Query } from './verify.js';
import { readBody } from './body.js';
import { parseXml } from './xml.js';
import { toMessage } from './parse.js';
import { isEvent, messageId, type WechatMessage } from './messages.js';
import { renderReply, renderEncryptedReply, type Reply } from './replies.js';
import { HandlerRegistry, type HandlerMap, type HandlerResult } from './registry.js';
import { dedupeKey, type DedupeStore } from './dedupe/store.js';
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
  body: string;
  outcome: WebhookOutcome;
}

const SUCCESS = 'success';
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

/**
 * The webhook as Koa middleware, for `router.all(path, webhook(options, handlers))`.
 * It answers every request itself (it does not call `next`).
 * @throws {InvalidOptionError} for bad options (at construction, not per request).
 */
export function webhook(options: WebhookOptions, handlers: HandlerMap): Koa.Middleware;
/** The webhook with handlers from a {@link HandlerRegistry}. */
export function webhook(options: WebhookOptions, handlers: HandlerRegistry): Koa.Middleware;
// Overloads rather than a union parameter: with a union, `{ fallback: (m) => ... }` would be typed
// against HandlerRegistry's `fallback` method too and lose its contextual type.
export function webhook(options: WebhookOptions, handlers: HandlerMap | HandlerRegistry): Koa.Middleware {
  const o = resolveWebhookOptions(options);
  const registry = handlers instanceof HandlerRegistry ? handlers : HandlerRegistry.from(handlers);
  return new WebhookEndpoint(o, registry).middleware();
}

class WebhookEndpoint {
  readonly #o: ResolvedWebhookOptions;
  readonly #registry: HandlerRegistry;
  readonly #store: DedupeStore;
  /** Deliveries being answered in this process, by dedupe key: local re-deliveries wait on these. */
  readonly #inflight = new Map<string, Promise<string>>();
  readonly #leaseMs: number;

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
    const q = ctx.query as Query;
    verifyQuery(q, this.#o.token, this.#o.now(), this.#o.timestampWindowSeconds);
    const echostr = q.echostr;
    if (typeof echostr !== 'string' || echostr.length === 0) throw new WebhookRequestError(400, 'WMP_ERR_WEBHOOK_REQUEST', 'missing echostr');
    ctx.status = 200;
    ctx.set('Content-Type', TEXT_TYPE);
    ctx.body = echostr;
    this.#finished('echo', 200, undefined, started);
  }

  async #post(ctx: Koa.Context, started: number): Promise<void> {
    const o = this.#o;
    const q = ctx.query as Query;
    const { timestamp, nonce } = verifyQuery(q, o.token, o.now(), o.timestampWindowSeconds);
    const fields = parseXml(await readBody(ctx, o.bodyLimitBytes));
    let cipher: WechatCipher | undefined;
    let messageFields = fields;
    if (o.mode !== 'plain' && (fields.Encrypt !== undefined || q.encrypt_type === 'aes')) {
      const encrypt = fields.Encrypt;
      if (typeof encrypt !== 'string' || encrypt.length === 0) throw new WebhookRequestError(400, 'WMP_ERR_XML', 'missing Encrypt');
      verifyMsgSignature(q, o.token, timestamp, nonce, encrypt);
      const opened = openEncrypted(encrypt, o.ciphers);
      cipher = opened.cipher;
      messageFields = parseXml(opened.message);
    } else if (o.mode === 'safe') {
      throw new WebhookRequestError(401, 'WMP_ERR_WEBHOOK_REQUEST', 'safe mode requires an encrypted message');
    }
    const message = toMessage(messageFields);
    const state: WechatRequestState = { msgType: message.MsgType, msgId: messageId(message), event: isEvent(message) ? message.Event : undefined };
    ctx.state.wechat = state;
    const answer = await this.#deliver(ctx, message, started);
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

  /** Dedupe, then run the handler: the first delivery of a key runs it, re-deliveries share its answer. */
  async #deliver(ctx: Koa.Context, message: WechatMessage, started: number): Promise<Answer> {
    const key = dedupeKey(message);
    const running = this.#inflight.get(key);
    if (running !== undefined) {
      this.#notify(() => this.#o.observer.onDedupeHit?.({ msgType: message.MsgType, state: 'inflight' }));
      return { body: await running, outcome: 'duplicate' };
    }
    let settle!: (body: string) => void;
    // Registered before the first await, so a concurrent local re-delivery always finds it.
    this.#inflight.set(key, new Promise<string>((resolve) => (settle = resolve)));
    let body = '';
    try {
      const o = this.#o;
      const held = await this.#store.claim(key, o.now(), this.#leaseMs, o.dedupeTtlMs);
      if (held !== null) {
        this.#notify(() => o.observer.onDedupeHit?.({ msgType: message.MsgType, state: held.state }));
        body = held.state === 'done' ? held.body : await this.#waitForOther(key, started);
        return { body, outcome: 'duplicate' };
      }
      const answer = await this.#answer(ctx, message, started);
      body = answer.body;
      await this.#store.complete(key, body, o.now(), o.dedupeTtlMs);
      return answer;
    } finally {
      settle(body);
      this.#inflight.delete(key);
    }
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

  /** Run the handler within the deadline and render its reply. */
  async #answer(ctx: Koa.Context, message: WechatMessage, started: number): Promise<Answer> {
    const handler = this.#registry.resolve(message);
    if (handler === undefined) return { body: '', outcome: 'success' };
    const t0 = performance.now();
    let result: HandlerResult;
    try {
      const out = handler(message, ctx);
      if (isThenable(out)) {
        const work = Promise.resolve(out);
        const settled = await withDeadline(work, this.#o.replyDeadlineMs - (performance.now() - started));
        if (settled === DEADLINE_PASSED) {
          this.#lateDelivery(work, message, t0);
          return { body: '', outcome: 'deadline' };
        }
        result = settled;
      } else {
        result = out;
      }
    } catch (err) {
      this.#handlerFailed(err, message, t0);
      return { body: '', outcome: 'handler_error' };
    }
    try {
      const r = toReply(result);
      const body = r === undefined ? '' : renderReply(r, this.#target(message));
      this.#handlerDone(message, t0, true);
      return { body, outcome: body === '' ? 'success' : 'reply' };
    } catch (err) {
      this.#handlerFailed(err, message, t0);
      return { body: '', outcome: 'handler_error' };
    }
  }

  #target(message: WechatMessage): { toUser: string; fromUser: string; createTime: number; newsLimit: number } {
    return {
      toUser: message.FromUserName,
      fromUser: message.ToUserName,
      createTime: Math.floor(this.#o.now() / 1000),
      newsLimit: isEvent(message) ? this.#o.newsLimitEvent : this.#o.newsLimitMessage,
    };
  }

  /** The deadline passed: `success` was sent; deliver the handler's eventual reply through `sender`. */
  #lateDelivery(work: Promise<HandlerResult>, message: WechatMessage, t0: number): void {
    const o = this.#o;
    const ids = messageIds(message);
    this.#notify(() => o.observer.onDeadline?.({ msgType: message.MsgType, deadlineMs: o.replyDeadlineMs }));
    o.logger.warn({ event: 'webhook.deadline', ...ids, deadlineMs: o.replyDeadlineMs }, 'handler missed the reply deadline; answered success');
    work
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
      .catch((err: unknown) => this.#handlerFailed(err, message, t0));
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
