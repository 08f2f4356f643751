#!/usr/bin/env node
/**
 * Entry point: `npm start` in a clone, `npx wechat-mp-server` where the package is installed
 * (node dist/src/main.js). Loads and validates config, starts the service,
 * and shuts down cleanly on SIGTERM/SIGINT (exit 0), or exits 1 with a readable message.
 */
import { loadConfig } from '../config/index.js';
import { ConfigError, WechatMpError } from './errors.js';
import { startService } from './server/service.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example for every variable.\n`);
      process.exit(1);
    }
    throw err;
  }
  let service;
  try {
    service = await startService(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    if (err instanceof WechatMpError) {
      // Start-up failures a person can act on (port in use, bad handlers module): what and what to do.
      process.stderr.write(`${err.message}\nWhat to do: ${err.action}\n`);
      process.exit(1);
    }
    throw err;
  }
  const running = service;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      // A second signal while draining: the operator wants out now.
      process.stderr.write(`received ${signal} again; exiting without waiting\n`);
      process.exit(1);
    }
    stopping = true;
    running.logger.info({ event: 'service.signal', signal }, `received ${signal}`);
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${(err as Error).message}\n`);
  process.exit(1);
});
