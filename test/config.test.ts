import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, redactConfig, CONFIG_TABLE, CONFIG_VARIABLES, type LoadConfigOptions } from '../config/index.js';
import { renderEnvExample, renderReadmeTable, README_BEGIN, README_END } from '../config/render.js';
import { ConfigError } from '../src/errors.js';

const GOOD = {
  WECHAT_APP_ID: 'wx1234567890abcdef',
  WECHAT_APP_SECRET: '0123456789abcdef0123456789abcdef',
  WECHAT_TOKEN: 'sometoken',
};
const load = (env: Record<string, string | undefined>, extra: Partial<LoadConfigOptions> = {}) =>
  loadConfig({ env, dotenvPath: false, cwd: '/srv/app', onDeprecation: () => assert.fail('no deprecated variable was used'), ...extra });

function problemsOf(env: Record<string, string | undefined>): Map<string, string> {
  try {
    load(env, { onDeprecation: () => {} });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return new Map(err.problems.map((p) => [p.variable, p.message]));
  }
  assert.fail('expected a ConfigError');
}

test('defaults with only the required variables', () => {
  const c = load(GOOD);
  assert.equal(c.wechat.appId, GOOD.WECHAT_APP_ID);
  assert.equal(c.wechat.apiBase, 'https://api.weixin.qq.com');
  assert.equal(c.wechat.tokenMode, 'stable');
  assert.equal(c.wechat.messageMode, 'plain');
  assert.equal(c.wechat.refreshMarginSeconds, 300);
  assert.equal(c.tokenStore, 'file');
  assert.equal(c.dataDir, path.resolve('/srv/app', 'data'));
  assert.equal(c.server.host, '0.0.0.0');
  assert.equal(c.server.port, 3000);
  assert.equal(c.server.webhookPath, '/wechat');
  assert.equal(c.server.trustProxy, false);
  assert.equal(c.webhook.timestampWindowSeconds, 300);
  assert.equal(c.webhook.bodyLimitBytes, 65536);
  assert.equal(c.webhook.replyDeadlineMs, 4500);
  assert.equal(c.webhook.dedupeStore, 'memory');
  assert.equal(c.log.level, 'info');
  assert.equal(c.env, 'development');
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.wechat) && Object.isFrozen(c.server));
});

test('every variable accepts a good value', () => {
  const c = load({
    ...GOOD,
    NODE_ENV: 'production',
    WECHAT_ENCODING_AES_KEY: 'a'.repeat(43),
    WECHAT_ENCODING_AES_KEY_PREVIOUS: 'b'.repeat(43),
    WECHAT_MESSAGE_MODE: 'safe',
    WECHAT_API_BASE: 'http://127.0.0.1:4000/',
    WECHAT_TOKEN_MODE: 'classic',
    TOKEN_REFRESH_MARGIN_SECONDS: '600',
    WECHAT_TOKEN_SOURCE: 'https://tokens.internal/internal/access-token',
    WECHAT_TOKEN_SOURCE_SECRET: 's'.repeat(32),
    MONGODB_URI: 'mongodb://user:pw@db:27017/wechat',
    TOKEN_STORE: 'mongo',
    DATA_DIR: '/var/lib/wmp',
    HOST: '127.0.0.1',
    PORT: '8080',
    WEBHOOK_PATH: '/wx/callback',
    TRUST_PROXY: 'true',
    WEBHOOK_TIMESTAMP_WINDOW_SECONDS: '0',
    WEBHOOK_BODY_LIMIT_BYTES: '131072',
    WEBHOOK_REPLY_DEADLINE_MS: '4000',
    DEDUPE_STORE: 'mongo',
    DEDUPE_TTL_SECONDS: '120',
    WECHAT_HANDLERS: './handlers.js',
    TOKEN_SERVICE_SECRET: 't'.repeat(24),
    LOG_LEVEL: 'debug',
  });
  assert.equal(c.env, 'production');
  assert.equal(c.wechat.encodingAESKey, 'a'.repeat(43));
  assert.equal(c.wechat.previousEncodingAESKey, 'b'.repeat(43));
  assert.equal(c.wechat.messageMode, 'safe');
  assert.equal(c.wechat.apiBase, 'http://127.0.0.1:4000');
  assert.equal(c.wechat.tokenMode, 'classic');
  assert.equal(c.wechat.refreshMarginSeconds, 600);
  assert.equal(c.wechat.tokenSource, 'https://tokens.internal/internal/access-token');
  assert.equal(c.mongo.uri, 'mongodb://user:pw@db:27017/wechat');
  assert.equal(c.tokenStore, 'mongo');
  assert.equal(c.dataDir, '/var/lib/wmp');
  assert.equal(c.server.port, 8080);
  assert.equal(c.server.webhookPath, '/wx/callback');
  assert.equal(c.server.trustProxy, true);
  assert.equal(c.webhook.timestampWindowSeconds, 0);
  assert.equal(c.webhook.bodyLimitBytes, 131072);
  assert.equal(c.webhook.replyDeadlineMs, 4000);
  assert.equal(c.webhook.dedupeStore, 'mongo');
  assert.equal(c.webhook.dedupeTtlSeconds, 120);
  assert.equal(c.handlersModule, path.resolve('/srv/app', 'handlers.js'));
  assert.equal(c.tokenService.secret, 't'.repeat(24));
  assert.equal(c.log.level, 'debug');
});

test('an AES key defaults the message mode to compatible; MONGODB_URI defaults stores to mongo', () => {
  const c = load({ ...GOOD, WECHAT_ENCODING_AES_KEY: 'a'.repeat(43), MONGODB_URI: 'mongodb://localhost/x' });
  assert.equal(c.wechat.messageMode, 'compatible');
  assert.equal(c.tokenStore, 'mongo');
  assert.equal(c.webhook.dedupeStore, 'mongo');
});

test('every bad variable is reported at once, by name', () => {
  const bad: Record<string, string> = {
    NODE_ENV: 'staging',
    WECHAT_APP_ID: 'abc',
    WECHAT_APP_SECRET: 'has spaces in it!',
    WECHAT_TOKEN: 'x',
    WECHAT_ENCODING_AES_KEY: 'tooshort',
    WECHAT_ENCODING_AES_KEY_PREVIOUS: 'alsoshort',
    WECHAT_MESSAGE_MODE: 'secret',
    WECHAT_API_BASE: 'ftp://example.com',
    WECHAT_TOKEN_MODE: 'fast',
    TOKEN_REFRESH_MARGIN_SECONDS: '-5',
    WECHAT_TOKEN_SOURCE: 'not a url',
    WECHAT_TOKEN_SOURCE_SECRET: 'short',
    MONGODB_URI: 'postgres://x',
    TOKEN_STORE: 'redis',
    HOST: 'bad host!',
    PORT: '70000',
    WEBHOOK_PATH: 'wechat',
    TRUST_PROXY: 'yes',
    WEBHOOK_TIMESTAMP_WINDOW_SECONDS: 'soon',
    WEBHOOK_BODY_LIMIT_BYTES: '10',
    WEBHOOK_REPLY_DEADLINE_MS: '9000',
    DEDUPE_STORE: 'redis',
    DEDUPE_TTL_SECONDS: '1',
    TOKEN_SERVICE_SECRET: 'short',
    LOG_LEVEL: 'loud',
  };
  const problems = problemsOf(bad);
  for (const name of Object.keys(bad)) assert.ok(problems.has(name), `${name} should be reported`);
});

test('missing required variables and dependent settings are reported', () => {
  const problems = problemsOf({ TOKEN_STORE: 'mongo', WECHAT_MESSAGE_MODE: 'safe', DEDUPE_STORE: 'mongo', WECHAT_ENCODING_AES_KEY_PREVIOUS: 'b'.repeat(43) });
  for (const name of ['WECHAT_APP_ID', 'WECHAT_APP_SECRET', 'WECHAT_TOKEN', 'TOKEN_STORE', 'WECHAT_MESSAGE_MODE', 'DEDUPE_STORE', 'WECHAT_ENCODING_AES_KEY_PREVIOUS']) {
    assert.ok(problems.has(name), `${name} should be reported`);
  }
  assert.match(problems.get('WECHAT_APP_SECRET') ?? '', /required/);
  assert.ok(problemsOf({ ...GOOD, WECHAT_TOKEN_SOURCE: 'http://x/y' }).has('WECHAT_TOKEN_SOURCE_SECRET'));
});

test('error messages never echo secret values', () => {
  const secretish = { WECHAT_APP_ID: 'wx1234567890abcdef', WECHAT_APP_SECRET: 'S3cr3t-with-dash-!!', WECHAT_TOKEN: 'tok en', WECHAT_ENCODING_AES_KEY: 'K'.repeat(42), TOKEN_SERVICE_SECRET: 'sh0rt' };
  try {
    load(secretish);
    assert.fail('expected a ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    for (const v of ['S3cr3t-with-dash-!!', 'tok en', 'K'.repeat(42), 'sh0rt']) assert.ok(!err.message.includes(v), `message leaks ${v}`);
  }
});

test('.env is read, and the process environment wins over it', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wmp-cfg-'));
  writeFileSync(path.join(dir, '.env'), `WECHAT_APP_ID=${GOOD.WECHAT_APP_ID}\nWECHAT_APP_SECRET=${GOOD.WECHAT_APP_SECRET}\nWECHAT_TOKEN=fromfile\nPORT=4000\n`);
  const c = loadConfig({ cwd: dir, env: { PORT: '5000' } });
  assert.equal(c.wechat.token, 'fromfile');
  assert.equal(c.server.port, 5000);
});

test('run from a directory without .env, the error says no .env was found there, alongside the problems', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wmp-cfg-'));
  assert.throws(
    () => loadConfig({ cwd: dir, env: {} }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, new RegExp(`no \\.env found in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(err.message, /WECHAT_APP_ID: is required/);
      assert.match(err.message, /WECHAT_TOKEN: is required/);
      return true;
    },
  );
  writeFileSync(path.join(dir, '.env'), 'WECHAT_TOKEN=sometoken\n');
  assert.throws(
    () => loadConfig({ cwd: dir, env: {} }),
    (err: unknown) => err instanceof ConfigError && !err.message.includes('no .env found') && /WECHAT_APP_ID: is required/.test(err.message),
  );
});

test('the placeholders copied from .env.example are refused by name', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wmp-cfg-'));
  writeFileSync(path.join(dir, '.env'), renderEnvExample());
  try {
    loadConfig({ cwd: dir, env: {} });
    assert.fail('expected a ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const problems = new Map(err.problems.map((p) => [p.variable, p.message]));
    for (const name of ['WECHAT_APP_ID', 'WECHAT_APP_SECRET', 'WECHAT_TOKEN']) assert.match(problems.get(name) ?? '', /still the placeholder from \.env\.example/, name);
    assert.match(err.message, /WECHAT_APP_ID: still the placeholder from \.env\.example/);
    assert.ok(!err.message.includes('replaceme'), 'a secret placeholder is not echoed');
  }
  // One real value among placeholders: only the placeholders are refused.
  const problems = problemsOf({ ...GOOD, WECHAT_TOKEN: 'replaceme' });
  assert.deepEqual([...problems.keys()], ['WECHAT_TOKEN']);
});

test('redactConfig hides every secret', () => {
  const c = load({ ...GOOD, WECHAT_ENCODING_AES_KEY: 'a'.repeat(43), MONGODB_URI: 'mongodb://u:pw@h/db', TOKEN_SERVICE_SECRET: 't'.repeat(24) });
  const text = JSON.stringify(redactConfig(c));
  for (const v of [GOOD.WECHAT_APP_SECRET, GOOD.WECHAT_TOKEN, 'a'.repeat(43), 'pw@h', 't'.repeat(24)]) assert.ok(!text.includes(v), `leaks ${v}`);
  assert.match(text, /"appId":"wx1234567890abcdef"/);
});

test('.env.example is generated from the table (npm run docs:config)', () => {
  const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
  assert.equal(example, renderEnvExample(), '.env.example differs from config/variables.ts: run npm run docs:config');
  for (const name of CONFIG_VARIABLES) assert.match(example, new RegExp(`^#?\\s*${name}=`, 'm'), `${name} missing from .env.example`);
});

test("README's short configuration table and docs/configuration.md's full one are generated from the table (npm run docs:config)", () => {
  for (const [file, which] of [['../README.md', 'readme'], ['../docs/configuration.md', 'all']] as const) {
    const doc = readFileSync(new URL(file, import.meta.url), 'utf8');
    const begin = doc.indexOf(README_BEGIN);
    const end = doc.indexOf(README_END);
    assert.ok(begin >= 0 && end > begin, `${file} has the config markers`);
    assert.equal(doc.slice(begin, end + README_END.length), renderReadmeTable(CONFIG_TABLE, which), `${file}'s table differs from config/variables.ts: run npm run docs:config`);
    for (const v of CONFIG_TABLE) {
      if (which === 'all' || v.readme) assert.ok(doc.slice(begin, end).includes(`| \`${v.name}\` |`), `${v.name} missing from ${file}`);
    }
  }
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  assert.ok(readme.includes('(docs/configuration.md)'), 'README links the full table');
});

test('the table: one row per variable and per field, every field lands in the config, names carry their unit', () => {
  assert.equal(new Set(CONFIG_VARIABLES).size, CONFIG_TABLE.length);
  assert.equal(new Set(CONFIG_TABLE.map((v) => v.field)).size, CONFIG_TABLE.length);
  const c = load({ ...GOOD, TOKEN_SERVICE_SECRET: 't'.repeat(24) }) as unknown as Record<string, unknown>;
  const leaves = (o: Record<string, unknown>, prefix = ''): string[] =>
    Object.entries(o).flatMap(([k, v]) => (v !== null && typeof v === 'object' ? leaves(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`]));
  assert.deepEqual(leaves(c).sort(), CONFIG_TABLE.map((v) => v.field).sort());
  for (const v of CONFIG_TABLE) {
    if (v.type.kind === 'integer' && v.type.unit) {
      const suffix = { seconds: '_SECONDS', ms: '_MS', bytes: '_BYTES' }[v.type.unit];
      assert.ok(suffix && v.name.endsWith(suffix), `${v.name} says its unit (${v.type.unit})`);
    }
  }
});

test('redaction covers exactly the secret rows', () => {
  const c = load({ ...GOOD, WECHAT_ENCODING_AES_KEY: 'a'.repeat(43), MONGODB_URI: 'mongodb://u:pw@h/db', TOKEN_SERVICE_SECRET: 't'.repeat(24) });
  const redacted = redactConfig(c);
  for (const v of CONFIG_TABLE) {
    const value = v.field.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], redacted);
    if (v.secret) assert.ok(value === '[redacted]' || value === '[unset]', `${v.name} is redacted`);
    else assert.ok(value !== '[redacted]' && value !== '[unset]', `${v.name} is not redacted`);
  }
});

test('the old variable names still work for one release, with a deprecation warning naming the new one', () => {
  const warnings: string[] = [];
  const c = load({ ...GOOD, TOKEN_REFRESH_MARGIN: '120', WEBHOOK_TIMESTAMP_WINDOW: '60', WEBHOOK_BODY_LIMIT: '2048' }, { onDeprecation: (m) => warnings.push(m) });
  assert.equal(c.wechat.refreshMarginSeconds, 120);
  assert.equal(c.webhook.timestampWindowSeconds, 60);
  assert.equal(c.webhook.bodyLimitBytes, 2048);
  assert.equal(warnings.length, 3);
  for (const [old, now] of [
    ['TOKEN_REFRESH_MARGIN', 'TOKEN_REFRESH_MARGIN_SECONDS'],
    ['WEBHOOK_TIMESTAMP_WINDOW', 'WEBHOOK_TIMESTAMP_WINDOW_SECONDS'],
    ['WEBHOOK_BODY_LIMIT', 'WEBHOOK_BODY_LIMIT_BYTES'],
  ] as const) {
    assert.ok(warnings.some((w) => w.startsWith(`${old} is deprecated`) && w.includes(now)), `${old} -> ${now}`);
  }
  // A bad value under the old name is reported under the new one.
  assert.ok(problemsOf({ ...GOOD, WEBHOOK_BODY_LIMIT: '10' }).has('WEBHOOK_BODY_LIMIT_BYTES'));
  // Both set: the new name wins and the old one is named as ignored.
  const both: string[] = [];
  assert.equal(load({ ...GOOD, TOKEN_REFRESH_MARGIN: '120', TOKEN_REFRESH_MARGIN_SECONDS: '200' }, { onDeprecation: (m) => both.push(m) }).wechat.refreshMarginSeconds, 200);
  assert.match(both.join('\n'), /TOKEN_REFRESH_MARGIN is deprecated and ignored because TOKEN_REFRESH_MARGIN_SECONDS is set/);
});

test('by default a deprecated name is a process DeprecationWarning', async () => {
  const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
  loadConfig({ env: { ...GOOD, WEBHOOK_BODY_LIMIT: '2048' }, dotenvPath: false });
  const w = await warned;
  assert.equal(w.name, 'DeprecationWarning');
  assert.match(w.message, /WEBHOOK_BODY_LIMIT_BYTES/);
});

test('the webhook may not take one of the service routes', () => {
  for (const p of ['/healthz', '/metrics', '/internal', '/internal/access-token']) {
    assert.ok(problemsOf({ ...GOOD, WEBHOOK_PATH: p }).has('WEBHOOK_PATH'), p);
  }
  assert.equal(load({ ...GOOD, WEBHOOK_PATH: '/internals' }).server.webhookPath, '/internals');
});

test('a consumer of a central token service needs no AppSecret', () => {
  const c = load({ WECHAT_APP_ID: GOOD.WECHAT_APP_ID, WECHAT_TOKEN: GOOD.WECHAT_TOKEN, WECHAT_TOKEN_SOURCE: 'http://tokens:3000/internal/access-token', WECHAT_TOKEN_SOURCE_SECRET: 's'.repeat(20) });
  assert.equal(c.wechat.appSecret, '');
  assert.equal(c.wechat.tokenSource, 'http://tokens:3000/internal/access-token');
  assert.ok(problemsOf({ WECHAT_APP_ID: GOOD.WECHAT_APP_ID, WECHAT_TOKEN: GOOD.WECHAT_TOKEN }).has('WECHAT_APP_SECRET'));
});
