import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import request from 'supertest';
import Koa from 'koa';
import { WechatCipher } from '../../src/webhook/crypto.js';
import { computeSignature } from '../../src/webhook/signature.js';
import { webhook } from '../../src/webhook/middleware.js';
import { exampleHandlers, EXAMPLE_WELCOME_TEXT } from '../../src/webhook/examples.js';
import { HandlerRegistry } from '../../src/webhook/registry.js';
import { reply } from '../../src/webhook/replies.js';
import type { WebhookRequestEvent } from '../../src/webhook/options.js';
import { InvalidOptionError, WechatMpError } from '../../src/errors.js';
import { parseXml } from '../../src/webhook/xml.js';
import { checkReplyXml } from './support/reply-check.js';
import {
  ACCOUNT,
  AES_KEY,
  APP_ID,
  OPENID,
  PATH,
  PREVIOUS_AES_KEY,
  TOKEN,
  encryptedRequest,
  eventXml,
  makeApp,
  memoryLogger,
  nowSeconds,
  replyEncrypt,
  signedQuery,
  textXml,
} from './support/fixtures.js';

const expectTo = { toUser: OPENID, fromUser: ACCOUNT };
let msgSeq = 100_000;
const nextId = () => String(msgSeq++);

/** Decrypt and check an encrypted reply; returns the inner reply XML. */
function openReply(xml: string, key = AES_KEY): string {
  const env = replyEncrypt(xml);
  assert.match(env.timeStamp, /^\d{10}$/, 'TimeStamp in seconds');
  assert.equal(env.msgSignature, computeSignature(TOKEN, env.timeStamp, env.nonce, env.encrypt), 'MsgSignature');
  return new WechatCipher(key, APP_ID).decrypt(env.encrypt).message;
}

test('GET verification echoes echostr only on a valid signature within the window', async () => {
  const app = makeApp({}, {});
  const ok = await request(app.callback()).get(`${PATH}?${signedQuery({ extra: { echostr: '4375120948345356249' } })}`);
  assert.equal(ok.status, 200);
  assert.equal(ok.text, '4375120948345356249');

  const ts = String(nowSeconds());
  const bad = await request(app.callback()).get(`${PATH}?signature=${'0'.repeat(40)}&timestamp=${ts}&nonce=1&echostr=x`);
  assert.equal(bad.status, 401);
  assert.equal(bad.text, 'invalid signature');
  assert.notEqual(bad.text, 'x');

  const missing = await request(app.callback()).get(`${PATH}?timestamp=${ts}&nonce=1&echostr=x`);
  assert.equal(missing.status, 401);
  const stale = await request(app.callback()).get(`${PATH}?${signedQuery({ timestamp: nowSeconds() - 301, extra: { echostr: 'x' } })}`);
  assert.equal(stale.status, 401);
  assert.match(stale.text, /timestamp/);
  const noEcho = await request(app.callback()).get(`${PATH}?${signedQuery()}`);
  assert.equal(noEcho.status, 400);
});

test('GET verification with the official vector V1 (window disabled, as the vector is old)', async () => {
  const app = new Koa();
  app.use(webhook({ token: 'AAAAA', appId: 'wxba5fad812f8e6fb9', timestampWindowSeconds: 0 }, {}));
  const res = await request(app.callback()).get(
    '/?signature=f464b24fc39322e44b38aa78f5edd27bd1441696&timestamp=1714036504&nonce=1514711492&echostr=4375120948345356249',
  );
  assert.equal(res.status, 200);
  assert.equal(res.text, '4375120948345356249');
});

test('plain mode: the bundled example handlers answer text, subscribe and CLICK, else success', async () => {
  const app = makeApp({}, exampleHandlers());
  const post = (xml: string) => request(app.callback()).post(`${PATH}?${signedQuery()}`).type('text/xml').send(xml);
  const text = await post(textXml('echo me ]]> please', nextId()));
  assert.equal(checkReplyXml(text.text, expectTo).msgType, 'text');
  assert.equal(parseXml(text.text).Content, 'echo me ]]> please');
  const sub = await post(eventXml('subscribe', '<EventKey><![CDATA[]]></EventKey>'));
  assert.equal(parseXml(sub.text).Content, EXAMPLE_WELCOME_TEXT);
  const click = await post(eventXml('CLICK', '<EventKey><![CDATA[MENU_A]]></EventKey>'));
  assert.equal(parseXml(click.text).Content, 'MENU_A');
  const image = await post(textXml('x', nextId()).replace('<MsgType><![CDATA[text]]>', '<MsgType><![CDATA[image]]>').replace('<Content>', '<PicUrl>u</PicUrl><MediaId>m</MediaId><Content>'));
  assert.equal(image.status, 200);
  assert.equal(image.text, 'success');
});

test('the body is read whatever the Content-Type', async () => {
  const app = makeApp({}, exampleHandlers());
  for (const type of ['text/xml', 'application/json', 'application/x-www-form-urlencoded', 'application/octet-stream']) {
    const res = await request(app.callback()).post(`${PATH}?${signedQuery()}`).set('Content-Type', type).send(textXml('t', nextId()));
    assert.equal(parseXml(res.text).Content, 't', type);
  }
});

test('safe mode: the encrypted request is decrypted and answered encrypted; plain is refused', async () => {
  const app = makeApp({ encodingAESKey: AES_KEY, mode: 'safe' }, exampleHandlers());
  const { query, body } = encryptedRequest(textXml('secret hello', nextId()));
  const res = await request(app.callback()).post(`${PATH}?${query}`).send(body);
  assert.equal(res.status, 200);
  const inner = openReply(res.text);
  checkReplyXml(inner, expectTo);
  assert.equal(parseXml(inner).Content, 'secret hello');

  const plain = await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(textXml('x', nextId()));
  assert.equal(plain.status, 401);
  assert.match(plain.text, /encrypted/);
});

test('safe mode: success is sent unencrypted', async () => {
  const app = makeApp({ encodingAESKey: AES_KEY, mode: 'safe' }, {});
  const { query, body } = encryptedRequest(textXml('x', nextId()));
  const res = await request(app.callback()).post(`${PATH}?${query}`).send(body);
  assert.equal(res.text, 'success');
});

test('compatible mode: encrypted answered encrypted, plain answered plain', async () => {
  const app = makeApp({ encodingAESKey: AES_KEY }, exampleHandlers()); // compatible is the default with a key
  const enc = encryptedRequest(textXml('both', nextId()), { plainFields: true });
  const a = await request(app.callback()).post(`${PATH}?${enc.query}`).send(enc.body);
  assert.equal(parseXml(openReply(a.text)).Content, 'both');
  const b = await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(textXml('plain', nextId()));
  assert.equal(checkReplyXml(b.text, expectTo).msgType, 'text');
  assert.equal(parseXml(b.text).Content, 'plain');
});

test('signature is checked even when msg_signature is valid', async () => {
  const app = makeApp({ encodingAESKey: AES_KEY, mode: 'safe' }, exampleHandlers());
  const { query, body } = encryptedRequest(textXml('x', nextId()));
  const q = new URLSearchParams(query);
  q.set('signature', 'f'.repeat(40));
  const res = await request(app.callback()).post(`${PATH}?${q}`).send(body);
  assert.equal(res.status, 401);
  assert.equal(res.text, 'invalid signature');
});

test('bad inputs get their status and a short reason, never a 5xx', async () => {
  const log = memoryLogger();
  const events: WebhookRequestEvent[] = [];
  const app = makeApp(
    { encodingAESKey: AES_KEY, mode: 'compatible', logger: log, observer: { onRequest: (e) => events.push(e) } },
    { text: () => 'should not run' },
  );
  const cb = app.callback();
  const enc = (opts: Parameters<typeof encryptedRequest>[1] = {}) => encryptedRequest(textXml('x', nextId()), opts);

  // tampered padding byte: flip a bit of the last block, then sign it properly (a token holder's mistake or an attack on a leaked token)
  const good = Buffer.from(new WechatCipher(AES_KEY, APP_ID).encrypt(textXml('x', nextId())), 'base64');
  good[good.length - 1] = (good[good.length - 1] as number) ^ 0x01;
  const tampered = enc({ encrypt: good.toString('base64') });
  const wrongAppId = enc({ appId: 'wx0000000000000000' });
  const wrongKey = enc({ key: PREVIOUS_AES_KEY });
  const malformed = enc({ encrypt: 'not*base64' });
  const shortBlock = enc({ encrypt: Buffer.alloc(16).toString('base64') });
  const missingMsgSig = enc();
  const badMsgSig = enc();
  const old = nowSeconds() - 3600;
  const billion =
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;">]>' +
    `<xml><ToUserName>${ACCOUNT}</ToUserName><FromUserName>${OPENID}</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>`;
  const xxe =
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' +
    `<xml><ToUserName>${ACCOUNT}</ToUserName><FromUserName>${OPENID}</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>`;
  const mib = `<xml><Content><![CDATA[${'a'.repeat(1024 * 1024)}]]></Content></xml>`;

  const cases: Array<{ name: string; send: () => Promise<request.Response>; status: number; reason: RegExp }> = [
    { name: 'no signature', send: () => request(cb).post(PATH).send(textXml('x', nextId())), status: 401, reason: /missing signature/ },
    {
      name: 'wrong signature',
      send: () => request(cb).post(`${PATH}?${signedQuery({ token: 'otherToken' })}`).send(textXml('x', nextId())),
      status: 401,
      reason: /invalid signature/,
    },
    {
      name: 'replayed old timestamp (valid signature)',
      send: () => request(cb).post(`${PATH}?${signedQuery({ timestamp: old })}`).send(textXml('x', nextId())),
      status: 401,
      reason: /timestamp/,
    },
    {
      name: 'timestamp from the future',
      send: () => request(cb).post(`${PATH}?${signedQuery({ timestamp: nowSeconds() + 3600 })}`).send(textXml('x', nextId())),
      status: 401,
      reason: /timestamp/,
    },
    { name: 'malformed XML', send: () => request(cb).post(`${PATH}?${signedQuery()}`).send('<xml><Content>x</xml>'), status: 400, reason: /malformed XML/ },
    { name: 'empty body', send: () => request(cb).post(`${PATH}?${signedQuery()}`).send(''), status: 400, reason: /empty/ },
    {
      name: 'missing required field',
      send: () => request(cb).post(`${PATH}?${signedQuery()}`).send(textXml('x', nextId()).replace(/<MsgId>\d+<\/MsgId>/, '')),
      status: 400,
      reason: /MsgId/,
    },
    { name: 'entity expansion (billion laughs)', send: () => request(cb).post(`${PATH}?${signedQuery()}`).send(billion), status: 400, reason: /document type/ },
    { name: 'external entity', send: () => request(cb).post(`${PATH}?${signedQuery()}`).send(xxe), status: 400, reason: /document type/ },
    { name: '1 MiB body', send: () => request(cb).post(`${PATH}?${signedQuery()}`).send(mib), status: 413, reason: /exceeds 65536 bytes/ },
    { name: 'tampered padding byte', send: () => request(cb).post(`${PATH}?${tampered.query}`).send(tampered.body), status: 401, reason: /decryption failed/ },
    { name: 'wrong AppID', send: () => request(cb).post(`${PATH}?${wrongAppId.query}`).send(wrongAppId.body), status: 401, reason: /AppID/ },
    { name: 'unknown key', send: () => request(cb).post(`${PATH}?${wrongKey.query}`).send(wrongKey.body), status: 401, reason: /decryption failed|AppID/ },
    { name: 'malformed Encrypt', send: () => request(cb).post(`${PATH}?${malformed.query}`).send(malformed.body), status: 400, reason: /malformed Encrypt/ },
    { name: 'Encrypt of a partial block', send: () => request(cb).post(`${PATH}?${shortBlock.query}`).send(shortBlock.body), status: 400, reason: /malformed Encrypt/ },
    {
      name: 'missing msg_signature',
      send: () => {
        const q = new URLSearchParams(missingMsgSig.query);
        q.delete('msg_signature');
        return request(cb).post(`${PATH}?${q}`).send(missingMsgSig.body);
      },
      status: 401,
      reason: /missing msg_signature/,
    },
    {
      name: 'wrong msg_signature',
      send: () => {
        const q = new URLSearchParams(badMsgSig.query);
        q.set('msg_signature', '0'.repeat(40));
        return request(cb).post(`${PATH}?${q}`).send(badMsgSig.body);
      },
      status: 401,
      reason: /invalid msg_signature/,
    },
    {
      name: 'encrypt_type=aes without Encrypt',
      send: () => request(cb).post(`${PATH}?${signedQuery({ extra: { encrypt_type: 'aes' } })}`).send(textXml('x', nextId())),
      status: 400,
      reason: /missing Encrypt/,
    },
    { name: 'PUT', send: () => request(cb).put(`${PATH}?${signedQuery()}`).send('x'), status: 405, reason: /method not allowed/ },
    { name: 'DELETE', send: () => request(cb).delete(PATH), status: 405, reason: /method not allowed/ },
  ];
  const reasons = new Set<string>();
  for (const c of cases) {
    const res = await c.send();
    reasons.add(res.text);
    assert.equal(res.status, c.status, `${c.name}: ${res.status} ${res.text}`);
    assert.match(res.text, c.reason, c.name);
    assert.ok(res.text.length < 80, `${c.name}: short reason`);
    assert.match(res.headers['content-type'] ?? '', /text\/plain/, c.name);
  }
  const rejected = events.filter((e) => e.outcome === 'rejected');
  assert.equal(rejected.length, cases.length);
  // Rejections are logged once per reason per interval (a repeated reason is only counted).
  assert.equal(log.lines.filter((l) => l.obj.event === 'webhook.rejected').length, reasons.size);
  // no secret in any log line or reason
  const text = log.text();
  for (const secret of [TOKEN, AES_KEY]) assert.ok(!text.includes(secret), 'a secret reached the log');
  assert.ok(!text.includes('file:///etc/passwd') && !text.includes('lol2'), 'bodies are not logged');
});

test('a body over the limit without Content-Length (chunked) is refused with 413', async () => {
  const app = makeApp({ bodyLimitBytes: 1024 }, {});
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as { port: number };
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: `${PATH}?${signedQuery()}` }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 8; i++) req.write('x'.repeat(512)); // chunked transfer, no length up front
      req.end();
    });
    assert.equal(status, 413);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('key rotation: a message under the previous key is accepted and answered with that key', async () => {
  const app = makeApp({ encodingAESKey: AES_KEY, previousEncodingAESKey: PREVIOUS_AES_KEY, mode: 'safe' }, exampleHandlers());
  const old = encryptedRequest(textXml('rotated', nextId()), { key: PREVIOUS_AES_KEY });
  const res = await request(app.callback()).post(`${PATH}?${old.query}`).send(old.body);
  assert.equal(res.status, 200);
  const env = replyEncrypt(res.text);
  assert.throws(() => new WechatCipher(AES_KEY, APP_ID).decrypt(env.encrypt), 'not under the current key');
  assert.equal(parseXml(openReply(res.text, PREVIOUS_AES_KEY)).Content, 'rotated');

  const current = encryptedRequest(textXml('current', nextId()));
  const res2 = await request(app.callback()).post(`${PATH}?${current.query}`).send(current.body);
  assert.equal(parseXml(openReply(res2.text, AES_KEY)).Content, 'current');
});

test('the official V1 safe-mode push decrypts and reaches the fallback handler', async () => {
  const V1_ENCRYPT =
    '+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=';
  // V1's plaintext is the JSON push format, which this XML webhook refuses after authenticating it:
  // reaching the XML error proves signature, msg_signature, window-off, decryption and AppID all passed.
  const app = new Koa();
  app.use(webhook({ token: 'AAAAA', appId: 'wxba5fad812f8e6fb9', encodingAESKey: 'A'.repeat(43), mode: 'safe', timestampWindowSeconds: 0 }, {}));
  const q = `signature=${computeSignature('AAAAA', '1714112445', '415670741')}&timestamp=1714112445&nonce=415670741&encrypt_type=aes&msg_signature=046e02f8204d34f8ba5fa3b1db94908f3df2e9b3`;
  const res = await request(app.callback()).post(`/?${q}`).send(`<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName><Encrypt><![CDATA[${V1_ENCRYPT}]]></Encrypt></xml>`);
  assert.equal(res.status, 400);
  assert.equal(res.text, 'malformed XML');
});

test('handlers by type, event and EventKey, with a fallback; ctx.state.wechat is set', async () => {
  const registry = new HandlerRegistry()
    .on('text', (m) => `text:${m.Content}`)
    .on('event:CLICK', 'BUY', () => 'buy button')
    .on('event:CLICK', (e) => `click:${e.EventKey}`)
    .on('event', (e) => `any event:${e.Event}`)
    .on('miniprogrampage', () => 'mini')
    .fallback((m) => `fallback:${m.MsgType}`);
  const states: unknown[] = [];
  const app = new Koa();
  app.use(async (ctx, next) => {
    await next();
    states.push(ctx.state.wechat);
  });
  app.use(webhook({ token: TOKEN, appId: APP_ID }, registry));
  const post = async (xml: string) => parseXml((await request(app.callback()).post(`/?${signedQuery()}`).send(xml)).text).Content;
  assert.equal(await post(textXml('a', '42')), 'text:a');
  assert.equal(await post(eventXml('CLICK', '<EventKey>BUY</EventKey>')), 'buy button');
  assert.equal(await post(eventXml('CLICK', '<EventKey>OTHER</EventKey>')), 'click:OTHER');
  assert.equal(await post(eventXml('SCAN', '<EventKey>1</EventKey>')), 'any event:SCAN');
  assert.equal(await post(eventXml('brand_new_event')), 'any event:brand_new_event');
  assert.equal(await post(textXml('a', '43').replace('[text]', '[miniprogrampage]')), 'mini');
  assert.equal(await post(textXml('a', '44').replace('[text]', '[link]').replace('<Content>', '<Title>t</Title><Description>d</Description><Url>u</Url><Content>')), 'fallback:link');
  assert.deepEqual(states[0], { msgType: 'text', msgId: '42', event: undefined });
  assert.deepEqual(states[1], { msgType: 'event', msgId: undefined, event: 'CLICK' });
});

test('a handler that throws or rejects is logged with the message id and answered with success', async () => {
  const log = memoryLogger();
  const handlerEvents: Array<{ ok: boolean }> = [];
  const outcomes: string[] = [];
  const app = makeApp(
    { logger: log, observer: { onHandler: (e) => handlerEvents.push(e), onRequest: (e) => outcomes.push(e.outcome) } },
    {
      text: (m) => {
        if (m.Content === 'sync') throw new Error('boom');
        return Promise.reject(new Error('async boom'));
      },
      image: () => ({ type: 'bogus' }) as never,
    },
  );
  const a = await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(textXml('sync', '7001'));
  const b = await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(textXml('async', '7002'));
  const c = await request(app.callback())
    .post(`${PATH}?${signedQuery()}`)
    .send(textXml('x', '7003').replace('[text]', '[image]').replace('<Content>', '<PicUrl>u</PicUrl><MediaId>m</MediaId><Content>'));
  for (const r of [a, b, c]) {
    assert.equal(r.status, 200);
    assert.equal(r.text, 'success');
  }
  const errors = log.lines.filter((l) => l.obj.event === 'webhook.handler_error');
  assert.deepEqual(
    errors.map((l) => l.obj.msgId),
    ['7001', '7002', '7003'],
  );
  assert.deepEqual(
    handlerEvents.map((e) => e.ok),
    [false, false, false],
  );
  assert.deepEqual(outcomes, ['handler_error', 'handler_error', 'handler_error']);
});

test('observer hooks that throw do not break a request', async () => {
  const app = makeApp(
    {
      observer: {
        onRequest: () => {
          throw new Error('metrics down');
        },
      },
    },
    exampleHandlers(),
  );
  const res = await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(textXml('ok', nextId()));
  assert.equal(parseXml(res.text).Content, 'ok');
});

test('options are validated when the middleware is built, never echoing secrets', () => {
  const base = { token: TOKEN, appId: APP_ID };
  assert.throws(() => webhook({ ...base, token: 'x' }, {}), InvalidOptionError);
  assert.throws(() => webhook({ ...base, mode: 'safe' }, {}), /encodingAESKey/);
  assert.throws(() => webhook({ ...base, mode: 'loud' as 'safe' }, {}), /mode/);
  assert.throws(() => webhook({ ...base, timestampWindowSeconds: -1 }, {}), /timestampWindowSeconds/);
  assert.throws(() => webhook({ ...base, replyDeadlineMs: 1.5 }, {}), /replyDeadlineMs/);
  assert.throws(() => webhook(base, { text: 'nope' as never }), /handlers\.text/);
  assert.throws(
    () => webhook({ ...base, encodingAESKey: 'short-secret-value' }, {}),
    (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_AES_KEY' && !e.message.includes('short-secret-value'),
  );
  assert.doesNotThrow(() => webhook({ ...base, encodingAESKey: AES_KEY, previousEncodingAESKey: PREVIOUS_AES_KEY }, exampleHandlers()));
  assert.ok(reply.text('x'));
});

test('hardening: the echoed echostr is served with X-Content-Type-Options: nosniff', async () => {
  const app = makeApp({}, {});
  const res = await request(app.callback()).get(`${PATH}?${signedQuery({ extra: { echostr: '<script>alert(1)</script>' } })}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.match(res.headers['content-type'] ?? '', /text\/plain/);
});

test('hardening: a flood of unsigned requests writes one rejection line per reason, not one per request', async () => {
  const log = memoryLogger();
  const app = makeApp({ logger: log }, {});
  for (let i = 0; i < 300; i++) assert.equal((await request(app.callback()).post(`${PATH}?signature=x&timestamp=1&nonce=${i}`).send('<xml/>')).status, 401);
  for (let i = 0; i < 50; i++) assert.equal((await request(app.callback()).post(PATH).send('<xml/>')).status, 401);
  assert.equal(log.lines.filter((l) => l.obj.event === 'webhook.rejected').length, 2, 'invalid signature, missing signature');
});
