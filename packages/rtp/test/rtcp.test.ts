import { describe, expect, it } from 'vitest';
import {
  RtpError,
  parseRtcp,
  serializeRtcp,
  writeRtcp,
  rtcpCompoundLength,
  type RtcpPacket,
} from '@callbridge/rtp';

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof RtpError) return error.code;
    throw error;
  }
  return undefined;
}

describe('RTCP', () => {
  it('parses the SR of the RFC 7714 §17 vectors (length field corrected)', () => {
    // The RFC's packet says 14 words but carries 13; SRTCP does not care, a parser must.
    const asPrinted = hex(
      '81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef',
    );
    expect(codeOf(() => parseRtcp(asPrinted))).toBe('RTCP_BAD_LENGTH');
    const sr = hex(
      '81c8000c4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef',
    );
    const [packet] = parseRtcp(sr);
    expect(packet).toMatchObject({
      type: 'sr',
      ssrc: 0x4d617273,
      ntpSeconds: 0x4e545031,
      ntpFraction: 0x4e545032,
      rtpTimestamp: 0x52545020,
      packetCount: 0x42a,
      octetCount: 0xe930,
    });
    expect(packet?.type === 'sr' && packet.reports[0]).toMatchObject({
      ssrc: 0x4c756e61,
      fractionLost: 0xde,
      cumulativeLost: 0xadbeef - 0x1000000,
    });
  });

  const compound: RtcpPacket[] = [
    {
      type: 'sr',
      ssrc: 0x11111111,
      ntpSeconds: 0xe5000000,
      ntpFraction: 0x80000000,
      rtpTimestamp: 160000,
      packetCount: 1000,
      octetCount: 160000,
      reports: [
        {
          ssrc: 0x22222222,
          fractionLost: 25,
          cumulativeLost: -3,
          extendedHighestSequence: 0x1ffff,
          jitter: 42,
          lastSenderReport: 0xe5008000,
          delaySinceLastSenderReport: 65536,
        },
      ],
    },
    {
      type: 'sdes',
      chunks: [
        { ssrc: 0x11111111, items: [{ type: 1, value: 'gw@callbridge' }] },
        {
          ssrc: 0x33333333,
          items: [
            { type: 1, value: 'x' },
            { type: 8, prefix: 'p', value: 'v' },
          ],
        },
      ],
    },
    { type: 'rr', ssrc: 0x44444444, reports: [] },
    { type: 'bye', ssrcs: [0x11111111, 0x55555555], reason: 'hangup' },
    { type: 'app', subtype: 3, ssrc: 1, name: 'TEST', data: hex('01020304') },
    { type: 'nack', senderSsrc: 1, mediaSsrc: 2, lostSequenceNumbers: [65535, 0, 3, 16, 100] },
    { type: 'pli', senderSsrc: 1, mediaSsrc: 2 },
    { type: 'fir', senderSsrc: 1, mediaSsrc: 0, entries: [{ ssrc: 2, sequenceNumber: 7 }] },
    { type: 'remb', senderSsrc: 1, bitrate: 1_500_000 - (1_500_000 % 8), ssrcs: [2, 3] },
  ];

  it('round-trips a compound of every supported type', () => {
    const bytes = serializeRtcp(compound);
    expect(bytes.length % 4).toBe(0);
    const parsed = parseRtcp(bytes, { requireCompound: true });
    expect(parsed).toEqual(compound);
  });

  it('packs NACK sequence numbers into PID/BLP pairs across the wrap', () => {
    const bytes = serializeRtcp([
      { type: 'nack', senderSsrc: 1, mediaSsrc: 2, lostSequenceNumbers: [65535, 0, 3, 16, 100] },
    ]);
    // 65535 with bits for 0 (distance 1), 3 (4), 15 → 16 is distance 17: new entry
    expect(bytes.subarray(12)).toEqual(hex('ffff0009' + '00100000' + '00640000'));
  });

  it('writes into a caller buffer at an offset', () => {
    const out = new Uint8Array(rtcpCompoundLength(compound) + 8);
    expect(writeRtcp(compound, out, 8)).toBe(out.length - 8);
    expect(parseRtcp(out.subarray(8))).toEqual(compound);
    expect(codeOf(() => writeRtcp(compound, new Uint8Array(10)))).toBe('RTP_BUFFER_TOO_SMALL');
  });

  it('accepts reduced-size RTCP (RFC 5506) unless a compound is required', () => {
    const pli = serializeRtcp([{ type: 'pli', senderSsrc: 9, mediaSsrc: 8 }]);
    expect(parseRtcp(pli)).toEqual([{ type: 'pli', senderSsrc: 9, mediaSsrc: 8 }]);
    expect(codeOf(() => parseRtcp(pli, { requireCompound: true }))).toBe('RTCP_BAD_COMPOUND');
  });

  it('keeps unknown packet types and feedback formats as views', () => {
    const bytes = hex('8fcd000300000001000000020a0b0c0d'); // RTPFB FMT 15 (transport-cc)
    const [packet] = parseRtcp(bytes);
    expect(packet).toMatchObject({ type: 'unknown', packetType: 205, count: 15 });
    expect(serializeRtcp([packet!])).toEqual(bytes);
  });

  it('handles padding in the last packet only', () => {
    const padded = hex('a0c90002' + '00000001' + '00000004');
    expect(parseRtcp(padded)).toEqual([{ type: 'rr', ssrc: 1, reports: [] }]);
    const notLast = new Uint8Array([...padded, ...hex('80c9000100000002')]);
    expect(codeOf(() => parseRtcp(notLast))).toBe('RTCP_BAD_PADDING');
    expect(codeOf(() => parseRtcp(hex('a0c90001' + '00000000')))).toBe('RTCP_BAD_PADDING');
  });

  it('rejects malformed compounds with typed errors', () => {
    expect(codeOf(() => parseRtcp(hex('80c9')))).toBe('RTCP_TRUNCATED');
    expect(codeOf(() => parseRtcp(hex('40c9000100000001')))).toBe('RTCP_BAD_VERSION');
    expect(codeOf(() => parseRtcp(hex('80c9000200000001')))).toBe('RTCP_BAD_LENGTH');
    expect(codeOf(() => parseRtcp(hex('81c9000100000001')))).toBe('RTCP_TRUNCATED'); // RC=1, no block
    expect(codeOf(() => parseRtcp(hex('81ca000100000001')))).toBe('RTCP_TRUNCATED'); // SDES no end
    expect(codeOf(() => parseRtcp(hex('80c9000100000001 80'.replace(' ', ''))))).toBe(
      'RTCP_TRUNCATED',
    );
  });

  it('never throws anything but RtpError on random input', () => {
    let seed = 99;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 5000; i++) {
      const words = 1 + Math.floor(random() * 8);
      const bytes = new Uint8Array(words * 4);
      for (let j = 0; j < bytes.length; j++) bytes[j] = random() * 256;
      bytes[0] = (bytes[0]! & 0x3f) | 0x80;
      bytes[1] = 200 + Math.floor(random() * 7);
      bytes[2] = 0;
      bytes[3] = words - 1;
      try {
        parseRtcp(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(RtpError);
      }
    }
  });
});
