/**
 * From parsed XML fields to the typed {@link WechatMessage} union.
 *
 * Common fields (ToUserName, FromUserName, CreateTime, MsgType) are required everywhere, MsgId for user
 * messages, Event for events, and the fields docs/protocol.md lists for each known type.
 * A missing or malformed required field is a 400. Unknown types are delivered as `unknown` /
 * `unknown_event` with every field in `raw`.
 */
import type { WechatMessage, XmlRecord, XmlValue } from './messages.js';
import { WebhookRequestError } from './request-error.js';

type Fields = XmlRecord;

function missing(name: string): WebhookRequestError {
  return new WebhookRequestError('WMP_ERR_XML', `missing or malformed field ${name}`);
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

/** CreateTime: seconds since the epoch, 10 digits (2001 to 2286). */
const CREATE_TIME_RE = /^\d{10}$/;
/**
 * Account ids (`gh_...`) and OpenIDs are short tokens of letters, digits, `_` and `-` (28 characters
 * for an OpenID); 64 leaves room without letting a forged push store kilobytes per field.
 */
const ACCOUNT_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
/** MsgId / MsgID: a 64-bit number, at most 20 digits. */
const MSG_ID_RE = /^\d{1,20}$/;
/** MsgType and Event names: identifiers. */
const TYPE_NAME_RE = /^[A-Za-z0-9_]{1,64}$/;

/** A required field that must match `re`. */
function shaped(f: Fields, name: string, re: RegExp): string {
  const v = id(f, name);
  if (!re.test(v)) throw missing(name);
  return v;
}

/** An optional field that must match `re` when present. */
function optShaped(f: Fields, name: string, re: RegExp): string | undefined {
  const v = optStr(f, name)?.trim();
  if (v === undefined || v === '') return undefined;
  if (!re.test(v)) throw missing(name);
  return v;
}

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
  // Shapes are checked before anything is stored, logged or used as a key (a forged push could
  // otherwise carry a 60 KB FromUserName into the dedupe store).
  const ToUserName = shaped(f, 'ToUserName', ACCOUNT_ID_RE);
  const FromUserName = shaped(f, 'FromUserName', ACCOUNT_ID_RE);
  const CreateTime = Number(createTime);
  const msgType = shaped(f, 'MsgType', TYPE_NAME_RE);
  if (msgType === 'event') return toEvent(f, ToUserName, FromUserName, CreateTime);
  // Literal objects with every field present (undefined when absent): one shape per type, no spreads.
  switch (msgType) {
    case 'text':
      return { kind: 'text', MsgType: 'text', ToUserName, FromUserName, CreateTime, MsgId: shaped(f, 'MsgId', MSG_ID_RE), MsgDataId: optStr(f, 'MsgDataId'), Idx: optNum(f, 'Idx'), Content: str(f, 'Content'), raw: f };
    case 'image':
      return {
        kind: 'image',
        MsgType: 'image',
        ToUserName,
        FromUserName,
        CreateTime,
        MsgId: shaped(f, 'MsgId', MSG_ID_RE),
        MsgDataId: optStr(f, 'MsgDataId'),
        Idx: optNum(f, 'Idx'),
        PicUrl: str(f, 'PicUrl'),
        MediaId: id(f, 'MediaId'),
        raw: f,
      };
    case 'voice':
      return {
        kind: 'voice',
        MsgType: 'voice',
        ToUserName,
        FromUserName,
        CreateTime,
        MsgId: shaped(f, 'MsgId', MSG_ID_RE),
        MsgDataId: optStr(f, 'MsgDataId'),
        Idx: optNum(f, 'Idx'),
        MediaId: id(f, 'MediaId'),
        Format: str(f, 'Format'),
        Recognition: optStr(f, 'Recognition'),
        MediaId16K: optStr(f, 'MediaId16K'),
        raw: f,
      };
    case 'video':
    case 'shortvideo': {
      const m = {
        ToUserName,
        FromUserName,
        CreateTime,
        MsgId: shaped(f, 'MsgId', MSG_ID_RE),
        MsgDataId: optStr(f, 'MsgDataId'),
        Idx: optNum(f, 'Idx'),
        MediaId: id(f, 'MediaId'),
        ThumbMediaId: str(f, 'ThumbMediaId'),
        raw: f,
      };
      return msgType === 'video' ? { kind: 'video', MsgType: 'video', ...m } : { kind: 'shortvideo', MsgType: 'shortvideo', ...m };
    }
    case 'location':
      return {
        kind: 'location',
        MsgType: 'location',
        ToUserName,
        FromUserName,
        CreateTime,
        MsgId: shaped(f, 'MsgId', MSG_ID_RE),
        MsgDataId: optStr(f, 'MsgDataId'),
        Idx: optNum(f, 'Idx'),
        Location_X: num(f, 'Location_X'),
        Location_Y: num(f, 'Location_Y'),
        Scale: num(f, 'Scale'),
        Label: str(f, 'Label'),
        raw: f,
      };
    case 'link':
      return {
        kind: 'link',
        MsgType: 'link',
        ToUserName,
        FromUserName,
        CreateTime,
        MsgId: shaped(f, 'MsgId', MSG_ID_RE),
        MsgDataId: optStr(f, 'MsgDataId'),
        Idx: optNum(f, 'Idx'),
        Title: str(f, 'Title'),
        Description: str(f, 'Description'),
        Url: str(f, 'Url'),
        raw: f,
      };
    default:
      return { kind: 'unknown', MsgType: msgType, ToUserName, FromUserName, CreateTime, MsgId: optShaped(f, 'MsgId', MSG_ID_RE), raw: f };
  }
}

function toEvent(f: Fields, ToUserName: string, FromUserName: string, CreateTime: number): WechatMessage {
  const event = shaped(f, 'Event', TYPE_NAME_RE);
  const head = { kind: 'event', MsgType: 'event', ToUserName, FromUserName, CreateTime, raw: f } as const;
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
      return { kind: 'event', MsgType: 'event', ToUserName, FromUserName, CreateTime, Event: event, EventKey: str(f, 'EventKey'), raw: f };
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
      return { ...head, Event: event, MsgID: shaped(f, 'MsgID', MSG_ID_RE), Status: str(f, 'Status') };
    case 'MASSSENDJOBFINISH':
      return {
        ...head,
        Event: event,
        MsgID: shaped(f, 'MsgID', MSG_ID_RE),
        Status: str(f, 'Status'),
        TotalCount: num(f, 'TotalCount'),
        FilterCount: num(f, 'FilterCount'),
        SentCount: num(f, 'SentCount'),
        ErrorCount: num(f, 'ErrorCount'),
      };
    default: {
      const key = f.EventKey;
      return { kind: 'unknown_event', MsgType: 'event', ToUserName, FromUserName, CreateTime, Event: event, EventKey: typeof key === 'string' ? key : undefined, raw: f };
    }
  }
}
