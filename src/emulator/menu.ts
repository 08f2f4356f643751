/**
 * Validation of a custom menu body for POST /cgi-bin/menu/create: 1-3 buttons, each either a typed
 * button or a group of 1-5 typed sub-buttons. Names at most 16 bytes (60 for sub-buttons), keys at
 * most 128 bytes, click-like types need a key and view needs a url.
 */

const KEYED = new Set(['click', 'scancode_push', 'scancode_waitmsg', 'pic_sysphoto', 'pic_photo_or_album', 'pic_weixin', 'location_select']);
const TYPES = new Set([...KEYED, 'view', 'miniprogram', 'media_id', 'article_id', 'article_view_limited']);

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkTyped(b: Record<string, unknown>): number {
  if (typeof b.type !== 'string' || !TYPES.has(b.type)) return 40017;
  if (KEYED.has(b.type) && (typeof b.key !== 'string' || b.key.length === 0 || bytes(b.key) > 128)) return 40019;
  if ((b.type === 'view' || b.type === 'miniprogram') && (typeof b.url !== 'string' || b.url.length === 0 || bytes(b.url) > 1024)) return 40054;
  return 0;
}

/** 0 when `menu` is a valid menu, else the errcode WeChat answers for it. */
export function validateMenu(menu: Record<string, unknown>): number {
  const buttons = menu.button;
  if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3) return 40016;
  for (const b of buttons) {
    if (!isObject(b)) return 40016;
    if (typeof b.name !== 'string' || b.name.length === 0 || bytes(b.name) > 16) return 40018;
    if (b.sub_button !== undefined) {
      if (!Array.isArray(b.sub_button) || b.sub_button.length < 1 || b.sub_button.length > 5) return 40023;
      for (const s of b.sub_button) {
        if (!isObject(s)) return 40023;
        if (typeof s.name !== 'string' || s.name.length === 0 || bytes(s.name) > 60) return 40018;
        const e = checkTyped(s);
        if (e) return e;
      }
    } else {
      const e = checkTyped(b);
      if (e) return e;
    }
  }
  return 0;
}
