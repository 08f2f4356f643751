/**
 * One process of the stampede benchmarks (bench/support/stampede.ts starts K of them). Line protocol
 * on stdin/stdout, one JSON object per line:
 *   -> {"ready":true}                       once the client is built and MongoDB is connected
 *   <- {"go":true,"offsetMs":N}             fire M concurrent calls with the clock moved N ms ahead
 *   -> {"done":true,"ok":n,"errors":[...],"values":[...distinct]}
 *   <- {"exit":true}
 *
 * argv: target ('token': an access_token; 'jssdk': a `wx.config` of PAGE_URL, which needs the jsapi
 * ticket), contender ('ours-stable' | 'ours-classic' | 'co-wechat-api'), MongoDB URI, emulator URL,
 * appid, secret, M. A jssdk value is the config's `{timestamp, nonceStr, signature}` as JSON.
 *
 * The clock offset is how a process reaches "expiry" without waiting two hours: the emulator's clock
 * is advanced by the parent, and each worker moves its own clock by the same amount (ours through the
 * injected `now`; co-wechat-api, which reads `Date.now()` for tokens and `new Date()` for tickets, by
 * a global `Date` whose clock is moved).
 */
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import mongoose from 'mongoose';
import { Wechat } from '../src/wechat/client.js';
import { MongoTokenStore } from '../src/token/mongo-token-store.js';
import { JS_API_LIST, PAGE_URL } from './support/stampede.js';

const [target, contender, mongoUri, emulatorUrl, appId, secret, mArg] = process.argv.slice(2);
if ((target !== 'token' && target !== 'jssdk') || !contender || !mongoUri || !emulatorUrl || !appId || !secret || !mArg) {
  console.error('usage: stampede-worker <token|jssdk> <contender> <mongoUri> <emulatorUrl> <appid> <secret> <M>');
  process.exit(2);
}
const M = Number(mArg);
let offsetMs = 0;
const realNow = Date.now.bind(Date);

/** Replace the global `Date` by one whose current time is moved by `offsetMs` (dates of other origins still pass `instanceof Date`). */
function moveGlobalClock(): void {
  const RealDate = Date;
  class MovedDate extends RealDate {
    constructor(...args: unknown[]) {
      super(...((args.length === 0 ? [realNow() + offsetMs] : args) as [number]));
    }
    static override now(): number {
      return realNow() + offsetMs;
    }
    static override [Symbol.hasInstance](x: unknown): boolean {
      return x instanceof RealDate;
    }
  }
  globalThis.Date = MovedDate as DateConstructor;
}

/** co-wechat-api's token object, as its getToken/saveToken see it; its ticket object likewise. */
interface CoToken {
  accessToken: string;
  expireTime: number;
}
interface CoTicket {
  ticket: string;
  expireTime: number;
}
interface CoWechatApi {
  prefix: string;
  ensureAccessToken(): Promise<CoToken>;
  registerTicketHandle(get: (type: string) => Promise<CoTicket | null>, save: (type: string, ticket: CoTicket) => Promise<void>): void;
  getJsConfig(param: { debug: boolean; jsApiList: readonly string[]; url: string }): Promise<{ timestamp: string; nonceStr: string; signature: string }>;
}
type CoWechatApiCtor = new (
  appid: string,
  secret: string,
  getToken: () => Promise<CoToken | null>,
  saveToken: (token: CoToken | null) => Promise<void>,
) => CoWechatApi;

const connection = await mongoose.createConnection(mongoUri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
let call: () => Promise<string>;
let close: () => Promise<void>;
const configValue = (c: { timestamp: number | string; nonceStr: string; signature: string }) =>
  JSON.stringify({ timestamp: String(c.timestamp), nonceStr: c.nonceStr, signature: c.signature });

if (contender === 'co-wechat-api') {
  // The README's multi-process pattern: getToken/saveToken on a shared database, here the same
  // `tokens` collection our MongoTokenStore uses (the parent empties it between contenders).
  const CoTokenDoc = connection.model(
    'CoWechatToken',
    new mongoose.Schema({ appid: String, accessToken: String, expireTime: Number }, { collection: 'tokens', versionKey: false, strict: false }),
  );
  moveGlobalClock();
  const require = createRequire(import.meta.url);
  const API = require('co-wechat-api') as CoWechatApiCtor;
  const api = new API(
    appId,
    secret,
    async () => {
      const doc = await CoTokenDoc.findOne({ appid: appId }).lean<{ accessToken?: string; expireTime?: number }>();
      return doc?.accessToken ? { accessToken: doc.accessToken, expireTime: doc.expireTime ?? 0 } : null;
    },
    async (token) => {
      if (token === null) await CoTokenDoc.deleteOne({ appid: appId });
      else await CoTokenDoc.updateOne({ appid: appId }, { $set: { accessToken: token.accessToken, expireTime: token.expireTime } }, { upsert: true });
    },
  );
  api.prefix = `${emulatorUrl}/cgi-bin/`;
  if (target === 'jssdk') {
    // registerTicketHandle(getTicketToken, saveTicketToken), as its api_js.js documents for several
    // servers: the ticket object of each type in a shared `tickets` collection.
    const CoTicketDoc = connection.model(
      'CoWechatTicket',
      new mongoose.Schema({ appid: String, type: String, ticket: String, expireTime: Number }, { collection: 'tickets', versionKey: false }),
    );
    api.registerTicketHandle(
      async (type) => {
        const doc = await CoTicketDoc.findOne({ appid: appId, type }).lean<{ ticket?: string; expireTime?: number }>();
        return doc?.ticket ? { ticket: doc.ticket, expireTime: doc.expireTime ?? 0 } : null;
      },
      async (type, t) => {
        await CoTicketDoc.updateOne({ appid: appId, type }, { $set: { ticket: t.ticket, expireTime: t.expireTime } }, { upsert: true });
      },
    );
    call = async () => configValue(await api.getJsConfig({ debug: false, jsApiList: JS_API_LIST, url: PAGE_URL }));
  } else {
    call = async () => (await api.ensureAccessToken()).accessToken;
  }
  close = async () => {};
} else {
  const wechat = new Wechat({
    appId,
    appSecret: secret,
    apiBase: emulatorUrl,
    tokenMode: contender === 'ours-classic' ? 'classic' : 'stable',
    store: new MongoTokenStore(connection),
    now: () => realNow() + offsetMs,
  });
  // No start(): callers alone drive refreshes here, as they do in the co-wechat-api rows.
  call =
    target === 'jssdk'
      ? async () => configValue(await wechat.jssdk.config({ url: PAGE_URL, jsApiList: JS_API_LIST }))
      : async () => (await wechat.fetchAccessToken()).access_token;
  close = () => wechat.close();
}

const send = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
send({ ready: true });

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  const msg = JSON.parse(line) as { go?: boolean; offsetMs?: number; exit?: boolean };
  if (msg.exit) break;
  if (!msg.go) continue;
  offsetMs = msg.offsetMs ?? 0;
  const results = await Promise.allSettled(Array.from({ length: M }, () => call()));
  const values = new Set<string>();
  const errors: string[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') values.add(r.value);
    else errors.push(String((r.reason as { code?: unknown })?.code ?? (r.reason as Error)?.name ?? 'error'));
  }
  send({ done: true, ok: M - errors.length, errors, values: [...values] });
}
await close();
await connection.close();
process.exit(0);
