/**
 * The service's configuration for tests: the sandbox account against an emulator started for the
 * test file, tokens in memory, plus what a test adds; and a debug logger that keeps its output.
 */
import { after, before } from 'node:test';
import { Writable } from 'node:stream';
import { loadConfig, type AppConfig } from '../../../config/index.js';
import { startEmulator, SANDBOX_APP, type Emulator, type StartEmulatorOptions } from '../../../src/emulator/index.js';
import { createLogger, type Logger } from '../../../src/log/logger.js';

/** Environment variables of a test service; `undefined` leaves a variable unset. */
export type TestEnv = Record<string, string | undefined>;

/** Hooks for a test file: one emulator, started before its tests and closed after them. */
export function useEmulator(options: StartEmulatorOptions = {}): { readonly emulator: Emulator } {
  let emulator: Emulator | undefined;
  before(async () => {
    emulator = await startEmulator(options);
  });
  after(async () => {
    await emulator?.close();
  });
  return {
    get emulator(): Emulator {
      if (!emulator) throw new Error('the emulator starts in a before-hook');
      return emulator;
    },
  };
}

/** The sandbox account's variables against `emulatorUrl`, tokens in memory, then `extra`. */
export function sandboxEnv(emulatorUrl: string, extra: TestEnv = {}): TestEnv {
  return {
    WECHAT_APP_ID: SANDBOX_APP.appId,
    WECHAT_APP_SECRET: SANDBOX_APP.secret,
    WECHAT_TOKEN: SANDBOX_APP.token,
    WECHAT_API_BASE: emulatorUrl,
    TOKEN_STORE: 'memory',
    ...extra,
  };
}

/** {@link sandboxEnv} loaded as the service's configuration (no `.env` file read). */
export function sandboxConfig(emulatorUrl: string, extra: TestEnv = {}): AppConfig {
  return loadConfig({ dotenvPath: false, env: sandboxEnv(emulatorUrl, extra) });
}

/** A debug-level pino logger (the service's own, with its redaction) whose output a test can read. */
export function captureLogs(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), text: () => lines.join('') };
}
