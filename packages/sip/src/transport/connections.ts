// What the connection-oriented transports (TCP, TLS, WebSocket) share: the table of open
// connections with reuse by remote address (RFC 3261 §18.1.1, §18.2.2), limits, idle timeouts
// and CRLF keep-alives (RFC 5626 §4.4.1).
import type { Clock, TimerHandle } from '../clock.js';
import { TypedEmitter } from '../transaction/emitter.js';
import { SourceRateLimiter } from './rate-limit.js';
import {
  SipTransportError,
  hostPortKey,
  isFlow,
  type Flow,
  type HostPort,
  type Transport,
  type TransportEvents,
  type TransportLimits,
  type TransportProtocol,
} from './types.js';

/** One open connection, whatever carries it. */
export interface ConnectionHandle {
  write(bytes: Uint8Array): Promise<void>;
  /** Closes at once; the transport then reports the disconnect. */
  destroy(): void;
}

export interface ConnectionEntry {
  readonly flow: Flow;
  readonly handle: ConnectionHandle;
  readonly outbound: boolean;
  idleTimer: TimerHandle | undefined;
  keepAliveTimer: TimerHandle | undefined;
  awaitingPong: boolean;
}

export interface KeepAliveOptions {
  /** Send a CRLFCRLF ping on outbound connections this often; 0 disables. Default 0. */
  readonly intervalMs?: number;
  /** Close when the CRLF pong has not arrived this long after a ping. Default 10 s. */
  readonly timeoutMs?: number;
}

const PING = new Uint8Array([13, 10, 13, 10]);
const PONG = new Uint8Array([13, 10]);

let nextConnectionId = 1;

export abstract class ConnectionTransport
  extends TypedEmitter<TransportEvents>
  implements Transport
{
  abstract readonly protocol: TransportProtocol;
  readonly reliable = true;
  protected readonly limits: TransportLimits;
  protected readonly clock: Clock;
  readonly #rate: SourceRateLimiter;
  readonly #byId = new Map<string, ConnectionEntry>();
  readonly #byRemote = new Map<string, ConnectionEntry>();
  readonly #dialing = new Map<string, Promise<ConnectionEntry>>();
  readonly #keepAlive: Required<KeepAliveOptions>;
  protected closed = false;

  protected constructor(limits: TransportLimits, clock: Clock, keepAlive: KeepAliveOptions = {}) {
    super();
    this.limits = limits;
    this.clock = clock;
    this.#rate = new SourceRateLimiter(limits.messagesPerSecond, clock);
    this.#keepAlive = {
      intervalMs: keepAlive.intervalMs ?? 0,
      timeoutMs: keepAlive.timeoutMs ?? 10_000,
    };
  }

  abstract get local(): HostPort;

  /** Opens a new outbound connection; resolves with its handle and both ends. */
  protected abstract dial(
    remote: HostPort,
    events: ConnectionEvents,
  ): Promise<{ handle: ConnectionHandle; local: HostPort; remote: HostPort }>;

  get connectionCount(): number {
    return this.#byId.size;
  }

  /** Whether another connection may be accepted. */
  protected canAccept(): boolean {
    return !this.closed && this.#byId.size < this.limits.maxConnections;
  }

  /**
   * Registers an open connection. Returns the callbacks the concrete transport calls as bytes
   * arrive and when the connection ends.
   */
  protected register(
    handle: ConnectionHandle,
    local: HostPort,
    remote: HostPort,
    outbound: boolean,
  ): { entry: ConnectionEntry; events: ConnectionEvents } {
    const flow: Flow = {
      protocol: this.protocol,
      local,
      remote,
      connectionId: `${this.protocol}-${nextConnectionId++}`,
    };
    const entry: ConnectionEntry = {
      flow,
      handle,
      outbound,
      idleTimer: undefined,
      keepAliveTimer: undefined,
      awaitingPong: false,
    };
    this.#byId.set(flow.connectionId!, entry);
    this.#byRemote.set(hostPortKey(remote), entry);
    this.#touch(entry);
    if (outbound && this.#keepAlive.intervalMs > 0) this.#scheduleKeepAlive(entry);
    this.emit('connection', flow);
    return { entry, events: this.eventsFor(entry) };
  }

  protected eventsFor(entry: ConnectionEntry): ConnectionEvents {
    return {
      message: (bytes) => this.#message(entry, bytes),
      ping: () => {
        this.#touch(entry);
        void entry.handle.write(PONG).catch(() => undefined);
      },
      pong: () => {
        this.#touch(entry);
        entry.awaitingPong = false;
      },
      buffered: (bytes) => {
        if (bytes > this.limits.maxBufferedBytes) {
          this.#abort(
            entry,
            new SipTransportError(
              'LIMIT_EXCEEDED',
              `${this.protocol} connection from ${entry.flow.remote.address}:${entry.flow.remote.port} buffered ${bytes} bytes without a complete message`,
              { flow: entry.flow },
            ),
          );
        }
      },
      framingError: (error) =>
        this.#abort(
          entry,
          error instanceof SipTransportError
            ? new SipTransportError(error.code, error.message, { flow: entry.flow, cause: error })
            : new SipTransportError(
                'FRAMING_ERROR',
                `${this.protocol} stream could not be framed`,
                {
                  flow: entry.flow,
                  cause: error,
                },
              ),
        ),
      closed: (error) => this.#closed(entry, error),
    };
  }

  #message(entry: ConnectionEntry, bytes: Uint8Array): void {
    this.#touch(entry);
    if (bytes.length > this.limits.maxMessageSize) {
      this.#abort(
        entry,
        new SipTransportError('MESSAGE_TOO_LARGE', `message of ${bytes.length} bytes`, {
          flow: entry.flow,
        }),
      );
      return;
    }
    if (!this.#rate.allow(entry.flow.remote.address)) {
      this.#abort(
        entry,
        new SipTransportError(
          'LIMIT_EXCEEDED',
          `${entry.flow.remote.address} sent more than ${this.limits.messagesPerSecond} messages/s`,
          { flow: entry.flow },
        ),
      );
      return;
    }
    this.emit('message', bytes, entry.flow);
  }

  #abort(entry: ConnectionEntry, error: SipTransportError): void {
    this.emit('error', error);
    entry.handle.destroy();
    this.#closed(entry, error);
  }

  #closed(entry: ConnectionEntry, error: SipTransportError | undefined): void {
    const id = entry.flow.connectionId!;
    if (!this.#byId.has(id)) return;
    this.#byId.delete(id);
    const key = hostPortKey(entry.flow.remote);
    if (this.#byRemote.get(key) === entry) this.#byRemote.delete(key);
    if (entry.idleTimer !== undefined) this.clock.clearTimeout(entry.idleTimer);
    if (entry.keepAliveTimer !== undefined) this.clock.clearTimeout(entry.keepAliveTimer);
    this.emit('disconnect', entry.flow, error);
  }

  #touch(entry: ConnectionEntry): void {
    if (this.limits.idleTimeoutMs <= 0) return;
    if (entry.idleTimer !== undefined) this.clock.clearTimeout(entry.idleTimer);
    entry.idleTimer = this.clock.setTimeout(() => {
      entry.handle.destroy();
      this.#closed(entry, undefined);
    }, this.limits.idleTimeoutMs);
  }

  #scheduleKeepAlive(entry: ConnectionEntry): void {
    entry.keepAliveTimer = this.clock.setTimeout(() => {
      if (entry.awaitingPong) {
        this.#abort(
          entry,
          new SipTransportError('CONNECTION_CLOSED', 'no CRLF pong to the keep-alive ping', {
            flow: entry.flow,
          }),
        );
        return;
      }
      entry.awaitingPong = true;
      void entry.handle.write(PING).catch(() => undefined);
      entry.keepAliveTimer = this.clock.setTimeout(() => {
        if (entry.awaitingPong) {
          this.#abort(
            entry,
            new SipTransportError('CONNECTION_CLOSED', 'no CRLF pong to the keep-alive ping', {
              flow: entry.flow,
            }),
          );
        } else {
          this.#scheduleKeepAlive(entry);
        }
      }, this.#keepAlive.timeoutMs);
    }, this.#keepAlive.intervalMs);
  }

  #find(to: HostPort | Flow): ConnectionEntry | undefined {
    if (isFlow(to)) {
      if (to.connectionId !== undefined) {
        const byId = this.#byId.get(to.connectionId);
        if (byId) return byId;
      }
      return this.#byRemote.get(hostPortKey(to.remote));
    }
    return this.#byRemote.get(hostPortKey(to));
  }

  isConnected(to: HostPort | Flow): boolean {
    return this.#find(to) !== undefined;
  }

  async send(bytes: Uint8Array, to: HostPort | Flow): Promise<Flow> {
    if (this.closed)
      throw new SipTransportError('TRANSPORT_CLOSED', `${this.protocol} transport is closed`);
    let entry = this.#find(to);
    if (entry === undefined) entry = await this.#connect(isFlow(to) ? to.remote : to);
    try {
      await entry.handle.write(bytes);
    } catch (error) {
      throw new SipTransportError(
        'SEND_FAILED',
        `${this.protocol} send to ${entry.flow.remote.address}:${entry.flow.remote.port} failed`,
        { flow: entry.flow, cause: error },
      );
    }
    return entry.flow;
  }

  /** Opens (or joins an attempt to open) a connection to `remote`. */
  #connect(remote: HostPort): Promise<ConnectionEntry> {
    const key = hostPortKey(remote);
    const pending = this.#dialing.get(key);
    if (pending) return pending;
    if (this.#byId.size >= this.limits.maxConnections) {
      return Promise.reject(
        new SipTransportError(
          'LIMIT_EXCEEDED',
          `already ${this.#byId.size} ${this.protocol} connections`,
        ),
      );
    }
    let forward: ConnectionEvents | undefined;
    const events: ConnectionEvents = {
      message: (b) => forward?.message(b),
      ping: () => forward?.ping(),
      pong: () => forward?.pong(),
      buffered: (n) => forward?.buffered(n),
      framingError: (e) => forward?.framingError(e),
      closed: (e) => forward?.closed(e),
    };
    const attempt = this.dial(remote, events)
      .then(({ handle, local, remote: actual }) => {
        const { entry, events: connectionEvents } = this.register(handle, local, actual, true);
        forward = connectionEvents;
        return entry;
      })
      .catch((error: unknown) => {
        throw error instanceof SipTransportError
          ? error
          : new SipTransportError(
              'CONNECT_FAILED',
              `${this.protocol} connection to ${remote.address}:${remote.port} failed`,
              { cause: error },
            );
      })
      .finally(() => this.#dialing.delete(key));
    this.#dialing.set(key, attempt);
    return attempt;
  }

  /** Closes every connection. */
  protected closeConnections(): void {
    for (const entry of [...this.#byId.values()]) {
      entry.handle.destroy();
      this.#closed(entry, undefined);
    }
  }

  abstract close(): Promise<void>;
}

/** Callbacks from a concrete connection into the shared table. */
export interface ConnectionEvents {
  message(bytes: Uint8Array): void;
  ping(): void;
  pong(): void;
  /** Bytes currently held without a complete message. */
  buffered(bytes: number): void;
  framingError(error: unknown): void;
  closed(error: SipTransportError | undefined): void;
}
