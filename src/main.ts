/**
 * Entry point: `npm start` (node dist/src/main.js). Loads and validates config, opens MongoDB when
 * configured, serves the app, and shuts down cleanly on SIGTERM/SIGINT.
 */
import { loadConfig, redactConfig } from '../config/index.js';
import { ConfigError } from './errors.js';
import { createLogger } from './log/logger.js';
import { openMongo, describeMongoUri, type MongoHandle } from './db/mongo.js';
import { createApp } from './server/app.js';
import { listen } from './server/http.js';

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
  const logger = createLogger({ level: config.log.level });
  let mongo: MongoHandle | undefined;
  if (config.mongo.uri) mongo = openMongo(config.mongo.uri, { logger });

  const app = createApp(config, { logger });
  const running = await listen(app.callback(), { host: config.server.host, port: config.server.port });
  logger.info(
    {
      event: 'service.started',
      url: running.url,
      webhookPath: config.server.webhookPath,
      tokenStore: config.tokenStore,
      mongo: config.mongo.uri ? describeMongoUri(config.mongo.uri) : undefined,
      config: redactConfig(config),
    },
    'wechat-mp-server started',
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'service.stopping', signal }, 'shutting down');
    await running.close();
    await mongo?.close();
    logger.info({ event: 'service.stopped' }, 'stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${(err as Error).message}\n`);
  process.exit(1);
});
