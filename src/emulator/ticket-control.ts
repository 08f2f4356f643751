/**
 * The control API's ticket endpoints (see control.ts):
 * - `GET  /__emulator/tickets?appid=APPID`  the app's current and valid tickets of both types
 * - `POST /__emulator/tickets`  `{"appid", "type": "jsapi"|"wx_card", "ticket"?, "expiresInSeconds"?}`
 *   pins a ticket (a new random one when `ticket` is omitted) and invalidates the others of that type:
 *   a rotation upstream, as a client holding the old ticket sees it.
 */
import { WechatMpError } from '../errors.js';
import type { TicketType } from './h5-options.js';
import { TICKET_TYPES } from './h5-options.js';
import type { EmulatorRequest } from './request.js';
import type { AppState, EmulatorState } from './state.js';
import type { TicketRecord, TicketTypeView } from './ticket-state.js';

const bad = (message: string): never => {
  throw new WechatMpError('WMP_ERR_EMULATOR', message);
};

function appOf(state: EmulatorState, appId: unknown): AppState {
  const app = typeof appId === 'string' ? state.apps.get(appId) : undefined;
  return app ?? bad('"appid" must name a configured app');
}

/** The tickets of an app (`GET /__emulator/tickets`). @throws {WechatMpError} `WMP_ERR_EMULATOR` */
export function readTickets(state: EmulatorState, appId: string): Record<TicketType, TicketTypeView> {
  return appOf(state, appId).tickets.snapshot(state.clock.now());
}

/** Pin a ticket (`POST /__emulator/tickets`). @throws {WechatMpError} `WMP_ERR_EMULATOR` */
export function pinTicket(state: EmulatorState, appId: string, type: TicketType, ticket?: string, expiresInSeconds?: number): TicketRecord {
  const app = appOf(state, appId);
  if (!TICKET_TYPES.includes(type)) bad('"type" must be jsapi or wx_card');
  if (ticket !== undefined && (typeof ticket !== 'string' || !/^[A-Za-z0-9_-]{1,512}$/.test(ticket))) bad('"ticket" must be 1 to 512 characters of [A-Za-z0-9_-]');
  if (expiresInSeconds !== undefined && (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > 864_000)) {
    bad('"expiresInSeconds" must be an integer from 1 to 864000');
  }
  return app.tickets.pin(type, state.clock.now(), ticket, expiresInSeconds);
}

/** The answer of a ticket control request, or undefined when `name` is not `tickets`. @throws {WechatMpError} */
export function handleTicketControl(name: string, req: EmulatorRequest, body: () => unknown, state: EmulatorState): unknown {
  if (name !== 'tickets') return undefined;
  if (req.method === 'GET') return readTickets(state, req.query.get('appid') ?? '');
  if (req.method !== 'POST') bad(`${req.method} is not allowed on ${req.path}`);
  const b = body();
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return bad('body must be a JSON object');
  const v = b as Record<string, unknown>;
  for (const k of Object.keys(v)) if (!['appid', 'type', 'ticket', 'expiresInSeconds'].includes(k)) bad(`unknown field "${k}"`);
  const r = pinTicket(state, v.appid as string, v.type as TicketType, v.ticket as string | undefined, v.expiresInSeconds as number | undefined);
  return { ok: true, ticket: r.ticket, expiresAt: r.expiresAt };
}
