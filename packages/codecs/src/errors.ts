/** Stable error codes of `@callbridge/codecs`; match on `error.code`, never on the message. */
export type CodecErrorCode =
  /** No implementation is registered for the requested SDP format. */
  | 'ERR_CODEC_UNSUPPORTED'
  /** An option is out of range or does not apply to this codec. */
  | 'ERR_CODEC_INVALID_OPTION'
  /** The PCM input has a length the codec cannot encode (e.g. not a whole frame). */
  | 'ERR_CODEC_INVALID_INPUT'
  /** The payload cannot be decoded (truncated, wrong size, rejected by the decoder). */
  | 'ERR_CODEC_INVALID_PAYLOAD'
  /** A caller-provided output buffer is too small for the result. */
  | 'ERR_CODEC_BUFFER_TOO_SMALL'
  /** A WebAssembly module could not be loaded, compiled or instantiated. */
  | 'ERR_CODEC_WASM_LOAD'
  /** The underlying codec library reported an error. */
  | 'ERR_CODEC_INTERNAL'
  /** The codec or resampler was used after `close()`. */
  | 'ERR_CODEC_CLOSED';

/** The one error class thrown by `@callbridge/codecs` and the codec packages built on it. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  readonly code: CodecErrorCode;

  constructor(code: CodecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
