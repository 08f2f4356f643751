/**
 * The emulator's browser-facing paths (not api.weixin.qq.com JSON APIs): the OAuth consent page,
 * the `jweixin` stand-in and its config check. These are not counted and take no faults.
 */
import { checkConfig } from './jssdk-check.js';
import { JSSDK_VERIFY_PATH, JWEIXIN_JS, JWEIXIN_PATHS } from './jweixin.js';
import { AUTHORIZE_PATH, DECIDE_PATH, authorizePage, decidePage } from './oauth-page.js';
import type { PageReply } from './page-replies.js';
import type { EmulatorRequest } from './request.js';
import { parseJsonBody } from './request.js';
import type { EmulatorState } from './state.js';

const CORS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'Content-Type' };

function verify(req: EmulatorRequest, state: EmulatorState): PageReply {
  if (req.method === 'OPTIONS') return { status: 204, headers: CORS, body: '' };
  const b = parseJsonBody(req.body);
  const out = req.method === 'POST' && b.ok ? checkConfig(b.value, state) : { ok: false, errMsg: 'config:invalid signature' };
  return { status: 200, headers: { ...CORS, 'Content-Type': 'application/json' }, body: JSON.stringify(out) };
}

function script(): PageReply {
  return { status: 200, headers: { 'Content-Type': 'application/javascript; charset=utf-8', 'Cache-Control': 'no-store' }, body: JWEIXIN_JS };
}

/** Path -> browser-facing page. */
export const PAGES: ReadonlyMap<string, (req: EmulatorRequest, state: EmulatorState) => PageReply> = new Map([
  [AUTHORIZE_PATH, authorizePage],
  [DECIDE_PATH, decidePage],
  [JSSDK_VERIFY_PATH, verify],
  ...JWEIXIN_PATHS.map((p) => [p, script] as const),
]);
