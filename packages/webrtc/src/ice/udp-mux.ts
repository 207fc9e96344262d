// One UDP socket for many WebRTC sessions (or one per session): STUN binding requests are
// routed by the local ufrag in USERNAME (RFC 8445 §7.3), everything else by the remote address
// that last passed a check for a session (RFC 7983 demultiplexing happens in the session).
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
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

/** One local address to listen on. */
export interface UdpBinding {
  /** Address to bind (default 0.0.0.0: candidates then list every non-internal IPv4 address). */
  readonly address?: string;
  /** Port to bind (default 0: the OS picks). */
  readonly port?: number;
  /** Public address announced in candidates for a private bind (1:1 NAT). */
  readonly announcedAddress?: string;
}

export interface UdpMuxOptions extends UdpBinding {
  /** Several local addresses at once (one socket each); replaces address/port/announcedAddress. */
  readonly bindings?: readonly UdpBinding[];
}

export interface UdpMuxCounters {
  /** Datagrams that matched no session. */
  unroutable: number;
  /** Malformed STUN messages dropped. */
  malformedStun: number;
}

interface BoundSocket {
  readonly socket: Socket;
  readonly announcedAddress: string | undefined;
}

const isWildcard = (address: string): boolean => address === '0.0.0.0' || address === '::';

export class UdpMux {
  readonly counters: UdpMuxCounters = { unroutable: 0, malformedStun: 0 };
  readonly #sockets: readonly BoundSocket[];
  readonly #byUfrag = new Map<string, MuxEndpoint>();
  readonly #byAddress = new Map<string, MuxEndpoint>();
  #closed = false;

  private constructor(sockets: readonly BoundSocket[]) {
    this.#sockets = sockets;
    for (const { socket } of sockets) {
      const { address: localAddress, port: localPort } = socket.address();
      socket.on('message', (msg, rinfo) => {
        const from: RemoteAddress = {
          family: rinfo.family === 'IPv6' ? 'IPv6' : 'IPv4',
          address: rinfo.address,
          port: rinfo.port,
          transport: 'udp',
          localAddress,
          localPort,
        };
        this.#route(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), from);
      });
      // A send to an unreachable port surfaces as an error event on some platforms; it must not
      // take the process down, and the sessions notice through consent freshness.
      socket.on('error', () => {});
    }
  }

  static async bind(options: UdpMuxOptions = {}): Promise<UdpMux> {
    const bindings = options.bindings ?? [options];
    if (bindings.length === 0) throw new WebRtcError('INVALID_ARGUMENT', 'no UDP binding given');
    const bound: BoundSocket[] = [];
    try {
      for (const binding of bindings) bound.push(await bindOne(binding));
    } catch (error) {
      for (const b of bound) b.socket.close();
      throw error;
    }
    return new UdpMux(bound);
  }

  /** The port of the first binding (all bindings share it when a port was configured). */
  get port(): number {
    return this.#sockets[0]!.socket.address().port;
  }
  get address(): string {
    return this.#sockets[0]!.socket.address().address;
  }

  /**
   * One host candidate per binding: its announced address, or its bound address, or for a
   * wildcard bind every non-internal address of that family on this host (RFC 8445 §5.1.1.1).
   */
  candidates(): IceCandidate[] {
    const out: IceCandidate[] = [];
    let preference = 65535;
    for (const { socket, announcedAddress } of this.#sockets) {
      const { address, port, family } = socket.address();
      const addresses = announcedAddress
        ? [announcedAddress]
        : isWildcard(address)
          ? interfaceAddresses(family === 'IPv6' ? 'IPv6' : 'IPv4')
          : [address];
      for (const a of addresses) out.push(hostCandidate(a, port, 'udp', preference--));
    }
    return out;
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

  /** Sends from the socket the peer's packets arrived on (the first one if unknown). */
  send(packet: Uint8Array, to: RemoteAddress): void {
    if (this.#closed) return;
    const via =
      this.#sockets.length > 1 && to.localPort !== undefined
        ? this.#sockets.find((b) => {
            const local = b.socket.address();
            return local.port === to.localPort && local.address === to.localAddress;
          })
        : undefined;
    (via ?? this.#sockets[0]!).socket.send(packet, to.port, to.address);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#byUfrag.clear();
    this.#byAddress.clear();
    for (const { socket } of this.#sockets) socket.close();
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

async function bindOne(binding: UdpBinding): Promise<BoundSocket> {
  const address = binding.address ?? '0.0.0.0';
  if (!isIP(address))
    throw new WebRtcError('INVALID_ARGUMENT', `bind address must be an IP: ${address}`);
  if (binding.announcedAddress !== undefined && !isIP(binding.announcedAddress)) {
    throw new WebRtcError(
      'INVALID_ARGUMENT',
      `announced address must be an IP: ${binding.announcedAddress}`,
    );
  }
  const socket = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (cause) =>
      reject(
        new WebRtcError('SOCKET_ERROR', `cannot bind UDP ${address}:${binding.port ?? 0}`, {
          cause,
        }),
      ),
    );
    socket.bind(binding.port ?? 0, address, () => resolve());
  });
  return { socket, announcedAddress: binding.announcedAddress };
}

function interfaceAddresses(family: 'IPv4' | 'IPv6'): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) {
      // Link-local IPv6 needs a scope id that SDP cannot carry.
      if (entry.internal || entry.family !== family || entry.address.startsWith('fe80:')) continue;
      out.push(entry.address);
    }
  }
  return out;
}
