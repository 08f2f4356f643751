import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import Koa from 'koa';
import { webhook } from '../../src/webhook/middleware.js';
import { recordingLogger } from '../support/recording-logger.js';
import { APP_ID, PATH, TOKEN, signedQuery, textXml } from './support/fixtures.js';

function appWith(handler: () => unknown): { app: Koa; logger: ReturnType<typeof recordingLogger>; emitted: Array<{ err: unknown; ctx: Koa.Context }> } {
  const logger = recordingLogger();
  const app = new Koa();
  const emitted: Array<{ err: unknown; ctx: Koa.Context }> = [];
  app.on('error', (err: unknown, ctx: Koa.Context) => emitted.push({ err, ctx }));
  app.use(webhook({ token: TOKEN, appId: APP_ID, logger }, { text: handler as never }));
  return { app, logger, emitted };
}

for (const kind of ['synchronous', 'asynchronous'] as const) {
  test(`a ${kind} handler that throws reaches the app's error event and the logger with its stack and MsgId, and WeChat still gets success`, async () => {
    const boom = new Error('handler exploded');
    const { app, logger, emitted } = appWith(kind === 'synchronous' ? () => { throw boom; } : async () => { throw boom; });
    const res = await request(app.callback()).post(`${PATH}?${signedQuery()}`).set('Content-Type', 'text/xml').send(textXml('hi', '777001'));
    assert.equal(res.status, 200);
    assert.equal(res.text, 'success');

    assert.equal(emitted.length, 1);
    assert.equal(emitted[0]!.err, boom);
    assert.equal(emitted[0]!.ctx.path, PATH);
    assert.equal(emitted[0]!.ctx.method, 'POST');

    const lines = logger.byEvent('webhook.handler_error');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 'error');
    assert.equal(lines[0]!.obj.msgId, '777001');
    const err = lines[0]!.obj.err as { message: string; stack?: string };
    assert.equal(err.message, 'handler exploded');
    assert.equal(err.stack, boom.stack);
    assert.match(err.stack ?? '', /handler-errors\.test/);
  });
}

test('a handler that throws a non-error is emitted as an Error, which Koa\'s default listener accepts', async () => {
  const { app, emitted } = appWith(() => {
    throw 'plain string';
  });
  const res = await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(textXml('hi', '777002'));
  assert.equal(res.text, 'success');
  assert.ok(emitted[0]!.err instanceof Error);
  assert.match((emitted[0]!.err as Error).message, /plain string/);
});
