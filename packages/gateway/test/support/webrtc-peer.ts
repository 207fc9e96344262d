// A WebRTC peer for tests that stands in for the browser: libdatachannel (node-datachannel) does
// ICE, DTLS and SRTP; this side makes the audio (a sine tone, encoded like a browser would) and
// measures the energy of what comes back.
import nodeDataChannel from 'node-datachannel';
import { G722Codec, OpusCodec, decodeG711, encodeG711, opusWasm } from '@callbridge/codecs';
import { RtpPacket, writeRtpPacket } from '@callbridge/rtp';

const { PeerConnection, Audio } = nodeDataChannel;

export type PeerCodec = 'opus' | 'PCMU' | 'G722';

const PAYLOAD_TYPES: Record<PeerCodec, number> = { opus: 111, PCMU: 0, G722: 9 };

/** Polls `condition` until it holds; fails naming `what` after `timeoutMs`. */
export async function until(
  condition: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface FrameCodec {
  readonly sampleRate: number;
  readonly clockRate: number;
  encode(pcm: Int16Array): Uint8Array;
  decode(payload: Uint8Array): Int16Array;
  close(): void;
}

async function frameCodec(codec: PeerCodec): Promise<FrameCodec> {
  switch (codec) {
    case 'opus': {
      await opusWasm.load();
      const encoder = new OpusCodec({ sampleRate: 48000 });
      const decoder = new OpusCodec({ sampleRate: 48000 });
      return {
        sampleRate: 48000,
        clockRate: 48000,
        encode: (pcm) => encoder.encode(pcm).slice(),
        decode: (payload) => decoder.decode(payload).slice(),
        close: () => (encoder.close(), decoder.close()),
      };
    }
    case 'G722': {
      const encoder = new G722Codec();
      const decoder = new G722Codec();
      return {
        sampleRate: 16000,
        clockRate: 8000,
        encode: (pcm) => encoder.encode(pcm).slice(),
        decode: (payload) => decoder.decode(payload).slice(),
        close: () => undefined,
      };
    }
    case 'PCMU':
      return {
        sampleRate: 8000,
        clockRate: 8000,
        encode: (pcm) => {
          const out = new Uint8Array(pcm.length);
          encodeG711('mu', pcm, out);
          return out;
        },
        decode: (payload) => {
          const out = new Int16Array(payload.length);
          decodeG711('mu', payload, out);
          return out;
        },
        close: () => undefined,
      };
  }
}

export interface ReceivedAudio {
  readonly packets: number;
  /** Root mean square of the decoded samples (full scale 32767). */
  readonly rms: number;
}

export class WebRtcPeer {
  readonly #pc: nodeDataChannel.PeerConnection;
  readonly #track: nodeDataChannel.Track;
  /** One encoder/decoder per offered codec, by payload type. */
  readonly #codecs: Map<number, FrameCodec>;
  #codec: FrameCodec;
  #payloadType: number;
  #received: { payloadType: number; payload: Uint8Array }[] = [];
  readonly #ssrc = 0x0bad_cafe;
  #open = false;
  #connected = false;
  #timer: NodeJS.Timeout | undefined;
  #sequence = 1;
  #frame = 0;
  /** Every RTP packet received, by payload type. */
  readonly payloadTypes = new Map<number, number>();

  private constructor(
    pc: nodeDataChannel.PeerConnection,
    track: nodeDataChannel.Track,
    codecs: Map<number, FrameCodec>,
    payloadType: number,
  ) {
    this.#pc = pc;
    this.#track = track;
    this.#codecs = codecs;
    this.#codec = codecs.get(payloadType)!;
    this.#payloadType = payloadType;
    track.onOpen(() => {
      this.#open = true;
    });
    track.onMessage((message) => {
      const data = new Uint8Array(message);
      const packet = RtpPacket.tryParse(data);
      if (!packet) return;
      this.payloadTypes.set(
        packet.payloadType,
        (this.payloadTypes.get(packet.payloadType) ?? 0) + 1,
      );
      if (this.#codecs.has(packet.payloadType))
        this.#received.push({ payloadType: packet.payloadType, payload: packet.payload.slice() });
    });
    pc.onStateChange((state) => {
      if (state === 'connected') this.#connected = true;
    });
  }

  /** A peer whose offer carries one audio section with `codecs` (the first is the one it sends). */
  static async create(name: string, codecs: readonly PeerCodec[] = ['opus']): Promise<WebRtcPeer> {
    const pc = new PeerConnection(name, { iceServers: [], bindAddress: '127.0.0.1' });
    const audio = new Audio('0', 'SendRecv');
    for (const codec of codecs) {
      if (codec === 'opus') audio.addOpusCodec(111);
      else if (codec === 'PCMU') audio.addAudioCodec(0, 'PCMU/8000');
      else audio.addAudioCodec(9, 'G722/8000');
    }
    audio.addSSRC(0x0bad_cafe, 'peer');
    const track = pc.addTrack(audio);
    const byType = new Map<number, FrameCodec>();
    for (const codec of codecs) byType.set(PAYLOAD_TYPES[codec], await frameCodec(codec));
    return new WebRtcPeer(pc, track, byType, PAYLOAD_TYPES[codecs[0] ?? 'opus']);
  }

  /** The complete offer, once ICE gathering finished (the gateway takes no trickled candidates). */
  async offer(): Promise<string> {
    let gathered = false;
    this.#pc.onGatheringStateChange((state) => {
      if (state === 'complete') gathered = true;
    });
    this.#pc.setLocalDescription();
    await until(() => gathered || this.#pc.gatheringState() === 'complete', 'ICE gathering');
    const description = this.#pc.localDescription();
    if (!description) throw new Error('no local description');
    return description.sdp;
  }

  /** Answers an offer from the gateway (an incoming call). */
  async answer(offer: string): Promise<string> {
    let gathered = false;
    this.#pc.onGatheringStateChange((state) => {
      if (state === 'complete') gathered = true;
    });
    this.#pc.setRemoteDescription(offer, 'offer');
    this.#useCodecOf(offer);
    await until(() => gathered || this.#pc.gatheringState() === 'complete', 'ICE gathering');
    const description = this.#pc.localDescription();
    if (!description) throw new Error('no local description');
    return description.sdp;
  }

  setAnswer(sdp: string): void {
    this.#pc.setRemoteDescription(sdp, 'answer');
    this.#useCodecOf(sdp);
  }

  /** The payload type the answer (or the offer we answered) put first is the one we send. */
  #useCodecOf(sdp: string): void {
    const first = Number(/^m=audio \d+ \S+ (\d+)/m.exec(sdp)?.[1]);
    const codec = this.#codecs.get(first);
    if (codec) {
      this.#payloadType = first;
      this.#codec = codec;
    }
  }

  /** The payload type this peer sends audio with. */
  get sendPayloadType(): number {
    return this.#payloadType;
  }

  async connected(timeoutMs = 10_000): Promise<void> {
    await until(() => this.#connected && this.#open, 'ICE, DTLS and the track', timeoutMs);
  }

  /** Starts sending a sine tone every 20 ms (silence when `amplitude` is 0). */
  startTone(frequencyHz = 440, amplitude = 8000): void {
    this.stopTone();
    const { sampleRate, clockRate } = this.#codec;
    const samples = sampleRate / 50;
    const pcm = new Int16Array(samples);
    const out = new Uint8Array(1500);
    this.#timer = setInterval(() => {
      if (!this.#open) return;
      const start = this.#frame * samples;
      for (let i = 0; i < samples; i++) {
        pcm[i] = Math.round(
          amplitude * Math.sin((2 * Math.PI * frequencyHz * (start + i)) / sampleRate),
        );
      }
      const payload = this.#codec.encode(pcm);
      const length = writeRtpPacket(
        {
          payloadType: this.#payloadType,
          sequenceNumber: this.#sequence++ & 0xffff,
          timestamp: (this.#frame * (clockRate / 50)) >>> 0,
          ssrc: this.#ssrc,
          payload,
        },
        out,
      );
      this.#frame++;
      try {
        this.#track.sendMessageBinary(Buffer.from(out.subarray(0, length)));
      } catch {
        // the track closed under us (the call ended)
      }
    }, 20);
  }

  stopTone(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The audio received during the next `ms` milliseconds, decoded. */
  async listen(ms: number): Promise<ReceivedAudio> {
    this.#received = [];
    await new Promise((r) => setTimeout(r, ms));
    return this.#measure();
  }

  /**
   * The next `packets` packets received, decoded: a fixed amount of audio however slowly a busy
   * machine delivers it (up to `timeoutMs`).
   */
  async receive(packets: number, timeoutMs = 10_000): Promise<ReceivedAudio> {
    this.#received = [];
    await until(() => this.#received.length >= packets, `${packets} RTP packets`, timeoutMs);
    return this.#measure();
  }

  #measure(): ReceivedAudio {
    const payloads = this.#received;
    this.#received = [];
    let sum = 0;
    let count = 0;
    // The first packets carry the decoder's start-up; measure the steady part.
    for (const { payloadType, payload } of payloads.slice(
      Math.min(5, Math.floor(payloads.length / 4)),
    )) {
      const pcm = this.#codecs.get(payloadType)!.decode(payload);
      for (const s of pcm) sum += s * s;
      count += pcm.length;
    }
    return { packets: payloads.length, rms: count ? Math.sqrt(sum / count) : 0 };
  }

  close(): void {
    this.stopTone();
    try {
      this.#track.close();
    } catch {
      // already closed
    }
    this.#pc.close();
    for (const codec of this.#codecs.values()) codec.close();
  }
}
