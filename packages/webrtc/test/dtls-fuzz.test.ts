// Random and mutated datagrams at every handshake stage: the connection may drop them or fail
// with a typed error, but never throw, hang a timer, or reach 'connected' by accident.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DtlsCertificate, DtlsConnection, WebRtcError } from '@callbridge/webrtc';
import { ManualClock } from '@callbridge/testkit';

const serverCert = DtlsCertificate.generate();
const clientCert = DtlsCertificate.generate();

/** Every datagram of one clean handshake, in order, with the side that received it. */
function recordHandshake(): { to: 'server' | 'client'; bytes: Uint8Array }[] {
  const log: { to: 'server' | 'client'; bytes: Uint8Array }[] = [];
  const toServer: Uint8Array[] = [];
  const toClient: Uint8Array[] = [];
  const client = new DtlsConnection({
    role: 'client',
    certificate: clientCert,
    send: (d) => toServer.push(d),
  });
  const server = new DtlsConnection({
    role: 'server',
    certificate: serverCert,
    send: (d) => toClient.push(d),
  });
  client.start();
  while (toServer.length > 0 || toClient.length > 0) {
    for (const d of toServer.splice(0)) {
      log.push({ to: 'server', bytes: d });
      server.handleDatagram(d);
    }
    for (const d of toClient.splice(0)) {
      log.push({ to: 'client', bytes: d });
      client.handleDatagram(d);
    }
  }
  return log;
}

const transcript = recordHandshake();

describe('DTLS under hostile input', () => {
  it('random datagrams never throw and leave only typed errors', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'client' | 'server'>('client', 'server'),
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 8 }),
        (role, datagrams) => {
          const clock = new ManualClock(1_000_000);
          const c = new DtlsConnection({
            role,
            certificate: role === 'client' ? clientCert : serverCert,
            clock,
            send: () => {},
          });
          if (role === 'client') c.start();
          for (const d of datagrams) {
            // Make many of them look like DTLS records so they get past the first checks.
            if (d.length > 13) {
              d[0] = 20 + (d[0]! % 4);
              d[1] = 0xfe;
              d[2] = 0xfd;
            }
            c.handleDatagram(d);
          }
          expect(c.state).not.toBe('connected');
          if (c.error) expect(c.error).toBeInstanceOf(WebRtcError);
          clock.advance(600_000);
          expect(['new', 'failed', 'closed', 'connecting']).toContain(c.state);
          if (role === 'client') expect(c.state).toBe('failed');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('mutated handshake datagrams are dropped or fail the handshake with a typed error', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: transcript.length - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (which, position, xor) => {
          const toServer: Uint8Array[] = [];
          const toClient: Uint8Array[] = [];
          const clock = new ManualClock(1_000_000);
          const client = new DtlsConnection({
            role: 'client',
            certificate: clientCert,
            clock,
            send: (d) => toServer.push(d),
          });
          const server = new DtlsConnection({
            role: 'server',
            certificate: serverCert,
            clock,
            send: (d) => toClient.push(d),
          });
          // Replay the recorded handshake to the target, with one byte of one datagram flipped.
          const target = transcript[which]!.to === 'server' ? server : client;
          if (target === client) client.start();
          let index = 0;
          for (const entry of transcript) {
            const mine = entry.to === (target === server ? 'server' : 'client');
            if (!mine) {
              index++;
              continue;
            }
            const bytes = entry.bytes.slice();
            if (index === which) bytes[position % bytes.length]! ^= xor;
            target.handleDatagram(bytes);
            index++;
          }
          // The recorded peer messages carry the other run's randoms, so nothing may connect.
          expect(target.state).not.toBe('connected');
          if (target.error) expect(target.error).toBeInstanceOf(WebRtcError);
        },
      ),
      { numRuns: 300 },
    );
  });
});
