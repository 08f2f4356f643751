/**
 * Hot path of the JS-SDK: `wechat.jssdk.config()` with the jsapi ticket cached, calls per second in one
 * process (one SHA-1 and a nonce per call, no I/O), against the tutorial design that reads the ticket
 * document from MongoDB on every call (a Mongoose `findOne`, then the same signature), on the same
 * database in the same run. Target: >= 100,000 calls/s.
 *
 *   node --import tsx bench/jssdk-hot-path.ts      (BENCH_SECONDS=1 per run, 3 runs, median)
 *
 * Not a test: no assertion on speed.
 */
import mongoose from 'mongoose';
import { randomBytes } from 'node:crypto';
import { startEmulator, SANDBOX_APP } from '../src/emulator/index.js';
import { credentialKey } from '../src/token/credential-key.js';
import { MongoTokenStore } from '../src/token/mongo-token-store.js';
import { jsapiSignature } from '../src/wechat/api/jssdk.js';
import { Wechat } from '../src/wechat/client.js';
import { startTestMongo, withDatabase } from '../test/support/mongo-server.js';
import { machineDescription, printTable, ratio } from './support/table.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const RUNS = 3;

/** Calls of `fn` per second over `SECONDS`, awaited one after another. */
async function rate(fn: () => Promise<unknown>): Promise<number> {
  const end = performance.now() + SECONDS * 1000;
  let calls = 0;
  let t = performance.now();
  // Check the clock every 64 calls so the loop itself stays cheap.
  while (t < end) {
    for (let i = 0; i < 64; i++) await fn();
    calls += 64;
    t = performance.now();
  }
  return calls / (SECONDS + (t - end) / 1000);
}

async function median(fn: () => Promise<unknown>): Promise<number> {
  await rate(fn); // warm-up, discarded
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await rate(fn));
  runs.sort((a, b) => a - b);
  return runs[Math.floor(RUNS / 2)]!;
}

const server = await startTestMongo({ log: (l) => process.stderr.write(`${l}\n`) });
const emu = await startEmulator({ port: 0 });
const connection = mongoose.createConnection(withDatabase(server.uri, `bench_jssdk_${process.pid}`));
await connection.asPromise();
try {
  const store = new MongoTokenStore(connection);
  const wechat = new Wechat({ appId: SANDBOX_APP.appId, appSecret: SANDBOX_APP.secret, apiBase: emu.url, store });
  const url = 'https://h5.example.com/page?from=timeline';
  await wechat.jssdk.config({ url, jsApiList: [] }); // one getticket, saved to MongoDB
  const key = credentialKey(SANDBOX_APP.appId, 'jsapi_ticket');
  const ours = await median(() => wechat.jssdk.config({ url, jsApiList: ['chooseImage'] }));
  const tutorial = await median(async () => {
    const doc = await store.Token.findOne({ appid: key }).lean();
    if (!doc || doc.expiresAt.getTime() <= Date.now()) throw new Error('no valid ticket in MongoDB');
    const nonceStr = randomBytes(8).toString('hex');
    const timestamp = Math.floor(Date.now() / 1000);
    return jsapiSignature(doc.token, nonceStr, timestamp, url);
  });
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  printTable(
    `jssdk.config() with a valid ticket, one process, sequential awaits (median of ${RUNS} x ${SECONDS} s)`,
    ['contender', 'calls/s', 'us/call', 'ratio (ours / contender)'],
    [
      ['ours: ticket cached in memory (one SHA-1, no I/O)', fmt(ours), (1e6 / ours).toFixed(3), '1.00x'],
      [`tutorial: Mongoose findOne per call (${server.kind})`, fmt(tutorial), (1e6 / tutorial).toFixed(1), ratio(ours, tutorial)],
    ],
    `Machine: ${machineDescription()}. getticket calls during the run: ${emu.stats()[SANDBOX_APP.appId]?.ticket ?? '?'}.`,
  );
  await wechat.close();
} finally {
  await connection.dropDatabase().catch(() => {});
  await connection.close();
  await emu.close();
  await server.stop();
}
