/**
 * Hot path of the JS-SDK: `wechat.jssdk.config()` with the jsapi ticket cached, calls per second in one
 * process (one SHA-1 and a nonce per call, no I/O), against the tutorial design that reads the ticket
 * document from MongoDB on every call (a Mongoose `findOne`, then the same signature), on the same
 * database in the same run. Target: >= 100,000 calls/s.
 *
 *   node --import tsx bench/jssdk-hot-path.ts      (BENCH_SECONDS=1 per run, BENCH_RUNS=3, median)
 *
 * Not a test: no assertion on speed. Profile: add `--cpu-prof --cpu-prof-dir=DIR` to the node flags.
 */
import { randomBytes } from 'node:crypto';
import { SANDBOX_APP } from '../src/emulator/index.js';
import { credentialKey } from '../src/token/credential-key.js';
import { jsapiSignature } from '../src/wechat/api/jssdk.js';
import { callRate, printRates, withHotPathRig } from './support/hot-path.js';

await withHotPathRig('jssdk', async ({ mongo, emulator, store, wechat }) => {
  const url = 'https://h5.example.com/page?from=timeline';
  await wechat.jssdk.config({ url, jsApiList: [] }); // one getticket, saved to MongoDB
  const key = credentialKey(SANDBOX_APP.appId, 'jsapi_ticket');
  const ours = await callRate(() => wechat.jssdk.config({ url, jsApiList: ['chooseImage'] }));
  const tutorial = await callRate(async () => {
    const doc = await store.Token.findOne({ appid: key }).lean();
    if (!doc || doc.expiresAt.getTime() <= Date.now()) throw new Error('no valid ticket in MongoDB');
    const nonceStr = randomBytes(8).toString('hex');
    const timestamp = Math.floor(Date.now() / 1000);
    return jsapiSignature(doc.token, nonceStr, timestamp, url);
  });
  printRates(
    'jssdk.config() with a valid ticket, one process, sequential awaits',
    { label: 'ours: ticket cached in memory (one SHA-1, no I/O)', rate: ours },
    { label: `tutorial: Mongoose findOne per call (${mongo.kind})`, rate: tutorial },
    `Target: >= 100,000 calls/s. getticket calls during the run: ${emulator.stats()[SANDBOX_APP.appId]?.ticket ?? '?'}.`,
  );
});
