// The SIP leg's media sockets: an RTP/RTCP port pair (RFC 3550 §11: RTP on an even port, RTCP on
// the next) inside the configured range, with symmetric RTP (RFC 4961) towards NATed phones.
import { createSocket, type Socket } from 'node:dgram';
import { classifyPacket } from '@callbridge/rtp';
import type { PortRange } from '../config.js';

export interface RtpTarget {
  readonly address: string;
  readonly rtpPort: number;
  readonly rtcpPort: number;
}

function bind(socket: Socket, address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onError = (): void => resolve(false);
    socket.once('error', onError);
    socket.bind(port, address, () => {
      socket.off('error', onError);
      resolve(true);
    });
  });
}

/** Binds a UDP socket on a free port of the range (tries random ports, then gives up). */
export async function bindInRange(
  address: string,
  range: PortRange,
  attempts = 32,
): Promise<Socket> {
  for (let i = 0; i < attempts; i++) {
    const port = range.min + Math.floor(Math.random() * (range.max - range.min + 1));
    const socket = createSocket('udp4');
    if (await bind(socket, address, port)) return socket;
    socket.close();
  }
  throw new Error(`no free UDP port in ${range.min}-${range.max} on ${address}`);
}

function sameTarget(a: RtpTarget, b: RtpTarget): boolean {
  return a.address === b.address && a.rtpPort === b.rtpPort;
}

export class RtpSocketPair {
  readonly #rtp: Socket;
  readonly #rtcp: Socket;
  #target: RtpTarget | undefined;
  #previous: RtpTarget | undefined;
  #latched = false;
  #closed = false;
  onRtp: (packet: Uint8Array) => void = () => undefined;
  onRtcp: (packet: Uint8Array) => void = () => undefined;

  private constructor(rtp: Socket, rtcp: Socket) {
    this.#rtp = rtp;
    this.#rtcp = rtcp;
    // Send errors (ICMP port unreachable once the phone hung up) must not end the process.
    rtp.on('error', () => undefined);
    rtcp.on('error', () => undefined);
    rtp.on('message', (data, from) => {
      this.#latch(from.address, from.port);
      // A peer that multiplexes RTCP on the RTP port (RFC 5761) is understood as well.
      if (classifyPacket(data) === 'rtcp') this.onRtcp(data);
      else this.onRtp(data);
    });
    rtcp.on('message', (data) => this.onRtcp(data));
  }

  /** An even RTP port and the odd RTCP port above it, both free, inside `range`. */
  static async open(address: string, range: PortRange, attempts = 32): Promise<RtpSocketPair> {
    const evenMin = range.min + (range.min % 2);
    const pairs = Math.floor((range.max - evenMin + 1) / 2);
    if (pairs < 1) throw new Error(`port range ${range.min}-${range.max} holds no RTP/RTCP pair`);
    for (let i = 0; i < attempts; i++) {
      const port = evenMin + 2 * Math.floor(Math.random() * pairs);
      const rtp = createSocket('udp4');
      if (!(await bind(rtp, address, port))) {
        rtp.close();
        continue;
      }
      const rtcp = createSocket('udp4');
      if (await bind(rtcp, address, port + 1)) return new RtpSocketPair(rtp, rtcp);
      rtp.close();
      rtcp.close();
    }
    throw new Error(`no free RTP/RTCP port pair in ${range.min}-${range.max} on ${address}`);
  }

  get port(): number {
    return this.#rtp.address().port;
  }

  /** Where the remote SDP says media goes; replaced by the observed source once RTP arrives. */
  setTarget(target: RtpTarget): void {
    // After a transfer the old phone may still send for a moment: it must not be latched onto.
    if (this.#target && !sameTarget(this.#target, target)) this.#previous = this.#target;
    this.#target = target;
    this.#latched = false;
  }

  #latch(address: string, port: number): void {
    if (this.#latched || !this.#target) return;
    if (this.#previous?.address === address && this.#previous.rtpPort === port) return;
    this.#latched = true;
    if (this.#target.address !== address || this.#target.rtpPort !== port) {
      const rtcpPort = this.#target.rtcpPort === this.#target.rtpPort ? port : port + 1;
      this.#target = { address, rtpPort: port, rtcpPort };
    }
  }

  sendRtp(data: Uint8Array, length: number): void {
    const target = this.#target;
    if (this.#closed || !target) return;
    this.#rtp.send(data.subarray(0, length), target.rtpPort, target.address);
  }

  sendRtcp(data: Uint8Array, length: number): void {
    const target = this.#target;
    if (this.#closed || !target) return;
    const socket = target.rtcpPort === target.rtpPort ? this.#rtp : this.#rtcp;
    socket.send(data.subarray(0, length), target.rtcpPort, target.address);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#rtp.close();
    this.#rtcp.close();
  }
}
