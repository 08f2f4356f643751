/**
 * Messages the account sends (docs/protocol.md section 9): template messages with client_msg_id
 * dedupe, private templates, subscription notices (bizsend) and the typing indicator.
 * custom/send itself lives in api-routes.ts.
 */
import { apiRoute, objectBody } from './api-routes.js';
import { newMsgId } from './ids.js';
import { json, ok, rawJson, wechatError } from './replies.js';
import type { Route } from './request.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** `data` of a template message: `{key: {value, color?}}` with string values. */
function validData(data: unknown): boolean {
  if (!isObject(data)) return false;
  return Object.values(data).every((d) => isObject(d) && typeof d.value === 'string');
}

/** POST /cgi-bin/message/template/send */
const templateSend = apiRoute('POST', (req, app, state) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  const { touser, template_id: templateId, data, client_msg_id: clientMsgId, url, miniprogram } = b.value;
  if (!nonEmpty(touser)) return wechatError(40003);
  if (!nonEmpty(templateId) || !app.account.templates.has(templateId)) return wechatError(40037);
  if (!validData(data)) return wechatError(47001);
  if (url !== undefined && typeof url !== 'string') return wechatError(47001);
  if (miniprogram !== undefined && !(isObject(miniprogram) && nonEmpty(miniprogram.appid))) return wechatError(47001);
  if (clientMsgId !== undefined && !nonEmpty(clientMsgId)) return wechatError(47001);
  const user = app.account.users.get(touser);
  if (!user) return wechatError(40003);
  if (!user.subscribed) return wechatError(43004);
  const now = state.clock.now();
  if (clientMsgId !== undefined) {
    // The same client_msg_id for the same user within 10 minutes is a resend: no second message.
    const earlier = app.account.dedupe(touser, clientMsgId, now);
    if (earlier) return rawJson(`{"errcode":0,"errmsg":"ok","msgid":${earlier}}`);
  }
  const msgid = newMsgId().toString();
  if (clientMsgId !== undefined) app.account.remember(touser, clientMsgId, msgid, now);
  app.account.sent.push({ endpoint: '/cgi-bin/message/template/send', body: b.value, at: now, msgid });
  return rawJson(`{"errcode":0,"errmsg":"ok","msgid":${msgid}}`);
});

/** GET /cgi-bin/template/get_all_private_template */
const templateList = apiRoute('ANY', (_req, app) => json({ template_list: [...app.account.templates.values()] }));

/** POST /cgi-bin/template/del_private_template {template_id} */
const templateDelete = apiRoute('POST', (req, app) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  const id = b.value.template_id;
  if (!nonEmpty(id) || !app.account.templates.delete(id)) return wechatError(40037);
  return ok();
});

/** POST /cgi-bin/message/subscribe/bizsend */
const bizsend = apiRoute('POST', (req, app, state) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  const { touser, template_id: templateId, data, page, miniprogram } = b.value;
  if (!nonEmpty(touser)) return wechatError(40003);
  if (!nonEmpty(templateId) || !app.account.subscribeTemplates.has(templateId)) return wechatError(40037);
  if (!validData(data)) return wechatError(47001);
  if (page !== undefined && typeof page !== 'string') return wechatError(47001);
  if (miniprogram !== undefined && !(isObject(miniprogram) && nonEmpty(miniprogram.appid))) return wechatError(47001);
  const user = app.account.users.get(touser);
  if (!user) return wechatError(40003);
  if (!user.subscribed) return wechatError(43004);
  app.account.sent.push({ endpoint: '/cgi-bin/message/subscribe/bizsend', body: b.value, at: state.clock.now() });
  return ok();
});

/** POST /cgi-bin/message/custom/typing {touser, command: Typing | CancelTyping} */
const typing = apiRoute('POST', (req, app, state) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  const { touser, command } = b.value;
  if (!nonEmpty(touser)) return wechatError(40003);
  if (command !== 'Typing' && command !== 'CancelTyping') return wechatError(47001);
  const e = app.account.serviceWindow(touser, state.clock.now(), false);
  return e ? wechatError(e) : ok();
});

/** The message routes, by path. */
export const MESSAGE_ROUTES: ReadonlyArray<readonly [string, Route]> = [
  ['/cgi-bin/message/template/send', templateSend],
  ['/cgi-bin/template/get_all_private_template', templateList],
  ['/cgi-bin/template/del_private_template', templateDelete],
  ['/cgi-bin/message/subscribe/bizsend', bizsend],
  ['/cgi-bin/message/custom/typing', typing],
];
