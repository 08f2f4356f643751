/**
 * The emulated api.weixin.qq.com paths, in one table.
 */
import { apiDomainIpRoute, callbackIpRoute, customSendRoute, menuCreateRoute, menuDeleteRoute, menuGetRoute } from './api-routes.js';
import type { Route } from './request.js';
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
]);
