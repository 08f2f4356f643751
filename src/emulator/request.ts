/**
 * The parts of an HTTP request the emulator's routes look at, and what a route answers.
 */
import type { FaultEndpoint } from './faults.js';
import type { MultipartForm } from './multipart.js';
import type { Reply } from './replies.js';
import type { EmulatorState } from './state.js';
import type { CounterKind } from './stats.js';

/** A request, read in full before routing. */
export interface EmulatorRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: Buffer;
  /** Lower-cased Content-Type header, or ''. */
  readonly contentType: string;
  /** The client's address as the socket reports it. */
  readonly remoteAddress: string;
  /** The parsed multipart/form-data body; null when the body claims to be one but is malformed. */
  readonly form?: MultipartForm | null;
}

/**
 * A request identified by a route: which app it counts for and which fault class it belongs to.
 * `respond` does the work and changes state; it runs when the answer is due (after a `delay` fault).
 */
export interface RouteMatch {
  /** The configured app the request belongs to; undefined when none can be named. */
  readonly appId: string | undefined;
  readonly counter: CounterKind;
  readonly faultEndpoint: Exclude<FaultEndpoint, '*'>;
  /** stable_token only: whether the call asks for force_refresh (faults may select on it). */
  readonly forceRefresh?: boolean;
  readonly respond: () => Reply;
}

/** Identifies a request (without changing state) and says how to answer it. */
export type Route = (req: EmulatorRequest, state: EmulatorState) => RouteMatch;

/** A parsed JSON body: the object, or why there is none. */
export type JsonBody =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly reason: 'empty' | 'not-json' | 'not-object' };

/**
 * Parse a JSON object body. WeChat accepts JSON whatever the Content-Type says, so the header is
 * not consulted.
 */
export function parseJsonBody(body: Buffer): JsonBody {
  const text = body.toString('utf8').trim();
  if (text.length === 0) return { ok: false, reason: 'empty' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not-json' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'not-object' };
  return { ok: true, value: value as Record<string, unknown> };
}
