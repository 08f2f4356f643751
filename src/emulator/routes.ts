/**
 * The emulated api.weixin.qq.com paths, in one table.
 */
import { apiDomainIpRoute, callbackIpRoute, customSendRoute, menuCreateRoute, menuDeleteRoute, menuGetRoute } from './api-routes.js';
import { MEDIA_ROUTES } from './media-routes.js';
import { CONDITIONAL_MENU_ROUTES } from './menu-conditional-routes.js';
import { MESSAGE_ROUTES } from './message-routes.js';
import { QRCODE_ROUTES } from './qrcode-routes.js';
import type { Route } from './request.js';
import { USER_ROUTES } from './user-routes.js';
import { SNS_ROUTES } from './sns-routes.js';
import { getTicketRoute } from './ticket-routes.js';
import { clearQuotaRoute, stableTokenRoute, tokenRoute } from './token-routes.js';

/** Path -> route. */
export const ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>([
  ['/cgi-bin/token', tokenRoute],
  ['/cgi-bin/stable_token', stableTokenRoute],
  ['/cgi-bin/clear_quota', clearQuotaRoute],
  ['/cgi-bin/get_api_domain_ip', apiDomainIpRoute],
  ['/cgi-bin/getcallbackip', callbackIpRoute],
  ['/cgi-bin/menu/get', menuGetRoute],
  ['/cgi-bin/menu/create', menuCreateRoute],
  ['/cgi-bin/menu/delete', menuDeleteRoute],
  ['/cgi-bin/message/custom/send', customSendRoute],
  ...MESSAGE_ROUTES,
  ...MEDIA_ROUTES,
  ...CONDITIONAL_MENU_ROUTES,
  ...USER_ROUTES,
  ...QRCODE_ROUTES,
  ['/cgi-bin/ticket/getticket', getTicketRoute],
  ...SNS_ROUTES,
]);
