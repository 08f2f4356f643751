/**
 * Webhook throughput benchmark (docs/benchmarks.md): ours against co-wechat 2.4 and two ceilings,
 * each server in its own process, loaded by autocannon in another process.
 *
 *   node --import tsx bench/webhook.ts [--duration 5] [--runs 3] [--warmup 2] [--connections 50]
 *                                      [--only ours-plain,co-wechat-plain] [--cpu-prof DIR] [--json FILE]
 *
 * For each server: start it, check one request by hand (the reply must be a correct reply), run a
 * discarded warm-up, then measured runs; report the median requests/second, the server's CPU time per
 * request (utime+stime deltas from /proc/PID/stat) and its peak RSS (VmHWM). Every request carries a
 * fresh MsgId so retry dedupe never answers from memory. Every wait is bounded. With `--cpu-prof DIR`
 * each server runs under the V8 profiler and a table of where its CPU goes follows (profile-breakdown.ts).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseXml } from '../src/webhook/xml.js';
import { BENCH_ACCOUNT, BENCH_CONTENT, BENCH_OPENID, FIXED_REPLY, RequestFactory, type BenchMode } from './webhook/requests.js';
import type { ServerKind } from './webhook/servers.js';
import { machineDescription } from './support/table.js';
import { breakdown, PARTS } from './webhook/profile-breakdown.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SERVERS = path.join(here, 'webhook', 'servers.ts');
const LOAD = path.join(here, 'webhook', 'load.ts');

interface Contender {
  kind: ServerKind;
  label: string;
  mode: BenchMode;
  reply: 'fixed' | 'text';
}

const CONTENDERS: Contender[] = [
  { kind: 'node-http', label: 'bare node:http, fixed reply', mode: 'plain', reply: 'fixed' },
  { kind: 'koa-body', label: 'bare Koa 3, body read', mode: 'plain', reply: 'fixed' },
  { kind: 'xml2js-minimal', label: 'floor of xml2js designs: sha1 + raw-body + xml2js + template', mode: 'plain', reply: 'text' },
  { kind: 'co-wechat-plain', label: 'Koa 3 + co-wechat 2.4, plain', mode: 'plain', reply: 'text' },
  { kind: 'ours-plain', label: 'ours, plain', mode: 'plain', reply: 'text' },
  { kind: 'co-wechat-aes', label: 'Koa 3 + co-wechat 2.4, aes', mode: 'aes', reply: 'text' },
  { kind: 'ours-safe', label: 'ours, safe (aes)', mode: 'aes', reply: 'text' },
];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}
const DURATION = Number(arg('duration', '5'));
const RUNS = Number(arg('runs', '3'));
const WARMUP = Number(arg('warmup', '2'));
const CONNECTIONS = Number(arg('connections', '50'));
const ONLY = arg('only', '').split(',').filter(Boolean);
const CPU_PROF = arg('cpu-prof', '');
const JSON_OUT = arg('json', '');
if (![DURATION, RUNS, WARMUP, CONNECTIONS].every((n) => Number.isFinite(n) && n >= 0) || RUNS < 1 || RUNS > 10 || DURATION > 60) {
  console.error('bad arguments: runs 1-10, duration <= 60 s');
  process.exit(2);
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process, in microseconds. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
}

function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]);
}

async function startServer(kind: ServerKind): Promise<{ child: ChildProcess; port: number }> {
  const flags = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.join(CPU_PROF, kind)}`] : [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', SERVERS, kind, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await withTimeout(
    new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /READY (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
    }),
    30_000,
    `starting ${kind}`,
  );
  return { child, port };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await withTimeout(exited, 10_000, 'stopping a server').catch(() => child.kill('SIGKILL'));
}

/** Send one request by hand and check the reply is a correct reply. Returns notes on deviations. */
async function checkByHand(c: Contender, port: number): Promise<string[]> {
  const factory = new RequestFactory('/', c.mode, 1);
  const req = factory.next();
  const res = await withTimeout(fetch(`http://127.0.0.1:${port}${req.path}`, { method: 'POST', body: req.body, headers: { 'content-type': 'text/xml' } }), 10_000, 'check');
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${c.kind}: status ${res.status}: ${text.slice(0, 200)}`);
  if (c.reply === 'fixed') {
    if (text !== FIXED_REPLY) throw new Error(`${c.kind}: unexpected body`);
    return [];
  }
  const xml = c.mode === 'aes' ? factory.openReply(text) : text;
  const f = parseXml(xml);
  const notes: string[] = [];
  if (f.MsgType !== 'text' || f.Content !== BENCH_CONTENT) throw new Error(`${c.kind}: not the expected text reply: ${xml.slice(0, 300)}`);
  if (f.ToUserName !== BENCH_OPENID || f.FromUserName !== BENCH_ACCOUNT) throw new Error(`${c.kind}: To/From not swapped`);
  if (!/^\d{10}$/.test(String(f.CreateTime))) notes.push(`CreateTime ${String(f.CreateTime)} is not in seconds`);
  if (c.mode === 'aes' && !/<TimeStamp>\d{10}<\/TimeStamp>/.test(text)) notes.push('encrypted reply TimeStamp is not in seconds');
  return notes;
}

interface RunResult {
  requests: number;
  durationSeconds: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latencyP50: number;
  latencyP99: number;
}

async function load(c: Contender, port: number, seconds: number, seed: number): Promise<RunResult> {
  const args = JSON.stringify({ url: `http://127.0.0.1:${port}`, path: '/', mode: c.mode, connections: CONNECTIONS, durationSeconds: seconds, seed });
  const child = spawn(process.execPath, ['--import', 'tsx', LOAD, args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await withTimeout(new Promise<number | null>((resolve) => child.on('exit', resolve)), (seconds + 30) * 1000, 'a load run').catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop() as string) as RunResult;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

interface Row {
  kind: ServerKind;
  label: string;
  reqPerSec: number;
  cpuMicrosPerReq: number;
  p99Ms: number;
  peakRssMiB: number;
  runs: Array<{ reqPerSec: number; cpuMicrosPerReq: number }>;
  notes: string[];
}

async function measure(c: Contender, seedBase: number): Promise<Row> {
  const { child, port } = await startServer(c.kind);
  try {
    const notes = await checkByHand(c, port);
    if (WARMUP > 0) await load(c, port, WARMUP, seedBase);
    const runs: Array<{ reqPerSec: number; cpuMicrosPerReq: number; p99: number }> = [];
    for (let i = 0; i < RUNS; i++) {
      const before = cpuMicros(child.pid as number);
      const r = await load(c, port, DURATION, seedBase + i + 1);
      const after = cpuMicros(child.pid as number);
      if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0) notes.push(`run ${i + 1}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
      runs.push({ reqPerSec: r.requests / r.durationSeconds, cpuMicrosPerReq: (after - before) / r.requests, p99: r.latencyP99 });
    }
    return {
      kind: c.kind,
      label: c.label,
      reqPerSec: median(runs.map((r) => r.reqPerSec)),
      cpuMicrosPerReq: median(runs.map((r) => r.cpuMicrosPerReq)),
      p99Ms: median(runs.map((r) => r.p99)),
      peakRssMiB: peakRssMiB(child.pid as number),
      runs: runs.map(({ reqPerSec, cpuMicrosPerReq }) => ({ reqPerSec, cpuMicrosPerReq })),
      notes,
    };
  } finally {
    await stopServer(child);
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const loadBefore = os.loadavg();
console.log(`webhook benchmark: ${CONNECTIONS} connections, warm-up ${WARMUP} s, ${RUNS} x ${DURATION} s runs, medians`);
console.log(`machine: ${machineDescription()}`);
const rows: Row[] = [];
let seed = (Date.now() % 1000) * 1000;
for (const c of CONTENDERS) {
  if (ONLY.length > 0 && !ONLY.includes(c.kind)) continue;
  process.stderr.write(`  measuring ${c.label} ...\n`);
  rows.push(await measure(c, (seed += 100)));
}
const loadAfter = os.loadavg();

const byKind = new Map(rows.map((r) => [r.kind, r]));
/** Which of ours each row is compared with. */
const oursFor = (kind: ServerKind): Row | undefined => byKind.get(kind.endsWith('aes') || kind === 'ours-safe' ? 'ours-safe' : 'ours-plain');
console.log('');
console.log('| server | req/s | server CPU us/req | p99 ms | peak RSS MiB | ours / this (req/s) | this / ours (CPU/req) |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const ours = oursFor(r.kind);
  const ratio = ours && ours !== r ? `${(ours.reqPerSec / r.reqPerSec).toFixed(2)}x` : '-';
  const cpuRatio = ours && ours !== r ? `${(r.cpuMicrosPerReq / ours.cpuMicrosPerReq).toFixed(2)}x` : '-';
  console.log(`| ${r.label} | ${fmt(r.reqPerSec)} | ${fmt(r.cpuMicrosPerReq)} | ${fmt(r.p99Ms)} | ${fmt(r.peakRssMiB, 1)} | ${ratio} | ${cpuRatio} |`);
}
console.log('');
const target = (name: string, value: number | undefined, goal: number, higherIsBetter = true) => {
  if (value === undefined || !Number.isFinite(value)) return;
  const met = higherIsBetter ? value >= goal : value <= goal;
  console.log(`${met ? 'MET ' : 'MISS'} ${name}: ${value.toFixed(2)}x (target ${higherIsBetter ? '>=' : '<='} ${goal}x)`);
};
const ratio = (a?: Row, b?: Row) => (a && b ? a.reqPerSec / b.reqPerSec : undefined);
target('ours plain vs co-wechat plain, req/s', ratio(byKind.get('ours-plain'), byKind.get('co-wechat-plain')), 2);
target('ours safe vs co-wechat aes, req/s', ratio(byKind.get('ours-safe'), byKind.get('co-wechat-aes')), 2.5);
target('bare Koa vs ours plain, req/s (within 2x)', ratio(byKind.get('koa-body'), byKind.get('ours-plain')), 2, false);
for (const r of rows) for (const n of r.notes) console.log(`note: ${r.label}: ${n}`);
if (CPU_PROF) {
  // Where the time goes (profiled runs: the profiler's own cost is spread over every part).
  console.log('\nCPU per request by part, from the V8 profiles of these runs (us/req, share of busy samples):\n');
  console.log(`| part | ${rows.map((r) => r.label).join(' | ')} |`);
  console.log(`|---|${rows.map(() => '---:').join('|')}|`);
  const perServer = rows.map((r) => breakdown(path.join(CPU_PROF, r.kind)));
  for (const part of PARTS) {
    const cells = rows.map((r, i) => {
      const b = perServer[i]!;
      const share = b.busy > 0 ? (b.byPart.get(part) ?? 0) / b.busy : 0;
      return `${(share * r.cpuMicrosPerReq).toFixed(0)} (${(share * 100).toFixed(0)}%)`;
    });
    console.log(`| ${part} | ${cells.join(' | ')} |`);
  }
}
console.log(`load average after: ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`);
if (JSON_OUT) writeFileSync(JSON_OUT, `${JSON.stringify({ loadBefore, loadAfter, connections: CONNECTIONS, durationSeconds: DURATION, runs: RUNS, rows }, null, 2)}\n`);
