// TCP and TLS transports (RFC 3261 §18, §26.2). Node only (node:net, node:tls).
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import {
  createServer as createTlsServer,
  connect as tlsConnect,
  type ConnectionOptions,
  type TlsOptions,
} from 'node:tls';
import { systemClock, type Clock } from '../clock.js';
import {
  ConnectionTransport,
  type ConnectionEvents,
  type ConnectionHandle,
  type KeepAliveOptions,
} from './connections.js';
import { createStreamFramer, type StreamFramerFactory } from './framing.js';
import {
  SipTransportError,
  resolveTransportLimits,
  type HostPort,
  type TransportLimits,
} from './types.js';

export interface StreamTransportOptions {
  /** Local address to listen on; 127.0.0.1 by default. */
  readonly address?: string;
  /** Local port; 0 lets the OS pick. */
  readonly port?: number;
  /** Accept inbound connections (default true). A client-only transport still has a local address for Via. */
  readonly listen?: boolean;
  readonly limits?: Partial<TransportLimits>;
  readonly keepAlive?: KeepAliveOptions;
  readonly clock?: Clock;
  /** How long an outbound connect may take. Default 10 s. */
  readonly connectTimeoutMs?: number;
  readonly framer?: StreamFramerFactory;
}

export interface TlsTransportOptions extends StreamTransportOptions {
  /** Server side: key and certificate (PEM). */
  readonly server?: Pick<TlsOptions, 'key' | 'cert' | 'ca' | 'requestCert'>;
  /** Client side: trust anchors and checks (RFC 5922: the peer's certificate names the domain). */
  readonly client?: Pick<
    ConnectionOptions,
    'ca' | 'rejectUnauthorized' | 'servername' | 'key' | 'cert'
  >;
}

/** TCP, or TLS when built with {@link StreamTransport.tls}. */
export class StreamTransport extends ConnectionTransport {
  readonly protocol: 'tcp' | 'tls';
  readonly #server: Server | undefined;
  #local: HostPort;
  readonly #options: TlsTransportOptions;
  readonly #framer: StreamFramerFactory;
  readonly #sockets = new Set<Socket>();

  private constructor(
    protocol: 'tcp' | 'tls',
    server: Server | undefined,
    local: HostPort,
    options: TlsTransportOptions,
    limits: TransportLimits,
    clock: Clock,
  ) {
    super(limits, clock, options.keepAlive);
    this.protocol = protocol;
    this.#server = server;
    this.#local = local;
    this.#options = options;
    this.#framer = options.framer ?? createStreamFramer;
  }

  /** A TCP transport, listening unless `listen: false`. */
  static tcp(options: StreamTransportOptions = {}): Promise<StreamTransport> {
    return StreamTransport.#start('tcp', options);
  }

  /** A TLS transport; listening needs `server.key` and `server.cert`. */
  static tls(options: TlsTransportOptions = {}): Promise<StreamTransport> {
    return StreamTransport.#start('tls', options);
  }

  static async #start(
    protocol: 'tcp' | 'tls',
    options: TlsTransportOptions,
  ): Promise<StreamTransport> {
    const limits = resolveTransportLimits(options.limits);
    const clock = options.clock ?? systemClock;
    const address = options.address ?? '127.0.0.1';
    if (options.listen === false) {
      return new StreamTransport(
        protocol,
        undefined,
        { address, port: options.port ?? 0 },
        options,
        limits,
        clock,
      );
    }
    const server = protocol === 'tls' ? createTlsServer({ ...options.server }) : createServer();
    const transport = new StreamTransport(
      protocol,
      server,
      { address, port: 0 },
      options,
      limits,
      clock,
    );
    server.on(protocol === 'tls' ? 'secureConnection' : 'connection', (socket: Socket) =>
      transport.#accept(socket),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address();
    transport.#local = {
      address,
      port: typeof bound === 'object' && bound !== null ? bound.port : (options.port ?? 0),
    };
    server.on('error', (error) =>
      transport.emit(
        'error',
        new SipTransportError('CONNECT_FAILED', `${protocol} server error`, { cause: error }),
      ),
    );
    return transport;
  }

  get local(): HostPort {
    return this.#local;
  }

  #accept(socket: Socket): void {
    if (
      !this.canAccept() ||
      socket.remoteAddress === undefined ||
      socket.remotePort === undefined
    ) {
      socket.destroy();
      return;
    }
    const { events } = this.register(
      this.#handle(socket),
      {
        address: socket.localAddress ?? this.#local.address,
        port: socket.localPort ?? this.#local.port,
      },
      { address: socket.remoteAddress, port: socket.remotePort },
      false,
    );
    this.#wire(socket, events);
  }

  protected dial(
    remote: HostPort,
    events: ConnectionEvents,
  ): Promise<{ handle: ConnectionHandle; local: HostPort; remote: HostPort }> {
    return new Promise((resolve, reject) => {
      const socket =
        this.protocol === 'tls'
          ? tlsConnect({
              host: remote.address,
              port: remote.port,
              ...this.#options.client,
            })
          : netConnect({ host: remote.address, port: remote.port });
      const readyEvent = this.protocol === 'tls' ? 'secureConnect' : 'connect';
      const timer = this.clock.setTimeout(() => {
        socket.destroy();
        reject(
          new SipTransportError(
            'CONNECT_FAILED',
            `${this.protocol} connect to ${remote.address}:${remote.port} timed out`,
          ),
        );
      }, this.#options.connectTimeoutMs ?? 10_000);
      socket.once('error', (error: Error) => {
        this.clock.clearTimeout(timer);
        reject(error);
      });
      socket.once(readyEvent, () => {
        this.clock.clearTimeout(timer);
        socket.removeAllListeners('error');
        this.#wire(socket, events);
        resolve({
          handle: this.#handle(socket),
          local: {
            address: socket.localAddress ?? this.#local.address,
            port: socket.localPort ?? 0,
          },
          remote: {
            address: socket.remoteAddress ?? remote.address,
            port: socket.remotePort ?? remote.port,
          },
        });
      });
    });
  }

  #handle(socket: Socket): ConnectionHandle {
    this.#sockets.add(socket);
    return {
      write: (bytes) =>
        new Promise((resolve, reject) => {
          if (socket.destroyed) {
            reject(new SipTransportError('CONNECTION_CLOSED', 'connection is closed'));
            return;
          }
          socket.write(bytes, (error) => (error ? reject(error) : resolve()));
        }),
      destroy: () => socket.destroy(),
    };
  }

  #wire(socket: Socket, events: ConnectionEvents): void {
    const framer = this.#framer(this.limits.maxMessageSize, this.limits.maxBufferedBytes);
    socket.setNoDelay(true);
    let failed: SipTransportError | undefined;
    socket.on('data', (chunk: Uint8Array) => {
      let items;
      try {
        items = framer.push(chunk);
      } catch (error) {
        events.framingError(error);
        return;
      }
      for (const item of items) {
        if (item === 'ping') events.ping();
        else if (item === 'pong') events.pong();
        else events.message(item);
      }
      events.buffered(framer.bufferedBytes);
    });
    socket.on('error', (error) => {
      failed = new SipTransportError(
        'CONNECTION_CLOSED',
        `${this.protocol} connection error: ${error.message}`,
        {
          cause: error,
        },
      );
    });
    socket.on('close', () => {
      this.#sockets.delete(socket);
      events.closed(failed);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closeConnections();
    for (const socket of this.#sockets) socket.destroy();
    const server = this.#server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
