// Server-side media of the demo phone: one plain RTP/AVP socket per call that either echoes what
// it receives or plays a tone. G.711 only: every SIP phone and every browser has it.
import { createSocket, type Socket } from 'node:dgram';
import { encodeG711, type G711Law } from '@callbridge/codecs';
import {
  RtpPacket,
  classifyPacket,
  telephoneEventTrain,
  writeRtpPacket,
  type RtpPacketInit,
} from '@callbridge/rtp';
import { bindInRange } from '../b2bua/rtp-socket.js';
import type { PortRange } from '../config.js';

export type DemoMediaBehaviour = 'echo' | 'tone';

/**
 * Fills one 20 ms frame of 8 kHz audio for frame number `frameIndex`; returns false when the
 * source has nothing more to play.
 */
export type FrameSource = (frameIndex: number, pcm: Int16Array) => boolean;

export interface DemoMediaFormat {
  readonly payloadType: number;
  readonly law: G711Law;
}

/** 20 ms of 8 kHz audio per packet, as RFC 3551 §4.5.14 recommends for G.711. */
const FRAME_SAMPLES = 160;
const FRAME_MS = 20;

/**
 * A two-note chime (440 Hz then 660 Hz, half a second each) at about -12 dBm0, so a listener can
 * tell the tone number from the echo number and a test can find energy in it.
 */
function chime(frameIndex: number, pcm: Int16Array): boolean {
  const frequency = Math.floor(frameIndex / 25) % 2 === 0 ? 440 : 660;
  const start = frameIndex * FRAME_SAMPLES;
  for (let i = 0; i < FRAME_SAMPLES; i++) {
    pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * frequency * (start + i)) / 8000));
  }
  return true;
}

export class DemoMedia {
  readonly #socket: Socket;
  readonly #ssrc = (Math.random() * 0x1_0000_0000) >>> 0;
  #remote: { address: string; port: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Digits waiting to be sent as RFC 4733 events, in place of the audio they overlap. */
  readonly #digits: { digit: string; durationMs: number; payloadType: number }[] = [];
  #playing = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    // A socket error (e.g. ICMP port unreachable reported on send) must not end the process.
    socket.on('error', () => undefined);
  }

  /** Binds an RTP socket on `address`, in `range` when given, else on an OS-chosen port. */
  static async open(address: string, range?: PortRange): Promise<DemoMedia> {
    if (range) return new DemoMedia(await bindInRange(address, range));
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new DemoMedia(socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Starts the behaviour towards the address the remote SDP gave (symmetric RTP re-targets it). */
  start(
    behaviour: DemoMediaBehaviour | FrameSource,
    format: DemoMediaFormat,
    remote: { address: string; port: number },
  ): void {
    this.#remote = remote;
    if (behaviour === 'echo') this.#echo();
    else this.#play(format, behaviour === 'tone' ? chime : behaviour);
  }

  /**
   * Sends `digit` as an RFC 4733 event train in place of the played audio (RFC 4733 §2.5.1.1:
   * the event's packets share the audio stream's SSRC, sequence numbers and clock), after any
   * digits already queued. Only a playing source has a stream of its own to carry events; an
   * echo relays the other side's packets.
   */
  sendDtmf(digit: string, durationMs: number, payloadType: number): boolean {
    if (!this.#playing || this.#closed) return false;
    this.#digits.push({ digit, durationMs, payloadType });
    return true;
  }

  #echo(): void {
    this.#socket.on('message', (data, from) => {
      if (this.#closed || classifyPacket(data) !== 'rtp') return;
      const packet = RtpPacket.tryParse(data);
      if (!packet) return;
      // Our own SSRC, so the other side sees one stream from us and not its own source id.
      packet.ssrc = this.#ssrc;
      this.#socket.send(data, from.port, from.address);
    });
  }

  #play(format: DemoMediaFormat, source: FrameSource): void {
    this.#playing = true;
    const pcm = new Int16Array(FRAME_SAMPLES);
    const payload = new Uint8Array(FRAME_SAMPLES);
    const out = new Uint8Array(12 + FRAME_SAMPLES);
    let frame = 0;
    let sequenceNumber = (Math.random() * 0x10000) & 0xffff;
    const timestampBase = (Math.random() * 0x1_0000_0000) >>> 0;
    /** The event train being sent, one packet per frame slot. */
    let event: { packets: RtpPacketInit[]; next: number } | undefined;
    // Symmetric RTP (RFC 4961): answer to where the peer really sends from.
    this.#socket.on('message', (_data, from) => {
      this.#remote = { address: from.address, port: from.port };
    });
    const transmit = (packet: RtpPacketInit, remote: { address: string; port: number }): void => {
      const length = writeRtpPacket(packet, out);
      this.#socket.send(out.subarray(0, length), remote.port, remote.address);
      sequenceNumber = (sequenceNumber + 1) & 0xffff;
    };
    const send = (): void => {
      const remote = this.#remote;
      if (this.#closed || !remote) return;
      const timestamp = (timestampBase + frame * FRAME_SAMPLES) >>> 0;
      const queued = event ? undefined : this.#digits.shift();
      if (queued) {
        const train = telephoneEventTrain({
          event: queued.digit,
          ssrc: this.#ssrc,
          payloadType: queued.payloadType,
          sequenceNumber,
          timestamp,
          durationMs: queued.durationMs,
          intervalMs: FRAME_MS,
        });
        event = { packets: train.map((p) => p.packet), next: 0 };
      }
      if (event) {
        const packet = event.packets[event.next++];
        if (event.next >= event.packets.length) event = undefined;
        // The train was numbered from the stream's next sequence number, as transmit() counts.
        if (packet) transmit(packet, remote);
        frame++;
        return;
      }
      if (!source(frame, pcm)) {
        if (this.#timer) clearInterval(this.#timer);
        this.#timer = undefined;
        this.#playing = false;
        return;
      }
      encodeG711(format.law, pcm, payload);
      transmit(
        {
          payloadType: format.payloadType,
          sequenceNumber,
          timestamp,
          ssrc: this.#ssrc,
          marker: frame === 0,
          payload,
        },
        remote,
      );
      frame++;
    };
    this.#timer = setInterval(send, FRAME_MS);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#socket.close();
  }
}
