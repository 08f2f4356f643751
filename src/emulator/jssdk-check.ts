/**
 * What WeChat checks when a page calls `wx.config` (docs/protocol.md section 7): the signature must be
 * the SHA-1 of `jsapi_ticket=T&noncestr=N&timestamp=S&url=U` for a ticket of that app that is valid now
 * and the page's URL without its fragment. `POST /open/js/verify` answers the emulator's `jweixin`
 * stand-in (jweixin.ts), which sends what the page passed to `wx.config` plus `location.href`.
 */
import { createHash } from 'node:crypto';
import type { EmulatorState } from './state.js';

/** Longest field the check reads (the request body is bounded by the server already). */
const MAX_FIELD = 4096;

/** The signature of a `wx.config` (the same rule the library implements). */
export function jsapiSignature(ticket: string, nonceStr: string, timestamp: string, url: string): string {
  return createHash('sha1').update(`jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`).digest('hex');
}

/** Outcome of a `wx.config` check, in the page's terms. */
export type ConfigCheck = { readonly ok: true } | { readonly ok: false; readonly errMsg: string };

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length > 0 && v.length <= MAX_FIELD ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;

/** Check a `wx.config` of a page at `pageUrl` (fragment already stripped by the page, stripped again here). */
export function checkConfig(body: Record<string, unknown>, state: EmulatorState): ConfigCheck {
  const appId = str(body.appId);
  const app = appId === undefined ? undefined : state.apps.get(appId);
  if (!app) return { ok: false, errMsg: 'config:invalid appid' };
  const timestamp = str(body.timestamp);
  const nonceStr = str(body.nonceStr);
  const signature = str(body.signature);
  const rawUrl = str(body.url);
  if (timestamp === undefined || nonceStr === undefined || signature === undefined || rawUrl === undefined) {
    return { ok: false, errMsg: 'config:invalid signature' };
  }
  const url = rawUrl.split('#')[0] ?? '';
  const now = state.clock.now();
  for (const t of app.tickets.valid('jsapi', now)) {
    if (jsapiSignature(t.ticket, nonceStr, timestamp, url) === signature.toLowerCase()) return { ok: true };
  }
  return { ok: false, errMsg: 'config:invalid signature' };
}
