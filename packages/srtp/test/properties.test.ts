// Property tests: any RTP/RTCP packet survives protect/unprotect under every profile, and any
// single flipped bit of a protected packet is rejected without disturbing the receiver.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRtpPacket } from '@callbridge/rtp';
import { SRTP_PROFILES, SrtpContext, SrtpError } from '@callbridge/srtp';

const u32 = fc.integer({ min: 0, max: 0xffffffff });

describe.each(SRTP_PROFILES.map((p) => [p.name, p] as const))('%s properties', (_name, profile) => {
  const keys = fc.record({
    masterKey: fc.uint8Array({
      minLength: profile.masterKeyLength,
      maxLength: profile.masterKeyLength,
    }),
    masterSalt: fc.uint8Array({
      minLength: profile.masterSaltLength,
      maxLength: profile.masterSaltLength,
    }),
  });
  const packet = fc
    .record({
      sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
      timestamp: u32,
      ssrc: u32,
      csrcs: fc.array(u32, { maxLength: 3 }),
      payload: fc.uint8Array({ maxLength: 1500 }),
    })
    .map((init) => createRtpPacket({ payloadType: 96, ...init }).bytes.slice());

  it('round-trips RTP, and rejects any flipped bit without losing the genuine packet', () => {
    fc.assert(
      fc.property(keys, packet, fc.nat(), (key, plain, flip) => {
        const sender = new SrtpContext({ profile, ...key });
        const receiver = new SrtpContext({ profile, ...key });
        const sealed = sender.protectRtp(plain);
        const forged = sealed.slice();
        const bit = flip % (forged.length * 8);
        forged[bit >> 3]! ^= 1 << (bit & 7);
        expect(() => receiver.unprotectRtp(forged)).toThrow(SrtpError);
        expect(receiver.unprotectRtp(sealed)).toEqual(plain);
      }),
      { numRuns: 60 },
    );
  });

  it('round-trips RTCP of any length', () => {
    fc.assert(
      fc.property(keys, u32, fc.uint8Array({ maxLength: 400 }), (key, ssrc, body) => {
        const words = Math.floor(body.length / 4);
        const rtcp = new Uint8Array(8 + words * 4);
        rtcp.set([0x80, 201, (words + 1) >> 8, (words + 1) & 255]);
        new DataView(rtcp.buffer).setUint32(4, ssrc);
        rtcp.set(body.subarray(0, words * 4), 8);
        const sender = new SrtpContext({ profile, ...key });
        const receiver = new SrtpContext({ profile, ...key });
        expect(receiver.unprotectRtcp(sender.protectRtcp(rtcp))).toEqual(rtcp);
      }),
      { numRuns: 60 },
    );
  });

  it('gives the same bytes on every backend, for runs of packets of any size', () => {
    // The WebAssembly core (with native or TypeScript AES) against the independent plain
    // TypeScript implementation; runs of packets exercise the batched keystream and the ROC.
    const backends = ['auto', 'portable', 'typescript'] as const;
    fc.assert(
      fc.property(
        keys,
        packet,
        fc.array(fc.integer({ min: 0, max: 1400 }), { minLength: 1, maxLength: 18 }),
        (key, first, sizes) => {
          const senders = backends.map((backend) => new SrtpContext({ profile, ...key, backend }));
          const receivers = backends.map(
            (backend) => new SrtpContext({ profile, ...key, backend }),
          );
          const view = new DataView(first.buffer, first.byteOffset);
          sizes.forEach((size, i) => {
            const plain = new Uint8Array(first.length + size);
            plain.set(first);
            plain.fill(i, first.length);
            new DataView(plain.buffer).setUint16(2, (view.getUint16(2) + i) & 0xffff);
            const sealed = senders.map((sender) => sender.protectRtp(plain));
            expect(sealed[1]).toEqual(sealed[0]);
            expect(sealed[2]).toEqual(sealed[0]);
            receivers.forEach((receiver, r) => {
              expect(receiver.unprotectRtp(sealed[(r + 1) % 3]!)).toEqual(plain);
            });
          });
        },
      ),
      { numRuns: 8 },
    );
  });

  it('never throws anything but SrtpError on arbitrary input', () => {
    const receiver = new SrtpContext({
      profile,
      masterKey: new Uint8Array(profile.masterKeyLength),
      masterSalt: new Uint8Array(profile.masterSaltLength),
    });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (data) => {
        for (const f of [() => receiver.unprotectRtp(data), () => receiver.unprotectRtcp(data)]) {
          try {
            f();
          } catch (error) {
            expect(error).toBeInstanceOf(SrtpError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
