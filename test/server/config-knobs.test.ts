/**
 * The operational knobs that are config-table rows: the shutdown budget, the connection cap, the
 * token service's invalidate interval and the dedupe bounds. A bad value stops start-up naming the
 * variable; a good one reaches the component it sets (observed on the running service, not on the
 * config object).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { AppConfig } from '../../config/index.js';
import { ConfigError } from '../../src/errors.js';
import { startEmulator, SANDBOX_APP, type Emulator } from '../../src/emulator/index.js';
import { createApp, type WechatApp } from '../../src/server/app.js';
import { startService } from '../../src/server/service.js';
import { MemoryTokenStore } from '../../src/token/memory-token-store.js';
import { buildDelivery } from '../../src/simulator/delivery.js';
import { buildMessageXml } from '../../src/simulator/message-xml.js';
import type { HandlerMap } from '../../src/webhook/index.js';
import { recordingLogger } from '../support/recording-logger.js';
import { useTestDatabase, type TestDatabase } from '../support/test-db.js';
import { sandboxConfig } from './support/sandbox-config.js';

const BEARER = 'central-token-service-secret-0001';
const KNOBS = ['SHUTDOWN_BUDGET_MS', 'HTTP_MAX_CONNECTIONS', 'TOKEN_INVALIDATE_INTERVAL_SECONDS', 'DEDUPE_MAX_ENTRIES', 'DEDUPE_MAX_BYTES', 'DEDUPE_MAX_REPLY_BYTES'];
let emulator: Emulator;
let db: TestDatabase;
const apps: WechatApp[] = [];

before(async () => {
  emulator = await startEmulator();
  db = await useTestDatabase(import.meta.url);
});
after(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await emulator?.close();
  await db?.cleanup();
});

const configFor = (extra: Record<string, string> = {}): AppConfig => sandboxConfig(emulator.url, { HOST: '127.0.0.1', PORT: '0', ...extra });

function make(config: AppConfig, handlers: HandlerMap | undefined, deps: Parameters<typeof createApp>[2] = {}): WechatApp {
  const app = createApp(config, handlers, { tokenStore: new MemoryTokenStore(), processMetrics: false, ...deps });
  apps.push(app);
  return app;
}

let seq = 0;
function push(app: WechatApp, content: string, msgId: string) {
  const now = Math.floor(Date.now() / 1000);
  const openId = 'oUser0000000000000000000001';
  const xml = buildMessageXml({ type: 'text', content }, { toUser: SANDBOX_APP.accountId, fromUser: openId, createTime: now, msgId });
  const d = buildDelivery({ xml, mode: 'plain', token: SANDBOX_APP.token, accountId: SANDBOX_APP.accountId, openId, timestamp: String(now), nonce: `k${++seq}` });
  return request(app.callback()).post('/wechat').query(d.query).set('Content-Type', 'text/xml').send(d.body);
}

test('knobs: a bad value of each stops start-up, naming the variable', () => {
  const bad: Record<string, string> = {
    SHUTDOWN_BUDGET_MS: '500',
    HTTP_MAX_CONNECTIONS: '0',
    TOKEN_INVALIDATE_INTERVAL_SECONDS: 'soon',
    DEDUPE_MAX_ENTRIES: '1',
    DEDUPE_MAX_BYTES: '-5',
    DEDUPE_MAX_REPLY_BYTES: '99999999999',
  };
  for (const [name, value] of Object.entries(bad)) {
    assert.throws(
      () => configFor({ [name]: value }),
      (e: unknown) => e instanceof ConfigError && e.problems.length === 1 && e.problems[0]!.variable === name && e.message.includes(name),
      `${name}=${value}`,
    );
  }
  const defaults = configFor();
  assert.deepEqual(
    [defaults.server.shutdownBudgetMs, defaults.server.maxConnections, defaults.tokenService.invalidateIntervalSeconds, defaults.webhook.dedupeMaxEntries, defaults.webhook.dedupeMaxBytes, defaults.webhook.dedupeMaxReplyBytes],
    [9000, 10_000, 30, 260_000, 128 * 2 ** 20, 64 * 1024],
  );
  assert.equal(KNOBS.length, Object.keys(bad).length);
});

test('knobs: HTTP_MAX_CONNECTIONS and SHUTDOWN_BUDGET_MS reach the running service', async () => {
  const log = recordingLogger();
  const service = await startService(configFor({ HTTP_MAX_CONNECTIONS: '123', SHUTDOWN_BUDGET_MS: '4321' }), { logger: log });
  try {
    assert.equal(service.server.server.maxConnections, 123);
  } finally {
    await service.close();
  }
  assert.equal((log.byEvent('service.stopping')[0]?.obj as { budgetMs?: number }).budgetMs, 4321);
});

test('knobs: TOKEN_INVALIDATE_INTERVAL_SECONDS spaces forced refreshes', async () => {
  const forcedRefreshes = async (interval: string | undefined): Promise<number> => {
    emulator.reset();
    let now = Date.now();
    const app = make(configFor({ TOKEN_SERVICE_SECRET: BEARER, WECHAT_TOKEN_MODE: 'classic', ...(interval ? { TOKEN_INVALIDATE_INTERVAL_SECONDS: interval } : {}) }), undefined, { now: () => now });
    const cb = app.callback();
    const get = async () => (await request(cb).get('/internal/access-token').set('Authorization', `Bearer ${BEARER}`)).body as { access_token: string };
    const before = emulator.stats()[SANDBOX_APP.appId]?.token ?? 0;
    for (let i = 0; i < 2; i++) {
      const current = (await get()).access_token;
      const res = await request(cb).post('/internal/access-token/invalidate').set('Authorization', `Bearer ${BEARER}`).send({ access_token: current });
      assert.equal(res.status, 200);
      now += 2000; // two seconds later on the app's clock
    }
    return (emulator.stats()[SANDBOX_APP.appId]?.token ?? 0) - before - 1; // less the first fetch
  };
  assert.equal(await forcedRefreshes('1'), 2, 'a 1 s interval: both forced refreshes run');
  assert.equal(await forcedRefreshes(undefined), 1, 'the default 30 s: the second is answered with the current token');
});

test('knobs: DEDUPE_MAX_ENTRIES and DEDUPE_MAX_BYTES bound the memory dedupe store', async () => {
  const runsOfFirst = async (extra: Record<string, string>): Promise<number> => {
    let runs = 0;
    const app = make(configFor(extra), { text: (m) => (m.Content === 'first' ? `run ${++runs}` : 'other') });
    assert.equal((await push(app, 'first', '70000000000000001')).status, 200);
    for (let i = 0; i < 5; i++) await push(app, `filler ${i}`, `7000000000000010${i}`);
    await push(app, 'first', '70000000000000001'); // WeChat's retry of the first message
    return runs;
  };
  assert.equal(await runsOfFirst({}), 1, 'the default bound remembers the first delivery');
  assert.equal(await runsOfFirst({ DEDUPE_MAX_ENTRIES: '2' }), 2, 'two entries: forgotten by the retry');
  assert.equal(await runsOfFirst({ DEDUPE_MAX_BYTES: '2048' }), 2, '2 KiB: forgotten by the retry');
});

test('knobs: DEDUPE_MAX_REPLY_BYTES bounds what a MongoDB dedupe document keeps', async () => {
  const log = recordingLogger();
  const config = configFor({ MONGODB_URI: db.uri, DEDUPE_STORE: 'mongo', DEDUPE_MAX_REPLY_BYTES: '1024' });
  const app = make(config, { text: () => 'x'.repeat(2000) }, { mongo: db.connection, logger: log });
  const res = await push(app, 'long reply', '70000000000000201');
  assert.equal(res.status, 200);
  assert.ok(res.text.includes('x'.repeat(2000)), 'answered in full');
  const line = log.byEvent('webhook.dedupe_reply_not_stored')[0]?.obj as { bytes?: number; maxBytes?: number } | undefined;
  assert.deepEqual(line && [line.maxBytes, line.bytes! > 1024], [1024, true]);
  const doc = await db.connection.db!.collection('webhook_dedupe').findOne({ oversize: true });
  assert.equal(doc?.body, '');
});
