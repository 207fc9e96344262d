// Random byte mutations of valid requests and responses fed to a user agent through an
// in-memory transport: whatever arrives, the stack answers or ignores it and never throws.
import { describe, expect, it } from 'vitest';
import {
  ManualClock,
  TypedEmitter,
  UserAgent,
  type Flow,
  type HostPort,
  type Transport,
  type TransportEvents,
} from '@callbridge/sip';

class MemoryTransport extends TypedEmitter<TransportEvents> implements Transport {
  readonly protocol = 'udp' as const;
  readonly reliable = false;
  readonly local: HostPort = { address: '127.0.0.1', port: 5060 };
  readonly sent: Uint8Array[] = [];

  inject(bytes: Uint8Array): void {
    this.emit('message', bytes, {
      protocol: 'udp',
      local: this.local,
      remote: { address: '127.0.0.1', port: 5070 },
    });
  }

  send(bytes: Uint8Array, to: HostPort | Flow): Promise<Flow> {
    this.sent.push(bytes);
    const remote = 'remote' in to ? to.remote : to;
    return Promise.resolve({ protocol: 'udp', local: this.local, remote });
  }

  isConnected(): boolean {
    return true;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const encoder = new TextEncoder();
const SEEDS = [
  'INVITE sip:ua@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKseed1;rport\r\nMax-Forwards: 70\r\nFrom: "A" <sip:a@127.0.0.1>;tag=a1\r\nTo: <sip:ua@127.0.0.1>\r\nCall-ID: seed1\r\nCSeq: 1 INVITE\r\nContact: <sip:a@127.0.0.1:5070>\r\nSession-Expires: 1800;refresher=uac\r\nSupported: timer\r\nContent-Type: application/sdp\r\nContent-Length: 10\r\n\r\nv=0\r\ns=-\r\n',
  'BYE sip:ua@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKseed2\r\nMax-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=a1\r\nTo: <sip:ua@127.0.0.1>;tag=u1\r\nCall-ID: seed1\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n',
  'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKseed3\r\nFrom: <sip:ua@127.0.0.1>;tag=u2\r\nTo: <sip:b@127.0.0.1>;tag=b2\r\nCall-ID: seed3\r\nCSeq: 1 INVITE\r\nContact: <sip:b@127.0.0.1:5070>\r\nRecord-Route: <sip:p.example;lr>\r\nRSeq: 1\r\nRequire: 100rel\r\nContent-Length: 0\r\n\r\n',
  'REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKseed4\r\nMax-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=a4\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: seed4\r\nCSeq: 1 REGISTER\r\nContact: <sip:a@127.0.0.1:5070>;expires=60\r\nAuthorization: Digest username="a", realm="r", nonce="n", uri="sip:127.0.0.1", response="x"\r\nContent-Length: 0\r\n\r\n',
].map((s) => encoder.encode(s));

/** A small deterministic PRNG (mulberry32) so failures can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = encoder.encode(':;,<>"\\\r\n =@%0123456789abcdefzZ\x00\xff');

function mutate(input: Uint8Array, random: () => number): Uint8Array {
  const bytes = Array.from(input);
  const edits = 1 + Math.floor(random() * 6);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * bytes.length);
    const pick = INTERESTING[Math.floor(random() * INTERESTING.length)]!;
    switch (Math.floor(random() * 4)) {
      case 0:
        bytes[at] = pick;
        break;
      case 1:
        bytes.splice(at, 1);
        break;
      case 2:
        bytes.splice(at, 0, pick);
        break;
      default:
        bytes.splice(at, Math.floor(random() * 20));
    }
  }
  return Uint8Array.from(bytes);
}

describe('mutated messages at a user agent', () => {
  it('never throws, and every answer it sends is a well-formed response', async () => {
    const clock = new ManualClock();
    const wire = new MemoryTransport();
    const ua = new UserAgent({ transports: [wire], aor: 'sip:ua@127.0.0.1', clock });
    ua.on('invite', (call) => {
      call.ring();
      call.accept({ body: 'v=0\r\n', contentType: 'application/sdp' });
    });
    const random = prng(4475);
    for (let i = 0; i < 3000; i++) {
      const seed = SEEDS[i % SEEDS.length]!;
      wire.inject(i < SEEDS.length ? seed : mutate(seed, random));
      if (i % 100 === 0) await clock.advanceAsync(1000);
    }
    await clock.advanceAsync(64_000);
    expect(wire.sent.length).toBeGreaterThan(100);
    for (const bytes of wire.sent) {
      expect(new TextDecoder().decode(bytes.subarray(0, 8))).toMatch(
        /^(SIP\/2\.0|BYE|ACK|INVITE|PRACK)/,
      );
    }
  });
});
