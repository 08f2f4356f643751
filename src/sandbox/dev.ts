/**
 * `npm run dev`: the sandbox. Starts the local WeChat emulator and the service composed exactly as
 * in production (src/server/service.ts), wired to the emulator with the sandbox credentials and the
 * file token store. Needs no `.env` and no MongoDB. Prints the simulate command to try.
 *
 *   npm run dev [-- --port 3000] [--emulator-port 4000] [--mode plain|compatible|safe] [--data-dir data/sandbox]
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { loadConfig } from '../../config/index.js';
import { ConfigError, WechatMpError } from '../errors.js';
import { startEmulator, SANDBOX_APP, type Emulator } from '../emulator/index.js';
import { startService, type RunningService } from '../server/service.js';

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

let emulator: Emulator;
try {
  emulator = await startEmulator({ port: Number(values['emulator-port']), portSetting: '--emulator-port' });
} catch (err) {
  if (err instanceof WechatMpError) fail(err.message, err.action);
  throw err;
}
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
      DATA_DIR: values['data-dir'],
      HOST: '127.0.0.1',
      PORT: values.port,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      WECHAT_HANDLERS: process.env.WECHAT_HANDLERS,
    },
  });
} catch (err) {
  await emulator.close();
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}
let service: RunningService;
try {
  service = await startService(config, { portSetting: '--port' });
} catch (err) {
  await emulator.close();
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
