/**
 * Custom menu (docs/protocol.md sections 3 and 11): `wechat.menu.get()`, `wechat.menu.create(menu)`.
 */
import { InvalidOptionError } from '../../errors.js';
import { WechatApiError } from '../errors.js';
import type { ApiContext } from './context.js';

/** errcode of `menu/get` when the account has no menu. */
export const MENU_NOT_FOUND_ERRCODE = 46003;

/** One custom-menu button. */
export interface MenuButton {
  name: string;
  type?: string;
  key?: string;
  url?: string;
  media_id?: string;
  article_id?: string;
  appid?: string;
  pagepath?: string;
  sub_button?: MenuButton[];
}

/** A custom menu. */
export interface Menu {
  button: MenuButton[];
}

/** Answer of `menu/get`. */
export interface MenuInfo {
  menu: Menu & { menuid?: string };
  conditionalmenu?: unknown[];
}

/** The custom-menu API. */
export interface MenuApi {
  /** `GET /cgi-bin/menu/get`; null when the account has no menu (46003). */
  get(): Promise<MenuInfo | null>;
  /** `POST /cgi-bin/menu/create`. Retried on transient failures (creating the same menu twice is harmless). */
  create(menu: Menu): Promise<void>;
  /** `GET /cgi-bin/menu/delete`: the default menu and every conditional menu. */
  delete(): Promise<void>;
  /**
   * `POST /cgi-bin/menu/addconditional`: a menu shown to the users `matchrule` selects; its menuid.
   * @throws {WechatApiError} 65303 when the account has no default menu yet.
   */
  addConditional(menu: Menu, matchrule: MatchRule): Promise<string>;
  /** `POST /cgi-bin/menu/delconditional`. @throws {WechatApiError} 65301 for an unknown menuid. */
  deleteConditional(menuId: string): Promise<void>;
  /** `POST /cgi-bin/menu/trymatch`: the buttons `userId` (an OpenID or WeChat ID) would see. */
  tryMatch(userId: string): Promise<{ button: MenuButton[] }>;
}

/** Who sees a conditional menu (at least one field). */
export interface MatchRule {
  tag_id?: string;
  /** 1 male, 2 female. */
  sex?: string;
  country?: string;
  province?: string;
  city?: string;
  /** 1 iOS, 2 Android, 3 others. */
  client_platform_type?: string;
  language?: string;
}

function checkMenu(menu: Menu): void {
  if (!menu || !Array.isArray(menu.button) || menu.button.length === 0 || menu.button.length > 3) {
    throw new InvalidOptionError('menu', '{ button: [1 to 3 buttons] }');
  }
}

/** The menu area of one client. */
export function menuApi({ request }: ApiContext): MenuApi {
  return {
    async get() {
      try {
        return await request<MenuInfo>('GET', '/cgi-bin/menu/get');
      } catch (err) {
        if (err instanceof WechatApiError && err.errcode === MENU_NOT_FOUND_ERRCODE) return null;
        throw err;
      }
    },
    async create(menu) {
      checkMenu(menu);
      await request('POST', '/cgi-bin/menu/create', { body: menu, retry: true });
    },
    async delete() {
      await request('GET', '/cgi-bin/menu/delete');
    },
    async addConditional(menu, matchrule) {
      checkMenu(menu);
      const rule = Object.fromEntries(Object.entries(matchrule ?? {}).filter(([, v]) => v !== undefined && v !== ''));
      if (Object.keys(rule).length === 0) throw new InvalidOptionError('matchrule', 'at least one of tag_id, sex, country, province, city, client_platform_type, language');
      const res = await request<{ menuid?: unknown }>('POST', '/cgi-bin/menu/addconditional', { body: { button: menu.button, matchrule: rule } });
      return String(res.menuid ?? '');
    },
    async deleteConditional(menuId) {
      if (typeof menuId !== 'string' || menuId.length === 0) throw new InvalidOptionError('menuId', 'a conditional menu id');
      await request('POST', '/cgi-bin/menu/delconditional', { body: { menuid: menuId }, retry: true });
    },
    async tryMatch(userId) {
      if (typeof userId !== 'string' || userId.length === 0) throw new InvalidOptionError('userId', 'an OpenID or WeChat ID');
      return request<{ button: MenuButton[] }>('POST', '/cgi-bin/menu/trymatch', { body: { user_id: userId }, retry: true });
    },
  };
}
