/**
 * Prometheus text exposition (format 0.0.4) without a client library: counters, gauges and
 * histograms with labels. The B2BUA core increments the media counters through
 * `GatewayMetrics`; call and registration gauges are sampled from call control at scrape time.
 */
type Labels = Readonly<Record<string, string>>;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelKey(names: readonly string[], labels: Labels): string {
  for (const key of Object.keys(labels)) {
    if (!names.includes(key)) throw new RangeError(`unknown label ${key}`);
  }
  return names.map((n) => labels[n] ?? '').join('\u0000');
}

function renderLabels(names: readonly string[], key: string, extra = ''): string {
  const values = key.split('\u0000');
  const parts = names
    .map((n, i) => [n, values[i] ?? ''] as const)
    .filter(([, v]) => v !== '')
    .map(([n, v]) => `${n}="${escapeLabelValue(v)}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

interface Metric {
  readonly name: string;
  render(): string;
}

abstract class LabelledMetric implements Metric {
  protected readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly kind: 'counter' | 'gauge',
  ) {
    for (const l of labelNames) if (!LABEL_NAME.test(l)) throw new RangeError(`bad label ${l}`);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(this.labelNames, labels)) ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.kind}`];
    if (this.values.size === 0 && this.labelNames.length === 0) lines.push(`${this.name} 0`);
    for (const [key, value] of this.values) {
      lines.push(`${this.name}${renderLabels(this.labelNames, key)} ${formatNumber(value)}`);
    }
    return lines.join('\n');
  }
}

export class Counter extends LabelledMetric {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, 'counter');
  }

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new RangeError('a counter only goes up');
    const key = labelKey(this.labelNames, labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
}

export class Gauge extends LabelledMetric {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, 'gauge');
  }

  set(labels: Labels, value: number): void {
    this.values.set(labelKey(this.labelNames, labels), value);
  }

  /** Replaces all values (for gauges sampled at scrape time). */
  reset(): void {
    this.values.clear();
  }
}

export class Histogram implements Metric {
  readonly #counts: number[];
  #sum = 0;
  #count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {
    this.#counts = buckets.map(() => 0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    this.#sum += value;
    this.#count++;
    this.buckets.forEach((upper, i) => {
      if (value <= upper) this.#counts[i] = (this.#counts[i] ?? 0) + 1;
    });
  }

  get count(): number {
    return this.#count;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((upper, i) => {
      lines.push(`${this.name}_bucket{le="${formatNumber(upper)}"} ${this.#counts[i] ?? 0}`);
    });
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.#count}`);
    lines.push(`${this.name}_sum ${formatNumber(this.#sum)}`);
    lines.push(`${this.name}_count ${this.#count}`);
    return lines.join('\n');
  }
}

/** The gateway's metrics. Names are part of the public interface (dashboards use them). */
export class GatewayMetrics {
  /** Calls currently known, by status (sampled at scrape time). */
  readonly calls = new Gauge('callbridge_calls', 'Calls by status', ['status']);
  readonly callsStarted = new Counter('callbridge_calls_started_total', 'Calls started', [
    'direction',
  ]);
  readonly callsEnded = new Counter('callbridge_calls_ended_total', 'Calls ended', [
    'status',
    'reason',
  ]);
  /** Sessions by status (sampled at scrape time); REGISTERED is the registration count. */
  readonly sessions = new Gauge('callbridge_sessions', 'Sessions by status', ['status']);
  readonly registrations = new Counter('callbridge_registrations_total', 'Registration outcomes', [
    'result',
  ]);
  /** Incremented by the B2BUA core when media starts: relay or transcode. */
  readonly mediaSessions = new Counter(
    'callbridge_media_sessions_total',
    'Media sessions by mode (relayed vs transcoded)',
    ['mode'],
  );
  /** Incremented by the B2BUA core: packets per leg and direction. */
  readonly rtpPackets = new Counter('callbridge_rtp_packets_total', 'RTP packets', [
    'leg',
    'direction',
  ]);
  /** Incremented by the B2BUA core: SRTP/SRTCP authentication or replay failures. */
  readonly srtpFailures = new Counter(
    'callbridge_srtp_failures_total',
    'SRTP packets that failed authentication or replay checks',
    ['kind'],
  );
  /**
   * Observed by the B2BUA core when a call's media ends: the interarrival jitter (RFC 3550
   * §6.4.1, A.8) of the audio each leg received, in milliseconds; one observation per leg.
   */
  readonly jitterMs = new Histogram(
    'callbridge_jitter_ms',
    'Interarrival jitter in ms',
    [1, 2, 5, 10, 20, 30, 50, 100, 200],
  );
  readonly errors = new Counter('callbridge_errors_total', 'Errors reported to clients', ['code']);
  readonly wsConnections = new Gauge(
    'callbridge_websocket_connections',
    'Open WebSocket connections',
  );
  readonly hookDeliveries = new Counter(
    'callbridge_hook_deliveries_total',
    'Event hook deliveries',
    ['result'],
  );

  readonly #metrics: Metric[] = [
    this.calls,
    this.callsStarted,
    this.callsEnded,
    this.sessions,
    this.registrations,
    this.mediaSessions,
    this.rtpPackets,
    this.srtpFailures,
    this.jitterMs,
    this.errors,
    this.wsConnections,
    this.hookDeliveries,
  ];
  readonly #samplers: (() => void)[] = [];

  /** Runs before each render, to refresh sampled gauges. */
  addSampler(sample: () => void): void {
    this.#samplers.push(sample);
  }

  render(): string {
    for (const sample of this.#samplers) sample();
    return this.#metrics.map((m) => m.render()).join('\n') + '\n';
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
