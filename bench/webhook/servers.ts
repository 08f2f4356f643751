/**
 * One benchmark server per process: `node --import tsx bench/webhook/servers.ts <kind> <port>`.
 * Prints `READY <port>` when listening. Kinds: node-http, koa-body, xml2js-minimal, co-wechat-plain,
 * co-wechat-aes, ours-plain, ours-safe. Every webhook replies to a text message with its own text.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import Koa from 'koa';
import getRawBody from 'raw-body';
import { webhook } from '../../src/webhook/index.js';
import { computeSignature } from '../../src/webhook/signature.js';
import { parseXml } from '../../src/webhook/xml.js';
import { BENCH_AES_KEY, BENCH_APP_ID, BENCH_TOKEN, FIXED_REPLY } from './requests.js';

/** The kinds of server this script starts. */
export const SERVER_KINDS = ['node-http', 'koa-body', 'xml2js-minimal', 'co-wechat-plain', 'co-wechat-aes', 'ours-plain', 'ours-safe'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

type CoWechatHandler = (message: Record<string, unknown>, ctx: Koa.Context) => Promise<unknown>;
type CoWechat = (config: { token: string; appid?: string; encodingAESKey?: string }) => { middleware(handle: CoWechatHandler): Koa.Middleware };

function build(kind: ServerKind): http.RequestListener {
  switch (kind) {
    case 'node-http':
      return (req, res) => {
        req.resume();
        req.on('end', () => {
          res.setHeader('Content-Type', 'application/xml');
          res.end(FIXED_REPLY);
        });
      };
    case 'koa-body': {
      const app = new Koa();
      app.use(async (ctx) => {
        await getRawBody(ctx.req, { length: ctx.request.length, limit: 64 * 1024 });
        ctx.type = 'application/xml';
        ctx.body = FIXED_REPLY;
      });
      return app.callback();
    }
    case 'xml2js-minimal': {
      // The floor of any xml2js-based plain-mode design (docs/benchmarks.md, the "hand-written" floor):
      // signature, raw body, one reused xml2js parse, a template reply; no checks, no dedupe.
      const app = new Koa();
      app.use(async (ctx) => {
        const q = ctx.query as Record<string, string>;
        if (computeSignature(BENCH_TOKEN, q.timestamp ?? '', q.nonce ?? '') !== q.signature) {
          ctx.status = 401;
          return;
        }
        const f = parseXml((await getRawBody(ctx.req, { length: ctx.request.length, limit: 64 * 1024 })).toString());
        ctx.type = 'application/xml';
        ctx.body =
          `<xml><ToUserName><![CDATA[${String(f.FromUserName)}]]></ToUserName><FromUserName><![CDATA[${String(f.ToUserName)}]]></FromUserName>` +
          `<CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${String(f.Content)}]]></Content></xml>`;
      });
      return app.callback();
    }
    case 'co-wechat-plain':
    case 'co-wechat-aes': {
      const coWechat = createRequire(import.meta.url)('co-wechat') as CoWechat;
      const config = kind === 'co-wechat-aes' ? { token: BENCH_TOKEN, appid: BENCH_APP_ID, encodingAESKey: BENCH_AES_KEY } : { token: BENCH_TOKEN };
      const app = new Koa();
      app.use(coWechat(config).middleware(async (message) => message.Content));
      return app.callback();
    }
    case 'ours-plain':
    case 'ours-safe': {
      const app = new Koa();
      const options =
        kind === 'ours-safe'
          ? { token: BENCH_TOKEN, appId: BENCH_APP_ID, encodingAESKey: BENCH_AES_KEY, mode: 'safe' as const }
          : { token: BENCH_TOKEN, appId: BENCH_APP_ID };
      app.use(webhook(options, { text: (message) => message.Content }));
      return app.callback();
    }
  }
}

const kind = process.argv[2] as ServerKind;
const port = Number(process.argv[3] ?? 0);
if (!SERVER_KINDS.includes(kind)) {
  console.error(`usage: servers.ts <${SERVER_KINDS.join('|')}> <port>`);
  process.exit(2);
}
const server = http.createServer(build(kind));
server.keepAliveTimeout = 30_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`READY ${address.port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
