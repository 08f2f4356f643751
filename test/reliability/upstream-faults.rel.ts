/**
 * Upstream faults from the emulator's fault API (errcode -1, 45009, 45011, HTTP 502, a delay beyond
 * the client timeout, a dropped connection, a truncated body) during token refreshes (stable and
 * classic) and during API calls (a retried GET and a never-retried POST): upstream calls are bounded
 * (exact counts from the emulator's counters), errors are typed, and a service holding a valid token
 * stays ready and keeps answering its webhook while its refresh fails.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { startEmulator, type Emulator, type FaultSpec } from '../../src/emulator/index.js';
import { Wechat } from '../../src/wechat/client.js';
import { WechatMpError } from '../../src/errors.js';
import { createApp, type WechatApp } from '../../src/server/app.js';
import { listen, type RunningServer } from '../../src/server/http.js';
import { noopLogger } from '../../src/log/logger.js';
import type { TokenMode } from '../../src/wechat/token-endpoint.js';
import { mdTable, recordSection } from './support/report.js';
import { APP, expectedText, getStatus, makeAgent, makePush, replyProblem, send, serviceConfig, waitFor } from './support/wire.js';

const TIMEOUT_MS = 400;
const ATTEMPTS = 3;
const LIFETIME_S = 7200;

let emulator: Emulator;
const agent = makeAgent(4);
const rows: (string | number)[][] = [];
const serviceRows: (string | number)[][] = [];
const problems: string[] = [];

before(async () => {
  emulator = await startEmulator({ tokenLifetimeSeconds: LIFETIME_S });
});

after(async () => {
  await agent.close();
  await emulator?.close();
  recordSection(
    '20-upstream-faults',
    [
      '## Upstream faults (emulator fault API)',
      '',
      `Client: \`Wechat\` with a ${TIMEOUT_MS} ms request timeout and ${ATTEMPTS} attempts per call (short backoff). ` +
        'Counts are the emulator\'s own counters of requests that reached it. "then" is the next call after the faults are used up.',
      '',
      mdTable(['where', 'fault', 'upstream calls (expected)', 'error', 'then'], rows),
      '',
      'A running service (`createApp` + loopback server, default client settings) holding a valid token, while its background refresh meets the fault:',
      '',
      mdTable(['fault during the background refresh', 'token-endpoint calls', 'refreshFailed', '/readyz', 'valid push answered', 'API call with the held token'], serviceRows),
      ...(problems.length ? ['', '**FAILED:**', '', ...problems.map((p) => `- ${p}`)] : []),
    ].join('\n'),
  );
});

/** A client of the sandbox account on the emulator, with short timeouts and backoff. */
function client(mode: TokenMode): Wechat {
  return new Wechat({
    appId: APP.appId,
    appSecret: APP.secret,
    apiBase: emulator.url,
    tokenMode: mode,
    requestTimeoutMs: TIMEOUT_MS,
    retry: { attempts: ATTEMPTS, baseDelayMs: 10, maxDelayMs: 40 },
    now: () => emulator.now(),
  });
}

const calls = (kind: 'token' | 'stable_token' | 'api'): number => emulator.stats()[APP.appId]?.[kind] ?? 0;

/** Settles `p` and describes the outcome. */
async function outcome<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: WechatMpError }> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    assert.ok(err instanceof WechatMpError, `untyped error: ${String(err)}`);
    return { ok: false, error: err };
  }
}

/** `p`, or a rejection after `ms` (the timer is cleared either way). */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const describeError = (e: WechatMpError): string => {
  const x = e as WechatMpError & { kind?: string; errcode?: number; status?: number; attempts?: number };
  return [e.code, x.kind === 'errcode' ? undefined : x.kind, x.errcode !== undefined ? `errcode ${x.errcode}` : undefined, x.status !== undefined ? `HTTP ${x.status}` : undefined].filter(Boolean).join(', ');
};

interface FaultCase {
  label: string;
  fault: Omit<FaultSpec, 'appId' | 'endpoint' | 'count'>;
  /** Faults scheduled. */
  count: number;
  /** Upstream calls expected for a retried call and the typed error (undefined: the call succeeds). */
  retried: { calls: number; code?: string; check?: (e: WechatMpError) => boolean };
}

const transient = (label: string, fault: FaultCase['fault'], check: (e: WechatMpError) => boolean): FaultCase[] => [
  { label, fault, count: ATTEMPTS, retried: { calls: ATTEMPTS, code: 'WMP_ERR_UPSTREAM', check } },
  { label: `${label}, ${ATTEMPTS - 1} times`, fault, count: ATTEMPTS - 1, retried: { calls: ATTEMPTS } },
];
const kindIs = (kind: string) => (e: WechatMpError) => (e as { kind?: string }).kind === kind;

const CASES: FaultCase[] = [
  ...transient('errcode -1 (system busy)', { kind: 'errcode', errcode: -1 }, (e) => (e as { errcode?: number }).errcode === -1),
  { label: 'errcode 45009 (daily quota)', fault: { kind: 'errcode', errcode: 45009 }, count: 1, retried: { calls: 1, code: 'WMP_ERR_TOKEN_QUOTA' } },
  { label: 'errcode 45011 (rate limit)', fault: { kind: 'errcode', errcode: 45011 }, count: 1, retried: { calls: 1, code: 'WMP_ERR_UPSTREAM', check: (e) => (e as { errcode?: number }).errcode === 45011 } },
  ...transient('HTTP 502', { kind: 'http', status: 502 }, (e) => kindIs('http_status')(e) && (e as { status?: number }).status === 502),
  ...transient(`delay 1500 ms > ${TIMEOUT_MS} ms timeout`, { kind: 'delay', delayMs: 1500 }, kindIs('timeout')),
  ...transient('dropped connection', { kind: 'drop' }, kindIs('network')),
  ...transient('truncated JSON', { kind: 'malformed' }, kindIs('malformed')),
];

for (const mode of ['stable', 'classic'] as const) {
  const endpoint = mode === 'stable' ? 'stable_token' : 'token';
  describe(`token refresh (${mode}: /cgi-bin/${endpoint})`, () => {
    for (const c of CASES) {
      test(c.label, async () => {
        emulator.reset();
        const wechat = client(mode);
        try {
          emulator.injectFault({ appId: APP.appId, endpoint, count: c.count, ...c.fault });
          const r = await outcome(wechat.fetchAccessToken());
          const used = calls(endpoint);
          let then = '';
          if (c.retried.code === undefined) {
            assert.ok(r.ok, 'succeeds within the retry budget');
          } else {
            assert.ok(!r.ok, 'fails');
            assert.equal(r.error.code, c.retried.code);
            if (c.retried.check) assert.ok(c.retried.check(r.error), `details: ${describeError(r.error)}`);
            // Ten concurrent callers after the failure: quota stops everyone without a call; otherwise one call for all.
            const after = await Promise.all(Array.from({ length: 10 }, () => outcome(wechat.fetchAccessToken())));
            const extra = calls(endpoint) - used;
            if (c.retried.code === 'WMP_ERR_TOKEN_QUOTA') {
              assert.equal(extra, 0, 'no token call during the quota cooldown');
              assert.ok(after.every((a) => !a.ok && a.error.code === 'WMP_ERR_TOKEN_QUOTA'), 'every caller gets the quota error');
              then = '10 callers: quota error, 0 calls (cooldown)';
            } else {
              // After any failed refresh, callers share one pause and get the last error at once.
              assert.equal(extra, 0, 'no token call during the pause after a failed refresh');
              assert.ok(after.every((a) => !a.ok && a.error.code === r.error.code), 'every caller gets the last error');
              // Past the pause (at most 60 s, emulator clock), one call serves ten callers.
              emulator.advanceClock(200);
              const later = await Promise.all(Array.from({ length: 10 }, () => outcome(wechat.fetchAccessToken())));
              assert.equal(calls(endpoint) - used, 1, 'one call serves ten callers once the pause is over');
              assert.ok(later.every((a) => a.ok), 'every caller gets a token');
              then = '10 callers: last error, 0 calls (pause); after it: 1 call, all served';
            }
          }
          assert.equal(used, c.retried.calls, 'upstream token calls');
          rows.push([`refresh, ${mode}`, c.label, `${used} (${c.retried.calls})`, r.ok ? 'none (recovered by retry)' : describeError(r.error), then || '-']);
        } catch (err) {
          problems.push(`refresh ${mode} ${c.label}: ${(err as Error).message}`);
          throw err;
        } finally {
          await wechat.close();
        }
      });
    }
    test('20 concurrent callers during errcode -1 x3: one bounded sequence of calls', async () => {
      emulator.reset();
      const wechat = client(mode);
      try {
        emulator.injectFault({ appId: APP.appId, endpoint, count: ATTEMPTS, kind: 'errcode', errcode: -1 });
        const results = await Promise.all(Array.from({ length: 20 }, () => outcome(wechat.fetchAccessToken())));
        assert.ok(results.every((r) => !r.ok && r.error.code === 'WMP_ERR_UPSTREAM'), 'every caller gets WMP_ERR_UPSTREAM');
        assert.equal(calls(endpoint), ATTEMPTS);
        rows.push([`refresh, ${mode}`, 'errcode -1, 20 concurrent callers', `${calls(endpoint)} (${ATTEMPTS})`, 'all 20: WMP_ERR_UPSTREAM', '-']);
      } finally {
        await wechat.close();
      }
    });
  });
}

describe('API calls with a valid token', () => {
  // GET is retried on transient failures; POST never (a custom message could reach the user twice).
  const apiCases: { label: string; fault: FaultCase['fault']; getCalls: number; getCode: string; check?: (e: WechatMpError) => boolean }[] = [
    { label: 'errcode -1', fault: { kind: 'errcode', errcode: -1 }, getCalls: ATTEMPTS, getCode: 'WMP_ERR_UPSTREAM' },
    { label: 'errcode 45009', fault: { kind: 'errcode', errcode: 45009 }, getCalls: 1, getCode: 'WMP_ERR_WECHAT_API', check: (e) => (e as { errcode?: number }).errcode === 45009 },
    { label: 'errcode 45011', fault: { kind: 'errcode', errcode: 45011 }, getCalls: 1, getCode: 'WMP_ERR_WECHAT_API', check: (e) => (e as { errcode?: number }).errcode === 45011 },
    { label: 'HTTP 502', fault: { kind: 'http', status: 502 }, getCalls: ATTEMPTS, getCode: 'WMP_ERR_UPSTREAM', check: kindIs('http_status') },
    { label: `delay 1500 ms > ${TIMEOUT_MS} ms timeout`, fault: { kind: 'delay', delayMs: 1500 }, getCalls: ATTEMPTS, getCode: 'WMP_ERR_UPSTREAM', check: kindIs('timeout') },
    { label: 'dropped connection', fault: { kind: 'drop' }, getCalls: ATTEMPTS, getCode: 'WMP_ERR_UPSTREAM', check: kindIs('network') },
    { label: 'truncated JSON', fault: { kind: 'malformed' }, getCalls: ATTEMPTS, getCode: 'WMP_ERR_UPSTREAM', check: kindIs('malformed') },
  ];
  for (const c of apiCases) {
    test(c.label, async () => {
      emulator.reset();
      const wechat = client('stable');
      try {
        await wechat.fetchAccessToken();
        const tokenCalls = calls('stable_token');
        emulator.injectFault({ appId: APP.appId, endpoint: 'api', count: c.getCalls, ...c.fault });
        const get = await outcome(wechat.domain.getApiDomainIp());
        assert.ok(!get.ok, 'the GET fails');
        assert.equal(get.error.code, c.getCode);
        if (c.check) assert.ok(c.check(get.error), describeError(get.error));
        const getCalls = calls('api');
        assert.equal(getCalls, c.getCalls, 'GET calls');
        assert.deepEqual(emulator.pendingFaults(), [], 'the GET used every fault');
        emulator.injectFault({ appId: APP.appId, endpoint: 'api', count: 1, ...c.fault });
        const post = await outcome(wechat.message.sendCustom({ touser: 'oUser', msgtype: 'text', text: { content: 'hi' } }));
        assert.ok(!post.ok, 'the POST fails');
        const postCalls = calls('api') - getCalls;
        assert.equal(postCalls, 1, 'a POST is never retried');
        assert.equal(calls('stable_token'), tokenCalls, 'no token call caused by an API fault');
        const recovered = await wechat.domain.getApiDomainIp();
        assert.ok(recovered.length > 0, 'the next GET succeeds');
        rows.push(['API GET /cgi-bin/get_api_domain_ip', c.label, `${getCalls} (${c.getCalls})`, describeError(get.error), 'next GET succeeds']);
        rows.push(['API POST /cgi-bin/message/custom/send', c.label, `${postCalls} (1)`, describeError(post.error), '-']);
      } catch (err) {
        problems.push(`API ${c.label}: ${(err as Error).message}`);
        throw err;
      } finally {
        await wechat.close();
      }
    });
  }

  for (const mode of ['stable', 'classic'] as const) {
    test(`40001 on an API call (${mode}): invalidate, one refresh, one retry; twice -> typed error, never a loop`, async () => {
      emulator.reset();
      const wechat = client(mode);
      const endpoint = mode === 'stable' ? 'stable_token' : 'token';
      try {
        await wechat.fetchAccessToken();
        const base = calls(endpoint);
        emulator.injectFault({ appId: APP.appId, endpoint: 'api', count: 1, kind: 'errcode', errcode: 40001 });
        assert.ok((await wechat.domain.getApiDomainIp()).length > 0, 'recovered after one 40001');
        const once1 = { api: calls('api'), token: calls(endpoint) - base };
        assert.equal(once1.api, 2);
        // classic: one new token; stable: the normal call returns the same token, then one force_refresh.
        assert.equal(once1.token, mode === 'classic' ? 1 : 2);
        emulator.injectFault({ appId: APP.appId, endpoint: 'api', count: 2, kind: 'errcode', errcode: 40001 });
        const twice = await outcome(wechat.domain.getApiDomainIp());
        // classic: a new token, the retry is refused again -> the API error. stable: stable_token returns the
        // refused token and force_refresh is spaced 30 s apart, so the refused token is not retried -> an upstream error.
        assert.ok(!twice.ok && ['WMP_ERR_WECHAT_API', 'WMP_ERR_UPSTREAM'].includes(twice.error.code), `typed error, got ${twice.ok ? 'success' : twice.error.code}`);
        const apiTwice = calls('api') - once1.api;
        const tokenTwice = calls(endpoint) - base - once1.token;
        assert.ok(apiTwice >= 1 && apiTwice <= 2, `${apiTwice} API calls (at most the call and one retry)`);
        assert.ok(tokenTwice <= 2, `${tokenTwice} token calls`);
        rows.push([`API GET, ${mode}`, 'errcode 40001 once', `${once1.api} API + ${once1.token} token`, 'none (recovered)', '-']);
        rows.push([`API GET, ${mode}`, 'errcode 40001 twice', `${apiTwice} API + ${tokenTwice} token (<= 2 + 2)`, `${describeError(twice.error)}: ${twice.error.message.replace(/^.*?: /, '').slice(0, 90)}`, '-']);
      } catch (err) {
        problems.push(`40001 ${mode}: ${(err as Error).message}`);
        throw err;
      } finally {
        await wechat.close();
      }
    });
  }
});

describe('the service stays ready while refreshes fail', () => {
  let app: WechatApp | undefined;
  let server: RunningServer | undefined;
  const stop = async () => {
    await server?.close(500);
    await app?.close();
    app = undefined;
    server = undefined;
  };
  after(stop);

  async function startApp(): Promise<{ app: WechatApp; url: string }> {
    await stop();
    const config = serviceConfig({ WECHAT_API_BASE: emulator.url, WECHAT_TOKEN_MODE: 'stable' });
    app = createApp(config, undefined, { logger: noopLogger, now: () => emulator.now(), processMetrics: false });
    server = await listen(app.callback(), { host: '127.0.0.1', port: 0 });
    return { app, url: server.url };
  }

  test('control: without a token and with a permanent token error, /readyz is 503', async () => {
    emulator.reset();
    const { app: a, url } = await startApp();
    emulator.injectFault({ appId: APP.appId, endpoint: 'stable_token', count: 1, kind: 'errcode', errcode: 40164 });
    const r = await outcome(a.wechat.fetchAccessToken());
    assert.ok(!r.ok && r.error.code === 'WMP_ERR_TOKEN_PERMANENT', 'a permanent token error');
    const ready = await getStatus(agent, url, '/readyz');
    assert.equal(ready.status, 503);
    serviceRows.push(['control: no token yet, errcode 40164 (IP whitelist)', calls('stable_token'), 'yes', `${ready.status}: ${(/"token":"([^"]*)"/.exec(ready.body)?.[1] ?? ready.body).slice(0, 90)}`, '-', '-']);
  });

  const serviceFaults: { label: string; fault: FaultCase['fault']; count: number; maxCalls: number; fails: boolean }[] = [
    { label: 'errcode -1 x3', fault: { kind: 'errcode', errcode: -1 }, count: 3, maxCalls: 3, fails: true },
    { label: 'errcode 45011', fault: { kind: 'errcode', errcode: 45011 }, count: 1, maxCalls: 1, fails: true },
    { label: 'HTTP 502 x3', fault: { kind: 'http', status: 502 }, count: 3, maxCalls: 3, fails: true },
    { label: 'dropped connection x3', fault: { kind: 'drop' }, count: 3, maxCalls: 3, fails: true },
    { label: 'truncated JSON x3', fault: { kind: 'malformed' }, count: 3, maxCalls: 3, fails: true },
    { label: 'delay 5500 ms (> 5 s default timeout) x1, then answers', fault: { kind: 'delay', delayMs: 5500 }, count: 1, maxCalls: 2, fails: false },
    { label: 'errcode 45009 (quota)', fault: { kind: 'errcode', errcode: 45009 }, count: 1, maxCalls: 1, fails: true },
  ];
  for (const c of serviceFaults) {
    test(`holding a valid token: ${c.label}`, { timeout: 30_000 }, async () => {
      emulator.reset();
      const { app: a, url } = await startApp();
      try {
        const held = await a.wechat.fetchAccessToken();
        // Into the refresh margin (300 s for stable_token), well before expiry.
        emulator.advanceClock(LIFETIME_S - 240);
        const before = calls('stable_token');
        emulator.injectFault({ appId: APP.appId, endpoint: 'stable_token', count: c.count, ...c.fault });
        const settled = c.fails ? once(a.wechat, 'refreshFailed') : once(a.wechat, 'refreshed');
        // The caller gets the held token at once; the refresh runs in the background.
        assert.equal((await a.wechat.fetchAccessToken()).access_token, held.access_token);
        // While the refresh is in flight or failing: ready, webhook answering, API calls working.
        const during = await getStatus(agent, url, '/readyz');
        assert.equal(during.status, 200, `/readyz during the refresh: ${during.body}`);
        const [event] = (await within(settled, 20_000, 'a refresh outcome')) as [{ error?: WechatMpError }];
        const used = calls('stable_token') - before;
        assert.ok(used >= 1 && used <= c.maxCalls, `${used} token calls (at most ${c.maxCalls})`);
        const ready = await getStatus(agent, url, '/readyz');
        assert.equal(ready.status, 200, `/readyz after: ${ready.body}`);
        const push = makePush({ type: 'text', content: 'still here' }, { mode: 'compatible', openId: 'oFaultUser', nowMs: emulator.now() });
        const answer = await send(agent, url, { query: push.query, body: push.body });
        assert.equal(replyProblem(push, answer, expectedText(push.spec), emulator.now()), undefined);
        const ips = await a.wechat.domain.getApiDomainIp();
        assert.ok(ips.length > 0, 'an API call with the held token succeeds');
        serviceRows.push([c.label, `${used} (<= ${c.maxCalls})`, c.fails ? `yes: ${event.error ? describeError(event.error) : '?'}` : 'no: refreshed', `${during.status} during, ${ready.status} after`, 'yes', 'succeeds']);
      } catch (err) {
        problems.push(`service ${c.label}: ${(err as Error).message}`);
        throw err;
      } finally {
        await stop();
      }
    });
  }

  test('no retry storm: a failing background refresh stays bounded over time', { timeout: 30_000 }, async () => {
    emulator.reset();
    const { app: a, url } = await startApp();
    try {
      a.wechat.start();
      assert.ok(await waitFor(() => a.wechat.status().hasToken, 5000), 'the refresher fetched a token');
      emulator.advanceClock(LIFETIME_S - 240);
      const before = calls('stable_token');
      emulator.injectFault({ appId: APP.appId, endpoint: 'stable_token', count: 1000, kind: 'http', status: 502 });
      // 3 s of callers hammering the client while every token call fails.
      const until = Date.now() + 3000;
      let served = 0;
      while (Date.now() < until) {
        await Promise.all(Array.from({ length: 20 }, async () => (await a.wechat.fetchAccessToken()).access_token && served++));
        await new Promise((r) => setTimeout(r, 20));
      }
      const used = calls('stable_token') - before;
      // One refresh of 3 attempts, then the background backoff (5 s of emulated time) holds further tries.
      assert.ok(used <= ATTEMPTS, `${used} token calls in 3 s`);
      assert.equal((await getStatus(agent, url, '/readyz')).status, 200);
      serviceRows.push([`HTTP 502 on every token call, ${served} fetchAccessToken() calls in 3 s`, `${used} (<= ${ATTEMPTS})`, 'yes', '200', '-', '-']);
    } finally {
      await stop();
    }
  });
});
