/**
 * examples/handlers.ts, the TypeScript handlers module, loaded the way the service loads
 * WECHAT_HANDLERS and answering signed pushes (its types are checked by `npm run typecheck`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { loadHandlersModule } from '../../src/server/handlers-module.js';
import { HandlerRegistry } from '../../src/webhook/registry.js';
import { eventXml, makeApp, PATH, signedQuery, textXml } from '../webhook/support/fixtures.js';

const file = fileURLToPath(new URL('../../examples/handlers.ts', import.meta.url));

test('examples/handlers.ts answers text, a QR subscribe, one menu key, other menu keys, and nothing else', async () => {
  const { handlers } = await loadHandlersModule(file);
  assert.ok(handlers !== undefined && !(handlers instanceof HandlerRegistry));
  const app = makeApp({}, handlers);
  const push = (xml: string) => request(app.callback()).post(`${PATH}?${signedQuery()}`).set('Content-Type', 'text/xml').send(xml);

  assert.match((await push(textXml('help'))).text, /Send "news"/);
  assert.match((await push(textXml('ping', '1001'))).text, /<Content><!\[CDATA\[ping\]\]><\/Content>/);
  assert.match((await push(eventXml('subscribe', '  <EventKey><![CDATA[qrscene_42]]></EventKey>'))).text, /You scanned code 42/);
  const news = await push(eventXml('CLICK', '  <EventKey><![CDATA[V1001_TODAY]]></EventKey>'));
  assert.match(news.text, /<MsgType><!\[CDATA\[news\]\]><\/MsgType>/);
  assert.match(news.text, /<Title><!\[CDATA\[Today\]\]><\/Title>/);
  assert.match((await push(eventXml('CLICK', '  <EventKey><![CDATA[V1002]]></EventKey>'))).text, /You pressed V1002/);
  assert.equal((await push(eventXml('VIEW', '  <EventKey><![CDATA[https://example.com]]></EventKey>'))).text, 'success');
});
