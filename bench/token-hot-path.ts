/**
 * Hot path of the token manager: `fetchAccessToken()` with a valid cached token, calls per second in
 * one process, against the seed design that reads MongoDB on every call (a Mongoose `findOne` per
 * call, as the tutorials' `getAccessToken` static does), on the same database in the same run.
 *
 *   node --import tsx bench/token-hot-path.ts      (BENCH_SECONDS=1 per run, BENCH_RUNS=3, median)
 *
 * Not a test: no assertion on speed. The database is the test harness's (FerretDB 1.24 with SQLite,
 * a `mongod` on PATH, or MONGODB_TEST_URI); the token comes from the local emulator.
 */
import { SANDBOX_APP } from '../src/emulator/index.js';
import { callRate, printRates, withHotPathRig } from './support/hot-path.js';

await withHotPathRig('token', async ({ mongo, emulator, store, wechat }) => {
  const first = await wechat.fetchAccessToken(); // one upstream call, saved to MongoDB
  const ours = await callRate(() => wechat.fetchAccessToken());
  // The seed design: read the token document on every call, check expiry, use it.
  const seed = await callRate(async () => {
    const doc = await store.Token.findOne({ appid: SANDBOX_APP.appId }).lean();
    if (!doc || doc.expiresAt.getTime() <= Date.now()) throw new Error('no valid token in MongoDB');
    return doc.token;
  });
  printRates(
    'fetchAccessToken() with a valid token, one process, sequential awaits',
    { label: 'ours: cached in memory (no I/O)', rate: ours },
    { label: `seed: Mongoose findOne per call (${mongo.kind})`, rate: seed },
    `Upstream token calls during the run: ${emulator.stats()[SANDBOX_APP.appId]?.stable_token ?? '?'} (token ${first.access_token.length} chars).`,
  );
});
