/**
 * What an installed package offers on the command line, checked on the package itself: the `bin`
 * entries and their shebangs, `exec` in every long-running npm script (so a signal to npm reaches
 * node and nothing is orphaned), and a taken port named by the setting that picks another.
 * The packed-tarball install (bins run from dist/, a strict consumer compiled against the types)
 * is `npm run check:package` (scripts/check-package.ts), run by CI after the build.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { until } from '../support/until.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
interface PackageJson {
  license: string;
  bin: Record<string, string>;
  files: string[];
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as PackageJson;
const TSX = import.meta.resolve('tsx');

/** Scripts that run until stopped or for a long time; each must `exec` node. */
const LONG_RUNNING = ['start', 'dev', 'emulator', 'simulate', 'test', 'test:one', 'test:reliability', 'bench', 'bench:webhook', 'check:package'];

describe('package.json', () => {
  test('bin: the service, the emulator and the simulator, each a node script built from src/', () => {
    assert.deepEqual(Object.keys(pkg.bin).sort(), ['wechat-emulator', 'wechat-mp-server', 'wechat-simulate']);
    for (const [name, target] of Object.entries(pkg.bin)) {
      const m = /^dist\/(src\/.+)\.js$/.exec(target);
      assert.ok(m, `${name} runs from dist/src: ${target}`);
      const source = `${root}${m[1]}.ts`;
      assert.ok(existsSync(source), `${name}: ${source} exists`);
      assert.ok(readFileSync(source, 'utf8').startsWith('#!/usr/bin/env node\n'), `${name}: ${source} starts with a node shebang`);
      assert.ok(pkg.files.some((f) => target.startsWith(`${f}/`)), `${name}: ${target} is packed`);
    }
  });

  test('npm install builds (prepare), npm start runs the build, and every long-running script execs node', () => {
    assert.equal(pkg.scripts.prepare, 'npm run build');
    assert.equal(pkg.scripts.start, 'exec node dist/src/main.js');
    for (const name of LONG_RUNNING) assert.match(pkg.scripts[name] ?? '', /^exec node /, `npm run ${name}`);
  });

  test('MIT in package.json and in LICENSE; LICENSE and docs/ are packed', () => {
    assert.equal(pkg.license, 'MIT');
    assert.match(readFileSync(`${root}LICENSE`, 'utf8'), /^MIT License\n/);
    for (const f of ['LICENSE', 'README.md', 'docs', 'dist/src']) assert.ok(pkg.files.includes(f), `files includes ${f}`);
  });

  test('the types the published .d.ts files import are dependencies, not devDependencies', () => {
    for (const t of ['@types/koa', '@types/koa-router']) {
      assert.ok(pkg.dependencies[t], `${t} is a dependency`);
      assert.equal(pkg.devDependencies[t], undefined, `${t} is not also a devDependency`);
    }
  });
});

/**
 * Spawn in a process group of its own, collecting output; `killGroup()` ends whatever is left of the
 * group (an orphaned grandchild included), so a failing check fails instead of hanging the run.
 */
function start(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { child: ChildProcess; out: () => string; exit: Promise<number | null>; killGroup: () => void } {
  const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  };
  return { child, out: () => out, exit, killGroup };
}

describe('on the command line', () => {
  let holder: http.Server;
  let taken: number;
  before(async () => {
    holder = http.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    taken = (holder.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  test('SIGTERM to `npm run emulator` stops the emulator too: its port is free again', async () => {
    const run = start('npm', ['run', '--silent', 'emulator', '--', '--port', '0', '--host', '127.0.0.1', '--no-sandbox']);
    try {
      await until(() => /listening on (http:\S+)/.test(run.out()), { timeoutMs: 30_000, what: 'the emulator says where it listens' });
      const url = /listening on (http:\S+)/.exec(run.out())![1]!;
      assert.equal((await fetch(`${url}/__emulator/stats`)).status, 200);
      run.child.kill('SIGTERM');
      await run.exit;
      await until(() => fetch(`${url}/__emulator/stats`).then(() => false, () => true), { timeoutMs: 10_000, what: `${url} refuses connections after npm exited` });
    } finally {
      run.killGroup();
    }
  });

  test('the emulator on a taken port names the port and --port, exits 1, no stack', async () => {
    const run = start(process.execPath, ['--import', TSX, 'src/emulator/cli.ts', '--port', String(taken), '--host', '127.0.0.1']);
    assert.equal(await run.exit, 1);
    assert.equal(run.out(), `emulator: port ${taken} is already in use (127.0.0.1:${taken}): stop the process that holds it, or pass --port with a free port\n`);
  });

  test('the service on a taken port names the port and PORT, exits 1, no stack', async () => {
    const env = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(WECHAT_|PORT$|HOST$|MONGODB_URI$|TOKEN_STORE$)/.test(k))),
      PORT: String(taken),
      HOST: '127.0.0.1',
      WECHAT_APP_ID: 'wx1234567890abcdef',
      WECHAT_APP_SECRET: 'abcdef0123456789abcdef0123456789',
      WECHAT_TOKEN: 'sometoken123',
      TOKEN_STORE: 'memory',
      LOG_LEVEL: 'silent',
    };
    const run = start(process.execPath, ['--import', TSX, 'src/main.ts'], env);
    assert.equal(await run.exit, 1, run.out());
    assert.match(run.out(), new RegExp(`^port ${taken} is already in use \\(127\\.0\\.0\\.1:${taken}\\): stop the process that holds it, or set PORT to a free port\\nWhat to do: `));
    assert.doesNotMatch(run.out(), /\n\s+at /);
  });
});
