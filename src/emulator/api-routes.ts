/**
 * Token-authenticated APIs (docs/protocol.md section 3). Each checks the access_token
 * first (see authenticate.ts), then its method and body.
 */
import { authenticate, tokenOwner } from './authenticate.js';
import { newMsgId } from './ids.js';
import { validateMenu } from './menu.js';
import type { JsonReply, Reply } from './replies.js';
import { json, ok, rawJson, wechatError } from './replies.js';
import type { EmulatorRequest, Route } from './request.js';
import { parseJsonBody } from './request.js';
import type { AppState, EmulatorState } from './state.js';

/** Addresses answered by get_api_domain_ip (from the docs' example). */
export const API_DOMAIN_IPS: readonly string[] = ['101.89.47.18', '101.91.34.103'];
/** Addresses answered by getcallbackip. */
export const CALLBACK_IPS: readonly string[] = ['101.226.103.61', '101.226.103.62', '101.226.103.63'];

const CUSTOM_MSG_TYPES = new Set(['text', 'image', 'voice', 'video', 'music', 'news', 'mpnews', 'mpnewsarticle', 'msgmenu', 'wxcard', 'miniprogrampage']);

/** An API's work once the token and method are checked. */
export type Handler = (req: EmulatorRequest, app: AppState, state: EmulatorState) => Reply;

/** Wraps `handler` with the token check; `method` POST answers 43002 to anything else. */
export function apiRoute(method: 'GET' | 'POST' | 'ANY', handler: Handler): Route {
  return (req, state) => ({
    appId: tokenOwner(req.query.get('access_token'), state),
    counter: 'api',
    faultEndpoint: 'api',
    respond: () => {
      const auth = authenticate(req.query.get('access_token'), state);
      if ('errcode' in auth) return wechatError(auth.errcode);
      if (method === 'POST' && req.method !== 'POST') return wechatError(43002);
      const app = state.apps.get(auth.record.appId);
      // reset() clears tokens and apps together, so a valid token always has its app; guard anyway.
      if (!app) return wechatError(40001);
      return handler(req, app, state);
    },
  });
}

/** The JSON object body, or the errcode of what is wrong with it. */
export function objectBody(req: EmulatorRequest): { value: Record<string, unknown> } | { error: JsonReply } {
  const b = parseJsonBody(req.body);
  if (b.ok) return { value: b.value };
  return { error: wechatError(b.reason === 'empty' ? 44002 : 47001) };
}

/** GET /cgi-bin/get_api_domain_ip */
export const apiDomainIpRoute = apiRoute('ANY', () => json({ ip_list: API_DOMAIN_IPS }));

/** GET /cgi-bin/getcallbackip */
export const callbackIpRoute = apiRoute('ANY', () => json({ ip_list: CALLBACK_IPS }));

/** GET /cgi-bin/menu/get: `{"menu":{"button":[...]}}`, or 46003 when no menu is set. */
export const menuGetRoute = apiRoute('ANY', (_req, app) => {
  if (app.menu === undefined) return wechatError(46003);
  const conditional = app.account.conditionalMenus;
  if (conditional.length === 0) return json({ menu: app.menu });
  return json({ menu: { ...(app.menu as object), menuid: '100' }, conditionalmenu: conditional.map((m) => ({ button: m.button, matchrule: m.matchrule, menuid: m.menuid })) });
});

/** POST /cgi-bin/menu/create with `{"button":[...]}`. */
export const menuCreateRoute = apiRoute('POST', (req, app) => {
  const body = objectBody(req);
  if ('error' in body) return body.error;
  const errcode = validateMenu(body.value);
  if (errcode) return wechatError(errcode);
  app.menu = { button: structuredClone(body.value.button) };
  return ok();
});

/** GET /cgi-bin/menu/delete */
export const menuDeleteRoute = apiRoute('ANY', (_req, app) => {
  app.menu = undefined;
  app.account.conditionalMenus.length = 0;
  return ok();
});

/**
 * POST /cgi-bin/message/custom/send: records the message and answers a 64-bit `msgid` above 2^53,
 * written as a bare JSON number (exact digits; a client that parses it as a JS number loses them).
 * With `customServiceWindow` on, the 48-hour window (45015) and the 20-in-a-row limit (45047) apply.
 */
export const customSendRoute = apiRoute('POST', (req, app, state) => {
  const body = objectBody(req);
  if ('error' in body) return body.error;
  const { touser, msgtype } = body.value;
  if (typeof touser !== 'string' || touser.length === 0) return wechatError(40003);
  if (typeof msgtype !== 'string' || !CUSTOM_MSG_TYPES.has(msgtype)) return wechatError(40008);
  const content = body.value[msgtype];
  if (typeof content !== 'object' || content === null || Array.isArray(content)) return wechatError(47001);
  const windowErrcode = app.account.serviceWindow(touser, state.clock.now(), true);
  if (windowErrcode) return wechatError(windowErrcode);
  const msgid = newMsgId().toString();
  state.messages.push({ appId: app.config.appId, body: body.value, at: state.clock.now(), msgid });
  return rawJson(`{"errcode":0,"errmsg":"ok","msgid":${msgid}}`);
});
