/**
 * Gateway configuration from defaults, a JSON file, environment variables and command-line
 * flags (later sources win). Every setting is checked; an error names the setting and where the
 * bad value came from. Setting `sip.outboundProxy` is `CALLBRIDGE_SIP_OUTBOUND_PROXY` in the
 * environment and `--sip-outbound-proxy` on the command line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { compilePattern } from './dial-plan.js';
import { GatewayError } from './errors.js';
import { LOG_LEVELS } from './log.js';
import type { LogLevel } from './log.js';

export const SIP_TRANSPORTS = ['UDP', 'TCP', 'TLS', 'WS'] as const;
export type SipTransport = (typeof SIP_TRANSPORTS)[number];
export const DTMF_MODES = ['rfc4733', 'info', 'inband', 'auto'] as const;
export type DtmfMode = (typeof DTMF_MODES)[number];
export const KNOWN_CODECS = [
  'opus',
  'PCMU',
  'PCMA',
  'G722',
  'G729',
  'speex',
  'telephone-event',
  'VP8',
  'H264',
] as const;
export type CodecName = (typeof KNOWN_CODECS)[number];

export interface PortRange {
  readonly min: number;
  readonly max: number;
}

export interface GatewayConfig {
  readonly listen: { readonly host: string; readonly port: number };
  /** HTTPS/WSS when both are set. */
  readonly tls: { readonly cert: string | null; readonly key: string | null };
  readonly api: { readonly tokens: readonly string[] };
  readonly websocket: { readonly originAllowlist: readonly string[] };
  readonly sip: {
    readonly domain: string | null;
    readonly outboundProxy: string | null;
    readonly transport: SipTransport;
    readonly listenHost: string;
    readonly listenPort: number;
    readonly publicAddress: string | null;
    readonly tlsCert: string | null;
    readonly tlsKey: string | null;
    readonly tlsCa: string | null;
    /** RFC 4028 Session-Expires asked for on calls, seconds. */
    readonly sessionExpires: number;
    /** RFC 4028 Min-SE: the shortest session interval accepted, seconds (90 at least). */
    readonly minSE: number;
  };
  readonly media: {
    readonly publicAddress: string | null;
    readonly rtpPorts: PortRange;
    readonly browserCodecs: readonly CodecName[];
    readonly sipCodecs: readonly CodecName[];
    readonly dtmfMode: DtmfMode;
    readonly transcoding: boolean;
    /** Play a tone to the party put on hold instead of silence. */
    readonly holdTone: boolean;
    readonly filesDir: string | null;
  };
  readonly limits: {
    readonly wsConnectsPerMinute: number;
    readonly loginsPerMinute: number;
    readonly callAttemptsPerMinute: number;
  };
  readonly dialPlan: {
    readonly defaultPatterns: readonly string[];
    readonly accounts: Readonly<Record<string, readonly string[]>>;
  };
  readonly sessions: {
    readonly resumeGraceMs: number;
    readonly incomingAnswerTimeoutMs: number;
    readonly browserOfferTimeoutMs: number;
    readonly retainEndedCallsMs: number;
  };
  readonly hooks: {
    readonly url: string | null;
    readonly token: string | null;
    readonly maxAttempts: number;
    readonly initialDelayMs: number;
    readonly timeoutMs: number;
    /** Asked before each outbound call; 2xx allows it. */
    readonly authorizeUrl: string | null;
  };
  readonly log: { readonly level: LogLevel };
  /** Run the embedded demo SIP server and demo numbers (default: when no sip.domain is set). */
  readonly demo: { readonly enabled: boolean | null };
}

type Source = 'default' | 'file' | 'env' | 'flag';
type Parser = (raw: unknown, fromText: boolean) => unknown;

interface Setting {
  readonly path: string;
  readonly description: string;
  readonly parse: Parser;
  readonly secret?: boolean;
}

class SettingError extends Error {}

const HOSTNAME =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function isHost(value: string): boolean {
  return isIP(value.replace(/^\[(.*)\]$/, '$1')) !== 0 || HOSTNAME.test(value);
}

const text: Parser = (raw) => {
  if (typeof raw !== 'string') throw new SettingError('must be a string');
  return raw;
};
const optional =
  (inner: Parser): Parser =>
  (raw, fromText) =>
    raw === null || raw === '' ? null : inner(raw, fromText);
const host: Parser = (raw) => {
  const v = text(raw, true) as string;
  if (!isHost(v)) throw new SettingError(`must be a host name or IP address (got "${v}")`);
  return v;
};
const hostPort: Parser = (raw) => {
  const v = text(raw, true) as string;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(v);
  if (
    !m ||
    !isHost(m[1] ?? '') ||
    (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535))
  ) {
    throw new SettingError(`must be host or host:port (got "${v}")`);
  }
  return v;
};
const integer =
  (min: number, max: number): Parser =>
  (raw, fromText) => {
    const n = fromText && typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      throw new SettingError(
        `must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`,
      );
    }
    return n;
  };
const boolean: Parser = (raw, fromText) => {
  if (typeof raw === 'boolean') return raw;
  if (fromText && typeof raw === 'string' && /^(true|false|1|0|yes|no)$/i.test(raw))
    return /^(true|1|yes)$/i.test(raw);
  throw new SettingError(`must be true or false (got ${JSON.stringify(raw)})`);
};
const oneOf =
  <T extends string>(values: readonly T[], caseInsensitive = false): Parser =>
  (raw) => {
    const v = text(raw, true) as string;
    const found = values.find((x) =>
      caseInsensitive ? x.toLowerCase() === v.toLowerCase() : x === v,
    );
    if (!found) throw new SettingError(`must be one of ${values.join(', ')} (got "${v}")`);
    return found;
  };
const list =
  (item: Parser): Parser =>
  (raw, fromText) => {
    const items =
      fromText && typeof raw === 'string'
        ? raw
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : raw;
    if (!Array.isArray(items)) throw new SettingError('must be a list');
    return items.map((v, i) => {
      try {
        return item(v, fromText);
      } catch (error) {
        throw new SettingError(`item ${i + 1}: ${(error as Error).message}`);
      }
    });
  };
const file: Parser = (raw) => {
  const v = text(raw, true) as string;
  if (!existsSync(v)) throw new SettingError(`file ${v} does not exist`);
  return v;
};
const portRange: Parser = (raw) => {
  let min: unknown;
  let max: unknown;
  if (typeof raw === 'string') {
    const m = /^(\d{1,5})-(\d{1,5})$/.exec(raw.trim());
    if (!m) throw new SettingError(`must be "min-max" (got "${raw}")`);
    [min, max] = [Number(m[1]), Number(m[2])];
  } else if (raw !== null && typeof raw === 'object') {
    ({ min, max } = raw as { min?: unknown; max?: unknown });
  }
  const port = integer(1024, 65535);
  const range = { min: port(min, false) as number, max: port(max, false) as number };
  if (range.min > range.max) throw new SettingError(`min ${range.min} is above max ${range.max}`);
  // RTP uses even ports with RTCP on the next odd one (RFC 3550 §11), unless muxed.
  if (range.max - range.min < 3) throw new SettingError('must span at least 4 ports');
  return range;
};
const codec: Parser = oneOf(KNOWN_CODECS, true);
const origin: Parser = (raw) => {
  const v = text(raw, true) as string;
  if (v === '*') return v;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new SettingError(`must be an origin like https://phone.example.com (got "${v}")`);
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.origin !== v.replace(/\/$/, '')
  ) {
    throw new SettingError(`must be an origin like https://phone.example.com (got "${v}")`);
  }
  return url.origin;
};
const token: Parser = (raw) => {
  const v = text(raw, true) as string;
  if (v.length < 16 || !/^[\x21-\x7e]+$/.test(v))
    throw new SettingError('each token must be at least 16 visible ASCII characters');
  return v;
};
const httpUrl: Parser = (raw) => {
  const v = text(raw, true) as string;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new SettingError(`must be an http(s) URL (got "${v}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new SettingError(`must be an http(s) URL (got "${v}")`);
  return url.toString();
};
const pattern =
  (setting: string): Parser =>
  (raw) => {
    const v = text(raw, true) as string;
    try {
      compilePattern(v, setting);
    } catch (error) {
      throw new SettingError((error as Error).message);
    }
    return v;
  };
const accountPatterns: Parser = (raw, fromText) => {
  let value = raw;
  if (fromText && typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new SettingError('must be a JSON object of login → list of patterns');
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SettingError('must be an object of login → list of patterns');
  }
  return Object.fromEntries(
    Object.entries(value).map(([login, patterns]) => [
      login,
      list(pattern(`dialPlan.accounts.${login}`))(patterns, false),
    ]),
  );
};

export const SETTINGS: readonly Setting[] = [
  { path: 'listen.host', description: 'HTTP/WebSocket listen address', parse: host },
  {
    path: 'listen.port',
    description: 'HTTP/WebSocket port (0: any free port)',
    parse: integer(0, 65535),
  },
  { path: 'tls.cert', description: 'PEM certificate for HTTPS/WSS', parse: optional(file) },
  { path: 'tls.key', description: 'PEM private key for HTTPS/WSS', parse: optional(file) },
  {
    path: 'api.tokens',
    description: 'Bearer tokens accepted by the REST API (comma-separated)',
    parse: list(token),
    secret: true,
  },
  {
    path: 'websocket.originAllowlist',
    description: 'Origins allowed to open WebSockets; empty: same origin only; *: any',
    parse: list(origin),
  },
  {
    path: 'sip.domain',
    description: 'SIP domain of accounts that give none',
    parse: optional(host),
  },
  {
    path: 'sip.outboundProxy',
    description: 'Outbound proxy host[:port]',
    parse: optional(hostPort),
  },
  {
    path: 'sip.transport',
    description: `SIP transport: ${SIP_TRANSPORTS.join(', ')}`,
    parse: oneOf(SIP_TRANSPORTS, true),
  },
  { path: 'sip.listenHost', description: 'Local address for SIP', parse: host },
  {
    path: 'sip.listenPort',
    description: 'Local SIP port (0: any free port)',
    parse: integer(0, 65535),
  },
  {
    path: 'sip.publicAddress',
    description: 'Address to put in Via/Contact when behind NAT',
    parse: optional(host),
  },
  { path: 'sip.tlsCert', description: 'PEM certificate for SIP over TLS', parse: optional(file) },
  { path: 'sip.tlsKey', description: 'PEM private key for SIP over TLS', parse: optional(file) },
  {
    path: 'sip.tlsCa',
    description:
      'PEM CA bundle to verify the SIP server (TLS; with WS it makes the WebSocket secure, wss)',
    parse: optional(file),
  },
  {
    path: 'sip.sessionExpires',
    description: 'Session interval asked for on calls, seconds (RFC 4028 Session-Expires)',
    parse: integer(90, 86400),
  },
  {
    path: 'sip.minSE',
    description: 'Shortest session interval accepted, seconds (RFC 4028 Min-SE)',
    parse: integer(90, 86400),
  },
  {
    path: 'media.publicAddress',
    description: 'Address announced in SDP for media',
    parse: optional(host),
  },
  { path: 'media.rtpPorts', description: 'UDP port range for media, "min-max"', parse: portRange },
  {
    path: 'media.browserCodecs',
    description: `Codecs offered to browsers (of ${KNOWN_CODECS.join(', ')})`,
    parse: list(codec),
  },
  {
    path: 'media.sipCodecs',
    description: 'Codecs offered to the SIP side (the video ones only in calls with video)',
    parse: list(codec),
  },
  {
    path: 'media.dtmfMode',
    description: `DTMF towards SIP: ${DTMF_MODES.join(', ')}`,
    parse: oneOf(DTMF_MODES, true),
  },
  {
    path: 'media.transcoding',
    description: 'Transcode when the legs share no codec',
    parse: boolean,
  },
  {
    path: 'media.holdTone',
    description:
      'Play a soft tone (425 Hz, 200 ms every 4 s) to the party put on hold instead of silence',
    parse: boolean,
  },
  {
    path: 'media.filesDir',
    description: 'Directory of audio files for server-side media sources',
    parse: optional(file),
  },
  {
    path: 'limits.wsConnectsPerMinute',
    description: 'WebSocket connections per source address per minute',
    parse: integer(1, 1_000_000),
  },
  {
    path: 'limits.loginsPerMinute',
    description: 'Session logins per source address per minute',
    parse: integer(1, 1_000_000),
  },
  {
    path: 'limits.callAttemptsPerMinute',
    description: 'Call attempts per source address per minute',
    parse: integer(1, 1_000_000),
  },
  {
    path: 'dialPlan.defaultPatterns',
    description: 'Callee patterns (regular expressions) allowed for accounts without their own',
    parse: list(pattern('dialPlan.defaultPatterns')),
  },
  {
    path: 'dialPlan.accounts',
    description: 'Per-account callee patterns, JSON {"login": ["pattern", …]}',
    parse: accountPatterns,
  },
  {
    path: 'sessions.resumeGraceMs',
    description: 'How long calls survive a dropped WebSocket',
    parse: integer(0, 3_600_000),
  },
  {
    path: 'sessions.incomingAnswerTimeoutMs',
    description: 'Ringing time before an incoming call gets 480',
    parse: integer(1000, 600_000),
  },
  {
    path: 'sessions.browserOfferTimeoutMs',
    description: 'Wait for a browser offer on REST-originated calls',
    parse: integer(1000, 600_000),
  },
  {
    path: 'sessions.retainEndedCallsMs',
    description: 'How long ended calls stay findable',
    parse: integer(0, 86_400_000),
  },
  {
    path: 'hooks.url',
    description: 'URL receiving call and registration events (POST JSON)',
    parse: optional(httpUrl),
  },
  {
    path: 'hooks.token',
    description: 'Bearer token sent to the hook URL',
    parse: optional(text),
    secret: true,
  },
  { path: 'hooks.maxAttempts', description: 'Delivery attempts per event', parse: integer(1, 20) },
  {
    path: 'hooks.initialDelayMs',
    description: 'First retry delay (doubles each attempt)',
    parse: integer(10, 600_000),
  },
  {
    path: 'hooks.timeoutMs',
    description: 'Timeout of one delivery attempt (and of an authorization request)',
    parse: integer(100, 120_000),
  },
  {
    path: 'hooks.authorizeUrl',
    description: 'URL asked (POST JSON) before each outbound call; a 2xx answer allows it',
    parse: optional(httpUrl),
  },
  {
    path: 'log.level',
    description: `Log level: ${LOG_LEVELS.join(', ')}`,
    parse: oneOf(LOG_LEVELS, true),
  },
  {
    path: 'demo.enabled',
    description: 'Run the embedded demo SIP server (default: when sip.domain is unset)',
    parse: optional(boolean),
  },
];

export const DEFAULT_CONFIG: GatewayConfig = {
  listen: { host: '127.0.0.1', port: 8080 },
  tls: { cert: null, key: null },
  api: { tokens: [] },
  websocket: { originAllowlist: [] },
  sip: {
    domain: null,
    outboundProxy: null,
    transport: 'UDP',
    listenHost: '127.0.0.1',
    listenPort: 0,
    publicAddress: null,
    tlsCert: null,
    tlsKey: null,
    tlsCa: null,
    sessionExpires: 1800,
    minSE: 90,
  },
  media: {
    publicAddress: null,
    rtpPorts: { min: 20000, max: 29999 },
    browserCodecs: ['opus', 'PCMU', 'PCMA', 'G722', 'telephone-event', 'VP8', 'H264'],
    // Video is offered to the SIP side only for calls that have video (a phone without video
    // refuses the m=video with port 0 and the call goes on as a voice call).
    sipCodecs: ['PCMU', 'PCMA', 'G722', 'opus', 'telephone-event', 'VP8', 'H264'],
    dtmfMode: 'rfc4733',
    transcoding: true,
    holdTone: false,
    filesDir: null,
  },
  limits: { wsConnectsPerMinute: 120, loginsPerMinute: 30, callAttemptsPerMinute: 60 },
  dialPlan: { defaultPatterns: [], accounts: {} },
  sessions: {
    resumeGraceMs: 30_000,
    incomingAnswerTimeoutMs: 60_000,
    browserOfferTimeoutMs: 30_000,
    retainEndedCallsMs: 60_000,
  },
  hooks: {
    url: null,
    token: null,
    maxAttempts: 5,
    initialDelayMs: 500,
    timeoutMs: 5000,
    authorizeUrl: null,
  },
  log: { level: 'info' },
  demo: { enabled: null },
};

export function envName(path: string): string {
  return (
    'CALLBRIDGE_' +
    path
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/\./g, '_')
      .toUpperCase()
  );
}

export function flagName(path: string): string {
  return (
    '--' +
    path
      .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
      .replace(/\./g, '-')
      .toLowerCase()
  );
}

function configError(setting: string, source: string, message: string): GatewayError {
  return new GatewayError('INVALID_CONFIG', `${setting} (${source}): ${message}`, {
    details: { setting, source },
  });
}

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  const leaf = SETTINGS.some((s) => s.path === prefix);
  if (leaf || value === null || typeof value !== 'object' || Array.isArray(value)) {
    out.set(prefix, value);
    return;
  }
  for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
}

export interface LoadConfigInput {
  /** Command-line arguments after the command (settings flags and --config). */
  readonly argv?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => string;
}

/** Builds and validates the configuration. Throws INVALID_CONFIG naming the setting. */
export function loadConfig(input: LoadConfigInput = {}): GatewayConfig {
  const env = input.env ?? {};
  const readFile = input.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const values = new Map<
    string,
    { value: unknown; source: Source; origin: string; fromText: boolean }
  >();

  const flags = new Map<string, string>();
  const argv = input.argv ?? [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const m = /^(--[a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw configError(arg, 'command line', 'is not a --setting flag');
    const name = m[1] ?? '';
    let value = m[2];
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--'))
        throw configError(name, 'command line', 'needs a value');
      value = next;
      i++;
    }
    flags.set(name, value);
  }

  const configPath = flags.get('--config') ?? env['CALLBRIDGE_CONFIG'];
  flags.delete('--config');
  if (configPath !== undefined && configPath !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFile(configPath));
    } catch (error) {
      throw configError(
        'config file',
        configPath,
        `cannot be read as JSON: ${(error as Error).message}`,
      );
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw configError('config file', configPath, 'must hold a JSON object');
    }
    const flat = new Map<string, unknown>();
    flatten(parsed, '', flat);
    for (const [path, value] of flat) {
      if (!SETTINGS.some((s) => s.path === path))
        throw configError(path, configPath, 'is not a known setting');
      values.set(path, { value, source: 'file', origin: configPath, fromText: false });
    }
  }
  for (const setting of SETTINGS) {
    const name = envName(setting.path);
    const value = env[name];
    if (value !== undefined)
      values.set(setting.path, { value, source: 'env', origin: name, fromText: true });
  }
  for (const [name, value] of flags) {
    const setting = SETTINGS.find((s) => flagName(s.path) === name);
    if (!setting) throw configError(name, 'command line', 'is not a known setting (see --help)');
    values.set(setting.path, { value, source: 'flag', origin: name, fromText: true });
  }

  const config = structuredClone(DEFAULT_CONFIG) as unknown as Record<
    string,
    Record<string, unknown>
  >;
  for (const [path, entry] of values) {
    const setting = SETTINGS.find((s) => s.path === path);
    if (!setting) continue;
    let parsed: unknown;
    try {
      parsed = setting.parse(entry.value, entry.fromText);
    } catch (error) {
      const shown =
        entry.source === 'flag' ? entry.origin : entry.source === 'env' ? entry.origin : path;
      throw configError(
        shown,
        entry.source === 'file' ? entry.origin : entry.source,
        (error as Error).message,
      );
    }
    const [group, key] = path.split('.') as [string, string];
    const section = config[group];
    if (section) section[key] = parsed;
  }
  const result = config as unknown as GatewayConfig;
  checkConsistency(result);
  return result;
}

function checkConsistency(config: GatewayConfig): void {
  if ((config.tls.cert === null) !== (config.tls.key === null)) {
    throw configError('tls.cert/tls.key', 'config', 'set both or neither');
  }
  if ((config.sip.tlsCert === null) !== (config.sip.tlsKey === null)) {
    throw configError('sip.tlsCert/sip.tlsKey', 'config', 'set both or neither');
  }
  if (config.media.browserCodecs.filter((c) => c !== 'telephone-event').length === 0) {
    throw configError('media.browserCodecs', 'config', 'needs at least one media codec');
  }
  if (config.media.sipCodecs.filter((c) => c !== 'telephone-event').length === 0) {
    throw configError('media.sipCodecs', 'config', 'needs at least one media codec');
  }
  if (config.demo.enabled === true && config.sip.domain !== null) {
    throw configError('demo.enabled', 'config', 'the embedded demo cannot run with sip.domain set');
  }
}

/** Whether this configuration runs the embedded demo. */
export function demoEnabled(config: GatewayConfig): boolean {
  return config.demo.enabled ?? config.sip.domain === null;
}

/**
 * Whether browsers are given only a loopback address for WebRTC media: the media socket binds
 * `listen.host` and announces it unless `media.publicAddress` is set. Chromium pairs its own
 * loopback candidates with it, but a stock Firefox gathers none (only with the
 * media.peerconnection.ice.loopback preference), so its calls fail ICE against such a gateway
 * even on the same host.
 */
export function mediaOnLoopbackOnly(config: GatewayConfig): boolean {
  const announced = config.media.publicAddress ?? config.listen.host;
  return announced === 'localhost' || announced === '::1' || /^127\./.test(announced);
}

/** The configuration with secrets replaced, for `check-config` output and logs. */
export function redactConfig(config: GatewayConfig): unknown {
  return {
    ...config,
    api: { tokens: config.api.tokens.map(() => '[redacted]') },
    hooks: { ...config.hooks, token: config.hooks.token === null ? null : '[redacted]' },
  };
}

/** `--help` text: every setting with its flag and environment variable. */
export function settingsHelp(): string {
  return SETTINGS.map(
    (s) => `  ${flagName(s.path).padEnd(34)} ${envName(s.path).padEnd(42)} ${s.description}`,
  ).join('\n');
}
