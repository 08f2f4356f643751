/**
 * The stampede rig shared by bench/stampede.ts (access_token) and bench/jssdk-stampede.ts (jsapi
 * ticket): one MongoDB (the harness's FerretDB or MONGODB_TEST_URI) and one emulator; for each
 * contender in turn, the emulator is reset, the shared collections dropped, K worker processes
 * (bench/stampede-worker.ts) started, and each fires M concurrent calls twice: on the cold store, then
 * after the emulator's clock and every worker's clock moved past the credential's lifetime.
 * `summarize` turns each phase into the figures of the caller's table while the emulator still holds
 * that phase's state (its counters and issued tickets).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import mongoose from 'mongoose';
import { startEmulator, SANDBOX_APP, type AppCallStats, type Emulator, type StartEmulatorOptions } from '../../src/emulator/index.js';
import { startTestMongo, withDatabase } from '../../test/support/mongo-server.js';

const WORKER = fileURLToPath(new URL('../stampede-worker.ts', import.meta.url));

/** What the workers ask for: an access_token, or a `wx.config` (which needs the jsapi ticket). */
export type StampedeTarget = 'token' | 'jssdk';
/** Ours in stable or classic token mode, or co-wechat-api 3 with its documented shared storage. */
export type StampedeContender = 'ours-stable' | 'ours-classic' | 'co-wechat-api';

/** The page whose `wx.config` the jssdk workers ask for (the parent checks the signatures against it). */
export const PAGE_URL = 'https://h5.example.com/share?from=timeline';
/** The JS-SDK functions the page asks for. */
export const JS_API_LIST: readonly string[] = ['updateAppMessageShareData', 'updateTimelineShareData'];

/** One worker's answer to a phase. */
export interface WorkerDone {
  /** Calls that resolved. */
  ok: number;
  /** A short code per failed call. */
  errors: string[];
  /** What the calls resolved to, distinct (tokens; or configs as JSON). */
  values: string[];
}

/** One phase of one contender, as `summarize` sees it. */
export interface StampedePhase {
  /** The app's emulator counters before and after the phase. */
  before: AppCallStats;
  after: AppCallStats;
  done: WorkerDone[];
  /** Wall time from the first `go` to the last answer. */
  ms: number;
  emulator: Emulator;
}

/** Options of {@link runStampede}. */
export interface StampedeOptions<R> {
  target: StampedeTarget;
  contenders: readonly StampedeContender[];
  /** Worker processes. */
  k: number;
  /** Concurrent calls per worker and phase. */
  m: number;
  /** Lifetime of the credential in the emulator; the clocks move by this plus one second. */
  lifetimeSeconds: number;
  emulator?: StartEmulatorOptions;
  /** Collections dropped (indexes included) before each contender. */
  collections: readonly string[];
  summarize(phase: StampedePhase): R;
}

/** Per contender, the summaries of the cold and the expiry phase; and the database used. */
export interface StampedeResults<R> {
  results: Map<StampedeContender, { cold: R; expiry: R }>;
  mongoDescription: string;
}

/** The row of ours a contender's ratios are taken against: co-wechat-api against ours in classic mode (same token endpoint). */
export function baselineOf<R>(results: StampedeResults<R>['results'], c: StampedeContender): { cold: R; expiry: R } {
  const base = results.get(c === 'co-wechat-api' ? 'ours-classic' : c);
  if (!base) throw new Error(`no baseline row for ${c}`);
  return base;
}

/** Upstream calls of `kinds` during a phase. */
export function upstreamCalls(p: Pick<StampedePhase, 'before' | 'after'>, ...kinds: ('token' | 'stable_token' | 'ticket')[]): number {
  return kinds.reduce((s, k) => s + p.after[k] - p.before[k], 0);
}

/** Failed calls of the phases, as a table cell: `0`, or the count and the distinct codes. */
export function failedCell(done: readonly WorkerDone[]): string {
  const errs = done.flatMap((d) => d.errors);
  return errs.length === 0 ? '0' : `${errs.length} (${[...new Set(errs)].join(', ')})`;
}

interface Worker {
  child: ChildProcess;
  next(): Promise<Record<string, unknown>>;
  send(o: unknown): void;
}

function startWorker(args: string[]): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    child,
    async next() {
      const r = await lines.next();
      if (r.done) throw new Error(`stampede worker exited (code ${child.exitCode})`);
      return JSON.parse(r.value) as Record<string, unknown>;
    },
    send(o) {
      child.stdin!.write(`${JSON.stringify(o)}\n`);
    },
  };
}

/** Run every contender's cold and expiry phase; see the module comment. */
export async function runStampede<R>(o: StampedeOptions<R>): Promise<StampedeResults<R>> {
  const mongoServer = await startTestMongo({ log: (l) => console.error(l) });
  const uri = withDatabase(mongoServer.uri, `bench_stampede_${o.target}_${process.pid}`);
  const admin = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  const emulator = await startEmulator({ ...o.emulator, tokenLifetimeSeconds: o.lifetimeSeconds });
  const appId = SANDBOX_APP.appId;
  const results = new Map<StampedeContender, { cold: R; expiry: R }>();
  try {
    for (const contender of o.contenders) {
      emulator.reset();
      // Dropped, indexes included: co-wechat-api must not meet the unique index our store created.
      for (const c of o.collections) await admin.db!.collection(c).drop().catch(() => {});
      const workers = Array.from({ length: o.k }, () => startWorker([o.target, contender, uri, emulator.url, appId, SANDBOX_APP.secret, String(o.m)]));
      try {
        for (const w of workers) await w.next(); // ready
        const phase = async (offsetMs: number): Promise<R> => {
          const before = emulator.stats()[appId]!;
          const started = performance.now();
          for (const w of workers) w.send({ go: true, offsetMs });
          const done = (await Promise.all(workers.map((w) => w.next()))) as unknown as WorkerDone[];
          const ms = performance.now() - started;
          return o.summarize({ before, after: emulator.stats()[appId]!, done, ms, emulator });
        };
        const cold = await phase(0);
        // Expiry: every process's clock and the emulator's move past the credential's lifetime.
        emulator.advanceClock(o.lifetimeSeconds + 1);
        const expiry = await phase(emulator.now() - Date.now());
        results.set(contender, { cold, expiry });
        for (const w of workers) w.send({ exit: true });
        await Promise.all(workers.map((w) => new Promise((r) => (w.child.exitCode !== null ? r(null) : w.child.once('exit', r)))));
      } finally {
        for (const w of workers) if (w.child.exitCode === null) w.child.kill();
      }
    }
  } finally {
    await admin.dropDatabase().catch(() => {});
    await admin.close();
    await emulator.close();
    await mongoServer.stop();
  }
  return { results, mongoDescription: mongoServer.description };
}
