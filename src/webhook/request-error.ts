/**
 * The one error type the request pipeline throws: a {@link WechatMpError} carrying the HTTP status and
 * a short reason that is safe to send to the client (it never contains a secret or the body).
 */
import { WechatMpError, type ErrorCode } from '../errors.js';

/** A rejected webhook request. */
export class WebhookRequestError extends WechatMpError {
  /** HTTP status to answer with (always 4xx); the same as `statusCode`. */
  readonly status: number;

  constructor(status: number, code: ErrorCode, reason: string, options?: { cause?: unknown }) {
    super(code, reason, { ...options, statusCode: status });
    this.name = 'WebhookRequestError';
    this.status = status;
  }
}

/**
 * HTTP status for an error thrown while verifying, decrypting or parsing a request: the error's
 * `statusCode` (the registry in src/errors.ts decides it per code) when it is a 4xx, else undefined.
 */
export function statusOf(err: unknown): number | undefined {
  return err instanceof WechatMpError && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : undefined;
}
