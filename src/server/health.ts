/**
 * Liveness and readiness. `/healthz` answers while the process runs; `/readyz` answers 200 only
 * when every readiness check passes, else 503 with each failing check's reason. Checks run at once
 * and each is bounded, so `/readyz` answers within {@link READINESS_CHECK_TIMEOUT_MS} even when a
 * dependency hangs (a probe's own timeout is typically 1 s).
 */
import type Router from 'koa-router';
import { withTimeout, TIMED_OUT, type Timers } from '../util/timeout.js';

/** One readiness check: resolves to `undefined` when ready, or a reason. */
export type ReadinessCheck = () => Promise<string | undefined> | string | undefined;

/** Default bound on one readiness check (under the 1 s probe timeout of Kubernetes). */
export const READINESS_CHECK_TIMEOUT_MS = 800;

/** Mount `/healthz` and `/readyz`. */
export function mountHealth(router: Router, checks: Record<string, ReadinessCheck>, options: { timeoutMs?: number; timers?: Timers } = {}): void {
  const timeoutMs = options.timeoutMs ?? READINESS_CHECK_TIMEOUT_MS;
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          const reason = await withTimeout(Promise.resolve().then(check), timeoutMs, { timers: options.timers });
          return [name, reason === TIMED_OUT ? `check timed out after ${timeoutMs} ms` : reason] as const;
        } catch (err) {
          return [name, `check failed: ${(err as Error).message}`] as const;
        }
      }),
    );
    const failing = Object.fromEntries(results.filter(([, r]) => r !== undefined));
    ctx.set('Cache-Control', 'no-store');
    ctx.status = Object.keys(failing).length === 0 ? 200 : 503;
    ctx.body = ctx.status === 200 ? { status: 'ready', checks: Object.keys(checks) } : { status: 'not ready', reasons: failing };
  });
}
