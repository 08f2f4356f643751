/**
 * Logging: a small {@link Logger} interface every module accepts (pino satisfies it), and
 * {@link createLogger}, a pino logger that redacts secrets wherever they appear in a log object.
 */
import { pino } from 'pino';
import pretty from 'pino-pretty';

/** The logging surface modules depend on. A pino logger satisfies it; so does {@link noopLogger}. */
export interface Logger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** A logger that drops everything (the default of library classes). */
export const noopLogger: Logger = Object.freeze({
  error() {},
  warn() {},
  info() {},
  debug() {},
});

/**
 * Keys whose values are never logged, at any depth: secrets, tokens, keys, signatures.
 * pino's `redact` only takes explicit paths, so the common nestings are spelled out.
 */
export const REDACTED_KEYS = [
  'appSecret',
  'secret',
  'access_token',
  'accessToken',
  'token',
  'encodingAESKey',
  'previousEncodingAESKey',
  'tokenSourceSecret',
  'authorization',
  'signature',
  'msg_signature',
  'password',
  'uri',
] as const;

const REDACT_PATHS = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** pino level. @default 'info' */
  level?: string;
  /** Where lines go. @default stdout */
  destination?: NodeJS.WritableStream;
  /** Fixed fields on every line. */
  base?: Record<string, unknown>;
  /** Human-readable, colourised lines (pino-pretty) instead of JSON; for a terminal in development. @default false */
  pretty?: boolean;
}

/** A pino logger with secret redaction. */
export function createLogger(options: CreateLoggerOptions = {}): pino.Logger {
  const opts: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base: options.base ?? { service: 'wechat-mp-server' },
    // An unset secret stays visibly unset (redactConfig writes '[unset]'), so a config dump still
    // tells whether it is configured.
    redact: { paths: REDACT_PATHS, censor: (value: unknown) => (value === undefined || value === '' || value === '[unset]' ? value : '[redacted]') },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.pretty) {
    // Redaction happens in pino before the line reaches pino-pretty, so pretty output is redacted too.
    return pino(opts, pretty({ colorize: true, sync: true, destination: options.destination ?? process.stdout }));
  }
  return options.destination ? pino(opts, options.destination as pino.DestinationStream) : pino(opts);
}

/**
 * Replace every occurrence of the given secret values in a string (for text that may embed them,
 * such as a URL with `access_token=` or an upstream error body).
 */
export function maskSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  }
  return out.replace(/(access_token|secret)=[^&\s"]+/g, '$1=[redacted]');
}
