/**
 * XML of a simulated push, as WeChat writes it: strings in CDATA, numbers bare, CreateTime in
 * seconds, MsgId (64-bit, decimal) last for messages, no MsgId for events.
 */
import { InvalidOptionError } from '../errors.js';
import type { SimEventSpec, SimMessageSpec } from './message-spec.js';

/** Who sends what, when. */
export interface MessageEnvelope {
  /** The account id (`gh_...`), WeChat's ToUserName. */
  toUser: string;
  /** The user's OpenID, WeChat's FromUserName. */
  fromUser: string;
  /** Seconds since the epoch. */
  createTime: number;
  /** 64-bit MsgId as a decimal string; required for messages, ignored for events. */
  msgId?: string;
}

/** `<![CDATA[...]]>`, splitting any `]]>` in the text so it cannot close the section. */
export function cdata(text: string): string {
  return `<![CDATA[${text.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

/** Digits written bare, for 64-bit ids a JS number cannot hold. */
interface Raw {
  readonly raw: string;
}
type Node = [name: string, value: string | number | Raw | Node[]];

function render(nodes: Node[]): string {
  return nodes
    .map(([name, value]) => {
      const inner = Array.isArray(value)
        ? render(value)
        : typeof value === 'number'
          ? String(value)
          : typeof value === 'string'
            ? cdata(value)
            : value.raw;
      return `<${name}>${inner}</${name}>`;
    })
    .join('');
}

const ID_RE = /^\d{1,20}$/;

function jobMsgId(spec: SimEventSpec): Raw {
  const id = spec.jobMsgId ?? '200163836';
  if (!ID_RE.test(id)) throw new InvalidOptionError('jobMsgId', 'a decimal string of up to 20 digits');
  return { raw: id };
}

const DEFAULT_MD5 = '1b5f7c23b5bf75682a53e7b6d163e185';

function eventNodes(spec: SimEventSpec): Node[] {
  const nodes: Node[] = [['Event', spec.event]];
  const key = (fallback?: string) => {
    const k = spec.eventKey ?? fallback;
    if (k !== undefined) nodes.push(['EventKey', k]);
  };
  switch (spec.event) {
    case 'subscribe':
      key();
      if (spec.eventKey?.startsWith('qrscene_') || spec.ticket !== undefined) nodes.push(['Ticket', spec.ticket ?? 'gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==']);
      break;
    case 'unsubscribe':
      key('');
      break;
    case 'SCAN':
      key('123');
      nodes.push(['Ticket', spec.ticket ?? 'gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==']);
      break;
    case 'LOCATION':
      nodes.push(['Latitude', spec.latitude ?? 23.137466], ['Longitude', spec.longitude ?? 113.352425], ['Precision', spec.precision ?? 119.385040]);
      break;
    case 'CLICK':
      key('EVENTKEY');
      break;
    case 'VIEW':
      key('https://www.qq.com/');
      if (spec.menuId !== undefined) nodes.push(['MenuId', spec.menuId]);
      break;
    case 'scancode_push':
    case 'scancode_waitmsg':
      key('rselfmenu_0_0');
      nodes.push(['ScanCodeInfo', [['ScanType', spec.scanType ?? 'qrcode'], ['ScanResult', spec.scanResult ?? 'https://www.qq.com/']]]);
      break;
    case 'pic_sysphoto':
    case 'pic_photo_or_album':
    case 'pic_weixin': {
      key('rselfmenu_1_0');
      const sums = spec.picMd5Sums ?? [DEFAULT_MD5];
      nodes.push(['SendPicsInfo', [['Count', sums.length], ['PicList', sums.map((s): Node => ['item', [['PicMd5Sum', s]]])]]]);
      break;
    }
    case 'location_select': {
      key('rselfmenu_2_0');
      const l = spec.location ?? { latitude: 23, longitude: 113 };
      nodes.push([
        'SendLocationInfo',
        [
          ['Location_X', l.latitude],
          ['Location_Y', l.longitude],
          ['Scale', l.scale ?? 15],
          ['Label', l.label ?? '广州市海珠区客村艺苑路106号'],
          ['Poiname', l.poiname ?? ''],
        ],
      ]);
      break;
    }
    case 'TEMPLATESENDJOBFINISH':
      // MsgID with a capital D, a bare 64-bit number.
      nodes.push(['MsgID', jobMsgId(spec)], ['Status', spec.status ?? 'success']);
      break;
    case 'MASSSENDJOBFINISH':
      nodes.push(
        ['MsgID', jobMsgId(spec)],
        ['Status', spec.status ?? 'send success'],
        ['TotalCount', spec.totalCount ?? 100],
        ['FilterCount', spec.filterCount ?? 80],
        ['SentCount', spec.sentCount ?? 75],
        ['ErrorCount', spec.errorCount ?? 5],
      );
      break;
    default:
      key();
  }
  return nodes;
}

/**
 * The XML WeChat would POST for `spec`.
 * @throws {InvalidOptionError} when a message has no 64-bit decimal `msgId`, or a field is malformed.
 */
export function buildMessageXml(spec: SimMessageSpec, envelope: MessageEnvelope): string {
  if (!Number.isInteger(envelope.createTime) || envelope.createTime < 0) throw new InvalidOptionError('createTime', 'whole seconds since the epoch');
  const nodes: Node[] = [
    ['ToUserName', envelope.toUser],
    ['FromUserName', envelope.fromUser],
    ['CreateTime', envelope.createTime],
    ['MsgType', spec.type],
  ];
  switch (spec.type) {
    case 'text':
      if (typeof spec.content !== 'string') throw new InvalidOptionError('content', 'a string');
      nodes.push(['Content', spec.content]);
      break;
    case 'image':
      nodes.push(['PicUrl', spec.picUrl ?? 'https://mmbiz.qpic.cn/mmbiz_jpg/sim/0'], ['MediaId', spec.mediaId ?? 'SIM_IMAGE_MEDIA_ID']);
      break;
    case 'voice':
      nodes.push(['MediaId', spec.mediaId ?? 'SIM_VOICE_MEDIA_ID'], ['Format', spec.format ?? 'amr']);
      if (spec.recognition !== undefined) nodes.push(['Recognition', spec.recognition]);
      nodes.push(['MediaId16K', spec.mediaId16K ?? 'SIM_VOICE_MEDIA_ID_16K']);
      break;
    case 'video':
    case 'shortvideo':
      nodes.push(['MediaId', spec.mediaId ?? 'SIM_VIDEO_MEDIA_ID'], ['ThumbMediaId', spec.thumbMediaId ?? 'SIM_THUMB_MEDIA_ID']);
      break;
    case 'location':
      nodes.push(
        ['Location_X', spec.latitude ?? 23.134521],
        ['Location_Y', spec.longitude ?? 113.358803],
        ['Scale', spec.scale ?? 20],
        ['Label', spec.label ?? '广州市海珠区'],
      );
      break;
    case 'link':
      nodes.push(['Title', spec.title ?? 'WeChat'], ['Description', spec.description ?? 'A link'], ['Url', spec.url ?? 'https://www.qq.com/']);
      break;
    case 'event':
      if (typeof spec.event !== 'string' || spec.event.length === 0) throw new InvalidOptionError('event', 'a non-empty event name');
      nodes.push(...eventNodes(spec));
      break;
    default:
      throw new InvalidOptionError('type', 'a known message type');
  }
  if (spec.type !== 'event') {
    if (typeof envelope.msgId !== 'string' || !ID_RE.test(envelope.msgId)) {
      throw new InvalidOptionError('msgId', 'a 64-bit decimal string for a message');
    }
    nodes.push(['MsgId', { raw: envelope.msgId }]);
  }
  return `<xml>${render(nodes)}</xml>`;
}
