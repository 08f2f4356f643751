/**
 * Everything one emulated account holds beyond its tokens (docs/protocol.md sections 9-11):
 * media, users and tags, templates, QR codes and short keys, conditional menus, the
 * customer-service window fed by the user's pushes, and a log of what the account sent.
 * Tests read it through `emulator.account()`; the simulator feeds it through the control API.
 */
import { randomBytes } from 'node:crypto';
import { CLIENT_MSG_ID_WINDOW_MS, SERVICE_MESSAGES_PER_INTERACTION, SERVICE_WINDOW_MS } from './account-constants.js';
import { MediaStore } from './media-store.js';
import type { ResolvedEmulatorOptions } from './options.js';
import { UserDirectory } from './user-directory.js';

/** A private template of the account. */
export interface TemplateRecord {
  readonly template_id: string;
  readonly title: string;
  readonly primary_industry: string;
  readonly deputy_industry: string;
  readonly content: string;
  readonly example: string;
}

/** The templates every emulated account starts with. */
export const SANDBOX_TEMPLATES: readonly TemplateRecord[] = [
  {
    template_id: 'tmplSandboxOrderShipped0000000000000000000',
    title: '订单发货提醒',
    primary_industry: 'IT科技',
    deputy_industry: '互联网|电子商务',
    content: '{{first.DATA}}\n订单号：{{keyword1.DATA}}\n物流：{{keyword2.DATA}}\n{{remark.DATA}}',
    example: '您的订单已发货\n订单号：1234\n物流：顺丰\n感谢您的支持',
  },
  {
    template_id: 'tmplSandboxWelcome00000000000000000000000',
    title: '欢迎关注',
    primary_industry: 'IT科技',
    deputy_industry: '互联网|电子商务',
    content: '{{first.DATA}}\n来源：{{keyword1.DATA}}\n{{remark.DATA}}',
    example: '欢迎关注\n来源：二维码\n',
  },
];

/** Subscription-notice templates (bizsend) every emulated account starts with. */
export const SANDBOX_SUBSCRIBE_TEMPLATES: readonly string[] = ['subSandboxNotice000000000000000000000000000'];

/** A QR code ticket. */
export interface QrCodeRecord {
  readonly ticket: string;
  readonly actionName: 'QR_SCENE' | 'QR_STR_SCENE' | 'QR_LIMIT_SCENE' | 'QR_LIMIT_STR_SCENE';
  /** scene_id, or scene_str. */
  readonly scene: number | string;
  /** Emulated ms; undefined for a permanent code. */
  readonly expiresAt: number | undefined;
  readonly url: string;
}

/** A conditional menu. */
export interface ConditionalMenu {
  readonly menuid: string;
  readonly button: unknown;
  readonly matchrule: Record<string, unknown>;
}

/** A message the account sent by template/send or subscribe/bizsend. */
export interface OutboundMessage {
  readonly endpoint: '/cgi-bin/message/template/send' | '/cgi-bin/message/subscribe/bizsend';
  readonly body: Record<string, unknown>;
  /** Emulated ms. */
  readonly at: number;
  /** template/send: the 64-bit msgid answered, as a decimal string. */
  readonly msgid?: string;
}

/** What a QR code scan pushes to the webhook. */
export interface ScanPush {
  /** `subscribe` for a user who did not follow, `SCAN` for a follower. */
  readonly event: 'subscribe' | 'SCAN';
  /** `qrscene_<scene>` for subscribe, `<scene>` for SCAN. */
  readonly eventKey: string;
  readonly ticket: string;
}

interface WindowState {
  lastAt: number;
  sentSince: number;
}

/** A QR ticket in WeChat's shape: base64 with `+`, `/` and `=` (so it must be URL-encoded). */
function newTicket(): string {
  return `gQ${Buffer.concat([Buffer.from([0xfb, 0xff]), randomBytes(61)]).toString('base64')}`;
}

/** The data of one emulated account. */
export class AccountData {
  readonly appId: string;
  readonly users: UserDirectory;
  readonly media = new MediaStore();
  readonly templates = new Map<string, TemplateRecord>();
  readonly subscribeTemplates = new Set<string>(SANDBOX_SUBSCRIBE_TEMPLATES);
  readonly qrcodes = new Map<string, QrCodeRecord>();
  readonly shortKeys = new Map<string, { longData: string; createdAt: number; expiresAt: number }>();
  readonly conditionalMenus: ConditionalMenu[] = [];
  /** template/send and bizsend messages, oldest first. */
  readonly sent: OutboundMessage[] = [];
  /** client_msg_id -> msgid and when, for template/send's dedupe. */
  readonly clientMsgIds = new Map<string, { msgid: string; at: number }>();
  readonly #window = new Map<string, WindowState>();
  readonly #options: ResolvedEmulatorOptions;
  #nextMenuId = 400_000_000;

  constructor(appId: string, options: ResolvedEmulatorOptions, now: number) {
    this.appId = appId;
    this.#options = options;
    this.users = new UserDirectory(options.followers, Math.floor(now / 1000));
    for (const t of SANDBOX_TEMPLATES) this.templates.set(t.template_id, t);
  }

  /**
   * A push from `openid` reached the account (what WeChat sees when the user acts): `event` is the
   * push's Event (subscribe, unsubscribe, CLICK...) or undefined for a message. Opens the 48-hour
   * customer-service window (not for unsubscribe) and follows or unfollows on those events.
   */
  recordPush(openid: string, event: string | undefined, now: number): void {
    if (event === 'unsubscribe') {
      this.users.unsubscribe(openid);
      this.#window.delete(openid);
      return;
    }
    const u = this.users.get(openid);
    if (!u?.subscribed) this.users.subscribe(openid, Math.floor(now / 1000), 'ADD_SCENE_OTHERS');
    this.#window.set(openid, { lastAt: now, sentSince: 0 });
  }

  /** The errcode custom/send or typing answers for `openid` now (0: allowed). Counts a sent message when `count`. */
  serviceWindow(openid: string, now: number, count: boolean): number {
    if (!this.#options.customServiceWindow) return 0;
    const w = this.#window.get(openid);
    if (!w || now - w.lastAt > SERVICE_WINDOW_MS || !this.users.get(openid)?.subscribed) return 45015;
    if (w.sentSince >= SERVICE_MESSAGES_PER_INTERACTION) return 45047;
    if (count) w.sentSince += 1;
    return 0;
  }

  /** Keep a QR code. */
  addQrCode(actionName: QrCodeRecord['actionName'], scene: number | string, expiresAt: number | undefined): QrCodeRecord {
    const ticket = newTicket();
    const rec: QrCodeRecord = { ticket, actionName, scene, expiresAt, url: `http://weixin.qq.com/q/${randomBytes(16).toString('base64url')}` };
    this.qrcodes.set(ticket, rec);
    return rec;
  }

  /** A QR code still valid at `now`. */
  qrCode(ticket: string, now: number): QrCodeRecord | undefined {
    const q = this.qrcodes.get(ticket);
    if (!q) return undefined;
    if (q.expiresAt !== undefined && now >= q.expiresAt) return undefined;
    return q;
  }

  /**
   * `openid` scans the code of `ticket`: a follower gets SCAN, anyone else follows and gets subscribe
   * with `qrscene_`. undefined when the ticket is unknown or expired (nothing is pushed then).
   */
  scan(ticket: string, openid: string, now: number): ScanPush | undefined {
    const q = this.qrCode(ticket, now);
    if (!q) return undefined;
    const scene = String(q.scene);
    const wasFollower = this.users.get(openid)?.subscribed === true;
    if (!wasFollower) {
      this.users.subscribe(openid, Math.floor(now / 1000), 'ADD_SCENE_QR_CODE', {
        scene: typeof q.scene === 'number' ? q.scene : 0,
        sceneStr: typeof q.scene === 'string' ? q.scene : '',
      });
    }
    this.#window.set(openid, { lastAt: now, sentSince: 0 });
    return wasFollower ? { event: 'SCAN', eventKey: scene, ticket } : { event: 'subscribe', eventKey: `qrscene_${scene}`, ticket };
  }

  /** A new conditional menu id (a decimal string, as WeChat answers it). */
  newMenuId(): string {
    return String(this.#nextMenuId++);
  }

  /** A remembered client_msg_id of `openid` within its 10-minute window. */
  dedupe(openid: string, clientMsgId: string, now: number): string | undefined {
    const hit = this.clientMsgIds.get(`${openid}\n${clientMsgId}`);
    return hit && now - hit.at < CLIENT_MSG_ID_WINDOW_MS ? hit.msgid : undefined;
  }

  remember(openid: string, clientMsgId: string, msgid: string, now: number): void {
    this.clientMsgIds.set(`${openid}\n${clientMsgId}`, { msgid, at: now });
  }
}
