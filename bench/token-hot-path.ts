/**
 * Hot path of the token manager: `fetchAccessToken()` with a valid cached token, calls per second in
 * one process, against the seed design that reads MongoDB on every call (a Mongoose `findOne` per
 * call, as the tutorials' `getAccessToken` static does), on the same database in the same run.
 *
 *   node --import tsx bench/token-hot-path.ts      (BENCH_SECONDS=1 per run, 3 runs, median)
 *
 * Not a test: no assertion on speed. The database is the test harness's (FerretDB 1.24 with SQLite,
 * a `mongod` on PATH, or MONGODB_TEST_URI); the token comes from the local emulator.
 */
import mongoose from 'mongoose';
import { startEmulator, SANDBOX_APP } from '../src/emulator/index.js';
import { MongoTokenStore } from '../src/token/mongo-token-store.js';
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
const connection = mongoose.createConnection(withDatabase(server.uri, `bench_token_${process.pid}`));
await connection.asPromise();
try {
  const store = new MongoTokenStore(connection);
  const wechat = new Wechat({ appId: SANDBOX_APP.appId, appSecret: SANDBOX_APP.secret, apiBase: emu.url, store });
  const first = await wechat.fetchAccessToken(); // one upstream call, saved to MongoDB

  const ours = await median(() => wechat.fetchAccessToken());
  // The seed design: read the token document on every call, check expiry, use it.
  const seed = await median(async () => {
    const doc = await store.Token.findOne({ appid: SANDBOX_APP.appId }).lean();
    if (!doc || doc.expiresAt.getTime() <= Date.now()) throw new Error('no valid token in MongoDB');
    return doc.token;
  });
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  printTable(
    `fetchAccessToken() with a valid token, one process, sequential awaits (median of ${RUNS} x ${SECONDS} s)`,
    ['contender', 'calls/s', 'us/call', 'ratio (ours / contender)'],
    [
      ['ours: cached in memory (no I/O)', fmt(ours), (1e6 / ours).toFixed(3), '1.00x'],
      [`seed: Mongoose findOne per call (${server.kind})`, fmt(seed), (1e6 / seed).toFixed(1), ratio(ours, seed)],
    ],
    `Machine: ${machineDescription()}. Upstream token calls during the run: ${emu.stats()[SANDBOX_APP.appId]?.stable_token ?? '?'} (token ${first.access_token.length} chars).`,
  );
  await wechat.close();
} finally {
  await connection.dropDatabase().catch(() => {});
  await connection.close();
  await emu.close();
  await server.stop();
}
