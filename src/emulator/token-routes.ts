/**
 * The two token endpoints and clear_quota (docs/protocol.md sections 1 and 2).
 */
import { checkCredentials, knownAppId } from './credentials.js';
import { authenticate, tokenOwner } from './authenticate.js';
import { json, ok, wechatError } from './replies.js';
import type { Route } from './request.js';
import { parseJsonBody } from './request.js';

/** GET (or POST) /cgi-bin/token?grant_type=client_credential&appid=...&secret=... */
export const tokenRoute: Route = (req, state) => {
  const q = req.query;
  return {
    appId: knownAppId(state, q.get('appid')),
    counter: 'token',
    faultEndpoint: 'token',
    respond: () => {
      const checked = checkCredentials(
        { grantType: q.get('grant_type'), appId: q.get('appid'), secret: q.get('secret') },
        state,
        req.remoteAddress,
      );
      if ('error' in checked) return checked.error;
      const issued = checked.app.classic.issue(state.clock.now());
      if ('errcode' in issued) return wechatError(issued.errcode);
      return json({ access_token: issued.record.token, expires_in: state.options.tokenLifetimeSeconds });
    },
  };
};

const QUERY_CREDENTIALS = ['grant_type', 'appid', 'secret', 'force_refresh'];

/**
 * POST /cgi-bin/stable_token with a JSON body
 * `{"grant_type":"client_credential","appid":"...","secret":"...","force_refresh":false}`.
 * GET answers 43002; parameters in the URL or a non-JSON (e.g. form) body answer 41002.
 */
export const stableTokenRoute: Route = (req, state) => {
  const body = req.method === 'POST' ? parseJsonBody(req.body) : undefined;
  const fromBody = body?.ok ? body.value.appid : undefined;
  return {
    appId: knownAppId(state, fromBody) ?? knownAppId(state, req.query.get('appid')),
    counter: 'stable_token',
    faultEndpoint: 'stable_token',
    forceRefresh: body?.ok ? body.value.force_refresh === true : false,
    respond: () => {
      if (req.method !== 'POST') return wechatError(43002);
      if (QUERY_CREDENTIALS.some((k) => req.query.has(k))) return wechatError(41002);
      if (!body || !body.ok) return wechatError(41002);
      const v = body.value;
      const checked = checkCredentials({ grantType: v.grant_type, appId: v.appid, secret: v.secret }, state, req.remoteAddress);
      if ('error' in checked) return checked.error;
      if (v.force_refresh !== undefined && typeof v.force_refresh !== 'boolean') return wechatError(47001);
      const out = checked.app.stable.get(state.clock.now(), v.force_refresh === true);
      if ('errcode' in out) return wechatError(out.errcode);
      return json({ access_token: out.record.token, expires_in: out.expiresIn });
    },
  };
};

/**
 * POST /cgi-bin/clear_quota?access_token=TOKEN with `{"appid":"..."}`: resets today's token quotas
 * of that app. Needs a valid token (either kind) of the same app; at most `clearQuotaMonthlyLimit`
 * times per Beijing calendar month (then 48006).
 */
export const clearQuotaRoute: Route = (req, state) => {
  const body = parseJsonBody(req.body);
  return {
    appId: tokenOwner(req.query.get('access_token'), state) ?? knownAppId(state, body.ok ? body.value.appid : undefined),
    counter: 'clear_quota',
    faultEndpoint: 'api',
    respond: () => {
      if (req.method !== 'POST') return wechatError(43002);
      const auth = authenticate(req.query.get('access_token'), state);
      if ('errcode' in auth) return wechatError(auth.errcode);
      if (!body.ok) return wechatError(body.reason === 'empty' ? 44002 : body.reason === 'not-json' ? 47001 : 41002);
      const appid = body.value.appid;
      if (typeof appid !== 'string' || appid.length === 0) return wechatError(41002);
      const app = state.apps.get(appid);
      if (!app) return wechatError(40013);
      if (auth.record.appId !== appid) return wechatError(48001);
      const now = state.clock.now();
      if (app.clearQuotaCalls.count(now) >= app.config.clearQuotaMonthlyLimit) return wechatError(48006);
      app.clearQuotaCalls.add(now);
      app.classic.clearQuota();
      app.stable.clearQuota();
      return ok();
    },
  };
};
