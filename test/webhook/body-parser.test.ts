import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import Koa from 'koa';
import { bodyParser } from '@koa/bodyparser';
import { webhook } from '../../src/webhook/middleware.js';
import type { WebhookOptions } from '../../src/webhook/options.js';
import { WechatCipher } from '../../src/webhook/crypto.js';
import { AES_KEY, APP_ID, PATH, TOKEN, encryptedRequest, replyEncrypt, signedQuery, textXml } from './support/fixtures.js';

const handlers = { text: (m: { Content: string }) => `echo: ${m.Content}` };

function parsedApp(options: Partial<WebhookOptions> = {}): Koa {
  const app = new Koa();
  app.silent = true;
  // Consumes XML and text bodies and keeps ctx.request.rawBody, as many Koa apps mount it.
  app.use(bodyParser({ enableTypes: ['json', 'form', 'text', 'xml'] }));
  app.use(webhook({ token: TOKEN, appId: APP_ID, ...options }, handlers as never));
  return app;
}

test('behind a body parser that keeps rawBody, a plain push verifies and is replied to', async () => {
  const res = await request(parsedApp().callback()).post(`${PATH}?${signedQuery()}`).set('Content-Type', 'text/xml').send(textXml('hello', '888001'));
  assert.equal(res.status, 200);
  assert.match(res.text, /<Content><!\[CDATA\[echo: hello\]\]><\/Content>/);
});

test('behind a body parser that keeps rawBody, a safe-mode push verifies and gets an encrypted reply', async () => {
  const { query, body } = encryptedRequest(textXml('secret', '888002'));
  const res = await request(parsedApp({ encodingAESKey: AES_KEY, mode: 'safe' }).callback()).post(`${PATH}?${query}`).set('Content-Type', 'application/xml').send(body);
  assert.equal(res.status, 200);
  const inner = new WechatCipher(AES_KEY, APP_ID).decrypt(replyEncrypt(res.text).encrypt).message;
  assert.match(inner, /echo: secret/);
});

test('a rawBody longer than the body limit is refused with 413', async () => {
  const res = await request(parsedApp({ bodyLimitBytes: 1024 }).callback())
    .post(`${PATH}?${signedQuery()}`)
    .set('Content-Type', 'text/plain')
    .send(textXml('x'.repeat(2000), '888003'));
  assert.equal(res.status, 413);
});

test('a body consumed without rawBody gets a 400 that says how to mount the webhook', async () => {
  const app = new Koa();
  app.silent = true;
  app.use(async (ctx, next) => {
    for await (const _chunk of ctx.req) void _chunk; // a parser that keeps nothing
    await next();
  });
  app.use(webhook({ token: TOKEN, appId: APP_ID }, handlers as never));
  const res = await request(app.callback()).post(`${PATH}?${signedQuery()}`).set('Content-Type', 'text/xml').send(textXml('hello', '888004'));
  assert.equal(res.status, 400);
  assert.match(res.text, /mount the webhook before the body parser/);
  assert.match(res.text, /rawBody/);
});
