// RFC 6544 passive TCP candidate: a client that cannot use UDP connects over TCP with RFC 4571
// framing and gets ICE, DTLS-SRTP and media on the same connection.
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyPacket } from '@callbridge/rtp';
import { SrtpContext, srtpProfileByDtlsId } from '@callbridge/srtp';
import {
  DtlsCertificate,
  DtlsConnection,
  StunAttr,
  StunMessage,
  StunMethod,
  StunWriter,
  TcpMux,
  WebRtcTransport,
  formatCandidate,
  shortTermKey,
  stunMessageType,
} from '@callbridge/webrtc';
import { rtpPacket } from './sdp-helper.js';

const gatewayCert = DtlsCertificate.generate();
const clientCert = DtlsCertificate.generate();

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** RFC 4571 framing both ways on a TCP socket. */
function framed(
  socket: Socket,
  onFrame: (frame: Uint8Array) => void,
): (packet: Uint8Array) => void {
  let pending = new Uint8Array(0);
  socket.on('data', (chunk) => {
    const buffer = new Uint8Array(pending.length + chunk.length);
    buffer.set(pending);
    buffer.set(chunk, pending.length);
    let offset = 0;
    while (offset + 2 <= buffer.length) {
      const length = (buffer[offset]! << 8) | buffer[offset + 1]!;
      if (offset + 2 + length > buffer.length) break;
      onFrame(buffer.slice(offset + 2, offset + 2 + length));
      offset += 2 + length;
    }
    pending = buffer.slice(offset);
  });
  return (packet) => {
    const frame = new Uint8Array(2 + packet.length);
    frame[0] = packet.length >> 8;
    frame[1] = packet.length & 0xff;
    frame.set(packet, 2);
    socket.write(frame);
  };
}

describe('ICE-TCP passive candidate (RFC 6544)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });

  it('carries the check, the DTLS handshake and SRTP both ways over one TCP connection', async () => {
    const tcpMux = await TcpMux.listen({ address: '127.0.0.1' });
    cleanups.push(() => tcpMux.close());
    const ufrag = 'tcpc';
    const transport = await WebRtcTransport.create({
      certificate: gatewayCert,
      dtlsRole: 'server',
      bind: { address: '127.0.0.1' },
      tcpMux,
      remote: {
        usernameFragment: ufrag,
        password: 'p'.repeat(24),
        fingerprints: [clientCert.fingerprint()],
      },
    });
    cleanups.push(() => transport.close());
    const local = transport.localParameters;
    const tcp = local.candidates.find((c) => c.transport === 'tcp')!;
    expect(formatCandidate(tcp)).toMatch(/ tcp \d+ 127\.0\.0\.1 \d+ typ host tcptype passive$/);
    expect(local.candidates[0]!.transport).toBe('udp');

    const socket = connect(tcp.port, tcp.address);
    cleanups.push(() => socket.destroy());
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const stunResponses: StunMessage[] = [];
    const media: Uint8Array[] = [];
    let receive: SrtpContext | undefined;
    let send: SrtpContext | undefined;
    const dtls = new DtlsConnection({
      role: 'client',
      certificate: clientCert,
      remoteFingerprints: [local.fingerprint],
      send: (d) => write(d),
    });
    dtls.on('connected', () => {
      const keys = dtls.srtpKeys();
      const profile = srtpProfileByDtlsId(keys.profile.id)!;
      send = new SrtpContext({
        profile,
        masterKey: keys.localMasterKey,
        masterSalt: keys.localMasterSalt,
      });
      receive = new SrtpContext({
        profile,
        masterKey: keys.remoteMasterKey,
        masterSalt: keys.remoteMasterSalt,
      });
    });
    const write = framed(socket, (frame) => {
      const kind = classifyPacket(frame);
      if (kind === 'stun') stunResponses.push(StunMessage.parse(frame));
      else if (kind === 'dtls') dtls.handleDatagram(frame);
      else if (kind === 'rtp' && receive) media.push(receive.unprotectRtp(frame));
    });
    write(
      new StunWriter(stunMessageType(StunMethod.Binding, 'request'), randomBytes(12))
        .addText(StunAttr.Username, `${local.usernameFragment}:${ufrag}`)
        .addUint64(StunAttr.IceControlling, 3n)
        .addFlag(StunAttr.UseCandidate)
        .addMessageIntegrity(shortTermKey(local.password))
        .addFingerprint()
        .finish()
        .slice(),
    );
    dtls.start();
    await until(() => transport.state === 'connected' && send !== undefined, 'connected over TCP');
    expect(stunResponses[0]?.messageClass).toBe('success');
    expect(stunResponses[0]?.xorMappedAddress?.port).toBe(socket.localPort);
    expect(transport.ice.selectedAddress?.transport).toBe('tcp');

    const received: number[] = [];
    transport.on('rtp', (p) => received.push(p[12]!));
    for (let i = 0; i < 3; i++) {
      write(send!.protectRtp(rtpPacket(111, i, 5, Uint8Array.of(i, 1, 2, 3))));
      transport.sendRtp(rtpPacket(111, 10 + i, 6, Uint8Array.of(20 + i)));
    }
    await until(() => received.length === 3 && media.length === 3, 'media over TCP');
    expect(received).toEqual([0, 1, 2]);
    expect(media.map((p) => p[12])).toEqual([20, 21, 22]);
  });

  it('reassembles a check split across TCP segments and answers it framed', async () => {
    const tcpMux = await TcpMux.listen({ address: '127.0.0.1' });
    cleanups.push(() => tcpMux.close());
    const transport = await WebRtcTransport.create({
      certificate: gatewayCert,
      dtlsRole: 'server',
      bind: { address: '127.0.0.1' },
      tcpMux,
    });
    cleanups.push(() => transport.close());
    const local = transport.localParameters;
    const socket = connect(tcpMux.port, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    socket.setNoDelay(true);
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const responses: StunMessage[] = [];
    framed(socket, (frame) => responses.push(StunMessage.parse(frame)));
    const check = new StunWriter(stunMessageType(StunMethod.Binding, 'request'), randomBytes(12))
      .addText(StunAttr.Username, `${local.usernameFragment}:peer`)
      .addUint64(StunAttr.IceControlling, 3n)
      .addMessageIntegrity(shortTermKey(local.password))
      .addFingerprint()
      .finish();
    const frame = new Uint8Array(2 + check.length);
    frame[0] = check.length >> 8;
    frame[1] = check.length & 0xff;
    frame.set(check, 2);
    // Length prefix split from its body, and the body split in two.
    for (const part of [frame.subarray(0, 1), frame.subarray(1, 30), frame.subarray(30)]) {
      socket.write(part);
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => responses.length === 1, 'the response');
    expect(responses[0]!.messageClass).toBe('success');
    expect(responses[0]!.verifyIntegrity(shortTermKey(local.password))).toBe(true);
  });

  it('closes a connection whose first frame is not an authenticated check', async () => {
    const tcpMux = await TcpMux.listen({ address: '127.0.0.1' });
    cleanups.push(() => tcpMux.close());
    const socket = connect(tcpMux.port, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.write(Uint8Array.of(0, 4, 0x80, 0, 0, 0));
    await closed;
    expect(tcpMux.counters.rejectedConnections).toBe(1);
  });
});
