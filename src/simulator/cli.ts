/**
 * `npm run simulate -- [options] <message>`: push one message or event to the webhook as WeChat
 * would and print the validated reply. Exit 0 on a valid reply (or none), 1 on an invalid reply or
 * no answer, 2 on bad usage or configuration.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseDotenv } from 'dotenv';
import { WechatMpError } from '../errors.js';
import { parseMessageArgs, resolveSimulateOptions, SIMULATE_USAGE } from './cli-args.js';
import { formatResult } from './format.js';
import { SimulationError, simulate } from './simulate.js';

function exitWith(code: number, message: string): never {
  console.error(message);
  process.exit(code);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        mode: { type: 'string' },
        sandbox: { type: 'boolean' },
        openid: { type: 'string' },
        account: { type: 'string' },
        timeout: { type: 'string' },
        attempts: { type: 'string' },
        'env-file': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    exitWith(2, `simulate: ${(err as Error).message}\n${SIMULATE_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(SIMULATE_USAGE);
    return;
  }
  const envFile = values['env-file'] ?? '.env';
  if (values['env-file'] !== undefined && !existsSync(envFile)) exitWith(2, `simulate: no such env file ${envFile}`);
  const fileEnv = existsSync(envFile) ? parseDotenv(readFileSync(envFile)) : {};
  let options;
  let spec;
  try {
    spec = parseMessageArgs(positionals);
    options = resolveSimulateOptions(values, { ...fileEnv, ...process.env });
  } catch (err) {
    if (err instanceof WechatMpError) exitWith(2, `simulate: ${err.message}\n${SIMULATE_USAGE}`);
    throw err;
  }
  try {
    const result = await simulate(spec, options);
    console.log(values.json ? JSON.stringify(result, null, 2) : formatResult(result, options.url));
  } catch (err) {
    if (err instanceof SimulationError) {
      const body = err.rawBody === undefined ? '' : `\nbody: ${err.rawBody}`;
      exitWith(1, `simulate: ${err.message} (attempts: ${err.attempts}${err.status === undefined ? '' : `, HTTP ${err.status}`})${body}`);
    }
    if (err instanceof WechatMpError) exitWith(2, `simulate: ${err.message}`);
    throw err;
  }
}

await main();
