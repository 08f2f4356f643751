/**
 * Stampede benchmark: K processes x M concurrent callers ask for an access_token at cold start and
 * again when the token has expired; the emulator counts the upstream token requests. The physical
 * limit is 1 per event. Contenders share one MongoDB (the harness's FerretDB or MONGODB_TEST_URI) and
 * one emulator, and run one after another:
 *   - ours (Wechat + MongoTokenStore) in stable mode (the default) and in classic mode;
 *   - co-wechat-api 3 with getToken/saveToken on the same `tokens` collection (its README's
 *     multi-process pattern), pointed at the emulator through `api.prefix` (classic /cgi-bin/token).
 *
 *   node --import tsx bench/stampede.ts            K=4, M=50 (env STAMPEDE_K, STAMPEDE_M)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import mongoose from 'mongoose';
import { startEmulator, SANDBOX_APP } from '../src/emulator/index.js';
import { startTestMongo, withDatabase } from '../test/support/mongo-server.js';
import { machineDescription, printTable, ratio } from './support/table.js';

const K = Number(process.env.STAMPEDE_K ?? 4);
const M = Number(process.env.STAMPEDE_M ?? 50);
const LIFETIME_S = 7200;
const WORKER = fileURLToPath(new URL('./stampede-worker.ts', import.meta.url));

type Contender = 'ours-stable' | 'ours-classic' | 'co-wechat-api';
const LABEL: Record<Contender, string> = {
  'ours-stable': 'ours, stable_token (default)',
  'ours-classic': 'ours, classic /cgi-bin/token',
  'co-wechat-api': 'co-wechat-api 3.11, /cgi-bin/token',
};

interface PhaseResult {
  upstream: number;
  ok: number;
  errors: string[];
  distinctTokens: number;
  ms: number;
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

async function main(): Promise<void> {
  const mongoServer = await startTestMongo({ log: (l) => console.error(l) });
  const uri = withDatabase(mongoServer.uri, `bench_stampede_${process.pid}`);
  const admin = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  const emulator = await startEmulator({ tokenLifetimeSeconds: LIFETIME_S });
  const appId = SANDBOX_APP.appId;
  const results = new Map<Contender, { cold: PhaseResult; expiry: PhaseResult }>();
  try {
    for (const contender of ['ours-stable', 'ours-classic', 'co-wechat-api'] as const) {
      emulator.reset();
      // Dropped, indexes included: co-wechat-api must not meet the unique index our store created.
      for (const c of ['tokens', 'token_leases']) await admin.db!.collection(c).drop().catch(() => {});
      const workers = Array.from({ length: K }, () => startWorker([contender, uri, emulator.url, appId, SANDBOX_APP.secret, String(M)]));
      try {
        for (const w of workers) await w.next(); // ready
        const phase = async (offsetMs: number): Promise<PhaseResult> => {
          const before = emulator.stats()[appId];
          const started = performance.now();
          for (const w of workers) w.send({ go: true, offsetMs });
          const done = await Promise.all(workers.map((w) => w.next()));
          const ms = performance.now() - started;
          const after = emulator.stats()[appId];
          const upstream = (after?.token ?? 0) + (after?.stable_token ?? 0) - (before?.token ?? 0) - (before?.stable_token ?? 0);
          const tokens = new Set(done.flatMap((d) => d.tokens as string[]));
          return {
            upstream,
            ok: done.reduce((s, d) => s + (d.ok as number), 0),
            errors: done.flatMap((d) => d.errors as string[]),
            distinctTokens: tokens.size,
            ms,
          };
        };
        const cold = await phase(0);
        // Expiry: every process's clock and the emulator's move past the token's lifetime.
        emulator.advanceClock(LIFETIME_S + 1);
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

  const ours = (c: Contender) => (c === 'co-wechat-api' ? results.get('ours-classic') : results.get(c));
  const rows = [...results].map(([c, r]) => {
    const base = ours(c)!;
    const errs = [...r.cold.errors, ...r.expiry.errors];
    return [
      LABEL[c],
      String(r.cold.upstream),
      ratio(r.cold.upstream, base.cold.upstream),
      String(r.expiry.upstream),
      ratio(r.expiry.upstream, base.expiry.upstream),
      `${r.cold.distinctTokens} / ${r.expiry.distinctTokens}`,
      errs.length === 0 ? '0' : `${errs.length} (${[...new Set(errs)].join(', ')})`,
      `${r.cold.ms.toFixed(0)} / ${r.expiry.ms.toFixed(0)}`,
    ];
  });
  printTable(
    `Stampede: ${K} processes x ${M} concurrent callers, upstream token requests (physical limit 1)`,
    ['contender', 'cold start', 'vs ours', 'at expiry', 'vs ours', 'distinct tokens (cold / expiry)', 'failed calls', 'wall ms (cold / expiry)'],
    rows,
    `Ratios: co-wechat-api is compared with ours in classic mode (same endpoint). Shared MongoDB: ${mongoServer.description}. ${machineDescription()}.`,
  );
}

await main();
