/**
 * The one interface every audio codec implements.
 *
 * Memory contract (the media hot path must not allocate per packet):
 * - `encode()` returns a view over the codec's own output buffer. It stays valid until the next
 *   `encode()` call on the same codec; copy it (or send it) before encoding again.
 * - `decode()` and `conceal()` share one decoder output buffer; the returned view stays valid
 *   until the next `decode()`, `conceal()` or `recoverFec()` call on the same codec.
 * - Every method also accepts an optional caller-provided output buffer. The result is then
 *   written there and a `subarray` of it is returned; a buffer that is too small throws
 *   `CodecError` with code `ERR_CODEC_BUFFER_TOO_SMALL`.
 *
 * PCM is signed 16-bit, interleaved when `channels` is 2, at `sampleRate`. `frameSamples` and
 * every `samples` count are per channel.
 */
export interface AudioCodec {
  /** SDP encoding name as registered, e.g. `PCMU`, `G722`, `opus`. */
  readonly name: string;
  /**
   * RTP clock rate as it appears in SDP (RFC 3551). It differs from `sampleRate` for G.722
   * (8000 in SDP, 16 kHz audio) and for Opus run below 48 kHz (always 48000 in SDP, RFC 7587).
   */
  readonly clockRate: number;
  /** Sample rate of the PCM that `encode()` takes and `decode()` returns. */
  readonly sampleRate: number;
  /** Channels of the PCM (interleaved when 2). */
  readonly channels: number;
  /** Duration of one encoded frame in milliseconds (the packetization interval, ptime). */
  readonly frameDuration: number;
  /** PCM samples per channel in one frame: `sampleRate * frameDuration / 1000`. */
  readonly frameSamples: number;
  /** RTP static payload type (RFC 3551 Table 4) when the codec has one. */
  readonly staticPayloadType?: number;

  /**
   * Encodes one frame of PCM (`frameSamples * channels` samples; sample-based codecs such as
   * G.711 accept any length). An empty result means "send nothing" (DTX: silence is being
   * suppressed, the receiver keeps playing comfort noise).
   */
  encode(pcm: Int16Array, output?: Uint8Array): Uint8Array;
  /**
   * Decodes one RTP payload (which may hold several codec frames) into PCM. A payload that is
   * a comfort-noise/SID frame decodes to comfort noise.
   */
  decode(payload: Uint8Array, output?: Int16Array): Int16Array;
  /**
   * Packet-loss concealment: produces `samples` samples per channel that continue the decoded
   * signal across a lost packet, fading to silence when the loss lasts.
   */
  conceal(samples: number, output?: Int16Array): Int16Array;
  /**
   * In-band FEC (Opus, RFC 6716 §2.1.7): when the packet before `nextPayload` was lost, decodes
   * that packet's redundant copy from `nextPayload`. Call it before `decode(nextPayload)`.
   * Codecs without in-band FEC do not have this method.
   */
  recoverFec?(nextPayload: Uint8Array, samples: number, output?: Int16Array): Int16Array;
  /**
   * `decode()` into `out` from index 0, returning the number of samples written (all channels):
   * no view is created, so the media hot path can decode straight into its own buffer. Throws
   * `ERR_CODEC_BUFFER_TOO_SMALL` when `out` cannot hold the frame. Optional: callers fall back
   * to `decode()` and a copy.
   */
  decodeInto?(payload: Uint8Array, out: Int16Array): number;
  /**
   * `encode()` into `out` from index `offset` (e.g. just after an RTP header), returning the
   * bytes written (0: send nothing): the media hot path encodes straight into the packet it
   * sends, with no view and no copy. Throws `ERR_CODEC_BUFFER_TOO_SMALL` when the encoded frame
   * does not fit. Optional: callers fall back to `encode()` and a copy.
   */
  encodeInto?(pcm: Int16Array, out: Uint8Array, offset: number): number;
  /** `conceal()` into `out` from index 0, returning the number of samples written (optional). */
  concealInto?(samples: number, out: Int16Array): number;
  /** Changes the encoder bitrate at run time (codecs with a variable rate only). */
  setBitrate?(bitsPerSecond: number): void;
  /** Forgets all history (a new talk spurt after a long gap, a re-INVITE). */
  reset(): void;
  /** Releases the codec's memory. Any later call throws `ERR_CODEC_CLOSED`. */
  close(): void;
}

/** Options a caller may pass when creating a codec; each codec checks the ones it uses. */
export interface CodecOptions {
  /** PCM sample rate at the API (Opus: 8000, 12000, 16000, 24000 or 48000). */
  sampleRate?: number;
  /** PCM channels (Opus: 1 or 2). */
  channels?: number;
  /** Frame duration in ms (ptime). */
  frameDuration?: number;
  /** Target bitrate in bit/s (Opus, Speex). */
  bitrate?: number;
  /** Encoder complexity 0–10 (Opus, Speex). */
  complexity?: number;
  /** In-band forward error correction (Opus). */
  fec?: boolean;
  /** Expected packet loss in percent, steers how much FEC Opus spends (0–100). */
  packetLossPercent?: number;
  /** Discontinuous transmission: send nothing (or SID frames) during silence (Opus, Speex). */
  dtx?: boolean;
  /** Voice activity detection with comfort-noise frames (G.729 Annex B, Speex). */
  vad?: boolean;
  /** Opus application: `voip` (default), `audio` or `lowdelay`. */
  application?: 'voip' | 'audio' | 'lowdelay';
}

/** An SDP audio format: `a=rtpmap:<pt> <name>/<clockRate>[/<channels>]` plus `a=fmtp`. */
export interface AudioFormat {
  /** Encoding name; matched case-insensitively (RFC 4855 §3). */
  name: string;
  clockRate: number;
  /** Encoding channels from rtpmap; 1 when absent. Opus always says 2 (RFC 7587 §7). */
  channels?: number;
  /** fmtp parameters, either the raw `a=fmtp` value (`"useinbandfec=1; stereo=0"`) or parsed. */
  fmtp?: string | Readonly<Record<string, string>>;
}

/** Parses an `a=fmtp` parameter string (`key=value; key=value`) into a record. */
export function parseFmtp(
  fmtp: string | Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  if (fmtp === undefined) return {};
  if (typeof fmtp !== 'string') return { ...fmtp };
  const params: Record<string, string> = {};
  for (const part of fmtp.split(';')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) params[item.toLowerCase()] = '';
    else params[item.slice(0, eq).trim().toLowerCase()] = item.slice(eq + 1).trim();
  }
  return params;
}

/** Converts a sample-rate converter between PCM rates (interleaved Int16). */
export interface Resampler {
  readonly inputRate: number;
  readonly outputRate: number;
  readonly channels: number;
  /**
   * Converts `input` and returns the output samples produced so far. The result is a view over
   * the resampler's buffer, valid until the next `process()` call, or a subarray of `output`.
   * Feeding whole 10/20 ms frames between rates that divide evenly gives exactly
   * `input.length * outputRate / inputRate` samples per call after the first.
   */
  process(input: Int16Array, output?: Int16Array): Int16Array;
  /** Clears the filter history (for a new stream). */
  reset(): void;
  close(): void;
}

export interface ResamplerOptions {
  inputRate: number;
  outputRate: number;
  /** 1 or 2; default 1. */
  channels?: number;
  /** Speex resampler quality 0–10; default 3 (VoIP quality, BASELINES.md). */
  quality?: number;
}
