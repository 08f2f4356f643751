/**
 * What the hot-path benchmarks (bench/token-hot-path.ts, bench/jssdk-hot-path.ts) share: the rig
 * (the harness's MongoDB, the emulator, one `Wechat` on a `MongoTokenStore`) and the loop that turns
 * sequential awaits of a function into calls per second (a discarded warm-up, then the median of
 * `BENCH_RUNS` runs of `BENCH_SECONDS` each), and the table both print.
 */
import mongoose from 'mongoose';
import { startEmulator, SANDBOX_APP, type Emulator } from '../../src/emulator/index.js';
import { MongoTokenStore } from '../../src/token/mongo-token-store.js';
import { Wechat } from '../../src/wechat/client.js';
import { startTestMongo, withDatabase, type TestMongoServer } from '../../test/support/mongo-server.js';
import { machineDescription, printTable, ratio } from './table.js';

/** Seconds per measured run (env BENCH_SECONDS). */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
/** Measured runs per contender (env BENCH_RUNS); the median is reported. */
export const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** Calls of `fn` per second over `SECONDS`, awaited one after another. */
async function rate(fn: () => unknown): Promise<number> {
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

/** Calls per second of one contender: the median and every measured run. */
export interface CallRate {
  readonly median: number;
  readonly runs: readonly number[];
}

/** A discarded warm-up, then `RUNS` measured runs of `fn`. */
export async function callRate(fn: () => unknown): Promise<CallRate> {
  await rate(fn);
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await rate(fn));
  const sorted = [...runs].sort((a, b) => a - b);
  return { median: sorted[Math.floor(RUNS / 2)]!, runs };
}

/** The parts a hot-path benchmark measures against. */
export interface HotPathRig {
  readonly mongo: TestMongoServer;
  readonly emulator: Emulator;
  readonly store: MongoTokenStore;
  readonly wechat: Wechat;
}

/** Start the rig in a fresh database `bench_<name>_<pid>`, run `body`, and tear everything down. */
export async function withHotPathRig(name: string, body: (rig: HotPathRig) => Promise<void>): Promise<void> {
  const mongo = await startTestMongo({ log: (l) => process.stderr.write(`${l}\n`) });
  const emulator = await startEmulator({ port: 0 });
  const connection = mongoose.createConnection(withDatabase(mongo.uri, `bench_${name}_${process.pid}`));
  try {
    await connection.asPromise();
    const store = new MongoTokenStore(connection);
    const wechat = new Wechat({ appId: SANDBOX_APP.appId, appSecret: SANDBOX_APP.secret, apiBase: emulator.url, store });
    try {
      await body({ mongo, emulator, store, wechat });
    } finally {
      await wechat.close();
    }
  } finally {
    await connection.dropDatabase().catch(() => {});
    await connection.close();
    await emulator.close();
    await mongo.stop();
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Print the table of `ours` against one contender: calls/s (median and range), µs per call, ratio. */
export function printRates(title: string, ours: { label: string; rate: CallRate }, other: { label: string; rate: CallRate }, note: string): void {
  const row = (label: string, r: CallRate, digits: number, ratioCell: string) => [
    label,
    fmt(r.median),
    `${fmt(Math.min(...r.runs))} - ${fmt(Math.max(...r.runs))}`,
    (1e6 / r.median).toFixed(digits),
    ratioCell,
  ];
  printTable(
    `${title} (median of ${RUNS} x ${SECONDS} s)`,
    ['contender', 'calls/s', 'range of runs', 'us/call', 'ratio (ours / contender)'],
    [row(ours.label, ours.rate, 3, '1.00x'), row(other.label, other.rate, 1, ratio(ours.rate.median, other.rate.median))],
    `Machine: ${machineDescription()}. ${note}`,
  );
}
