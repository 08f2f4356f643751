/**
 * Handler map keys: checked by the compiler (a typo such as `Text` or `event:click` does not compile),
 * `event:NAME:KEY` keys route by EventKey, and in JavaScript, where nothing checks, a key no delivery
 * can reach is reported once with the right spelling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { HandlerRegistry, type HandlerMap } from '../../src/webhook/registry.js';
import type { WechatMessage } from '../../src/webhook/messages.js';
import { recordingLogger } from '../support/recording-logger.js';
import { diagnose } from '../support/typecheck.js';
import { eventXml, makeApp, PATH, signedQuery } from './support/fixtures.js';

const VIRTUAL = path.join(fileURLToPath(new URL('.', import.meta.url)), '__virtual_handler_keys__.ts');
const HEADER = "import type { HandlerMap } from '../../src/webhook/registry.js';\n";

test('tsc accepts every typed key, with each handler given its own message type', () => {
  const errors = diagnose(
    VIRTUAL,
    `${HEADER}export const handlers: HandlerMap = {
      text: (m) => m.Content,
      image: (m) => m.MediaId,
      'event:subscribe': (e) => e.EventKey ?? '',
      'event:CLICK': (e) => e.EventKey,
      'event:CLICK:menu_1': (e) => e.EventKey,
      'event:SCAN:42': (e) => e.Ticket,
      'event:VIEW:https://example.com/a?b=c': (e) => e.EventKey,
      'event:TEMPLATESENDJOBFINISH': (e) => e.Status,
      event: (e) => e.Event,
      fallback: (m) => m.MsgType,
    };`,
  );
  assert.deepEqual(errors, []);
});

test('tsc rejects a misspelled message type, an event in the wrong case, an unknown event, and a wrongly typed handler', () => {
  for (const [key, pattern] of [
    ['Text', /'Text' does not exist in type 'HandlerMap'/],
    ["'event:click'", /'event:click'/],
    ["'event:clik'", /'event:clik'/],
    ["'event:CLIK:menu_1'", /'event:CLIK:menu_1'/],
    ["'event:Subscribe'", /'event:Subscribe'/],
  ] as const) {
    const errors = diagnose(VIRTUAL, `${HEADER}export const handlers: HandlerMap = { ${key}: () => 'hi' };`);
    assert.equal(errors.length, 1, `${key}: ${errors.join('\n')}`);
    assert.match(errors[0]!, pattern);
  }
  // A CLICK handler reading a field that only text messages have.
  const wrongField = diagnose(VIRTUAL, `${HEADER}export const handlers: HandlerMap = { 'event:CLICK:menu_1': (e) => e.Content };`);
  assert.equal(wrongField.length, 1, wrongField.join('\n'));
  assert.match(wrongField[0]!, /Content/);
});

const base = { ToUserName: 'gh_test', FromUserName: 'o_user', CreateTime: 1_700_000_000, raw: {} };
const click = (EventKey: string) => ({ ...base, kind: 'event', MsgType: 'event', Event: 'CLICK', EventKey }) as WechatMessage;

test('event:NAME:KEY map keys route by EventKey, before event:NAME, event and fallback; keys may hold colons', () => {
  const registry = HandlerRegistry.from({
    'event:CLICK:menu_1': () => 'one',
    'event:VIEW:https://example.com/a': () => 'view',
    'event:CLICK': () => 'any click',
    event: () => 'any event',
    fallback: () => 'fallback',
  });
  const run = (m: WechatMessage) => registry.resolve(m)?.(m, {} as never);
  assert.equal(run(click('menu_1')), 'one');
  assert.equal(run(click('menu_2')), 'any click');
  assert.equal(run({ ...base, kind: 'event', MsgType: 'event', Event: 'VIEW', EventKey: 'https://example.com/a' } as WechatMessage), 'view');
  assert.equal(run({ ...base, kind: 'event', MsgType: 'event', Event: 'VIEW', EventKey: 'https://example.com/b' } as WechatMessage), 'any event');
  assert.equal(run({ ...base, kind: 'text', MsgType: 'text', Content: 'x', MsgId: '1' } as WechatMessage), 'fallback');
  // The same key through on(): one string, or the EventKey as its own argument; not both.
  const r2 = new HandlerRegistry().on('event:CLICK:menu_1', () => 'a');
  assert.equal(r2.resolve(click('menu_1'))?.(click('menu_1'), {} as never), 'a');
  assert.throws(() => new HandlerRegistry().on('event:CLICK:menu_1' as 'event:CLICK', 'menu_1', () => 'b'), /given once/);
});

test('from() reports each key no delivery can reach once, naming the right case, and still registers it', () => {
  const logger = recordingLogger();
  // What a JavaScript user can write: nothing checks the keys.
  const map = { Text: () => 'a', 'event:click': () => 'b', 'event:CLICK:menu_1': () => 'c', 'event:user_info_modified': () => 'd', text: () => 'e' } as HandlerMap;
  const registry = HandlerRegistry.from(map, { logger });
  const lines = logger.byEvent('webhook.unknown_handler_key');
  assert.equal(lines.length, 3, logger.text());
  assert.match(lines[0]!.msg!, /"Text" never runs: WeChat sends "text" in this case; use "text"/);
  assert.match(lines[1]!.msg!, /"event:click" never runs: WeChat sends "CLICK" in this case; use "event:CLICK"/);
  assert.match(lines[2]!.msg!, /"event:user_info_modified" names no message type or event this version knows/);
  const unknown = { ...base, kind: 'unknown_event', MsgType: 'event', Event: 'user_info_modified' } as unknown as WechatMessage;
  assert.equal(registry.resolve(unknown)?.(unknown, {} as never), 'd', 'an unknown event stays reachable');
});

test('from() without a logger warns through process.emitWarning', async () => {
  const seen: Error[] = [];
  const onWarning = (w: Error) => seen.push(w);
  process.on('warning', onWarning);
  try {
    HandlerRegistry.from({ 'event:scan': () => 'x' } as HandlerMap);
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', onWarning);
  }
  assert.equal(seen.length, 1);
  assert.equal((seen[0] as Error & { code?: string }).code, 'WMP_WARN_HANDLER_KEY');
  assert.match(seen[0]!.message, /use "event:SCAN"/);
});

test('the webhook reports a misspelled key through its logger, and the right key answers the push', async () => {
  const logger = recordingLogger();
  const app = makeApp({ logger }, { 'event:click': () => 'never', 'event:CLICK:menu_1': (e) => `menu ${e.EventKey}` } as HandlerMap);
  assert.equal(logger.byEvent('webhook.unknown_handler_key').length, 1);
  const res = await request(app.callback())
    .post(`${PATH}?${signedQuery()}`)
    .set('Content-Type', 'text/xml')
    .send(eventXml('CLICK', '  <EventKey><![CDATA[menu_1]]></EventKey>'));
  assert.equal(res.status, 200);
  assert.match(res.text, /menu menu_1/);
});
