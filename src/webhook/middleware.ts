/**
 * The webhook middleware: the Koa adapter of one request from verification to reply.
 *
 *   GET  -> signature + timestamp window -> echo `echostr`
 *   POST -> signature + timestamp window -> raw body (size limit) -> XML -> envelope (envelope.ts)
 *           -> typed message -> dedupe (dedupe/coordinator.ts) -> handler (handler-runner.ts)
 *           -> reply XML [sealed with the key that opened the request] or `success`
 *
 * Bad input gets a 4xx (its status decided in request-error.ts) with a short plain-text reason and one
 * log line without secrets; nothing a client sends produces a 5xx. Handler errors and missed deadlines
 * are answered with `success`; replies past the deadline go to `sender` (late-replies.ts).
 */
import { performance } from 'node:perf_hooks';
import type Koa from 'koa';
import { readBody } from './body.js';
import { DedupeCoordinator } from './dedupe/coordinator.js';
import { MemoryDedupeStore } from './dedupe/memory-store.js';
import { ReplayGuard, REPLAY_REASON } from './replay-guard.js';
import { RejectionLog } from '../log/rejection-log.js';
import { dedupeKey } from './dedupe/store.js';
import { openEnvelope, sealEnvelope } from './envelope.js';
import { HandlerRunner, type Answer } from './handler-runner.js';
import { LateReplies } from './late-replies.js';
import { isEvent, messageId, type WechatMessage } from './messages.js';
import { resolveWebhookOptions, type ResolvedWebhookOptions, type WebhookOptions, type WebhookOutcome } from './options.js';
import { parseWebhookQuery } from './query.js';
import { HandlerRegistry, type HandlerMap } from './registry.js';
import { notify } from './report.js';
import { WebhookRequestError, statusOf } from './request-error.js';
import { verifyQuery } from './verify.js';
import { parseXml } from './xml.js';
import { toMessage } from './parse.js';

/** What `ctx.state.wechat` holds after a message was parsed (for request logs). */
export interface WechatRequestState {
  msgType: string;
  msgId: string | undefined;
  event: string | undefined;
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

const XML_TYPE = 'application/xml; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const duplicateOf = (body: string): Answer => ({ body, outcome: 'duplicate' });

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
  const registry = handlers instanceof HandlerRegistry ? handlers : HandlerRegistry.from(handlers, options.logger ? { logger: options.logger } : {});
  const late = new LateReplies(o);
  const runner = new HandlerRunner(o, registry, late);
  const dedupe = new DedupeCoordinator({
    ...o,
    onDegraded: (degraded) => notify(o.logger, () => o.observer.onDedupeStore?.({ degraded })),
  });
  // Replay bindings live as long as the timestamp window: in their own store when deliveries are
  // remembered in memory (so they do not push deliveries out early), in the shared store otherwise.
  const replay = new ReplayGuard(o.dedupe instanceof MemoryDedupeStore ? new MemoryDedupeStore() : dedupe.store, o.timestampWindowSeconds);
  const rejections = new RejectionLog(o.logger, { now: o.now });
  const middleware: Koa.Middleware = async (ctx) => {
    const started = performance.now();
    try {
      if (ctx.method === 'POST') await post(ctx, o, dedupe, replay, runner, started);
      else if (ctx.method === 'GET') get(ctx, o, started);
      else {
        ctx.set('Allow', 'GET, POST');
        throw new WebhookRequestError('WMP_ERR_WEBHOOK_REQUEST', 'method not allowed');
      }
    } catch (err) {
      const status = statusOf(err);
      if (status === undefined) throw err; // a bug, not bad input: let Koa report it
      const reason = (err as WebhookRequestError).message;
      ctx.status = status;
      ctx.set('Content-Type', TEXT_TYPE);
      ctx.body = reason;
      // One line per reason per interval with a count: a flood of forged requests cannot flood the log.
      rejections.record('webhook.rejected', reason, { status, code: (err as WebhookRequestError).code, method: ctx.method });
      finished(o, 'rejected', status, undefined, started, reason);
    }
  };
  return Object.assign(middleware, { drain: (timeoutMs: number) => late.drain(timeoutMs) });
}

function get(ctx: Koa.Context, o: ResolvedWebhookOptions, started: number): void {
  const q = parseWebhookQuery(ctx.querystring);
  verifyQuery(q, o.token, o.now(), o.timestampWindowSeconds);
  if (q.echostr === undefined) throw new WebhookRequestError('WMP_ERR_WEBHOOK_REQUEST', 'missing echostr');
  ctx.status = 200;
  ctx.set('Content-Type', TEXT_TYPE);
  // The echo reflects input: never let a browser sniff it into something it would render.
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.body = q.echostr;
  finished(o, 'echo', 200, undefined, started);
}

async function post(ctx: Koa.Context, o: ResolvedWebhookOptions, dedupe: DedupeCoordinator, replay: ReplayGuard, runner: HandlerRunner, started: number): Promise<void> {
  const startedAt = o.now();
  const q = parseWebhookQuery(ctx.querystring);
  verifyQuery(q, o.token, startedAt, o.timestampWindowSeconds);
  const body = await readBody(ctx, o.bodyLimitBytes);
  // The signature does not cover the body: a captured query must not carry a body of the attacker's.
  const bound = replay.check(q, body, startedAt);
  if ((bound instanceof Promise ? await bound : bound) === 'different') throw new WebhookRequestError('WMP_ERR_SIGNATURE', REPLAY_REASON);
  const opened = openEnvelope(parseXml(body), q, o);
  const message = toMessage(opened.fields);
  const state: WechatRequestState = { msgType: message.MsgType, msgId: messageId(message), event: isEvent(message) ? message.Event : undefined };
  ctx.state.wechat = state;
  const delivered = dedupe.deliver(dedupeKey(message), startedAt, () => runner.run(ctx, message, startedAt), duplicateOf, (hit) =>
    notify(o.logger, () => o.observer.onDedupeHit?.({ msgType: message.MsgType, state: hit })),
  );
  const answer = delivered instanceof Promise ? await delivered : delivered;
  ctx.status = 200;
  if (answer.body === '') {
    ctx.set('Content-Type', TEXT_TYPE);
    ctx.body = 'success';
  } else {
    ctx.set('Content-Type', XML_TYPE);
    ctx.body = opened.cipher === undefined ? answer.body : sealEnvelope(answer.body, opened.cipher, o.token, o.now());
  }
  finished(o, answer.outcome, 200, message, started);
}

/** Tell `onRequest` how the request ended. */
function finished(o: ResolvedWebhookOptions, outcome: WebhookOutcome, status: number, message: WechatMessage | undefined, started: number, reason?: string): void {
  const onRequest = o.observer.onRequest;
  if (onRequest === undefined) return;
  const durationMs = performance.now() - started;
  notify(o.logger, () =>
    onRequest({ outcome, status, msgType: message?.MsgType, event: message !== undefined && isEvent(message) ? message.Event : undefined, durationMs, reason }),
  );
}
