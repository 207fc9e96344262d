export { CodecError, type CodecErrorCode } from './errors.js';
export {
  parseFmtp,
  type AudioCodec,
  type AudioFormat,
  type CodecOptions,
  type Resampler,
  type ResamplerOptions,
} from './codec.js';
export { CodecRegistry, type CodecDescriptor } from './registry.js';
export { codecRegistry, createCodec, registerBuiltinCodecs, typescriptCodec } from './builtin.js';
export { G711Codec, decodeG711, encodeG711, type G711Law } from './g711.js';
export { PitchPlc } from './plc.js';
