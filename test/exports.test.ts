/**
 * The public surface: the three package entries and their runtime export lists. A change to a list
 * here is a change to the public API, made on purpose (and noted in CHANGELOG.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as root from '../src/index.js';
import * as server from '../src/server/index.js';
import * as testing from '../src/testing.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));

const ROOT_EXPORTS = [
  'ConfigError',
  'ERROR_CODES',
  'FileTokenStore',
  'HandlerRegistry',
  'InvalidOptionError',
  'MemoryDedupeStore',
  'MemoryTokenStore',
  'MongoDedupeStore',
  'MongoTokenStore',
  'Token',
  'TokenPermanentError',
  'TokenQuotaError',
  'TokenSourceError',
  'TokenStoreError',
  'UpstreamError',
  'WebhookRequestError',
  'Wechat',
  'WechatApiError',
  'WechatMpError',
  'customMessageOf',
  'getTokenLeaseModel',
  'getTokenModel',
  'jsapiSignature',
  'oauthLogin',
  'reply',
  'webhook',
];
const SERVER_EXPORTS = ['SESSION_COOKIE', 'ServiceMetrics', 'clearSession', 'createApp', 'listen', 'loadConfig', 'readSession', 'startService', 'writeSession'];
const TESTING_EXPORTS = ['SANDBOX_APP', 'SimulationError', 'simulate', 'simulateScan', 'startEmulator', 'validateReply'];

test('each entry exports exactly its pinned list', () => {
  assert.deepEqual(Object.keys(root).sort(), ROOT_EXPORTS);
  assert.deepEqual(Object.keys(server).sort(), SERVER_EXPORTS);
  assert.deepEqual(Object.keys(testing).sort(), TESTING_EXPORTS);
});

test('package.json maps the three entries, each with its types, to the built entry files', () => {
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { exports: Record<string, { types?: string; default?: string }> };
  const expected: Record<string, string> = { '.': 'src/index', './server': 'src/server/index', './testing': 'src/testing' };
  assert.deepEqual(Object.keys(pkg.exports).sort(), ['.', './package.json', './server', './testing']);
  for (const [entry, source] of Object.entries(expected)) {
    assert.deepEqual(pkg.exports[entry], { types: `./dist/${source}.d.ts`, default: `./dist/${source}.js` }, entry);
    assert.ok(statSync(path.join(REPO, `${source}.ts`)).isFile(), `${source}.ts exists`);
  }
});

// CI builds dist/ before the tests (.ci/run); elsewhere dist/ may be stale, so only CI checks it.
const built = Boolean(process.env.CI) && existsSync(path.join(REPO, 'dist/src/index.js'));
test('the built package resolves each entry by its name to the same export list', { skip: built ? false : 'dist/ is checked in CI, after the build' }, async () => {
  // A package may import itself by name through its own `exports` map.
  const byName = async (spec: string) => Object.keys((await import(spec)) as object).sort();
  assert.deepEqual(await byName('wechat-mp-server'), ROOT_EXPORTS);
  assert.deepEqual(await byName('wechat-mp-server/server'), SERVER_EXPORTS);
  assert.deepEqual(await byName('wechat-mp-server/testing'), TESTING_EXPORTS);
});

/** Relative imports (`import ... from './x.js'`, `export ... from`) of a source file, as repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(REPO, file), 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'(\.{1,2}\/[^']+)'/g)].map((m) =>
    path.relative(REPO, path.resolve(path.dirname(path.join(REPO, file)), m[1]!)).replace(/\.js$/, '.ts'),
  );
}

test('the library entry does not reach config/ (only the service layer and main import it)', () => {
  const seen = new Set<string>();
  const queue = ['src/index.ts', 'src/testing.ts'];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...importsOf(file));
  }
  assert.ok(seen.size > 20, 'the walk followed the imports');
  assert.deepEqual([...seen].filter((f) => f.startsWith('config/')), []);

  const walk = (dir: string): string[] =>
    readdirSync(path.join(REPO, dir)).flatMap((name) => {
      const rel = `${dir}/${name}`;
      return statSync(path.join(REPO, rel)).isDirectory() ? walk(rel) : rel.endsWith('.ts') ? [rel] : [];
    });
  const serviceLayer = (f: string) => f.startsWith('src/server/') || f === 'src/main.ts' || f.startsWith('src/sandbox/');
  const offenders = walk('src').filter((f) => !serviceLayer(f) && importsOf(f).some((i) => i.startsWith('config/')));
  assert.deepEqual(offenders, []);
});

test('the seed-style API works from the root entry', async () => {
  const emu = await testing.startEmulator({ port: 0, host: '127.0.0.1' });
  try {
    let kept: root.StoredToken | null = null;
    const seed = {
      appID: testing.SANDBOX_APP.appId,
      appSecret: testing.SANDBOX_APP.secret,
      apiBase: emu.url,
      getAccessToken: () => kept,
      saveAccessToken: (t: root.StoredToken) => {
        kept = t;
      },
    };
    const wechat = new root.Wechat(seed);
    const token = await wechat.fetchAccessToken();
    assert.equal(kept!.access_token, token.access_token);
    await wechat.close();
    // A second instance takes the saved token: no second upstream call.
    const again = new root.Wechat(seed);
    assert.equal((await again.fetchAccessToken()).access_token, token.access_token);
    await again.close();
    const stats = emu.stats()[testing.SANDBOX_APP.appId]!;
    assert.equal(stats.token + stats.stable_token, 1);
  } finally {
    await emu.close();
  }
});
