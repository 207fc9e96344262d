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
