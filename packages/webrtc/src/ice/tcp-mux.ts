// RFC 6544 passive TCP candidates for networks that block UDP: one listening socket, each
// connection framed per RFC 4571 (16-bit length before every STUN/DTLS/SRTP packet). A new
// connection's first frame must be a STUN check whose USERNAME names a registered session.
import { createServer, type Server, type Socket } from 'node:net';
import { isIP } from 'node:net';
import { WebRtcError } from '../errors.js';
import { StunMessage, isStunMessage } from '../stun/message.js';
import { addressKey, type RemoteAddress } from './agent.js';
import { hostCandidate, type IceCandidate } from './candidate.js';
import type { MuxEndpoint } from './udp-mux.js';

export interface TcpMuxOptions {
  readonly address?: string;
  readonly port?: number;
  readonly announcedAddress?: string;
  /** Largest RFC 4571 frame accepted (default 65535, the framing's limit). */
  readonly maxFrame?: number;
}

export interface TcpMuxCounters {
  /** Connections closed because their first frame did not authenticate for any session. */
  rejectedConnections: number;
  malformedStun: number;
}

interface Connection {
  readonly socket: Socket;
  readonly from: RemoteAddress;
  endpoint: MuxEndpoint | undefined;
  pending: Uint8Array;
}

export class TcpMux {
  readonly counters: TcpMuxCounters = { rejectedConnections: 0, malformedStun: 0 };
  readonly #server: Server;
  readonly #byUfrag = new Map<string, MuxEndpoint>();
  readonly #connections = new Map<string, Connection>();
  readonly #announcedAddress: string | undefined;
  readonly #maxFrame: number;

  private constructor(server: Server, options: TcpMuxOptions) {
    this.#server = server;
    this.#announcedAddress = options.announcedAddress;
    this.#maxFrame = options.maxFrame ?? 65535;
    server.on('connection', (socket) => this.#accept(socket));
  }

  static async listen(options: TcpMuxOptions = {}): Promise<TcpMux> {
    const address = options.address ?? '0.0.0.0';
    if (!isIP(address))
      throw new WebRtcError('INVALID_ARGUMENT', `listen address must be an IP: ${address}`);
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (cause) =>
        reject(
          new WebRtcError('SOCKET_ERROR', `cannot listen on TCP ${address}:${options.port ?? 0}`, {
            cause,
          }),
        ),
      );
      server.listen(options.port ?? 0, address, () => resolve());
    });
    return new TcpMux(server, options);
  }

  get port(): number {
    const a = this.#server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }
  get address(): string {
    const a = this.#server.address();
    return typeof a === 'object' && a ? a.address : '';
  }

  /** The passive TCP host candidate (RFC 6544 §4.5). */
  candidates(): IceCandidate[] {
    return [hostCandidate(this.#announcedAddress ?? this.address, this.port, 'tcp')];
  }

  register(usernameFragment: string, endpoint: MuxEndpoint): void {
    const existing = this.#byUfrag.get(usernameFragment);
    if (existing && existing !== endpoint) {
      throw new WebRtcError(
        'INVALID_ARGUMENT',
        `ICE ufrag ${usernameFragment} is already in use on this port`,
      );
    }
    this.#byUfrag.set(usernameFragment, endpoint);
  }

  unregisterUfrag(usernameFragment: string, endpoint: MuxEndpoint): void {
    if (this.#byUfrag.get(usernameFragment) === endpoint) this.#byUfrag.delete(usernameFragment);
  }

  unregister(endpoint: MuxEndpoint): void {
    for (const [k, v] of this.#byUfrag) if (v === endpoint) this.#byUfrag.delete(k);
    for (const [k, c] of this.#connections) {
      if (c.endpoint === endpoint) {
        c.socket.destroy();
        this.#connections.delete(k);
      }
    }
  }

  /** Sends one packet, framed, on the connection `to` names; false when there is none. */
  send(packet: Uint8Array, to: RemoteAddress): boolean {
    const connection = this.#connections.get(addressKey(to));
    if (!connection || connection.socket.destroyed || packet.length > 0xffff) return false;
    const frame = new Uint8Array(2 + packet.length);
    frame[0] = packet.length >> 8;
    frame[1] = packet.length & 0xff;
    frame.set(packet, 2);
    connection.socket.write(frame);
    return true;
  }

  close(): void {
    for (const c of this.#connections.values()) c.socket.destroy();
    this.#connections.clear();
    this.#byUfrag.clear();
    this.#server.close();
  }

  #accept(socket: Socket): void {
    const from: RemoteAddress = {
      family: socket.remoteFamily === 'IPv6' ? 'IPv6' : 'IPv4',
      address: socket.remoteAddress ?? '',
      port: socket.remotePort ?? 0,
      transport: 'tcp',
    };
    const connection: Connection = {
      socket,
      from,
      endpoint: undefined,
      pending: new Uint8Array(0),
    };
    const key = addressKey(from);
    this.#connections.set(key, connection);
    socket.on('data', (chunk) =>
      this.#onData(connection, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
    );
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.#connections.get(key) === connection) this.#connections.delete(key);
    });
  }

  // RFC 4571 §2: a 16-bit length, then that many bytes; frames may span or share chunks.
  #onData(connection: Connection, chunk: Uint8Array): void {
    let buffer = chunk;
    if (connection.pending.length > 0) {
      buffer = new Uint8Array(connection.pending.length + chunk.length);
      buffer.set(connection.pending);
      buffer.set(chunk, connection.pending.length);
    }
    let offset = 0;
    while (offset + 2 <= buffer.length) {
      const length = (buffer[offset]! << 8) | buffer[offset + 1]!;
      if (length > this.#maxFrame) {
        connection.socket.destroy();
        return;
      }
      if (offset + 2 + length > buffer.length) break;
      this.#onFrame(connection, buffer.subarray(offset + 2, offset + 2 + length));
      if (connection.socket.destroyed) return;
      offset += 2 + length;
    }
    connection.pending = buffer.slice(offset);
  }

  #onFrame(connection: Connection, frame: Uint8Array): void {
    if (isStunMessage(frame)) {
      let message: StunMessage;
      try {
        message = StunMessage.parse(frame);
      } catch {
        this.counters.malformedStun++;
        return;
      }
      const username = message.username;
      const colon = username?.indexOf(':') ?? -1;
      const endpoint =
        colon > 0 ? this.#byUfrag.get(username!.slice(0, colon)) : connection.endpoint;
      if (endpoint && endpoint.handleStun(message, connection.from)) {
        connection.endpoint = endpoint;
        return;
      }
    } else if (connection.endpoint) {
      connection.endpoint.handlePacket(frame, connection.from);
      return;
    }
    // A connection that has not authenticated may not stay open (RFC 6544 §7.2).
    if (!connection.endpoint) {
      this.counters.rejectedConnections++;
      connection.socket.destroy();
    }
  }
}
