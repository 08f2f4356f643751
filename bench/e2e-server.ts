/**
 * Server process of the end-to-end benchmark (bench/end-to-end.ts). Prints `{"url": "..."}` on one
 * line once listening, then serves until stdin closes.
 *
 *   node --import tsx bench/e2e-server.ts ours <plain|safe> <emulatorUrl>
 *   node --import tsx bench/e2e-server.ts ours-bare <plain|safe>     (our webhook middleware alone on bare Koa)
 *   node --import tsx bench/e2e-server.ts co-wechat <plain|safe>
 *
 * Both answer the same conversation the same way: text -> its own text, subscribe -> a welcome text,
 * menu CLICK -> its EventKey, anything else -> `success` (ours: the bundled example handlers).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import Koa from 'koa';
import { loadConfig } from '../config/index.js';
import { startService } from '../src/server/service.js';
import { noopLogger } from '../src/log/logger.js';
import { SANDBOX_APP } from '../src/emulator/index.js';
import { EXAMPLE_WELCOME_TEXT, exampleHandlers } from '../src/webhook/examples.js';
import { webhook } from '../src/webhook/middleware.js';

const [kind, mode, emulatorUrl] = process.argv.slice(2);
let close: () => Promise<void>;
let url: string;

if (kind === 'ours') {
  const config = loadConfig({
    dotenvPath: false,
    env: {
      NODE_ENV: 'production',
      WECHAT_APP_ID: SANDBOX_APP.appId,
      WECHAT_APP_SECRET: SANDBOX_APP.secret,
      WECHAT_TOKEN: SANDBOX_APP.token,
      WECHAT_ENCODING_AES_KEY: SANDBOX_APP.encodingAESKey,
      WECHAT_MESSAGE_MODE: mode === 'safe' ? 'safe' : 'plain',
      WECHAT_API_BASE: emulatorUrl,
      TOKEN_STORE: 'memory',
      DEDUPE_STORE: 'memory',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
    },
  });
  const service = await startService(config, { logger: noopLogger });
  url = `${service.url}${config.server.webhookPath}`;
  close = () => service.close();
} else if (kind === 'ours-bare') {
  // Our webhook middleware alone on bare Koa: the service minus its layers (request log, metrics, router, health).
  const app = new Koa();
  app.silent = true;
  const hook = webhook(
    {
      token: SANDBOX_APP.token,
      appId: SANDBOX_APP.appId,
      encodingAESKey: SANDBOX_APP.encodingAESKey,
      mode: mode === 'safe' ? 'safe' : 'plain',
    },
    exampleHandlers(),
  );
  app.use(async (ctx, next) => (ctx.path === '/wechat' ? hook(ctx, next) : next()));
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wechat`;
  close = () => new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
} else if (kind === 'co-wechat') {
  type Handle = (message: Record<string, unknown>) => Promise<string> | string;
  type CoWechat = (config: { token: string; appid: string; encodingAESKey: string }) => { middleware(handle: Handle): Koa.Middleware };
  const coWechat = createRequire(import.meta.url)('co-wechat') as CoWechat;
  const app = new Koa();
  app.silent = true;
  const config = { token: SANDBOX_APP.token, appid: SANDBOX_APP.appId, encodingAESKey: mode === 'safe' ? SANDBOX_APP.encodingAESKey : '' };
  const middleware = coWechat(config).middleware((m) => {
    if (m.MsgType === 'text') return String(m.Content);
    if (m.MsgType === 'event' && m.Event === 'subscribe') return EXAMPLE_WELCOME_TEXT;
    if (m.MsgType === 'event' && m.Event === 'CLICK') return String(m.EventKey);
    return '';
  });
  app.use(async (ctx, next) => (ctx.path === '/wechat' ? middleware(ctx, next) : next()));
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wechat`;
  close = () => new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
} else {
  console.error('usage: e2e-server <ours|ours-bare|co-wechat> <plain|safe> [emulatorUrl]');
  process.exit(2);
}

process.stdout.write(`${JSON.stringify({ url })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void close().then(() => process.exit(0));
});
