// Symmetric RTP on the SIP leg: the socket pair follows where the phone really sends from, but
// never latches onto the phone a transfer replaced.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { RtpSocketPair } from '../src/b2bua/rtp-socket.js';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

async function phone(): Promise<{ socket: Socket; port: number; received: Uint8Array[] }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const received: Uint8Array[] = [];
  socket.on('message', (m) => received.push(m));
  open.push(socket);
  return { socket, port: socket.address().port, received };
}

// A minimal RTP header (version 2, PCMU) so the pair classifies it as RTP.
const RTP = new Uint8Array([0x80, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff]);
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

describe('RtpSocketPair', () => {
  it('latches onto the real source, but not onto the previous phone after a new target', async () => {
    const pair = await RtpSocketPair.open('127.0.0.1', { min: 30000, max: 39999 });
    open.push(pair);
    const old = await phone();
    const natted = await phone();
    const next = await phone();
    pair.setTarget({ address: '127.0.0.1', rtpPort: old.port, rtcpPort: old.port + 1 });
    // The transfer target takes over; the old phone still sends one packet.
    pair.setTarget({ address: '127.0.0.1', rtpPort: next.port, rtcpPort: next.port + 1 });
    old.socket.send(RTP, pair.port, '127.0.0.1');
    await settle();
    pair.sendRtp(RTP, RTP.length);
    await settle();
    expect(old.received).toHaveLength(0);
    expect(next.received).toHaveLength(1);
    // The new phone really sends from another port (NAT): media follows it there.
    natted.socket.send(RTP, pair.port, '127.0.0.1');
    await settle();
    pair.sendRtp(RTP, RTP.length);
    await settle();
    expect(natted.received).toHaveLength(1);
    expect(next.received).toHaveLength(1);
  });
});
