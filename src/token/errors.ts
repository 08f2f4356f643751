/**
 * Errors of the token stores.
 */
import { WechatMpError } from '../errors.js';

/** A token store failed to read, write, invalidate or lease. */
export class TokenStoreError extends WechatMpError {
  /** The store operation: `get`, `save`, `invalidate`, `acquireLease`, `releaseLease`. */
  readonly operation: string;

  constructor(operation: string, message: string, options?: { cause?: unknown }) {
    super('WMP_ERR_TOKEN_STORE', `Token store ${operation} failed: ${message}`, options);
    this.name = 'TokenStoreError';
    this.operation = operation;
  }
}
