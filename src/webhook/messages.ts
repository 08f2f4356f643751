/**
 * Typed inbound messages and events (docs/protocol.md section 4).
 *
 * Field names are WeChat's own, so a reader can match them against the official docs. Ids (MsgId,
 * MsgID, MsgDataId) stay exact strings because they exceed 2^53; times and coordinates are numbers.
 * `kind` is the discriminant: the message type, `event` for known events (narrow further on `Event`),
 * and `unknown` / `unknown_event` for types this version does not know, which are still delivered.
 */

/** A value as parsed from the XML: text, a nested element, or repeated elements. */
export type XmlValue = string | XmlRecord | XmlValue[];
/** A parsed XML element's children by name. */
export interface XmlRecord {
  [name: string]: XmlValue;
}

/** Fields every message and event carries. */
export interface MessageBase {
  /** The account's original id (`gh_...`). */
  readonly ToUserName: string;
  /** The sender's OpenID. */
  readonly FromUserName: string;
  /** Seconds since the epoch. */
  readonly CreateTime: number;
  /** Every field as parsed, including ones this type does not name. */
  readonly raw: Readonly<XmlRecord>;
}

/** Fields of user messages (not events). */
export interface UserMessageBase extends MessageBase {
  /** 64-bit message id, as an exact string. */
  readonly MsgId: string;
  /** Set when the message came from an article (图文). */
  readonly MsgDataId?: string;
  /** Index of the article within a multi-article message. */
  readonly Idx?: number;
}

/** A text message. */
export interface TextMessage extends UserMessageBase {
  readonly kind: 'text';
  readonly MsgType: 'text';
  readonly Content: string;
}
/** An image message; `PicUrl` is a temporary link, `MediaId` fetches the file. */
export interface ImageMessage extends UserMessageBase {
  readonly kind: 'image';
  readonly MsgType: 'image';
  readonly PicUrl: string;
  readonly MediaId: string;
}
/** A voice message. */
export interface VoiceMessage extends UserMessageBase {
  readonly kind: 'voice';
  readonly MsgType: 'voice';
  readonly MediaId: string;
  readonly Format: string;
  /** Speech recognition result, when enabled for the account. */
  readonly Recognition?: string;
  readonly MediaId16K?: string;
}
/** A video message. */
export interface VideoMessage extends UserMessageBase {
  readonly kind: 'video';
  readonly MsgType: 'video';
  readonly MediaId: string;
  readonly ThumbMediaId: string;
}
/** A short-video message. */
export interface ShortVideoMessage extends UserMessageBase {
  readonly kind: 'shortvideo';
  readonly MsgType: 'shortvideo';
  readonly MediaId: string;
  readonly ThumbMediaId: string;
}
/** A location shared by the user. */
export interface LocationMessage extends UserMessageBase {
  readonly kind: 'location';
  readonly MsgType: 'location';
  /** Latitude. */
  readonly Location_X: number;
  /** Longitude. */
  readonly Location_Y: number;
  readonly Scale: number;
  readonly Label: string;
}
/** A link shared by the user. */
export interface LinkMessage extends UserMessageBase {
  readonly kind: 'link';
  readonly MsgType: 'link';
  readonly Title: string;
  readonly Description: string;
  readonly Url: string;
}
/** A message whose MsgType this version does not know; delivered, never dropped. */
export interface UnknownMessage extends MessageBase {
  readonly kind: 'unknown';
  readonly MsgType: string;
  readonly MsgId?: string;
}

/** Fields of every event. */
export interface EventBase extends MessageBase {
  readonly kind: 'event';
  readonly MsgType: 'event';
}
/** Follow; from a parametric QR code `EventKey` is `qrscene_<scene>` and `Ticket` is set. */
export interface SubscribeEvent extends EventBase {
  readonly Event: 'subscribe';
  readonly EventKey?: string;
  readonly Ticket?: string;
}
/** Unfollow. */
export interface UnsubscribeEvent extends EventBase {
  readonly Event: 'unsubscribe';
}
/** A follower scanned a parametric QR code. */
export interface ScanEvent extends EventBase {
  readonly Event: 'SCAN';
  readonly EventKey: string;
  readonly Ticket?: string;
}
/** Reported location. */
export interface LocationEvent extends EventBase {
  readonly Event: 'LOCATION';
  readonly Latitude: number;
  readonly Longitude: number;
  readonly Precision: number;
}
/** A menu button of type click; `EventKey` is its key. */
export interface ClickEvent extends EventBase {
  readonly Event: 'CLICK';
  readonly EventKey: string;
}
/** A menu link was opened; `EventKey` is the URL. */
export interface ViewEvent extends EventBase {
  readonly Event: 'VIEW';
  readonly EventKey: string;
  readonly MenuId?: string;
}
/** What a scancode menu button scanned. */
export interface ScanCodeInfo {
  readonly ScanType: string;
  readonly ScanResult: string;
}
/** A scancode menu button was used. */
export interface ScanCodeEvent extends EventBase {
  readonly Event: 'scancode_push' | 'scancode_waitmsg';
  readonly EventKey: string;
  readonly ScanCodeInfo: ScanCodeInfo;
}
/** The pictures a picture menu button sent. */
export interface SendPicsInfo {
  readonly Count: number;
  readonly PicList: ReadonlyArray<{ readonly PicMd5Sum: string }>;
}
/** A picture menu button (camera, album, or either) was used. */
export interface PicEvent extends EventBase {
  readonly Event: 'pic_sysphoto' | 'pic_photo_or_album' | 'pic_weixin';
  readonly EventKey: string;
  readonly SendPicsInfo: SendPicsInfo;
}
/** The location a location_select menu button sent. */
export interface SendLocationInfo {
  readonly Location_X: number;
  readonly Location_Y: number;
  readonly Scale: number;
  readonly Label: string;
  readonly Poiname?: string;
}
/** A location_select menu button was used. */
export interface LocationSelectEvent extends EventBase {
  readonly Event: 'location_select';
  readonly EventKey: string;
  readonly SendLocationInfo: SendLocationInfo;
}
/** A template message was delivered or failed; note `MsgID` with a capital D. */
export interface TemplateSendJobFinishEvent extends EventBase {
  readonly Event: 'TEMPLATESENDJOBFINISH';
  readonly MsgID: string;
  /** `success`, `failed:user block`, `failed: system failed`. */
  readonly Status: string;
}
/** A mass-send job finished. */
export interface MassSendJobFinishEvent extends EventBase {
  readonly Event: 'MASSSENDJOBFINISH';
  readonly MsgID: string;
  readonly Status: string;
  readonly TotalCount: number;
  readonly FilterCount: number;
  readonly SentCount: number;
  readonly ErrorCount: number;
}
/** An event whose `Event` this version does not know; delivered, never dropped. */
export interface UnknownEvent extends MessageBase {
  readonly kind: 'unknown_event';
  readonly MsgType: 'event';
  readonly Event: string;
  readonly EventKey?: string;
}

/** Every known event. */
export type WechatEvent =
  | SubscribeEvent
  | UnsubscribeEvent
  | ScanEvent
  | LocationEvent
  | ClickEvent
  | ViewEvent
  | ScanCodeEvent
  | PicEvent
  | LocationSelectEvent
  | TemplateSendJobFinishEvent
  | MassSendJobFinishEvent;

/** Every inbound message or event. Narrow on `kind`, then on `Event` for events. */
export type WechatMessage =
  | TextMessage
  | ImageMessage
  | VoiceMessage
  | VideoMessage
  | ShortVideoMessage
  | LocationMessage
  | LinkMessage
  | UnknownMessage
  | WechatEvent
  | UnknownEvent;

/** Message types by `MsgType`. */
export interface MessagesByType {
  text: TextMessage;
  image: ImageMessage;
  voice: VoiceMessage;
  video: VideoMessage;
  shortvideo: ShortVideoMessage;
  location: LocationMessage;
  link: LinkMessage;
}

/** Events by `Event`. */
export interface EventsByName {
  subscribe: SubscribeEvent;
  unsubscribe: UnsubscribeEvent;
  SCAN: ScanEvent;
  LOCATION: LocationEvent;
  CLICK: ClickEvent;
  VIEW: ViewEvent;
  scancode_push: ScanCodeEvent;
  scancode_waitmsg: ScanCodeEvent;
  pic_sysphoto: PicEvent;
  pic_photo_or_album: PicEvent;
  pic_weixin: PicEvent;
  location_select: LocationSelectEvent;
  TEMPLATESENDJOBFINISH: TemplateSendJobFinishEvent;
  MASSSENDJOBFINISH: MassSendJobFinishEvent;
}

/** Every `MsgType` this version types, at run time (the keys of {@link MessagesByType}). */
export const MESSAGE_TYPES: readonly (keyof MessagesByType)[] = Object.keys({
  text: true, image: true, voice: true, video: true, shortvideo: true, location: true, link: true,
} satisfies Record<keyof MessagesByType, true>) as (keyof MessagesByType)[];

/** Every `Event` this version types, at run time (the keys of {@link EventsByName}). */
export const EVENT_NAMES: readonly (keyof EventsByName)[] = Object.keys({
  subscribe: true, unsubscribe: true, SCAN: true, LOCATION: true, CLICK: true, VIEW: true,
  scancode_push: true, scancode_waitmsg: true, pic_sysphoto: true, pic_photo_or_album: true, pic_weixin: true,
  location_select: true, TEMPLATESENDJOBFINISH: true, MASSSENDJOBFINISH: true,
} satisfies Record<keyof EventsByName, true>) as (keyof EventsByName)[];

/** True for events (known or not). */
export function isEvent(message: WechatMessage): message is WechatEvent | UnknownEvent {
  return message.kind === 'event' || message.kind === 'unknown_event';
}

/** The message's id: MsgId for messages, MsgID for job-finish events, else undefined. */
export function messageId(message: WechatMessage): string | undefined {
  if ('MsgId' in message) return message.MsgId;
  if ('MsgID' in message) return message.MsgID;
  return undefined;
}
