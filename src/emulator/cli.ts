#!/usr/bin/env node
/**
 * `npx wechat-emulator --port 4000 [--host 127.0.0.1] [--app APPID:SECRET]... [--daily-quota N]`
 * (`npm run emulator -- ...` in a clone).
 *
 * Starts the emulator, prints its base URL and the sandbox credentials, and stops on SIGINT/SIGTERM.
 * Secrets of apps given with --app are not printed.
 */
import { parseArgs } from 'node:util';
import { WechatMpError } from '../errors.js';
import { SANDBOX_APP } from './constants.js';
import type { EmulatorApp } from './options.js';
import { startEmulator } from './server.js';

const USAGE = `usage: wechat-emulator [--port 4000] [--host 127.0.0.1] [--app APPID:SECRET]... [--daily-quota N] [--no-sandbox]
       (in a clone: npm run emulator -- [options])`;

/** A usage mistake: one sentence and where the usage is (the usage itself only on --help). */
function fail(message: string): never {
  console.error(`emulator: ${message}\nRun with --help for the options.`);
  process.exit(2);
}

function parseIntArg(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) fail(`--${name} expects a non-negative integer`);
  return Number(v);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        app: { type: 'string', multiple: true },
        'daily-quota': { type: 'string' },
        'no-sandbox': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const dailyQuota = parseIntArg('daily-quota', values['daily-quota']);
  const apps: EmulatorApp[] = (values.app ?? []).map((spec) => {
    const i = spec.indexOf(':');
    if (i <= 0 || i === spec.length - 1) fail(`--app expects APPID:SECRET`);
    return { appId: spec.slice(0, i), secret: spec.slice(i + 1), ...(dailyQuota === undefined ? {} : { dailyQuota }) };
  });
  if (dailyQuota !== undefined && !values['no-sandbox']) apps.push({ ...SANDBOX_APP, dailyQuota });
  const emulator = await startEmulator({
    port: parseIntArg('port', values.port) ?? 4000,
    ...(values.host === undefined ? {} : { host: values.host }),
    apps,
    includeSandboxApp: !values['no-sandbox'],
  }).catch((err: unknown) => {
    if (err instanceof WechatMpError && err.code === 'WMP_ERR_LISTEN') {
      console.error(`emulator: ${err.message}`);
      process.exit(1);
    }
    if (err instanceof WechatMpError) fail(err.message);
    throw err;
  });
  const lines = [`WeChat API emulator listening on ${emulator.url}`, `  set WECHAT_API_BASE=${emulator.url}`];
  if (!values['no-sandbox']) {
    lines.push(
      'Sandbox account (fake credentials, valid only here):',
      `  WECHAT_APP_ID=${SANDBOX_APP.appId}`,
      `  WECHAT_APP_SECRET=${SANDBOX_APP.secret}`,
      `  WECHAT_TOKEN=${SANDBOX_APP.token}`,
      `  WECHAT_ENCODING_AES_KEY=${SANDBOX_APP.encodingAESKey}`,
      `  account id (ToUserName): ${SANDBOX_APP.accountId}`,
      `Try: curl '${emulator.url}/cgi-bin/token?grant_type=client_credential&appid=${SANDBOX_APP.appId}&secret=${SANDBOX_APP.secret}'`,
    );
  }
  for (const a of apps) if (a.appId !== SANDBOX_APP.appId) lines.push(`App ${a.appId} (secret as given)`);
  lines.push(`Control API (loopback only): ${emulator.url}/__emulator/stats, /clock, /faults, /reset, /messages`);
  console.log(lines.join('\n'));
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
