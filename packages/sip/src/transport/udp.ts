// UDP transport (RFC 3261 §18). Node only (node:dgram).
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { systemClock, type Clock } from '../clock.js';
import { TypedEmitter } from '../transaction/emitter.js';
import { SourceRateLimiter } from './rate-limit.js';
import {
  SipTransportError,
  isFlow,
  resolveTransportLimits,
  type Flow,
  type HostPort,
  type Transport,
  type TransportEvents,
  type TransportLimits,
} from './types.js';

export interface UdpTransportOptions {
  /** Local address; 127.0.0.1 by default. */
  readonly address?: string;
  /** Local port; 0 lets the OS pick. */
  readonly port?: number;
  readonly limits?: Partial<TransportLimits>;
  readonly clock?: Clock;
}

export class UdpTransport extends TypedEmitter<TransportEvents> implements Transport {
  readonly protocol = 'udp' as const;
  readonly reliable = false;
  readonly #socket: Socket;
  readonly #limits: TransportLimits;
  readonly #rate: SourceRateLimiter;
  #local: HostPort;
  #closed = false;

  private constructor(socket: Socket, local: HostPort, limits: TransportLimits, clock: Clock) {
    super();
    this.#socket = socket;
    this.#local = local;
    this.#limits = limits;
    this.#rate = new SourceRateLimiter(limits.messagesPerSecond, clock);
    socket.on('message', (data, rinfo) => this.#receive(data, rinfo.address, rinfo.port));
    socket.on('error', (error) =>
      this.emit(
        'error',
        new SipTransportError('SEND_FAILED', `UDP socket error: ${error.message}`, {
          cause: error,
        }),
      ),
    );
  }

  /** Binds a UDP socket and resolves once it is listening. */
  static async create(options: UdpTransportOptions = {}): Promise<UdpTransport> {
    const address = options.address ?? '127.0.0.1';
    const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port ?? 0, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const bound = socket.address();
    return new UdpTransport(
      socket,
      { address: bound.address, port: bound.port },
      resolveTransportLimits(options.limits),
      options.clock ?? systemClock,
    );
  }

  get local(): HostPort {
    return this.#local;
  }

  #receive(data: Uint8Array, address: string, port: number): void {
    // RFC 5626 §3.5.1 keep-alives over UDP are STUN; bare CRLFs from older UAs are ignored.
    if (data.length <= 4 && data.every((b) => b === 13 || b === 10)) return;
    if (data.length > this.#limits.maxMessageSize) return;
    if (!this.#rate.allow(address)) return;
    this.emit('message', data, {
      protocol: 'udp',
      local: this.#local,
      remote: { address, port },
    });
  }

  send(bytes: Uint8Array, to: HostPort | Flow): Promise<Flow> {
    const remote = isFlow(to) ? to.remote : to;
    const flow: Flow = { protocol: 'udp', local: this.#local, remote };
    if (this.#closed)
      return Promise.reject(
        new SipTransportError('TRANSPORT_CLOSED', 'UDP transport is closed', { flow }),
      );
    return new Promise((resolve, reject) => {
      this.#socket.send(bytes, remote.port, remote.address, (error) => {
        if (error) {
          reject(
            new SipTransportError(
              error.message.includes('EMSGSIZE') ? 'MESSAGE_TOO_LARGE' : 'SEND_FAILED',
              `UDP send to ${remote.address}:${remote.port} failed: ${error.message}`,
              { flow, cause: error },
            ),
          );
        } else {
          resolve(flow);
        }
      });
    });
  }

  isConnected(): boolean {
    return !this.#closed;
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
