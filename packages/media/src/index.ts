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
