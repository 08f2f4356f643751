/**
 * One JSON log line and one metrics sample per HTTP request. Logs the path only: the query string
 * of a webhook request carries signatures, and other routes may carry tokens.
 */
import type Koa from 'koa';
import type { Logger } from '../log/logger.js';
import type { ServiceMetrics } from '../metrics/metrics.js';

/** What the webhook leaves in `ctx.state.wechat` for the request log. */
export interface WechatRequestState {
  msgType?: string;
  msgId?: string;
  event?: string;
}

/** Koa middleware: logs `{method, path, status, durationMs, msgType, msgId}` after each request. */
export function requestLog(logger: Logger, metrics: ServiceMetrics | undefined, routeOf: (path: string) => string): Koa.Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const wx = ctx.state.wechat as WechatRequestState | undefined;
      const status = ctx.status;
      const route = routeOf(ctx.path);
      metrics?.httpRequests.inc({ method: ctx.method, route, status: String(status) });
      metrics?.httpDuration.observe({ method: ctx.method, route }, durationMs / 1000);
      // Probes are polled constantly: keep them out of the info log. A 503 from /readyz is an
      // expected answer (not ready yet, or MongoDB away), not a server error worth an alert.
      const probe = route === '/healthz' || route === '/metrics' || route === '/readyz';
      // Unauthenticated and rate-limited answers are what a flood produces: their reasons are logged
      // once per interval with a count (src/log/rejection-log.ts), so one line each would only amplify it.
      const flood = status === 401 || status === 429;
      const level = probe || flood ? (status >= 500 ? 'warn' : 'debug') : status >= 500 ? 'error' : 'info';
      logger[level](
        {
          event: 'http.request',
          method: ctx.method,
          path: ctx.path,
          status,
          durationMs: Math.round(durationMs * 100) / 100,
          msgType: wx?.msgType,
          msgId: wx?.msgId,
          wxEvent: wx?.event,
        },
        'request',
      );
    }
  };
}
