/**
 * End-to-end benchmark: a simulated conversation (per user: subscribe, seven texts, a menu CLICK,
 * an image) pushed as WeChat pushes it (signed; AES-encrypted in safe mode) to a server in its own
 * process, with C users talking at once. Client-side latency per push (p50/p99), server CPU per push
 * (/proc/PID/stat), and every reply checked by the simulator's strict reply validator.
 *
 * Contenders: our service (`startService`, memory stores, bundled example handlers, token from the
 * emulator); our webhook middleware alone on bare Koa 3 (what the service's own layers cost); and
 * co-wechat 2.4 on bare Koa 3 with the same replies.
 *
 *   node --import tsx bench/end-to-end.ts     (env E2E_MESSAGES=2000, E2E_ROUNDS=3, E2E_CONCURRENCY=10, E2E_PROFILE=dir)
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { startEmulator, SANDBOX_APP } from '../src/emulator/index.js';
import { buildDelivery, buildMessageXml, newNonce, newSimMsgId, validateReply, type SimMessageSpec } from '../src/simulator/index.js';
import { WechatCipher } from '../src/webhook/crypto.js';
import { EXAMPLE_WELCOME_TEXT } from '../src/webhook/examples.js';
import { machineDescription, percentile, printTable, ratio } from './support/table.js';

const N = Number(process.env.E2E_MESSAGES ?? 2000);
const C = Number(process.env.E2E_CONCURRENCY ?? 10);
const WARMUP = 500;
const ROUNDS = Number(process.env.E2E_ROUNDS ?? 3);
const SERVER = fileURLToPath(new URL('./e2e-server.ts', import.meta.url));
const CLK_TCK = 100; // Linux USER_HZ

type Mode = 'plain' | 'safe';

/** One user's turn: what is sent and the reply text expected (undefined: `success`). */
interface Turn {
  spec: SimMessageSpec;
  expect: string | undefined;
}

function conversation(): Turn[] {
  const turns: Turn[] = [{ spec: { type: 'event', event: 'subscribe' }, expect: EXAMPLE_WELCOME_TEXT }];
  for (let i = 1; i <= 7; i++) turns.push({ spec: { type: 'text', content: `hello ${i}: 你好` }, expect: `hello ${i}: 你好` });
  turns.push({ spec: { type: 'event', event: 'CLICK', eventKey: 'MENU_HELP' }, expect: 'MENU_HELP' });
  turns.push({ spec: { type: 'image', picUrl: 'http://example.invalid/p.jpg', mediaId: 'media1' }, expect: undefined });
  return turns;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15 of the full line)
}

interface RunResult {
  latencies: number[];
  invalid: Map<string, number>;
  cpuUsPerMsg: number;
  msgsPerSec: number;
}

async function runOne(kind: 'ours' | 'ours-bare' | 'co-wechat', mode: Mode, emulatorUrl: string): Promise<RunResult> {
  // E2E_PROFILE=<dir>: write a V8 CPU profile of each server process there.
  const prof = process.env.E2E_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.E2E_PROFILE}`] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', SERVER, kind, mode, emulatorUrl], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error(`${kind} server exited before listening`);
  const { url } = JSON.parse(first.value) as { url: string };
  const agent = new Agent({ connections: C, keepAliveTimeout: 10_000 });
  const cipher = mode === 'safe' ? new WechatCipher(SANDBOX_APP.encodingAESKey, SANDBOX_APP.appId) : undefined;
  const turns = conversation();
  const latencies: number[] = [];
  const invalid = new Map<string, number>();
  let sent = 0;
  let cpuStart = 0;
  let wallStart = 0;

  const push = async (openId: string, turn: Turn): Promise<void> => {
    const nowS = Math.floor(Date.now() / 1000);
    const xml = buildMessageXml(turn.spec, {
      toUser: SANDBOX_APP.accountId,
      fromUser: openId,
      createTime: nowS,
      ...(turn.spec.type === 'event' ? {} : { msgId: newSimMsgId() }),
    });
    const d = buildDelivery({ xml, mode, token: SANDBOX_APP.token, accountId: SANDBOX_APP.accountId, openId, ...(cipher ? { cipher } : {}), timestamp: String(nowS), nonce: newNonce() });
    const target = `${url}?${new URLSearchParams(d.query).toString()}`;
    const t0 = performance.now();
    const res = await request(target, { method: 'POST', body: d.body, headers: { 'content-type': 'text/xml' }, dispatcher: agent });
    const body = await res.body.text();
    const ms = performance.now() - t0;
    const index = sent++;
    if (index === WARMUP) {
      cpuStart = cpuTicks(child.pid!);
      wallStart = performance.now();
    }
    if (index >= WARMUP) latencies.push(ms);
    // Checked outside the timed section: status, then the strict reply rules WeChat applies.
    let problem: string | undefined;
    if (res.statusCode !== 200) problem = `HTTP ${res.statusCode}`;
    else if (body.trim() === '' || body.trim() === 'success') {
      if (turn.expect !== undefined) problem = 'no reply';
    } else {
      try {
        const r = validateReply(body, {
          openId,
          accountId: SANDBOX_APP.accountId,
          token: SANDBOX_APP.token,
          appId: SANDBOX_APP.appId,
          encodingAESKey: SANDBOX_APP.encodingAESKey,
          mode,
          nowSeconds: Math.floor(Date.now() / 1000),
        });
        if (r.msgType !== 'text' || r.content !== turn.expect) problem = 'wrong reply';
      } catch (err) {
        problem = (err as Error).message.replace(/\d{6,}/g, 'N').slice(0, 80);
      }
    }
    if (problem) invalid.set(problem, (invalid.get(problem) ?? 0) + 1);
  };

  const total = N + WARMUP;
  let nextUser = 0;
  const worker = async () => {
    while (sent < total) {
      const openId = `oBenchUser${String(nextUser++).padStart(17, '0')}`;
      for (const turn of turns) {
        if (sent >= total) return;
        await push(openId, turn);
      }
    }
  };
  await Promise.all(Array.from({ length: C }, worker));
  const wallMs = performance.now() - wallStart;
  const cpuUs = ((cpuTicks(child.pid!) - cpuStart) / CLK_TCK) * 1e6;
  await agent.close();
  child.stdin!.end();
  await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  return { latencies, invalid, cpuUsPerMsg: cpuUs / latencies.length, msgsPerSec: (latencies.length / wallMs) * 1000 };
}

const emulator = await startEmulator();
const rows: string[][] = [];
const KINDS = [
  ['ours', 'ours (service)'],
  ['ours-bare', 'ours: webhook middleware alone on Koa 3'],
  ['co-wechat', 'co-wechat 2.4 + Koa 3'],
] as const;
const median = (xs: number[]) => percentile(xs, 50);
try {
  for (const mode of ['plain', 'safe'] as const) {
    // Rounds interleave the contenders, so a burst of load from elsewhere hits them alike; medians of rounds.
    const runs = new Map<string, RunResult[]>(KINDS.map(([k]) => [k, []]));
    for (let round = 0; round < ROUNDS; round++) for (const [kind] of KINDS) runs.get(kind)!.push(await runOne(kind, mode, emulator.url));
    const summary = (kind: string) => {
      const rs = runs.get(kind)!;
      const invalid = new Map<string, number>();
      for (const r of rs) for (const [k, v] of r.invalid) invalid.set(k, (invalid.get(k) ?? 0) + v);
      return {
        p50: median(rs.map((r) => percentile(r.latencies, 50))),
        p99: median(rs.map((r) => percentile(r.latencies, 99))),
        rate: median(rs.map((r) => r.msgsPerSec)),
        cpu: median(rs.map((r) => r.cpuUsPerMsg)),
        invalid,
      };
    };
    const ours = summary('ours');
    for (const [kind, label] of KINDS) {
      const r = summary(kind);
      const bad = [...r.invalid].map(([k, v]) => `${v}/${ROUNDS * (N + WARMUP)}: ${k}`).join('; ');
      rows.push([
        `${label}, ${mode}`,
        r.p50.toFixed(2),
        ratio(r.p50, ours.p50),
        r.p99.toFixed(2),
        ratio(r.p99, ours.p99),
        r.rate.toFixed(0),
        r.cpu.toFixed(0),
        ratio(r.cpu, ours.cpu),
        bad === '' ? '0' : bad,
      ]);
    }
  }
} finally {
  await emulator.close();
}
printTable(
  `End-to-end: ${N} pushes of a simulated conversation (+${WARMUP} warm-up) per round, ${C} users at once, server in its own process, median of ${ROUNDS} interleaved rounds`,
  ['server', 'p50 ms', 'vs ours', 'p99 ms', 'vs ours', 'pushes/s', 'server CPU us/push', 'vs ours', 'replies failing the strict check'],
  rows,
  `Latency is client-side (sign/encrypt outside the timing). CPU from /proc/PID/stat (10 ms ticks). ${machineDescription()}.`,
);
