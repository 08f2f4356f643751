/**
 * Prometheus metrics (prom-client) for the service. One {@link ServiceMetrics} per app, on its own
 * registry so several apps (tests) in one process do not collide.
 */
import client from 'prom-client';

/** The label value every value outside a label's known set is counted under. */
export const OTHER_LABEL = 'other';

/**
 * The `msg_type` label values: WeChat's documented MsgTypes (docs/protocol.md) and `none` (no
 * message parsed). Any other MsgType, which a forged or future push can carry, counts as `other`.
 */
export const KNOWN_MSG_TYPES: readonly string[] = ['text', 'image', 'voice', 'video', 'shortvideo', 'location', 'link', 'file', 'event', 'none'];

/**
 * Label values from input, bounded: a value of `known` is kept, then up to `learn` further distinct
 * values (the first ones seen, for sets too large to list, such as WeChat errcodes), anything else is
 * {@link OTHER_LABEL}. Every series a scrape renders is thus bounded, whatever the input.
 */
export class BoundedLabel {
  readonly #known: Set<string>;
  readonly #learn: number;
  #learned = 0;

  constructor(known: Iterable<string>, options: { learn?: number } = {}) {
    this.#known = new Set(known);
    this.#learn = options.learn ?? 0;
  }

  /** The label value to use for `value`. */
  of(value: string): string {
    if (this.#known.has(value)) return value;
    // 64 characters bounds the size of a learned value too.
    if (this.#learned < this.#learn && value.length <= 64) {
      this.#learned++;
      this.#known.add(value);
      return value;
    }
    return OTHER_LABEL;
  }
}

/** Token state read at scrape time. */
export interface TokenGaugeSource {
  /** ms since epoch when the current token was fetched, if any. */
  fetchedAt(): number | undefined;
  /** ms since epoch when the current token expires, if any. */
  expiresAt(): number | undefined;
  now(): number;
}

/** The series this service exports. Names are documented in README ("Metrics"). */
export class ServiceMetrics {
  readonly registry: client.Registry;
  readonly httpRequests: client.Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: client.Histogram<'method' | 'route'>;
  readonly webhookRequests: client.Counter<'outcome' | 'msg_type'>;
  readonly handlerDuration: client.Histogram<'msg_type' | 'ok'>;
  readonly dedupeHits: client.Counter<string>;
  readonly dedupeEarlyEvictions: client.Counter<string>;
  readonly deadlineFallbacks: client.Counter<string>;
  readonly lateReplies: client.Counter<'result'>;
  readonly tokenRefreshes: client.Counter<'source'>;
  readonly tokenRefreshFailures: client.Counter<'cause'>;
  readonly tokenRefreshDuration: client.Histogram<string>;
  readonly apiCalls: client.Counter<'endpoint' | 'errcode'>;

  constructor(options: { collectProcessMetrics?: boolean; tokens?: TokenGaugeSource } = {}) {
    const registers = [(this.registry = new client.Registry())];
    this.httpRequests = new client.Counter({ name: 'http_requests_total', help: 'HTTP requests by method, route and status.', labelNames: ['method', 'route', 'status'], registers });
    this.httpDuration = new client.Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5],
      registers,
    });
    this.webhookRequests = new client.Counter({
      name: 'wechat_webhook_requests_total',
      help: 'Webhook requests by outcome (reply, success, echo, rejected, duplicate, deadline, handler_error) and message type.',
      labelNames: ['outcome', 'msg_type'],
      registers,
    });
    this.handlerDuration = new client.Histogram({
      name: 'wechat_webhook_handler_duration_seconds',
      help: 'Time spent in user handlers.',
      labelNames: ['msg_type', 'ok'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 4.5, 10],
      registers,
    });
    this.dedupeHits = new client.Counter({ name: 'wechat_webhook_dedupe_hits_total', help: 'Re-deliveries answered from the dedupe store.', registers });
    this.dedupeEarlyEvictions = new client.Counter({
      name: 'wechat_webhook_dedupe_early_evictions_total',
      help: 'Deliveries the memory dedupe store forgot before their TTL (its bound is too small for the traffic: re-deliveries may run handlers twice).',
      registers,
    });
    this.deadlineFallbacks = new client.Counter({ name: 'wechat_webhook_deadline_fallbacks_total', help: "Requests answered 'success' because the handler missed the reply deadline.", registers });
    this.lateReplies = new client.Counter({ name: 'wechat_webhook_late_replies_total', help: 'Replies delivered after the deadline through the customer-service API, by result.', labelNames: ['result'], registers });
    this.tokenRefreshes = new client.Counter({ name: 'wechat_token_refreshes_total', help: 'access_token refreshes by source (upstream, store, tokenSource).', labelNames: ['source'], registers });
    this.tokenRefreshFailures = new client.Counter({ name: 'wechat_token_refresh_failures_total', help: 'access_token refresh failures by cause (error code).', labelNames: ['cause'], registers });
    this.tokenRefreshDuration = new client.Histogram({ name: 'wechat_token_refresh_duration_seconds', help: 'access_token refresh duration.', buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10], registers });
    this.apiCalls = new client.Counter({ name: 'wechat_api_calls_total', help: 'Upstream WeChat API calls by endpoint and errcode (0 = ok).', labelNames: ['endpoint', 'errcode'], registers });
    const tokens = options.tokens;
    if (tokens) {
      new client.Gauge({
        name: 'wechat_token_age_seconds',
        help: 'Age of the access_token this process holds (absent when it holds none).',
        registers,
        collect() {
          const at = tokens.fetchedAt();
          if (at !== undefined) this.set((tokens.now() - at) / 1000);
        },
      });
      new client.Gauge({
        name: 'wechat_token_expires_in_seconds',
        help: 'Seconds until the access_token this process holds expires.',
        registers,
        collect() {
          const at = tokens.expiresAt();
          if (at !== undefined) this.set((at - tokens.now()) / 1000);
        },
      });
    }
    if (options.collectProcessMetrics ?? true) client.collectDefaultMetrics({ register: this.registry });
  }

  /** Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** Content-Type of {@link render}. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
