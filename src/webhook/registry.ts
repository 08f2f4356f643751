/**
 * Handler registry: which handler answers a message.
 *
 * Lookup order for an event: `event:<Event>` with its EventKey, `event:<Event>`, `event` (any event),
 * then the fallback. For a message: its MsgType, then the fallback. No handler means `success`.
 */
import type Koa from 'koa';
import { InvalidOptionError } from '../errors.js';
import { isEvent, type EventsByName, type MessagesByType, type UnknownEvent, type WechatEvent, type WechatMessage } from './messages.js';
import type { Reply } from './replies.js';

/** What a handler may return: a reply, a string (a text reply; '' means none), or nothing (`success`). */
export type HandlerResult = Reply | string | void | null | undefined;

/**
 * Answers one message. `ctx` is the Koa context of the delivery (still usable after the deadline,
 * though the response has been sent by then).
 */
// Method syntax makes the parameter bivariant, so specific handlers fit the generic slots of a map.
export type Handler<M extends WechatMessage = WechatMessage> = {
  bivarianceHack(message: M, ctx: Koa.Context): HandlerResult | Promise<HandlerResult>;
}['bivarianceHack'];

/** Handlers by message type (`text`, ...), by event (`event:subscribe`, ...), for any event (`event`), plus `fallback`. */
export type HandlerMap = {
  [K in keyof MessagesByType]?: Handler<MessagesByType[K]>;
} & {
  [E in keyof EventsByName as `event:${E}`]?: Handler<EventsByName[E]>;
} & {
  /** Any event without a more specific handler. */
  event?: Handler<WechatEvent | UnknownEvent>;
  /** Anything without a more specific handler. */
  fallback?: Handler;
  /** Events this version does not type. */
  [event: `event:${string}`]: Handler<WechatEvent | UnknownEvent> | undefined;
  /** Message types this version does not type, by MsgType. */
  [msgType: string]: Handler | undefined;
};

const EVENT_KEY_SEPARATOR = '\u0000';

/** Handlers per type, event and EventKey, with a fallback. */
export class HandlerRegistry {
  readonly #handlers = new Map<string, Handler>();
  #fallback: Handler | undefined;

  /** Build a registry from a {@link HandlerMap}. */
  static from(map: HandlerMap): HandlerRegistry {
    if (map === null || typeof map !== 'object') throw new InvalidOptionError('handlers', 'a HandlerMap object or a HandlerRegistry');
    const registry = new HandlerRegistry();
    for (const [type, handler] of Object.entries(map)) {
      if (handler === undefined) continue;
      if (typeof handler !== 'function') throw new InvalidOptionError(`handlers.${type}`, 'a function');
      if (type === 'fallback') registry.fallback(handler);
      else registry.on(type, handler);
    }
    return registry;
  }

  /** Handle a message type. */
  on<K extends keyof MessagesByType>(type: K, handler: Handler<MessagesByType[K]>): this;
  /** Handle an event. */
  on<E extends keyof EventsByName>(type: `event:${E}`, handler: Handler<EventsByName[E]>): this;
  /** Handle an event with one EventKey (e.g. one menu button). */
  on<E extends keyof EventsByName>(type: `event:${E}`, eventKey: string, handler: Handler<EventsByName[E]>): this;
  /** Handle any event without a more specific handler. */
  on(type: 'event', handler: Handler<WechatEvent | UnknownEvent>): this;
  /** Handle an event or message type this version does not type. */
  on(type: string, handler: Handler): this;
  on(type: string, eventKey: string, handler: Handler): this;
  on(type: string, keyOrHandler: string | Handler, maybeHandler?: Handler): this {
    if (typeof type !== 'string' || type.length === 0) throw new InvalidOptionError('type', 'a message type or "event:<Event>"');
    let key = type;
    let handler: unknown = keyOrHandler;
    if (typeof keyOrHandler === 'string') {
      if (!type.startsWith('event:')) throw new InvalidOptionError('eventKey', 'to be used only with "event:<Event>" types');
      key = `${type}${EVENT_KEY_SEPARATOR}${keyOrHandler}`;
      handler = maybeHandler;
    }
    if (typeof handler !== 'function') throw new InvalidOptionError(`handlers.${type}`, 'a function');
    this.#handlers.set(key, handler as Handler);
    return this;
  }

  /** Handle anything without a more specific handler. */
  fallback(handler: Handler): this {
    if (typeof handler !== 'function') throw new InvalidOptionError('fallback', 'a function');
    this.#fallback = handler;
    return this;
  }

  /** The handler for `message`, or undefined (answer `success`). */
  resolve(message: WechatMessage): Handler | undefined {
    const handlers = this.#handlers;
    if (isEvent(message)) {
      const type = `event:${message.Event}`;
      const eventKey = 'EventKey' in message ? message.EventKey : undefined;
      return (
        (eventKey !== undefined ? handlers.get(`${type}${EVENT_KEY_SEPARATOR}${eventKey}`) : undefined) ??
        handlers.get(type) ??
        handlers.get('event') ??
        this.#fallback
      );
    }
    return handlers.get(message.MsgType) ?? this.#fallback;
  }
}
