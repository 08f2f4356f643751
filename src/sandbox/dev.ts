/**
 * `npm run dev`: the sandbox. Starts the local WeChat emulator and the service composed exactly as
 * in production (src/server/service.ts), wired to the emulator with the sandbox credentials and the
 * file token store. Needs no `.env` and no MongoDB. Prints the simulate command to try.
 *
 *   npm run dev [-- --port 3000] [--emulator-port 4000] [--mode plain|compatible|safe]
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { loadConfig } from '../../config/index.js';
import { ConfigError } from '../errors.js';
import { startEmulator, SANDBOX_APP } from '../emulator/index.js';
import { startService } from '../server/service.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '3000' },
    'emulator-port': { type: 'string', default: '4000' },
    mode: { type: 'string', default: 'compatible' },
  },
  allowPositionals: false,
});

const emulator = await startEmulator({ port: Number(values['emulator-port']) });
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
      DATA_DIR: path.join('data', 'sandbox'),
      HOST: '127.0.0.1',
      PORT: values.port,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      WECHAT_HANDLERS: process.env.WECHAT_HANDLERS,
    },
  });
} catch (err) {
  await emulator.close();
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
const service = await startService(config);
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
