/**
 * Talking to a running service as WeChat does: signed (and encrypted) pushes built with the
 * simulator's own builders, sent over real loopback HTTP, and replies checked with its strict
 * validator. Credentials are the emulator's public sandbox account.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { loadConfig, type AppConfig } from '../../../config/index.js';
import { SANDBOX_APP } from '../../../src/emulator/index.js';
import { buildDelivery, buildMessageXml, newNonce, newSimMsgId, validateReply, type SimMessageSpec } from '../../../src/simulator/index.js';
import type { MessageMode } from '../../../src/webhook/options.js';
import { WechatCipher } from '../../../src/webhook/crypto.js';
import { EXAMPLE_WELCOME_TEXT } from '../../../src/webhook/examples.js';

export const APP = SANDBOX_APP;
export const WEBHOOK_PATH = '/wechat';
export const CIPHER = new WechatCipher(APP.encodingAESKey, APP.appId);

/** Service config on loopback for the sandbox account; `env` adds or overrides variables. */
export function serviceConfig(env: Record<string, string>): AppConfig {
  return loadConfig({
    dotenvPath: false,
    env: {
      NODE_ENV: 'test',
      WECHAT_APP_ID: APP.appId,
      WECHAT_APP_SECRET: APP.secret,
      WECHAT_TOKEN: APP.token,
      WECHAT_ENCODING_AES_KEY: APP.encodingAESKey,
      WECHAT_MESSAGE_MODE: 'compatible',
      TOKEN_STORE: 'memory',
      DEDUPE_STORE: 'memory',
      HOST: '127.0.0.1',
      PORT: '0',
      WEBHOOK_PATH,
      LOG_LEVEL: 'silent',
      ...env,
    },
  });
}

/** One push ready to POST, plus what identifies it. */
export interface Push {
  query: Record<string, string>;
  body: string;
  spec: SimMessageSpec;
  openId: string;
  msgId?: string;
  createTime: number;
  mode: MessageMode;
}

/**
 * Sign (and encrypt) a push. Re-delivering the same message means passing the same `msgId` and
 * `createTime` (timestamp and nonce are fresh each time, as WeChat does).
 */
export function makePush(spec: SimMessageSpec, opts: { mode: MessageMode; openId: string; msgId?: string; createTime?: number; nowMs?: number }): Push {
  const nowMs = opts.nowMs ?? Date.now();
  const createTime = opts.createTime ?? Math.floor(nowMs / 1000);
  const msgId = spec.type === 'event' ? undefined : (opts.msgId ?? newSimMsgId());
  const xml = buildMessageXml(spec, { toUser: APP.accountId, fromUser: opts.openId, createTime, ...(msgId ? { msgId } : {}) });
  const d = buildDelivery({
    xml,
    mode: opts.mode,
    token: APP.token,
    accountId: APP.accountId,
    openId: opts.openId,
    ...(opts.mode === 'plain' ? {} : { cipher: CIPHER }),
    timestamp: String(Math.floor(nowMs / 1000)),
    nonce: newNonce(),
  });
  return { query: d.query, body: d.body, spec, openId: opts.openId, ...(msgId ? { msgId } : {}), createTime, mode: opts.mode };
}

/** A keep-alive agent for a test's traffic (close it in an after-hook). */
export function makeAgent(connections = 16): Agent {
  return new Agent({ connections, keepAliveTimeout: 5000, headersTimeout: 15_000, bodyTimeout: 15_000 });
}

/** An HTTP answer. */
export interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** POST `body` to `baseUrl + path + ?query`. */
export async function send(
  dispatcher: Dispatcher,
  baseUrl: string,
  opts: { method?: string; path?: string; query?: Record<string, string> | string; body?: string | Buffer; headers?: Record<string, string> },
): Promise<Answer> {
  const q = typeof opts.query === 'string' ? opts.query : new URLSearchParams(opts.query ?? {}).toString();
  const t0 = performance.now();
  const res = await request(`${baseUrl}${opts.path ?? WEBHOOK_PATH}${q ? `?${q}` : ''}`, {
    method: (opts.method ?? 'POST') as Dispatcher.HttpMethod,
    dispatcher,
    body: opts.body,
    headers: opts.headers ?? { 'content-type': 'text/xml' },
  });
  const body = await res.body.text();
  return { status: res.statusCode, body, ms: performance.now() - t0 };
}

/** POST a push. */
export function deliver(dispatcher: Dispatcher, baseUrl: string, push: Push): Promise<Answer> {
  return send(dispatcher, baseUrl, { query: push.query, body: push.body });
}

/** What the bundled example handlers answer to `spec` (undefined: `success`). */
export function expectedText(spec: SimMessageSpec): string | undefined {
  if (spec.type === 'text') return spec.content;
  if (spec.type === 'event' && spec.event === 'subscribe') return EXAMPLE_WELCOME_TEXT;
  if (spec.type === 'event' && spec.event === 'CLICK') return spec.eventKey;
  return undefined;
}

/** Why `answer` is not the correct reply to `push` with text `expected` (undefined: it is). */
export function replyProblem(push: Push, answer: Answer, expected: string | undefined, nowMs = Date.now()): string | undefined {
  if (answer.status !== 200) return `HTTP ${answer.status}: ${answer.body.slice(0, 80)}`;
  const trimmed = answer.body.trim();
  if (trimmed === '' || trimmed === 'success') return expected === undefined ? undefined : 'answered success instead of a reply';
  try {
    const r = validateReply(answer.body, {
      openId: push.openId,
      accountId: APP.accountId,
      token: APP.token,
      appId: APP.appId,
      encodingAESKey: APP.encodingAESKey,
      mode: push.mode,
      nowSeconds: Math.floor(nowMs / 1000),
    });
    if (expected === undefined) return `unexpected ${r.msgType} reply`;
    if (r.msgType !== 'text' || r.content !== expected) return `wrong reply ${r.msgType}`;
    if (push.mode !== 'plain' && !r.encrypted) return 'reply to an encrypted push was not encrypted';
    return undefined;
  } catch (err) {
    return `invalid reply: ${(err as Error).message}`;
  }
}

/** GET a JSON-ish endpoint (health, readiness). */
export async function getStatus(dispatcher: Dispatcher, baseUrl: string, path: string): Promise<Answer> {
  return send(dispatcher, baseUrl, { method: 'GET', path, headers: {} });
}

/** Sleep `ms` (traffic pacing only; never used to wait for a condition). */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `check` every `everyMs` until it returns true or `timeoutMs` passes; returns the last result. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await pause(everyMs);
  }
}
