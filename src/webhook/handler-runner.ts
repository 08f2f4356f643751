/**
 * Running a handler and rendering its reply. A synchronous handler is answered in the same tick; an
 * asynchronous one gets what is left of the reply deadline (on the injected clock and timers), after
 * which `success` is answered and its eventual reply goes to the late-reply queue. Handler errors are
 * answered with `success`, logged with their stack and MsgId, and emitted as Koa's `error` event
 * (`ctx.app.emit('error', err, ctx)`, as Koa does for any failed request).
 */
import { performance } from 'node:perf_hooks';
import type Koa from 'koa';
import { WechatMpError } from '../errors.js';
import { DEADLINE_PASSED, withDeadline } from './deadline.js';
import type { LateReplies } from './late-replies.js';
import { isEvent, type WechatMessage } from './messages.js';
import type { ResolvedWebhookOptions, WebhookOutcome } from './options.js';
import type { HandlerRegistry, HandlerResult } from './registry.js';
import { renderReplyXml, type Reply } from './replies.js';
import { errorFieldsWithStack, messageIds, notify } from './report.js';

/** The answer to one delivery: plaintext reply XML ('' = `success`) and how it came about. */
export interface Answer {
  readonly body: string;
  readonly outcome: WebhookOutcome;
}

const NO_HANDLER: Answer = Object.freeze({ body: '', outcome: 'success' });
const NO_REPLY: Answer = NO_HANDLER;
const HANDLER_ERROR: Answer = Object.freeze({ body: '', outcome: 'handler_error' });
const DEADLINE: Answer = Object.freeze({ body: '', outcome: 'deadline' });

function isThenable(v: unknown): v is PromiseLike<HandlerResult> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** Runs the registry's handler for a message. */
export class HandlerRunner {
  readonly #o: ResolvedWebhookOptions;
  readonly #registry: HandlerRegistry;
  readonly #late: LateReplies;

  constructor(o: ResolvedWebhookOptions, registry: HandlerRegistry, late: LateReplies) {
    this.#o = o;
    this.#registry = registry;
    this.#late = late;
  }

  /** Run the handler (synchronously when it is synchronous) and render its reply. `startedAt` is on the injected clock. */
  run(ctx: Koa.Context, message: WechatMessage, startedAt: number): Answer | Promise<Answer> {
    const handler = this.#registry.resolve(message);
    if (handler === undefined) return NO_HANDLER;
    const t0 = performance.now();
    let out: HandlerResult | PromiseLike<HandlerResult>;
    try {
      out = handler(message, ctx);
    } catch (err) {
      this.#failed(ctx, err, message, t0);
      return HANDLER_ERROR;
    }
    return isThenable(out) ? this.#runAsync(ctx, Promise.resolve(out), message, startedAt, t0) : this.#render(ctx, out, message, t0);
  }

  async #runAsync(ctx: Koa.Context, work: Promise<HandlerResult>, message: WechatMessage, startedAt: number, t0: number): Promise<Answer> {
    const o = this.#o;
    let settled: HandlerResult | typeof DEADLINE_PASSED;
    try {
      settled = await withDeadline(work, o.replyDeadlineMs - (o.now() - startedAt), o.timers);
    } catch (err) {
      this.#failed(ctx, err, message, t0);
      return HANDLER_ERROR;
    }
    if (settled === DEADLINE_PASSED) {
      notify(o.logger, () => o.observer.onDeadline?.({ msgType: message.MsgType, deadlineMs: o.replyDeadlineMs }));
      o.logger.warn({ event: 'webhook.deadline', ...messageIds(message), deadlineMs: o.replyDeadlineMs }, 'handler missed the reply deadline; answered success');
      const reply = work.then((result) => {
        this.#done(message, t0, true);
        return toReply(result);
      });
      this.#late.add(message, reply, (err) => this.#failed(ctx, err, message, t0));
      return DEADLINE;
    }
    return this.#render(ctx, settled, message, t0);
  }

  #render(ctx: Koa.Context, result: HandlerResult, message: WechatMessage, t0: number): Answer {
    try {
      const r = toReply(result);
      if (r === undefined) {
        this.#done(message, t0, true);
        return NO_REPLY;
      }
      const o = this.#o;
      const body = renderReplyXml(r, message.FromUserName, message.ToUserName, Math.floor(o.now() / 1000), isEvent(message) ? o.newsLimitEvent : o.newsLimitMessage);
      this.#done(message, t0, true);
      return { body, outcome: 'reply' };
    } catch (err) {
      this.#failed(ctx, err, message, t0);
      return HANDLER_ERROR;
    }
  }

  #done(message: WechatMessage, t0: number, ok: boolean): void {
    const onHandler = this.#o.observer.onHandler;
    if (onHandler !== undefined) notify(this.#o.logger, () => onHandler({ msgType: message.MsgType, durationMs: performance.now() - t0, ok }));
  }

  #failed(ctx: Koa.Context, err: unknown, message: WechatMessage, t0: number): void {
    this.#done(message, t0, false);
    this.#o.logger.error({ event: 'webhook.handler_error', ...messageIds(message), err: errorFieldsWithStack(err) }, 'webhook handler failed; answered success');
    // Koa's default listener throws on a non-Error, so anything else is wrapped first.
    const error = err instanceof Error ? err : new Error(`handler threw a non-error: ${String(err)}`, { cause: err });
    try {
      ctx.app.emit('error', error, ctx);
    } catch (listenerErr) {
      this.#o.logger.debug({ event: 'webhook.error_listener_threw', err: errorFieldsWithStack(listenerErr) }, "the app's error listener threw");
    }
  }
}

const REPLY_TYPES: Record<string, true> = { text: true, image: true, voice: true, video: true, music: true, news: true, transfer_customer_service: true };

/** A handler's result as a reply, or undefined for `success`. */
function toReply(result: HandlerResult): Reply | undefined {
  if (result === undefined || result === null || result === '') return undefined;
  if (typeof result === 'string') return { type: 'text', content: result };
  if (typeof result === 'object' && typeof result.type === 'string' && REPLY_TYPES[result.type] === true) return result;
  throw new WechatMpError('WMP_ERR_REPLY', 'handler returned something that is not a reply');
}
