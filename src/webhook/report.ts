/**
 * What the webhook's parts share for telling the outside what happened: observer calls that cannot
 * break a request, and the log fields of a message or an error (never a secret, never the body).
 */
import type { Logger } from '../log/logger.js';
import { isEvent, messageId, type WechatMessage } from './messages.js';

/** Call an observer hook; what it throws is logged at debug level and swallowed. */
export function notify(logger: Logger, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    logger.debug({ event: 'webhook.observer_error', err: errorFields(err) }, 'webhook observer threw');
  }
}

/** Log fields of an error: name, message and a string `code` when it has one. */
export function errorFields(err: unknown): { name: string; message: string; code?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? { name: err.name, message: err.message, code } : { name: err.name, message: err.message };
  }
  return { name: typeof err, message: String(err) };
}

/** {@link errorFields} plus the stack, for errors thrown by the application's own code (handlers). */
export function errorFieldsWithStack(err: unknown): { name: string; message: string; code?: string; stack?: string } {
  const fields = errorFields(err);
  return err instanceof Error && typeof err.stack === 'string' ? { ...fields, stack: err.stack } : fields;
}

/** Log fields naming a message (`wechatEvent`, since `event` names the log line). */
export function messageIds(m: WechatMessage): { msgType: string; msgId?: string; wechatEvent?: string } {
  return { msgType: m.MsgType, msgId: messageId(m), wechatEvent: isEvent(m) ? m.Event : undefined };
}
