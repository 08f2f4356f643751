/**
 * All mutable state of one emulator: the clock, every app's token machines, menus, quotas, the
 * custom/send log, the counters and the pending faults. {@link EmulatorState.reset} starts afresh.
 */
import { AccountData } from './account.js';
import { EmulatedClock, monthKey } from './clock.js';
import { FaultQueue } from './faults.js';
import { OAuthState } from './oauth-state.js';
import type { ResolvedEmulatorApp, ResolvedEmulatorOptions } from './options.js';
import { StableTokenState } from './stable-token-state.js';
import { CallCounters } from './stats.js';
import { ClassicTokenState } from './token-state.js';
import { TokenRegistry } from './token-registry.js';
import { TicketState } from './ticket-state.js';
import { WindowCounter } from './window-counter.js';

/** A message accepted by POST /cgi-bin/message/custom/send. */
export interface SentMessage {
  /** The app whose token sent it (`appid` in the control API's JSON). */
  appId: string;
  /** The JSON body as sent. */
  body: unknown;
  /** Emulated ms when it was accepted. */
  at: number;
  /** The 64-bit msgid answered, as a decimal string. */
  msgid: string;
}

/** State of one app. */
export class AppState {
  readonly config: ResolvedEmulatorApp;
  readonly classic: ClassicTokenState;
  readonly stable: StableTokenState;
  readonly clearQuotaCalls = new WindowCounter(monthKey);
  /** The menu set by menu/create (`{"button":[...]}`), if any. */
  menu: unknown;
  /** Media, users, templates, QR codes, conditional menus (account.ts). */
  readonly account: AccountData;
  /** jsapi and wx_card tickets (ticket-state.ts). */
  readonly tickets: TicketState;
  /** Web-authorization codes and user tokens (oauth-state.ts). */
  readonly oauth: OAuthState;

  constructor(config: ResolvedEmulatorApp, registry: TokenRegistry, options: ResolvedEmulatorOptions, now: number) {
    this.config = config;
    this.account = new AccountData(config.appId, options, now);
    this.tickets = new TicketState(options.tickets);
    this.oauth = new OAuthState(config.appId);
    const lifetimeMs = options.tokenLifetimeSeconds * 1000;
    this.classic = new ClassicTokenState(config.appId, registry, { lifetimeMs, dailyQuota: config.dailyQuota });
    this.stable = new StableTokenState(config.appId, registry, {
      lifetimeMs,
      rotateWithinMs: options.graceSeconds * 1000,
      dailyQuota: config.stableDailyQuota,
      minuteQuota: config.stableMinuteQuota,
      forceDailyLimit: options.forceRefreshDailyLimit,
      forceSpacingMs: options.forceRefreshSpacingSeconds * 1000,
    });
  }
}

/** Everything one emulator remembers. */
export class EmulatorState {
  readonly options: ResolvedEmulatorOptions;
  readonly clock: EmulatedClock;
  readonly registry = new TokenRegistry();
  readonly apps = new Map<string, AppState>();
  readonly counters: CallCounters;
  readonly faults = new FaultQueue();
  readonly messages: SentMessage[] = [];

  constructor(options: ResolvedEmulatorOptions) {
    this.options = options;
    this.clock = new EmulatedClock(options.clock);
    this.counters = new CallCounters(options.apps.map((a) => a.appId));
    this.#buildApps();
  }

  /** Grace period in ms. */
  get graceMs(): number {
    return this.options.graceSeconds * 1000;
  }

  /** Forget every token, quota, menu, message, counter and fault, and undo clock advances. */
  reset(): void {
    this.clock.reset();
    this.registry.clear();
    this.counters.reset();
    this.faults.clear();
    this.messages.length = 0;
    this.#buildApps();
  }

  #buildApps(): void {
    this.apps.clear();
    for (const a of this.options.apps) this.apps.set(a.appId, new AppState(a, this.registry, this.options, this.clock.now()));
  }
}
