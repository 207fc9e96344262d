// Property tests: what is built parses back to the same fields, and arbitrary bytes never make
// the parsers throw anything but RtpError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RtpError,
  RtpPacket,
  TelephoneEventReceiver,
  createRtpPacket,
  parseRtcp,
  serializeRtcp,
  type RtcpPacket,
} from '@callbridge/rtp';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (max: number) => fc.uint8Array({ maxLength: max });

const rtpInit = fc.record({
  payloadType: fc.integer({ min: 0, max: 127 }),
  sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
  timestamp: u32,
  ssrc: u32,
  marker: fc.boolean(),
  csrcs: fc.array(u32, { maxLength: 15 }),
  extensions: fc.uniqueArray(fc.record({ id: fc.integer({ min: 1, max: 255 }), data: bytes(40) }), {
    maxLength: 5,
    selector: (e) => e.id,
  }),
  payload: bytes(300),
  paddingLength: fc.integer({ min: 0, max: 255 }),
});

describe('RTP properties', () => {
  it('a built packet parses back to the same fields', () => {
    fc.assert(
      fc.property(rtpInit, (init) => {
        // writeRtpPacket picks the one-byte form only when every element fits it
        const packet = RtpPacket.parse(createRtpPacket(init).bytes.slice());
        expect(packet.payloadType).toBe(init.payloadType);
        expect(packet.sequenceNumber).toBe(init.sequenceNumber);
        expect(packet.timestamp).toBe(init.timestamp);
        expect(packet.ssrc).toBe(init.ssrc);
        expect(packet.marker).toBe(init.marker);
        expect(packet.csrcs).toEqual(init.csrcs);
        expect(packet.payload).toEqual(init.payload);
        expect(packet.paddingLength).toBe(init.paddingLength);
        for (const e of init.extensions) expect(packet.getExtension(e.id)).toEqual(e.data);
        expect(packet.extensions().map((e) => e.id)).toEqual(init.extensions.map((e) => e.id));
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes parse or fail with RtpError', () => {
    fc.assert(
      fc.property(bytes(80), (data) => {
        try {
          const p = RtpPacket.parse(data);
          p.extensions();
          expect(p.headerLength + p.paddingLength).toBeLessThanOrEqual(data.length);
        } catch (error) {
          expect(error).toBeInstanceOf(RtpError);
        }
        try {
          parseRtcp(data);
        } catch (error) {
          expect(error).toBeInstanceOf(RtpError);
        }
        new TelephoneEventReceiver().receive({ ssrc: 1, timestamp: 0, payload: data });
      }),
      { numRuns: 2000 },
    );
  });
});

const reportBlock = fc.record({
  ssrc: u32,
  fractionLost: fc.integer({ min: 0, max: 255 }),
  cumulativeLost: fc.integer({ min: -0x800000, max: 0x7fffff }),
  extendedHighestSequence: u32,
  jitter: u32,
  lastSenderReport: u32,
  delaySinceLastSenderReport: u32,
});
const text = fc.string({ maxLength: 40, unit: 'grapheme-ascii' });
const rtcpPacket: fc.Arbitrary<RtcpPacket> = fc.oneof(
  fc.record({
    type: fc.constant('sr' as const),
    ssrc: u32,
    ntpSeconds: u32,
    ntpFraction: u32,
    rtpTimestamp: u32,
    packetCount: u32,
    octetCount: u32,
    reports: fc.array(reportBlock, { maxLength: 3 }),
  }),
  fc.record({
    type: fc.constant('rr' as const),
    ssrc: u32,
    reports: fc.array(reportBlock, { maxLength: 3 }),
  }),
  fc.record({
    type: fc.constant('sdes' as const),
    chunks: fc.array(
      fc.record({
        ssrc: u32,
        items: fc.array(fc.record({ type: fc.integer({ min: 1, max: 7 }), value: text }), {
          maxLength: 3,
        }),
      }),
      { maxLength: 3 },
    ),
  }),
  fc.record({
    type: fc.constant('bye' as const),
    ssrcs: fc.array(u32, { maxLength: 4 }),
    reason: text,
  }),
  fc.record({ type: fc.constant('pli' as const), senderSsrc: u32, mediaSsrc: u32 }),
  fc.record({
    type: fc.constant('fir' as const),
    senderSsrc: u32,
    mediaSsrc: u32,
    entries: fc.array(fc.record({ ssrc: u32, sequenceNumber: fc.integer({ min: 0, max: 255 }) }), {
      maxLength: 3,
    }),
  }),
);

describe('RTCP properties', () => {
  it('a serialized compound parses back to the same packets', () => {
    fc.assert(
      fc.property(fc.array(rtcpPacket, { minLength: 1, maxLength: 5 }), (packets) => {
        expect(parseRtcp(serializeRtcp(packets))).toEqual(packets);
      }),
      { numRuns: 300 },
    );
  });

  it('NACK lists survive the PID/BLP packing as a set', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }),
        (lost) => {
          const sorted = [...lost].sort((a, b) => a - b);
          const [parsed] = parseRtcp(
            serializeRtcp([
              { type: 'nack', senderSsrc: 1, mediaSsrc: 2, lostSequenceNumbers: sorted },
            ]),
          );
          expect(
            parsed?.type === 'nack' && [...parsed.lostSequenceNumbers].sort((a, b) => a - b),
          ).toEqual(sorted);
        },
      ),
      { numRuns: 300 },
    );
  });
});
