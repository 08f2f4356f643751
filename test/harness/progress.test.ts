/**
 * The test harness reports progress while it builds FerretDB (a minute or two of silence otherwise):
 * a line with the elapsed time at each interval, none after the step ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../support/fake-clock.js';
import { formatElapsed, startProgress } from '../support/progress.js';

test('a progress line every interval with the elapsed time, and none after stop()', async () => {
  const clock = new FakeClock();
  const lines: string[] = [];
  const stop = startProgress((ms) => lines.push(`still building (${formatElapsed(ms)} elapsed)`), { everyMs: 15_000, now: clock.now, timers: clock });
  await clock.advance(14_999);
  assert.deepEqual(lines, []);
  await clock.advance(1);
  await clock.advance(15_000);
  await clock.advance(60_000);
  assert.deepEqual(lines, [
    'still building (15 s elapsed)',
    'still building (30 s elapsed)',
    'still building (45 s elapsed)',
    'still building (1 min 0 s elapsed)',
    'still building (1 min 15 s elapsed)',
    'still building (1 min 30 s elapsed)',
  ]);
  stop();
  await clock.advance(60_000);
  assert.equal(lines.length, 6);
  assert.deepEqual(clock.pending, []);
});

test('the FerretDB build is wrapped in a progress line', async () => {
  const { readFile } = await import('node:fs/promises');
  const src = await readFile(new URL('../support/mongo-server.ts', import.meta.url), 'utf8');
  const build = src.slice(src.indexOf('export async function ensureFerretdb'));
  assert.match(build, /startProgress\(\(ms\) => log\(`\[test-db\] still building FerretDB/);
  assert.match(build, /finally \{\s*stopProgress\(\);/);
});
