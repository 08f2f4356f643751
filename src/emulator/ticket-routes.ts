/**
 * GET /cgi-bin/ticket/getticket?access_token=TOKEN&type=jsapi|wx_card (docs/protocol.md section 7).
 * A bad access_token answers like every token-authenticated API (40001/42001/40014/41001); an unknown
 * type 40097 (invalid args); above the app's daily getticket quota 45009.
 */
import { authenticate, tokenOwner } from './authenticate.js';
import type { TicketType } from './h5-options.js';
import { TICKET_TYPES } from './h5-options.js';
import { json, wechatError } from './replies.js';
import type { Route } from './request.js';

/** GET /cgi-bin/ticket/getticket */
export const getTicketRoute: Route = (req, state) => ({
  appId: tokenOwner(req.query.get('access_token'), state),
  counter: 'ticket',
  faultEndpoint: 'ticket',
  respond: () => {
    const auth = authenticate(req.query.get('access_token'), state);
    if ('errcode' in auth) return wechatError(auth.errcode);
    const type = req.query.get('type') ?? '';
    if (!TICKET_TYPES.includes(type as TicketType)) return wechatError(40097, 'invalid args');
    const app = state.apps.get(auth.record.appId);
    if (!app) return wechatError(40001);
    const out = app.tickets.get(type as TicketType, state.clock.now());
    if ('errcode' in out) return wechatError(out.errcode);
    return json({ errcode: 0, errmsg: 'ok', ticket: out.record.ticket, expires_in: out.expiresIn });
  },
});
