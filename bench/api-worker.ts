/**
 * One contender of bench/api.ts in its own process: argv contender ('ours' | 'co-wechat-api' |
 * 'undici', the ceiling: a bare undici `request` + `body.json()` with the token in hand, no upload),
 * emulator URL, video path. Prints one JSON line: peak RSS and ArrayBuffer growth of a 10 MB video
 * upload (null for the ceiling), and JSON API calls/s with a cached token.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { SANDBOX_APP } from '../src/emulator/index.js';
import { Wechat } from '../src/wechat/client.js';

const [contender, emulatorUrl, video] = process.argv.slice(2) as [string, string, string];
const CALLS = 3000;
let upload: (() => Promise<unknown>) | undefined;
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
} else if (contender === 'undici') {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const res = await request(`${emulatorUrl}/cgi-bin/token?grant_type=client_credential&appid=${SANDBOX_APP.appId}&secret=${SANDBOX_APP.secret}`, { dispatcher: agent });
  const { access_token } = (await res.body.json()) as { access_token: string };
  const url = `${emulatorUrl}/cgi-bin/getcallbackip?access_token=${access_token}`;
  call = async () => (await request(url, { dispatcher: agent })).body.json();
  close = () => agent.close();
} else {
  const w = new Wechat({ appId: SANDBOX_APP.appId, appSecret: SANDBOX_APP.secret, apiBase: emulatorUrl, requestTimeoutMs: 30_000 });
  await w.fetchAccessToken();
  upload = () => w.media.upload('video', video);
  call = () => w.request('GET', '/cgi-bin/getcallbackip');
  close = () => w.close();
}
for (let i = 0; i < 200; i++) await call();
globalThis.gc?.();
let rssGrowthMiB: number | null = null;
let arrayBuffersGrowthMiB: number | null = null;
if (upload) {
  // RSS also moves with the heap and code of the first upload; ArrayBuffers are the file's bytes.
  const base = process.memoryUsage();
  let peak = base.rss;
  let peakBuffers = base.arrayBuffers;
  const sample = (): void => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
  };
  const timer = setInterval(sample, 1);
  await upload();
  sample();
  clearInterval(timer);
  rssGrowthMiB = (peak - base.rss) / 1024 / 1024;
  arrayBuffersGrowthMiB = (peakBuffers - base.arrayBuffers) / 1024 / 1024;
}
const started = performance.now();
for (let i = 0; i < CALLS; i++) await call();
const callsPerSecond = CALLS / ((performance.now() - started) / 1000);
await close();
console.log(JSON.stringify({ contender, rssGrowthMiB, arrayBuffersGrowthMiB, callsPerSecond }));
