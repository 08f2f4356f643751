/**
 * What the simulator tells the local emulator, so that WeChat's view of the user stays in step with
 * the pushes: each push is reported before it is delivered (it opens the 48-hour customer-service
 * window, and subscribe/unsubscribe change the follower list), and a QR code scan asks the emulator
 * which event WeChat would push (`SCAN` for a follower, `subscribe` with `qrscene_` otherwise).
 * Both go to the emulator's loopback control API (src/emulator/control-account.ts).
 */
import { request, type Dispatcher } from 'undici';
import { InvalidOptionError, WechatMpError } from '../errors.js';

/** The push of a QR code scan, as the emulator answers it. */
export interface ScanEvent {
  event: 'SCAN' | 'subscribe';
  eventKey: string;
  ticket: string;
}

function controlUrl(emulatorUrl: string, name: string): URL {
  let u: URL;
  try {
    u = new URL(`/__emulator/${name}`, emulatorUrl);
  } catch {
    throw new InvalidOptionError('emulatorUrl', 'the emulator base URL, e.g. http://127.0.0.1:4000');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidOptionError('emulatorUrl', 'an http(s) URL');
  return u;
}

async function post(url: URL, body: unknown, dispatcher: Dispatcher): Promise<{ status: number; json: Record<string, unknown> }> {
  let res;
  try {
    res = await request(url, { method: 'POST', dispatcher, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  } catch (err) {
    throw new WechatMpError('WMP_ERR_SIMULATOR', `the emulator at ${url.origin} did not answer (${(err as { code?: string }).code ?? 'error'})`, { cause: err });
  }
  const text = await res.body.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Reported below with the status.
  }
  return { status: res.statusCode, json };
}

/** Tell the emulator that `openId` pushed to `appId` (`event` for an event push). */
export async function reportPush(emulatorUrl: string, appId: string, openId: string, event: string | undefined, dispatcher: Dispatcher): Promise<void> {
  const r = await post(controlUrl(emulatorUrl, 'interactions'), { appid: appId, openid: openId, ...(event ? { event } : {}) }, dispatcher);
  if (r.status !== 200) throw new WechatMpError('WMP_ERR_SIMULATOR', `the emulator refused the push report: HTTP ${r.status} ${String(r.json.message ?? '')}`);
}

/** Ask the emulator what scanning `ticket` as `openId` pushes. @throws {WechatMpError} for an unknown or expired ticket */
export async function scanEvent(emulatorUrl: string, ticket: string, openId: string, dispatcher: Dispatcher): Promise<ScanEvent> {
  const r = await post(controlUrl(emulatorUrl, 'scan'), { ticket, openid: openId }, dispatcher);
  if (r.status !== 200) throw new WechatMpError('WMP_ERR_SIMULATOR', `the emulator cannot scan this ticket: HTTP ${r.status} ${String(r.json.message ?? '')}`);
  const { event, eventKey } = r.json;
  if ((event !== 'SCAN' && event !== 'subscribe') || typeof eventKey !== 'string') throw new WechatMpError('WMP_ERR_SIMULATOR', 'the emulator answered an unusable scan');
  return { event, eventKey, ticket };
}
