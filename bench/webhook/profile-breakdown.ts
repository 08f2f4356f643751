/**
 * Where a webhook server's CPU goes, from V8 CPU profiles (`node --cpu-prof`) taken under load by
 * `bench/webhook.ts --cpu-prof DIR`. Each sample is charged to a part by its nearest stack frame that
 * has a source URL (a native such as `writev` or a RegExp is charged to the JavaScript that called it),
 * and shares of the busy (non-idle) samples are turned into microseconds per request with the CPU
 * time per request measured in the same run. The profiler itself adds some cost, spread over all parts.
 *
 * Also runnable alone: `node --import tsx bench/webhook/profile-breakdown.ts DIR/ours-plain`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The parts a sample can be charged to, in the order they are printed. */
export const PARTS = ['xml2js + sax (XML parsing)', 'our webhook code', 'node crypto', 'Koa, raw-body and other packages', 'node core (http, sockets, buffers)', 'garbage collection', 'other'] as const;
export type Part = (typeof PARTS)[number];

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

function partOfUrl(url: string): Part | undefined {
  if (url === '') return undefined;
  if (/[\\/]node_modules[\\/](xml2js|sax|xmlbuilder)[\\/]/.test(url)) return 'xml2js + sax (XML parsing)';
  if (/[\\/]src[\\/]webhook[\\/]/.test(url)) return 'our webhook code';
  if (url.startsWith('node:internal/crypto')) return 'node crypto';
  if (/[\\/]node_modules[\\/]/.test(url)) return 'Koa, raw-body and other packages';
  if (url.startsWith('node:')) return 'node core (http, sockets, buffers)';
  return 'other';
}

/** Busy samples per part, and the count of busy samples, over every profile file in `dir`. */
export function breakdown(dir: string): { busy: number; byPart: Map<Part, number> } {
  const byPart = new Map<Part, number>(PARTS.map((p) => [p, 0]));
  let busy = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const charged = new Map<number, Part | 'idle'>();
    const chargeOf = (id: number): Part | 'idle' => {
      const known = charged.get(id);
      if (known !== undefined) return known;
      const name = nodes.get(id)?.callFrame.functionName;
      let part: Part | 'idle' = 'other';
      if (name === '(idle)' || name === '(program)' || name === '(root)') part = 'idle';
      else if (name === '(garbage collector)') part = 'garbage collection';
      else {
        for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
          const p = partOfUrl(nodes.get(at)?.callFrame.url ?? '');
          if (p !== undefined) {
            part = p;
            break;
          }
        }
      }
      charged.set(id, part);
      return part;
    };
    for (const id of profile.samples) {
      const part = chargeOf(id);
      if (part === 'idle') continue;
      busy++;
      byPart.set(part, (byPart.get(part) ?? 0) + 1);
    }
  }
  return { busy, byPart };
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: profile-breakdown.ts DIR [cpuMicrosPerReq]');
    process.exit(2);
  }
  const { busy, byPart } = breakdown(dir);
  const perReq = Number(process.argv[3] ?? NaN);
  console.log(`${busy} busy samples`);
  for (const p of PARTS) {
    const share = (byPart.get(p) ?? 0) / Math.max(1, busy);
    console.log(`${p.padEnd(36)} ${(share * 100).toFixed(1).padStart(5)}%${Number.isFinite(perReq) ? `  ${(share * perReq).toFixed(0)} us/req` : ''}`);
  }
}
