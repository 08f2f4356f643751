/**
 * Dedupe coordination: the first delivery of a key runs the handler, re-deliveries share its answer.
 *
 * - A re-delivery this process is answering awaits that answer (the in-flight map), no polling.
 * - A key another instance holds (`pending` in a shared store) cannot be awaited as an event, so its
 *   record is read again at growing intervals on the injected timers until it is done, released, or
 *   the reply deadline (measured on the injected clock) passes.
 * - A store other than the in-process one is wrapped in {@link FallbackDedupeStore}, so a failing
 *   shared store never fails a response.
 *
 * With the in-process store and a synchronous handler everything happens in one tick, so nothing can
 * interleave and no promise is made; whenever something is awaited, the key is registered in the
 * in-flight map first, in the same tick as the claim, so a local re-delivery always finds it.
 */
import type { Logger } from '../../log/logger.js';
import type { Timers } from '../../util/timeout.js';
import { FallbackDedupeStore } from './fallback-store.js';
import { MemoryDedupeStore } from './memory-store.js';
import type { DedupeRecord, DedupeStore, MaybePromise } from './store.js';

// How long past the reply deadline a claim stays `pending` before another instance may take it over
// (only when its owner died: a live owner marks it done at the deadline at the latest).
const LEASE_SLACK_MS = 2000;
// Reading a delivery another instance is handling: first interval, doubled up to the maximum.
const POLL_FIRST_MS = 20;
const POLL_MAX_MS = 200;

/** Which kind of re-delivery was answered without running the handler. */
export type DedupeHit = 'inflight' | 'done' | 'pending';

/** What the coordinator needs from the webhook options. */
export interface DedupeCoordinatorOptions {
  readonly dedupe: DedupeStore;
  readonly dedupeTtlMs: number;
  readonly dedupeStoreTimeoutMs: number;
  readonly replyDeadlineMs: number;
  readonly logger: Logger;
  readonly now: () => number;
  readonly timers: Timers;
  /** The shared store failed (`true`) or recovered. */
  readonly onDegraded: (degraded: boolean) => void;
}

/** An answer as far as dedupe is concerned: the reply body ('' for `success`). */
export interface Answered {
  readonly body: string;
}

/** Runs each delivery once across re-deliveries and instances. */
export class DedupeCoordinator {
  readonly #o: DedupeCoordinatorOptions;
  readonly #store: DedupeStore;
  readonly #leaseMs: number;
  /** Deliveries being answered in this process, by dedupe key: local re-deliveries wait on these. */
  readonly #inflight = new Map<string, Promise<string>>();

  constructor(o: DedupeCoordinatorOptions) {
    this.#o = o;
    this.#leaseMs = o.replyDeadlineMs + LEASE_SLACK_MS;
    this.#store =
      o.dedupe instanceof MemoryDedupeStore
        ? o.dedupe
        : new FallbackDedupeStore(o.dedupe, new MemoryDedupeStore(), {
            timeoutMs: o.dedupeStoreTimeoutMs,
            logger: o.logger,
            now: o.now,
            timers: o.timers,
            onChange: o.onDegraded,
          });
  }

  /** The store deliveries are claimed in (a shared one wrapped with its in-process fallback). */
  get store(): DedupeStore {
    return this.#store;
  }

  /**
   * Answer the delivery `key`: `run()` when this is its first delivery, else the first delivery's
   * body through `duplicate(body)`. `startedAt` (on the injected clock) bounds the wait for another
   * instance by the reply deadline; `onHit` hears of re-deliveries answered without running.
   */
  deliver<A extends Answered>(key: string, startedAt: number, run: () => MaybePromise<A>, duplicate: (body: string) => A, onHit: (state: DedupeHit) => void): MaybePromise<A> {
    const running = this.#inflight.get(key);
    if (running !== undefined) {
      onHit('inflight');
      return running.then(duplicate);
    }
    const o = this.#o;
    const held = this.#store.claim(key, o.now(), this.#leaseMs, o.dedupeTtlMs);
    if (held instanceof Promise) return this.#track(key, held.then((h) => (h === null ? this.#runAndStore(key, run) : this.#fromRecord(h, key, startedAt, duplicate, onHit))));
    if (held !== null) {
      const answer = this.#fromRecord(held, key, startedAt, duplicate, onHit);
      return answer instanceof Promise ? this.#track(key, answer) : answer;
    }
    const answer = this.#runAndStore(key, run);
    return answer instanceof Promise ? this.#track(key, answer) : answer;
  }

  /** Run the handler for a claimed key and store its answer. */
  #runAndStore<A extends Answered>(key: string, run: () => MaybePromise<A>): MaybePromise<A> {
    const o = this.#o;
    const answer = run();
    if (answer instanceof Promise) {
      return answer.then(async (a) => {
        await this.#store.complete(key, a.body, o.now(), o.dedupeTtlMs);
        return a;
      });
    }
    const stored = this.#store.complete(key, answer.body, o.now(), o.dedupeTtlMs);
    return stored instanceof Promise ? stored.then(() => answer) : answer;
  }

  /** The answer to a re-delivery the store already knows: the stored body, or wait for its owner. */
  #fromRecord<A extends Answered>(record: DedupeRecord, key: string, startedAt: number, duplicate: (body: string) => A, onHit: (state: DedupeHit) => void): MaybePromise<A> {
    onHit(record.state);
    if (record.state === 'done') return duplicate(record.body);
    return this.#waitForOther(key, startedAt).then(duplicate);
  }

  /** Register `work` as the in-flight answer of `key` until it settles. */
  #track<A extends Answered>(key: string, work: Promise<A>): Promise<A> {
    const body = work.then(
      (a) => a.body,
      () => '',
    );
    this.#inflight.set(key, body);
    return work.finally(() => {
      if (this.#inflight.get(key) === body) this.#inflight.delete(key);
    });
  }

  /** Read a delivery another instance holds until it is done or our own deadline passes ('' then). */
  async #waitForOther(key: string, startedAt: number): Promise<string> {
    const o = this.#o;
    const sleep = (ms: number) => new Promise<void>((resolve) => o.timers.setTimeout(resolve, ms));
    let interval = POLL_FIRST_MS;
    let waited = 0;
    // Bounded by the reply deadline twice over: on the clock, and by the time slept (a frozen clock).
    while (o.now() - startedAt + interval < o.replyDeadlineMs && waited + interval < o.replyDeadlineMs) {
      await sleep(interval);
      waited += interval;
      const record = await this.#store.get(key, o.now());
      if (record === null) return ''; // expired or released: answer success, never run twice
      if (record.state === 'done') return record.body;
      interval = Math.min(interval * 2, POLL_MAX_MS);
    }
    return '';
  }
}
