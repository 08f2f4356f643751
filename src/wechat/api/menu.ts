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
      if (!menu || !Array.isArray(menu.button) || menu.button.length === 0 || menu.button.length > 3) {
        throw new InvalidOptionError('menu', '{ button: [1 to 3 buttons] }');
      }
      await request('POST', '/cgi-bin/menu/create', { body: menu, retry: true });
    },
  };
}
