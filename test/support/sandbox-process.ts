/**
 * `npm run dev` as a child process (node with tsx, src/sandbox/dev.ts), for tests that check what a
 * person sees: the printed lines, the exit code and stderr. Every child is stopped by its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A started sandbox process. */
export interface SandboxProcess {
  readonly child: ChildProcess;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `re` in stdout; rejects when the process exits first. */
  printed(re: RegExp): Promise<RegExpMatchArray>;
  /** The exit code (signal name when killed). */
  readonly exited: Promise<number | string>;
  /** SIGTERM by pid, then the exit code. */
  stop(): Promise<number | string>;
}

/** Run `src/sandbox/dev.ts` with `args`. */
export function runSandbox(args: string[], env: Record<string, string> = {}): SandboxProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('src', 'sandbox', 'dev.ts'), ...args], {
    cwd: REPO,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    printed(re) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(re);
          if (m) {
            waiters.delete(check);
            resolve(m);
          }
        };
        waiters.add(check);
        check();
        void exited.then((code) => {
          waiters.delete(check);
          reject(new Error(`the sandbox exited (${code}) before printing ${re}; stderr: ${err.slice(0, 2000)}`));
        });
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      return exited;
    },
  };
}
