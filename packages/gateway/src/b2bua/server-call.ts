// A SIP call whose gateway side is a server media source instead of a browser (click-to-call,
// automated calls): plain RTP with G.711 from a socket in the media port range, playing a tone
// or a WAV file, or echoing what the far end says.
import { readFile } from 'node:fs/promises';
import {
  createOffer,
  describeNegotiation,
  parseSdp,
  serializeSdp,
  type CodecCapability,
  type SessionDescription as Sdp,
} from '@callbridge/sdp';
import type { DtmfDigit } from '@callbridge/media';
import type { OutgoingCall } from '@callbridge/sip';
import type { ServerMediaSource, SipLegEmit } from '../backend.js';
import type { PortRange } from '../config.js';
import { DemoMedia, type FrameSource } from '../demo/media.js';
import { B2buaError, BridgedCall, failureOfResponse, type BridgedCallContext } from './call.js';

const SDP = 'application/sdp';
const FRAME_SAMPLES = 160;

/** What the server side offers: G.711 (every SIP phone has it) and RFC 4733 events. */
const SERVER_CODECS: readonly CodecCapability[] = [
  { name: 'PCMU', clockRate: 8000 },
  { name: 'PCMA', clockRate: 8000 },
  { name: 'telephone-event', clockRate: 8000, fmtp: '0-16' },
];

/** A sine at `frequencyHz`, about -12 dBm0. */
export function toneSource(frequencyHz: number): FrameSource {
  return (frame, pcm) => {
    const start = frame * FRAME_SAMPLES;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * frequencyHz * (start + i)) / 8000));
    }
    return true;
  };
}

/**
 * The samples of a WAV file: RIFF with a `fmt ` chunk of 16-bit PCM, mono, 8 kHz (what G.711
 * carries; convert other files with e.g. `sox in.wav -r 8000 -c 1 -b 16 out.wav`).
 */
export function parseWav(bytes: Uint8Array): Int16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number): string =>
    String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE')
    throw new B2buaError('MEDIA_FILE_INVALID', 'not a RIFF/WAVE file');
  let offset = 12;
  let format: { pcm: boolean; channels: number; rate: number; bits: number } | undefined;
  while (offset + 8 <= bytes.length) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (body + size > bytes.length && id !== 'data')
      throw new B2buaError('MEDIA_FILE_INVALID', `WAV chunk ${id} runs past the end`);
    if (id === 'fmt ' && size >= 16) {
      format = {
        pcm: view.getUint16(body, true) === 1,
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!format?.pcm || format.channels !== 1 || format.rate !== 8000 || format.bits !== 16) {
        throw new B2buaError(
          'MEDIA_FILE_UNSUPPORTED',
          'the WAV file must be 16-bit PCM, mono, 8000 Hz',
        );
      }
      const length = Math.floor(Math.min(size, bytes.length - body) / 2);
      const samples = new Int16Array(length);
      for (let i = 0; i < length; i++) samples[i] = view.getInt16(body + 2 * i, true);
      return samples;
    }
    offset = body + size + (size & 1);
  }
  throw new B2buaError('MEDIA_FILE_INVALID', 'the WAV file has no data chunk');
}

/** Plays `samples` once, or in a loop. */
export function fileSource(samples: Int16Array, loop: boolean): FrameSource {
  return (frame, pcm) => {
    if (samples.length === 0) return false;
    let position = frame * FRAME_SAMPLES;
    if (!loop && position >= samples.length) return false;
    for (let i = 0; i < FRAME_SAMPLES; i++, position++) {
      pcm[i] = loop || position < samples.length ? samples[position % samples.length]! : 0;
    }
    return true;
  };
}

export interface ServerCallStart {
  readonly source: ServerMediaSource;
  /** Where the RTP socket binds. */
  readonly bindAddress: string;
  /** The address the SDP announces (the public one behind NAT). */
  readonly address: string;
  readonly rtpPorts: PortRange;
  readonly invite: (offer: { body: string; contentType: string }) => OutgoingCall;
}

export class ServerMediaCall extends BridgedCall {
  #call: OutgoingCall | undefined;
  #rtp: DemoMedia | undefined;
  #offer: Sdp | undefined;
  #answered = false;
  #releasing = false;
  /** The payload type of telephone-event the SIP side accepted, if it did. */
  #eventPayloadType: number | undefined;

  constructor(context: BridgedCallContext, emit: SipLegEmit) {
    super(context, emit);
  }

  async start(start: ServerCallStart): Promise<void> {
    let source: FrameSource | 'echo';
    try {
      source =
        start.source.kind === 'echo'
          ? 'echo'
          : start.source.kind === 'tone'
            ? toneSource(start.source.frequencyHz)
            : fileSource(parseWav(await readFile(start.source.path)), start.source.loop);
      this.#rtp = await DemoMedia.open(start.bindAddress, start.rtpPorts);
    } catch (error) {
      this.end({
        kind: 'failed',
        failure: {
          reason: 'INTERNAL_ERROR',
          message: `server media not ready: ${(error as Error).message}`,
        },
      });
      return;
    }
    if (this.ended || this.#releasing) {
      this.#rtp.close();
      return;
    }
    const rtp = this.#rtp;
    this.#offer = createOffer(
      { profile: 'sip', address: start.address, ports: { audio: rtp.port }, ptime: 20 },
      { media: [{ kind: 'audio', codecs: { capabilities: SERVER_CODECS } }] },
    );
    const call = start.invite({ body: serializeSdp(this.#offer), contentType: SDP });
    this.#call = call;
    call.on('progress', (response) => {
      const status = response.status === 100 ? 'TRYING' : 'RING';
      this.send('progress', { status, sipStatus: response.status, sipReason: response.reason });
    });
    call.on('answered', (session) => {
      this.#answered = true;
      this.confirmed(session);
      if (this.ended || this.#releasing) {
        void this.sendBye(session);
        return;
      }
      try {
        const answer = parseSdp(new TextDecoder().decode(session.remoteBody));
        const audio = describeNegotiation(this.#offer!, answer, 'offerer').find(
          (m) => m.kind === 'audio' && m.accepted,
        );
        const codec = audio?.codec;
        const remote = audio?.remoteAddress?.address;
        if (!audio || !codec || !remote || audio.remotePort === 0)
          throw new B2buaError('NO_COMMON_CODECS', 'the SIP side accepted no G.711 audio');
        this.#eventPayloadType = audio.telephoneEvent?.sendPayloadType;
        rtp.start(
          source,
          { payloadType: codec.sendPayloadType, law: /pcma/i.test(codec.name) ? 'a' : 'mu' },
          { address: remote, port: audio.remotePort },
        );
      } catch (error) {
        this.fail({ reason: 'NO_COMMON_CODECS', message: (error as Error).message });
        return;
      }
      this.send('established', { mediaMode: 'relay' });
    });
    call.on('failed', (response) => {
      if (this.#releasing) this.end({ kind: 'finished', by: 'local' });
      else this.end(failureOfResponse(response));
    });
  }

  protected override sendDtmfEvent(digit: DtmfDigit, durationMs: number): void {
    if (this.#eventPayloadType === undefined) {
      throw new B2buaError(
        'DTMF_REFUSED',
        'the SIP side accepted no telephone-event (RFC 4733): send DTMF as INFO instead',
      );
    }
    if (!this.#rtp?.sendDtmf(digit, durationMs, this.#eventPayloadType)) {
      throw new B2buaError(
        'DTMF_REFUSED',
        'an echo call carries the other side’s packets: send DTMF as INFO instead',
      );
    }
  }

  protected override end(how: Parameters<BridgedCall['end']>[0]): void {
    this.#rtp?.close();
    super.end(how);
  }

  protected async release(): Promise<void> {
    if (this.ended) return;
    this.#releasing = true;
    const session = this.session;
    if (session?.state === 'confirmed') {
      this.end({ kind: 'finished', by: 'local' });
      await this.sendBye(session);
      return;
    }
    if (this.#call && !this.#answered) this.#call.cancel();
    this.end({ kind: 'finished', by: 'local' });
  }
}
