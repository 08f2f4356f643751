/**
 * Test runner: finds `*.test.ts` under the given paths, resolves ONE MongoDB-wire server for the
 * whole run (see test/support/mongo-server.ts), and runs node's test runner with tsx so TypeScript
 * needs no build step. Every test file gets the server as MONGODB_TEST_URI and its own database.
 *
 *   node --import tsx scripts/run-tests.ts [paths...]     (default: test)
 *   TEST_CONCURRENCY=2 ...                                 (files run at once; default 2)
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { startTestMongo } from '../test/support/mongo-server.js';

function collect(target: string, out: string[]): void {
  const st = statSync(target);
  if (st.isFile()) {
    out.push(target);
    return;
  }
  for (const entry of readdirSync(target).sort()) {
    if (entry === 'node_modules' || entry === 'support' || entry === 'fixtures') continue;
    const full = path.join(target, entry);
    if (statSync(full).isDirectory()) collect(full, out);
    else if (/\.test\.ts$/.test(entry)) out.push(full);
  }
}

const targets = process.argv.slice(2);
const files: string[] = [];
for (const t of targets.length ? targets : ['test']) collect(t, files);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const server = await startTestMongo({ log: (l) => console.log(l) });
console.log(`[test-db] database server for this run: ${server.description}`);
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files],
  {
    stdio: 'inherit',
    env: { ...process.env, MONGODB_TEST_URI: server.uri, WMP_TEST_SERVER_SHARED: process.env.MONGODB_TEST_URI ? '0' : '1' },
  },
);
const stopAndExit = async (code: number) => {
  await server.stop();
  process.exit(code);
};
process.on('SIGINT', () => child.kill('SIGINT'));
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => {
  void stopAndExit(code ?? (signal ? 1 : 0));
});
