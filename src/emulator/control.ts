/**
 * The control API for tests and benchmarks, under `/__emulator/`. It answers loopback clients only
 * (403 otherwise): anyone able to move the clock or inject faults controls every client's view of
 * WeChat. Bad bodies answer 400 with a reason.
 *
 * - `GET  /__emulator/stats`      per-appid call counters ({@link EmulatorStats})
 * - `GET  /__emulator/clock`      `{"now": ms, "advancedSeconds": s}`
 * - `POST /__emulator/clock`      `{"advanceSeconds": N}` moves emulated time forward
 * - `GET  /__emulator/faults`     pending faults
 * - `POST /__emulator/faults`     schedules a {@link FaultSpec}
 * - `POST /__emulator/reset`      forgets all state
 * - `GET  /__emulator/messages`   messages accepted by custom/send
 * - `POST /__emulator/interactions`, `POST /__emulator/scan`: a user acts (control-account.ts)
 * - `GET|POST /__emulator/tickets` read an app's tickets, pin one (ticket-control.ts)
 */
import { isIP } from 'node:net';
import { WechatMpError } from '../errors.js';
import { handleAccountControl } from './control-account.js';
import { faultToWire, parseFaultSpec } from './faults.js';
import { controlFailure, type ControlReply } from './control-reply.js';
import type { EmulatorRequest } from './request.js';
import type { EmulatorState } from './state.js';
import { handleTicketControl } from './ticket-control.js';

/** Prefix of every control path. */
export const CONTROL_PREFIX = '/__emulator/';

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.x.y.z). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  if (isIP(a) === 4) return a.startsWith('127.');
  return a === '::1' || a === '0:0:0:0:0:0:0:1';
}

const failure = controlFailure;

function jsonBody(req: EmulatorRequest): unknown {
  try {
    return JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new WechatMpError('WMP_ERR_EMULATOR', 'body must be JSON');
  }
}

/** Answer one control request. */
export function handleControl(req: EmulatorRequest, state: EmulatorState): ControlReply {
  if (!isLoopbackAddress(req.remoteAddress)) return failure(403, 'the control API answers loopback clients only');
  const name = req.path.slice(CONTROL_PREFIX.length);
  const route = `${req.method} ${name}`;
  const account = handleAccountControl(name, req, state);
  if (account) return account;
  try {
    const tickets = handleTicketControl(name, req, () => jsonBody(req), state);
    if (tickets !== undefined) return { status: 200, body: tickets };
    switch (route) {
      case 'GET stats':
        return { status: 200, body: state.counters.snapshot() };
      case 'GET clock':
        return { status: 200, body: { now: state.clock.now(), advancedSeconds: state.clock.advancedSeconds() } };
      case 'POST clock': {
        const b = jsonBody(req);
        const keys = typeof b === 'object' && b !== null && !Array.isArray(b) ? Object.keys(b) : [];
        if (keys.length !== 1 || keys[0] !== 'advanceSeconds') {
          throw new WechatMpError('WMP_ERR_EMULATOR', 'body must be {"advanceSeconds": N}');
        }
        state.clock.advance((b as { advanceSeconds: number }).advanceSeconds);
        return { status: 200, body: { now: state.clock.now(), advancedSeconds: state.clock.advancedSeconds() } };
      }
      case 'GET faults':
        return { status: 200, body: state.faults.list().map(faultToWire) };
      case 'POST faults': {
        const spec = parseFaultSpec(jsonBody(req), 'wire');
        state.faults.add(spec);
        return { status: 200, body: { ok: true, fault: faultToWire(spec), pending: state.faults.list().length } };
      }
      case 'POST reset':
        state.reset();
        return { status: 200, body: { ok: true } };
      case 'GET messages':
        return { status: 200, body: state.messages.map(({ appId, ...rest }) => ({ appid: appId, ...rest })) };
      default:
        if (['stats', 'clock', 'faults', 'reset', 'messages'].includes(name)) return failure(405, `${req.method} is not allowed on ${req.path}`);
        return failure(404, `no control endpoint ${req.path}`);
    }
  } catch (err) {
    if (err instanceof WechatMpError) return failure(400, err.message);
    throw err;
  }
}
