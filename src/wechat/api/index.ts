/**
 * The registry of API areas. Each area is one module exporting a factory `(ctx: ApiContext) => AreaApi`;
 * the client mounts every factory listed here under its key (`wechat.menu`, `wechat.message`, ...).
 * Adding an area: write `api/<area>.ts`, then add one line to {@link API_AREAS}.
 */
import type { ApiContext } from './context.js';
import { domainApi } from './domain.js';
import { jssdkApi } from './jssdk.js';
import { menuApi } from './menu.js';
import { mediaApi } from './media.js';
import { messageApi } from './message.js';
import { oauthApi } from './oauth.js';
import { qrcodeApi } from './qrcode.js';
import { userApi } from './user.js';

/** Every API area, by the property name it takes on a `Wechat` client. */
export const API_AREAS = {
  domain: domainApi,
  jssdk: jssdkApi,
  menu: menuApi,
  message: messageApi,
  oauth: oauthApi,
  media: mediaApi,
  user: userApi,
  qrcode: qrcodeApi,
} as const satisfies Record<string, (ctx: ApiContext) => object>;

/** The API areas of a client: `wechat.menu`, `wechat.message`, ... */
export type WechatApis = { readonly [K in keyof typeof API_AREAS]: ReturnType<(typeof API_AREAS)[K]> };

/** Build every area on `ctx`, each frozen. */
export function createApis(ctx: ApiContext): WechatApis {
  const apis: Record<string, object> = {};
  for (const [name, factory] of Object.entries(API_AREAS)) apis[name] = Object.freeze(factory(ctx));
  return apis as WechatApis;
}

export type { ApiContext } from './context.js';
