/**
 * The real process: `node dist/src/main.js` in CI (.ci/run builds first; elsewhere src/main.ts
 * through tsx, so a stale dist/ cannot hide a change) with the
 * emulator and the test MongoDB. A simulated message gets a reply; SIGTERM sent once the slow handler
 * has announced that it started lets the response complete, and the process exits 0.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startEmulator, SANDBOX_APP, type Emulator } from '../../src/emulator/index.js';
import { simulate } from '../../src/simulator/simulate.js';
import { useTestDatabase, type TestDatabase } from '../support/test-db.js';
import { freePort } from '../support/mongo-server.js';
import { until } from '../support/until.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = `${root}dist/src/main.js`;
let emulator: Emulator;
let db: TestDatabase;
let child: ChildProcess | undefined;
let output = '';

before(async () => {
  emulator = await startEmulator();
  db = await useTestDatabase(import.meta.url);
});
after(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await emulator?.close();
  await db?.cleanup();
});

function exited(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) resolve(proc.exitCode);
    else proc.once('exit', (code) => resolve(code));
  });
}

async function waitReady(url: string): Promise<void> {
  const ready = async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200;
  // A bound, not a speed check: under load, starting a process and fetching a token can take a while.
  await until(ready, { timeoutMs: 45_000, what: `readiness; output:\n${output}` });
}

/** Resolves when the child prints `marker` (the slow handler announces that it started). */
function printed(marker: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!output.includes(marker)) return;
      child?.stderr?.off('data', check);
      resolve();
    };
    child?.stderr?.on('data', check);
    check();
  });
}

test('the process serves a simulated conversation and exits 0 on SIGTERM after finishing a slow request', async () => {
  const port = await freePort();
  const [cmd, args] = process.env.CI && existsSync(built) ? [process.execPath, [built]] : [process.execPath, ['--import', 'tsx', `${root}src/main.ts`]];
  child = spawn(cmd, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      WECHAT_APP_ID: SANDBOX_APP.appId,
      WECHAT_APP_SECRET: SANDBOX_APP.secret,
      WECHAT_TOKEN: SANDBOX_APP.token,
      WECHAT_API_BASE: emulator.url,
      MONGODB_URI: db.uri,
      HOST: '127.0.0.1',
      PORT: String(port),
      WECHAT_HANDLERS: `${root}test/fixtures/slow-handlers.mjs`,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url);

  const sim = { url: `${url}/wechat`, token: SANDBOX_APP.token, appId: SANDBOX_APP.appId, timeoutMs: 4000, attempts: 1 };
  const first = await simulate({ type: 'text', content: 'hello' }, sim);
  assert.deepEqual(first.reply && { msgType: first.reply.msgType, content: (first.reply as { content?: string }).content }, { msgType: 'text', content: 'echo: hello' });

  const started = printed('slow-handler:started');
  const slow = simulate({ type: 'text', content: 'slow request' }, sim);
  await started;
  const exitCode = exited(child);
  child.kill('SIGTERM');
  const answered = await slow;
  assert.equal((answered.reply as { content?: string } | null)?.content, 'done: slow request');
  assert.equal(await exitCode, 0, output);

  // One token fetch for the whole life of the process; the token went to MongoDB.
  const stats = emulator.stats()[SANDBOX_APP.appId];
  assert.equal((stats?.stable_token ?? 0) + (stats?.token ?? 0), 1);
  const saved = await db.connection.db!.collection('tokens').countDocuments();
  assert.ok(saved >= 1, 'token saved to MongoDB');
  // No secret in anything the process printed.
  for (const secret of [SANDBOX_APP.secret, SANDBOX_APP.token]) assert.ok(!output.includes(secret), `output leaks ${secret}`);
  assert.match(output, /"event":"http.request".*"msgType":"text"/);
});
