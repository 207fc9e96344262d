/** Structured JSON logs, one object per line. Credentials never reach the output. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds these fields to every line. */
  child(fields: LogFields): Logger;
}

const RANK: Readonly<Record<LogLevel, number>> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  silent: 99,
};

/** Keys whose values are secrets wherever they appear in a log line. */
const SECRET_KEY = /pass(word)?|secret|token|authorization|credential|cookie|private.?key|^key$/i;
const REDACTED = '[redacted]';

/** Deep copy with secret-looking keys replaced; cycles and depth are bounded. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[depth]';
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out['code'] = code;
    if (value.cause !== undefined) out['cause'] = redact(value.cause, depth + 1);
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) ? REDACTED : redact(v, depth + 1);
    }
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export interface JsonLoggerOptions {
  readonly level: LogLevel;
  /** Where lines go; stdout by default. */
  readonly write?: (line: string) => void;
  readonly now?: () => number;
  readonly fields?: LogFields;
}

export function createJsonLogger(options: JsonLoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const now = options.now ?? Date.now;
  const threshold = RANK[options.level];
  const make = (base: LogFields): Logger => {
    const log = (level: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields): void => {
      if (RANK[level] < threshold) return;
      const entry = {
        time: new Date(now()).toISOString(),
        level,
        msg: message,
        ...(redact({ ...base, ...fields }) as Record<string, unknown>),
      };
      write(JSON.stringify(entry));
    };
    return {
      debug: (m, f) => log('debug', m, f),
      info: (m, f) => log('info', m, f),
      warn: (m, f) => log('warn', m, f),
      error: (m, f) => log('error', m, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(options.fields ?? {});
}

export const silentLogger: Logger = createJsonLogger({ level: 'silent', write: () => {} });
