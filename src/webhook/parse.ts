/**
 * From parsed XML fields to the typed {@link WechatMessage} union.
 *
 * Common fields (ToUserName, FromUserName, CreateTime, MsgType) are required everywhere, MsgId for user
 * messages, Event for events, and the fields ../shared/wechat-protocol.md lists for each known type.
 * A missing or malformed required field is a 400. Unknown types are delivered as `unknown` /
 * `unknown_event` with every field in `raw`.
 */
import type { WechatMessage, XmlRecord, XmlValue } from './messages.js';
import { WebhookRequestError } from './request-error.js';

type Fields = XmlRecord;

function missing(name: string): WebhookRequestError {
  return new WebhookRequestError(400, 'WMP_ERR_XML', `missing or malformed field ${name}`);
}

/** A required text field. */
function str(f: Fields, name: string): string {
  const v = f[name];
  if (typeof v !== 'string') throw missing(name);
  return v;
}

/** An optional text field (absent -> undefined; nested or repeated -> 400). */
function optStr(f: Fields, name: string): string | undefined {
  const v = f[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw missing(name);
  return v;
}

/** A required non-empty text field. */
function id(f: Fields, name: string): string {
  const v = str(f, name).trim();
  if (v.length === 0) throw missing(name);
  return v;
}

/** A required number. */
function num(f: Fields, name: string): number {
  const v = str(f, name).trim();
  const n = v.length === 0 ? NaN : Number(v);
  if (!Number.isFinite(n)) throw missing(name);
  return n;
}

function optNum(f: Fields, name: string): number | undefined {
  return f[name] === undefined ? undefined : num(f, name);
}

const CREATE_TIME_RE = /^\d{1,12}$/;

function nested(f: Fields, name: string): Fields {
  const v = f[name];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw missing(name);
  return v;
}

function picList(info: Fields): Array<{ PicMd5Sum: string }> {
  const list = info.PicList;
  if (list === undefined || list === '') return [];
  if (typeof list !== 'object' || Array.isArray(list)) throw missing('PicList');
  const items: XmlValue | undefined = list.item;
  if (items === undefined) return [];
  const arr = Array.isArray(items) ? items : [items];
  return arr.map((item) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw missing('PicList.item');
    return { PicMd5Sum: str(item, 'PicMd5Sum') };
  });
}

/**
 * Build the typed message from the fields of a WeChat XML document.
 * @throws {WebhookRequestError} 400 `WMP_ERR_XML` when a required field is missing or malformed.
 */
export function toMessage(f: Fields): WechatMessage {
  const createTime = str(f, 'CreateTime').trim();
  if (!CREATE_TIME_RE.test(createTime)) throw missing('CreateTime');
  const base = { ToUserName: id(f, 'ToUserName'), FromUserName: id(f, 'FromUserName'), CreateTime: Number(createTime), raw: f };
  const msgType = id(f, 'MsgType');
  if (msgType === 'event') return toEvent(f, base);
  const MsgId = msgType in MESSAGE_TYPES ? id(f, 'MsgId') : optStr(f, 'MsgId');
  switch (msgType) {
    case 'text':
      return { ...base, ...article(f), kind: 'text', MsgType: 'text', MsgId: MsgId as string, Content: str(f, 'Content') };
    case 'image':
      return { ...base, ...article(f), kind: 'image', MsgType: 'image', MsgId: MsgId as string, PicUrl: str(f, 'PicUrl'), MediaId: id(f, 'MediaId') };
    case 'voice':
      return {
        ...base,
        ...article(f),
        kind: 'voice',
        MsgType: 'voice',
        MsgId: MsgId as string,
        MediaId: id(f, 'MediaId'),
        Format: str(f, 'Format'),
        Recognition: optStr(f, 'Recognition'),
        MediaId16K: optStr(f, 'MediaId16K'),
      };
    case 'video':
      return { ...base, ...article(f), kind: 'video', MsgType: 'video', MsgId: MsgId as string, MediaId: id(f, 'MediaId'), ThumbMediaId: str(f, 'ThumbMediaId') };
    case 'shortvideo':
      return { ...base, ...article(f), kind: 'shortvideo', MsgType: 'shortvideo', MsgId: MsgId as string, MediaId: id(f, 'MediaId'), ThumbMediaId: str(f, 'ThumbMediaId') };
    case 'location':
      return {
        ...base,
        ...article(f),
        kind: 'location',
        MsgType: 'location',
        MsgId: MsgId as string,
        Location_X: num(f, 'Location_X'),
        Location_Y: num(f, 'Location_Y'),
        Scale: num(f, 'Scale'),
        Label: str(f, 'Label'),
      };
    case 'link':
      return { ...base, ...article(f), kind: 'link', MsgType: 'link', MsgId: MsgId as string, Title: str(f, 'Title'), Description: str(f, 'Description'), Url: str(f, 'Url') };
    default:
      return { ...base, kind: 'unknown', MsgType: msgType, MsgId };
  }
}

const MESSAGE_TYPES: Record<string, true> = { text: true, image: true, voice: true, video: true, shortvideo: true, location: true, link: true };

function article(f: Fields): { MsgDataId?: string; Idx?: number } {
  if (f.MsgDataId === undefined && f.Idx === undefined) return {};
  return { MsgDataId: optStr(f, 'MsgDataId'), Idx: optNum(f, 'Idx') };
}

type Base = { ToUserName: string; FromUserName: string; CreateTime: number; raw: Fields };

function toEvent(f: Fields, base: Base): WechatMessage {
  const event = id(f, 'Event');
  const head = { ...base, kind: 'event', MsgType: 'event' } as const;
  switch (event) {
    case 'subscribe':
      return { ...head, Event: event, EventKey: optStr(f, 'EventKey') || undefined, Ticket: optStr(f, 'Ticket') };
    case 'unsubscribe':
      return { ...head, Event: event };
    case 'SCAN':
      return { ...head, Event: event, EventKey: str(f, 'EventKey'), Ticket: optStr(f, 'Ticket') };
    case 'LOCATION':
      return { ...head, Event: event, Latitude: num(f, 'Latitude'), Longitude: num(f, 'Longitude'), Precision: num(f, 'Precision') };
    case 'CLICK':
      return { ...head, Event: event, EventKey: str(f, 'EventKey') };
    case 'VIEW':
      return { ...head, Event: event, EventKey: str(f, 'EventKey'), MenuId: optStr(f, 'MenuId') };
    case 'scancode_push':
    case 'scancode_waitmsg': {
      const info = nested(f, 'ScanCodeInfo');
      return { ...head, Event: event, EventKey: str(f, 'EventKey'), ScanCodeInfo: { ScanType: str(info, 'ScanType'), ScanResult: str(info, 'ScanResult') } };
    }
    case 'pic_sysphoto':
    case 'pic_photo_or_album':
    case 'pic_weixin': {
      const info = nested(f, 'SendPicsInfo');
      return { ...head, Event: event, EventKey: str(f, 'EventKey'), SendPicsInfo: { Count: num(info, 'Count'), PicList: picList(info) } };
    }
    case 'location_select': {
      const info = nested(f, 'SendLocationInfo');
      return {
        ...head,
        Event: event,
        EventKey: str(f, 'EventKey'),
        SendLocationInfo: {
          Location_X: num(info, 'Location_X'),
          Location_Y: num(info, 'Location_Y'),
          Scale: num(info, 'Scale'),
          Label: str(info, 'Label'),
          Poiname: optStr(info, 'Poiname'),
        },
      };
    }
    case 'TEMPLATESENDJOBFINISH':
      return { ...head, Event: event, MsgID: id(f, 'MsgID'), Status: str(f, 'Status') };
    case 'MASSSENDJOBFINISH':
      return {
        ...head,
        Event: event,
        MsgID: id(f, 'MsgID'),
        Status: str(f, 'Status'),
        TotalCount: num(f, 'TotalCount'),
        FilterCount: num(f, 'FilterCount'),
        SentCount: num(f, 'SentCount'),
        ErrorCount: num(f, 'ErrorCount'),
      };
    default: {
      const key = f.EventKey;
      return { ...base, kind: 'unknown_event', MsgType: 'event', Event: event, EventKey: typeof key === 'string' ? key : undefined };
    }
  }
}
