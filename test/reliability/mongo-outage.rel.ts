/**
 * MongoDB outage under steady webhook traffic. Two service instances (`startService`, tokens and
 * dedupe on MongoDB, classic tokens from the emulator) share a dedicated test server that is stopped
 * for 10 s while pushes arrive at a steady rate:
 * - every valid push gets its correct reply before, during and after the outage;
 * - the process keeps running (the instances live in this process);
 * - the token refreshed during the outage is kept in memory and saved once MongoDB is back;
 * - after recovery, a re-delivery of a message handled BEFORE the outage is deduplicated by the other
 *   instance (it found the record in MongoDB), and so is a new message: shared dedupe resumed;
 * - a token refreshed after recovery reaches MongoDB.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { startService, type RunningService } from '../../src/server/service.js';
import type { Logger } from '../../src/log/logger.js';
import type { HandlerMap } from '../../src/webhook/index.js';
import { startTestMongo, withDatabase, type TestMongoServer } from '../support/mongo-server.js';
import { mdTable, recordSection } from './support/report.js';
import { getStatus, makeAgent, makePush, pause, replyProblem, send, serviceConfig, waitFor, type Push } from './support/wire.js';

const RATE_PER_S = 20;
const OUTAGE_MS = 10_000;
const BEFORE_MS = 4000;
const AFTER_MS = 6000;

let mongoServer: TestMongoServer;
let emulator: Emulator;
let admin: mongoose.Connection;
const services: RunningService[] = [];
const agent = makeAgent(32);
/** Handler runs per MsgId, across both instances. */
const runs = new Map<string, number>();
const handlers: HandlerMap = {
  text: (m) => {
    runs.set(m.MsgId, (runs.get(m.MsgId) ?? 0) + 1);
    return m.Content;
  },
};
const logLines: { level: string; event: string }[] = [];
const capture: Logger = {
  error: (o) => logLines.push({ level: 'error', event: String((o as { event?: unknown }).event) }),
  warn: (o) => logLines.push({ level: 'warn', event: String((o as { event?: unknown }).event) }),
  info: () => {},
  debug: () => {},
};
const report: { phases: (string | number)[][]; checks: (string | number)[][]; notes: string[] } = { phases: [], checks: [], notes: [] };
let exits = 0;
const onExit = () => exits++;

before(async () => {
  process.on('exit', onExit);
  mongoServer = await startTestMongo({ dedicated: true, log: (l) => console.error(l) });
  emulator = await startEmulator();
  const uri = withDatabase(mongoServer.uri, `rel_outage_${process.pid}`);
  admin = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  const config = serviceConfig({
    MONGODB_URI: uri,
    TOKEN_STORE: 'mongo',
    DEDUPE_STORE: 'mongo',
    WECHAT_API_BASE: emulator.url,
    WECHAT_TOKEN_MODE: 'classic',
    WECHAT_MESSAGE_MODE: 'compatible',
  });
  services.push(await startService(config, { logger: capture, handlers, shutdownGraceMs: 2000 }));
  services.push(await startService(config, { logger: capture, handlers, shutdownGraceMs: 2000 }));
});

after(async () => {
  process.off('exit', onExit);
  await agent.close();
  for (const s of services) await s.close();
  await admin?.dropDatabase().catch(() => {});
  await admin?.close(true);
  await emulator?.close();
  await mongoServer?.stop();
  const byEvent = new Map<string, number>();
  for (const l of logLines) byEvent.set(`${l.level} ${l.event}`, (byEvent.get(`${l.level} ${l.event}`) ?? 0) + 1);
  recordSection(
    '30-mongo-outage',
    [
      '## MongoDB outage',
      '',
      `Two service instances (tokens and dedupe on MongoDB: ${mongoServer?.description ?? '?'}), compatible mode, ${RATE_PER_S} pushes/s ` +
        `alternating between the instances; the database process is stopped for ${OUTAGE_MS / 1000} s and restarted on the same port and data.`,
      '',
      mdTable(['phase', 'pushes', 'correct replies', 'failed', 'max latency ms', '/readyz (A)'], report.phases),
      '',
      mdTable(['check', 'result'], report.checks),
      '',
      'Log lines at warn/error level by event: ' + ([...byEvent].map(([k, v]) => `${k} x${v}`).join(', ') || 'none') + '.',
      ...report.notes.map((n) => `\n${n}`),
    ].join('\n'),
  );
});

const tokenInMongo = async (): Promise<string | undefined> => {
  const doc = await admin.db!.collection('tokens').findOne({});
  return (doc?.token as string | undefined) ?? undefined;
};

/** Steady traffic until `stop()`: one new text push every 1000/RATE ms, alternating instances. */
function traffic(label: string) {
  const pending: Promise<void>[] = [];
  const stats = { label, sent: 0, ok: 0, failed: [] as string[], maxMs: 0 };
  let stopped = false;
  let i = 0;
  const loop = (async () => {
    while (!stopped) {
      const n = i++;
      const svc = services[n % 2]!;
      const push = makePush({ type: 'text', content: `${label} #${n}` }, { mode: 'compatible', openId: `oOutageUser${String(n % 7).padStart(16, '0')}` });
      stats.sent++;
      pending.push(
        send(agent, `${svc.url}`, { query: push.query, body: push.body, path: '/wechat' }).then(
          (a) => {
            stats.maxMs = Math.max(stats.maxMs, a.ms);
            const p = replyProblem(push, a, `${label} #${n}`);
            if (p) stats.failed.push(p);
            else stats.ok++;
          },
          (err: Error) => void stats.failed.push(`request error: ${err.message}`),
        ),
      );
      await pause(1000 / RATE_PER_S);
    }
  })();
  return {
    stats,
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(pending);
      return stats;
    },
  };
}

async function phase(label: string, ms: number, during?: () => Promise<void>): Promise<void> {
  const t = traffic(label);
  const started = Date.now();
  await during?.();
  const left = ms - (Date.now() - started);
  if (left > 0) await pause(left);
  const s = await t.stop();
  const ready = await getStatus(agent, services[0]!.url, '/readyz');
  report.phases.push([label, s.sent, s.ok, s.failed.length ? `${s.failed.length}: ${[...new Set(s.failed)].slice(0, 3).join('; ')}` : 0, s.maxMs.toFixed(0), ready.status]);
  assert.deepEqual(s.failed, [], `${label}: every valid push answered correctly`);
}

test(`MongoDB stopped for ${OUTAGE_MS / 1000} s under ${RATE_PER_S} pushes/s`, { timeout: 180_000 }, async () => {
  const [A, B] = services as [RunningService, RunningService];
  assert.ok(await waitFor(async () => (await getStatus(agent, A.url, '/readyz')).status === 200 && (await getStatus(agent, B.url, '/readyz')).status === 200, 15_000), 'both instances ready');
  assert.ok(await waitFor(async () => (await tokenInMongo()) !== undefined, 10_000), 'the first token reached MongoDB');
  const t0 = (await A.app.wechat.fetchAccessToken()).access_token;
  report.checks.push(['token calls at start (2 instances, shared lease)', emulator.stats()['wxsandbox000000001']?.token ?? 0]);

  // A message handled before the outage, by A.
  const early: Push = makePush({ type: 'text', content: 'before the outage' }, { mode: 'compatible', openId: 'oOutageEarly000000000000001' });
  assert.equal(replyProblem(early, await send(agent, A.url, { query: early.query, body: early.body }), 'before the outage'), undefined);

  await phase('before', BEFORE_MS);

  let t1 = '';
  let invalidateMs = 0;
  const outagePush = makePush({ type: 'text', content: 'during the outage' }, { mode: 'compatible', openId: 'oOutageDuring00000000000001' });
  await mongoServer.pause();
  const outageStarted = Date.now();
  await phase('outage', OUTAGE_MS, async () => {
    await pause(1500);
    // WeChat rejected the token (say): refresh during the outage. The store is down; the caller must still get a token.
    const started = Date.now();
    t1 = (await A.app.wechat.invalidateAccessToken(t0)).access_token;
    invalidateMs = Date.now() - started;
    // A push and its re-delivery to the same instance during the outage: in-process dedupe.
    const first = await send(agent, A.url, { query: outagePush.query, body: outagePush.body });
    const again = makePush(outagePush.spec, { mode: 'compatible', openId: outagePush.openId, msgId: outagePush.msgId!, createTime: outagePush.createTime });
    const second = await send(agent, A.url, { query: again.query, body: again.body });
    assert.equal(replyProblem(outagePush, first, 'during the outage'), undefined);
    assert.equal(replyProblem(again, second, 'during the outage'), undefined);
  });
  const downMs = Date.now() - outageStarted;
  await mongoServer.resume();
  const resumedAt = Date.now();
  assert.notEqual(t1, t0, 'a new token during the outage');
  report.checks.push([`token refresh during the outage (invalidate -> new classic token)`, `new token after ${invalidateMs} ms (store calls time out first), no error`]);
  report.checks.push(['re-delivery to the same instance during the outage', `handler ran ${runs.get(outagePush.msgId!)} time(s) (in-process fallback)`]);
  assert.equal(runs.get(outagePush.msgId!), 1);

  await phase('after restart', AFTER_MS);
  assert.ok(await waitFor(async () => (await getStatus(agent, A.url, '/readyz')).status === 200, 15_000), 'A ready again');

  // Tokens resume: the token taken during the outage is saved once MongoDB is back.
  const saved = await waitFor(async () => (await tokenInMongo().catch(() => undefined)) === t1, 40_000, 250);
  report.checks.push(['token refreshed during the outage saved after restart (deferred save)', saved ? `yes, ${((Date.now() - resumedAt) / 1000).toFixed(1)} s after restart` : 'NO (not within 40 s)']);
  assert.ok(saved, 'the token refreshed during the outage reached MongoDB');
  const t2 = (await A.app.wechat.invalidateAccessToken(t1)).access_token;
  assert.notEqual(t2, t1);
  const savedT2 = await waitFor(async () => (await tokenInMongo()) === t2, 10_000);
  report.checks.push(['token refreshed after recovery reaches MongoDB', savedT2 ? 'yes' : 'NO']);
  assert.ok(savedT2, 'the token refreshed after recovery reached MongoDB');

  // Dedupe resumes: the message A handled before the outage, re-delivered to B now.
  const retryEarly = makePush(early.spec, { mode: 'compatible', openId: early.openId, msgId: early.msgId!, createTime: early.createTime });
  const r1 = await send(agent, B.url, { query: retryEarly.query, body: retryEarly.body });
  assert.equal(replyProblem(retryEarly, r1, 'before the outage'), undefined);
  report.checks.push(['re-delivery to B of a message A handled before the outage', `handler ran ${runs.get(early.msgId!)} time(s), same reply`]);
  assert.equal(runs.get(early.msgId!), 1, 'deduplicated through MongoDB');
  const late = makePush({ type: 'text', content: 'after recovery' }, { mode: 'compatible', openId: 'oOutageLate0000000000000001' });
  assert.equal(replyProblem(late, await send(agent, A.url, { query: late.query, body: late.body }), 'after recovery'), undefined);
  const retryLate = makePush(late.spec, { mode: 'compatible', openId: late.openId, msgId: late.msgId!, createTime: late.createTime });
  assert.equal(replyProblem(retryLate, await send(agent, B.url, { query: retryLate.query, body: retryLate.body }), 'after recovery'), undefined);
  report.checks.push(['new message to A after recovery, re-delivered to B', `handler ran ${runs.get(late.msgId!)} time(s)`]);
  assert.equal(runs.get(late.msgId!), 1);

  assert.equal((await getStatus(agent, A.url, '/healthz')).status, 200);
  assert.equal(exits, 0);
  report.checks.push(['process', `still running; database down ${(downMs / 1000).toFixed(1)} s`]);
});
