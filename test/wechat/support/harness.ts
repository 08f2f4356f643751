/**
 * Helpers shared by the token and wechat tests: the real emulator over real HTTP, a Wechat wired to it
 * (its clock, short retry backoff), upstream call counts, and an error's full text for secret checks.
 * The recording logger is test/support/recording-logger.ts.
 */
import { startEmulator, SANDBOX_APP, type Emulator } from '../../../src/emulator/index.js';
import type { StartEmulatorOptions } from '../../../src/emulator/index.js';
import { Wechat } from '../../../src/wechat/client.js';
import type { WechatOptions } from '../../../src/wechat/options.js';

export { SANDBOX_APP };
export const APPID = SANDBOX_APP.appId;
export const SECRET = SANDBOX_APP.secret;

/** Short backoff so retry tests take milliseconds; still exponential with jitter. */
export const FAST_RETRY = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 } as const;

export function startEmu(options: StartEmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ port: 0, host: '127.0.0.1', ...options });
}

/** A Wechat on the emulator's sandbox app and clock. */
export function wechatOn(emu: Emulator, extra: Partial<WechatOptions> = {}): Wechat {
  return new Wechat({
    appId: APPID,
    appSecret: SECRET,
    apiBase: emu.url,
    now: () => emu.now(),
    retry: FAST_RETRY,
    requestTimeoutMs: 1000,
    leasePollMs: 10,
    ...extra,
  });
}

/** Upstream token calls of `appid` so far (both endpoints). */
export function tokenCalls(emu: Emulator, appid: string = APPID): number {
  const s = emu.stats()[appid];
  return s ? s.token + s.stable_token : 0;
}

/** A string view of an error including its enumerable fields and cause chain, for secret checks. */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const o = e as Error & Record<string, unknown>;
    parts.push(String(o.message), String(o.stack), JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    e = o.cause;
  }
  return parts.join('\n');
}

/** Tracks the Wechat instances a test file opens so one after-hook closes them all. */
export function wechatTracker(): { track(w: Wechat): Wechat; closeAll(): Promise<void> } {
  const opened: Wechat[] = [];
  return {
    track(w) {
      opened.push(w);
      return w;
    },
    async closeAll() {
      await Promise.all(opened.map((w) => w.close()));
    },
  };
}
