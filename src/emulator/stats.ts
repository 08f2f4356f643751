/**
 * Call counters per appid: every request that reaches an endpoint is counted, including requests
 * answered with an error or a fault, so tests can assert "exactly N upstream calls".
 */
import { UNATTRIBUTED } from './constants.js';

/** Which counter a request increments. */
export type CounterKind = 'token' | 'stable_token' | 'api' | 'clear_quota' | 'ticket' | 'sns';

/** Counts of one appid. */
export interface AppCallStats {
  /** GET/POST /cgi-bin/token */
  token: number;
  /** POST /cgi-bin/stable_token */
  stable_token: number;
  /** token-authenticated APIs (everything but the token endpoints and clear_quota) */
  api: number;
  /** POST /cgi-bin/clear_quota */
  clear_quota: number;
  /** GET /cgi-bin/ticket/getticket */
  ticket: number;
  /** /sns/* (web authorization with user tokens) */
  sns: number;
  /** per path, e.g. `/cgi-bin/menu/get` */
  endpoints: Record<string, number>;
}

/**
 * Counts per appid, as served by `GET /__emulator/stats`. Requests that name no configured app
 * (unknown appid, unknown token) are counted under the key `-`.
 */
export type EmulatorStats = Record<string, AppCallStats>;

const empty = (): AppCallStats => ({ token: 0, stable_token: 0, api: 0, clear_quota: 0, ticket: 0, sns: 0, endpoints: {} });

/** Mutable counters behind {@link EmulatorStats}. */
export class CallCounters {
  readonly #known: readonly string[];
  readonly #stats = new Map<string, AppCallStats>();

  /** `knownAppIds` always appear in snapshots, with zeros before their first call. */
  constructor(knownAppIds: readonly string[]) {
    this.#known = knownAppIds;
    this.reset();
  }

  hit(appId: string | undefined, kind: CounterKind, path: string): void {
    const key = appId ?? UNATTRIBUTED;
    let s = this.#stats.get(key);
    if (!s) {
      s = empty();
      this.#stats.set(key, s);
    }
    s[kind] += 1;
    s.endpoints[path] = (s.endpoints[path] ?? 0) + 1;
  }

  /** A deep copy. */
  snapshot(): EmulatorStats {
    const out: EmulatorStats = {};
    for (const [k, v] of this.#stats) out[k] = { ...v, endpoints: { ...v.endpoints } };
    return out;
  }

  reset(): void {
    this.#stats.clear();
    for (const id of this.#known) this.#stats.set(id, empty());
  }
}
