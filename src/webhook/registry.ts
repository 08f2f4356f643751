/**
 * Handler registry: which handler answers a message.
 *
 * Lookup order for an event: `event:<Event>` with its EventKey, `event:<Event>`, `event` (any event),
 * then the fallback. For a message: its MsgType, then the fallback. No handler means `success`.
 */
import type Koa from 'koa';
import { InvalidOptionError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { EVENT_NAMES, isEvent, MESSAGE_TYPES, type EventsByName, type MessagesByType, type UnknownEvent, type WechatEvent, type WechatMessage } from './messages.js';
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

/**
 * Handlers by message type (`text`, ...), by event (`event:subscribe`, `event:CLICK`, ...), by event and
 * EventKey (`event:CLICK:menu_1`, `event:subscribe:qrscene_7`), for any event (`event`), plus `fallback`.
 * Keys are checked at compile time: `Text` or `event:click` (WeChat sends `CLICK`) do not compile.
 * Types and events this version does not type go through {@link HandlerRegistry.on}, which takes any string.
 */
export type HandlerMap = {
  [K in keyof MessagesByType]?: Handler<MessagesByType[K]>;
} & {
  [E in keyof EventsByName as `event:${E}`]?: Handler<EventsByName[E]>;
} & {
  [E in keyof EventsByName as `event:${E}:${string}`]?: Handler<EventsByName[E]>;
} & {
  /** Any event without a more specific handler. */
  event?: Handler<WechatEvent | UnknownEvent>;
  /** Anything without a more specific handler. */
  fallback?: Handler;
};

/** Options of {@link HandlerRegistry.from}. */
export interface HandlerRegistryFromOptions {
  /**
   * Told once per key that names no message type or event this version knows (a typo in JavaScript,
   * where the compiler cannot check). Without it the warning goes to `process.emitWarning`.
   */
  logger?: Logger;
}

const EVENT_KEY_SEPARATOR = '\u0000';
const KNOWN_KEYS: ReadonlySet<string> = new Set(['event', 'fallback', ...MESSAGE_TYPES, ...EVENT_NAMES.map((e) => `event:${e}`)]);
const MAX_KEY_IN_WARNING = 120;

/** `event:NAME:KEY` -> [`event:NAME`, KEY]; anything else -> [type, undefined]. Event names hold no `:`. */
function splitEventKey(type: string): [string, string | undefined] {
  if (!type.startsWith('event:')) return [type, undefined];
  const colon = type.indexOf(':', 'event:'.length);
  return colon < 0 ? [type, undefined] : [type.slice(0, colon), type.slice(colon + 1)];
}

/** A warning for a map key no delivery can reach, with the known spelling when only the case differs. */
function unknownKeyWarning(key: string): string | undefined {
  const [type] = splitEventKey(key);
  if (KNOWN_KEYS.has(type)) return undefined;
  const near = [...KNOWN_KEYS].find((k) => k.toLowerCase() === type.toLowerCase());
  const shown = JSON.stringify(key.length > MAX_KEY_IN_WARNING ? `${key.slice(0, MAX_KEY_IN_WARNING)}...` : key);
  return near !== undefined
    ? `handler key ${shown} never runs: WeChat sends "${near.replace(/^event:/, '')}" in this case; use "${near}"`
    : `handler key ${shown} names no message type or event this version knows; it runs only if WeChat sends exactly that ` +
        `(known: ${[...KNOWN_KEYS].join(', ')}). Register such types with HandlerRegistry.on() to silence this.`;
}

/** Handlers per type, event and EventKey, with a fallback. */
export class HandlerRegistry {
  readonly #handlers = new Map<string, Handler>();
  #fallback: Handler | undefined;

  /**
   * Build a registry from a {@link HandlerMap}. Keys naming no known type or event are still registered
   * (WeChat adds events) and reported once through `options.logger`.
   */
  static from(map: HandlerMap, options: HandlerRegistryFromOptions = {}): HandlerRegistry {
    if (map === null || typeof map !== 'object') throw new InvalidOptionError('handlers', 'a HandlerMap object or a HandlerRegistry');
    const registry = new HandlerRegistry();
    for (const [type, handler] of Object.entries(map) as [string, unknown][]) {
      if (handler === undefined) continue;
      if (typeof handler !== 'function') throw new InvalidOptionError(`handlers.${type}`, 'a function');
      if (type === 'fallback') {
        registry.fallback(handler as Handler);
        continue;
      }
      registry.on(type, handler as Handler);
      const warning = unknownKeyWarning(type);
      if (warning === undefined) continue;
      if (options.logger) options.logger.warn({ event: 'webhook.unknown_handler_key' }, warning);
      else process.emitWarning(warning, { code: 'WMP_WARN_HANDLER_KEY' });
    }
    return registry;
  }

  /** Handle a message type. */
  on<K extends keyof MessagesByType>(type: K, handler: Handler<MessagesByType[K]>): this;
  /** Handle an event. */
  on<E extends keyof EventsByName>(type: `event:${E}`, handler: Handler<EventsByName[E]>): this;
  /** Handle an event with one EventKey (e.g. one menu button). */
  on<E extends keyof EventsByName>(type: `event:${E}`, eventKey: string, handler: Handler<EventsByName[E]>): this;
  /** Handle an event with one EventKey, written as one key (`event:CLICK:menu_1`). */
  on<E extends keyof EventsByName>(type: `event:${E}:${string}`, handler: Handler<EventsByName[E]>): this;
  /** Handle any event without a more specific handler. */
  on(type: 'event', handler: Handler<WechatEvent | UnknownEvent>): this;
  /** Handle an event or message type this version does not type. */
  on(type: string, handler: Handler): this;
  on(type: string, eventKey: string, handler: Handler): this;
  on(type: string, keyOrHandler: string | Handler, maybeHandler?: Handler): this {
    if (typeof type !== 'string' || type.length === 0) throw new InvalidOptionError('type', 'a message type or "event:<Event>"');
    let [base, eventKey] = splitEventKey(type);
    let handler: unknown = keyOrHandler;
    if (typeof keyOrHandler === 'string') {
      if (!type.startsWith('event:')) throw new InvalidOptionError('eventKey', 'to be used only with "event:<Event>" types');
      if (eventKey !== undefined) throw new InvalidOptionError('eventKey', 'given once: in the type ("event:CLICK:key") or as an argument');
      [base, eventKey] = [type, keyOrHandler];
      handler = maybeHandler;
    }
    if (typeof handler !== 'function') throw new InvalidOptionError(`handlers.${type}`, 'a function');
    this.#handlers.set(eventKey === undefined ? base : `${base}${EVENT_KEY_SEPARATOR}${eventKey}`, handler as Handler);
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
