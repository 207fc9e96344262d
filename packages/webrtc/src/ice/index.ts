export {
  IceLiteAgent,
  addressKey,
  generateIceParameters,
  type IceAgentCounters,
  type IceAgentEvents,
  type IceLiteAgentOptions,
  type IceParameters,
  type IceState,
  type RemoteAddress,
} from './agent.js';
export {
  candidatePriority,
  formatCandidate,
  hostCandidate,
  type IceCandidate,
} from './candidate.js';
export {
  UdpMux,
  type MuxEndpoint,
  type UdpBinding,
  type UdpMuxCounters,
  type UdpMuxOptions,
} from './udp-mux.js';
export { TcpMux, type TcpMuxCounters, type TcpMuxOptions } from './tcp-mux.js';
