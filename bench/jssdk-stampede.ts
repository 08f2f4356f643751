/**
 * jsapi_ticket stampede: K processes x M concurrent callers ask for the `wx.config` of one page on a
 * cold shared store, and again once the ticket (and the access_token) expired; the emulator counts
 * the upstream getticket and token requests. The physical limit is 1 getticket and 1 token request
 * per event. The rig is the access_token stampede's (bench/support/stampede.ts); contenders:
 *   - ours: `wechat.jssdk.config({ url, jsApiList })` (Wechat + MongoTokenStore), stable and classic mode;
 *   - co-wechat-api 3.11: `api.getJsConfig({ url, jsApiList })` with getToken/saveToken on the shared
 *     `tokens` collection and `registerTicketHandle(getTicketToken, saveTicketToken)` on a shared
 *     `tickets` collection, as its README and api_js.js tell users to run several servers.
 * Every config returned is checked against the tickets the emulator holds valid at that moment (the
 * rule WeChat applies to `wx.config`, src/emulator/jssdk-check.ts).
 *
 *   node --import tsx bench/jssdk-stampede.ts      K=4, M=50 (env STAMPEDE_K, STAMPEDE_M)
 */
import { SANDBOX_APP } from '../src/emulator/index.js';
import { jsapiSignature } from '../src/emulator/jssdk-check.js';
import { machineDescription, printTable, ratio } from './support/table.js';
import { PAGE_URL, baselineOf, failedCell, runStampede, upstreamCalls, type StampedeContender, type StampedePhase } from './support/stampede.js';

const K = Number(process.env.STAMPEDE_K ?? 4);
const M = Number(process.env.STAMPEDE_M ?? 50);
const LIFETIME_S = 7200;
// High enough that co-wechat-api's calls are all answered: the figure is the calls, not the quota's 45009s.
const DAILY_QUOTA = 1_000_000;

const LABEL: Record<StampedeContender, string> = {
  'ours-stable': 'ours, jssdk.config(), stable_token (default)',
  'ours-classic': 'ours, jssdk.config(), classic /cgi-bin/token',
  'co-wechat-api': 'co-wechat-api 3.11, getJsConfig() + registerTicketHandle',
};

/** The phase's figures; the configs are checked while the emulator still holds the phase's tickets. */
function summarize(p: StampedePhase) {
  const valid = p.emulator.tickets(SANDBOX_APP.appId).jsapi.valid.map((t) => t.ticket);
  const used = new Set<string>();
  let invalid = 0;
  for (const v of p.done.flatMap((d) => d.values)) {
    const c = JSON.parse(v) as { timestamp: string; nonceStr: string; signature: string };
    const t = valid.find((ticket) => jsapiSignature(ticket, c.nonceStr, c.timestamp, PAGE_URL) === c.signature);
    if (t === undefined) invalid++;
    else used.add(t);
  }
  return { ticket: upstreamCalls(p, 'ticket'), token: upstreamCalls(p, 'token', 'stable_token'), ticketsUsed: used.size, invalid, done: p.done, ms: p.ms };
}

const { results, mongoDescription } = await runStampede({
  target: 'jssdk',
  contenders: ['ours-stable', 'ours-classic', 'co-wechat-api'],
  k: K,
  m: M,
  lifetimeSeconds: LIFETIME_S,
  emulator: { tickets: { lifetimeSeconds: LIFETIME_S, dailyQuota: DAILY_QUOTA } },
  collections: ['tokens', 'token_leases', 'tickets'],
  summarize,
});

const rows = [...results].map(([c, r]) => {
  const base = baselineOf(results, c);
  return [
    LABEL[c],
    String(r.cold.ticket),
    ratio(r.cold.ticket, base.cold.ticket),
    String(r.expiry.ticket),
    ratio(r.expiry.ticket, base.expiry.ticket),
    `${r.cold.token} / ${r.expiry.token}`,
    `${r.cold.ticketsUsed} / ${r.expiry.ticketsUsed}`,
    String(r.cold.invalid + r.expiry.invalid),
    failedCell([...r.cold.done, ...r.expiry.done]),
    `${r.cold.ms.toFixed(0)} / ${r.expiry.ms.toFixed(0)}`,
  ];
});
printTable(
  `jsapi_ticket stampede: ${K} processes x ${M} concurrent wx.config callers, upstream getticket requests (physical limit 1)`,
  ['contender', 'getticket, cold', 'vs ours', 'getticket, at expiry', 'vs ours', 'token requests (cold / expiry)', 'tickets signed with (cold / expiry)', 'configs failing the check', 'failed calls', 'wall ms (cold / expiry)'],
  rows,
  `Ratios: co-wechat-api is compared with ours in classic mode (same token endpoint). Expiry: the emulator's clock and every process's clock moved ${LIFETIME_S + 1} s (ticket and token lifetime ${LIFETIME_S} s). getticket quota raised to ${DAILY_QUOTA.toLocaleString('en-US')} a day. Shared MongoDB: ${mongoDescription}. ${machineDescription()}.`,
);
