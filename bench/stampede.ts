/**
 * Stampede benchmark: K processes x M concurrent callers ask for an access_token at cold start and
 * again when the token has expired; the emulator counts the upstream token requests. The physical
 * limit is 1 per event. Contenders share one MongoDB (the harness's FerretDB or MONGODB_TEST_URI) and
 * one emulator, and run one after another (the rig: bench/support/stampede.ts):
 *   - ours (Wechat + MongoTokenStore) in stable mode (the default) and in classic mode;
 *   - co-wechat-api 3 with getToken/saveToken on the same `tokens` collection (its README's
 *     multi-process pattern), pointed at the emulator through `api.prefix` (classic /cgi-bin/token).
 * The same for the jsapi ticket of `wx.config`: bench/jssdk-stampede.ts.
 *
 *   node --import tsx bench/stampede.ts            K=4, M=50 (env STAMPEDE_K, STAMPEDE_M)
 */
import { machineDescription, printTable, ratio } from './support/table.js';
import { baselineOf, failedCell, runStampede, upstreamCalls, type StampedeContender } from './support/stampede.js';

const K = Number(process.env.STAMPEDE_K ?? 4);
const M = Number(process.env.STAMPEDE_M ?? 50);

const LABEL: Record<StampedeContender, string> = {
  'ours-stable': 'ours, stable_token (default)',
  'ours-classic': 'ours, classic /cgi-bin/token',
  'co-wechat-api': 'co-wechat-api 3.11, /cgi-bin/token',
};

const { results, mongoDescription } = await runStampede({
  target: 'token',
  contenders: ['ours-stable', 'ours-classic', 'co-wechat-api'],
  k: K,
  m: M,
  lifetimeSeconds: 7200,
  collections: ['tokens', 'token_leases'],
  summarize: (p) => ({
    upstream: upstreamCalls(p, 'token', 'stable_token'),
    distinctTokens: new Set(p.done.flatMap((d) => d.values)).size,
    done: p.done,
    ms: p.ms,
  }),
});

const rows = [...results].map(([c, r]) => {
  const base = baselineOf(results, c);
  return [
    LABEL[c],
    String(r.cold.upstream),
    ratio(r.cold.upstream, base.cold.upstream),
    String(r.expiry.upstream),
    ratio(r.expiry.upstream, base.expiry.upstream),
    `${r.cold.distinctTokens} / ${r.expiry.distinctTokens}`,
    failedCell([...r.cold.done, ...r.expiry.done]),
    `${r.cold.ms.toFixed(0)} / ${r.expiry.ms.toFixed(0)}`,
  ];
});
printTable(
  `Stampede: ${K} processes x ${M} concurrent callers, upstream token requests (physical limit 1)`,
  ['contender', 'cold start', 'vs ours', 'at expiry', 'vs ours', 'distinct tokens (cold / expiry)', 'failed calls', 'wall ms (cold / expiry)'],
  rows,
  `Ratios: co-wechat-api is compared with ours in classic mode (same endpoint). Shared MongoDB: ${mongoDescription}. ${machineDescription()}.`,
);
