/**
 * `npm run check:package`: the package as a user gets it. Packs the built tree (`npm pack`; run
 * `npm run build` first, CI does), installs the tarball into a fresh temporary project (npm's cache
 * first, the registry for what it lacks), then, from that project only:
 *   - the tarball holds the files README links to (docs/, LICENSE) and no sources or tests;
 *   - `npx wechat-simulate --help`, `npx wechat-emulator` and `npx wechat-mp-server` run from dist/
 *     (the service answers /healthz against the emulator; started with no configuration it says why);
 *   - a strict TypeScript consumer of the three entries compiles against the published .d.ts files,
 *     with and without skipLibCheck (no TS7016 for a type the package imports).
 * Exits 1 naming the first check that failed. Uses only 127.0.0.1.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SANDBOX_APP } from '../src/emulator/constants.js';
import { freePort } from '../test/support/mongo-server.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../', import.meta.url));
const started = Date.now();
const keep = process.argv.includes('--keep');

function step(line: string): void {
  console.log(`[check:package] ${line}`);
}
class CheckFailed extends Error {}
function fail(line: string): never {
  throw new CheckFailed(line);
}

if (!existsSync(path.join(root, 'dist/src/main.js'))) {
  console.error('[check:package] FAILED: dist/ is not built: run `npm run build` first');
  process.exit(1);
}
const work = mkdtempSync(path.join(tmpdir(), 'wmp-package-'));
const consumer = path.join(work, 'consumer');

async function main(): Promise<void> {
  // 1. Pack (dist/ is already built; prepare would build it again).
  const { stdout: packJson } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, maxBuffer: 16 << 20 });
  const [packed] = JSON.parse(packJson) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
  if (!packed) fail('npm pack printed no result');
  const files = packed.files.map((f) => f.path);
  step(`packed ${packed.filename}: ${files.length} files, ${(packed.size / 1024).toFixed(0)} kB (${(packed.unpackedSize / 1024).toFixed(0)} kB unpacked)`);
  for (const need of ['LICENSE', 'README.md', 'package.json', 'docs/errors.md', '.env.example', 'dist/src/main.js', 'dist/src/index.d.ts', 'dist/config/index.js']) {
    if (!files.includes(need)) fail(`${need} is not in the tarball`);
  }
  const stray = files.filter((f) => /^(src|test|bench|scripts)\//.test(f) || /\.test\.|(^|\/)\.env$/.test(f));
  if (stray.length) fail(`the tarball holds files a user does not need: ${stray.slice(0, 5).join(', ')}`);
  // Every relative link in README that points into the repository is in the tarball.
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const links = [...readme.matchAll(/\]\((?!https?:|#|mailto:)([^)#\s]+)/g)].map((m) => m[1]!.replace(/^\.\//, ''));
  const missing = links.filter((l) => !files.includes(l) && !files.some((f) => f.startsWith(`${l.replace(/\/$/, '')}/`)));
  if (missing.length) fail(`README links to files the tarball lacks: ${missing.join(', ')}`);
  step(`tarball holds LICENSE, docs/ and every file README links to (${links.length} links)`);

  // 2. Install it into a fresh project, as a user would.
  mkdirSync(consumer);
  writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  const t0 = Date.now();
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', path.join(work, packed.filename)], {
    cwd: consumer,
    maxBuffer: 16 << 20,
  });
  step(`installed the tarball into ${path.basename(work)}/consumer in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // 3. The commands, from the installed package's dist/.
  const bin = (name: string) => path.join(consumer, 'node_modules', '.bin', name);
  for (const name of ['wechat-mp-server', 'wechat-emulator', 'wechat-simulate']) if (!existsSync(bin(name))) fail(`npx ${name}: no such command`);
  const help = await run(bin('wechat-simulate'), ['--help'], { cwd: consumer });
  if (!help.stdout.startsWith('usage: wechat-simulate')) fail(`wechat-simulate --help printed: ${help.stdout.slice(0, 200)}`);
  step('npx wechat-simulate --help prints the usage');

  const bare = await run(bin('wechat-mp-server'), [], { cwd: consumer, env: cleanEnv() }).then(
    () => fail('wechat-mp-server started without any configuration'),
    (err: { code?: number; stderr?: string }) => err,
  );
  if (bare.code !== 1 || !/WECHAT_APP_ID/.test(bare.stderr ?? '')) fail(`wechat-mp-server without configuration: exit ${bare.code}, ${bare.stderr}`);
  step(`npx wechat-mp-server with no configuration exits 1: ${firstLine(bare.stderr ?? '')}`);

  const emulatorPort = await freePort();
  const emulator = spawn(bin('wechat-emulator'), ['--port', String(emulatorPort), '--host', '127.0.0.1'], { cwd: consumer, stdio: ['ignore', 'pipe', 'inherit'] });
  const servicePort = await freePort();
  let service: ReturnType<typeof spawn> | undefined;
  try {
    const emulatorUrl = await lineMatching(emulator, /listening on (http:\S+)/);
    step(`npx wechat-emulator listens on ${emulatorUrl}`);
    service = spawn(bin('wechat-mp-server'), [], {
      cwd: consumer,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...cleanEnv(),
        PORT: String(servicePort),
        HOST: '127.0.0.1',
        WECHAT_APP_ID: SANDBOX_APP.appId,
        WECHAT_APP_SECRET: SANDBOX_APP.secret,
        WECHAT_TOKEN: SANDBOX_APP.token,
        WECHAT_API_BASE: emulatorUrl,
        TOKEN_STORE: 'memory',
        LOG_LEVEL: 'warn',
      },
    });
    let serviceErr = '';
    service.stderr!.setEncoding('utf8').on('data', (d: string) => (serviceErr += d));
    const healthUrl = `http://127.0.0.1:${servicePort}/healthz`;
    const health = await poll(() => fetch(healthUrl).then((r) => r.status), service, () => serviceErr);
    if (health !== 200) fail(`GET /healthz answered ${health}`);
    step(`npx wechat-mp-server serves ${healthUrl} (200)`);
  } finally {
    service?.kill('SIGTERM');
    emulator.kill('SIGTERM');
  }

  // 4. A strict consumer compiles against the published types.
  writeFileSync(path.join(consumer, 'consumer.ts'), CONSUMER_TS);
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const skipLibCheck of [false, true]) {
    const tsconfig = {
      compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2023'], skipLibCheck, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true },
      files: ['consumer.ts'],
    };
    writeFileSync(path.join(consumer, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const out = await run(process.execPath, [tsc, '-p', consumer], { cwd: consumer, maxBuffer: 16 << 20 }).then(
      () => '',
      (err: { stdout?: string }) => err.stdout ?? 'tsc failed',
    );
    if (out) fail(`a strict consumer does not compile (skipLibCheck ${skipLibCheck}):\n${out.slice(0, 4000)}`);
    step(`a strict TypeScript consumer of the three entries compiles (skipLibCheck: ${skipLibCheck})`);
  }
  step(`all checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** A strict consumer: the three entries, with the Koa types coming from the package's dependencies. */
const CONSUMER_TS = `import Koa from 'koa';
import { Wechat, webhook, reply, WechatMpError, type AccessToken, type HandlerMap, type TextMessage } from 'wechat-mp-server';
import { createApp, loadConfig, type AppConfig } from 'wechat-mp-server/server';
import { startEmulator, SANDBOX_APP, type Emulator } from 'wechat-mp-server/testing';

const handlers: HandlerMap = {
  text: (msg: TextMessage) => reply.text(\`you said: \${msg.Content}\`),
};
const app = new Koa();
app.use(webhook({ token: SANDBOX_APP.token, appId: SANDBOX_APP.appId }, handlers));

export async function run(): Promise<string> {
  const emulator: Emulator = await startEmulator();
  const wechat = new Wechat({ appID: SANDBOX_APP.appId, appSecret: SANDBOX_APP.secret, apiBase: emulator.url });
  const token: AccessToken = await wechat.fetchAccessToken();
  const config: AppConfig = loadConfig({ dotenvPath: false, env: {} });
  const service = createApp(config);
  await service.close();
  await wechat.close();
  await emulator.close();
  return token.access_token;
}
export function codeOf(err: unknown): string | undefined {
  return err instanceof WechatMpError ? err.code : undefined;
}
`;

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(WECHAT_|PORT$|HOST$|MONGODB_URI$|TOKEN_|WEBHOOK_|DEDUPE_|LOG_)/.test(k)));
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim()) ?? '';
}

function lineMatching(child: ReturnType<typeof spawn>, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = re.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before printing ${re}: ${out}`)));
  });
}

/** Poll until `probe` resolves (connection refused meanwhile), at most 30 s; fail if the process exits. */
async function poll<T>(probe: () => Promise<T>, child: ReturnType<typeof spawn>, stderr: () => string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) fail(`the service exited ${child.exitCode}: ${stderr()}`);
    try {
      return await probe();
    } catch {
      if (Date.now() > deadline) fail(`the service did not answer within 30 s: ${stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

try {
  await main();
} catch (err) {
  console.error(`[check:package] FAILED: ${err instanceof CheckFailed ? err.message : ((err as Error).stack ?? String(err))}`);
  process.exitCode = 1;
} finally {
  if (keep) step(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
