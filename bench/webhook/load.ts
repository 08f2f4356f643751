/**
 * The load generator, run in its own process: `node --import tsx bench/webhook/load.ts <json>` with
 * { url, path, mode, connections, durationSeconds, seed }. Every request carries a fresh MsgId.
 * Prints one JSON line: { requests, durationSeconds, non2xx, errors, timeouts, latencyP50, latencyP99 }.
 */
import autocannon from 'autocannon';
import { RequestFactory, type BenchMode } from './requests.js';

interface LoadArgs {
  url: string;
  path: string;
  mode: BenchMode;
  connections: number;
  durationSeconds: number;
  seed: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as LoadArgs;
const factory = new RequestFactory(args.path, args.mode, args.seed);
const first = factory.next();

const result = await autocannon({
  url: args.url,
  connections: args.connections,
  duration: args.durationSeconds,
  timeout: 10,
  requests: [
    {
      method: 'POST',
      path: first.path,
      headers: { 'content-type': 'text/xml' },
      body: first.body,
      setupRequest: (req) => {
        const next = factory.next();
        return { ...req, path: next.path, body: next.body };
      },
    },
  ],
});
process.stdout.write(
  `${JSON.stringify({
    requests: result.requests.total,
    durationSeconds: result.duration,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
  })}\n`,
);
