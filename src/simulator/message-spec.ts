/**
 * What a simulated WeChat push contains (docs/protocol.md section 4). Every field a
 * spec leaves out gets a realistic default, so `{ type: 'image' }` is a complete image message.
 */

/** A text message. */
export interface SimTextSpec { type: 'text'; content: string }
/** An image message. */
export interface SimImageSpec { type: 'image'; picUrl?: string; mediaId?: string }
/** A voice message; `recognition` is the speech-to-text result when the account enabled it. */
export interface SimVoiceSpec { type: 'voice'; mediaId?: string; format?: string; recognition?: string; mediaId16K?: string }
/** A video or short video message. */
export interface SimVideoSpec { type: 'video' | 'shortvideo'; mediaId?: string; thumbMediaId?: string }
/** A location message: `latitude` is Location_X, `longitude` is Location_Y. */
export interface SimLocationSpec { type: 'location'; latitude?: number; longitude?: number; scale?: number; label?: string }
/** A link message. */
export interface SimLinkSpec { type: 'link'; title?: string; description?: string; url?: string }

/**
 * An event (MsgType=event, no MsgId). `event` is case-sensitive, as WeChat sends it: subscribe,
 * unsubscribe, SCAN, LOCATION, CLICK, VIEW, scancode_push, scancode_waitmsg, pic_sysphoto,
 * pic_photo_or_album, pic_weixin, location_select, TEMPLATESENDJOBFINISH, MASSSENDJOBFINISH, or any other.
 */
export interface SimEventSpec {
  type: 'event';
  event: string;
  /** CLICK key, VIEW url, SCAN scene, `qrscene_<scene>` for a subscribe by QR code, menu key of menu events. */
  eventKey?: string;
  /** QR code ticket (subscribe by QR code, SCAN). */
  ticket?: string;
  /** LOCATION */
  latitude?: number;
  /** LOCATION */
  longitude?: number;
  /** LOCATION */
  precision?: number;
  /** VIEW: the menu id. */
  menuId?: string;
  /** scancode_push / scancode_waitmsg. @default 'qrcode' */
  scanType?: string;
  /** scancode_push / scancode_waitmsg. */
  scanResult?: string;
  /** pic_* events: one MD5 per picture. */
  picMd5Sums?: string[];
  /** location_select */
  location?: { latitude: number; longitude: number; scale?: number; label?: string; poiname?: string };
  /** TEMPLATESENDJOBFINISH / MASSSENDJOBFINISH: `MsgID` (capital D), a 64-bit decimal string. */
  jobMsgId?: string;
  /** TEMPLATESENDJOBFINISH / MASSSENDJOBFINISH status. @default 'success' */
  status?: string;
  /** MASSSENDJOBFINISH counts. */
  totalCount?: number;
  filterCount?: number;
  sentCount?: number;
  errorCount?: number;
}

/** Any simulated push. */
export type SimMessageSpec =
  | SimTextSpec
  | SimImageSpec
  | SimVoiceSpec
  | SimVideoSpec
  | SimLocationSpec
  | SimLinkSpec
  | SimEventSpec;

/** The MsgType values of ordinary (non-event) messages. */
export const MESSAGE_TYPES = ['text', 'image', 'voice', 'video', 'shortvideo', 'location', 'link'] as const;

/** Events the CLI and the defaults know by name (others are sent with just EventKey when given). */
export const KNOWN_EVENTS = [
  'subscribe',
  'unsubscribe',
  'SCAN',
  'LOCATION',
  'CLICK',
  'VIEW',
  'scancode_push',
  'scancode_waitmsg',
  'pic_sysphoto',
  'pic_photo_or_album',
  'pic_weixin',
  'location_select',
  'TEMPLATESENDJOBFINISH',
  'MASSSENDJOBFINISH',
] as const;
