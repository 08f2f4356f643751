/**
 * What each reliability file tried and what held, handed to the runner (test/reliability/run.ts),
 * which assembles docs/reliability.md. A file run on its own prints its section instead.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Default seed of every randomised part; `RELIABILITY_SEED` overrides it for a replay. */
export const DEFAULT_RELIABILITY_SEED = 20_240_611;

/** The seed of this run. */
export function reliabilitySeed(): number {
  const raw = process.env.RELIABILITY_SEED;
  if (raw === undefined || raw.trim() === '') return DEFAULT_RELIABILITY_SEED;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`RELIABILITY_SEED must be an integer, got "${raw}"`);
  return n;
}

/**
 * Record the Markdown section `name` (sections are sorted by name in the document, so prefix it
 * with a number). Call it from an `after` hook so a failed assertion still leaves its figures.
 */
export function recordSection(name: string, markdown: string): void {
  const dir = process.env.RELIABILITY_RESULTS_DIR;
  if (!dir) {
    console.log(`\n${markdown}\n`);
    return;
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.md`), `${markdown.trim()}\n`);
}

/** A Markdown table. */
export function mdTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const esc = (v: string | number) => String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [`| ${headers.map(esc).join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

/** Resident set size of this process (or of `pid`, from /proc) in MiB. */
export function rssMiB(pid?: number): number {
  if (pid === undefined) return process.memoryUsage().rss / 2 ** 20;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}
