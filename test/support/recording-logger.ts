/**
 * A {@link Logger} that records every line, so tests can assert on events and check that no secret
 * was ever logged.
 */
import type { Logger } from '../../src/log/logger.js';

/** One recorded line. */
export interface LogLine {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly obj: Record<string, unknown>;
  readonly msg: string | undefined;
}

/** A recording logger. */
export interface RecordingLogger extends Logger {
  readonly lines: LogLine[];
  /** The lines whose `obj.event` is `event`. */
  byEvent(event: string): LogLine[];
  /** Everything logged, as one string (errors as name and message). */
  text(): string;
}

/** A new, empty {@link RecordingLogger}. */
export function recordingLogger(): RecordingLogger {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: object, msg?: string) => {
    lines.push({ level, obj: obj as Record<string, unknown>, msg });
  };
  const replacer = (_k: string, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message } : typeof v === 'bigint' ? String(v) : v);
  return {
    lines,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    byEvent: (event) => lines.filter((l) => l.obj.event === event),
    text: () => lines.map((l) => `${l.level} ${JSON.stringify(l.obj, replacer)} ${l.msg ?? ''}`).join('\n'),
  };
}
