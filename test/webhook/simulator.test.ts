import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import request from 'supertest';
import { simulate, validateReply, KNOWN_EVENTS, MESSAGE_TYPES, type SimMessageSpec } from '../../src/simulator/index.js';
import type { MessageMode } from '../../src/webhook/options.js';
import { reply, type Reply } from '../../src/webhook/replies.js';
import type { WechatMessage } from '../../src/webhook/messages.js';
import type { HandlerMap } from '../../src/webhook/registry.js';
import { ACCOUNT, AES_KEY, APP_ID, OPENID, PATH, TOKEN, encryptedRequest, makeApp, signedQuery, textXml } from './support/fixtures.js';

// The other side of the wire: the project's simulator (signs, encrypts and validates like WeChat).
const REPLIES: Reply[] = [
  reply.text('text ]]> reply'),
  reply.image('m1'),
  reply.voice('m2'),
  reply.video({ mediaId: 'm3', title: 't', description: 'd' }),
  reply.music({ thumbMediaId: 'th', title: 'song', musicUrl: 'http://m/1.mp3', hqMusicUrl: 'http://m/1hq.mp3' }),
  reply.news([{ title: 'only one', url: 'http://u' }]),
  reply.transferCustomerService(),
  reply.transferCustomerService('kf2001@gh_0123456789ab'),
];

test('every reply type is accepted by the simulator, plain and encrypted', async () => {
  let seq = 0;
  for (const mode of ['plain', 'safe'] as const) {
    for (const r of REPLIES) {
      const app = makeApp(mode === 'safe' ? { encodingAESKey: AES_KEY, mode: 'safe' } : {}, { text: () => r });
      const xml = textXml('x', String(990_000 + seq++));
      const res =
        mode === 'safe'
          ? await (async () => {
              const e = encryptedRequest(xml);
              return request(app.callback()).post(`${PATH}?${e.query}`).send(e.body);
            })()
          : await request(app.callback()).post(`${PATH}?${signedQuery()}`).send(xml);
      const parsed = validateReply(res.text, {
        openId: OPENID,
        accountId: ACCOUNT,
        token: TOKEN,
        appId: APP_ID,
        encodingAESKey: AES_KEY,
        mode,
        nowSeconds: Math.floor(Date.now() / 1000),
      });
      assert.equal(parsed.msgType, r.type, `${mode} ${r.type}`);
      assert.equal(parsed.encrypted, mode === 'safe');
      if (parsed.msgType === 'text') assert.equal(parsed.content, 'text ]]> reply');
    }
  }
});

let server: http.Server;
let url: string;
const seen: WechatMessage[] = [];
let slowRuns = 0;

before(async () => {
  // One webhook per mode (/plain, /compatible, /safe) on one loopback server: the simulator needs a URL.
  const handlers: HandlerMap = {
    fallback: (m) => {
      seen.push(m);
      return `got ${m.kind}${'Event' in m ? `:${m.Event}` : ''}`;
    },
    text: async (m) => {
      if (m.Content !== 'slow') return `got text`;
      slowRuns++;
      await new Promise((r) => setTimeout(r, 700));
      return 'slow answer';
    },
  };
  const routed = {
    plain: makeApp({}, handlers),
    compatible: makeApp({ encodingAESKey: AES_KEY }, handlers),
    safe: makeApp({ encodingAESKey: AES_KEY, mode: 'safe', replyDeadlineMs: 3000 }, handlers),
  };
  server = http.createServer((req, res) => {
    const mode = (req.url ?? '').split('/')[1] as keyof typeof routed;
    const app = routed[mode];
    if (!app) {
      res.statusCode = 404;
      res.end();
      return;
    }
    req.url = (req.url ?? '').slice(mode.length + 1);
    void app.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const specs: SimMessageSpec[] = [
  ...MESSAGE_TYPES.map((type): SimMessageSpec => (type === 'text' ? { type, content: 'hello' } : ({ type } as SimMessageSpec))),
  ...KNOWN_EVENTS.map((event): SimMessageSpec => ({ type: 'event', event, eventKey: event === 'CLICK' ? 'MENU_1' : undefined })),
  { type: 'event', event: 'some_future_event', eventKey: 'k' },
];

test('the simulator pushes every message and event in all three modes; each parses and is answered', async () => {
  for (const mode of ['plain', 'compatible', 'safe'] as MessageMode[]) {
    for (const spec of specs) {
      seen.length = 0;
      const result = await simulate(spec, {
        url: `${url}/${mode}${PATH}`,
        token: TOKEN,
        appId: APP_ID,
        accountId: ACCOUNT,
        openId: OPENID,
        encodingAESKey: mode === 'plain' ? undefined : AES_KEY,
        mode,
      });
      const label = `${mode} ${spec.type}${spec.type === 'event' ? `:${spec.event}` : ''}`;
      assert.equal(result.status, 200, label);
      assert.equal(result.reply?.msgType, 'text', label);
      assert.equal(result.reply?.encrypted, mode !== 'plain', label);
      if (spec.type === 'text') continue;
      assert.equal(seen.length, 1, label);
      const m = seen[0] as WechatMessage;
      if (spec.type === 'event') {
        const known = (KNOWN_EVENTS as readonly string[]).includes(spec.event);
        assert.equal(m.kind, known ? 'event' : 'unknown_event', label);
        assert.equal('Event' in m && m.Event, spec.event, label);
      } else {
        assert.equal(m.kind, spec.type, label);
        assert.equal('MsgId' in m && m.MsgId, result.msgId, label);
      }
    }
  }
});

test('simulator re-delivery after its 5 s-style timeout gets the first reply; the handler runs once', async () => {
  const result = await simulate(
    { type: 'text', content: 'slow' },
    { url: `${url}/safe${PATH}`, token: TOKEN, appId: APP_ID, accountId: ACCOUNT, openId: OPENID, encodingAESKey: AES_KEY, mode: 'safe', timeoutMs: 400, attempts: 3 },
  );
  assert.ok(result.attempts >= 2, `attempts ${result.attempts}`);
  assert.equal(result.reply?.msgType === 'text' ? result.reply.content : undefined, 'slow answer');
  assert.equal(slowRuns, 1);
});
