// The transport interface of RFC 3261 §18: every transport (UDP, TCP, TLS, WebSocket) moves whole
// SIP messages as bytes and says where each one came from, so the layers above can route
// responses back (§18.2.2) and stamp received/rport (§18.2.1, RFC 3581).
import { SipError } from '../errors.js';
import type { TypedEmitter } from '../transaction/emitter.js';

export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export interface HostPort {
  readonly address: string;
  readonly port: number;
}

/**
 * Where a message travelled: the transport, both ends, and for connection-oriented transports
 * the connection (responses and in-dialog requests to a WebSocket client must reuse it).
 */
export interface Flow {
  readonly protocol: TransportProtocol;
  readonly local: HostPort;
  readonly remote: HostPort;
  readonly connectionId?: string;
}

/** Stable codes of {@link SipTransportError}. */
export type SipTransportErrorCode =
  | 'SEND_FAILED'
  | 'CONNECT_FAILED'
  | 'CONNECTION_CLOSED'
  | 'NO_CONNECTION'
  | 'MESSAGE_TOO_LARGE'
  | 'LIMIT_EXCEEDED'
  | 'FRAMING_ERROR'
  | 'TRANSPORT_CLOSED'
  | 'NO_TRANSPORT';

/** A transport could not deliver a message or lost a connection (RFC 3261 §18.4). */
export class SipTransportError extends SipError {
  declare readonly code: SipTransportErrorCode;
  readonly flow: Flow | undefined;

  constructor(
    code: SipTransportErrorCode,
    message: string,
    options: { flow?: Flow; cause?: unknown } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SipTransportError';
    this.flow = options.flow;
  }
}

export interface TransportEvents {
  /** One complete SIP message (a datagram, a WebSocket frame, or framed from a stream). */
  message: [bytes: Uint8Array, flow: Flow];
  /** A connection opened (stream transports, either direction). */
  connection: [flow: Flow];
  /** A connection closed; `error` says why when it was not an orderly close. */
  disconnect: [flow: Flow, error: SipTransportError | undefined];
  /** A problem not tied to one send (e.g. a peer over its limit was cut off). */
  error: [error: SipTransportError];
}

/** One transport bound to one local address. */
export interface Transport extends TypedEmitter<TransportEvents> {
  readonly protocol: TransportProtocol;
  /** TCP, TLS and WebSocket are reliable: the transaction layer does not retransmit. */
  readonly reliable: boolean;
  /** The bound address (the actual port when 0 was asked for). */
  readonly local: HostPort;
  /**
   * Sends one message. To a Flow: over that flow's connection when it is still open, else to
   * its remote address. Resolves with the flow actually used; rejects with SipTransportError.
   */
  send(bytes: Uint8Array, to: HostPort | Flow): Promise<Flow>;
  /** Whether a connection to this flow (or address) is open (always true for UDP). */
  isConnected(to: HostPort | Flow): boolean;
  close(): Promise<void>;
}

/** Limits that keep one abusive or slow peer from disturbing the others. */
export interface TransportLimits {
  /** Open connections at once (stream transports). Default 1024. */
  readonly maxConnections: number;
  /** Bytes a connection may hold unframed (a message in progress). Default 256 KiB. */
  readonly maxBufferedBytes: number;
  /** Messages per second accepted from one source address (bursts up to one second). Default 500. */
  readonly messagesPerSecond: number;
  /** Close a connection after this long without traffic. Default 10 min; 0 disables. */
  readonly idleTimeoutMs: number;
  /** Largest message accepted or sent. Default 64 KiB. */
  readonly maxMessageSize: number;
}

export const DEFAULT_TRANSPORT_LIMITS: TransportLimits = Object.freeze({
  maxConnections: 1024,
  maxBufferedBytes: 256 * 1024,
  messagesPerSecond: 500,
  idleTimeoutMs: 600_000,
  maxMessageSize: 65536,
});

export function resolveTransportLimits(limits?: Partial<TransportLimits>): TransportLimits {
  return { ...DEFAULT_TRANSPORT_LIMITS, ...limits };
}

export function isFlow(to: HostPort | Flow): to is Flow {
  return 'remote' in to;
}

export function hostPortKey(hp: HostPort): string {
  return `${hp.address}|${hp.port}`;
}

export function isReliableProtocol(protocol: TransportProtocol): boolean {
  return protocol !== 'udp';
}

/** The Via transport token for a protocol (RFC 3261 §18, RFC 7118 §5). */
export function viaTransportToken(protocol: TransportProtocol): string {
  return protocol === 'wss' ? 'WSS' : protocol.toUpperCase();
}
