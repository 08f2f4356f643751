import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import fc from 'fast-check';
import { exampleHandlers } from '../../src/webhook/examples.js';
import { AES_KEY, PATH, encryptedRequest, eventXml, makeApp, signedQuery, textXml } from './support/fixtures.js';

// Whatever a client sends, the answer is 2xx or 4xx: never a 5xx, never a crash.
const seeds = [textXml('hello', '1'), eventXml('CLICK', '<EventKey>K</EventKey>'), eventXml('pic_weixin', '<EventKey>6</EventKey><SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum>a</PicMd5Sum></item></PicList></SendPicsInfo>')];

const mutated = fc
  .tuple(fc.constantFrom(...seeds), fc.nat(), fc.nat(), fc.string({ maxLength: 12 }))
  .map(([xml, a, b, insert]) => {
    const i = a % (xml.length + 1);
    const j = Math.min(xml.length, i + (b % 8));
    return xml.slice(0, i) + insert + xml.slice(j);
  });
const bodies = fc.oneof(mutated, fc.string({ maxLength: 200 }), fc.constantFrom('<xml/>', '<xml></xml>', '<xml><MsgType>event</MsgType></xml>', '<xml><Encrypt/></xml>'));

test('random and mutated bodies never produce a 5xx (plain and compatible)', async () => {
  const plain = makeApp({}, exampleHandlers()).callback();
  const compatible = makeApp({ encodingAESKey: AES_KEY }, exampleHandlers()).callback();
  await fc.assert(
    fc.asyncProperty(bodies, fc.boolean(), async (body, useCompatible) => {
      const res = await request(useCompatible ? compatible : plain).post(`${PATH}?${signedQuery()}`).send(body);
      assert.ok(res.status < 500, `${res.status} for ${JSON.stringify(body)}`);
    }),
    { numRuns: 250 },
  );
});

test('random ciphertexts and inner documents never produce a 5xx (safe mode)', async () => {
  const safe = makeApp({ encodingAESKey: AES_KEY, mode: 'safe' }, exampleHandlers()).callback();
  await fc.assert(
    fc.asyncProperty(fc.oneof(bodies.map((inner) => ({ inner })), fc.base64String({ maxLength: 200 }).map((encrypt) => ({ encrypt }))), async (c) => {
      const { query, body } = 'inner' in c ? encryptedRequest(c.inner) : encryptedRequest('', { encrypt: c.encrypt });
      const res = await request(safe).post(`${PATH}?${query}`).send(body);
      assert.ok(res.status < 500, `${res.status} for ${JSON.stringify(c)}`);
    }),
    { numRuns: 200 },
  );
});

test('random query strings never produce a 5xx', async () => {
  const app = makeApp({}, exampleHandlers()).callback();
  await fc.assert(
    fc.asyncProperty(fc.dictionary(fc.constantFrom('signature', 'timestamp', 'nonce', 'echostr', 'encrypt_type', 'msg_signature'), fc.string({ maxLength: 20 })), fc.constantFrom('GET', 'POST'), async (params, method) => {
      const q = new URLSearchParams(params).toString();
      const res = method === 'GET' ? await request(app).get(`${PATH}?${q}&signature=a&signature=b`) : await request(app).post(`${PATH}?${q}`).send(textXml('x', '1'));
      assert.ok(res.status < 500 && res.status >= 400, `${res.status}`);
    }),
    { numRuns: 150 },
  );
});
