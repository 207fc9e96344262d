export { MediaError } from './errors.js';
export type { MediaErrorCode } from './errors.js';
export { ManualClock, systemClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { SeededRandom } from './random.js';
export { simulateNetwork } from './network-simulator.js';
export type {
  ArrivalTrace,
  JitterModel,
  LossModel,
  NetworkProfile,
  SimulatedPacket,
  StreamRestart,
} from './network-simulator.js';
export type { FrameDecoder } from './frame-decoder.js';
export { AdaptiveJitterBuffer } from './jitter-buffer.js';
export type {
  InsertOutcome,
  JitterBufferMode,
  JitterBufferOptions,
  JitterBufferReport,
} from './jitter-buffer.js';
export { L16Decoder, replayTrace } from './simulation.js';
export type { ReplayOptions, ReplayResult } from './simulation.js';
export { speechLikeSignal } from './signals.js';
export { DTMF_COLUMN_FREQUENCIES, DTMF_ROW_FREQUENCIES, parseDigit } from './dtmf/digits.js';
export type { DtmfDigit } from './dtmf/digits.js';
export { DBM0_PEAK, DtmfGenerator } from './dtmf/generator.js';
export type { DtmfGeneratorOptions } from './dtmf/generator.js';
export { DtmfDetector } from './dtmf/detector.js';
export type { DetectedDigit, DtmfDetectorOptions } from './dtmf/detector.js';
export { formatDtmfInfo, parseDtmfInfo } from './dtmf/sip-info.js';
export type { DtmfInfo, DtmfInfoContentType } from './dtmf/sip-info.js';
export { MediaSession } from './session.js';
export type { MediaSessionOptions, ResamplerFactory } from './session.js';
export type {
  DtmfEvent,
  DtmfMode,
  LegAudioConfig,
  LegConfig,
  LegId,
  LegSrtpConfig,
  LegStatistics,
  LegVideoConfig,
  MediaDirection,
  MediaSessionEvents,
  MediaTransport,
  PathMode,
  PayloadFormat,
  TelephoneEventFormat,
} from './session-types.js';
export { StreamRewriter } from './rewriter.js';
export { LegDecoder } from './codec-decoder.js';
