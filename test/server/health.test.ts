/** `/readyz` when a dependency hangs: bounded by the readiness timeout, on fake timers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Koa from 'koa';
import Router from 'koa-router';
import request from 'supertest';
import { mountHealth, READINESS_CHECK_TIMEOUT_MS } from '../../src/server/health.js';
import { FakeClock } from '../support/fake-clock.js';
import { until } from '../support/until.js';

test('hardening: /readyz answers within 1 s when a dependency hangs (MongoDB not answering a ping)', async () => {
  const clock = new FakeClock();
  const router = new Router();
  mountHealth(router, { mongo: () => new Promise<undefined>(() => {}), token: () => undefined }, { timers: clock });
  const app = new Koa().use(router.routes());
  let answered: request.Response | undefined;
  void request(app.callback()).get('/readyz').then((r) => (answered = r));
  await until(() => clock.pending.length === 1, { what: 'the readiness timer set' });
  assert.ok((clock.pending[0]?.ms ?? Infinity) < 1000, `timer of ${clock.pending[0]?.ms} ms`);
  await clock.advance(READINESS_CHECK_TIMEOUT_MS);
  await until(() => answered !== undefined, { what: '/readyz answered' });
  assert.equal(answered?.status, 503);
  assert.match(String(answered?.body.reasons.mongo), /timed out/);
  assert.equal(answered?.body.reasons.token, undefined);
});
