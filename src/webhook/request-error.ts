/**
 * The one error type the request pipeline throws: a {@link WechatMpError} carrying the HTTP status and
 * a short reason that is safe to send to the client (it never contains a secret or the body).
 *
 * This file is the one place the webhook's HTTP status is decided: a rejection answers with its
 * code's status in the registry (src/errors.ts), except the reasons in {@link STATUS_BY_REASON}.
 */
import { WechatMpError, type ErrorCode } from '../errors.js';

/** Rejections whose status differs from their code's registry status. */
const STATUS_BY_REASON: Readonly<Record<string, number>> = Object.freeze({
  'method not allowed': 405,
  'safe mode requires an encrypted message': 401,
  'malformed Encrypt': 400,
});

/** A rejected webhook request. */
export class WebhookRequestError extends WechatMpError {
  /** HTTP status to answer with (always 4xx); the same as `statusCode`. */
  readonly status: number;

  constructor(code: ErrorCode, reason: string, options?: { cause?: unknown }) {
    super(code, reason, { ...options, statusCode: STATUS_BY_REASON[reason] });
    this.name = 'WebhookRequestError';
    this.status = this.statusCode;
  }
}

/**
 * HTTP status for an error thrown while verifying, decrypting or parsing a request: the error's
 * `statusCode` when it is a 4xx, else undefined (a bug, not bad input).
 */
export function statusOf(err: unknown): number | undefined {
  return err instanceof WechatMpError && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : undefined;
}
