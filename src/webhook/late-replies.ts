/**
 * Replies that missed the reply deadline: `success` was already sent, so the handler's eventual reply
 * is handed, as a {@link Reply}, to the injected `sender` (the service turns it into a customer-service
 * message; this folder knows nothing of that API). {@link LateReplies.drain} waits for them at shutdown.
 */
import type { Logger } from '../log/logger.js';
import { TIMED_OUT, withTimeout, type Timers } from '../util/timeout.js';
import type { WechatMessage } from './messages.js';
import type { WebhookObserver } from './options.js';
import type { Reply } from './replies.js';
import { errorFields, messageIds, notify } from './report.js';

/** Delivers a late reply to the user `openId`. */
export type LateReplySender = (openId: string, reply: Reply) => Promise<void>;

/** What the queue needs from the webhook options. */
export interface LateRepliesOptions {
  readonly sender: LateReplySender | undefined;
  readonly logger: Logger;
  readonly observer: WebhookObserver;
  readonly timers: Timers;
}

/** The late replies still running. */
export class LateReplies {
  readonly #o: LateRepliesOptions;
  readonly #running = new Set<Promise<void>>();

  constructor(o: LateRepliesOptions) {
    this.#o = o;
  }

  /**
   * Track `reply` (the handler's eventual reply, undefined for none) and hand it to the sender. It
   * never rejects: a rejection of `reply` is the handler's failure and goes to `onFailed`.
   */
  add(message: WechatMessage, reply: Promise<Reply | undefined>, onFailed: (err: unknown) => void): void {
    const delivery: Promise<void> = reply
      .then((r) => (r === undefined ? undefined : this.#send(message, r)), onFailed)
      .catch(onFailed)
      .finally(() => this.#running.delete(delivery));
    this.#running.add(delivery);
  }

  async #send(message: WechatMessage, r: Reply): Promise<void> {
    const o = this.#o;
    const ids = messageIds(message);
    if (o.sender === undefined) {
      o.logger.warn({ event: 'webhook.late_reply_dropped', ...ids, replyType: r.type }, 'late reply dropped: no sender configured');
      notify(o.logger, () => o.observer.onLateReply?.({ ok: false, error: new Error('no sender configured') }));
      return;
    }
    try {
      await o.sender(message.FromUserName, r);
      o.logger.info({ event: 'webhook.late_reply_sent', ...ids, replyType: r.type }, 'late reply delivered through sender');
      notify(o.logger, () => o.observer.onLateReply?.({ ok: true }));
    } catch (err) {
      o.logger.error({ event: 'webhook.late_reply_failed', ...ids, replyType: r.type, err: errorFields(err) }, 'late reply could not be delivered');
      notify(o.logger, () => o.observer.onLateReply?.({ ok: false, error: err }));
    }
  }

  /** Wait until no late reply is running, for at most `timeoutMs`; true when none is left. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.#running.size === 0) return true;
    // Deliveries never reject; loop in case one starts while waiting.
    const settled = (async () => {
      while (this.#running.size > 0) await Promise.all([...this.#running]);
      return true as const;
    })();
    const done = (await withTimeout(settled, Math.max(1, timeoutMs), { timers: this.#o.timers })) !== TIMED_OUT;
    if (!done) this.#o.logger.warn({ event: 'webhook.drain_timeout', pending: this.#running.size, timeoutMs }, 'late replies still running at shutdown; giving up on them');
    return done;
  }
}
