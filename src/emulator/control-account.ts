/**
 * Control endpoints that act as a user of an account would (the simulator calls them):
 *
 * - `POST /__emulator/interactions` `{"openid": "...", "event"?: "subscribe", "appid"?: "..."}`: a push
 *   from this user reached the account (opens the 48-hour customer-service window; `subscribe` and
 *   `unsubscribe` also follow and unfollow). `appid` defaults to the sandbox account.
 * - `POST /__emulator/scan` `{"ticket": "...", "openid": "..."}`: the user scans a QR code; answers the
 *   push WeChat would send, `{"event": "SCAN" | "subscribe", "eventKey": "...", "ticket": "..."}`,
 *   or 404 for an unknown or expired ticket.
 */
import { SANDBOX_APP } from './constants.js';
import { controlFailure, type ControlReply } from './control-reply.js';
import type { EmulatorRequest } from './request.js';
import type { EmulatorState } from './state.js';

/** Control names handled here. */
export const ACCOUNT_CONTROL_NAMES: readonly string[] = ['interactions', 'scan'];

const MAX_FIELD = 128;
const failure = controlFailure;

function fields(req: EmulatorRequest): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(req.body.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_FIELD;

/** Answer `POST name` when it is one of {@link ACCOUNT_CONTROL_NAMES}; undefined otherwise. */
export function handleAccountControl(name: string, req: EmulatorRequest, state: EmulatorState): ControlReply | undefined {
  if (!ACCOUNT_CONTROL_NAMES.includes(name)) return undefined;
  if (req.method !== 'POST') return failure(405, `${req.method} is not allowed on ${req.path}`);
  const b = fields(req);
  if (!b || !text(b.openid)) return failure(400, 'body must be JSON with "openid" (1-128 characters)');
  const now = state.clock.now();
  if (name === 'interactions') {
    const appid = b.appid ?? SANDBOX_APP.appId;
    const app = typeof appid === 'string' ? state.apps.get(appid) : undefined;
    if (!app) return failure(400, `no emulated account ${String(appid).slice(0, MAX_FIELD)}`);
    if (b.event !== undefined && !text(b.event)) return failure(400, '"event" must be a push Event (1-128 characters)');
    app.account.recordPush(b.openid, b.event, now);
    return { status: 200, body: { ok: true } };
  }
  const ticket = b.ticket;
  if (typeof ticket !== 'string' || ticket.length === 0 || ticket.length > 512) return failure(400, 'body must carry "ticket" (a QR code ticket)');
  for (const app of state.apps.values()) {
    const push = app.account.scan(ticket, b.openid, now);
    if (push) return { status: 200, body: { ...push, appid: app.config.appId } };
  }
  return failure(404, 'unknown or expired QR code ticket');
}
