/**
 * The service in a process of its own, for tests that watch it from outside (memory, survival).
 * argv[2]: JSON object of environment variables for `loadConfig` (on top of the test defaults).
 * Prints `{"url": "...", "pid": N}` on its first stdout line, then pino's JSON log lines; closes
 * gracefully when stdin ends.
 */
import { startService } from '../../../src/server/service.js';
import { createLogger } from '../../../src/log/logger.js';
import { serviceConfig } from './wire.js';

const env = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const config = serviceConfig(env);
const service = await startService(config, { logger: createLogger({ level: config.log.level, pretty: false }) });
process.stdout.write(`${JSON.stringify({ url: service.url, pid: process.pid })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void service.close().then(() => process.exit(0));
});
