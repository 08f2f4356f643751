/**
 * Conditional menus (docs/protocol.md section 11): addconditional, delconditional, trymatch.
 * Matching uses what the emulator knows of a user (tags, language zh_CN); rules on sex, region or
 * platform never match, since user/info no longer reports those.
 */
import { apiRoute, objectBody } from './api-routes.js';
import type { AccountData } from './account.js';
import { validateMenu } from './menu.js';
import { json, ok, wechatError } from './replies.js';
import type { Route } from './request.js';

const RULE_FIELDS = ['tag_id', 'sex', 'country', 'province', 'city', 'client_platform_type', 'language'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function matches(rule: Record<string, unknown>, account: AccountData, openid: string): boolean {
  const user = account.users.get(openid);
  for (const field of RULE_FIELDS) {
    const want = rule[field];
    if (want === undefined || want === '') continue;
    if (field === 'tag_id') {
      if (!user?.tags.has(Number(want))) return false;
    } else if (field === 'language') {
      if (want !== 'zh_CN') return false;
    } else {
      return false;
    }
  }
  return true;
}

/** POST /cgi-bin/menu/addconditional {button, matchrule} -> {menuid} */
const addConditional = apiRoute('POST', (req, app) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  if (app.menu === undefined) return wechatError(65303);
  const e = validateMenu(b.value);
  if (e) return wechatError(e);
  const rule = b.value.matchrule;
  if (!isObject(rule) || !RULE_FIELDS.some((f) => rule[f] !== undefined && rule[f] !== '')) return wechatError(65304);
  if (Object.keys(rule).some((k) => !RULE_FIELDS.includes(k))) return wechatError(47001);
  if (rule.tag_id !== undefined && !app.account.users.tags.has(Number(rule.tag_id))) return wechatError(40097);
  const menuid = app.account.newMenuId();
  app.account.conditionalMenus.push({ menuid, button: structuredClone(b.value.button), matchrule: structuredClone(rule) });
  return json({ menuid });
});

/** POST /cgi-bin/menu/delconditional {menuid} */
const delConditional = apiRoute('POST', (req, app) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  const list = app.account.conditionalMenus;
  const i = list.findIndex((m) => m.menuid === String(b.value.menuid));
  if (i < 0) return wechatError(65301);
  list.splice(i, 1);
  return ok();
});

/** POST /cgi-bin/menu/trymatch {user_id}: the menu that user would see (the newest matching rule wins). */
const tryMatch = apiRoute('POST', (req, app) => {
  const b = objectBody(req);
  if ('error' in b) return b.error;
  const userId = b.value.user_id;
  if (typeof userId !== 'string' || userId.length === 0) return wechatError(47001);
  if (!app.account.users.get(userId)) return wechatError(65302);
  if (app.menu === undefined) return wechatError(46002);
  const hit = [...app.account.conditionalMenus].reverse().find((m) => matches(m.matchrule, app.account, userId));
  return json({ button: hit ? hit.button : (app.menu as { button: unknown }).button });
});

/** The conditional-menu routes, by path. */
export const CONDITIONAL_MENU_ROUTES: ReadonlyArray<readonly [string, Route]> = [
  ['/cgi-bin/menu/addconditional', addConditional],
  ['/cgi-bin/menu/delconditional', delConditional],
  ['/cgi-bin/menu/trymatch', tryMatch],
];
