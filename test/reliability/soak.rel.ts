/**
 * Soak: the service in its own process (tokens and dedupe on MongoDB, compatible mode, the bundled
 * example handlers, tokens from the emulator) under 60 s of mixed traffic at a steady rate: encrypted
 * and plain texts, events, images, WeChat re-deliveries, bad signatures, signed garbage, URL
 * verification, health and metrics scrapes. Every answer must be the expected one (zero unexpected
 * results), the service must log no error, and its RSS (sampled from /proc) must stay bounded.
 *
 *   SOAK_SECONDS=60 SOAK_RATE=30 npm run test:reliability -- soak
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { computeSignature } from '../../src/webhook/signature.js';
import type { SimMessageSpec } from '../../src/simulator/index.js';
import type { MessageMode } from '../../src/webhook/options.js';
import { startTestMongo, withDatabase, type TestMongoServer } from '../support/mongo-server.js';
import { mdTable, recordSection, reliabilitySeed, rssMiB } from './support/report.js';
import { APP, expectedText, getStatus, makeAgent, makePush, pause, replyProblem, send, waitFor, type Push } from './support/wire.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const RATE = Number(process.env.SOAK_RATE ?? 30);
const RSS_BOUND_MIB = 100;
const SERVICE = fileURLToPath(new URL('./support/service-process.ts', import.meta.url));

let mongoServer: TestMongoServer;
let emulator: Emulator;
let child: ChildProcess | undefined;
let url = '';
let pid = 0;
const agent = makeAgent(32);
const serviceErrors: string[] = [];
const warnings = new Map<string, number>();
const rssSamples: { t: number; mib: number }[] = [];
const kinds = new Map<string, { sent: number; ok: number; unexpected: string[] }>();
let exitCode: number | null | undefined;
let trafficStarted = false;
let runningAtEnd = false;
const errorsBeforeTraffic: string[] = [];

before(async () => {
  mongoServer = await startTestMongo({ log: (l) => console.error(l) });
  emulator = await startEmulator();
  const env = {
    MONGODB_URI: withDatabase(mongoServer.uri, `rel_soak_${process.pid}`),
    TOKEN_STORE: 'mongo',
    DEDUPE_STORE: 'mongo',
    WECHAT_API_BASE: emulator.url,
    WECHAT_MESSAGE_MODE: 'compatible',
    LOG_LEVEL: 'warn',
  };
  child = spawn(process.execPath, ['--import', 'tsx', SERVICE, JSON.stringify(env)], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.on('exit', (code) => (exitCode = code));
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        serviceErrors.push(`non-JSON output: ${line.slice(0, 200)}`);
        return;
      }
      if (typeof o.url === 'string' && typeof o.pid === 'number') {
        url = o.url;
        pid = o.pid;
        resolve();
      } else if (typeof o.level === 'number' && o.level >= 50) {
        // Before the traffic starts, the readiness polls answer 503 (no token yet), which the request log reports at error level.
        const line = `${String(o.event)} ${String(o.method ?? '')} ${String(o.path ?? '')} ${String(o.status ?? '')}: ${String(o.msg)}`;
        if (trafficStarted) serviceErrors.push(line);
        else errorsBeforeTraffic.push(line);
      }
      else if (typeof o.level === 'number' && o.level >= 40) warnings.set(String(o.event), (warnings.get(String(o.event)) ?? 0) + 1);
    });
    child!.once('exit', (code) => reject(new Error(`service exited with ${code} before listening`)));
  });
  await ready;
});

after(async () => {
  await agent.close();
  if (child && child.exitCode === null) {
    child.stdin!.end();
    await new Promise((r) => child!.once('exit', r));
  }
  await emulator?.close();
  await mongoServer?.stop();
  const first = rssSamples[0]?.mib ?? NaN;
  const last = rssSamples[rssSamples.length - 1]?.mib ?? NaN;
  const max = Math.max(...rssSamples.map((s) => s.mib));
  recordSection(
    '40-soak',
    [
      '## Soak',
      '',
      `${SECONDS} s at ${RATE} requests/s against the service in its own process (tokens and dedupe on MongoDB, compatible mode, bundled example handlers).`,
      '',
      mdTable(
        ['request kind', 'sent', 'as expected', 'unexpected'],
        [...kinds].map(([k, v]) => [k, v.sent, v.ok, v.unexpected.length ? `${v.unexpected.length}: ${[...new Set(v.unexpected)].slice(0, 2).join('; ')}` : 0]),
      ),
      '',
      `Service RSS: ${first.toFixed(1)} MiB at the start, ${last.toFixed(1)} MiB at the end, ${max.toFixed(1)} MiB at most ` +
        `(samples every 5 s: ${rssSamples.map((s) => s.mib.toFixed(0)).join(', ')}; bound: end - start < ${RSS_BOUND_MIB} MiB). ` +
        `Error-level log lines: ${serviceErrors.length}; warnings by event: ${[...warnings].map(([k, v]) => `${k} x${v}`).join(', ') || 'none'}. ` +
        `The process ${runningAtEnd ? 'was still running at the end' : 'had EXITED before the end'} (graceful stop: exit code ${exitCode}). ` +
        `Before the traffic, while no token was fetched yet: ${errorsBeforeTraffic.length} error-level line(s) (${[...new Set(errorsBeforeTraffic)].join('; ') || 'none'}).`,
      ...(serviceErrors.length ? ['', '```', ...serviceErrors.slice(0, 10), '```'] : []),
    ].join('\n'),
  );
});

/** A deterministic pseudo-random sequence (mulberry32), seeded like the rest of the suite. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Job = { kind: string; run: () => Promise<string | undefined> };

test(`soak: ${SECONDS} s of mixed traffic at ${RATE}/s`, { timeout: (SECONDS + 120) * 1000 }, async () => {
  assert.ok(await waitFor(async () => (await getStatus(agent, url, '/readyz')).status === 200, 15_000), 'service ready');
  const random = rng(reliabilitySeed());
  const recent: Push[] = [];
  const user = () => `oSoakUser${String(Math.floor(random() * 50)).padStart(18, '0')}`;
  const pushJob = (kind: string, spec: SimMessageSpec, mode: MessageMode): Job => ({
    kind,
    run: async () => {
      const push = makePush(spec, { mode, openId: user() });
      if (push.msgId) recent.push(push);
      if (recent.length > 200) recent.shift();
      return replyProblem(push, await send(agent, url, { query: push.query, body: push.body }), expectedText(spec));
    },
  });
  const signed = () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = String(Math.floor(random() * 1e9));
    return { signature: computeSignature(APP.token, timestamp, nonce), timestamp, nonce };
  };
  const pick = (): Job => {
    const r = random();
    const n = Math.floor(random() * 1e6);
    if (r < 0.35) return pushJob('text, encrypted (compatible)', { type: 'text', content: `soak ${n} 你好` }, 'compatible');
    if (r < 0.45) return pushJob('text, plain', { type: 'text', content: `plain ${n}` }, 'plain');
    if (r < 0.6) {
      const events: SimMessageSpec[] = [{ type: 'event', event: 'subscribe' }, { type: 'event', event: 'CLICK', eventKey: `KEY_${n % 5}` }, { type: 'event', event: 'LOCATION' }, { type: 'event', event: 'unsubscribe' }];
      return pushJob('event (subscribe, CLICK, LOCATION, unsubscribe)', events[n % events.length]!, 'compatible');
    }
    if (r < 0.65) return pushJob('image', { type: 'image', picUrl: 'http://example.invalid/i.jpg', mediaId: `m${n}` }, 'compatible');
    if (r < 0.75 && recent.length > 0) {
      const orig = recent[n % recent.length]!;
      return {
        kind: 're-delivery of an earlier message (same MsgId)',
        run: async () => {
          const again = makePush(orig.spec, { mode: orig.mode, openId: orig.openId, msgId: orig.msgId!, createTime: orig.createTime });
          return replyProblem(again, await send(agent, url, { query: again.query, body: again.body }), expectedText(orig.spec));
        },
      };
    }
    if (r < 0.85) {
      return {
        kind: 'bad signature (expect 401)',
        run: async () => {
          const push = makePush({ type: 'text', content: 'forged' }, { mode: 'plain', openId: user() });
          const a = await send(agent, url, { query: { ...push.query, signature: 'f'.repeat(40) }, body: push.body });
          return a.status === 401 ? undefined : `HTTP ${a.status}`;
        },
      };
    }
    if (r < 0.9) {
      return {
        kind: 'signed garbage body (expect 400)',
        run: async () => {
          const a = await send(agent, url, { query: signed(), body: `<xml><MsgType>${'<'.repeat(n % 7)}` });
          return a.status === 400 ? undefined : `HTTP ${a.status}`;
        },
      };
    }
    if (r < 0.95) {
      return {
        kind: 'URL verification GET (expect the echostr)',
        run: async () => {
          const echostr = `echo${n}`;
          const a = await send(agent, url, { method: 'GET', query: { ...signed(), echostr }, headers: {} });
          return a.status === 200 && a.body === echostr ? undefined : `HTTP ${a.status}`;
        },
      };
    }
    return {
      kind: '/healthz, /readyz, /metrics',
      run: async () => {
        const path = ['/healthz', '/readyz', '/metrics'][n % 3]!;
        const a = await getStatus(agent, url, path);
        return a.status === 200 && a.body.length > 0 ? undefined : `${path} HTTP ${a.status}`;
      },
    };
  };

  trafficStarted = true;
  const started = Date.now();
  const total = SECONDS * RATE;
  const pending: Promise<void>[] = [];
  let nextSample = started;
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    if (Date.now() >= nextSample) {
      rssSamples.push({ t: Date.now() - started, mib: rssMiB(pid) });
      nextSample += 5000;
    }
    const wait = due - Date.now();
    if (wait > 0) await pause(wait);
    const job = pick();
    const k = kinds.get(job.kind) ?? { sent: 0, ok: 0, unexpected: [] };
    kinds.set(job.kind, k);
    k.sent++;
    pending.push(
      job.run().then(
        (problem) => {
          if (problem) k.unexpected.push(problem);
          else k.ok++;
        },
        (err: Error) => void k.unexpected.push(`request error: ${err.message}`),
      ),
    );
  }
  await Promise.all(pending);
  rssSamples.push({ t: Date.now() - started, mib: rssMiB(pid) });
  const unexpected = [...kinds].flatMap(([kind, v]) => v.unexpected.map((u) => `${kind}: ${u}`));
  assert.deepEqual(unexpected, [], 'every answer as expected');
  assert.deepEqual(serviceErrors, [], 'no error logged by the service');
  runningAtEnd = exitCode === undefined;
  assert.ok(runningAtEnd, 'the service is still running');
  const growth = rssSamples[rssSamples.length - 1]!.mib - rssSamples[0]!.mib;
  assert.ok(growth < RSS_BOUND_MIB, `RSS grew by ${growth.toFixed(1)} MiB`);
  assert.equal((await getStatus(agent, url, '/readyz')).status, 200);
});
