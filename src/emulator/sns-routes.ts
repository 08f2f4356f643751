/**
 * The user-token side of web authorization (docs/protocol.md section 8):
 * `/sns/oauth2/access_token`, `/sns/oauth2/refresh_token`, `/sns/userinfo`, `/sns/auth`.
 * A user access_token is never an account access_token, and the reverse.
 */
import type { SandboxUser } from './h5-options.js';
import type { UserGrant } from './oauth-state.js';
import { OAUTH_TOKEN_LIFETIME_SECONDS } from './oauth-state.js';
import type { JsonReply } from './replies.js';
import { json, wechatError } from './replies.js';
import type { EmulatorRequest, Route } from './request.js';
import type { AppState, EmulatorState } from './state.js';

const SNS_ERRMSG: Readonly<Record<number, string>> = {
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40013: 'invalid appid',
  40029: 'invalid code',
  40030: 'invalid refresh_token',
  40125: 'invalid appsecret',
  40163: 'code been used',
  41001: 'access_token missing',
  41002: 'appid missing',
  41004: 'appsecret missing',
  41008: 'missing code',
  41009: 'missing openid',
  41003: 'refresh_token missing',
  42001: 'access_token expired',
  42002: 'refresh_token expired',
  48001: 'api unauthorized',
};

const fail = (errcode: number): JsonReply => wechatError(errcode, SNS_ERRMSG[errcode]);

/** The app named by `appid`, or the error: 41002 missing, 40013 unknown. */
function namedApp(req: EmulatorRequest, state: EmulatorState): AppState | JsonReply {
  const appid = req.query.get('appid');
  if (!appid) return fail(41002);
  return state.apps.get(appid) ?? fail(40013);
}

function tokenAnswer(accessToken: string, refreshToken: string, g: UserGrant): JsonReply {
  return json({
    access_token: accessToken,
    expires_in: OAUTH_TOKEN_LIFETIME_SECONDS,
    refresh_token: refreshToken,
    openid: g.openid,
    scope: g.scope,
    ...(g.user.snapshot ? { is_snapshotuser: 1 } : {}),
    ...(g.user.unionid ? { unionid: g.user.unionid } : {}),
  });
}

const knownApp = (state: EmulatorState, id: string | null): string | undefined => (id && state.apps.has(id) ? id : undefined);

/** GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code */
export const snsAccessTokenRoute: Route = (req, state) => ({
  appId: knownApp(state, req.query.get('appid')),
  counter: 'sns',
  faultEndpoint: 'sns',
  respond: () => {
    const q = req.query;
    const app = namedApp(req, state);
    if ('kind' in app) return app;
    const secret = q.get('secret');
    if (!secret) return fail(41004);
    if (secret !== app.config.secret) return fail(40125);
    if (q.get('grant_type') !== 'authorization_code') return fail(40002);
    const code = q.get('code');
    if (!code) return fail(41008);
    const out = app.oauth.exchange(code, state.clock.now());
    if ('errcode' in out) return fail(out.errcode);
    return tokenAnswer(out.accessToken, out.refreshToken, out.grant);
  },
});

/** GET /sns/oauth2/refresh_token?appid&grant_type=refresh_token&refresh_token */
export const snsRefreshRoute: Route = (req, state) => ({
  appId: knownApp(state, req.query.get('appid')),
  counter: 'sns',
  faultEndpoint: 'sns',
  respond: () => {
    const app = namedApp(req, state);
    if ('kind' in app) return app;
    if (req.query.get('grant_type') !== 'refresh_token') return fail(40002);
    const rt = req.query.get('refresh_token');
    if (!rt) return fail(41003);
    const out = app.oauth.refresh(rt, state.clock.now());
    if ('errcode' in out) return fail(out.errcode);
    return tokenAnswer(out.accessToken, out.refreshToken, out.grant);
  },
});

/** The app whose user token this is. */
function userTokenOwner(state: EmulatorState, accessToken: string | null): AppState | undefined {
  if (!accessToken) return undefined;
  for (const app of state.apps.values()) if (app.oauth.owns(accessToken)) return app;
  return undefined;
}

/** Checks a user access_token and the openid it must belong to. */
function userGrant(req: EmulatorRequest, state: EmulatorState): UserGrant | JsonReply {
  const accessToken = req.query.get('access_token');
  if (!accessToken) return fail(41001);
  const app = userTokenOwner(state, accessToken);
  if (!app) return fail(40001);
  const g = app.oauth.lookup(accessToken, state.clock.now());
  if ('errcode' in g) return fail(g.errcode);
  const openid = req.query.get('openid');
  if (!openid) return fail(41009);
  if (openid !== g.openid) return fail(40003);
  return g;
}

function profile(user: SandboxUser, openid: string): Record<string, unknown> {
  return {
    openid,
    nickname: user.nickname,
    sex: 0,
    province: '',
    city: '',
    country: '',
    headimgurl: '',
    privilege: [],
    ...(user.unionid ? { unionid: user.unionid } : {}),
  };
}

/** GET /sns/userinfo?access_token&openid&lang=zh_CN: 48001 for a snsapi_base token. */
export const snsUserInfoRoute: Route = (req, state) => ({
  appId: userTokenOwner(state, req.query.get('access_token'))?.config.appId,
  counter: 'sns',
  faultEndpoint: 'sns',
  respond: () => {
    const g = userGrant(req, state);
    if ('kind' in g) return g;
    if (g.scope !== 'snsapi_userinfo') return fail(48001);
    return json(profile(g.user, g.openid));
  },
});

/** GET /sns/auth?access_token&openid: `{"errcode":0,"errmsg":"ok"}` for a valid user token. */
export const snsAuthRoute: Route = (req, state) => ({
  appId: userTokenOwner(state, req.query.get('access_token'))?.config.appId,
  counter: 'sns',
  faultEndpoint: 'sns',
  respond: () => {
    const g = userGrant(req, state);
    if ('kind' in g) return g;
    return json({ errcode: 0, errmsg: 'ok' });
  },
});

/** The /sns paths. */
export const SNS_ROUTES: ReadonlyArray<readonly [string, Route]> = [
  ['/sns/oauth2/access_token', snsAccessTokenRoute],
  ['/sns/oauth2/refresh_token', snsRefreshRoute],
  ['/sns/userinfo', snsUserInfoRoute],
  ['/sns/auth', snsAuthRoute],
];
