/**
 * One contender of bench/api.ts in its own process: argv contender ('ours' | 'co-wechat-api'),
 * emulator URL, video path. Prints one JSON line: peak RSS growth of a 10 MB video upload, and
 * JSON API calls/s with a cached token.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { SANDBOX_APP } from '../src/emulator/index.js';
import { Wechat } from '../src/wechat/client.js';

const [contender, emulatorUrl, video] = process.argv.slice(2) as [string, string, string];
const CALLS = 3000;
let upload: () => Promise<unknown>;
let call: () => Promise<unknown>;
let close = async (): Promise<void> => {};
if (contender === 'co-wechat-api') {
  const require = createRequire(import.meta.url);
  const API = require('co-wechat-api') as new (a: string, s: string) => { prefix: string; uploadMedia(p: string, t: string): Promise<unknown>; getIp(): Promise<unknown>; ensureAccessToken(): Promise<unknown> };
  const api = new API(SANDBOX_APP.appId, SANDBOX_APP.secret);
  api.prefix = `${emulatorUrl}/cgi-bin/`;
  await api.ensureAccessToken();
  upload = () => api.uploadMedia(video, 'video');
  call = () => api.getIp();
} else {
  const w = new Wechat({ appId: SANDBOX_APP.appId, appSecret: SANDBOX_APP.secret, apiBase: emulatorUrl, requestTimeoutMs: 30_000 });
  await w.fetchAccessToken();
  upload = () => w.media.upload('video', video);
  call = () => w.request('GET', '/cgi-bin/getcallbackip');
  close = () => w.close();
}
for (let i = 0; i < 200; i++) await call();
globalThis.gc?.();
const base = process.memoryUsage().rss;
let peak = base;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 1);
await upload();
peak = Math.max(peak, process.memoryUsage().rss);
clearInterval(timer);
const started = performance.now();
for (let i = 0; i < CALLS; i++) await call();
const callsPerSecond = CALLS / ((performance.now() - started) / 1000);
await close();
console.log(JSON.stringify({ contender, rssGrowthMiB: (peak - base) / 1024 / 1024, callsPerSecond }));
