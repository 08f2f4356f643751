/**
 * Test database harness: resolves a real MongoDB-wire server for the tests.
 *
 * Order: (a) `MONGODB_TEST_URI`; (b) a `mongod` on PATH, started on a free loopback port in a temp dir;
 * (c) FerretDB 1.24.2 with its SQLite backend, built once into a cache directory outside the repo;
 * (d) otherwise an error that says how to provide one. Never an imitation of MongoDB.
 *
 * `scripts/run-tests.ts` starts one server for the whole run and passes its URI to every test file
 * as `MONGODB_TEST_URI`; a test file run on its own starts (and stops) its own.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, mkdir, rm, access, rename, writeFile, cp, chmod } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { formatElapsed, startProgress } from './progress.js';

const execFileAsync = promisify(execFile);

/** FerretDB version the harness builds. */
export const FERRETDB_VERSION = 'v1.24.2';
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';

/** A running (or externally provided) test server. */
export interface TestMongoServer {
  /** Base URI without a database name. */
  readonly uri: string;
  /** How it was resolved. */
  readonly kind: 'env' | 'mongod' | 'ferretdb';
  /** Human-readable description, printed by the runner. */
  readonly description: string;
  /** Stops a server the harness started (no-op for `env`). */
  stop(): Promise<void>;
  /** Stops the process but keeps its data, for outage tests; `start()` brings it back on the same port. */
  pause(): Promise<void>;
  /** Restarts a paused server on the same port and data directory. */
  resume(): Promise<void>;
}

/** Directory for cached tool builds, outside the repository. */
export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'wechat-mp-server');
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function exists(file: string, mode = fsConstants.F_OK): Promise<boolean> {
  try {
    await access(file, mode);
    return true;
  } catch {
    return false;
  }
}

async function onPath(cmd: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, cmd);
    if (await exists(file, fsConstants.X_OK)) return file;
  }
  return undefined;
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    let exited = false;
    const onExit = (code: number | null) => {
      exited = true;
      reject(new Error(`database process exited early with code ${code}`));
    };
    child.once('exit', onExit);
    const attempt = () => {
      if (exited) return;
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        child.off('exit', onExit);
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) {
          child.off('exit', onExit);
          reject(new Error(`database did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`));
        } else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Build FerretDB once into the cache dir and return the binary's path.
 *
 * `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` is not usable as is: the Go module
 * proxy here refuses the module's version list (which `go install pkg@version` reads for deprecation
 * notices), and the module zip lacks the generated `build/version/version.txt`, so a binary built
 * straight from it panics at start. So: download the exact version, copy it to a temp dir, write
 * version.txt, `go build`. The result is moved into place atomically.
 */
export async function ensureFerretdb(log: (line: string) => void = () => {}): Promise<string> {
  const dir = path.join(cacheDir(), `ferretdb-${FERRETDB_VERSION}`);
  const bin = path.join(dir, 'ferretdb');
  if (await exists(bin, fsConstants.X_OK)) return bin;
  const go = await onPath('go');
  if (!go) throw new Error('FerretDB is not built and no Go toolchain is on PATH');
  await mkdir(dir, { recursive: true });
  const started = Date.now();
  log(`[test-db] building FerretDB ${FERRETDB_VERSION} into ${dir} (first use only; takes a minute or two)...`);
  const stopProgress = startProgress((ms) => log(`[test-db] still building FerretDB (${formatElapsed(ms)} elapsed)`));
  const work = await mkdtemp(path.join(os.tmpdir(), 'ferretdb-src-'));
  try {
    const { stdout } = await execFileAsync(go, ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], {
      cwd: work,
      env: { ...process.env, GOFLAGS: '-mod=mod' },
      maxBuffer: 16 * 1024 * 1024,
    });
    const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
    if (!info.Dir) throw new Error(`go mod download failed: ${info.Error ?? stdout}`);
    const src = path.join(work, 'src');
    await cp(info.Dir, src, { recursive: true });
    await chmod(path.join(src, 'build', 'version'), 0o755);
    await writeFile(path.join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    const tmpBin = path.join(dir, `ferretdb.${process.pid}.tmp`);
    await execFileAsync(go, ['build', '-o', tmpBin, './cmd/ferretdb'], {
      cwd: src,
      env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' },
      maxBuffer: 16 * 1024 * 1024,
    });
    await rename(tmpBin, bin);
    log(`[test-db] built FerretDB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return bin;
  } finally {
    stopProgress();
    await rm(work, { recursive: true, force: true }).catch(() => {});
  }
}

async function startProcess(
  kind: 'mongod' | 'ferretdb',
  bin: string,
  log: (line: string) => void,
): Promise<TestMongoServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `wmp-${kind}-`));
  const port = await freePort();
  const args =
    kind === 'mongod'
      ? ['--dbpath', dataDir, '--port', String(port), '--bind_ip', '127.0.0.1', '--quiet']
      : [
          '--handler=sqlite',
          `--sqlite-url=file:${dataDir}/`,
          `--listen-addr=127.0.0.1:${port}`,
          `--state-dir=${dataDir}`,
          '--debug-addr=-',
          '--telemetry=disable',
          '--log-level=error',
        ];
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FERRETDB_TELEMETRY: 'disable' } });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    try {
      await waitForPort(port, child, 30_000);
    } catch (err) {
      await stopChild(child);
      throw new Error(`${(err as Error).message}\n${stderr}`);
    }
  };
  await launch();
  const description =
    kind === 'mongod' ? `mongod (${bin}) on 127.0.0.1:${port}` : `FerretDB ${FERRETDB_VERSION} (SQLite backend) on 127.0.0.1:${port}`;
  log(`[test-db] using ${description}`);
  return {
    uri: `mongodb://127.0.0.1:${port}`,
    kind,
    description,
    async stop() {
      await stopChild(child);
      await rm(dataDir, { recursive: true, force: true }).catch(() => {});
    },
    async pause() {
      await stopChild(child);
    },
    async resume() {
      await launch();
    },
  };
}

/** Options of {@link startTestMongo}. */
export interface StartTestMongoOptions {
  /** Progress lines (which server was chosen, build time). */
  log?: (line: string) => void;
  /**
   * Start a server of our own even when the test runner shared one through `MONGODB_TEST_URI`
   * (outage tests stop and restart it). A URI the user set is still honoured, but cannot be paused.
   */
  dedicated?: boolean;
}

/** Resolve a test server as described in the module comment. */
export async function startTestMongo(options: StartTestMongoOptions = {}): Promise<TestMongoServer> {
  const log = options.log ?? (() => {});
  const fromEnv = process.env.MONGODB_TEST_URI;
  const sharedByRunner = process.env.WMP_TEST_SERVER_SHARED === '1';
  if (fromEnv && !(options.dedicated && sharedByRunner)) {
    const description = `MONGODB_TEST_URI (${fromEnv.replace(/\/\/[^@/]*@/, '//***@')})`;
    return {
      uri: fromEnv,
      kind: 'env',
      description,
      async stop() {},
      async pause() {
        throw new Error('cannot pause a server given by MONGODB_TEST_URI');
      },
      async resume() {
        throw new Error('cannot resume a server given by MONGODB_TEST_URI');
      },
    };
  }
  const mongod = await onPath('mongod');
  if (mongod) return startProcess('mongod', mongod, log);
  let ferret: string;
  try {
    ferret = await ensureFerretdb(log);
  } catch (err) {
    throw new Error(
      'No MongoDB-wire server for the tests. Provide one of: MONGODB_TEST_URI=mongodb://..., ' +
        'a `mongod` on PATH, or a Go toolchain (to build FerretDB). Cause: ' +
        (err as Error).message,
    );
  }
  return startProcess('ferretdb', ferret, log);
}

/** `uri` with its database name set to `dbName` (query string kept). */
export function withDatabase(uri: string, dbName: string): string {
  const u = new URL(uri);
  u.pathname = `/${dbName}`;
  return u.toString();
}

/** A database name unique to one test file and run: `t_<file>_<pid>`. */
export function databaseNameFor(fileUrl: string): string {
  const base = path.basename(new URL(fileUrl).pathname).replace(/\.test\.[cm]?[jt]s$/, '').replace(/[^a-zA-Z0-9]/g, '_');
  return `t_${base}_${process.pid}`.slice(0, 60);
}
