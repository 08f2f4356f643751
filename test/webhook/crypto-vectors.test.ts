import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeSignature, verifySignature } from '../../src/webhook/signature.js';
import { safeEqual } from '../../src/util/safe-equal.js';
import { WechatCipher, decodeAESKey } from '../../src/webhook/crypto.js';
import { WechatMpError } from '../../src/errors.js';

// Official vectors from docs/protocol.md section 5.
const V1 = { token: 'AAAAA', aesKey: 'A'.repeat(43), appId: 'wxba5fad812f8e6fb9' };
const V1_ENCRYPT =
  '+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=';

test('V1 GET verification signature', () => {
  assert.equal(computeSignature(V1.token, '1714036504', '1514711492'), 'f464b24fc39322e44b38aa78f5edd27bd1441696');
  assert.ok(verifySignature('f464b24fc39322e44b38aa78f5edd27bd1441696', V1.token, '1714036504', '1514711492'));
  assert.ok(!verifySignature('f464b24fc39322e44b38aa78f5edd27bd1441697', V1.token, '1714036504', '1514711492'));
  assert.ok(!verifySignature(undefined, V1.token, '1714036504', '1514711492'));
});

test('V1 plain POST signature', () => {
  assert.equal(computeSignature(V1.token, '1714037059', '486452656'), '899cf89e464efb63f54ddac96b0a0a235f53aa78');
});

test('V1 safe POST: msg_signature and decryption', () => {
  assert.equal(computeSignature(V1.token, '1714112445', '415670741', V1_ENCRYPT), '046e02f8204d34f8ba5fa3b1db94908f3df2e9b3');
  const out = new WechatCipher(V1.aesKey, V1.appId).decrypt(V1_ENCRYPT);
  assert.equal(out.random.toString('utf8'), 'a8eedb185eb2fecf');
  assert.equal(Buffer.byteLength(out.message), 167);
  assert.equal(
    out.message,
    '{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}',
  );
  assert.equal(out.appId, V1.appId);
});

test('V1 reply encryption and MsgSignature', () => {
  const enc = new WechatCipher(V1.aesKey, V1.appId).encrypt('{"demo_resp":"good luck"}', Buffer.from('707722b803182950'));
  assert.equal(enc, 'ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==');
  assert.equal(computeSignature(V1.token, '1713424427', '415670741', enc), '1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1');
});

test('V2 Java sample ciphertext', () => {
  const c = new WechatCipher('abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', 'wxb11529c136998cb6');
  const enc = c.encrypt('我是中文abcd123', Buffer.from('aaaabbbbccccdddd'));
  assert.equal(enc, 'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==');
  assert.equal(c.decrypt(enc).message, '我是中文abcd123');
});

test('V3 signature over four parts', () => {
  assert.equal(computeSignature('RMNlACHlV5ThzfRlVS4D4', 'timestamp', 'nonce', 'encrypt'), '8edac0945683c119ee71c9f6256d76c48aa08a96');
});

test('decrypt rejects a wrong AppID, tampered padding, bad base64 and bad length', () => {
  const c = new WechatCipher(V1.aesKey, V1.appId);
  const other = new WechatCipher(V1.aesKey, 'wx0000000000000000');
  assert.throws(() => other.decrypt(V1_ENCRYPT), (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_APPID_MISMATCH');
  // Flip a byte of the last ciphertext block: CBC garbles the padding of the final block.
  const data = Buffer.from(V1_ENCRYPT, 'base64');
  data[data.length - 1] = (data[data.length - 1] as number) ^ 0x01;
  assert.throws(() => c.decrypt(data.toString('base64')), (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_DECRYPT');
  assert.throws(() => c.decrypt('not base64!!'), (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_DECRYPT');
  assert.throws(() => c.decrypt(Buffer.alloc(31).toString('base64')), (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_DECRYPT');
  // Whitespace inside the base64 (WxJava #1634) is tolerated.
  assert.equal(c.decrypt(V1_ENCRYPT.replace(/(.{64})/g, '$1\n')).appId, V1.appId);
});

test('decodeAESKey rejects bad keys without echoing them', () => {
  assert.throws(() => decodeAESKey('short-secret-key'), (e: unknown) => e instanceof WechatMpError && e.code === 'WMP_ERR_AES_KEY' && !e.message.includes('short-secret-key'));
  assert.equal(decodeAESKey('A'.repeat(43)).length, 32);
});

test('safeEqual compares whole strings', () => {
  assert.ok(safeEqual('abc', 'abc'));
  assert.ok(!safeEqual('abc', 'abd'));
  assert.ok(!safeEqual('abc', 'abcd'));
  assert.ok(!safeEqual('', 'a'));
});
