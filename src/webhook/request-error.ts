/**
 * The one error type the request pipeline throws: a {@link WechatMpError} carrying the HTTP status and
 * a short reason that is safe to send to the client (it never contains a secret or the body).
 */
import { WechatMpError, type ErrorCode } from '../errors.js';

/** A rejected webhook request. */
export class WebhookRequestError extends WechatMpError {
  /** HTTP status to answer with (always 4xx). */
  readonly status: number;

  constructor(status: number, code: ErrorCode, reason: string, options?: { cause?: unknown }) {
    super(code, reason, options);
    this.name = 'WebhookRequestError';
    this.status = status;
  }
}

/** HTTP status for an error thrown while verifying, decrypting or parsing a request. */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof WebhookRequestError) return err.status;
  if (err instanceof WechatMpError) {
    switch (err.code) {
      case 'WMP_ERR_SIGNATURE':
      case 'WMP_ERR_TIMESTAMP':
      case 'WMP_ERR_DECRYPT':
      case 'WMP_ERR_APPID_MISMATCH':
        return 401;
      case 'WMP_ERR_XML':
        return 400;
      case 'WMP_ERR_BODY_TOO_LARGE':
        return 413;
      default:
        return undefined;
    }
  }
  return undefined;
}
