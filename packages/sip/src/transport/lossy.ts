// A transport wrapper that drops chosen messages in either direction: tests use it to exercise
// every retransmission path of the transaction layer on a real socket.
import { TypedEmitter } from '../transaction/emitter.js';
import type { Flow, HostPort, Transport, TransportEvents } from './types.js';

export type DropDirection = 'in' | 'out';
/** Returns true to drop this message. `index` counts messages per direction from 0. */
export type DropRule = (bytes: Uint8Array, direction: DropDirection, index: number) => boolean;

export class LossyTransport extends TypedEmitter<TransportEvents> implements Transport {
  readonly inner: Transport;
  readonly #drop: DropRule;
  #inCount = 0;
  #outCount = 0;
  /** Messages dropped so far, per direction. */
  readonly dropped = { in: 0, out: 0 };

  constructor(inner: Transport, drop: DropRule) {
    super();
    this.inner = inner;
    this.#drop = drop;
    inner.on('message', (bytes, flow) => {
      if (this.#drop(bytes, 'in', this.#inCount++)) this.dropped.in++;
      else this.emit('message', bytes, flow);
    });
    inner.on('connection', (flow) => this.emit('connection', flow));
    inner.on('disconnect', (flow, error) => this.emit('disconnect', flow, error));
    inner.on('error', (error) => this.emit('error', error));
  }

  get protocol(): Transport['protocol'] {
    return this.inner.protocol;
  }
  get reliable(): boolean {
    return this.inner.reliable;
  }
  get local(): HostPort {
    return this.inner.local;
  }

  send(bytes: Uint8Array, to: HostPort | Flow): Promise<Flow> {
    if (this.#drop(bytes, 'out', this.#outCount++)) {
      this.dropped.out++;
      const remote = 'remote' in to ? to.remote : to;
      return Promise.resolve({ protocol: this.protocol, local: this.local, remote });
    }
    return this.inner.send(bytes, to);
  }

  isConnected(to: HostPort | Flow): boolean {
    return this.inner.isConnected(to);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
