/**
 * OAuth2 web authorization (网页授权, docs/protocol.md section 8): `wechat.oauth.authorizeUrl(...)`,
 * `exchangeCode(code)`, `refresh(refreshToken)`, `userInfo(...)`, `check(...)`.
 *
 * The user's token is not the account's access_token: it has its own branded type
 * ({@link OAuthAccessToken}), never enters the token layer, and a {@link OAuthGrant} prints its tokens
 * as `[redacted]` in logs (`toJSON`, `util.inspect`). A code works once: `exchangeCode` never retries.
 */
import { inspect } from 'node:util';
import { InvalidOptionError } from '../../errors.js';
import { maskSecrets } from '../../log/logger.js';
import { WechatApiError } from '../errors.js';
import type { ApiContext } from './context.js';

/** A user's OAuth access_token (not the account's). */
export type OAuthAccessToken = string & { readonly __brand: 'OAuthAccessToken' };
/** A user's OAuth refresh_token (30 days). */
export type OAuthRefreshToken = string & { readonly __brand: 'OAuthRefreshToken' };
/** The two scopes. */
export type OAuthScope = 'snsapi_base' | 'snsapi_userinfo';

/** What a code or a refresh_token is exchanged for. */
export interface OAuthGrant {
  readonly openid: string;
  readonly unionid?: string;
  readonly scope: string;
  readonly accessToken: OAuthAccessToken;
  readonly refreshToken: OAuthRefreshToken;
  /** Absolute expiry of `accessToken`, ms since epoch. */
  readonly expiresAt: number;
  /** A user viewing a snapshot page (no real OpenID consent): treat as anonymous. */
  readonly isSnapshotUser: boolean;
}

/** `/sns/userinfo` (scope snsapi_userinfo). */
export interface OAuthUserInfo {
  readonly openid: string;
  readonly nickname: string;
  readonly sex?: number;
  readonly province?: string;
  readonly city?: string;
  readonly country?: string;
  readonly headimgurl?: string;
  readonly privilege?: readonly string[];
  readonly unionid?: string;
}

/** Input of {@link OAuthApi.authorizeUrl}. */
export interface AuthorizeUrlInput {
  /** Where WeChat sends the user back (absolute http(s), on the domain set in the console). */
  redirectUri: string;
  scope: OAuthScope;
  /** Up to 128 characters of [a-zA-Z0-9]; bind it to the browser (the login middleware does). */
  state: string;
  /** Authorize page base. @default https://open.weixin.qq.com, or the API base when that is not WeChat's (the emulator serves both) */
  authorizeBase?: string;
}

/** The OAuth area of one client. */
export interface OAuthApi {
  /** The authorize link, parameters in WeChat's order, ending with `#wechat_redirect`. */
  authorizeUrl(input: AuthorizeUrlInput): string;
  /** `/sns/oauth2/access_token`: 40029 invalid/expired code, 40163 code already used (a {@link WechatApiError}). */
  exchangeCode(code: string): Promise<OAuthGrant>;
  /** `/sns/oauth2/refresh_token`. */
  refresh(refreshToken: OAuthRefreshToken | string): Promise<OAuthGrant>;
  /** `/sns/userinfo`: 48001 for a snsapi_base grant. */
  userInfo(grant: Pick<OAuthGrant, 'accessToken' | 'openid'>, lang?: 'zh_CN' | 'zh_TW' | 'en'): Promise<OAuthUserInfo>;
  /** `/sns/auth`: true while the user token is valid. */
  check(grant: Pick<OAuthGrant, 'accessToken' | 'openid'>): Promise<boolean>;
}

const WECHAT_API = 'https://api.weixin.qq.com';
const OPEN_WEIXIN = 'https://open.weixin.qq.com';
const STATE_RE = /^[a-zA-Z0-9]{1,128}$/;
const CODE_RE = /^[A-Za-z0-9_-]{1,256}$/;
const TOKEN_RE = /^[A-Za-z0-9_-]{1,512}$/;
const REDACTED = '[redacted]';

function grantOf(json: Record<string, unknown>, now: number): OAuthGrant {
  const { access_token, refresh_token, openid, scope, expires_in, unionid, is_snapshotuser } = json;
  if (typeof access_token !== 'string' || typeof refresh_token !== 'string' || typeof openid !== 'string' || typeof expires_in !== 'number') {
    throw new WechatApiError('/sns/oauth2/access_token', -1, 'answer without access_token, refresh_token, openid or expires_in');
  }
  const visible = {
    openid,
    ...(typeof unionid === 'string' ? { unionid } : {}),
    scope: typeof scope === 'string' ? scope : '',
    expiresAt: now + expires_in * 1000,
    isSnapshotUser: is_snapshotuser === 1,
  };
  const grant = { ...visible, accessToken: access_token as OAuthAccessToken, refreshToken: refresh_token as OAuthRefreshToken };
  const redacted = () => ({ ...visible, accessToken: REDACTED, refreshToken: REDACTED });
  Object.defineProperties(grant, {
    toJSON: { value: redacted, enumerable: false },
    [inspect.custom]: { value: () => redacted(), enumerable: false },
  });
  return Object.freeze(grant);
}

/** The OAuth area of one client. */
export function oauthApi(ctx: ApiContext): OAuthApi {
  const secrets = (extra: string[]): string[] => [...(ctx.appSecret ? [ctx.appSecret] : []), ...extra];
  async function sns(path: string, query: Record<string, string>, hide: string[], retry: boolean): Promise<Record<string, unknown>> {
    const { json } = await ctx.http.call({ method: 'GET', url: `${ctx.apiBase}${path}`, endpoint: path, query, retry });
    const errcode = json.errcode;
    if (typeof errcode === 'number' && errcode !== 0) {
      throw new WechatApiError(path, errcode, maskSecrets(typeof json.errmsg === 'string' ? json.errmsg : '', secrets(hide)));
    }
    return json;
  }
  const needSecret = (): string => {
    if (!ctx.appSecret) throw new InvalidOptionError('appSecret', 'the AppSecret (web authorization calls WeChat with it)');
    return ctx.appSecret;
  };
  const userToken = (g: Pick<OAuthGrant, 'accessToken' | 'openid'>): { access_token: string; openid: string } => {
    if (typeof g?.accessToken !== 'string' || !TOKEN_RE.test(g.accessToken)) throw new InvalidOptionError('accessToken', 'a user access_token');
    if (typeof g.openid !== 'string' || g.openid.length === 0 || g.openid.length > 128) throw new InvalidOptionError('openid', 'an OpenID');
    return { access_token: g.accessToken, openid: g.openid };
  };
  return {
    authorizeUrl(input) {
      const redirect = input?.redirectUri;
      let u: URL;
      try {
        u = new URL(redirect);
      } catch {
        throw new InvalidOptionError('redirectUri', 'an absolute http(s) URL');
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidOptionError('redirectUri', 'an absolute http(s) URL');
      if (input.scope !== 'snsapi_base' && input.scope !== 'snsapi_userinfo') throw new InvalidOptionError('scope', "'snsapi_base' or 'snsapi_userinfo'");
      if (typeof input.state !== 'string' || !STATE_RE.test(input.state)) throw new InvalidOptionError('state', '1 to 128 characters of [a-zA-Z0-9]');
      const base = (input.authorizeBase ?? (ctx.apiBase === WECHAT_API ? OPEN_WEIXIN : ctx.apiBase)).replace(/\/+$/, '');
      // WeChat checks the order of these parameters.
      return `${base}/connect/oauth2/authorize?appid=${encodeURIComponent(ctx.appId)}&redirect_uri=${encodeURIComponent(redirect)}&response_type=code&scope=${input.scope}&state=${input.state}#wechat_redirect`;
    },
    async exchangeCode(code) {
      if (typeof code !== 'string' || !CODE_RE.test(code)) throw new InvalidOptionError('code', 'the code WeChat appended to the redirect');
      const json = await sns('/sns/oauth2/access_token', { appid: ctx.appId, secret: needSecret(), code, grant_type: 'authorization_code' }, [code], false);
      return grantOf(json, ctx.now());
    },
    async refresh(refreshToken) {
      if (typeof refreshToken !== 'string' || !TOKEN_RE.test(refreshToken)) throw new InvalidOptionError('refreshToken', 'a refresh_token');
      const json = await sns('/sns/oauth2/refresh_token', { appid: ctx.appId, grant_type: 'refresh_token', refresh_token: refreshToken }, [refreshToken], true);
      return grantOf(json, ctx.now());
    },
    async userInfo(grant, lang = 'zh_CN') {
      const q = userToken(grant);
      const json = await sns('/sns/userinfo', { ...q, lang }, [q.access_token], true);
      if (typeof json.openid !== 'string' || typeof json.nickname !== 'string') throw new WechatApiError('/sns/userinfo', -1, 'answer without openid or nickname');
      return Object.freeze(json as unknown as OAuthUserInfo);
    },
    async check(grant) {
      const q = userToken(grant);
      try {
        await sns('/sns/auth', q, [q.access_token], true);
        return true;
      } catch (err) {
        if (err instanceof WechatApiError && [40001, 40003, 42001].includes(err.errcode)) return false;
        throw err;
      }
    },
  };
}
