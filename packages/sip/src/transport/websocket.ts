// SIP over WebSocket (RFC 7118): the `sip` subprotocol, one SIP message per frame, client and
// server side, plain (ws) or secure (wss). Node only (the `ws` package).
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { systemClock, type Clock } from '../clock.js';
import { randomChars } from '../transaction/random.js';
import {
  ConnectionTransport,
  type ConnectionEvents,
  type ConnectionHandle,
  type KeepAliveOptions,
} from './connections.js';
import {
  SipTransportError,
  resolveTransportLimits,
  type HostPort,
  type TransportLimits,
} from './types.js';

export const SIP_WEBSOCKET_PROTOCOL = 'sip';

export interface WebSocketTransportOptions {
  readonly address?: string;
  readonly port?: number;
  /** Accept inbound WebSocket connections (default true). */
  readonly listen?: boolean;
  /** HTTP path clients connect to (default any path). */
  readonly path?: string;
  /** Serve wss: key and certificate (PEM). */
  readonly secure?: Pick<HttpsOptions, 'key' | 'cert' | 'ca'>;
  /** Client side of wss: trust anchors and checks. */
  readonly client?: Pick<ConnectionOptions, 'ca' | 'rejectUnauthorized' | 'servername'>;
  readonly limits?: Partial<TransportLimits>;
  readonly keepAlive?: KeepAliveOptions;
  readonly clock?: Clock;
  readonly connectTimeoutMs?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Uint8Array): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) {
    const total = data.reduce((n, b) => n + b.length, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const part of data) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

export class WebSocketTransport extends ConnectionTransport {
  readonly protocol: 'ws' | 'wss';
  readonly #http: HttpServer | undefined;
  readonly #wss: WebSocketServer | undefined;
  readonly #local: HostPort;
  readonly #options: WebSocketTransportOptions;
  readonly #sockets = new Set<WebSocket>();

  private constructor(
    options: WebSocketTransportOptions,
    http: HttpServer | undefined,
    local: HostPort,
    limits: TransportLimits,
    clock: Clock,
  ) {
    super(limits, clock, options.keepAlive);
    this.protocol = options.secure || options.client ? 'wss' : 'ws';
    this.#options = options;
    this.#http = http;
    this.#local = local;
    if (http) {
      this.#wss = new WebSocketServer({
        server: http,
        maxPayload: limits.maxMessageSize,
        ...(options.path !== undefined ? { path: options.path } : {}),
        // RFC 7118 §4.1: only the `sip` subprotocol is spoken; other handshakes are refused.
        handleProtocols: (protocols) =>
          protocols.has(SIP_WEBSOCKET_PROTOCOL) ? SIP_WEBSOCKET_PROTOCOL : false,
      });
      this.#wss.on('connection', (socket, request) => {
        if (socket.protocol !== SIP_WEBSOCKET_PROTOCOL || !this.canAccept()) {
          socket.close(1002);
          return;
        }
        const remote = {
          address: request.socket.remoteAddress ?? '',
          port: request.socket.remotePort ?? 0,
        };
        const local = { address: this.#local.address, port: this.#local.port };
        const { events } = this.register(this.#handle(socket), local, remote, false);
        this.#wire(socket, events);
      });
    }
  }

  static async create(options: WebSocketTransportOptions = {}): Promise<WebSocketTransport> {
    const limits = resolveTransportLimits(options.limits);
    const clock = options.clock ?? systemClock;
    const address = options.address ?? '127.0.0.1';
    if (options.listen === false) {
      // RFC 7118 §5: a client that cannot be reached except over its connection names itself
      // with a random `.invalid` host in Via and Contact.
      return new WebSocketTransport(
        options,
        undefined,
        { address: options.address ?? `${randomChars(12).toLowerCase()}.invalid`, port: 0 },
        limits,
        clock,
      );
    }
    const http = options.secure ? createHttpsServer({ ...options.secure }) : createHttpServer();
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 0, address, () => {
        http.off('error', reject);
        resolve();
      });
    });
    const bound = http.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : (options.port ?? 0);
    return new WebSocketTransport(options, http, { address, port }, limits, clock);
  }

  get local(): HostPort {
    return this.#local;
  }

  /** The URL clients use to reach this transport. */
  get url(): string {
    const host = this.#local.address.includes(':')
      ? `[${this.#local.address}]`
      : this.#local.address;
    return `${this.protocol}://${host}:${this.#local.port}${this.#options.path ?? '/'}`;
  }

  protected dial(
    remote: HostPort,
    events: ConnectionEvents,
  ): Promise<{ handle: ConnectionHandle; local: HostPort; remote: HostPort }> {
    const host = remote.address.includes(':') ? `[${remote.address}]` : remote.address;
    const url = `${this.protocol}://${host}:${remote.port}${this.#options.path ?? '/'}`;
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, SIP_WEBSOCKET_PROTOCOL, {
        maxPayload: this.limits.maxMessageSize,
        handshakeTimeout: this.#options.connectTimeoutMs ?? 10_000,
        ...this.#options.client,
      });
      socket.once('error', reject);
      socket.once('open', () => {
        socket.off('error', reject);
        if (socket.protocol !== SIP_WEBSOCKET_PROTOCOL) {
          socket.terminate();
          reject(
            new SipTransportError('CONNECT_FAILED', `${url} did not accept the sip subprotocol`),
          );
          return;
        }
        this.#wire(socket, events);
        const raw = (
          socket as unknown as { _socket?: { localAddress?: string; localPort?: number } }
        )._socket;
        resolve({
          handle: this.#handle(socket),
          local: { address: raw?.localAddress ?? this.#local.address, port: raw?.localPort ?? 0 },
          remote,
        });
      });
    });
  }

  #handle(socket: WebSocket): ConnectionHandle {
    this.#sockets.add(socket);
    return {
      write: (bytes) =>
        new Promise((resolve, reject) => {
          if (socket.readyState !== WebSocket.OPEN) {
            reject(new SipTransportError('CONNECTION_CLOSED', 'WebSocket is not open'));
            return;
          }
          // RFC 7118 §5: text frames for UTF-8 messages, binary frames otherwise.
          socket.send(bytes, { binary: !isUtf8(bytes) }, (error) =>
            error ? reject(error) : resolve(),
          );
        }),
      destroy: () => socket.terminate(),
    };
  }

  #wire(socket: WebSocket, events: ConnectionEvents): void {
    let failed: SipTransportError | undefined;
    socket.on('message', (data) => {
      const bytes = toBytes(data);
      // Some clients send CRLF keep-alives in frames of their own.
      if (
        bytes.length === 4 &&
        bytes[0] === 13 &&
        bytes[1] === 10 &&
        bytes[2] === 13 &&
        bytes[3] === 10
      )
        events.ping();
      else if (bytes.length === 2 && bytes[0] === 13 && bytes[1] === 10) events.pong();
      else events.message(bytes);
    });
    socket.on('error', (error) => {
      failed = new SipTransportError('CONNECTION_CLOSED', `WebSocket error: ${error.message}`, {
        cause: error,
      });
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
    for (const socket of this.#sockets) socket.terminate();
    this.#wss?.close();
    const http = this.#http;
    if (http) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  }
}
