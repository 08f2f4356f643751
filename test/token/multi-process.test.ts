/**
 * 4 separate OS processes x 50 concurrent callers, one MongoDB, one emulator: at cold start and again
 * when the token is about to expire, exactly one upstream token call, and every caller gets a token
 * the emulator accepts. The workers share the emulator's clock (offset passed with each command).
 * Run for MongoTokenStore (stable and classic) and for FileTokenStore (several processes, one host).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Emulator } from '../../src/emulator/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-db.js';
import { APPID, SECRET, startEmu } from '../wechat/support/harness.js';

const PROCESSES = 4;
const CALLERS = 50;
const CLASSIC_APP = { appId: 'wxmultiprocclassic', secret: 'multiprocclassicsecret0000000001' };
const JSSDK_APP = { appId: 'wxmultiprocjssdk01', secret: 'multiprocjssdksecret000000000001' };
const FILE_APP = { appId: 'wxmultiprocfile001', secret: 'multiprocfilesecret0000000000001' };
const WORKER = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));

interface Worker {
  child: ChildProcessWithoutNullStreams;
  lines: Interface;
  next(): Promise<Record<string, unknown>>;
}

let emu: Emulator;
let db: TestDatabase;
let fileDir: string;
const workers: Worker[] = [];

function startWorker(): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: { ...process.env, WORKER_MONGO_URI: db.uri, WORKER_API_BASE: emu.url },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stderr.on('data', (d: Buffer) => process.stderr.write(`[worker ${child.pid}] ${d}`));
  const lines = createInterface({ input: child.stdout });
  const queue: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else queue.push(l);
  });
  return {
    child,
    lines,
    next: () =>
      new Promise((resolve, reject) => {
        const l = queue.shift();
        if (l !== undefined) return resolve(JSON.parse(l) as Record<string, unknown>);
        const onExit = (code: number | null) => reject(new Error(`worker exited with ${code}`));
        child.once('exit', onExit);
        waiting.push((line) => {
          child.off('exit', onExit);
          resolve(JSON.parse(line) as Record<string, unknown>);
        });
      }),
  };
}

before(async () => {
  emu = await startEmu({ apps: [CLASSIC_APP, FILE_APP, JSSDK_APP] });
  fileDir = await mkdtemp(path.join(os.tmpdir(), 'wmp-multiproc-'));
  db = await useTestDatabase(import.meta.url);
  for (let i = 0; i < PROCESSES; i++) workers.push(startWorker());
  const ready = await Promise.all(workers.map((w) => w.next()));
  assert.ok(ready.every((r) => typeof r.ready === 'number'));
});

after(async () => {
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.child.exitCode !== null) return resolve();
          const kill = setTimeout(() => w.child.kill('SIGKILL'), 5000);
          w.child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          w.child.stdin.end(`${JSON.stringify({ cmd: 'exit' })}\n`);
        }),
    ),
  );
  await emu?.close();
  await db?.cleanup();
  if (fileDir) await rm(fileDir, { recursive: true, force: true });
});

/** Send one round to every worker at once and collect their answers. */
async function round(n: number, app: { appId: string; secret: string }, mode: 'stable' | 'classic', useFile: boolean, jssdk = false) {
  const cmd = JSON.stringify({ cmd: 'go', round: n, appid: app.appId, secret: app.secret, mode, offsetMs: emu.now() - Date.now(), callers: CALLERS, fileDir: useFile ? fileDir : undefined, jssdk });
  for (const w of workers) w.child.stdin.write(`${cmd}\n`);
  const results = await Promise.all(workers.map((w) => w.next()));
  for (const r of results) assert.equal(r.error, undefined, String(r.error));
  const tokens = new Set(results.flatMap((r) => r.tokens as string[]));
  const accepted = results.flatMap((r) => r.accepted as boolean[]);
  const sources = results.flatMap((r) => r.sources as string[]);
  return { tokens, accepted, sources };
}

const calls = (appid: string, kind: 'token' | 'stable_token') => emu.stats()[appid]![kind];

for (const [mode, app, storeName] of [
  ['stable', { appId: APPID, secret: SECRET }, 'MongoDB'],
  ['classic', CLASSIC_APP, 'MongoDB'],
  ['stable', FILE_APP, 'FileTokenStore'],
] as const) {
  test(`${PROCESSES} processes x ${CALLERS} callers (${mode}, ${storeName}): one upstream call at cold start and one near expiry`, async () => {
    const kind = mode === 'stable' ? 'stable_token' : 'token';
    const useFile = storeName === 'FileTokenStore';
    const cold = await round(1, app, mode, useFile);
    assert.equal(calls(app.appId, kind), 1, 'cold start: exactly one upstream token call for 200 callers in 4 processes');
    assert.equal(cold.tokens.size, 1, 'everyone got the same token');
    assert.ok(cold.accepted.every(Boolean), 'the emulator accepts it');
    assert.equal(cold.sources.filter((s) => s === 'upstream').length, 1);
    assert.equal(cold.sources.filter((s) => s === 'store').length, PROCESSES - 1, 'the other processes took it from the store');
    process.stderr.write(`[multi-process ${mode}, ${storeName}] cold start: ${calls(app.appId, kind)} upstream call(s) for ${PROCESSES * CALLERS} callers\n`);

    // 20 s before expiry: inside the 30 s skew, so every caller must wait for a new token.
    emu.advanceClock(7200 - 20);
    const expiring = await round(2, app, mode, useFile);
    assert.equal(calls(app.appId, kind), 2, 'near expiry: exactly one more upstream call');
    assert.equal(expiring.tokens.size, 1);
    assert.ok(!cold.tokens.has([...expiring.tokens][0]!), 'a new token');
    assert.ok(expiring.accepted.every(Boolean));
    process.stderr.write(`[multi-process ${mode}, ${storeName}] near expiry: ${calls(app.appId, kind) - 1} upstream call(s) for ${PROCESSES * CALLERS} callers\n`);
  });
}

test(`${PROCESSES} processes x ${CALLERS} callers asking for wx.config on a cold store: one getticket and one token call`, async () => {
  const cold = await round(1, JSSDK_APP, 'stable', false, true);
  const s = () => emu.stats()[JSSDK_APP.appId]!;
  assert.equal(s().ticket, 1, 'exactly one getticket for 200 callers in 4 processes');
  assert.equal(s().stable_token + s().token, 1, 'exactly one token call');
  assert.equal(cold.tokens.size, 1, 'every process signs with the same ticket');
  assert.ok(cold.accepted.every(Boolean), 'every signature is of that ticket');
  process.stderr.write(`[multi-process jssdk] cold: ${s().ticket} getticket, ${s().stable_token + s().token} token call(s) for ${PROCESSES * CALLERS} callers\n`);
  emu.advanceClock(7200 - 20);
  const expiring = await round(2, JSSDK_APP, 'stable', false, true);
  assert.equal(s().ticket, 2, 'near expiry: exactly one more getticket');
  assert.equal(expiring.tokens.size, 1);
  assert.ok(!cold.tokens.has([...expiring.tokens][0]!), 'a new ticket');
});
