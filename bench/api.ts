/**
 * `npm run bench -- api`: a 10 MB video upload (peak RSS growth) and JSON API calls/s with a cached
 * token, ours vs co-wechat-api vs a bare undici call (the ceiling), each in its own process against
 * one emulator started here. The emulator runs in this process, so calls/s is bounded by it too;
 * the contenders take turns for ROUNDS rounds (the emulator warms up as it goes, which would favour
 * whoever runs last) and each figure is the median of its rounds.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../src/emulator/index.js';

const emu = await startEmulator();
const dir = mkdtempSync(path.join(tmpdir(), 'wmp-bench-api-'));
const video = path.join(dir, 'video.mp4');
writeFileSync(video, Buffer.alloc(10 * 1024 * 1024, 7));
const worker = fileURLToPath(new URL('api-worker.ts', import.meta.url));
type Row = { contender: string; rssGrowthMiB: number | null; arrayBuffersGrowthMiB: number | null; callsPerSecond: number };
const CONTENDERS = ['ours', 'co-wechat-api', 'undici'];
const ROUNDS = 3;
const runs: Row[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) for (const contender of CONTENDERS) {
    // Asynchronous: the emulator in this process must keep answering while the worker runs.
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--expose-gc', '--import', 'tsx', worker, contender, emu.url, video], { maxBuffer: 1 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    runs.push(JSON.parse(out.trim().split('\n').pop()!) as Row);
  }
} finally {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: Row[] = CONTENDERS.map((contender) => {
  const mine = runs.filter((r) => r.contender === contender);
  const of = (k: 'rssGrowthMiB' | 'arrayBuffersGrowthMiB'): number | null => {
    const xs = mine.flatMap((r) => (r[k] === null ? [] : [r[k]]));
    return xs.length ? median(xs) : null;
  };
  return { contender, rssGrowthMiB: of('rssGrowthMiB'), arrayBuffersGrowthMiB: of('arrayBuffersGrowthMiB'), callsPerSecond: median(mine.map((r) => r.callsPerSecond)) };
});
const ours = rows[0]!;
const mib = (n: number | null): string => (n === null ? '-' : n.toFixed(2));
console.log('| contender | 10 MB video upload: peak RSS growth (MiB) | peak ArrayBuffer growth (MiB) | JSON calls/s (cached token) | calls/s ratio ours/peer |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.contender === 'undici' ? 'bare undici request + body.json() (ceiling)' : r.contender} | ${mib(r.rssGrowthMiB)} | ${mib(r.arrayBuffersGrowthMiB)} | ${r.callsPerSecond.toFixed(0)} | ${(ours.callsPerSecond / r.callsPerSecond).toFixed(2)} |`);
console.log(`\nJSON calls/s by round: ${CONTENDERS.map((c) => `${c} ${runs.filter((r) => r.contender === c).map((r) => r.callsPerSecond.toFixed(0)).join(' / ')}`).join('; ')}. RSS growth by round (MiB): ${CONTENDERS.slice(0, 2).map((c) => `${c} ${runs.filter((r) => r.contender === c).map((r) => r.rssGrowthMiB!.toFixed(2)).join(' / ')}`).join('; ')}.`);
