// One UDP socket for many WebRTC sessions (or one per session): STUN binding requests are
// routed by the local ufrag in USERNAME (RFC 8445 §7.3), everything else by the remote address
// that last passed a check for a session (RFC 7983 demultiplexing happens in the session).
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { WebRtcError } from '../errors.js';
import { StunMessage, isStunMessage } from '../stun/message.js';
import { addressKey, type RemoteAddress } from './agent.js';
import { hostCandidate, type IceCandidate } from './candidate.js';

/** What a session registered on a mux must handle. */
export interface MuxEndpoint {
  /** A STUN message for this session; returns true when it passed the integrity check. */
  handleStun(message: StunMessage, from: RemoteAddress): boolean;
  /** A non-STUN datagram from an address this session validated. */
  handlePacket(packet: Uint8Array, from: RemoteAddress): void;
}

export interface UdpMuxOptions {
  /** Address to bind (default 0.0.0.0). */
  readonly address?: string;
  /** Port to bind (default 0: the OS picks). */
  readonly port?: number;
  /** Public address announced in candidates for a private bind (1:1 NAT). */
  readonly announcedAddress?: string;
}

export interface UdpMuxCounters {
  /** Datagrams that matched no session. */
  unroutable: number;
  /** Malformed STUN messages dropped. */
  malformedStun: number;
}

export class UdpMux {
  readonly counters: UdpMuxCounters = { unroutable: 0, malformedStun: 0 };
  readonly #socket: Socket;
  readonly #byUfrag = new Map<string, MuxEndpoint>();
  readonly #byAddress = new Map<string, MuxEndpoint>();
  readonly #announcedAddress: string | undefined;
  #closed = false;

  private constructor(socket: Socket, announcedAddress: string | undefined) {
    this.#socket = socket;
    this.#announcedAddress = announcedAddress;
    socket.on('message', (msg, rinfo) => {
      const from: RemoteAddress = {
        family: rinfo.family === 'IPv6' ? 'IPv6' : 'IPv4',
        address: rinfo.address,
        port: rinfo.port,
        transport: 'udp',
      };
      this.#route(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), from);
    });
    // A send to an unreachable port surfaces as an error event on some platforms; it must not
    // take the process down, and the sessions notice through consent freshness.
    socket.on('error', () => {});
  }

  static async bind(options: UdpMuxOptions = {}): Promise<UdpMux> {
    const address = options.address ?? '0.0.0.0';
    if (!isIP(address))
      throw new WebRtcError('INVALID_ARGUMENT', `bind address must be an IP: ${address}`);
    if (options.announcedAddress !== undefined && !isIP(options.announcedAddress)) {
      throw new WebRtcError(
        'INVALID_ARGUMENT',
        `announced address must be an IP: ${options.announcedAddress}`,
      );
    }
    const socket = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (cause) =>
        reject(
          new WebRtcError('SOCKET_ERROR', `cannot bind UDP ${address}:${options.port ?? 0}`, {
            cause,
          }),
        ),
      );
      socket.bind(options.port ?? 0, address, () => resolve());
    });
    return new UdpMux(socket, options.announcedAddress);
  }

  get port(): number {
    return this.#socket.address().port;
  }
  get address(): string {
    return this.#socket.address().address;
  }

  /** The host candidate to announce: the public address if configured, else the bound one. */
  candidates(): IceCandidate[] {
    return [hostCandidate(this.#announcedAddress ?? this.address, this.port, 'udp')];
  }

  /** Registers a session under each of its local ufrags. */
  register(usernameFragment: string, endpoint: MuxEndpoint): void {
    if (this.#closed) throw new WebRtcError('TRANSPORT_CLOSED', 'UDP mux is closed');
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

  /** Removes every route to this session. */
  unregister(endpoint: MuxEndpoint): void {
    for (const [k, v] of this.#byUfrag) if (v === endpoint) this.#byUfrag.delete(k);
    for (const [k, v] of this.#byAddress) if (v === endpoint) this.#byAddress.delete(k);
  }

  get sessionCount(): number {
    return new Set(this.#byUfrag.values()).size;
  }

  send(packet: Uint8Array, to: RemoteAddress): void {
    if (this.#closed) return;
    this.#socket.send(packet, to.port, to.address);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#byUfrag.clear();
    this.#byAddress.clear();
    this.#socket.close();
  }

  #route(packet: Uint8Array, from: RemoteAddress): void {
    if (isStunMessage(packet)) {
      let message: StunMessage;
      try {
        message = StunMessage.parse(packet);
      } catch {
        this.counters.malformedStun++;
        return;
      }
      const username = message.username;
      const colon = username?.indexOf(':') ?? -1;
      const endpoint =
        username !== undefined && colon > 0
          ? this.#byUfrag.get(username.slice(0, colon))
          : this.#byAddress.get(addressKey(from));
      if (!endpoint) {
        this.counters.unroutable++;
        return;
      }
      // Only a check that authenticates may (re)bind an address to a session.
      if (endpoint.handleStun(message, from) && username !== undefined) {
        this.#byAddress.set(addressKey(from), endpoint);
      }
      return;
    }
    const endpoint = this.#byAddress.get(addressKey(from));
    if (!endpoint) {
      this.counters.unroutable++;
      return;
    }
    endpoint.handlePacket(packet, from);
  }
}
