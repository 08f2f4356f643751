/**
 * /cgi-bin/token state of one app (docs/protocol.md section 1).
 *
 * Every call issues a new token. The previous token is marked superseded and keeps working for the
 * grace period (5 minutes), then answers 40001. Each superseded token keeps its own grace, counted
 * from the moment a newer token replaced it. A token past its lifetime answers 42001.
 * The daily quota counts calls that passed the credential checks, per Beijing calendar day.
 */
import { dayKey } from './clock.js';
import { newAccessToken } from './ids.js';
import type { TokenRecord, TokenRegistry } from './token-registry.js';
import { WindowCounter } from './window-counter.js';

/** Settings of {@link ClassicTokenState}. */
export interface ClassicTokenSettings {
  readonly lifetimeMs: number;
  readonly dailyQuota: number;
}

/** Outcome of one /cgi-bin/token call with good credentials. */
export type IssueResult = { readonly record: TokenRecord } | { readonly errcode: 45009 };

/** The classic token state machine of one appid. */
export class ClassicTokenState {
  readonly #appId: string;
  readonly #registry: TokenRegistry;
  readonly #settings: ClassicTokenSettings;
  readonly #daily = new WindowCounter(dayKey);
  #current: TokenRecord | undefined;

  constructor(appId: string, registry: TokenRegistry, settings: ClassicTokenSettings) {
    this.#appId = appId;
    this.#registry = registry;
    this.#settings = settings;
  }

  /** Issue a new token at `now`, superseding the current one, unless the daily quota is used up. */
  issue(now: number): IssueResult {
    if (this.#daily.count(now) >= this.#settings.dailyQuota) return { errcode: 45009 };
    this.#daily.add(now);
    if (this.#current && this.#current.supersededAt === undefined) this.#current.supersededAt = now;
    const record: TokenRecord = {
      token: newAccessToken(),
      appId: this.#appId,
      kind: 'token',
      issuedAt: now,
      expiresAt: now + this.#settings.lifetimeMs,
    };
    this.#current = record;
    this.#registry.add(record);
    return { record };
  }

  /** Calls counted against today's quota. */
  used(now: number): number {
    return this.#daily.count(now);
  }

  /** clear_quota: today's count starts again at zero. */
  clearQuota(): void {
    this.#daily.reset();
  }
}
