/** Timers through an injectable clock, so tests run on fake time. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock (milliseconds). */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** RFC 3550 §6.2 / A.7 inputs. */
export interface RtcpIntervalInput {
  /** Current session members (including us). */
  readonly members: number;
  /** Members that sent RTP since the last report (including us when `weSent`). */
  readonly senders: number;
  /** Bandwidth for RTCP in octets per second (normally 5% of the session bandwidth). */
  readonly rtcpBandwidth: number;
  readonly weSent: boolean;
  /** Average compound RTCP packet size in octets, including lower-layer headers. */
  readonly averageRtcpSize: number;
  /** Before the first report: half the minimum interval. */
  readonly initial: boolean;
  /** Minimum interval in seconds (default 5; §6.2 allows 360 / session kbit/s when reduced). */
  readonly minimumInterval?: number;
}

/** e - 3/2, A.7's compensation for timer reconsideration converging below the mean. */
const COMPENSATION = Math.E - 1.5;

/**
 * RFC 3550 A.7 `rtcp_interval()`: the randomized interval in seconds until the next report.
 * `random` returns uniformly in [0, 1) (injectable for tests).
 */
export function rtcpInterval(input: RtcpIntervalInput, random: () => number = Math.random): number {
  let minimum = input.minimumInterval ?? 5;
  if (input.initial) minimum /= 2;
  let bandwidth = input.rtcpBandwidth;
  let n = input.members;
  // §6.2: senders get 25% of the RTCP bandwidth when they are at most 25% of the members.
  if (input.senders <= input.members * 0.25) {
    if (input.weSent) {
      bandwidth *= 0.25;
      n = input.senders;
    } else {
      bandwidth *= 0.75;
      n -= input.senders;
    }
  }
  let t = bandwidth > 0 ? (input.averageRtcpSize * n) / bandwidth : minimum;
  if (t < minimum) t = minimum;
  t *= random() + 0.5;
  return t / COMPENSATION;
}

export interface RtcpSchedulerOptions {
  /** Session bandwidth in bits per second (the b=AS of the stream); RTCP gets 5% of it. */
  readonly sessionBandwidth: number;
  /** Sends one compound report; returns its size in octets (payload, without IP/UDP). */
  readonly sendReport: () => number;
  /** Whether we sent RTP since the last report. */
  readonly weSent: () => boolean;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Members besides us; a gateway leg terminating RTCP usually has one peer. Default 1. */
  readonly peers?: number;
  /** §6.2 reduced minimum, 360 / (session bandwidth in kbit/s) seconds, instead of 5 s. */
  readonly reducedMinimum?: boolean;
  /** IP + UDP header octets counted in the average size (A.7; default 28 for IPv4). */
  readonly lowerLayerOverhead?: number;
}

/**
 * Sends RTCP reports at RFC 3550 §6.3 intervals with timer reconsideration (§6.3.6): for one
 * leg of a gateway that terminates RTCP, where the member count changes little.
 */
export class RtcpScheduler {
  readonly #options: RtcpSchedulerOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  #averageSize: number;
  #initial = true;
  #previous = 0; // tp, ms
  #timer: unknown;
  #peers: number;
  #running = false;

  constructor(options: RtcpSchedulerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#peers = options.peers ?? 1;
    // §6.3.2: the initial average is the size of the first report we would send; a small
    // SR + SDES compound is a fair estimate until real sizes arrive.
    this.#averageSize = 100 + (options.lowerLayerOverhead ?? 28);
  }

  get averageRtcpSize(): number {
    return this.#averageSize;
  }

  /** Starts scheduling: the first report goes out after half the minimum interval (§6.2). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#previous = this.#clock.now();
    this.#schedule(this.#interval() * 1000);
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** §6.3.3: a received compound RTCP packet updates the average size. */
  received(octets: number): void {
    this.#updateAverage(octets);
  }

  /** Updates the number of other members (e.g. on BYE or a new SSRC). */
  setPeers(peers: number): void {
    this.#peers = Math.max(0, peers);
  }

  #interval(): number {
    const weSent = this.#options.weSent();
    const sessionBandwidth = this.#options.sessionBandwidth;
    return rtcpInterval(
      {
        members: this.#peers + 1,
        senders: weSent ? 1 + this.#peers : this.#peers,
        rtcpBandwidth: (sessionBandwidth * 0.05) / 8,
        weSent,
        averageRtcpSize: this.#averageSize,
        initial: this.#initial,
        ...(this.#options.reducedMinimum && sessionBandwidth > 0
          ? { minimumInterval: Math.min(5, 360 / (sessionBandwidth / 1000)) }
          : {}),
      },
      this.#random,
    );
  }

  #schedule(ms: number): void {
    this.#timer = this.#clock.setTimeout(() => this.#expired(), Math.max(0, ms));
  }

  /** §6.3.6: on expiry recompute T; send only if tp + T has passed, else wait until then. */
  #expired(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    const now = this.#clock.now();
    const next = this.#previous + this.#interval() * 1000;
    if (next > now) {
      this.#schedule(next - now);
      return;
    }
    const size = this.#options.sendReport();
    this.#updateAverage(size);
    this.#previous = now;
    this.#initial = false;
    this.#schedule(this.#interval() * 1000);
  }

  #updateAverage(octets: number): void {
    const packet = octets + (this.#options.lowerLayerOverhead ?? 28);
    this.#averageSize += (packet - this.#averageSize) / 16;
  }
}
