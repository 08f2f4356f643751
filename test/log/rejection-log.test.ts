/** Rejection lines aggregated per reason per interval, on a fake clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RejectionLog } from '../../src/log/rejection-log.js';
import { recordingLogger } from '../support/recording-logger.js';
import { FakeClock } from '../support/fake-clock.js';

test('hardening: a flood of one rejection writes one line per interval, with the count of the rest', async () => {
  const logger = recordingLogger();
  const clock = new FakeClock();
  const log = new RejectionLog(logger, { intervalMs: 60_000, now: clock.now });
  for (let i = 0; i < 10_000; i++) log.record('webhook.rejected', 'missing signature', { status: 401 });
  log.record('webhook.rejected', 'timestamp outside the window', { status: 401 });
  assert.equal(logger.lines.length, 2, 'one line per reason');
  assert.equal(logger.lines[0]?.obj.status, 401);
  await clock.advance(60_000);
  log.record('webhook.rejected', 'missing signature', { status: 401 });
  assert.equal(logger.lines.length, 3);
  assert.equal(logger.lines[2]?.obj.suppressed, 9_999, 'the next interval tells how many were not written');
  log.record('webhook.rejected', 'missing signature', { status: 401 });
  log.flush();
  assert.equal(logger.lines.at(-1)?.obj.suppressed, 1, 'flush writes what is left');
});
