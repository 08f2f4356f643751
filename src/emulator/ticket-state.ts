/**
 * `/cgi-bin/ticket/getticket` state of one app (docs/protocol.md section 7): the current jsapi and
 * wx_card tickets, every ticket still valid (a page's `wx.config` is checked against these), a daily
 * quota shared by both types. Whether a second call returns the same ticket, and whether the old one
 * stays valid, are settings ({@link ResolvedTicketOptions}): WeChat documents neither.
 */
import { randomBytes } from 'node:crypto';
import { dayKey } from './clock.js';
import type { ResolvedTicketOptions, TicketType } from './h5-options.js';
import { TICKET_TYPES } from './h5-options.js';
import { WindowCounter } from './window-counter.js';

/** One issued ticket. Times are emulated ms. */
export interface TicketRecord {
  readonly ticket: string;
  readonly type: TicketType;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** Replaced (with `oldStaysValid: false`) or pinned over at this time. */
  invalidatedAt?: number;
}

/** A ticket as the control API shows it. */
export interface TicketView {
  readonly ticket: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** The tickets of one type, as the control API shows them. */
export interface TicketTypeView {
  /** The ticket the next getticket returns with `reissue: 'same'`, if still valid. */
  readonly current: TicketView | null;
  /** Every ticket a page may sign with now, newest first. */
  readonly valid: readonly TicketView[];
}

/** Outcome of one getticket call with a valid access_token. */
export type TicketResult = { readonly record: TicketRecord; readonly expiresIn: number } | { readonly errcode: 45009 };

/** Tickets remembered per type (the oldest are forgotten beyond it). */
const MAX_TICKETS_PER_TYPE = 1000;

/** A new ticket in the shape WeChat uses (86 characters of [A-Za-z0-9_-]). */
export function newTicket(): string {
  return `sM4AOVdWfPE4DxkXGEs8V${randomBytes(48).toString('base64url')}`.slice(0, 86);
}

const view = (r: TicketRecord): TicketView => ({ ticket: r.ticket, issuedAt: r.issuedAt, expiresAt: r.expiresAt });

/** The ticket state machine of one app. */
export class TicketState {
  readonly #settings: ResolvedTicketOptions;
  readonly #daily = new WindowCounter(dayKey);
  readonly #issued = new Map<TicketType, TicketRecord[]>(TICKET_TYPES.map((t) => [t, []]));

  constructor(settings: ResolvedTicketOptions) {
    this.#settings = settings;
  }

  /** Answer a getticket of `type` at `now`. */
  get(type: TicketType, now: number): TicketResult {
    if (this.#daily.count(now) >= this.#settings.dailyQuota) return { errcode: 45009 };
    this.#daily.add(now);
    const current = this.#current(type, now);
    if (current && this.#settings.reissue === 'same') return { record: current, expiresIn: Math.ceil((current.expiresAt - now) / 1000) };
    const record = this.#issue(type, newTicket(), now, this.#settings.lifetimeSeconds * 1000, !this.#settings.oldStaysValid);
    return { record, expiresIn: this.#settings.lifetimeSeconds };
  }

  /**
   * Make `ticket` (a new random one when omitted) the current ticket of `type`, invalidating every
   * other ticket of that type: what a rotation upstream looks like to a client holding an old one.
   */
  pin(type: TicketType, now: number, ticket?: string, lifetimeSeconds?: number): TicketRecord {
    return this.#issue(type, ticket ?? newTicket(), now, (lifetimeSeconds ?? this.#settings.lifetimeSeconds) * 1000, true);
  }

  /** Valid tickets of `type` at `now`, newest first. */
  valid(type: TicketType, now: number): TicketRecord[] {
    return (this.#issued.get(type) ?? []).filter((r) => isValid(r, now)).reverse();
  }

  /** The control API's view of both types. */
  snapshot(now: number): Record<TicketType, TicketTypeView> {
    const one = (t: TicketType): TicketTypeView => {
      const c = this.#current(t, now);
      return { current: c ? view(c) : null, valid: this.valid(t, now).map(view) };
    };
    return { jsapi: one('jsapi'), wx_card: one('wx_card') };
  }

  /** Calls counted against today's quota. */
  used(now: number): number {
    return this.#daily.count(now);
  }

  /** clear_quota resets this quota too. */
  clearQuota(): void {
    this.#daily.reset();
  }

  #current(type: TicketType, now: number): TicketRecord | undefined {
    const list = this.#issued.get(type) ?? [];
    const last = list[list.length - 1];
    return last && isValid(last, now) ? last : undefined;
  }

  #issue(type: TicketType, ticket: string, now: number, lifetimeMs: number, invalidateOthers: boolean): TicketRecord {
    const list = this.#issued.get(type) ?? [];
    if (invalidateOthers) for (const r of list) if (r.invalidatedAt === undefined) r.invalidatedAt = now;
    const record: TicketRecord = { ticket, type, issuedAt: now, expiresAt: now + lifetimeMs };
    list.push(record);
    if (list.length > MAX_TICKETS_PER_TYPE) list.shift();
    this.#issued.set(type, list);
    return record;
  }
}

function isValid(r: TicketRecord, now: number): boolean {
  return r.invalidatedAt === undefined && now < r.expiresAt;
}
