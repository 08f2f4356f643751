#!/usr/bin/env node
/**
 * `npx wechat-simulate [options] <message>` (`npm run simulate -- ...` in a clone): push one message
 * or event to the webhook as WeChat would and print the validated reply. Exit 0 on a valid reply (or none), 1 on an invalid reply or
 * no answer, 2 on bad usage or configuration.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseDotenv } from 'dotenv';
import { WechatMpError } from '../errors.js';
import { parseMessageArgs, resolveSimulateOptions, SIMULATE_HELP_HINT, SIMULATE_USAGE } from './cli-args.js';
import { formatResult } from './format.js';
import { SimulationError, simulate } from './simulate.js';

function exitWith(code: number, message: string): never {
  console.error(message);
  process.exit(code);
}

/** A usage mistake: one plain sentence and where the full usage is; never the whole usage. */
function usageMistake(sentence: string): never {
  exitWith(2, `simulate: ${sentence}\n${SIMULATE_HELP_HINT}`);
}

/** node:util parseArgs failures in plain words. */
function argsMistake(err: Error & { code?: string }): string {
  const option = /'(-[^']*)'/.exec(err.message)?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `there is no option ${option.split(' ')[0]}`;
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) return `the option ${option.split(' ')[0]} needs a value after it`;
  return err.message;
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
    usageMistake(argsMistake(err as Error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(SIMULATE_USAGE);
    return;
  }
  const envFile = values['env-file'] ?? '.env';
  if (values['env-file'] !== undefined && !existsSync(envFile)) usageMistake(`there is no env file at ${envFile}`);
  const fileEnv = existsSync(envFile) ? parseDotenv(readFileSync(envFile)) : {};
  let options;
  let spec;
  try {
    spec = parseMessageArgs(positionals);
    options = resolveSimulateOptions(values, { ...fileEnv, ...process.env });
  } catch (err) {
    if (err instanceof WechatMpError) usageMistake(err.message);
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
