/**
 * One base error class, one registry of stable codes (undici `lib/core/errors.js` style), and
 * factories in fastify's `createError` shape.
 *
 * Every error this package throws on purpose is a {@link WechatMpError} whose `code` is a key of
 * {@link ERROR_CODES}. The registry is the one place that says, per code, what it means, what to do
 * about it, and the HTTP status a server answers with when such an error ends a request
 * (`statusCode`). `docs/errors.md` documents the same table; `test/errors.test.ts` keeps the two in step.
 * Messages never contain secrets (AppSecret, tokens, EncodingAESKey): callers pass names, not values.
 */

/** What the registry knows about one code. */
export interface ErrorInfo {
  /** What happened. */
  readonly meaning: string;
  /** What to do about it. */
  readonly action: string;
  /** The HTTP status a server answers with when this error ends a request. */
  readonly status: number;
}

/** Stable error codes. Adding a code means adding a row to docs/errors.md. */
export const ERROR_CODES = Object.freeze({
  WMP_ERR_CONFIG: {
    meaning: 'The environment configuration is invalid; `problems` lists each bad variable.',
    action: 'Fix each variable named in the message (see `.env.example`); the service does not start until then.',
    status: 500,
  },
  WMP_ERR_INVALID_OPTION: {
    meaning: 'An option passed to a constructor or function is missing or has the wrong type or range.',
    action: 'Pass the option named in `option` as the message describes; it is a programming error, not a runtime condition.',
    status: 500,
  },
  WMP_ERR_WECHAT_API: {
    meaning: 'A WeChat API answered with a non-zero errcode; `errcode`, `errmsg` and `endpoint` are set.',
    action: 'Branch on `errcode` (docs/protocol.md section 3); a rejected token was already recovered from once, so do not retry 40001/42001 yourself.',
    status: 503,
  },
  WMP_ERR_TOKEN_PERMANENT: {
    meaning: 'The token request failed for a reason retrying cannot fix (wrong appid or secret, IP not whitelisted, frozen secret).',
    action: 'Check `reason`: fix the AppID/AppSecret, add the server IP to the whitelist in the MP console, or unfreeze the secret; requests pause for the cooldown meanwhile.',
    status: 503,
  },
  WMP_ERR_TOKEN_QUOTA: {
    meaning: 'The daily token quota is exhausted (errcode 45009); refreshing stops until it is reset.',
    action: 'Find what fetches tokens so often (several servers without a shared store?); reset the quota in the MP console or with clear_quota, at most 10 times a month.',
    status: 503,
  },
  WMP_ERR_UPSTREAM: {
    meaning: 'An upstream HTTP call failed after bounded retries (network error, timeout, 5xx, errcode -1, malformed body).',
    action: 'Transient: retry later. If it persists, check network access to the API base (`kind` says what failed) and WeChat\'s status.',
    status: 503,
  },
  WMP_ERR_TOKEN_STORE: {
    meaning: 'The token store failed to read, write or lease.',
    action: 'Check the store (MongoDB reachable, data directory writable); callers are served from memory meanwhile and the save is retried.',
    status: 503,
  },
  WMP_ERR_TOKEN_SOURCE: {
    meaning: 'The central token service answered with an error or an unusable body.',
    action: 'Check WECHAT_TOKEN_SOURCE and its secret, and that the central instance is up with TOKEN_SERVICE_SECRET set to the same secret.',
    status: 503,
  },
  WMP_ERR_SIGNATURE: {
    meaning: 'A webhook request carried a missing or wrong signature or msg_signature.',
    action: 'Make WECHAT_TOKEN equal the Token in the MP console; a stranger probing the URL also gets this (no action).',
    status: 401,
  },
  WMP_ERR_TIMESTAMP: {
    meaning: 'A webhook request carried a timestamp outside the allowed window.',
    action: 'Sync the server clock (NTP); WEBHOOK_TIMESTAMP_WINDOW_SECONDS widens the window. A replayed request also gets this.',
    status: 401,
  },
  WMP_ERR_AES_KEY: {
    meaning: 'An EncodingAESKey is not 43 characters of [a-zA-Z0-9].',
    action: 'Copy the EncodingAESKey from the MP console again (43 characters, no spaces).',
    status: 500,
  },
  WMP_ERR_DECRYPT: {
    meaning: 'A webhook ciphertext could not be decrypted (bad base64, length, or PKCS#7 padding).',
    action: 'Make WECHAT_ENCODING_AES_KEY equal the console\'s key; during a key change set WECHAT_ENCODING_AES_KEY_PREVIOUS.',
    status: 401,
  },
  WMP_ERR_APPID_MISMATCH: {
    meaning: 'A decrypted webhook message names a different AppID than ours.',
    action: 'Make WECHAT_APP_ID the AppID of the account whose EncodingAESKey is configured.',
    status: 401,
  },
  WMP_ERR_XML: {
    meaning: 'A webhook body is not well-formed XML or lacks a required field.',
    action: 'Nothing, if the sender is not WeChat; otherwise report the message type (the body is not logged).',
    status: 400,
  },
  WMP_ERR_BODY_TOO_LARGE: {
    meaning: 'A webhook body exceeds the configured size limit.',
    action: 'Raise WEBHOOK_BODY_LIMIT_BYTES only if WeChat itself sends larger bodies.',
    status: 413,
  },
  WMP_ERR_REPLY: {
    meaning: 'A handler returned a reply that cannot be built (for example too many news articles).',
    action: 'Fix the handler: return a reply built with `reply.*` within WeChat\'s limits (the message says which).',
    status: 500,
  },
  WMP_ERR_WEBHOOK_REQUEST: {
    meaning: 'A webhook request used a method other than GET or POST, lacked a required query value, or was unencrypted in safe mode.',
    action: 'Nothing for strangers\' requests; for WeChat\'s, check that the MP console\'s message mode matches WECHAT_MESSAGE_MODE.',
    status: 400,
  },
  WMP_ERR_DEDUPE_STORE: {
    meaning: 'The webhook dedupe store failed or timed out; the webhook fell back to in-process dedupe.',
    action: 'Check MongoDB; until it is back, a retry reaching another instance may be handled twice.',
    status: 503,
  },
  WMP_ERR_LISTEN: {
    meaning: 'An HTTP server could not bind its address: the port is taken by another process, or the host is not an address of this machine.',
    action: 'Stop what holds the port, or pick a free one (PORT for the service, --port for the emulator, --port and --emulator-port for the sandbox); check HOST.',
    status: 500,
  },
  WMP_ERR_EMULATOR: {
    meaning: 'The local WeChat emulator was given a bad control request or option.',
    action: 'Fix the control request or option named in the message (README, "Offline WeChat").',
    status: 400,
  },
  WMP_ERR_SIMULATOR: {
    meaning: 'The webhook simulator received an invalid or unverifiable reply.',
    action: 'Fix the webhook\'s reply as the message says; WeChat would show the user an error for it.',
    status: 502,
  },
} as const satisfies Record<string, ErrorInfo>);

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Options of {@link WechatMpError}. */
export interface WechatMpErrorOptions {
  cause?: unknown;
  /** HTTP status when this error ends a request. @default the code's status in {@link ERROR_CODES} */
  statusCode?: number;
}

/** Base class of every error this package throws on purpose. */
export class WechatMpError extends Error {
  /** Stable, documented code; branch on this, never on the message. */
  readonly code: ErrorCode;
  /** HTTP status a server answers with when this error ends a request. */
  readonly statusCode: number;

  constructor(code: ErrorCode, message: string, options?: WechatMpErrorOptions) {
    super(message, options && 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'WechatMpError';
    this.code = code;
    this.statusCode = options?.statusCode ?? ERROR_CODES[code].status;
  }

  /** What to do about it (from {@link ERROR_CODES}). */
  get action(): string {
    return ERROR_CODES[this.code].action;
  }
}

/** A class made by {@link createError}: code and status fixed, message built from the arguments. */
export interface WechatMpErrorClass<A extends unknown[]> {
  new (...args: A): WechatMpError;
  readonly code: ErrorCode;
  readonly statusCode: number;
}

/**
 * An error class for one kind of failure, in fastify's `createError(code, message, statusCode)` shape:
 * the code, the message (or a function of the constructor's arguments) and the HTTP status are
 * decided here, once, instead of at every throw site.
 *
 *   const MethodNotAllowed = createError('WMP_ERR_WEBHOOK_REQUEST', 'method not allowed', 405);
 *   throw new MethodNotAllowed();
 */
export function createError<A extends unknown[] = []>(
  code: ErrorCode,
  message: string | ((...args: A) => string),
  statusCode: number = ERROR_CODES[code].status,
): WechatMpErrorClass<A> {
  return class extends WechatMpError {
    static readonly code = code;
    static readonly statusCode = statusCode;

    constructor(...args: A) {
      super(code, typeof message === 'function' ? message(...args) : message, { statusCode });
    }
  };
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

  /**
   * @param problems every bad or missing variable.
   * @param note one line of context printed before the problems (e.g. that no `.env` file was found).
   */
  constructor(problems: readonly ConfigProblem[], note?: string) {
    super(
      'WMP_ERR_CONFIG',
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        (note === undefined ? '' : `  ${note}\n`) +
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
