import type { Clock } from './clock.js';
import { MediaError } from './errors.js';
import type { FrameDecoder } from './frame-decoder.js';
import { DelayHistogram, ForgettingQuantile, SlidingMinMax } from './stats.js';
import { crossfadeInsert, crossfadeRemove, findPitchPeriod, isSilent } from './time-scale.js';

export type JitterBufferMode = 'adaptive' | 'fixed';

export interface JitterBufferOptions {
  readonly clock: Clock;
  readonly decoder: FrameDecoder;
  /** RTP clock rate of the payload (8000 for G.722 even though it decodes to 16 kHz). */
  readonly clockRate: number;
  /**
   * `adaptive` (default) follows the measured jitter; `fixed` starts playout `fixedDelayMs` after
   * the first packet and never adapts (the classic fixed buffer, kept as a baseline).
   */
  readonly mode?: JitterBufferMode;
  readonly fixedDelayMs?: number;
  /** Lower bound of the adaptive target delay (default 10 ms). */
  readonly minDelayMs?: number;
  /** Upper bound of the adaptive target delay and of waiting on underrun (default 400 ms). */
  readonly maxDelayMs?: number;
  /** Target before enough jitter has been measured (default 40 ms). */
  readonly initialDelayMs?: number;
  /**
   * Quantile of the relative transit delay the target covers (default 0.9). Packets slower than
   * that are not lost: playout waits for them (see `initialPatienceMs`), so the target need not
   * cover the rare slow ones, which would cost delay on every packet.
   */
  readonly quantile?: number;
  /**
   * Per-packet forgetting factor of the relative-delay histogram the target is read from
   * (default 0.9993: a half-life of about 1000 packets, twenty seconds at 20 ms).
   */
  readonly forgettingFactor?: number;
  /** Packets in the sliding window of transits the slowest and fastest are taken from (default 500). */
  readonly windowPackets?: number;
  /**
   * How long, at first, a missing packet is waited for: the longest relative transit it may
   * still arrive with and play (default 80 ms, what a fixed 60 ms buffer covers plus a frame).
   * This patience rises at once to the slowest transit seen in the window plus a frame (delay
   * spikes, reordering) and decays at `patienceDecayMsPerSecond` while nothing as slow recurs.
   */
  readonly initialPatienceMs?: number;
  /** How fast the patience for missing packets decays, ms per second (default 2). */
  readonly patienceDecayMsPerSecond?: number;
  /** Packets the buffer can hold; a power of two (default 128). */
  readonly capacityPackets?: number;
  /** Largest payload accepted (default 1500 bytes). */
  readonly maxPayloadBytes?: number;
  /** Largest number of samples one decode or concealment call may produce (default 120 ms). */
  readonly maxFrameSamples?: number;
  /** How fast the target may fall, ms per second; it rises at once (default 10). */
  readonly targetDecayMsPerSecond?: number;
  /** Transit changes beyond this are a timestamp jump and resynchronise playout (default 1500 ms). */
  readonly resyncThresholdMs?: number;
  /** How often the target is recorded for the report (default 1000 ms). */
  readonly targetSampleIntervalMs?: number;
  /** RMS below which decoded audio counts as silence for time stretching (default 100). */
  readonly silenceRms?: number;
}

/** What {@link AdaptiveJitterBuffer.insert} did with a packet. */
export type InsertOutcome = 'buffered' | 'duplicate' | 'late' | 'too-large';

export interface JitterBufferReport {
  readonly mode: JitterBufferMode;
  /** Unique packets received (duplicates excluded). */
  readonly packetsReceived: number;
  readonly packetsPlayed: number;
  readonly duplicates: number;
  /** Packets that arrived after their playout time had passed. */
  readonly latePackets: number;
  /** latePackets / packetsReceived. */
  readonly lateLossRate: number;
  /** Packets declared missing at playout (network loss plus late arrivals). */
  readonly missingPackets: number;
  /** Packets recovered from the next packet's in-band FEC. */
  readonly fecRecovered: number;
  /** Delay each played packet spent between arrival and playout, ms. */
  readonly addedDelayMeanMs: number;
  readonly addedDelayP95Ms: number;
  /** Samples output since playout started (start-up buffering excluded). */
  readonly samplesPlayed: number;
  /**
   * Samples the decoder's concealment (PLC, or G.711 concealment) or in-band FEC produced in
   * place of packets that were lost or came too late to play, after playout started.
   */
  readonly concealedSamples: number;
  /** concealedSamples / samplesPlayed. */
  readonly concealedRatio: number;
  /** The part of concealedSamples recovered from the next packet's in-band FEC. */
  readonly fecSamples: number;
  /**
   * Concealment output that stood for no audio of the sender: produced while the timeline
   * stood still waiting for a missing packet (whether it then came or not; also what a rewind
   * turned into waiting). Not part of concealedSamples.
   */
  readonly waitingSamples: number;
  /** waitingSamples / samplesPlayed. */
  readonly waitingRatio: number;
  /**
   * Concealment output while the buffer ran dry with no packet lost: the sender paused without
   * announcing it (silence suppression without comfort noise, a stream switch). Not part of
   * concealedSamples: each sample played is decoded audio, comfort noise or one of concealed,
   * waiting and pause.
   */
  readonly pauseSamples: number;
  /** Silence output before playout started (initial buffering, and again after each resync). */
  readonly startupSamples: number;
  /** Samples removed (acceleration) and inserted (expansion) by time-scale modification. */
  readonly acceleratedSamples: number;
  readonly expandedSamples: number;
  readonly resyncs: number;
  /**
   * Times a late packet was still played by taking the timeline back to it (nothing after it had
   * been played yet); such packets do not count as late.
   */
  readonly rewinds: number;
  readonly ssrcChanges: number;
  /** Payloads the decoder rejected (concealed instead). */
  readonly decodeErrors: number;
  /**
   * Target delay over the fastest transit of the sliding window. When the sender's clock is
   * slow that fastest packet is the window's oldest, so the target includes the drift across
   * the window (50 ms at −0.5% over 500 packets of 20 ms) although the delay added to packets
   * stays what the jitter needs.
   */
  readonly targetDelayMs: number;
  /** Target delay over time: [clock time ms, target ms] pairs (the most recent 2048–4096). */
  readonly targetHistory: readonly (readonly [number, number])[];
}

interface Slot {
  /** Extended sequence number held, or -1 when empty. */
  extSeq: number;
  payloadType: number;
  extTs: number;
  arrival: number;
  length: number;
  /**
   * Storage of the payload held, from #freePayloads (NO_PAYLOAD while empty): its first
   * `length` octets.
   */
  bytes: Uint8Array;
}

/** The storage of an empty slot. */
const NO_PAYLOAD = new Uint8Array(0);

const TWO_32 = 4294967296;
/** Transit samples needed before the target follows the measurement instead of the initial one. */
const START_PACKETS = 10;
/** Most pitch periods one decoded frame is shortened by when playout is far behind its target. */
const MAX_PERIODS_REMOVED = 3;

/**
 * Adaptive jitter buffer for one audio stream: packets go in as they arrive, PCM comes out at
 * the playout clock's pace, with concealment, FEC recovery and time-scale modification.
 *
 * Each packet's transit delay relative to the fastest packet in a sliding window (RFC 3550
 * §6.4.1 defines the same relative transit for its jitter estimate) goes into a histogram with
 * exponential forgetting; the target delay is its chosen quantile plus one frame, bounded by
 * min/max (a NetEq-like design). The target deliberately leaves out the slow tail: a packet
 * missing at playout is waited for (concealing without moving the timeline) as long as a packet
 * as slow as the slowest recently seen could still come, so reordered packets and delay spikes
 * cost a short stretch of delay instead of the packet, or of a high target all the time.
 * Playout follows the target by stretching or shrinking audio: freely in silence, by pitch
 * periods in speech (several per frame when far behind, to shed a spike's delay quickly). Clock
 * drift between sender and receiver shows up as a drift of the transit delay and is absorbed
 * the same way.
 */
export class AdaptiveJitterBuffer {
  readonly mode: JitterBufferMode;
  readonly sampleRate: number;
  readonly clockRate: number;

  readonly #clock: Clock;
  readonly #decoder: FrameDecoder;
  readonly #fixedDelayMs: number;
  readonly #minDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #decayPerMs: number;
  readonly #initialPatienceMs: number;
  readonly #patienceDecayPerMs: number;
  readonly #resyncThresholdMs: number;
  readonly #targetSampleIntervalMs: number;
  readonly #silenceRms: number;
  readonly #maxPayloadBytes: number;
  readonly #tsPerSample: number;
  readonly #msPerTs: number;

  readonly #slots: Slot[];
  /**
   * Payload storage of empty slots, taken last in, first out: a packet goes into the storage
   * the packet played last used (recently touched, likely still in the caches) rather than into
   * storage of its own slot, untouched for a lap of the ring.
   */
  readonly #freePayloads: Uint8Array[] = [];
  readonly #mask: number;
  /** Per slot: extended sequence last played from it, to tell duplicates from late packets. */
  readonly #playedSeq: Float64Array;
  /** Per slot: extended sequence last declared missing from it, to undo that on a rewind. */
  readonly #missedSeq: Float64Array;
  readonly #transits: SlidingMinMax;
  /** The target's quantile of the relative transit delay. */
  readonly #relativeDelay: ForgettingQuantile;
  readonly #delays = new DelayHistogram(5000);

  /** Decoded audio not yet read. */
  readonly #sync: Int16Array;
  #syncLength = 0;
  /** Samples the last read took from the start of #sync, not yet moved out (see #shiftRead). */
  #readShift = 0;
  readonly #scratch: Int16Array;
  /**
   * A view of #sync from #decodeAt, as long as #scratch: a packet is decoded straight into it at
   * the end of the audio not yet read, saving a copy. What is left after a read is usually the
   * same number of samples frame after frame (it changes when time-scale modification removes or
   * adds a pitch period), so the view is cut again only when that changes.
   */
  #decodeView: Int16Array;
  #decodeAt = 0;
  /** Views of the first samples of #scratch and #sync, kept while the lengths repeat. */
  #scratchView: Int16Array = new Int16Array(0);
  #readView: Int16Array = new Int16Array(0);
  readonly #stretch: Int16Array;

  /** The current source's SSRC as a signed 32-bit integer; none before the first packet. */
  #ssrc = 0;
  #hasSource = false;
  #started = false;
  #playing = false;
  #highestExtSeq = -1;
  #referenceExtTs = 0;
  /** `#referenceExtTs` modulo 2^32 (kept apart: a floating-point modulo per packet is slow). */
  #referenceTs = 0;
  /** Next sequence number to play. */
  #nextSeq = 0;
  /** RTP timestamp (extended) of the next sample to be produced. */
  #decodedTs = 0;
  #buffered = 0;
  #frameTs = 0;
  // Initialised here, not only in the constructor: a field that starts undefined stays tagged,
  // and every fractional number stored in it would be a new heap object.
  #targetMs = 0;
  readonly #initialTargetMs: number;
  /** Transit of the first packet; the fixed buffer's anchor. */
  #anchorTransit = 0;
  #lastTargetSample = -Infinity;
  /** Longest relative transit a missing packet is waited for. */
  #patienceMs = 0;
  #patienceUpdate = 0;
  #lastTargetUpdate = 0;
  readonly #targetHistory: [number, number][] = [];

  #received = 0;
  #played = 0;
  #duplicates = 0;
  #late = 0;
  #missing = 0;
  #fecRecovered = 0;
  #samplesPlayed = 0;
  #concealedSamples = 0;
  #fecSamples = 0;
  #waitingSamples = 0;
  #pauseSamples = 0;
  #startupSamples = 0;
  /**
   * Concealment that moved the timeline on while the packet due (`#nextSeq`) was missing and
   * nothing after it had come: whether it stood in for lost audio is known only later, when
   * that packet is declared missing or late (concealed) or plays after all (underrun: the
   * sender paused).
   */
  #provisionalSamples = 0;
  /** Concealment settled since the last packet played; a rewind turns it into waiting. */
  #concealedSinceLastPlay = 0;
  #accelerated = 0;
  #expanded = 0;
  #resyncs = 0;
  #rewinds = 0;
  #ssrcChanges = 0;
  #decodeErrors = 0;
  #consecutiveLate = 0;
  /** Extended sequence number of the last packet played. */
  #lastPlayedSeq = -1;
  /** Length of the playout reads, ms. */
  #readMs = 0;
  /**
   * Times and delays handed between the methods of one insert or read through fields, not as
   * arguments: a fractional number passed to a method that is not inlined is boxed (allocated).
   */
  #arrivalTransit = 0;
  #arrivalTime = 0;
  #readTime = 0;
  #playOutTime = 0;
  #playError = 0;
  readonly #staging: Uint8Array;
  readonly #stagingViews: (Uint8Array | undefined)[] = [];
  /** The memory packets last came in, and views of their payloads in it (see #copyPayload). */
  #lastMemory: ArrayBufferLike | undefined;
  #lastStart = -1;
  #viewedMemory: ArrayBufferLike | undefined;
  #viewedStart = -1;
  readonly #payloadViews: (Uint8Array | undefined)[] = [];

  constructor(options: JitterBufferOptions) {
    const capacity = options.capacityPackets ?? 128;
    if (!Number.isInteger(capacity) || capacity < 4 || (capacity & (capacity - 1)) !== 0) {
      throw new MediaError(
        'INVALID_ARGUMENT',
        `capacityPackets must be a power of two ≥ 4, got ${capacity}`,
      );
    }
    if (!(options.clockRate > 0) || !(options.decoder.sampleRate > 0)) {
      throw new MediaError('INVALID_ARGUMENT', 'clockRate and decoder.sampleRate must be positive');
    }
    this.mode = options.mode ?? 'adaptive';
    this.#clock = options.clock;
    this.#decoder = options.decoder;
    this.clockRate = options.clockRate;
    this.sampleRate = options.decoder.sampleRate;
    this.#fixedDelayMs = options.fixedDelayMs ?? 60;
    this.#minDelayMs = options.minDelayMs ?? 10;
    this.#maxDelayMs = options.maxDelayMs ?? 400;
    if (!(this.#minDelayMs >= 0 && this.#maxDelayMs >= this.#minDelayMs)) {
      throw new MediaError('INVALID_ARGUMENT', 'need 0 ≤ minDelayMs ≤ maxDelayMs');
    }
    const quantile = options.quantile ?? 0.9;
    if (!(quantile > 0 && quantile <= 1)) {
      throw new MediaError('INVALID_ARGUMENT', `quantile must be in (0, 1], got ${quantile}`);
    }
    this.#decayPerMs = (options.targetDecayMsPerSecond ?? 10) / 1000;
    this.#initialPatienceMs = options.initialPatienceMs ?? 80;
    this.#patienceMs = this.#initialPatienceMs;
    this.#patienceDecayPerMs = (options.patienceDecayMsPerSecond ?? 2) / 1000;
    const forgetting = options.forgettingFactor ?? 0.9993;
    if (!(forgetting > 0 && forgetting <= 1)) {
      throw new MediaError(
        'INVALID_ARGUMENT',
        `forgettingFactor must be in (0, 1], got ${forgetting}`,
      );
    }
    this.#initialTargetMs = clamp(options.initialDelayMs ?? 40, this.#minDelayMs, this.#maxDelayMs);
    this.#targetMs = this.#initialTargetMs;
    this.#resyncThresholdMs = options.resyncThresholdMs ?? 1500;
    this.#targetSampleIntervalMs = options.targetSampleIntervalMs ?? 1000;
    this.#silenceRms = options.silenceRms ?? 100;
    this.#maxPayloadBytes = options.maxPayloadBytes ?? 1500;
    this.#staging = new Uint8Array(this.#maxPayloadBytes);
    this.#tsPerSample = this.clockRate / this.sampleRate;
    this.#msPerTs = 1000 / this.clockRate;

    this.#mask = capacity - 1;
    this.#slots = [];
    for (let i = 0; i < capacity; i++) {
      this.#slots.push({
        extSeq: -1,
        payloadType: -1,
        extTs: 0,
        arrival: 0,
        length: 0,
        bytes: NO_PAYLOAD,
      });
    }
    this.#playedSeq = new Float64Array(capacity).fill(-1);
    this.#missedSeq = new Float64Array(capacity).fill(-1);
    this.#transits = new SlidingMinMax(options.windowPackets ?? 500);
    this.#relativeDelay = new ForgettingQuantile(quantile, 1, this.#maxDelayMs, forgetting);
    const maxFrame = options.maxFrameSamples ?? Math.ceil(this.sampleRate * 0.12);
    this.#scratch = new Int16Array(maxFrame);
    this.#stretch = new Int16Array(maxFrame * 2);
    this.#sync = new Int16Array(maxFrame * 8);
    this.#decodeView = this.#sync.subarray(0, maxFrame);
  }

  /** Current target delay in ms. */
  get targetDelayMs(): number {
    return this.mode === 'fixed' ? this.#fixedDelayMs : this.#targetMs;
  }

  /** Packets waiting to be played. */
  get bufferedPackets(): number {
    return this.#buffered;
  }

  /**
   * Hands one received RTP packet to the buffer: the payload is `payloadLength` octets of `bytes`
   * from `payloadOffset` (by default all of `bytes`), so a caller can pass the packet it holds
   * without cutting a view. The payload is copied; the caller may reuse its buffer at once.
   * `payloadType` is handed back to the decoder. `ssrc` and `timestamp` are the 32-bit values,
   * unsigned or as signed integers with the same bits (`RtpPacket.ssrcBits`, `timestampBits`:
   * those stay unboxed across calls).
   */
  insert(
    ssrc: number,
    sequenceNumber: number,
    timestamp: number,
    bytes: Uint8Array,
    payloadType = -1,
    payloadOffset = 0,
    payloadLength = bytes.length - payloadOffset,
  ): InsertOutcome {
    const now = this.#clock.now();
    if (payloadLength > this.#maxPayloadBytes) return 'too-large';
    if (payloadOffset < 0 || payloadLength < 0 || payloadOffset + payloadLength > bytes.length) {
      throw new MediaError('INVALID_ARGUMENT', 'payload range lies outside the packet');
    }

    if (this.#ssrc !== (ssrc | 0) || !this.#hasSource) {
      // A new source (re-INVITE, transfer, sender restart): restart sequence and timestamp
      // tracking; audio already decoded keeps playing and the new stream follows it.
      if (this.#hasSource) this.#ssrcChanges++;
      this.#ssrc = ssrc | 0;
      this.#hasSource = true;
      this.#decoder.reset?.();
      this.#resync(sequenceNumber, timestamp);
    }

    let extSeq = this.#unwrapSeq(sequenceNumber);
    let extTs = this.#unwrapTs(timestamp);
    let transit = now - extTs * this.#msPerTs;

    // RFC 3550 §8.2 style sanity: a transit far from the current mapping, or a sequence number
    // far outside the buffer, means the sender jumped; start over from this packet.
    const base = this.mode === 'fixed' ? this.#anchorTransit : this.#transits.min();
    const seqAhead = extSeq - this.#nextSeq;
    if (
      this.#started &&
      (seqAhead > this.#mask ||
        (seqAhead >= 0 && Math.abs(transit - base) > this.#resyncThresholdMs))
    ) {
      this.#resync(sequenceNumber, timestamp);
      extSeq = this.#unwrapSeq(sequenceNumber);
      extTs = this.#unwrapTs(timestamp);
      transit = now - extTs * this.#msPerTs;
    }

    if (!this.#started) {
      this.#started = true;
      this.#patienceUpdate = now;
      this.#nextSeq = extSeq;
      this.#decodedTs = extTs;
      this.#anchorTransit = transit;
      this.#highestExtSeq = extSeq;
    }

    const index = extSeq & this.#mask;
    const slot = this.#slots[index]!;
    if (slot.extSeq === extSeq || this.#playedSeq[index] === extSeq) {
      this.#duplicates++;
      return 'duplicate';
    }
    this.#received++;
    const late =
      extSeq < this.#nextSeq || (this.#playing && extTs < this.#decodedTs - this.#frameTs / 2);
    this.#arrivalTransit = transit;
    this.#arrivalTime = now;
    // Here rather than in #observeTransit, where inlining ran out of room for it (the transit
    // would be boxed on its way).
    if (this.mode !== 'fixed') this.#transits.push(transit);
    this.#observeTransit();
    if (late && this.#canRewindTo(extSeq, extTs)) {
      this.#rewind(extSeq, extTs);
    } else if (late) {
      this.#late++;
      // A run of late packets means the timeline ran ahead of the sender (a long outage
      // concealed, a stalled host): start over from the packets that arrive now.
      if (this.mode === 'adaptive' && ++this.#consecutiveLate >= 3) {
        // What was concealed meanwhile stood in for these late packets.
        this.#settleProvisionalAsConcealed();
        this.#resync(sequenceNumber, timestamp);
        this.#consecutiveLate = 0;
        this.#late--;
        this.#received--;
        return this.insert(
          ssrc,
          sequenceNumber,
          timestamp,
          bytes,
          payloadType,
          payloadOffset,
          payloadLength,
        );
      }
      return 'late';
    }
    this.#consecutiveLate = 0;

    if (slot.extSeq !== -1)
      this.#buffered--; // cannot happen within the window; keep counts exact
    else slot.bytes = this.#freePayloads.pop() ?? NO_PAYLOAD;
    slot.extSeq = extSeq;
    slot.payloadType = payloadType;
    slot.extTs = extTs;
    slot.arrival = now;
    if (slot.bytes.length < payloadLength) {
      // Storage grows while the first packets come (a size that fits the first payload, then
      // twice what was too small), then payload sizes repeat.
      slot.bytes = new Uint8Array(
        Math.min(this.#maxPayloadBytes, Math.max(payloadLength, 2 * slot.bytes.length)),
      );
    }
    this.#copyPayload(slot.bytes, bytes, payloadOffset, payloadLength);
    slot.length = payloadLength;
    this.#buffered++;
    return 'buffered';
  }

  /**
   * Produces exactly `out.length` samples of playout audio. Call it at the playout clock's pace
   * (every output frame); before the first packet and during initial buffering it yields silence.
   */
  read(out: Int16Array): void {
    out.set(this.readView(out.length));
  }

  /**
   * {@link read} without the copy: `samples` samples of playout audio in the buffer's own
   * memory, valid until its next read (the caller may change them, to mix a tone in).
   */
  readView(samples: number): Int16Array {
    this.#shiftRead();
    const needed = samples;
    const now = this.#clock.now();
    this.#readTime = now;
    this.#readMs = (needed * 1000) / this.sampleRate;
    let guard = 0;
    while (this.#syncLength < needed) {
      if (++guard > 64) {
        // A decoder that yields nothing must not hang playout.
        this.#syncLength = Math.min(needed, this.#sync.length);
        break;
      }
      this.#produce(needed);
    }
    if (this.#readView.length !== needed) this.#readView = this.#sync.subarray(0, needed);
    this.#syncLength -= needed;
    // What is left moves to the start at the next read, when the caller is done with the view.
    this.#readShift = needed;
    if (this.#playing) this.#samplesPlayed += needed;
    else this.#startupSamples += needed;
    if (now - this.#lastTargetSample >= this.#targetSampleIntervalMs) {
      this.#lastTargetSample = now;
      // Keep the last hour or so: drop the older half when full (amortised O(1)).
      if (this.#targetHistory.length >= 4096) this.#targetHistory.splice(0, 2048);
      this.#targetHistory.push([now, this.targetDelayMs]);
    }
    return this.#readView;
  }

  /** Moves what the last read left to the start of #sync. */
  #shiftRead(): void {
    const shift = this.#readShift;
    if (shift === 0) return;
    this.#readShift = 0;
    // A loop moving the usual leftover (less than a frame) took more instructions than this
    // call into the runtime.
    const left = this.#syncLength;
    if (left > 0) this.#sync.copyWithin(0, shift, shift + left);
  }

  report(): JitterBufferReport {
    return {
      mode: this.mode,
      packetsReceived: this.#received,
      packetsPlayed: this.#played,
      duplicates: this.#duplicates,
      latePackets: this.#late,
      lateLossRate: this.#received === 0 ? 0 : this.#late / this.#received,
      missingPackets: this.#missing,
      fecRecovered: this.#fecRecovered,
      addedDelayMeanMs: this.#delays.mean(),
      addedDelayP95Ms: this.#delays.quantile(0.95),
      samplesPlayed: this.#samplesPlayed,
      concealedSamples: this.#concealedSamples,
      concealedRatio: this.#ratio(this.#concealedSamples),
      fecSamples: this.#fecSamples,
      waitingSamples: this.#waitingSamples,
      waitingRatio: this.#ratio(this.#waitingSamples),
      // An underrun still in progress has lost nothing so far.
      pauseSamples: this.#pauseSamples + this.#provisionalSamples,
      startupSamples: this.#startupSamples,
      acceleratedSamples: this.#accelerated,
      expandedSamples: this.#expanded,
      resyncs: this.#resyncs,
      rewinds: this.#rewinds,
      ssrcChanges: this.#ssrcChanges,
      decodeErrors: this.#decodeErrors,
      targetDelayMs: this.targetDelayMs,
      targetHistory: this.#targetHistory.map(([t, v]) => [t, v] as const),
    };
  }

  // ---- internals ---------------------------------------------------------------------------

  #ratio(samples: number): number {
    return this.#samplesPlayed === 0 ? 0 : samples / this.#samplesPlayed;
  }

  #resync(sequenceNumber: number, timestamp: number): void {
    if (this.#started) this.#resyncs++;
    // A discontinuity of the stream (new source, timestamp jump): what was concealed while
    // waiting for the old stream's next packet stood for no lost audio.
    this.#pauseSamples += this.#provisionalSamples;
    this.#provisionalSamples = 0;
    this.#concealedSinceLastPlay = 0;
    for (const slot of this.#slots) if (slot.extSeq !== -1) this.#vacate(slot);
    this.#playedSeq.fill(-1);
    this.#missedSeq.fill(-1);
    this.#lastPlayedSeq = -1;
    this.#buffered = 0;
    this.#transits.clear();
    this.#relativeDelay.clear();
    this.#patienceMs = this.#initialPatienceMs;
    // Transit measured against the old timeline says nothing about the new one.
    this.#targetMs = this.#initialTargetMs;
    // Extended numbers start far from zero so unwrapping never goes negative.
    this.#highestExtSeq = sequenceNumber + 0x10000 * 16;
    this.#referenceExtTs = (timestamp >>> 0) + TWO_32 * 16;
    this.#referenceTs = timestamp >>> 0;
    this.#started = false;
    // The new stream builds up its own jitter protection before it plays.
    this.#playing = false;
  }

  #unwrapSeq(seq: number): number {
    const delta = ((seq - (this.#highestExtSeq & 0xffff) + 0x8000) & 0xffff) - 0x8000;
    const ext = this.#highestExtSeq + delta;
    if (ext > this.#highestExtSeq) this.#highestExtSeq = ext;
    return ext;
  }

  #unwrapTs(ts: number): number {
    // The difference modulo 2^32 as a signed 32-bit number: within ±2^31 of the reference.
    const delta = ((ts >>> 0) - this.#referenceTs) | 0;
    const ext = this.#referenceExtTs + delta;
    if (delta > 0) {
      this.#referenceExtTs = ext;
      this.#referenceTs = ts >>> 0;
    }
    return ext;
  }

  /**
   * Updates the target from one more transit sample (#arrivalTransit, of a packet that came at
   * #arrivalTime, already in the window): the chosen quantile of the relative-delay histogram
   * plus one frame. It rises at once and falls at most at the configured rate.
   */
  #observeTransit(): void {
    if (this.mode === 'fixed') return;
    const transit = this.#arrivalTransit;
    const now = this.#arrivalTime;
    // Relative to the fastest transit when the packet came: re-basing older delays on a later
    // fastest would count clock drift as jitter.
    this.#relativeDelay.add(transit - this.#transits.min());
    this.#updatePatience(now);
    if (this.#transits.size < START_PACKETS) return;
    // Cover the jitter plus what must be on hand at each read: a packet, or a whole read when
    // the playout reads in larger frames (a 60 ms ptime on the other leg).
    const wanted = this.#relativeDelay.value() + Math.max(this.#frameMs(), this.#readMs);
    const decayed = this.#targetMs - (now - this.#lastTargetUpdate) * this.#decayPerMs;
    this.#lastTargetUpdate = now;
    this.#targetMs = clamp(Math.max(wanted, decayed), this.#minDelayMs, this.#maxDelayMs);
  }

  #frameMs(): number {
    return this.#frameTs * this.#msPerTs;
  }

  /** Desired transit offset: when the sample with RTP time t should play is t + offset. */
  #desiredOffset(): number {
    return this.mode === 'fixed'
      ? this.#anchorTransit + this.#fixedDelayMs
      : this.#transits.min() + this.#targetMs;
  }

  /** Appends audio for the next stretch of the timeline to the sync buffer (read at #readTime). */
  #produce(frameSamples: number): void {
    const now = this.#readTime;
    if (!this.#started) {
      this.#appendSilence(frameSamples);
      return;
    }
    const outTime = now + (this.#syncLength * 1000) / this.sampleRate;
    // Positive: playing later than the target (too much delay); negative: earlier.
    const error = outTime - this.#decodedTs * this.#msPerTs - this.#desiredOffset();
    if (!this.#playing) {
      if (error < 0) {
        this.#appendSilence(frameSamples);
        return;
      }
      this.#playing = true;
    }
    const adaptive = this.mode === 'adaptive';
    // Shrink only when clearly late (hysteresis against churn) but stretch as soon as the buffer
    // runs early, since running early is what makes packets late.
    const accelerateAbove = Math.max(10, this.#frameMs() / 2);
    const expandBelow = -this.#frameMs() / 4;
    this.#skipPassed();
    const slot = this.#slots[this.#nextSeq & this.#mask]!;

    if (slot.extSeq === this.#nextSeq) {
      let gapTs = slot.extTs - this.#decodedTs;
      if (gapTs > this.#tsPerSample) {
        // Timestamps advanced without lost packets: silence suppression (RFC 3551 §4.1). The
        // gap is free room to adapt the delay: skip it when late, stretch it when early.
        if (adaptive && error > accelerateAbove) {
          const skipTs = Math.min(gapTs, (error - accelerateAbove / 2) / this.#msPerTs);
          this.#decodedTs += skipTs;
          this.#accelerated += skipTs / this.#tsPerSample;
          if (skipTs >= gapTs) return;
          gapTs -= skipTs;
        }
        const samples = Math.min(frameSamples, Math.ceil(gapTs / this.#tsPerSample));
        this.#appendGap(samples);
        if (!(adaptive && error < expandBelow)) this.#decodedTs += samples * this.#tsPerSample;
        else this.#expanded += samples;
        return;
      }
      this.#playOutTime = outTime;
      this.#playError = adaptive ? error : 0;
      this.#playSlot(slot, accelerateAbove, expandBelow);
      return;
    }

    const later = this.#findLater();
    // With the next packet here, the decoder's FEC recovers this one: nothing to wait for.
    const fecAvailable =
      later?.extSeq === this.#nextSeq + 1 && this.#decoder.decodeFec !== undefined;
    if (adaptive && !fecAvailable && this.#worthWaiting(now)) {
      // The packet due is missing but may still come (reordered, or held up by a delay spike):
      // conceal only what this read still needs without moving the timeline, and decide again
      // at the next read.
      const concealStep = this.sampleRate / 400;
      const short = Math.ceil((frameSamples - this.#syncLength) / concealStep) * concealStep;
      const produced = this.#conceal(this.#concealable(short));
      this.#waitingSamples += produced;
      this.#append(this.#scratch, produced);
      this.#expanded += produced;
      return;
    }
    if (later !== undefined) {
      // The packet due now is missing while later ones are here: lost (or late). Recover it from
      // the next packet's FEC when it carries some, otherwise conceal.
      const missingTs = (later.extTs - this.#decodedTs) / Math.max(1, later.extSeq - this.#nextSeq);
      this.#declareMissing();
      // Concealment while waiting may already have covered the lost packet's time.
      if (missingTs < this.#frameTs / 2) return;
      // One frame at most: a longer stretch before the next packet is a pause of the sender
      // after the lost packet, which the gap path fills (with comfort noise when described).
      const lostTs = this.#frameTs > 0 ? Math.min(missingTs, this.#frameTs) : missingTs;
      const samples = this.#concealable(Math.round(lostTs / this.#tsPerSample));
      let produced = 0;
      if (fecAvailable) {
        produced = this.#decoderCall('fec', this.#payloadOf(later), samples, later.payloadType);
        if (produced > 0) {
          this.#fecRecovered++;
          this.#fecSamples += produced;
        }
      }
      if (produced === 0) produced = this.#conceal(samples);
      this.#settleConcealed(produced);
      this.#append(this.#scratch, produced);
      this.#decodedTs += produced * this.#tsPerSample;
      return;
    }
    // Nothing to play and nothing worth waiting for: conceal and move on like a fixed buffer.
    // Whether this stands for a lost packet is settled when the packet due plays or is declared
    // missing.
    const produced = this.#conceal(this.#concealable(frameSamples));
    this.#provisionalSamples += produced;
    this.#append(this.#scratch, produced);
    this.#decodedTs += produced * this.#tsPerSample;
  }

  /**
   * Whether a packet missing at playout is still worth waiting for: whether, arriving now, it
   * would have a relative transit within the patience. The patience follows the slowest transit
   * in the window (plus a frame), so delay spikes and reordering that recur keep it up, and it
   * decays slowly once they stop; it starts at `initialPatienceMs`, so a first spike or
   * reordered packet is waited for too. Waiting costs delay, which acceleration gives back;
   * giving up costs the packet.
   */
  #worthWaiting(now: number): boolean {
    this.#updatePatience(now);
    const delayMs = now - this.#decodedTs * this.#msPerTs - this.#transits.min();
    return delayMs < Math.min(this.#maxDelayMs, this.#patienceMs);
  }

  #updatePatience(now: number): void {
    const decayed = this.#patienceMs - (now - this.#patienceUpdate) * this.#patienceDecayPerMs;
    this.#patienceUpdate = now;
    const slowestMs = this.#transits.max() - this.#transits.min() + this.#frameMs();
    this.#patienceMs = Math.max(slowestMs, decayed);
  }

  /**
   * Decodes the packet due and appends its audio, stretched or shrunk by the playout error
   * (#playError, positive when playing later than the target) at #playOutTime.
   */
  #playSlot(slot: Slot, accelerateAbove: number, expandBelow: number): void {
    const outTime = this.#playOutTime;
    const error = this.#playError;
    // What moved the timeline while this packet was missing stood for no lost audio.
    this.#pauseSamples += this.#provisionalSamples;
    this.#provisionalSamples = 0;
    this.#concealedSinceLastPlay = 0;
    let frame = this.#decodeTarget();
    let produced = this.#decoderCall('decode', this.#payloadOf(slot), 0, slot.payloadType, frame);
    if (produced === 0) {
      // A payload the decoder rejected is lost audio.
      frame = this.#scratch;
      produced = this.#conceal(this.#concealable(this.#frameTs / this.#tsPerSample));
      this.#settleConcealed(produced);
    }
    this.#delays.add(outTime - slot.arrival);
    this.#playedSeq[slot.extSeq & this.#mask] = slot.extSeq;
    this.#lastPlayedSeq = slot.extSeq;
    this.#vacate(slot);
    this.#buffered--;
    this.#played++;
    this.#nextSeq++;
    this.#decodedTs = slot.extTs + produced * this.#tsPerSample;
    if (produced > 0) this.#frameTs = produced * this.#tsPerSample;

    if (error > accelerateAbove || error < expandBelow) {
      if (isSilent(frame, produced, this.#silenceRms)) {
        // Silence: drop or repeat freely, up to the whole frame.
        const excessMs = error > 0 ? error - accelerateAbove / 2 : -error;
        const excessSamples = Math.floor((excessMs * this.sampleRate) / 1000);
        const change = Math.min(produced, Math.max(0, excessSamples));
        if (error > 0) {
          this.#accelerated += change;
          this.#append(frame, produced - change);
        } else {
          this.#expanded += change;
          this.#append(frame, produced);
          this.#append(frame, change);
        }
        return;
      }
      const period = findPitchPeriod(frame, produced, this.sampleRate);
      if (period > 0) {
        if (error > 0) {
          // Remove pitch periods in place while the excess lasts (several when far behind).
          const excessSamples = ((error - accelerateAbove / 2) * this.sampleRate) / 1000;
          let length = crossfadeRemove(frame, produced, period, frame);
          for (let n = 1; n < MAX_PERIODS_REMOVED && produced - length < excessSamples; n++) {
            const next = findPitchPeriod(frame, length, this.sampleRate);
            if (next === 0) break;
            length = crossfadeRemove(frame, length, next, frame);
          }
          this.#accelerated += produced - length;
          this.#append(frame, length);
        } else {
          const length = crossfadeInsert(frame, produced, period, this.#stretch);
          this.#expanded += length - produced;
          this.#append(this.#stretch, length);
        }
        return;
      }
    }
    this.#append(frame, produced);
  }

  /**
   * A concealment length the decoder accepts: a multiple of 2.5 ms (the Opus granularity; any
   * length suits G.711), at least one such step, within the scratch buffer.
   */
  #concealable(samples: number): number {
    const step = this.sampleRate / 400;
    const steps = Math.max(1, Math.round(samples / step));
    return Math.min(Math.floor(this.#scratch.length / step), steps) * step;
  }

  /** Fills the scratch buffer with the decoder's concealment (silence if it has none). */
  #conceal(samples: number): number {
    const produced = this.#decoderCall('conceal', undefined, samples, -1);
    const filled = produced > 0 ? produced : samples;
    if (produced === 0) this.#scratch.fill(0, 0, filled);
    return filled;
  }

  /** Counts `samples` as concealment of lost or late packets. */
  #settleConcealed(samples: number): void {
    this.#concealedSamples += samples;
    this.#concealedSinceLastPlay += samples;
  }

  /**
   * The packet due is given up (lost, or late): the concealment that moved the timeline on
   * while it was awaited stood in for it, up to one frame; more than that was a pause of the
   * sender around the loss (the first packet of a talkspurt lost) and stays uncounted until
   * a packet plays.
   */
  #settleProvisionalAsConcealed(): void {
    const frame = this.#frameTs / this.#tsPerSample;
    const samples =
      frame > 0 ? Math.min(this.#provisionalSamples, frame) : this.#provisionalSamples;
    this.#settleConcealed(samples);
    this.#provisionalSamples -= samples;
  }

  /**
   * Runs one decoder call into `out` (without a closure: this is per packet); a
   * decoder that throws on a corrupt payload must not stall playout, so its failure counts as
   * producing nothing (and is concealed by the caller).
   */
  #decoderCall(
    kind: 'decode' | 'fec' | 'conceal',
    payload: Uint8Array | undefined,
    samples: number,
    payloadType: number,
    out = this.#scratch,
  ): number {
    try {
      if (kind === 'conceal' || payload === undefined) return this.#decoder.conceal(out, samples);
      if (kind === 'decode') return this.#decoder.decode(payload, out, payloadType);
      return this.#decoder.decodeFec?.(payload, out, samples) ?? 0;
    } catch {
      this.#decodeErrors++;
      return 0;
    }
  }

  #declareMissing(): void {
    this.#settleProvisionalAsConcealed();
    this.#missedSeq[this.#nextSeq & this.#mask] = this.#nextSeq;
    this.#missing++;
    this.#nextSeq++;
  }

  /**
   * Whether a packet that arrived after playout passed its time can still be played by taking
   * the timeline back to it: when nothing after it has been played (all since was concealment,
   * as when a delay spike outlasted the patience), playing it now only turns that concealment
   * into waiting, which acceleration gives back. Bounded by the maximum delay.
   */
  #canRewindTo(extSeq: number, extTs: number): boolean {
    return (
      this.mode === 'adaptive' &&
      this.#playing &&
      this.#lastPlayedSeq < extSeq &&
      this.#nextSeq - extSeq <= this.#mask &&
      (this.#decodedTs - extTs) * this.#msPerTs <= this.#maxDelayMs
    );
  }

  #rewind(extSeq: number, extTs: number): void {
    for (let seq = extSeq; seq < this.#nextSeq; seq++) {
      const index = seq & this.#mask;
      if (this.#missedSeq[index] === seq) {
        this.#missedSeq[index] = -1;
        this.#missing--;
      }
    }
    // When nothing was lost between the last packet played and this one, what was concealed
    // since turns out to have been waiting for it.
    if (extSeq === this.#lastPlayedSeq + 1) {
      this.#concealedSamples -= this.#concealedSinceLastPlay;
      this.#waitingSamples += this.#concealedSinceLastPlay;
      this.#concealedSinceLastPlay = 0;
    }
    this.#waitingSamples += this.#provisionalSamples;
    this.#provisionalSamples = 0;
    this.#nextSeq = Math.min(this.#nextSeq, extSeq);
    this.#decodedTs = extTs;
    this.#rewinds++;
  }

  /** Drops what the timeline has already passed: late packets and gaps before them. */
  #skipPassed(): void {
    const halfFrame = this.#frameTs / 2;
    for (;;) {
      const slot = this.#slots[this.#nextSeq & this.#mask]!;
      if (slot.extSeq === this.#nextSeq) {
        if (slot.extTs + halfFrame > this.#decodedTs || halfFrame === 0) return;
        this.#vacate(slot);
        this.#buffered--;
        this.#late++;
        this.#settleProvisionalAsConcealed();
      } else {
        const later = this.#findLater();
        if (later === undefined || later.extTs + halfFrame > this.#decodedTs) return;
        this.#settleProvisionalAsConcealed();
        this.#missedSeq[this.#nextSeq & this.#mask] = this.#nextSeq;
        this.#missing++;
      }
      this.#nextSeq++;
    }
  }

  /**
   * Copies a payload into a slot. A native copy needs a view of the payload: views (one per
   * length, as Opus payload lengths vary) are kept of the place the last packets came in, so a
   * caller that receives into a reused buffer (a socket's, the session's SRTP buffer) costs no
   * allocation, whatever view of it each packet comes in. A packet somewhere new costs one view
   * (a byte loop over a payload takes longer than cutting a view and copying natively).
   */
  #copyPayload(target: Uint8Array, bytes: Uint8Array, offset: number, length: number): void {
    const memory = bytes.buffer;
    const start = bytes.byteOffset + offset;
    if (memory === this.#viewedMemory && start === this.#viewedStart) {
      let view = this.#payloadViews[length];
      if (view === undefined) {
        view = this.#payloadViews[length] = new Uint8Array(memory, start, length);
      }
      target.set(view);
      return;
    }
    if (memory !== this.#lastMemory || start !== this.#lastStart) {
      // Somewhere new: remember it; if the next packet comes there too, keep views of it then.
      this.#lastMemory = memory;
      this.#lastStart = start;
      target.set(bytes.subarray(offset, offset + length));
      return;
    }
    this.#viewedMemory = memory;
    this.#viewedStart = start;
    this.#payloadViews.length = 0;
    const view = (this.#payloadViews[length] = new Uint8Array(memory, start, length));
    target.set(view);
  }

  /**
   * The slot's payload as a view of its exact length, for the decoder: the slot's storage when
   * the payload fills it (fixed-size codecs: storage fits the first payload), otherwise a copy in a staging
   * buffer seen through one view per length (variable-size codecs such as Opus), so a payload
   * length that changes with every packet costs no allocation.
   */
  #payloadOf(slot: Slot): Uint8Array {
    const length = slot.length;
    if (slot.bytes.length === length) return slot.bytes;
    let view = this.#stagingViews[length];
    if (view === undefined) view = this.#stagingViews[length] = this.#staging.subarray(0, length);
    // One native copy of the whole slot (no larger than the staging buffer) beats a byte loop.
    this.#staging.set(slot.bytes);
    return view;
  }

  /** Empties a slot; its storage goes back to #freePayloads. */
  #vacate(slot: Slot): void {
    slot.extSeq = -1;
    if (slot.bytes.length > 0) this.#freePayloads.push(slot.bytes);
    slot.bytes = NO_PAYLOAD;
  }

  #findLater(): Slot | undefined {
    for (let seq = this.#nextSeq + 1; seq <= this.#highestExtSeq; seq++) {
      const slot = this.#slots[seq & this.#mask]!;
      if (slot.extSeq === seq) return slot;
    }
    return undefined;
  }

  /** Audio for a gap the sender left on purpose: the decoder's comfort noise, or silence. */
  #appendGap(samples: number): void {
    if (this.#decoder.fillSilence === undefined || samples > this.#scratch.length) {
      this.#appendSilence(samples);
      return;
    }
    const produced = this.#decoder.fillSilence(this.#scratch, samples);
    this.#append(this.#scratch, produced);
  }

  #appendSilence(samples: number): void {
    const n = Math.min(samples, this.#sync.length - this.#syncLength);
    this.#sync.fill(0, this.#syncLength, this.#syncLength + n);
    this.#syncLength += n;
  }

  /**
   * Where to decode the next packet: straight after the audio not yet read (see #decodeView),
   * or #scratch when a whole frame would not fit there.
   */
  #decodeTarget(): Int16Array {
    const at = this.#syncLength;
    if (at !== this.#decodeAt) {
      if (at + this.#scratch.length > this.#sync.length) return this.#scratch;
      this.#decodeView = this.#sync.subarray(at, at + this.#scratch.length);
      this.#decodeAt = at;
    }
    return this.#decodeView;
  }

  #append(source: Int16Array, samples: number): void {
    const n = Math.min(samples, this.#sync.length - this.#syncLength);
    if (source === this.#decodeView) {
      // Decoded in place after the audio not yet read; appended again (a repeat), it is copied.
      const from = this.#decodeAt;
      if (this.#syncLength !== from) this.#sync.copyWithin(this.#syncLength, from, from + n);
      this.#syncLength += n;
      return;
    }
    if (source === this.#scratch) {
      // Frames repeat their length: a native copy from a view kept per length.
      if (this.#scratchView.length !== n) this.#scratchView = source.subarray(0, n);
      this.#sync.set(this.#scratchView, this.#syncLength);
    } else {
      const sync = this.#sync;
      const at = this.#syncLength;
      for (let i = 0; i < n; i++) sync[at + i] = source[i]!;
    }
    this.#syncLength += n;
  }
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}
