/**
 * Small helpers shared by the benchmark parts: a plain-text table printer (also valid Markdown),
 * percentiles, and a one-line machine description (docs/benchmarks.md: ratios measured side by side,
 * with the machine and its load stated).
 */
import os from 'node:os';
import { readFileSync } from 'node:fs';

/** Print `rows` under `headers` as a Markdown table preceded by `title`. Returns the printed text. */
export function printTable(title: string, headers: readonly string[], rows: readonly (readonly string[])[], note?: string): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const out = [
    `### ${title}`,
    '',
    line(headers),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
    ...(note ? ['', note] : []),
    '',
  ].join('\n');
  console.log(out);
  return out;
}

/** The p-th percentile (0-100) of `values` by nearest rank; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** `a / b` formatted as `1.00x`, or `-` when undefined. */
export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '-';
  return `${(a / b).toFixed(2)}x`;
}

/** CPU model, core count, load averages and Node version, for the record. */
export function machineDescription(): string {
  let model = os.cpus()[0]?.model ?? 'unknown CPU';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) model = m[1].trim();
  } catch {
    // not Linux: os.cpus() is good enough
  }
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return `${os.availableParallelism()} cores (${model}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, load ${load}, Node ${process.version}, ${os.platform()} ${os.release()}`;
}
