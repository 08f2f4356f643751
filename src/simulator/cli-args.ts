/**
 * The CLI's words -> a message spec, and the environment -> simulate options. Pure functions, so
 * the CLI's behaviour is testable without spawning it.
 */
import { InvalidOptionError } from '../errors.js';
import { SANDBOX_APP } from '../emulator/constants.js';
import type { MessageMode } from '../webhook/options.js';
import type { SimMessageSpec } from './message-spec.js';
import type { SimulateOptions } from './simulate.js';

/** Usage text of the simulator, printed by `--help`. */
export const SIMULATE_USAGE = `usage: wechat-simulate [options] <message>     (in a clone: npm run simulate -- [options] <message>)
messages:
  text <words...>                 image | voice [recognition] | video | shortvideo
  location [lat lng [label]]      link [url]
  event subscribe [qrscene_<scene>]   event unsubscribe
  event CLICK <key>               event VIEW <url>
  event SCAN [scene]              event LOCATION [lat lng [precision]]
  event scancode_push|scancode_waitmsg [key [result]]
  event pic_sysphoto|pic_photo_or_album|pic_weixin [key [md5...]]
  event location_select [key]     event TEMPLATESENDJOBFINISH [status]
  event MASSSENDJOBFINISH         event <OtherEvent> [key]
options:
  --url <url>        webhook URL (default http://127.0.0.1:$PORT$WEBHOOK_PATH, i.e. :3000/wechat)
  --mode <mode>      plain | compatible | safe (default WECHAT_MESSAGE_MODE, else compatible with an AES key, else plain)
  --sandbox          use the sandbox account (token, AppID, EncodingAESKey, account id) instead of the environment
  --openid <id>      the user's OpenID        --account <gh_id>   the account id (ToUserName)
  --timeout <ms>     per attempt (default 5000)  --attempts <n>   deliveries at most (default 3)
  --env-file <path>  read this file instead of ./.env   --json   print the result as JSON
environment (or .env): WECHAT_TOKEN, WECHAT_APP_ID, WECHAT_ENCODING_AES_KEY, WECHAT_MESSAGE_MODE, PORT, WEBHOOK_PATH`;

/** The line the CLI prints under a usage mistake instead of the whole usage. */
export const SIMULATE_HELP_HINT = 'Run with --help for the messages and options.';

/**
 * A mistake in the simulator's words or settings. Its message is one plain sentence (what is wrong
 * and what to type instead), so the CLI prints it as is; `option` names the word or variable.
 */
export class SimulateUsageError extends InvalidOptionError {
  constructor(option: string, sentence: string) {
    super(option, sentence);
    this.name = 'SimulateUsageError';
    this.message = sentence;
  }
}

const usage = (sentence: string): never => {
  throw new SimulateUsageError('message', sentence);
};

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) usage(`the ${name} must be a number, not "${v}"`);
  return n;
}

/**
 * `['text', 'hello', 'world']` -> `{ type: 'text', content: 'hello world' }`, and so on.
 * @throws {SimulateUsageError} saying what is wrong in plain words.
 */
export function parseMessageArgs(words: readonly string[]): SimMessageSpec {
  const [kind, ...rest] = words;
  switch (kind) {
    case undefined:
      return usage('nothing to send: name a message, for example: text "hello"');
    case 'text':
      if (rest.length === 0) usage('a text message needs its words, for example: text "hello"');
      return { type: 'text', content: rest.join(' ') };
    case 'image':
      return { type: 'image' };
    case 'voice':
      return rest.length ? { type: 'voice', recognition: rest.join(' ') } : { type: 'voice' };
    case 'video':
    case 'shortvideo':
      return { type: kind };
    case 'location': {
      const [lat, lng, ...label] = rest;
      return {
        type: 'location',
        ...(lat !== undefined ? { latitude: num(lat, 'latitude') as number } : {}),
        ...(lng !== undefined ? { longitude: num(lng, 'longitude') as number } : {}),
        ...(label.length ? { label: label.join(' ') } : {}),
      };
    }
    case 'link':
      return rest[0] ? { type: 'link', url: rest[0] } : { type: 'link' };
    case 'event':
      return parseEventArgs(rest);
    default:
      return usage(
        `the simulator does not know the message "${kind}"; send one of text, image, voice, video, shortvideo, location, link or event`,
      );
  }
}

function parseEventArgs(words: readonly string[]): SimMessageSpec {
  const [event, a, b, ...more] = words;
  if (!event) return usage('an event needs its name, for example: event subscribe');
  switch (event) {
    case 'subscribe':
      return a ? { type: 'event', event, eventKey: a.startsWith('qrscene_') ? a : `qrscene_${a}` } : { type: 'event', event };
    case 'unsubscribe':
      return { type: 'event', event };
    case 'CLICK':
      if (!a) usage('a CLICK event needs the menu key, for example: event CLICK V1001_TODAY_MUSIC');
      return { type: 'event', event, eventKey: a as string };
    case 'VIEW':
      if (!a) usage('a VIEW event needs the page URL, for example: event VIEW https://www.qq.com/');
      return { type: 'event', event, eventKey: a as string };
    case 'SCAN':
      return a ? { type: 'event', event, eventKey: a } : { type: 'event', event };
    case 'LOCATION':
      return {
        type: 'event',
        event,
        ...(a !== undefined ? { latitude: num(a, 'latitude') as number } : {}),
        ...(b !== undefined ? { longitude: num(b, 'longitude') as number } : {}),
        ...(more[0] !== undefined ? { precision: num(more[0], 'precision') as number } : {}),
      };
    case 'scancode_push':
    case 'scancode_waitmsg':
      return { type: 'event', event, ...(a ? { eventKey: a } : {}), ...(b ? { scanResult: b } : {}) };
    case 'pic_sysphoto':
    case 'pic_photo_or_album':
    case 'pic_weixin':
      return { type: 'event', event, ...(a ? { eventKey: a } : {}), ...(b ? { picMd5Sums: [b, ...more] } : {}) };
    case 'TEMPLATESENDJOBFINISH':
      return { type: 'event', event, ...(a ? { status: [a, b, ...more].filter(Boolean).join(' ') } : {}) };
    default:
      return { type: 'event', event, ...(a ? { eventKey: a } : {}) };
  }
}

/** CLI flags that shape the options. */
export interface SimulateFlags {
  url?: string;
  mode?: string;
  sandbox?: boolean;
  openid?: string;
  account?: string;
  timeout?: string;
  attempts?: string;
}

/** Default webhook port and path when neither --url nor PORT/WEBHOOK_PATH say otherwise. */
export const DEFAULT_SIM_PORT = 3000;
export const DEFAULT_SIM_PATH = '/wechat';

/**
 * Simulate options from flags and an environment (process.env over the parsed .env file). Only the
 * variables the simulator needs are read; the full service configuration is not required.
 * @throws {SimulateUsageError} naming the missing variable or bad flag, in plain words.
 */
export function resolveSimulateOptions(flags: SimulateFlags, env: Readonly<Record<string, string | undefined>>): SimulateOptions {
  const pick = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  let url = flags.url;
  if (url === undefined) {
    const port = pick('PORT') ?? String(DEFAULT_SIM_PORT);
    if (!/^\d+$/.test(port) || Number(port) === 0) {
      throw new SimulateUsageError('--url', `PORT is "${port}", so the webhook URL is unknown: pass it with --url http://127.0.0.1:3000/wechat`);
    }
    url = `http://127.0.0.1:${port}${pick('WEBHOOK_PATH') ?? DEFAULT_SIM_PATH}`;
  }
  const modeText = flags.mode ?? pick('WECHAT_MESSAGE_MODE');
  if (modeText !== undefined && !['plain', 'compatible', 'safe'].includes(modeText)) {
    const name = flags.mode !== undefined ? '--mode' : 'WECHAT_MESSAGE_MODE';
    throw new SimulateUsageError(name, `${name} is "${modeText}"; it must be plain, compatible or safe`);
  }
  const mode = modeText as MessageMode | undefined;
  const ints = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new SimulateUsageError(name, `${name} takes a whole number, not "${v}"`);
    return Number(v);
  };
  const timeoutMs = ints('--timeout', flags.timeout);
  const attempts = ints('--attempts', flags.attempts);
  const common = {
    url,
    ...(mode ? { mode } : {}),
    ...(flags.openid ? { openId: flags.openid } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(attempts !== undefined ? { attempts } : {}),
  };
  if (flags.sandbox) {
    return {
      ...common,
      token: SANDBOX_APP.token,
      appId: SANDBOX_APP.appId,
      encodingAESKey: SANDBOX_APP.encodingAESKey,
      accountId: flags.account ?? SANDBOX_APP.accountId,
    };
  }
  const token = pick('WECHAT_TOKEN');
  if (!token) {
    throw new SimulateUsageError(
      'WECHAT_TOKEN',
      'WECHAT_TOKEN is not set: put the webhook Token in the environment or in ./.env (or pass --env-file FILE), or try the sandbox account with --sandbox',
    );
  }
  const aesKey = pick('WECHAT_ENCODING_AES_KEY');
  const appId = pick('WECHAT_APP_ID');
  const effective = mode ?? (aesKey ? 'compatible' : 'plain');
  if (effective !== 'plain' && !aesKey) {
    throw new SimulateUsageError('WECHAT_ENCODING_AES_KEY', `${effective} mode encrypts, so it needs WECHAT_ENCODING_AES_KEY; set it, or pass --mode plain`);
  }
  if (effective !== 'plain' && !appId) {
    throw new SimulateUsageError('WECHAT_APP_ID', `${effective} mode encrypts for one AppID, so it needs WECHAT_APP_ID; set it, or pass --mode plain`);
  }
  return {
    ...common,
    token,
    // The AppID only matters to encryption; plain mode runs without one.
    appId: appId ?? 'wx-unset',
    ...(aesKey ? { encodingAESKey: aesKey } : {}),
    ...(flags.account ? { accountId: flags.account } : {}),
  };
}
