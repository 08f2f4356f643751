/**
 * `npm run bench -- api`: a 10 MB video upload (peak RSS growth) and JSON API calls/s with a cached
 * token, ours vs co-wechat-api, each in its own process against one emulator started here.
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
const rows: Array<{ contender: string; rssGrowthMiB: number; callsPerSecond: number }> = [];
try {
  for (const contender of ['ours', 'co-wechat-api']) {
    // Asynchronous: the emulator in this process must keep answering while the worker runs.
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--expose-gc', '--import', 'tsx', worker, contender, emu.url, video], { maxBuffer: 1 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    rows.push(JSON.parse(out.trim().split('\n').pop()!) as (typeof rows)[number]);
  }
} finally {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
}
const ours = rows[0]!;
console.log('| contender | 10 MB video upload: peak RSS growth (MiB) | JSON calls/s (cached token) | calls/s ratio ours/peer |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.contender} | ${r.rssGrowthMiB.toFixed(2)} | ${r.callsPerSecond.toFixed(0)} | ${(ours.callsPerSecond / r.callsPerSecond).toFixed(2)} |`);
