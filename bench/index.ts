/**
 * `npm run bench`: runs every benchmark part in its own process, one after another (they would
 * otherwise compete for the 2 cores), prints their tables, and records them with the date and the
 * machine in bench/README.md between the `bench:results` markers.
 *
 *   npm run bench                     all parts
 *   npm run bench -- stampede e2e     only the named parts (also jssdk, jssdk-stampede, ...)
 *   BENCH_NO_RECORD=1 npm run bench   do not touch bench/README.md
 *
 * Method: docs/benchmarks.md; summary in bench/README.md.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machineDescription } from './support/table.js';

const PARTS = [
  { name: 'webhook', file: 'webhook.ts', what: 'webhook throughput and server CPU per request: ours vs co-wechat vs bare Koa vs bare node:http' },
  { name: 'token', file: 'token-hot-path.ts', what: 'cached fetchAccessToken() calls/s vs a Mongoose findOne per call' },
  { name: 'jssdk', file: 'jssdk-hot-path.ts', what: 'cached jssdk.config() calls/s vs a Mongoose findOne per call' },
  { name: 'stampede', file: 'stampede.ts', what: 'upstream token requests of K processes x M callers, ours vs co-wechat-api' },
  { name: 'jssdk-stampede', file: 'jssdk-stampede.ts', what: 'upstream getticket and token requests of K processes x M wx.config callers, ours vs co-wechat-api' },
  { name: 'api', file: 'api.ts', what: '10 MB video upload peak RSS growth and JSON API calls/s with a cached token, ours vs co-wechat-api' },
  { name: 'e2e', file: 'end-to-end.ts', what: 'simulated conversation through the service vs co-wechat on Koa, p50/p99' },
] as const;

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const wanted = process.argv.slice(2);
const parts = wanted.length === 0 ? PARTS : PARTS.filter((p) => wanted.includes(p.name));
if (parts.length === 0) {
  console.error(`unknown part; choose from: ${PARTS.map((p) => p.name).join(', ')}`);
  process.exit(2);
}

const startedAt = new Date();
const machine = machineDescription();
console.log(`# npm run bench: ${startedAt.toISOString()}\n\nMachine at start: ${machine}\n`);

/** Run one part; its stdout is echoed and kept, its stderr passes through. */
function runPart(file: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', here(file)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      process.stdout.write(d);
      out += d.toString();
    });
    child.on('exit', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

const sections: string[] = [];
let failed = 0;
for (const part of parts) {
  console.log(`\n## ${part.name}: ${part.what}\n`);
  if (!existsSync(here(part.file))) {
    const msg = `(skipped: bench/${part.file} is not present)`;
    console.log(msg);
    sections.push(`## ${part.name}\n\n${msg}\n`);
    continue;
  }
  const started = Date.now();
  const { code, out } = await runPart(part.file);
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  if (code !== 0) {
    failed++;
    console.log(`(bench/${part.file} failed with exit code ${code})`);
  }
  sections.push(`## ${part.name} (bench/${part.file}, ${secs} s${code !== 0 ? `, FAILED with exit code ${code}` : ''})\n\n${out.trim()}\n`);
}

const loadAtEnd = machineDescription().replace(/.*load ([\d. ]+),.*/, '$1');
console.log(`\nLoad average at the end: ${loadAtEnd}`);

if (process.env.BENCH_NO_RECORD !== '1' && wanted.length === 0) {
  const readme = here('README.md');
  const START = '<!-- bench:results:start -->';
  const END = '<!-- bench:results:end -->';
  const block = [
    START,
    `Recorded by \`npm run bench\` on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    `Machine: ${machine} (load averages 1/5/15 min at the start; at the end: ${loadAtEnd}).`,
    '',
    ...sections,
    END,
  ].join('\n');
  const text = existsSync(readme) ? readFileSync(readme, 'utf8') : '';
  const i = text.indexOf(START);
  const j = text.indexOf(END);
  const next = i >= 0 && j > i ? `${text.slice(0, i)}${block}${text.slice(j + END.length)}` : `${text.trimEnd()}\n\n# Latest results\n\n${block}\n`;
  writeFileSync(readme, next);
  console.log('Recorded in bench/README.md');
}
process.exit(failed === 0 ? 0 : 1);
