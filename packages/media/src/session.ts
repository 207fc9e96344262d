import {
  RTP_FIXED_HEADER_LENGTH,
  ReceiverStatistics,
  RtcpScheduler,
  RtpError,
  RtpPacket,
  SenderStatistics,
  TelephoneEventReceiver,
  buildReport,
  digitToEvent,
  parseRtcp,
  writeRtcp,
  writeTelephoneEvent,
} from '@callbridge/rtp';
import type { RtcpPacket, TelephoneEventNotice } from '@callbridge/rtp';
import { SrtpContext, SrtpError } from '@callbridge/srtp';
import { codecRegistry, createResampler, parseFmtp } from '@callbridge/codecs';
import type { AudioCodec, CodecRegistry, Resampler, ResamplerOptions } from '@callbridge/codecs';
import { systemClock } from './clock.js';
import type { Clock, TimerHandle } from './clock.js';
import { LegDecoder } from './codec-decoder.js';
import { DtmfDetector } from './dtmf/detector.js';
import type { DtmfDigit } from './dtmf/digits.js';
import { DtmfGenerator } from './dtmf/generator.js';
import { formatDtmfInfo, parseDtmfInfo } from './dtmf/sip-info.js';
import { parseDigit } from './dtmf/digits.js';
import { MediaError } from './errors.js';
import { TypedEmitter } from './events.js';
import { AdaptiveJitterBuffer } from './jitter-buffer.js';
import type { JitterBufferOptions } from './jitter-buffer.js';
import { SeededRandom } from './random.js';

import { StreamRewriter } from './rewriter.js';
import type {
  DtmfMode,
  LegConfig,
  LegId,
  LegStatistics,
  MediaSessionEvents,
  PathMode,
  PayloadFormat,
  TelephoneEventFormat,
} from './session-types.js';

export type ResamplerFactory = (options: ResamplerOptions) => Promise<Resampler>;

export interface MediaSessionOptions {
  readonly a: LegConfig;
  readonly b: LegConfig;
  readonly clock?: Clock;
  /** Codec implementations (default: the process-wide registry of `@callbridge/codecs`). */
  readonly codecs?: CodecRegistry;
  /** Creates sample-rate converters (default: the speexdsp resampler of `@callbridge/codecs`). */
  readonly createResampler?: ResamplerFactory;
  /** Report a leg `inactive` after this long without RTP or RTCP (default 30 s; 0 disables). */
  readonly inactivityTimeoutMs?: number;
  /**
   * Session bandwidth per leg in bit/s for the RTCP interval (RFC 3550 §6.2: RTCP gets 5%;
   * intervals are at least 5 s). Default 80 000 (G.711 with headers); 0 sends no RTCP.
   */
  readonly rtcpSessionBandwidth?: number;
  /** Play a soft tone to the other leg while a leg is on hold (default false: silence). */
  readonly holdTone?: boolean;
  /** Jitter buffer settings of transcoding paths. */
  readonly jitterBuffer?: Omit<JitterBufferOptions, 'clock' | 'decoder' | 'clockRate'>;
  /** Seed for SSRCs and RTCP timing (default: random). */
  readonly seed?: number;
}

const MAX_PACKET = 1500;
/** Room for the SRTP tag and MKI after the largest packet. */
const BUFFER_SIZE = MAX_PACKET + 64;
/** SSRC of audio we generate ourselves; the outgoing rewriter maps it like any other source. */
const GENERATED_SOURCE = 0x6d656469;
const KEYFRAME_REQUEST_INTERVAL_MS = 300;
/** RFC 4733 §2.5.1.2: redundant end packets. */
const END_PACKETS = 3;

/** Byte views of one buffer, one per length, created on first use so steady state allocates nothing. */
class ViewCache {
  readonly buffer = new Uint8Array(BUFFER_SIZE);
  readonly #views: (Uint8Array | undefined)[] = [];
  view(length: number): Uint8Array {
    let view = this.#views[length];
    if (view === undefined) {
      view = this.buffer.subarray(0, length);
      this.#views[length] = view;
    }
    return view;
  }
}

interface Counters {
  rtpReceived: number;
  rtpSent: number;
  rtcpReceived: number;
  rtcpSent: number;
  srtpFailures: number;
  discarded: number;
  suppressed: number;
}

/** What an RTP payload type carries on a leg (`Leg.payloadKinds`). */
type PayloadKind =
  typeof NO_PAYLOAD | typeof AUDIO_PAYLOAD | typeof EVENT_PAYLOAD | typeof VIDEO_PAYLOAD;
const NO_PAYLOAD = 0;
/** A codec format of the leg, or RFC 3389 comfort noise. */
const AUDIO_PAYLOAD = 1;
const EVENT_PAYLOAD = 2;
const VIDEO_PAYLOAD = 3;

/** The runtime state of one leg. */
class Leg {
  readonly id: LegId;
  config: LegConfig;
  srtpSend: SrtpContext | undefined;
  srtpReceive: SrtpContext | undefined;
  readonly audioOut: StreamRewriter;
  readonly videoOut: StreamRewriter;
  audioFormats = new Map<number, PayloadFormat>();
  videoFormats = new Map<number, PayloadFormat>();
  telephoneEvents = new Map<number, TelephoneEventFormat>();
  comfortNoisePayloadType = -1;
  /**
   * What each RTP payload type carries (a `PayloadKind`) and its clock rate: one array read per
   * packet instead of a lookup in each format map.
   */
  readonly payloadKinds = new Uint8Array(128);
  readonly payloadClockRates = new Int32Array(128);
  /** Derived from `config` by applyConfig (read per packet and per frame). */
  primaryAudio: PayloadFormat | undefined;
  ptime = 20;
  dtmfMode: DtmfMode = 'inband';
  /** Whether its SDP lets us send it audio at all (a held leg may still hear a hold tone). */
  acceptsAudio = true;
  /** Whether its SDP says it sends media. */
  sendsMedia = true;
  held = false;
  /** While held: the leg that hears the hold tone (when the session plays one). */
  holdToneTo: LegId | 'none' = 'none';
  lastReceivedAt: number;
  inactiveReported = false;
  readonly reception = new Map<number, ReceiverStatistics>();
  /** The entry of `reception` the last packet counted in (packets come in runs per source). */
  lastReception: ReceiverStatistics | undefined;
  audioSender: SenderStatistics;

  /** Reception statistics of the source whose video / audio arrived last (RTCP, statistics()). */
  videoSource: ReceiverStatistics | undefined = undefined;
  audioSource: ReceiverStatistics | undefined = undefined;
  lastKeyframeRequestAt = -Infinity;
  /** Codec of this leg's first audio format: decodes what it sends, encodes what it gets. */
  codec: AudioCodec | undefined;
  decoder: LegDecoder | undefined;
  readonly receive = new ViewCache();
  readonly send = new Uint8Array(BUFFER_SIZE);
  readonly generated = new ViewCache();
  view: RtpPacket | undefined;
  readonly counters: Counters = {
    rtpReceived: 0,
    rtpSent: 0,
    rtcpReceived: 0,
    rtcpSent: 0,
    srtpFailures: 0,
    discarded: 0,
    suppressed: 0,
  };
  rtcpScheduler: RtcpScheduler | undefined;
  sentSinceReport = false;

  constructor(id: LegId, config: LegConfig, clock: Clock, rng: SeededRandom) {
    this.id = id;
    this.config = config;
    const audioRate = config.audio?.formats[0]?.clockRate ?? 8000;
    this.audioOut = new StreamRewriter(rng.nextUint32(), audioRate, clock);
    this.videoOut = new StreamRewriter(rng.nextUint32(), 90000, clock, false);
    this.audioSender = new SenderStatistics(this.audioOut.ssrc, audioRate);
    this.lastReceivedAt = clock.now();
    this.applyConfig(config);
  }

  applyConfig(config: LegConfig): void {
    checkPayloadTypes(this.id, config);
    const keysChanged = config.srtp !== this.config.srtp || this.srtpSend === undefined;
    this.config = config;
    if (keysChanged) {
      this.srtpSend = config.srtp ? new SrtpContext(config.srtp.send) : undefined;
      this.srtpReceive = config.srtp ? new SrtpContext(config.srtp.receive) : undefined;
    }
    this.audioFormats = new Map((config.audio?.formats ?? []).map((f) => [f.payloadType, f]));
    this.videoFormats = new Map((config.video?.formats ?? []).map((f) => [f.payloadType, f]));
    this.telephoneEvents = new Map(
      (config.audio?.telephoneEvents ?? []).map((t) => [t.payloadType, t]),
    );
    this.comfortNoisePayloadType = config.audio?.comfortNoisePayloadType ?? -1;
    this.primaryAudio = config.audio?.formats[0];
    this.ptime = config.audio?.ptime ?? 20;
    this.dtmfMode = config.dtmf ?? (this.telephoneEvents.size > 0 ? 'rfc4733' : 'inband');
    const direction = config.direction ?? 'sendrecv';
    this.acceptsAudio = direction === 'sendrecv' || direction === 'recvonly';
    this.sendsMedia = direction === 'sendrecv' || direction === 'sendonly';
    // Later kinds win where payload types clash, as the maps were consulted video first.
    this.payloadKinds.fill(NO_PAYLOAD);
    this.#mapPayloadTypes(this.audioFormats.values(), AUDIO_PAYLOAD);
    if (this.comfortNoisePayloadType >= 0) {
      const pt = this.comfortNoisePayloadType;
      if (this.payloadKinds[pt] === NO_PAYLOAD) {
        this.payloadKinds[pt] = AUDIO_PAYLOAD;
        this.payloadClockRates[pt] = 8000;
      }
    }
    this.#mapPayloadTypes(this.telephoneEvents.values(), EVENT_PAYLOAD);
    this.#mapPayloadTypes(this.videoFormats.values(), VIDEO_PAYLOAD);
  }

  #mapPayloadTypes(
    formats: Iterable<{ readonly payloadType: number; readonly clockRate: number }>,
    kind: PayloadKind,
  ): void {
    for (const { payloadType, clockRate } of formats) {
      this.payloadKinds[payloadType] = kind;
      this.payloadClockRates[payloadType] = clockRate;
    }
  }

  /** Whether the leg may send us media (its SDP says so and it is not held). */
  get sends(): boolean {
    return !this.held && this.sendsMedia;
  }
  /** Whether we may send the leg media. */
  get receives(): boolean {
    return !this.held && this.acceptsAudio;
  }
  /** The telephone-event format to send, preferring the audio clock rate (RFC 4733 §2.1). */
  telephoneEventOut(): TelephoneEventFormat | undefined {
    const rate = this.primaryAudio?.clockRate;
    let chosen: TelephoneEventFormat | undefined;
    for (const t of this.telephoneEvents.values()) {
      if (chosen === undefined || t.clockRate === rate) chosen = t;
    }
    return chosen;
  }
  statistics(): LegStatistics {
    const audio = this.audioSource;
    return {
      ...this.counters,
      ...(audio !== undefined && audio.packetsReceived > 1
        ? { audioJitterMs: (audio.jitter / audio.clockRate) * 1000 }
        : {}),
    };
  }
}

function sameFormat(a: PayloadFormat, b: PayloadFormat): boolean {
  return (
    a.name.toLowerCase() === b.name.toLowerCase() &&
    a.clockRate === b.clockRate &&
    (a.channels ?? 1) === (b.channels ?? 1) &&
    (a.name.toUpperCase() !== 'H264' || sameH264Stream(a, b))
  );
}

/**
 * Whether H.264 relayed from one format can be sent as the other: RFC 6184 §8.2.2 makes formats
 * with another packetization-mode (default 0) or another profile (profile_idc, the first octet
 * of profile-level-id, default 0x42) different streams; the level may differ.
 */
/**
 * RTP carries the payload type in 7 bits (RFC 3550 §5.1): a leg whose formats name another
 * number is refused before anything of it is applied, rather than failing per packet.
 */
function checkPayloadTypes(leg: LegId, config: LegConfig): void {
  const audio = config.audio;
  const payloadTypes = [
    ...(audio?.formats ?? []),
    ...(audio?.telephoneEvents ?? []),
    ...(config.video?.formats ?? []),
  ].map((f) => f.payloadType);
  if (audio?.comfortNoisePayloadType !== undefined)
    payloadTypes.push(audio.comfortNoisePayloadType);
  for (const payloadType of payloadTypes) {
    if (!Number.isInteger(payloadType) || payloadType < 0 || payloadType > 127) {
      throw new MediaError(
        'INVALID_ARGUMENT',
        `leg ${leg}: payload type ${payloadType} is not in 0..127`,
      );
    }
  }
}

function sameH264Stream(a: PayloadFormat, b: PayloadFormat): boolean {
  const params = (format: PayloadFormat) => {
    const fmtp = parseFmtp(format.fmtp);
    return {
      mode: fmtp['packetization-mode'] ?? '0',
      profile: (fmtp['profile-level-id'] ?? '42000a').slice(0, 2).toLowerCase(),
    };
  };
  const x = params(a);
  const y = params(b);
  return x.mode === y.mode && x.profile === y.profile;
}

/** DTMF digit travelling towards a leg. */
interface OutgoingDigit {
  readonly digit: DtmfDigit;
  /** Known once the digit has ended; undefined while it lasts. */
  durationMs: number | undefined;
  startedAt: number;
  /** RFC 4733 state: timestamp of the event and packets sent. */
  eventTimestamp: number;
  endPacketsSent: number;
}

/**
 * Media from one leg (`from`) to the other (`to`). Audio: relay with payload-type mapping, or
 * transcoding (jitter buffer, decode with concealment, resample, encode at the target ptime),
 * plus DTMF conversion and generated audio (tones, hold tone) that share the target's stream.
 * Video: relay with payload-type mapping.
 */
class AudioPath {
  readonly from: Leg;
  readonly to: Leg;
  mode: PathMode = 'none';
  /** Relay: payload type from `from` to `to`, -1 for none. */
  readonly payloadTypeMap = new Int16Array(128).fill(-1);
  jitterBuffer: AdaptiveJitterBuffer | undefined;
  resampler: Resampler | undefined;
  /** PCM at the source rate read from the jitter buffer per tick. */
  sourceFrame = new Int16Array(0);
  /** The first frame's worth of `pending` (see #produceFrame), and the array it views. */
  pendingHead = new Int16Array(0);
  pendingHeadOf: Int16Array | undefined;
  /** PCM at the target rate waiting to be encoded. */
  pending = new Int16Array(0);
  pendingLength = 0;
  targetFrame = new Int16Array(0);
  generator: DtmfGenerator | undefined;
  holdTone: HoldTone | undefined;
  detector: DtmfDetector | undefined;
  readonly receiver = new TelephoneEventReceiver({ timeoutMs: 500 });
  readonly digits: OutgoingDigit[] = [];
  /** Whether the path produces a frame every ptime (see MediaSession#playout). */
  ticking = false;
  nextTickAt = 0;
  /** Generated stream counters (our own source, rewritten into the target's stream). */
  generatedSeq = 0;
  generatedTs = 0;
  generatedMarker = true;
  generating = false;
  /** PCM decoded only for DTMF detection while relaying. */
  detectorScratch = new Int16Array(0);
  /** Relay: video payload type from `from` to `to`, -1 for none. */
  readonly videoPayloadTypeMap = new Int16Array(128).fill(-1);

  constructor(from: Leg, to: Leg) {
    this.from = from;
    this.to = to;
  }

  /** Clock rate of the telephone-event format `from` used last. */
  currentEventRate = 8000;
}

/** A gentle 425 Hz beep, 200 ms every 4 s, for the party of a call on hold. */
class HoldTone {
  readonly #sampleRate: number;
  #position = 0;
  constructor(sampleRate: number) {
    this.#sampleRate = sampleRate;
  }
  render(out: Int16Array, length: number): void {
    const period = this.#sampleRate * 4;
    const on = this.#sampleRate * 0.2;
    for (let i = 0; i < length; i++) {
      const p = this.#position++ % period;
      out[i] = p < on ? Math.round(2000 * Math.sin((2 * Math.PI * 425 * p) / this.#sampleRate)) : 0;
    }
  }
}

/**
 * The media of one call between two legs. Packets received on one leg go out on the other:
 * relayed with SSRC/sequence/timestamp rewriting when both legs share a codec, transcoded
 * otherwise. RTCP is terminated on each leg (our own SR/RR; PLI/FIR/NACK translated), DTMF is
 * converted between RFC 4733, SIP INFO and in-band tones per leg, hold and inactivity are
 * tracked. Create with {@link MediaSession.create}; feed packets with {@link receiveRtp} and
 * {@link receiveRtcp}; packets leave through each leg's {@link MediaTransport}.
 */
export class MediaSession extends TypedEmitter<MediaSessionEvents> {
  readonly #clock: Clock;
  readonly #codecs: CodecRegistry;
  readonly #createResampler: ResamplerFactory;
  readonly #inactivityTimeoutMs: number;
  readonly #rtcpSessionBandwidth: number;
  readonly #holdToneEnabled: boolean;
  readonly #jitterBufferOptions: Omit<JitterBufferOptions, 'clock' | 'decoder' | 'clockRate'>;
  readonly #rng: SeededRandom;
  readonly #a: Leg;
  readonly #b: Leg;
  readonly #aToB: AudioPath;
  readonly #bToA: AudioPath;
  readonly #rtcpBuffer = new Uint8Array(BUFFER_SIZE);
  readonly #rtcpOut = new Uint8Array(BUFFER_SIZE);
  #inactivityTimer: TimerHandle | undefined;
  /**
   * One playout timer for both paths, due when the first of them is: the two directions of a
   * call start together and usually share a ptime, so one timer per frame serves both.
   */
  #playoutTimer: TimerHandle | undefined;
  #playoutDue = 0;
  readonly #onPlayoutTimer: () => void;
  #closed = false;
  #switching = false;

  private constructor(options: MediaSessionOptions) {
    super();
    this.#clock = options.clock ?? systemClock;
    this.#codecs = options.codecs ?? codecRegistry;
    this.#createResampler = options.createResampler ?? createResampler;
    this.#inactivityTimeoutMs = options.inactivityTimeoutMs ?? 30_000;
    this.#rtcpSessionBandwidth = options.rtcpSessionBandwidth ?? 80_000;
    this.#holdToneEnabled = options.holdTone ?? false;
    this.#jitterBufferOptions = options.jitterBuffer ?? {};
    this.#rng = new SeededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
    this.#a = new Leg('a', options.a, this.#clock, this.#rng);
    this.#b = new Leg('b', options.b, this.#clock, this.#rng);
    this.#aToB = new AudioPath(this.#a, this.#b);
    this.#bToA = new AudioPath(this.#b, this.#a);
    // One callback for the playout timer, not a closure per frame.
    this.#onPlayoutTimer = () => this.#playout();
  }

  /** Creates the media of a call; codecs (WebAssembly ones included) are loaded first. */
  static async create(options: MediaSessionOptions): Promise<MediaSession> {
    const session = new MediaSession(options);
    await session.#configure();
    session.#startRtcp(session.#a);
    session.#startRtcp(session.#b);
    session.#scheduleInactivityCheck();
    return session;
  }

  /** How audio currently flows from `leg` to the other one. */
  mode(from: LegId): PathMode {
    return this.#path(from).mode;
  }

  statistics(leg: LegId): LegStatistics {
    return this.#leg(leg).statistics();
  }

  /** Jitter buffer report of the transcoding path from `leg`, if it transcodes. */
  jitterBufferReport(from: LegId): ReturnType<AdaptiveJitterBuffer['report']> | undefined {
    return this.#path(from).jitterBuffer?.report();
  }

  /**
   * Hands the session one RTP (or SRTP) packet received on `leg`. The bytes may be modified in
   * place (headers are rewritten where they lie).
   */
  receiveRtp(leg: LegId, data: Uint8Array): void {
    if (this.#closed) return;
    const from = this.#leg(leg);
    from.counters.rtpReceived++;
    from.lastReceivedAt = this.#clock.now();
    from.inactiveReported = false;
    // Larger than any media packet on a 1500-octet path, and than our buffers: not ours.
    if (data.length > MAX_PACKET) {
      from.counters.discarded++;
      return;
    }
    let bytes = data;
    if (from.srtpReceive !== undefined) {
      try {
        bytes = from.receive.view(from.srtpReceive.unprotectRtpInto(data, from.receive.buffer, 0));
      } catch (error) {
        if (!(error instanceof SrtpError)) throw error;
        from.counters.srtpFailures++;
        return;
      }
    }
    let packet: RtpPacket;
    try {
      packet =
        from.view === undefined ? (from.view = RtpPacket.parse(bytes)) : from.view.wrap(bytes);
    } catch (error) {
      if (!(error instanceof RtpError)) throw error;
      from.counters.discarded++;
      return;
    }
    if (!from.sends) {
      from.counters.suppressed++;
      return;
    }
    const payloadType = packet.payloadType;
    const path = from === this.#a ? this.#aToB : this.#bToA;
    const kind = from.payloadKinds[payloadType];
    if (kind === AUDIO_PAYLOAD) {
      from.audioSource = this.#count(from, packet, from.payloadClockRates[payloadType]!);
      this.#onAudio(path, packet);
    } else if (kind === VIDEO_PAYLOAD) {
      from.videoSource = this.#count(from, packet, from.payloadClockRates[payloadType]!);
      this.#relayVideo(path, packet);
    } else if (kind === EVENT_PAYLOAD) {
      this.#count(from, packet, from.payloadClockRates[payloadType]!);
      this.#onTelephoneEvent(path, packet, from.telephoneEvents.get(payloadType)!);
    } else {
      from.counters.discarded++;
    }
  }

  /** Hands the session one RTCP (or SRTCP) compound packet received on `leg`. */
  receiveRtcp(leg: LegId, data: Uint8Array): void {
    if (this.#closed) return;
    const from = this.#leg(leg);
    from.counters.rtcpReceived++;
    from.lastReceivedAt = this.#clock.now();
    from.inactiveReported = false;
    let bytes = data;
    if (from.srtpReceive !== undefined) {
      try {
        bytes = from.srtpReceive.unprotectRtcp(data);
      } catch (error) {
        if (!(error instanceof SrtpError)) throw error;
        from.counters.srtpFailures++;
        return;
      }
    }
    let packets: RtcpPacket[];
    try {
      packets = parseRtcp(bytes);
    } catch (error) {
      if (!(error instanceof RtpError)) throw error;
      from.counters.discarded++;
      return;
    }
    const to = from === this.#a ? this.#b : this.#a;
    const now = this.#clock.now();
    for (const packet of packets) {
      switch (packet.type) {
        case 'sr':
          from.reception.get(packet.ssrc)?.receiveSenderReport(packet, now);
          break;
        case 'pli':
        case 'fir':
          // The leg lost our video: ask the source on the other leg for a keyframe.
          if (packet.mediaSsrc === from.videoOut.ssrc || packet.type === 'fir')
            this.#requestKeyframeFrom(to);
          break;
        case 'nack':
          if (packet.mediaSsrc === from.videoOut.ssrc)
            this.#forwardNack(from, to, packet.lostSequenceNumbers);
          break;
        default:
          break;
      }
    }
  }

  /** A SIP INFO with a DTMF body arrived on `leg` (RFC 4733 alternative for SIP-only peers). */
  receiveSipInfo(leg: LegId, contentType: string, body: string): void {
    const info = parseDtmfInfo(contentType, body);
    const path = this.#path(leg);
    const durationMs = info.durationMs ?? 250;
    this.#digitStarted(path, info.digit, 'sip-info');
    this.#digitEnded(path, info.digit, durationMs, 'sip-info');
  }

  /** Sends a digit to `leg` in that leg's DTMF mode (an application's own digit). */
  sendDtmf(leg: LegId, digit: DtmfDigit, durationMs = 160): void {
    const path = leg === 'a' ? this.#bToA : this.#aToB;
    this.#queueDigit(path, digit, durationMs);
  }

  /** The SIP side of `leg` asked for a keyframe (RFC 5168 INFO): ask the other leg's source. */
  requestKeyframe(leg: LegId): void {
    this.#requestKeyframeFrom(leg === 'a' ? this.#b : this.#a);
  }

  /**
   * Puts `leg` on hold or resumes it: while held nothing is forwarded to or from it and its
   * silence does not count as inactivity. With the `holdTone` option, `toneTo` hears the hold
   * tone instead of silence while `leg` is held: by default the other leg; it may be the held leg
   * itself (the party put on hold hears it, as far as its SDP direction lets us send), or `none`.
   */
  setHold(leg: LegId, held: boolean, toneTo: LegId | 'none' = leg === 'a' ? 'b' : 'a'): void {
    const target = this.#leg(leg);
    target.holdToneTo = held ? toneTo : 'none';
    if (target.held !== held) {
      target.held = held;
      target.lastReceivedAt = this.#clock.now();
      const other = target === this.#a ? this.#b : this.#a;
      // The stream towards each leg restarts when media resumes.
      target.audioOut.newSource();
      other.audioOut.newSource();
    }
    for (const path of [this.#aToB, this.#bToA]) {
      const { id, codec } = path.to;
      const wanted =
        this.#holdToneEnabled && (this.#a.holdToneTo === id || this.#b.holdToneTo === id);
      if (!wanted || codec === undefined) path.holdTone = undefined;
      else path.holdTone ??= new HoldTone(codec.sampleRate);
      this.#updateTicker(path);
    }
  }

  /**
   * Applies a re-INVITE's outcome to `leg`: new formats, keys, direction or transport. The new
   * paths are prepared before the switch, so audio continues without a gap longer than a frame.
   */
  async updateLeg(leg: LegId, config: LegConfig): Promise<void> {
    const target = this.#leg(leg);
    const previous = target.primaryAudio;
    target.applyConfig(config);
    const next = target.primaryAudio;
    if (previous !== undefined && next !== undefined && !sameFormat(previous, next)) {
      target.audioOut.newSource(next.clockRate);
      if (next.clockRate !== target.audioSender.clockRate) {
        target.audioSender = new SenderStatistics(target.audioOut.ssrc, next.clockRate);
      }
    }
    await this.#configure();
  }

  /** Stops everything; packets received afterwards are ignored. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const path of [this.#aToB, this.#bToA]) this.#stopTicker(path);
    for (const leg of [this.#a, this.#b]) {
      leg.rtcpScheduler?.stop();
      leg.codec?.close();
    }
    for (const path of [this.#aToB, this.#bToA]) path.resampler?.close();
    if (this.#inactivityTimer !== undefined) this.#clock.clearTimeout(this.#inactivityTimer);
  }

  // ---- configuration -------------------------------------------------------------------------

  #leg(id: LegId): Leg {
    if (id === 'a') return this.#a;
    if (id === 'b') return this.#b;
    throw new MediaError('INVALID_ARGUMENT', `leg must be 'a' or 'b', got ${String(id)}`);
  }

  #path(from: LegId): AudioPath {
    return from === 'a' ? this.#aToB : this.#bToA;
  }

  /** (Re)builds codecs and both audio paths from the legs' current configuration. */
  async #configure(): Promise<void> {
    if (this.#switching)
      throw new MediaError('INVALID_STATE', 'a leg update is already in progress');
    this.#switching = true;
    try {
      const plans = [this.#planPath(this.#aToB), this.#planPath(this.#bToA)];
      // Everything that may await happens before the switch.
      const codecs = await Promise.all([
        this.#prepareCodec(this.#a, plans),
        this.#prepareCodec(this.#b, plans),
      ]);
      const resamplers = await Promise.all(
        [this.#aToB, this.#bToA].map((path, i) => this.#prepareResampler(path, plans[i]!, codecs)),
      );
      // The switch itself is synchronous: no packet sees a half-built path.
      this.#installCodec(this.#a, codecs[0]);
      this.#installCodec(this.#b, codecs[1]);
      this.#installPath(this.#aToB, plans[0]!, resamplers[0]);
      this.#installPath(this.#bToA, plans[1]!, resamplers[1]);
    } finally {
      this.#switching = false;
    }
  }

  #planPath(path: AudioPath): PathMode {
    const source = path.from.primaryAudio;
    const target = path.to.primaryAudio;
    if (source === undefined || target === undefined) return 'none';
    const relay = [...path.to.audioFormats.values()].some((f) => sameFormat(f, source));
    return relay ? 'relay' : 'transcode';
  }

  /** Whether a leg needs a codec instance: transcoding, or tones/detection in its audio. */
  #needsCodec(leg: Leg, plans: PathMode[]): boolean {
    if (leg.primaryAudio === undefined) return false;
    if (plans.includes('transcode')) return true;
    const other = leg === this.#a ? this.#b : this.#a;
    const inbandOut = leg.dtmfMode === 'inband' && other.dtmfMode !== 'inband';
    return inbandOut || this.#holdToneEnabled;
  }

  async #prepareCodec(leg: Leg, plans: PathMode[]): Promise<AudioCodec | undefined> {
    const format = leg.primaryAudio;
    if (format === undefined || !this.#needsCodec(leg, plans)) return undefined;
    const current = leg.codec;
    if (
      current !== undefined &&
      current.name.toLowerCase() === format.name.toLowerCase() &&
      current.clockRate === format.clockRate
    ) {
      return current;
    }
    try {
      return await this.#codecs.create(
        {
          name: format.name,
          clockRate: format.clockRate,
          channels: format.channels ?? 1,
          ...(format.fmtp !== undefined ? { fmtp: format.fmtp } : {}),
        },
        { frameDuration: leg.ptime, ...this.#opusRate(leg) },
      );
    } catch (error) {
      throw new MediaError(
        'CODEC_UNAVAILABLE',
        `leg ${leg.id}: no codec for ${format.name}/${format.clockRate}`,
        {
          cause: error,
        },
      );
    }
  }

  /** Opus towards a narrowband leg runs at 8 kHz: no resampler, less than half the CPU. */
  #opusRate(leg: Leg): { sampleRate?: number } {
    const format = leg.primaryAudio;
    if (format?.name.toLowerCase() !== 'opus') return {};
    const other = (leg === this.#a ? this.#b : this.#a).primaryAudio;
    if (other === undefined || other.name.toLowerCase() === 'opus') return {};
    const otherRate = other.name.toUpperCase() === 'G722' ? 16000 : other.clockRate;
    return [8000, 12000, 16000, 24000, 48000].includes(otherRate) ? { sampleRate: otherRate } : {};
  }

  async #prepareResampler(
    path: AudioPath,
    plan: PathMode,
    codecs: (AudioCodec | undefined)[],
  ): Promise<Resampler | undefined> {
    if (plan !== 'transcode') return undefined;
    const source = codecs[path.from === this.#a ? 0 : 1];
    const target = codecs[path.to === this.#a ? 0 : 1];
    if (source === undefined || target === undefined || source.sampleRate === target.sampleRate)
      return undefined;
    const existing = path.resampler;
    if (existing?.inputRate === source.sampleRate && existing.outputRate === target.sampleRate)
      return existing;
    try {
      return await this.#createResampler({
        inputRate: source.sampleRate,
        outputRate: target.sampleRate,
      });
    } catch (error) {
      throw new MediaError(
        'CODEC_UNAVAILABLE',
        `no resampler from ${source.sampleRate} Hz to ${target.sampleRate} Hz`,
        { cause: error },
      );
    }
  }

  #installCodec(leg: Leg, codec: AudioCodec | undefined): void {
    if (leg.codec !== undefined && leg.codec !== codec) leg.codec.close();
    leg.codec = codec;
    if (codec === undefined) {
      leg.decoder = undefined;
      return;
    }
    // Every format of the leg with the same codec name decodes through the same instance.
    const byType = new Map<number, AudioCodec>();
    for (const [pt, format] of leg.audioFormats) {
      if (format.name.toLowerCase() === codec.name.toLowerCase()) byType.set(pt, codec);
    }
    leg.decoder = new LegDecoder(byType, codec, leg.comfortNoisePayloadType);
  }

  #installPath(path: AudioPath, plan: PathMode, resampler: Resampler | undefined): void {
    const previous = path.mode;
    path.videoPayloadTypeMap.fill(-1);
    for (const [pt, format] of path.from.videoFormats) {
      const match = [...path.to.videoFormats.values()].find((f) => sameFormat(f, format));
      if (match !== undefined) path.videoPayloadTypeMap[pt] = match.payloadType;
    }
    path.payloadTypeMap.fill(-1);
    if (plan === 'relay') {
      for (const [pt, format] of path.from.audioFormats) {
        const match = [...path.to.audioFormats.values()].find((f) => sameFormat(f, format));
        if (match !== undefined) path.payloadTypeMap[pt] = match.payloadType;
      }
      if (path.from.comfortNoisePayloadType >= 0 && path.to.comfortNoisePayloadType >= 0) {
        path.payloadTypeMap[path.from.comfortNoisePayloadType] = path.to.comfortNoisePayloadType;
      }
    }
    if (path.resampler !== undefined && path.resampler !== resampler) path.resampler.close();
    path.resampler = resampler;
    const source = path.from.codec;
    const target = path.to.codec;
    if (
      plan === 'transcode' &&
      source !== undefined &&
      target !== undefined &&
      path.from.decoder !== undefined
    ) {
      const fresh = path.jitterBuffer === undefined || previous !== 'transcode';
      if (fresh || path.jitterBuffer!.sampleRate !== source.sampleRate) {
        // A mid-call switch starts playing the first packet at once so the gap stays under a
        // frame; the buffer grows its delay from there as jitter shows up.
        const switching = previous !== 'none';
        path.jitterBuffer = new AdaptiveJitterBuffer({
          ...this.#jitterBufferOptions,
          ...(switching ? { initialDelayMs: 0, minDelayMs: 0 } : {}),
          clock: this.#clock,
          decoder: path.from.decoder,
          clockRate: path.from.primaryAudio!.clockRate,
        });
      }
      const targetMs = path.to.ptime;
      path.sourceFrame = new Int16Array(Math.round((source.sampleRate * targetMs) / 1000));
      path.targetFrame = new Int16Array(target.frameSamples);
      path.pending = new Int16Array(target.frameSamples * 4 + path.sourceFrame.length * 2);
      path.pendingLength = 0;
    } else {
      path.jitterBuffer = undefined;
    }
    // In-band DTMF: detect in what `from` sends when `to` wants digits another way; generate
    // towards `to` when it wants tones.
    const detect =
      path.from.dtmfMode === 'inband' && path.to.dtmfMode !== 'inband' && source !== undefined;
    path.detector = detect
      ? path.detector?.sampleRate === source.sampleRate
        ? path.detector
        : new DtmfDetector({
            sampleRate: source.sampleRate,
            onDigitStart: (digit) => this.#digitStarted(path, digit, 'inband'),
            onDigit: (d) => this.#digitEnded(path, d.digit, d.durationMs, 'inband'),
          })
      : undefined;
    if (detect && path.detectorScratch.length < source.sampleRate * 0.12) {
      path.detectorScratch = new Int16Array(Math.ceil(source.sampleRate * 0.12));
    }
    path.generator =
      target !== undefined
        ? path.generator?.sampleRate === target.sampleRate
          ? path.generator
          : new DtmfGenerator({ sampleRate: target.sampleRate })
        : undefined;
    path.mode = plan;
    if (previous !== plan) {
      path.to.audioOut.newSource(path.to.primaryAudio?.clockRate);
      if (previous !== 'none' || plan !== 'none')
        this.emit('modeChange', { from: path.from.id, mode: plan });
    }
    this.#updateTicker(path);
  }

  // ---- audio ---------------------------------------------------------------------------------

  /** Accounts a received packet in its source's statistics, which it returns. */
  #count(from: Leg, packet: RtpPacket, clockRate: number): ReceiverStatistics {
    // Signed: most SSRCs and timestamps are above 2^31, and unsigned they would be boxed here.
    const ssrcBits = packet.ssrcBits;
    let stats = from.lastReception;
    if (stats === undefined || (stats.ssrc | 0) !== ssrcBits) {
      const ssrc = ssrcBits >>> 0;
      stats = from.reception.get(ssrc);
      if (stats === undefined) {
        // Sources come and go with re-INVITEs and transfers; report on the latest few only.
        if (from.reception.size >= 8) from.reception.delete(from.reception.keys().next().value!);
        stats = new ReceiverStatistics(ssrc, clockRate);
        from.reception.set(ssrc, stats);
      }
      from.lastReception = stats;
    }
    stats.receive(
      packet.sequenceNumber,
      packet.timestampBits,
      this.#clock.now(),
      packet.payloadLength,
    );
    return stats;
  }

  #onAudio(path: AudioPath, packet: RtpPacket): void {
    const { from, to } = path;
    if (path.detector !== undefined && from.decoder !== undefined) {
      const n = from.decoder.decode(packet.payload, path.detectorScratch, packet.payloadType);
      path.detector.process(path.detectorScratch, n);
    }
    if (path.mode === 'transcode') {
      path.jitterBuffer!.insert(
        packet.ssrcBits,
        packet.sequenceNumber,
        packet.timestampBits,
        packet.bytes,
        packet.payloadType,
        packet.payloadOffset,
        packet.payloadLength,
      );
      return;
    }
    if (path.mode !== 'relay') return;
    if (!to.receives || path.generating) {
      to.counters.suppressed++;
      return;
    }
    const mapped = path.payloadTypeMap[packet.payloadType]!;
    if (mapped < 0) {
      from.counters.discarded++;
      return;
    }
    packet.payloadType = mapped;
    if (!to.audioOut.rewrite(packet)) return;
    to.audioSender.send(packet.timestampBits, packet.payloadLength, this.#clock.now());
    this.#send(to, packet.bytes);
  }

  #relayVideo(path: AudioPath, packet: RtpPacket): void {
    const { from, to } = path;
    if (!to.receives) {
      to.counters.suppressed++;
      return;
    }
    const mapped = path.videoPayloadTypeMap[packet.payloadType]!;
    if (mapped < 0) {
      from.counters.discarded++;
      return;
    }
    packet.payloadType = mapped;
    if (!to.videoOut.rewrite(packet)) return;
    this.#send(to, packet.bytes);
  }

  /** Sends an RTP packet to a leg, protecting it when the leg uses SRTP. */
  #send(to: Leg, bytes: Uint8Array): void {
    to.counters.rtpSent++;
    to.sentSinceReport = true;
    if (to.srtpSend !== undefined) {
      const length = to.srtpSend.protectRtpInto(bytes, to.send, 0);
      to.config.transport.sendRtp(to.send, length);
    } else {
      to.config.transport.sendRtp(bytes, bytes.length);
    }
  }

  /** Starts or stops the path's playout clock: needed to transcode or to generate audio. */
  #updateTicker(path: AudioPath): void {
    const needed = this.#needsTicks(path);
    if (needed && !path.ticking) {
      // First tick from the timer, never re-entrantly from a packet handler.
      path.ticking = true;
      path.nextTickAt = this.#clock.now();
      this.#schedulePlayout();
    } else if (!needed) {
      this.#stopTicker(path);
    }
  }

  #stopTicker(path: AudioPath): void {
    if (path.ticking) {
      path.ticking = false;
      this.#schedulePlayout();
    }
    if (path.generating) {
      path.generating = false;
      path.to.audioOut.newSource();
    }
  }

  /** Sets the playout timer for the first path due, or clears it when no path ticks. */
  #schedulePlayout(): void {
    const a = this.#aToB;
    const b = this.#bToA;
    const ticking = !this.#closed && (a.ticking || b.ticking);
    const due = !a.ticking
      ? b.nextTickAt
      : !b.ticking
        ? a.nextTickAt
        : Math.min(a.nextTickAt, b.nextTickAt);
    if (this.#playoutTimer !== undefined) {
      if (ticking && due === this.#playoutDue) return;
      this.#clock.clearTimeout(this.#playoutTimer);
      this.#playoutTimer = undefined;
    }
    if (!ticking) return;
    this.#playoutDue = due;
    this.#playoutTimer = this.#clock.setTimeout(
      this.#onPlayoutTimer,
      Math.max(0, due - this.#clock.now()),
    );
  }

  /** The playout timer fired: a frame from each path it was due for, then the next timer. */
  #playout(): void {
    this.#playoutTimer = undefined;
    if (this.#closed) return;
    const due = this.#playoutDue;
    const a = this.#aToB;
    const b = this.#bToA;
    // Decided before either ticks, as when each path had its own timer.
    const tickB = b.ticking && b.nextTickAt <= due;
    if (a.ticking && a.nextTickAt <= due) this.#tick(a);
    if (tickB && b.ticking) this.#tick(b);
    this.#schedulePlayout();
  }

  /** One output frame towards `path.to`, every ptime, on a drift-free schedule. */
  #tick(path: AudioPath): void {
    if (this.#closed) return;
    try {
      this.#produceFrame(path);
    } catch (error) {
      this.emit(
        'error',
        error instanceof MediaError
          ? error
          : new MediaError('INVALID_STATE', 'audio frame failed', { cause: error }),
      );
    }
    if (!this.#needsTicks(path)) {
      this.#stopTicker(path);
      return;
    }
    path.nextTickAt += path.to.ptime;
    const now = this.#clock.now();
    if (path.nextTickAt < now - 200) path.nextTickAt = now; // the host stalled: do not burst
  }

  #needsTicks(path: AudioPath): boolean {
    return (
      !this.#closed &&
      (path.mode === 'transcode' ||
        path.holdTone !== undefined ||
        path.digits.length > 0 ||
        path.generator?.busy === true)
    );
  }

  #produceFrame(path: AudioPath): void {
    const { to } = path;
    const target = to.codec;
    const rfc4733Digit = to.dtmfMode === 'rfc4733' ? path.digits[0] : undefined;
    if (rfc4733Digit !== undefined) {
      this.#sendTelephoneEvent(path, rfc4733Digit);
      // Audio keeps flowing through the jitter buffer underneath so playout stays in time.
      if (path.jitterBuffer !== undefined) path.jitterBuffer.read(path.sourceFrame);
      return;
    }
    if (target === undefined) return;
    const tone = path.generator?.busy === true || path.holdTone !== undefined;
    if (path.mode === 'transcode') {
      if (
        path.resampler === undefined &&
        path.pendingLength === 0 &&
        path.sourceFrame.length === target.frameSamples
      ) {
        // The usual case: a read is one frame of the target codec, encoded where the jitter
        // buffer holds it; no detour through pending.
        this.#encodeFrame(path, target, path.jitterBuffer!.readView(target.frameSamples));
        return;
      }
      path.jitterBuffer!.read(path.sourceFrame);
      this.#pushPending(path, path.sourceFrame);
    } else if (tone) {
      // Relay with generated audio: silence under the tone.
      if (path.pending.length < target.frameSamples)
        path.pending = new Int16Array(target.frameSamples * 2);
      path.pending.fill(0, path.pendingLength, path.pendingLength + target.frameSamples);
      path.pendingLength += target.frameSamples;
    } else {
      return;
    }
    while (path.pendingLength >= target.frameSamples) {
      const frame =
        path.targetFrame.length === target.frameSamples
          ? path.targetFrame
          : (path.targetFrame = new Int16Array(target.frameSamples));
      const pending = path.pending;
      // A native copy through a view of the pending audio kept while the frame length repeats.
      let head = path.pendingHead;
      if (path.pendingHeadOf !== pending || head.length !== frame.length) {
        head = path.pendingHead = pending.subarray(0, frame.length);
        path.pendingHeadOf = pending;
      }
      frame.set(head);
      // copyWithin is a call into the runtime: not made to move nothing.
      if (path.pendingLength > frame.length)
        pending.copyWithin(0, frame.length, path.pendingLength);
      path.pendingLength -= frame.length;
      this.#encodeFrame(path, target, frame);
    }
  }

  /** Mixes generated audio into one frame for `path.to`, encodes it and sends it. */
  #encodeFrame(path: AudioPath, target: AudioCodec, frame: Int16Array): void {
    const to = path.to;
    // render() is not inlined: asked only while a digit plays.
    if (path.holdTone !== undefined) path.holdTone.render(frame, frame.length);
    else if (to.dtmfMode === 'inband' && path.generator?.busy === true)
      path.generator.render(frame, frame.length);
    if (path.holdTone !== undefined ? !to.acceptsAudio : !to.receives) {
      to.counters.suppressed++;
      return;
    }
    // Straight into the packet after its header when the codec can (no copy of the payload).
    const buffer = to.generated.buffer;
    let payloadLength: number;
    if (target.encodeInto !== undefined) {
      payloadLength = target.encodeInto(frame, buffer, RTP_FIXED_HEADER_LENGTH);
    } else {
      const payload = target.encode(frame);
      buffer.set(payload, RTP_FIXED_HEADER_LENGTH);
      payloadLength = payload.length;
    }
    const samples = Math.round((frame.length * target.clockRate) / target.sampleRate);
    if (payloadLength > 0)
      this.#sendGeneratedPayload(
        path,
        to.primaryAudio!.payloadType,
        false,
        payloadLength,
        samples,
        -1,
      );
    else path.generatedTs = (path.generatedTs + samples) >>> 0;
  }

  #pushPending(path: AudioPath, pcm: Int16Array): void {
    let input = pcm;
    if (path.resampler !== undefined) input = path.resampler.process(pcm);
    if (path.pendingLength + input.length > path.pending.length) {
      const grown = new Int16Array((path.pendingLength + input.length) * 2);
      grown.set(path.pending.subarray(0, path.pendingLength));
      path.pending = grown;
    }
    path.pending.set(input, path.pendingLength);
    path.pendingLength += input.length;
  }

  /**
   * Sends one packet of our own audio (or an RFC 4733 event) into `path.to`'s stream.
   * `advance` timestamp units are added after the packet (0 for event packets, which repeat
   * their timestamp).
   */
  #sendGenerated(
    path: AudioPath,
    payloadType: number,
    marker: boolean,
    payload: Uint8Array,
    advance: number,
    timestamp: number,
  ): void {
    path.to.generated.buffer.set(payload, RTP_FIXED_HEADER_LENGTH);
    this.#sendGeneratedPayload(path, payloadType, marker, payload.length, advance, timestamp);
  }

  /**
   * {@link #sendGenerated} of a payload already in place after the header; `eventTimestamp` -1
   * for audio, at the stream's own position (read here: a 32-bit timestamp passed as an
   * argument would be boxed).
   */
  #sendGeneratedPayload(
    path: AudioPath,
    payloadType: number,
    marker: boolean,
    payloadLength: number,
    advance: number,
    eventTimestamp: number,
  ): void {
    const to = path.to;
    const timestamp = eventTimestamp < 0 ? path.generatedTs : eventTimestamp;
    if (!path.generating) {
      path.generating = true;
      to.audioOut.newSource(to.primaryAudio?.clockRate);
    }
    const sequenceNumber = path.generatedSeq;
    const mark = marker || path.generatedMarker;
    path.generatedMarker = false;
    path.generatedSeq = (path.generatedSeq + 1) & 0xffff;
    path.generatedTs = (path.generatedTs + advance) >>> 0;
    // Our own source mapped into the leg's stream, and the header written once with the
    // outgoing values (RFC 3550 §5.1; version 2, no padding, extension or CSRCs).
    const out = to.audioOut;
    if (!out.map(GENERATED_SOURCE, sequenceNumber, timestamp)) return;
    out.writeMappedHeader(to.generated.buffer, 0, mark, payloadType);
    to.audioSender.send(out.mappedTimestamp, payloadLength, this.#clock.now());
    this.#send(to, to.generated.view(RTP_FIXED_HEADER_LENGTH + payloadLength));
  }

  // ---- DTMF ----------------------------------------------------------------------------------

  #onTelephoneEvent(path: AudioPath, packet: RtpPacket, format: TelephoneEventFormat): void {
    const { to } = path;
    path.currentEventRate = format.clockRate;
    for (const notice of path.receiver.receive(packet, this.#clock.now())) {
      this.#onEventNotice(path, notice);
    }
    // Same event format on both legs and a relayed stream: pass the packets through untouched,
    // which keeps the sender's timing exactly.
    if (path.mode === 'relay' && to.dtmfMode === 'rfc4733' && !path.generating) {
      const out = [...to.telephoneEvents.values()].find((t) => t.clockRate === format.clockRate);
      if (out !== undefined && to.receives) {
        packet.payloadType = out.payloadType;
        if (to.audioOut.rewrite(packet)) {
          to.audioSender.send(packet.timestampBits, packet.payloadLength, this.#clock.now());
          this.#send(to, packet.bytes);
        }
      }
    }
  }

  /** A digit started or ended in RFC 4733 events from `path.from` (RFC 4733 §2.5.2). */
  #onEventNotice(path: AudioPath, notice: TelephoneEventNotice): void {
    const digit = parseDigit(notice.digit ?? '');
    if (digit === undefined) return; // not DTMF (flash, tones of other event sets)
    if (notice.type === 'start') this.#digitStarted(path, digit, 'rfc4733');
    else this.#digitEnded(path, digit, (notice.duration * 1000) / path.currentEventRate, 'rfc4733');
  }

  /** Whether digits from `path.from` reach `path.to` by relaying the event packets themselves. */
  #relaysEvents(path: AudioPath, via: DtmfMode): boolean {
    if (via !== 'rfc4733' || path.mode !== 'relay' || path.to.dtmfMode !== 'rfc4733') return false;
    const rate = path.currentEventRate;
    return [...path.to.telephoneEvents.values()].some((t) => t.clockRate === rate);
  }

  #digitStarted(path: AudioPath, digit: DtmfDigit, via: DtmfMode): void {
    if (this.#relaysEvents(path, via)) return;
    if (via === 'sip-info') return; // the whole digit is known at once; queued on its end
    // Start converting at once so the tone or event begins while the key is still down.
    if (path.to.dtmfMode !== 'sip-info') this.#queueDigit(path, digit, undefined);
  }

  #digitEnded(path: AudioPath, digit: DtmfDigit, durationMs: number, via: DtmfMode): void {
    this.emit('dtmf', { leg: path.from.id, digit, durationMs, via });
    if (this.#relaysEvents(path, via)) return;
    const to = path.to;
    // A SIP INFO digit, or any digit towards a SIP INFO leg, is sent whole now that its
    // duration is known; otherwise the tone or event started with the digit ends now.
    if (via === 'sip-info' || to.dtmfMode === 'sip-info') {
      this.#queueDigit(path, digit, durationMs);
      return;
    }
    if (to.dtmfMode === 'inband') {
      path.generator?.end(durationMs);
      return;
    }
    const open = path.digits.find((d) => d.digit === digit && d.durationMs === undefined);
    if (open !== undefined) open.durationMs = durationMs;
    else this.#queueDigit(path, digit, durationMs);
  }

  #queueDigit(path: AudioPath, digit: DtmfDigit, durationMs: number | undefined): void {
    const to = path.to;
    if (to.dtmfMode === 'sip-info') {
      const contentType = to.config.sipInfoContentType ?? 'application/dtmf-relay';
      this.emit('sipInfo', {
        leg: to.id,
        contentType,
        body: formatDtmfInfo(contentType, digit, durationMs ?? 160),
      });
      return;
    }
    if (to.dtmfMode === 'inband') {
      path.generator?.play(digit, durationMs);
      this.#updateTicker(path);
      return;
    }
    if (to.telephoneEventOut() === undefined) return;
    path.digits.push({
      digit,
      durationMs,
      startedAt: -1,
      eventTimestamp: 0,
      endPacketsSent: 0,
    });
    this.#updateTicker(path);
  }

  /**
   * RFC 4733 §2.5.1 packet train for the digit at the head of the queue, one packet per tick:
   * the first with the marker, duration updates, then three end packets with the final duration.
   */
  #sendTelephoneEvent(path: AudioPath, digit: OutgoingDigit): void {
    const format = path.to.telephoneEventOut()!;
    const now = this.#clock.now();
    const rate = format.clockRate;
    const audioRate = path.to.primaryAudio?.clockRate ?? rate;
    let first = false;
    if (digit.startedAt < 0) {
      digit.startedAt = now;
      digit.eventTimestamp = path.generatedTs;
      first = true;
    }
    const elapsedMs = now - digit.startedAt + path.to.ptime;
    const ended = digit.durationMs !== undefined && elapsedMs >= digit.durationMs;
    const durationMs = ended ? digit.durationMs! : elapsedMs;
    const payload = this.#eventPayload;
    const duration = Math.min(0xffff, Math.round((durationMs * rate) / 1000));
    writeTelephoneEvent(
      { event: digitToEvent(digit.digit), end: ended, volume: 10, duration },
      payload,
    );
    // The event timestamp stays fixed; the stream's clock moves on for the audio that follows.
    const advance = Math.round((path.to.ptime * audioRate) / 1000);
    this.#sendGenerated(path, format.payloadType, first, payload, advance, digit.eventTimestamp);
    if (ended && ++digit.endPacketsSent >= END_PACKETS) {
      path.digits.shift();
      path.generatedMarker = true;
    }
  }

  /** RFC 4733 §2.3 payload: event, E/R/volume, duration. */
  readonly #eventPayload = new Uint8Array(4);

  // ---- RTCP ----------------------------------------------------------------------------------

  #requestKeyframeFrom(source: Leg): void {
    const now = this.#clock.now();
    if (now - source.lastKeyframeRequestAt < KEYFRAME_REQUEST_INTERVAL_MS) return;
    source.lastKeyframeRequestAt = now;
    const video = source.videoSource;
    if (video !== undefined) {
      this.#sendRtcp(source, [
        { type: 'pli', senderSsrc: source.videoOut.ssrc, mediaSsrc: video.ssrc },
      ]);
    }
    this.emit('pictureFastUpdate', { leg: source.id });
  }

  #forwardNack(receiver: Leg, source: Leg, lost: readonly number[]): void {
    const video = source.videoSource;
    if (video === undefined) return;
    const translated = lost.map((seq) => receiver.videoOut.sourceSequence(seq));
    this.#sendRtcp(source, [
      {
        type: 'nack',
        senderSsrc: source.videoOut.ssrc,
        mediaSsrc: video.ssrc,
        lostSequenceNumbers: translated,
      },
    ]);
  }

  /** Our periodic report to a leg: SR when we sent it media, else RR, plus SDES CNAME. */
  #report(leg: Leg): number {
    const packets = buildReport({
      ssrc: leg.audioOut.ssrc,
      cname: leg.config.cname ?? `callbridge-${leg.id}`,
      nowMs: this.#clock.now(),
      // RFC 3550 §6.4.1: the SR carries wall-clock (NTP) time.
      nowUnixMs: Date.now(),
      ...(leg.audioSender.hasSent ? { sender: leg.audioSender } : {}),
      sources: [...leg.reception.values()],
    });
    leg.sentSinceReport = false;
    return this.#sendRtcp(leg, packets);
  }

  /** Sends a compound RTCP packet to a leg (SRTCP when it uses SRTP); returns its length. */
  #sendRtcp(leg: Leg, packets: RtcpPacket[]): number {
    const length = writeRtcp(packets, this.#rtcpBuffer, 0);
    leg.counters.rtcpSent++;
    if (leg.srtpSend !== undefined) {
      const protectedLength = leg.srtpSend.protectRtcpInto(
        this.#rtcpBuffer.subarray(0, length),
        this.#rtcpOut,
        0,
      );
      leg.config.transport.sendRtcp(this.#rtcpOut, protectedLength);
    } else {
      leg.config.transport.sendRtcp(this.#rtcpBuffer, length);
    }
    return length;
  }

  /** RFC 3550 §6.3: reports at randomised intervals computed from the leg's bandwidth. */
  #startRtcp(leg: Leg): void {
    if (this.#closed || this.#rtcpSessionBandwidth <= 0) return;
    leg.rtcpScheduler = new RtcpScheduler({
      sessionBandwidth: this.#rtcpSessionBandwidth,
      sendReport: () => this.#report(leg),
      weSent: () => leg.sentSinceReport,
      clock: this.#clock,
      random: () => this.#rng.next(),
    });
    leg.rtcpScheduler.start();
  }

  #scheduleInactivityCheck(): void {
    if (this.#closed || this.#inactivityTimeoutMs <= 0) return;
    const period = Math.min(1000, this.#inactivityTimeoutMs / 2);
    this.#inactivityTimer = this.#clock.setTimeout(() => {
      this.#inactivityTimer = undefined;
      const now = this.#clock.now();
      for (const leg of [this.#a, this.#b]) {
        // A leg on hold or one that said it will not send is allowed to be silent.
        if (!leg.sends) {
          leg.lastReceivedAt = now;
          continue;
        }
        const silent = now - leg.lastReceivedAt;
        if (silent >= this.#inactivityTimeoutMs && !leg.inactiveReported) {
          leg.inactiveReported = true;
          this.emit('inactive', { leg: leg.id, silentForMs: silent });
        }
      }
      for (const path of [this.#aToB, this.#bToA]) {
        for (const notice of path.receiver.expire(now)) this.#onEventNotice(path, notice);
      }
      this.#scheduleInactivityCheck();
    }, period);
  }
}
