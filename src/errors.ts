/**
 * One base error class, one registry of stable codes (undici `lib/core/errors.js` style).
 *
 * Every error this package throws on purpose is a {@link WechatMpError} whose `code` is a key of
 * {@link ERROR_CODES}. `docs/errors.md` documents the same table; `test/errors.test.ts` keeps the two in step.
 * Messages never contain secrets (AppSecret, tokens, EncodingAESKey): callers pass names, not values.
 */

/** Stable error codes and what each means. Adding a code means adding a row to docs/errors.md. */
export const ERROR_CODES = {
  WMP_ERR_CONFIG: 'The environment configuration is invalid; `problems` lists each bad variable.',
  WMP_ERR_INVALID_OPTION: 'An option passed to a constructor or function is missing or has the wrong type or range.',
  WMP_ERR_MONGO_CONNECT: 'The MongoDB connection could not be established or was lost.',
  WMP_ERR_WECHAT_API: 'A WeChat API answered with a non-zero errcode; `errcode`, `errmsg` and `endpoint` are set.',
  WMP_ERR_TOKEN_PERMANENT: 'The token request failed for a reason retrying cannot fix (wrong appid or secret, IP not whitelisted, frozen secret).',
  WMP_ERR_TOKEN_QUOTA: 'The daily token quota is exhausted (errcode 45009); refreshing stops until it is reset.',
  WMP_ERR_UPSTREAM: 'An upstream HTTP call failed after bounded retries (network error, timeout, 5xx, errcode -1, malformed body).',
  WMP_ERR_TOKEN_STORE: 'The token store failed to read, write or lease.',
  WMP_ERR_TOKEN_SOURCE: 'The central token service answered with an error or an unusable body.',
  WMP_ERR_SIGNATURE: 'A webhook request carried a missing or wrong signature or msg_signature.',
  WMP_ERR_TIMESTAMP: 'A webhook request carried a timestamp outside the allowed window.',
  WMP_ERR_AES_KEY: 'An EncodingAESKey is not 43 characters of [a-zA-Z0-9].',
  WMP_ERR_DECRYPT: 'A webhook ciphertext could not be decrypted (bad base64, length, or PKCS#7 padding).',
  WMP_ERR_APPID_MISMATCH: 'A decrypted webhook message names a different AppID than ours.',
  WMP_ERR_XML: 'A webhook body is not well-formed XML or lacks a required field.',
  WMP_ERR_BODY_TOO_LARGE: 'A webhook body exceeds the configured size limit.',
  WMP_ERR_REPLY: 'A handler returned a reply that cannot be built (for example too many news articles).',
  WMP_ERR_WEBHOOK_REQUEST: 'A webhook request used a method other than GET or POST, lacked a required query value, or was unencrypted in safe mode.',
  WMP_ERR_DEDUPE_STORE: 'The webhook dedupe store failed or timed out; the webhook fell back to in-process dedupe.',
  WMP_ERR_EMULATOR: 'The local WeChat emulator was given a bad control request or option.',
  WMP_ERR_SIMULATOR: 'The webhook simulator received an invalid or unverifiable reply.',
} as const;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Base class of every error this package throws on purpose. */
export class WechatMpError extends Error {
  /** Stable, documented code; branch on this, never on the message. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WechatMpError';
    this.code = code;
  }
}

/** One problem found while validating configuration. */
export interface ConfigProblem {
  /** The variable (or option) name, e.g. `PORT`. */
  readonly variable: string;
  /** What was expected; never echoes a secret value. */
  readonly message: string;
}

/** The configuration is invalid. The message lists every problem, one per line. */
export class ConfigError extends WechatMpError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(
      'WMP_ERR_CONFIG',
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
    this.problems = Object.freeze([...problems]);
  }
}

/** A constructor or function option is invalid. */
export class InvalidOptionError extends WechatMpError {
  /** The option's name. */
  readonly option: string;

  constructor(option: string, expected: string) {
    super('WMP_ERR_INVALID_OPTION', `Invalid option "${option}": expected ${expected}`);
    this.name = 'InvalidOptionError';
    this.option = option;
  }
}
