import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { reply, type Reply } from '../../src/webhook/replies.js';
import { customMessageOf } from '../../src/wechat/api/message.js';
import { parseXml } from '../../src/webhook/xml.js';
import { withDeadline, DEADLINE_PASSED } from '../../src/webhook/deadline.js';
import { OPENID, PATH, makeApp, memoryLogger, signedQuery, textXml } from './support/fixtures.js';

/** A promise with its resolve function. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

// WeChat's budget is 5 s with a 4.5 s default deadline; the test scales it down (200 ms deadline,
// 600 ms handler) and asserts on order of events, not on durations.
const DEADLINE_MS = 200;
const HANDLER_MS = 600;

test('a slow handler: success within the budget, then its reply goes through the sender', async () => {
  const log = memoryLogger();
  const sent = deferred<{ openId: string; reply: Reply }>();
  const outcomes: string[] = [];
  const late: Array<{ ok: boolean }> = [];
  let handlerFinished = false;
  let runs = 0;
  const app = makeApp(
    {
      replyDeadlineMs: DEADLINE_MS,
      logger: log,
      sender: async (openId, r) => sent.resolve({ openId, reply: r }),
      observer: { onRequest: (e) => outcomes.push(e.outcome), onLateReply: (e) => late.push(e) },
    },
    {
      text: async (m) => {
        runs++;
        await new Promise((r) => setTimeout(r, HANDLER_MS));
        handlerFinished = true;
        return reply.text(`late answer to ${m.Content}`);
      },
    },
  );
  const xml = textXml('slow', '660001');
  const res = await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(xml);
  assert.equal(res.status, 200);
  assert.equal(res.text, 'success');
  assert.equal(handlerFinished, false, 'answered before the handler finished');
  assert.deepEqual(outcomes, ['deadline']);
  assert.ok(log.lines.some((l) => l.obj.event === 'webhook.deadline' && l.obj.msgId === '660001'));

  // WeChat re-delivers while the handler still runs: success again, the handler is not run twice
  const retry = await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(xml);
  assert.equal(retry.text, 'success');

  const got = await sent.promise;
  assert.equal(handlerFinished, true);
  assert.equal(got.openId, OPENID);
  assert.deepEqual(got.reply, { type: 'text', content: 'late answer to slow' });
  assert.deepEqual(customMessageOf(got.openId, got.reply), { touser: OPENID, msgtype: 'text', text: { content: 'late answer to slow' } });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(late, [{ ok: true }]);
  assert.ok(log.lines.some((l) => l.obj.event === 'webhook.late_reply_sent'));
  assert.equal(runs, 1);
});

test('a late reply whose sender fails, a late handler error, and no sender are all logged', async () => {
  const log = memoryLogger();
  const done = deferred<void>();
  let pending = 3;
  const finish = () => {
    if (--pending === 0) done.resolve();
  };
  const slow = <T>(value: () => T) => new Promise<T>((resolve, reject) => setTimeout(() => {
    try {
      resolve(value());
    } catch (e) {
      reject(e as Error);
    }
  }, HANDLER_MS));
  const failingSender = makeApp(
    {
      replyDeadlineMs: DEADLINE_MS,
      logger: log,
      sender: async () => {
        throw new Error('45015 response out of time limit');
      },
      observer: { onLateReply: finish },
    },
    { text: () => slow(() => 'x') },
  );
  const throwing = makeApp(
    { replyDeadlineMs: DEADLINE_MS, logger: log, observer: { onHandler: (e) => !e.ok && finish() } },
    {
      text: () =>
        slow(() => {
          throw new Error('late failure');
        }),
    },
  );
  const noSender = makeApp({ replyDeadlineMs: DEADLINE_MS, logger: log, observer: { onLateReply: finish } }, { text: () => slow(() => 'y') });
  const results = await Promise.all(
    [failingSender, throwing, noSender].map((app, i) => request(app.callback()).post(`${PATH}?${signedQuery()}`).send(textXml('z', `66100${i}`))),
  );
  assert.ok(results.every((r) => r.status === 200 && r.text === 'success'));
  await done.promise;
  const events = log.lines.map((l) => l.obj.event);
  assert.ok(events.includes('webhook.late_reply_failed'));
  assert.ok(events.includes('webhook.handler_error'));
  assert.ok(events.includes('webhook.late_reply_dropped'));
  const failed = log.lines.find((l) => l.obj.event === 'webhook.handler_error');
  assert.equal(failed?.obj.msgId, '661001');
});

test('a fast async handler is answered directly, with no late delivery', async () => {
  let sent = 0;
  const app = makeApp({ replyDeadlineMs: 2000, sender: async () => void sent++ }, { text: async (m) => m.Content });
  const res = await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(textXml('quick', '662001'));
  assert.equal(parseXml(res.text).Content, 'quick');
  assert.equal(sent, 0);
});

test('withDeadline settles with the value, the error, or DEADLINE_PASSED', async () => {
  assert.equal(await withDeadline(Promise.resolve(1), 1000), 1);
  await assert.rejects(withDeadline(Promise.reject(new Error('e')), 1000), /e/);
  assert.equal(await withDeadline(new Promise(() => {}), 5), DEADLINE_PASSED);
  assert.equal(await withDeadline(new Promise(() => {}), 0), DEADLINE_PASSED);
});
