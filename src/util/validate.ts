/**
 * Option checks shared by every constructor and options resolver. Each takes the option's name (as
 * the user spells it, e.g. `retry.attempts`), lets `undefined` through (so `check(...) ?? DEFAULT`
 * applies a default) and throws {@link InvalidOptionError} naming the option and what was expected.
 * Messages never echo the value: it may be a secret.
 */
import { InvalidOptionError } from '../errors.js';

/** Numeric range of {@link checkInteger} and {@link checkNumber}; both ends inclusive. */
export interface Range {
  min?: number;
  max?: number;
  /** The unit named in the message (`'ms'`, `'seconds'`). */
  unit?: string;
}

function describeRange(kind: string, r: Range): string {
  const unit = r.unit ? ` ${r.unit}` : '';
  if (r.min !== undefined && r.max !== undefined) return `${kind} from ${r.min} to ${r.max}${unit}`;
  if (r.min !== undefined) return `${kind} of at least ${r.min}${unit}`;
  if (r.max !== undefined) return `${kind} of at most ${r.max}${unit}`;
  return `${kind}${unit ? ` of${unit}` : ''}`;
}

const inRange = (v: number, r: Range) => (r.min === undefined || v >= r.min) && (r.max === undefined || v <= r.max);

/** A finite number within `range`, or undefined. */
export function checkNumber(name: string, value: unknown, range: Range = {}): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || !inRange(value, range)) throw new InvalidOptionError(name, describeRange('a number', range));
  return value;
}

/** An integer within `range`, or undefined. */
export function checkInteger(name: string, value: unknown, range: Range = {}): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || !inRange(value, range)) throw new InvalidOptionError(name, describeRange('an integer', range));
  return value;
}

/** A finite number above zero, or undefined. */
export function checkPositive(name: string, value: unknown, unit?: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new InvalidOptionError(name, `a positive number${unit ? ` of ${unit}` : ''}`);
  return value;
}

/** A boolean, or undefined. */
export function checkBoolean(name: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new InvalidOptionError(name, 'a boolean');
  return value;
}

/** A function, or undefined. `expected` describes it, e.g. `'a function returning ms since the epoch'`. */
export function checkFunction<F extends (...args: never[]) => unknown>(name: string, value: F | undefined, expected = 'a function'): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new InvalidOptionError(name, expected);
  return value;
}

/** A non-empty string (matching `pattern` when given), or undefined. */
export function checkString(name: string, value: unknown, expected = 'a non-empty string', pattern?: RegExp): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || (pattern !== undefined && !pattern.test(value))) throw new InvalidOptionError(name, expected);
  return value;
}

/** One of `allowed`, or undefined. */
export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw new InvalidOptionError(name, oneOfText(allowed));
  return value as T;
}

/** An absolute http: or https: URL, or undefined. */
export function checkHttpUrl(name: string, value: unknown): URL | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new InvalidOptionError(name, 'an absolute http(s) URL');
  }
  if (typeof value !== 'string' || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new InvalidOptionError(name, 'an absolute http(s) URL');
  return url;
}

/** A non-null object (not checked deeper), or undefined. */
export function checkObject<T extends object>(name: string, value: T | undefined, expected = 'an object'): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw new InvalidOptionError(name, expected);
  return value;
}

/** The value, which must be present: for options without a default. */
export function required<T>(name: string, value: T | undefined, expected: string): T {
  if (value === undefined) throw new InvalidOptionError(name, expected);
  return value;
}

/** `'a', 'b' or 'c'`. */
function oneOfText(allowed: readonly string[]): string {
  const quoted = allowed.map((a) => `'${a}'`);
  return quoted.length < 2 ? (quoted[0] ?? 'nothing') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}
