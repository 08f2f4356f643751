/**
 * One process of the stampede benchmark (bench/stampede.ts starts K of them). Line protocol on
 * stdin/stdout, one JSON object per line:
 *   -> {"ready":true}                       once the client is built and MongoDB is connected
 *   <- {"go":true,"offsetMs":N}             fire M concurrent token requests with the clock moved N ms ahead
 *   -> {"done":true,"ok":n,"errors":[...],"tokens":[...distinct]}
 *   <- {"exit":true}
 *
 * argv: contender ('ours-stable' | 'ours-classic' | 'co-wechat-api'), MongoDB URI, emulator URL,
 * appid, secret, M.
 *
 * The clock offset is how a process reaches "token expiry" without waiting two hours: the emulator's
 * clock is advanced by the parent, and each worker moves its own clock by the same amount (ours
 * through the injected `now`, co-wechat-api, which reads `Date.now()` directly, by replacing it).
 */
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import mongoose from 'mongoose';
import { Wechat } from '../src/wechat/client.js';
import { MongoTokenStore } from '../src/token/mongo-token-store.js';

const [contender, mongoUri, emulatorUrl, appId, secret, mArg] = process.argv.slice(2);
if (!contender || !mongoUri || !emulatorUrl || !appId || !secret || !mArg) {
  console.error('usage: stampede-worker <contender> <mongoUri> <emulatorUrl> <appid> <secret> <M>');
  process.exit(2);
}
const M = Number(mArg);
let offsetMs = 0;
const realNow = Date.now.bind(Date);

/** co-wechat-api's token object, as its getToken/saveToken see it. */
interface CoToken {
  accessToken: string;
  expireTime: number;
}
interface CoWechatApi {
  prefix: string;
  ensureAccessToken(): Promise<CoToken>;
}
type CoWechatApiCtor = new (
  appid: string,
  secret: string,
  getToken: () => Promise<CoToken | null>,
  saveToken: (token: CoToken | null) => Promise<void>,
) => CoWechatApi;

const connection = await mongoose.createConnection(mongoUri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
let getToken: () => Promise<string>;
let close: () => Promise<void>;

if (contender === 'co-wechat-api') {
  // The README's multi-process pattern: getToken/saveToken on a shared database, here the same
  // `tokens` collection our MongoTokenStore uses (the parent empties it between contenders).
  const CoToken = connection.model(
    'CoWechatToken',
    new mongoose.Schema({ appid: String, accessToken: String, expireTime: Number }, { collection: 'tokens', versionKey: false, strict: false }),
  );
  Date.now = () => realNow() + offsetMs;
  const require = createRequire(import.meta.url);
  const API = require('co-wechat-api') as CoWechatApiCtor;
  const api = new API(
    appId,
    secret,
    async () => {
      const doc = await CoToken.findOne({ appid: appId }).lean<{ accessToken?: string; expireTime?: number }>();
      return doc?.accessToken ? { accessToken: doc.accessToken, expireTime: doc.expireTime ?? 0 } : null;
    },
    async (token) => {
      if (token === null) await CoToken.deleteOne({ appid: appId });
      else await CoToken.updateOne({ appid: appId }, { $set: { accessToken: token.accessToken, expireTime: token.expireTime } }, { upsert: true });
    },
  );
  api.prefix = `${emulatorUrl}/cgi-bin/`;
  getToken = async () => (await api.ensureAccessToken()).accessToken;
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
  getToken = async () => (await wechat.fetchAccessToken()).access_token;
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
  const results = await Promise.allSettled(Array.from({ length: M }, () => getToken()));
  const tokens = new Set<string>();
  const errors: string[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') tokens.add(r.value);
    else errors.push(String((r.reason as { code?: unknown })?.code ?? (r.reason as Error)?.name ?? 'error'));
  }
  send({ done: true, ok: M - errors.length, errors, tokens: [...tokens] });
}
await close();
await connection.close();
process.exit(0);
