/**
 * `npm run dev`: the sandbox. Starts the local WeChat emulator and the service composed exactly as
 * in production (src/server/service.ts), wired to the emulator with the sandbox credentials and the
 * file token store. Needs no `.env` and no MongoDB. Prints the simulate command to try and the URL
 * of a demo H5 page (src/sandbox/demo-page.ts) that runs wx.config and the web login against the
 * emulator: the JS-SDK routes allow the sandbox's own origin, and the login's cookie keys are new
 * random ones each run.
 *
 *   npm run dev [-- --port 3000] [--emulator-port 4000] [--mode plain|compatible|safe] [--data-dir data/sandbox]
 *
 * Port 0 picks a free port (for the service, one is chosen before start so its origin can be allowed).
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/index.js';
import { ConfigError, WechatMpError } from '../errors.js';
import { startEmulator, SANDBOX_APP, type Emulator } from '../emulator/index.js';
import { startService, type RunningService } from '../server/service.js';
import { DEMO_PAGE_PATH, mountDemoPage } from './demo-page.js';

const HOST = '127.0.0.1';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '3000' },
    'emulator-port': { type: 'string', default: '4000' },
    mode: { type: 'string', default: 'compatible' },
    'data-dir': { type: 'string', default: path.join('data', 'sandbox') },
  },
  allowPositionals: false,
});

function fail(message: string, action?: string): never {
  process.stderr.write(`${message}\n${action ? `What to do: ${action}\n` : ''}`);
  process.exit(1);
}

/** A port that was free a moment ago (the service's origin must be known before it starts). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, HOST, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * Forget the sandbox app's stored token and tickets: a new emulator issued none of them, and a stale
 * jsapi_ticket would make the first wx.config of the demo page fail.
 */
async function forgetStoredCredentials(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(`access-token.${SANDBOX_APP.appId}`)).map((n) => rm(path.join(dir, n), { force: true })));
}

const portOf = (flag: string, v: string): number => {
  const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  return n <= 65535 ? n : fail(`${flag}: expected a port from 0 to 65535`);
};
const emulatorPort = portOf('--emulator-port', values['emulator-port']);
portOf('--port', values.port);
let emulator: Emulator;
try {
  emulator = await startEmulator({ host: HOST, port: emulatorPort, portSetting: '--emulator-port' });
} catch (err) {
  if (err instanceof WechatMpError) fail(err.message, err.action);
  throw err;
}
const port = values.port === '0' ? String(await freePort()) : values.port;
const origins = [`http://${HOST}:${port}`, `http://localhost:${port}`].join(',');
const dataDir = values['data-dir'];
await forgetStoredCredentials(path.resolve(dataDir));
let config;
try {
  config = loadConfig({
    dotenvPath: false,
    env: {
      NODE_ENV: 'development',
      WECHAT_APP_ID: SANDBOX_APP.appId,
      WECHAT_APP_SECRET: SANDBOX_APP.secret,
      WECHAT_TOKEN: SANDBOX_APP.token,
      WECHAT_ENCODING_AES_KEY: SANDBOX_APP.encodingAESKey,
      WECHAT_MESSAGE_MODE: values.mode,
      WECHAT_API_BASE: emulator.url,
      TOKEN_STORE: 'file',
      DEDUPE_STORE: 'memory',
      DATA_DIR: dataDir,
      HOST,
      PORT: port,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      WECHAT_HANDLERS: process.env.WECHAT_HANDLERS,
      JSSDK_ALLOWED_ORIGINS: origins,
      OAUTH_COOKIE_KEYS: randomBytes(32).toString('base64url'),
      OAUTH_SCOPE: 'snsapi_userinfo',
    },
  });
} catch (err) {
  await emulator.close();
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}
let service: RunningService;
try {
  service = await startService(config, {
    portSetting: '--port',
    routes: (router) =>
      mountDemoPage(router, {
        emulatorUrl: emulator.url,
        jssdkConfigPath: config.jssdk.configPath,
        jssdkReportPath: config.jssdk.reportPath,
        loginPath: config.oauth.loginPath,
      }),
  });
} catch (err) {
  await emulator.close();
  if (err instanceof ConfigError) fail(err.message);
  if (err instanceof WechatMpError) fail(err.message, err.action);
  throw err;
}
const webhookUrl = `${service.url}${config.server.webhookPath}`;
process.stdout.write(
  [
    '',
    'wechat-mp-server sandbox is running (offline: nothing here talks to WeChat).',
    `  WeChat API emulator: ${emulator.url}   (control API: ${emulator.url}/__emulator/stats)`,
    `  webhook:             ${webhookUrl}   (mode: ${config.wechat.messageMode})`,
    `  sandbox app:         AppID ${SANDBOX_APP.appId}, Token ${SANDBOX_APP.token}`,
    `  demo H5 page:        ${service.url}${DEMO_PAGE_PATH}   (wx.config and web login, in your browser)`,
    '',
    'Send a message as a WeChat user would, from another terminal:',
    `  npm run simulate -- --sandbox --url ${webhookUrl} text "hello"`,
    `  npm run simulate -- --sandbox --url ${webhookUrl} --mode safe event subscribe`,
    '',
  ].join('\n'),
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  service
    .close()
    .then(() => emulator.close())
    .then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`sandbox shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
