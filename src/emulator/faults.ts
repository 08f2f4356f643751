/**
 * Scheduled faults: "the next N calls of this appid to this endpoint" answer with an errcode, an HTTP
 * error page, after a delay, with a dropped connection, or with a truncated JSON body.
 */
import { WechatMpError } from '../errors.js';

/**
 * Endpoint classes a fault can target. `api` covers every token-authenticated API, clear_quota included;
 * `ticket` is getticket, `sns` the /sns user-token paths.
 */
export type FaultEndpoint = 'token' | 'stable_token' | 'api' | 'ticket' | 'sns' | '*';
/**
 * - `errcode`: HTTP 200 `{"errcode":N,"errmsg":"... rid: ..."}`
 * - `http`: the HTTP `status` (default 502) with an HTML body
 * - `delay`: wait `delayMs`, then answer normally (the request is processed when the delay ends)
 * - `drop`: destroy the socket without any response
 * - `malformed`: HTTP 200 with a truncated JSON body
 */
export type FaultKind = 'errcode' | 'http' | 'delay' | 'drop' | 'malformed';

/**
 * A fault for the next `count` matching calls. On the control API's wire (`POST /__emulator/faults`)
 * the AppID field is spelled `appid`, like WeChat's own JSON; in code it is `appId`.
 */
export interface FaultSpec {
  /** An AppID, or `*` for any (requests of unknown apps only match `*`). */
  appId: string;
  endpoint: FaultEndpoint;
  kind: FaultKind;
  /** Required for `errcode` (e.g. -1, 45009, 45011). */
  errcode?: number;
  /** For `http`: 400-599. @default 502 */
  status?: number;
  /** Required for `delay`: 0-60000 ms. */
  delayMs?: number;
  /** How many matching calls get this fault: 1-100000. */
  count: number;
  /** stable_token only: match only calls whose `force_refresh` is this value. @default either */
  forceRefresh?: boolean;
}

/** Default HTTP status of an `http` fault. */
export const DEFAULT_FAULT_STATUS = 502;
/** Longest `delayMs` accepted. */
export const MAX_FAULT_DELAY_MS = 60_000;
/** Largest `count` accepted. */
export const MAX_FAULT_COUNT = 100_000;

const ENDPOINTS: readonly FaultEndpoint[] = ['token', 'stable_token', 'api', 'ticket', 'sns', '*'];
const KINDS: readonly FaultKind[] = ['errcode', 'http', 'delay', 'drop', 'malformed'];
const FIELDS = ['endpoint', 'kind', 'errcode', 'status', 'delayMs', 'count', 'forceRefresh'];

const bad = (reason: string): never => {
  throw new WechatMpError('WMP_ERR_EMULATOR', `invalid fault: ${reason}`);
};
const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/**
 * Validate a fault and fill its defaults: from code (`appId`) or, with `spelling: 'wire'`, from the
 * control API's JSON (`appid`).
 * @throws {WechatMpError} `WMP_ERR_EMULATOR` naming the bad field.
 */
export function parseFaultSpec(value: unknown, spelling: 'code' | 'wire' = 'code'): FaultSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('expected a JSON object');
  const v = value as Record<string, unknown>;
  const idKey = spelling === 'wire' ? 'appid' : 'appId';
  for (const k of Object.keys(v)) if (k !== idKey && !FIELDS.includes(k)) bad(`unknown field "${k}"`);
  const appId = v[idKey];
  if (typeof appId !== 'string' || appId.length === 0) bad(`"${idKey}" must be a non-empty string (an AppID or "*")`);
  if (!ENDPOINTS.includes(v.endpoint as FaultEndpoint)) bad(`"endpoint" must be one of ${ENDPOINTS.join(', ')}`);
  if (!KINDS.includes(v.kind as FaultKind)) bad(`"kind" must be one of ${KINDS.join(', ')}`);
  if (!isInt(v.count, 1, MAX_FAULT_COUNT)) bad(`"count" must be an integer from 1 to ${MAX_FAULT_COUNT}`);
  if (v.forceRefresh !== undefined && typeof v.forceRefresh !== 'boolean') bad('"forceRefresh" must be a boolean');
  const spec: FaultSpec = { appId: appId as string, endpoint: v.endpoint as FaultEndpoint, kind: v.kind as FaultKind, count: v.count as number };
  if (typeof v.forceRefresh === 'boolean') spec.forceRefresh = v.forceRefresh;
  switch (spec.kind) {
    case 'errcode':
      if (!isInt(v.errcode, -2147483648, 2147483647) || v.errcode === 0) bad('"errcode" must be a non-zero integer for kind "errcode"');
      spec.errcode = v.errcode as number;
      break;
    case 'http':
      if (v.status !== undefined && !isInt(v.status, 400, 599)) bad('"status" must be an integer from 400 to 599');
      spec.status = (v.status as number | undefined) ?? DEFAULT_FAULT_STATUS;
      break;
    case 'delay':
      if (!isInt(v.delayMs, 0, MAX_FAULT_DELAY_MS)) bad(`"delayMs" must be an integer from 0 to ${MAX_FAULT_DELAY_MS} for kind "delay"`);
      spec.delayMs = v.delayMs as number;
      break;
    default:
      break;
  }
  return spec;
}

/** Pending faults, applied first-scheduled first. */
export class FaultQueue {
  readonly #pending: FaultSpec[] = [];

  add(spec: FaultSpec): void {
    this.#pending.push({ ...spec });
  }

  /** The fault for a call of `appId` to `endpoint`, if one is pending; consumes one of its count. */
  take(appId: string | undefined, endpoint: Exclude<FaultEndpoint, '*'>, forceRefresh?: boolean): FaultSpec | undefined {
    const i = this.#pending.findIndex(
      (f) =>
        (f.appId === '*' || f.appId === appId) &&
        (f.endpoint === '*' || f.endpoint === endpoint) &&
        (f.forceRefresh === undefined || f.forceRefresh === (forceRefresh ?? false)),
    );
    if (i < 0) return undefined;
    const f = this.#pending[i] as FaultSpec;
    f.count -= 1;
    if (f.count <= 0) this.#pending.splice(i, 1);
    return { ...f };
  }

  /** Pending faults with their remaining counts. */
  list(): FaultSpec[] {
    return this.#pending.map((f) => ({ ...f }));
  }

  clear(): void {
    this.#pending.length = 0;
  }
}

/** A fault as the control API's JSON spells it (`appid`). */
export function faultToWire(spec: FaultSpec): Record<string, unknown> {
  const { appId, ...rest } = spec;
  return { appid: appId, ...rest };
}
