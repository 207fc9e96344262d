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
export {
  codecRegistry,
  createCodec,
  loadOptionalCodecs,
  registerBuiltinCodecs,
  typescriptCodec,
} from './builtin.js';
export { G711Codec, decodeG711, encodeG711, type G711Law } from './g711.js';
export { PitchPlc } from './plc.js';
export { G722Codec, G722Decoder, G722Encoder } from './g722.js';
export { OpusCodec, opusDescriptor, opusWasm } from './opus.js';
export { SpeexCodec, speexDescriptor, speexWasm, type SpeexOptions } from './speex.js';
export { SpeexResampler, createResampler, resamplerWasm } from './resampler.js';
export { LazyWasm, WasmLibrary, compileWasm, setWasmLoader, type WasmLoader } from './wasm.js';
export { GrowableInt16, GrowableUint8, outputView, closedError } from './buffers.js';
