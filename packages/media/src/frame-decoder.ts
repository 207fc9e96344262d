/**
 * What the jitter buffer needs from an audio decoder. Adapters over `@callbridge/codecs`
 * implement it; `out` is caller-owned scratch so decoding never allocates.
 */
export interface FrameDecoder {
  /** Sample rate of the PCM this decoder produces (may differ from the RTP clock rate, e.g. G.722). */
  readonly sampleRate: number;
  /**
   * Decodes one payload into `out` from index 0; returns the number of samples written.
   * `payloadType` is the RTP payload type the packet came with (for decoders that serve several
   * formats of one leg, such as a codec plus comfort noise), or -1 when unknown.
   */
  decode(payload: Uint8Array, out: Int16Array, payloadType: number): number;
  /**
   * Fills `samples` samples of `out` (from index 0) with the codec's packet-loss concealment,
   * continuing from the last decoded audio; returns the number written.
   */
  conceal(out: Int16Array, samples: number): number;
  /**
   * Recovers the frame before `nextPayload` from in-band FEC (Opus LBRR, RFC 6716 §2.1.7) when
   * that payload carries it; returns samples written, or 0 when it carries none.
   */
  decodeFec?(nextPayload: Uint8Array, out: Int16Array, samples: number): number;
  /**
   * Fills `samples` samples of a gap the sender left on purpose (silence suppression, RFC 3551
   * §4.1): comfort noise (RFC 3389) when the sender described some, otherwise silence.
   */
  fillSilence?(out: Int16Array, samples: number): number;
  /** Clears decoder state after a stream discontinuity (new SSRC). */
  reset?(): void;
}
