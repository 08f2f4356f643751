/**
 * Drive a webhook as WeChat does: build the push, sign (and encrypt) it, POST it with a timeout,
 * re-deliver the SAME message (same MsgId and CreateTime, fresh timestamp and nonce) on a timeout
 * or connection error up to `attempts` times, treat `success`/empty as "no reply", and validate the reply.
 */
import { performance } from 'node:perf_hooks';
import { Agent, request, type Dispatcher } from 'undici';
import { InvalidOptionError, WechatMpError } from '../errors.js';
import { SANDBOX_APP } from '../emulator/constants.js';
import { WechatCipher } from '../webhook/crypto.js';
import type { MessageMode } from '../webhook/options.js';
import { buildDelivery } from './delivery.js';
import { reportPush, scanEvent } from './emulator-link.js';
import { newNonce, newSimMsgId } from './ids.js';
import type { SimMessageSpec } from './message-spec.js';
import { buildMessageXml } from './message-xml.js';
import { type ParsedReply, validateReply } from './validate-reply.js';

/** WeChat gives up on a webhook after 5 s. */
export const DEFAULT_SIM_TIMEOUT_MS = 5000;
/** WeChat delivers a push at most 3 times (unverified; configurable). */
export const DEFAULT_SIM_ATTEMPTS = 3;
/** Upper bound of `attempts`. */
export const MAX_SIM_ATTEMPTS = 10;
/** Default account id (ToUserName of pushes). */
export const DEFAULT_SIM_ACCOUNT_ID = SANDBOX_APP.accountId;
/** Default OpenID of the simulated user. */
export const DEFAULT_SIM_OPENID = 'oSandboxUser000000000000001';
/** Most of a body kept in an error. */
const MAX_BODY_IN_ERROR = 500;

/** Options of {@link simulate}. */
export interface SimulateOptions {
  /** The webhook URL (http or https), e.g. `http://127.0.0.1:3000/wechat`. */
  url: string;
  /** The webhook Token. */
  token: string;
  /** The AppID (encryption and the AppID check of encrypted replies). */
  appId: string;
  /** The account id sent as ToUserName. @default SANDBOX_APP.accountId ('gh_sandbox000001') */
  accountId?: string;
  /** The user's OpenID sent as FromUserName. @default 'oSandboxUser000000000000001' */
  openId?: string;
  /** Required in compatible and safe modes. */
  encodingAESKey?: string;
  /** @default 'compatible' when `encodingAESKey` is set, else 'plain' (as the service's config) */
  mode?: MessageMode;
  /** Per-attempt timeout in ms (1-60000). @default 5000 */
  timeoutMs?: number;
  /** Deliveries at most (1-10). @default 3 */
  attempts?: number;
  /** Clock in ms (CreateTime, timestamps, the CreateTime check of replies). @default Date.now */
  now?: () => number;
  /** HTTP dispatcher. @default a private undici Agent closed after the call */
  dispatcher?: Dispatcher;
  /** How far a reply's CreateTime may be from now. @default 300 */
  maxSkewSeconds?: number;
  /**
   * Base URL of the local emulator to report each push to before it is delivered, as WeChat knows of
   * the user's action: it opens the 48-hour customer-service window and keeps followers in step.
   * @default none (nothing reported)
   */
  emulatorUrl?: string;
}

/** Outcome of {@link simulate}. */
export interface SimulationResult {
  /** Deliveries made (> 1 after timeouts or connection errors). */
  attempts: number;
  /** HTTP status of the answered delivery. */
  status: number;
  /** null when the reply was `success` or empty. */
  reply: ParsedReply | null;
  rawBody: string;
  /** Of the answered delivery. */
  latencyMs: number;
  /** The MsgId sent (messages only; events have none). */
  msgId?: string;
  /** The plain XML of the push. */
  requestXml: string;
  mode: MessageMode;
}

/** A simulation that failed: invalid reply, HTTP error, or no answer after every attempt. */
export class SimulationError extends WechatMpError {
  /** Deliveries made. */
  readonly attempts: number;
  /** HTTP status, when the webhook answered. */
  readonly status?: number;
  /** The answer (truncated), when the webhook answered. */
  readonly rawBody?: string;

  constructor(message: string, details: { attempts: number; status?: number; rawBody?: string }, options?: { cause?: unknown }) {
    super('WMP_ERR_SIMULATOR', message, options);
    this.name = 'SimulationError';
    this.attempts = details.attempts;
    if (details.status !== undefined) this.status = details.status;
    if (details.rawBody !== undefined) this.rawBody = details.rawBody.slice(0, MAX_BODY_IN_ERROR);
  }
}

interface Resolved {
  url: URL;
  token: string;
  appId: string;
  accountId: string;
  openId: string;
  encodingAESKey: string | undefined;
  mode: MessageMode;
  timeoutMs: number;
  attempts: number;
  now: () => number;
  maxSkewSeconds: number;
}

function resolve(o: SimulateOptions): Resolved {
  if (typeof o !== 'object' || o === null) throw new InvalidOptionError('options', 'an object');
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw new InvalidOptionError('url', 'an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidOptionError('url', 'an absolute http(s) URL');
  if (typeof o.token !== 'string' || o.token.length === 0) throw new InvalidOptionError('token', 'the webhook Token');
  if (typeof o.appId !== 'string' || o.appId.length === 0) throw new InvalidOptionError('appId', 'the AppID');
  const mode = o.mode ?? (o.encodingAESKey ? 'compatible' : 'plain');
  if (!['plain', 'compatible', 'safe'].includes(mode)) throw new InvalidOptionError('mode', 'plain, compatible or safe');
  if (mode !== 'plain' && !o.encodingAESKey) throw new InvalidOptionError('encodingAESKey', `an EncodingAESKey in ${mode} mode`);
  const int = (name: string, v: number | undefined, d: number, min: number, max: number): number => {
    if (v === undefined) return d;
    if (!Number.isInteger(v) || v < min || v > max) throw new InvalidOptionError(name, `an integer from ${min} to ${max}`);
    return v;
  };
  if (o.now !== undefined && typeof o.now !== 'function') throw new InvalidOptionError('now', 'a function returning ms');
  return {
    url,
    token: o.token,
    appId: o.appId,
    accountId: o.accountId ?? DEFAULT_SIM_ACCOUNT_ID,
    openId: o.openId ?? DEFAULT_SIM_OPENID,
    encodingAESKey: o.encodingAESKey,
    mode,
    timeoutMs: int('timeoutMs', o.timeoutMs, DEFAULT_SIM_TIMEOUT_MS, 1, 60_000),
    attempts: int('attempts', o.attempts, DEFAULT_SIM_ATTEMPTS, 1, MAX_SIM_ATTEMPTS),
    now: o.now ?? Date.now,
    maxSkewSeconds: int('maxSkewSeconds', o.maxSkewSeconds, 300, 0, 86_400),
  };
}

type AttemptOutcome =
  | { kind: 'answer'; status: number; body: string; latencyMs: number }
  | { kind: 'retryable'; reason: string; cause: unknown };

async function deliverOnce(
  r: Resolved,
  dispatcher: Dispatcher,
  body: string,
  query: Record<string, string>,
): Promise<AttemptOutcome> {
  const target = new URL(r.url);
  for (const [k, v] of Object.entries(query)) target.searchParams.set(k, v);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), r.timeoutMs);
  const started = performance.now();
  try {
    const res = await request(target, {
      method: 'POST',
      dispatcher,
      body,
      headers: { 'content-type': 'text/xml' },
      signal: controller.signal,
    });
    const text = await res.body.text();
    return { kind: 'answer', status: res.statusCode, body: text, latencyMs: performance.now() - started };
  } catch (err) {
    if (controller.signal.aborted) return { kind: 'retryable', reason: `no answer within ${r.timeoutMs} ms`, cause: err };
    const code = (err as { code?: string }).code;
    return { kind: 'retryable', reason: `connection error${code ? ` ${code}` : ''}: ${(err as Error).message}`, cause: err };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Simulate one push of `spec` to the webhook and validate its reply.
 * @throws {InvalidOptionError} for bad options.
 * @throws {SimulationError} (`WMP_ERR_SIMULATOR`) for an invalid reply, a non-200 answer, or no
 *   answer after every attempt; the reason names the rule that failed.
 */
export async function simulate(spec: SimMessageSpec, options: SimulateOptions): Promise<SimulationResult> {
  const r = resolve(options);
  const cipher = r.encodingAESKey ? new WechatCipher(r.encodingAESKey, r.appId) : undefined;
  const createTime = Math.floor(r.now() / 1000);
  const msgId = spec.type === 'event' ? undefined : newSimMsgId();
  const xml = buildMessageXml(spec, { toUser: r.accountId, fromUser: r.openId, createTime, ...(msgId ? { msgId } : {}) });
  const ownAgent = options.dispatcher ? undefined : new Agent({ keepAliveTimeout: 1000 });
  const dispatcher = options.dispatcher ?? (ownAgent as Agent);
  try {
    if (options.emulatorUrl !== undefined) await reportPush(options.emulatorUrl, r.appId, r.openId, spec.type === 'event' ? spec.event : undefined, dispatcher);
    let last: AttemptOutcome | undefined;
    for (let attempt = 1; attempt <= r.attempts; attempt++) {
      // A re-delivery carries the same message (MsgId, CreateTime) with a fresh timestamp and nonce.
      const delivery = buildDelivery({
        xml,
        mode: r.mode,
        token: r.token,
        accountId: r.accountId,
        openId: r.openId,
        ...(cipher ? { cipher } : {}),
        timestamp: String(Math.floor(r.now() / 1000)),
        nonce: newNonce(),
      });
      last = await deliverOnce(r, dispatcher, delivery.body, delivery.query);
      if (last.kind === 'retryable') continue;
      const base = { attempts: attempt, status: last.status, rawBody: last.body };
      if (last.status !== 200) throw new SimulationError(`the webhook answered HTTP ${last.status}`, base);
      const trimmed = last.body.trim();
      let reply: ParsedReply | null = null;
      if (trimmed !== '' && trimmed !== 'success') {
        try {
          reply = validateReply(last.body, {
            openId: r.openId,
            accountId: r.accountId,
            token: r.token,
            appId: r.appId,
            ...(r.encodingAESKey ? { encodingAESKey: r.encodingAESKey } : {}),
            mode: r.mode,
            nowSeconds: Math.floor(r.now() / 1000),
            maxSkewSeconds: r.maxSkewSeconds,
          });
        } catch (err) {
          throw new SimulationError((err as Error).message, base, { cause: err });
        }
      }
      return {
        attempts: attempt,
        status: last.status,
        reply,
        rawBody: last.body,
        latencyMs: last.latencyMs,
        ...(msgId ? { msgId } : {}),
        requestXml: xml,
        mode: r.mode,
      };
    }
    const reason = last?.kind === 'retryable' ? last.reason : 'no answer';
    throw new SimulationError(`no valid answer after ${r.attempts} attempt${r.attempts === 1 ? '' : 's'} (last: ${reason})`, { attempts: r.attempts }, {
      cause: last?.kind === 'retryable' ? last.cause : undefined,
    });
  } finally {
    await ownAgent?.destroy();
  }
}

/**
 * A user scans a QR code: the emulator (`options.emulatorUrl`, required) says which event WeChat
 * pushes (`SCAN` with the scene for a follower, `subscribe` with `qrscene_<scene>` for anyone else,
 * who then follows), and that event is pushed to the webhook with its Ticket.
 * @throws {InvalidOptionError} without `emulatorUrl`.
 * @throws {SimulationError} as {@link simulate}, or `WMP_ERR_SIMULATOR` for an unknown or expired ticket.
 */
export async function simulateScan(ticket: string, options: SimulateOptions): Promise<SimulationResult> {
  if (options.emulatorUrl === undefined) throw new InvalidOptionError('emulatorUrl', 'the emulator that issued the QR code');
  if (typeof ticket !== 'string' || ticket.length === 0) throw new InvalidOptionError('ticket', 'a QR code ticket');
  const openId = options.openId ?? DEFAULT_SIM_OPENID;
  const agent = options.dispatcher ? undefined : new Agent({ keepAliveTimeout: 1000 });
  let scan;
  try {
    scan = await scanEvent(options.emulatorUrl, ticket, openId, options.dispatcher ?? (agent as Agent));
  } finally {
    await agent?.destroy();
  }
  // The scan itself already told the emulator of the interaction.
  const { emulatorUrl: _reported, ...rest } = options;
  return simulate({ type: 'event', event: scan.event, eventKey: scan.eventKey, ticket: scan.ticket }, rest);
}
