import { describe, expect, it } from 'vitest';
import {
  RtpError,
  RtpPacket,
  createRtpPacket,
  rtpHeaderLength,
  rtpPacketLength,
  writeRtpFixedHeader,
  writeRtpPacket,
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

describe('RtpPacket', () => {
  // RFC 7714 §16.1.1 input packet: V=2, PT=64, seq 0xf17b, ts 0x8041f8d3, ssrc 0x5501a0b2.
  const plain = hex(
    '8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573',
  );

  it('reads the header fields of a real packet without copying', () => {
    const packet = RtpPacket.parse(plain);
    expect(packet.version).toBe(2);
    expect(packet.marker).toBe(false);
    expect(packet.payloadType).toBe(64);
    expect(packet.sequenceNumber).toBe(0xf17b);
    expect(packet.timestamp).toBe(0x8041f8d3);
    expect(packet.ssrc).toBe(0x5501a0b2);
    expect(packet.headerLength).toBe(12);
    expect(new TextDecoder().decode(packet.payload)).toBe('Gallia est omnis divisa in partes tres');
    expect(packet.payload.buffer).toBe(plain.buffer);
    expect(packet.payload.byteOffset).toBe(plain.byteOffset + 12);
  });

  it('gives the timestamp and SSRC bits as signed integers too', () => {
    for (const value of [0, 1, 0x7fff_ffff, 0x8000_0000, 0xdead_beef, 0xffff_ffff]) {
      const packet = createRtpPacket({
        payloadType: 0,
        sequenceNumber: 1,
        timestamp: value,
        ssrc: (value ^ 0x5a5a_5a5a) >>> 0,
        payload: new Uint8Array(4),
      });
      expect(packet.timestampBits).toBe(value | 0);
      expect(packet.timestampBits >>> 0).toBe(packet.timestamp);
      expect(packet.ssrcBits).toBe((value ^ 0x5a5a_5a5a) | 0);
      expect(packet.ssrcBits >>> 0).toBe(packet.ssrc);
    }
  });

  it('writes header fields in place', () => {
    const bytes = plain.slice();
    const packet = RtpPacket.parse(bytes);
    packet.marker = true;
    packet.payloadType = 111;
    packet.sequenceNumber = 0xffff;
    packet.timestamp = 0xfffffffe;
    packet.ssrc = 0x12345678;
    expect(bytes.subarray(0, 12)).toEqual(hex('80efffff fffffffe 12345678'.replace(/ /g, '')));
    expect(packet.marker).toBe(true);
    expect(packet.payloadType).toBe(111);
    expect(packet.sequenceNumber).toBe(0xffff);
    expect(packet.timestamp).toBe(0xfffffffe);
    packet.marker = false;
    expect(bytes[1]).toBe(111);
    expect(codeOf(() => (packet.payloadType = 128))).toBe('RTP_INVALID_ARGUMENT');
    expect(codeOf(() => (packet.sequenceNumber = 65536))).toBe('RTP_INVALID_ARGUMENT');
  });

  it('builds packets with CSRCs, one-byte extensions and padding, and parses them back', () => {
    const init = {
      payloadType: 96,
      sequenceNumber: 1000,
      timestamp: 123456,
      ssrc: 0xdeadbeef,
      marker: true,
      csrcs: [1, 2, 0xffffffff],
      extensions: [
        { id: 1, data: hex('aa') },
        { id: 3, data: hex('0102030405') },
      ],
      payload: hex('0badcafe00'),
      paddingLength: 3,
    };
    const packet = createRtpPacket(init);
    expect(packet.length).toBe(rtpPacketLength(init));
    expect(packet.csrcCount).toBe(3);
    expect(packet.csrcs).toEqual([1, 2, 0xffffffff]);
    expect(packet.extensionProfile).toBe(0xbede);
    expect(packet.getExtension(1)).toEqual(hex('aa'));
    expect(packet.getExtension(3)).toEqual(hex('0102030405'));
    expect(packet.getExtension(2)).toBeUndefined();
    expect(packet.extensions().map((e) => e.id)).toEqual([1, 3]);
    expect(packet.paddingLength).toBe(3);
    expect(packet.payload).toEqual(hex('0badcafe00'));
    expect(packet.hasPadding).toBe(true);
    // 12 fixed + 12 CSRC + 4 ext header + 8 ext body (2 + 6 = 8)
    expect(packet.headerLength).toBe(36);
    expect(rtpHeaderLength(packet.bytes)).toBe(36);
    expect(rtpHeaderLength(packet.bytes, 36)).toBe(36);
    expect(codeOf(() => rtpHeaderLength(packet.bytes, 35))).toBe('RTP_TRUNCATED');
    expect(codeOf(() => rtpHeaderLength(packet.bytes, packet.length + 1))).toBe(
      'RTP_INVALID_ARGUMENT',
    );

    packet.setExtension(3, hex('0908070605'));
    expect(packet.getExtension(3)).toEqual(hex('0908070605'));
    expect(codeOf(() => packet.setExtension(3, hex('01')))).toBe('RTP_INVALID_ARGUMENT');
  });

  it('uses the two-byte form when an element does not fit the one-byte form', () => {
    const packet = createRtpPacket({
      payloadType: 0,
      sequenceNumber: 1,
      timestamp: 2,
      ssrc: 3,
      extensions: [
        { id: 20, data: new Uint8Array(0) },
        { id: 2, data: new Uint8Array(17).fill(7) },
      ],
    });
    expect(packet.extensionProfile).toBe(0x1000);
    expect(packet.getExtension(20)).toEqual(new Uint8Array(0));
    expect(packet.getExtension(2)).toEqual(new Uint8Array(17).fill(7));
  });

  it('skips padding octets and stops at id 15 in one-byte extensions', () => {
    // ext block: 0xBEDE, 2 words: [00] [10 aa] [f0 ...] — 0 padding, id 1 len 1, id 15 stops.
    const bytes = hex('9000000100000002000000 03 bede0002 0010aaf0 00000000'.replace(/ /g, ''));
    const packet = RtpPacket.parse(bytes);
    expect(packet.extensions()).toEqual([{ id: 1, data: hex('aa') }]);
  });

  it('serializes into a caller buffer at an offset', () => {
    const init = {
      payloadType: 8,
      sequenceNumber: 7,
      timestamp: 160,
      ssrc: 9,
      payload: hex('d5d5'),
    };
    const out = new Uint8Array(64);
    const written = writeRtpPacket(init, out, 10);
    expect(written).toBe(14);
    const view = RtpPacket.parse(out.subarray(10, 10 + written));
    expect(view.payload).toEqual(hex('d5d5'));
    const copy = new Uint8Array(20);
    expect(view.serialize(copy, 2)).toBe(14);
    expect(copy.subarray(2, 16)).toEqual(out.subarray(10, 24));
    expect(codeOf(() => view.serialize(new Uint8Array(10)))).toBe('RTP_BUFFER_TOO_SMALL');
    expect(codeOf(() => writeRtpPacket(init, new Uint8Array(13)))).toBe('RTP_BUFFER_TOO_SMALL');
  });

  it('re-points a view with wrap() without allocating a new object', () => {
    const a = createRtpPacket({ payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 1 });
    const b = createRtpPacket({ payloadType: 0, sequenceNumber: 2, timestamp: 0, ssrc: 1 });
    const view = RtpPacket.parse(a.bytes);
    expect(view.wrap(b.bytes)).toBe(view);
    expect(view.sequenceNumber).toBe(2);
  });

  it('rejects malformed packets with typed errors, never reading past the end', () => {
    expect(codeOf(() => RtpPacket.parse(hex('8000')))).toBe('RTP_TRUNCATED');
    expect(codeOf(() => RtpPacket.parse(hex('400000000000000000000000')))).toBe('RTP_BAD_VERSION');
    // CC=2 but no CSRCs
    expect(codeOf(() => RtpPacket.parse(hex('820000000000000000000000')))).toBe('RTP_TRUNCATED');
    // X set, extension header missing
    expect(codeOf(() => RtpPacket.parse(hex('900000000000000000000000')))).toBe('RTP_TRUNCATED');
    // extension claims 1 word, none present
    expect(codeOf(() => RtpPacket.parse(hex('900000000000000000000000bede0001')))).toBe(
      'RTP_TRUNCATED',
    );
    // P set, padding count 0 / larger than payload
    expect(codeOf(() => RtpPacket.parse(hex('a0000000000000000000000000')))).toBe(
      'RTP_BAD_PADDING',
    );
    expect(codeOf(() => RtpPacket.parse(hex('a0000000000000000000000005')))).toBe(
      'RTP_BAD_PADDING',
    );
    // one-byte element overrunning the extension block
    const overrun = RtpPacket.parse(hex('900000000000000000000000bede00011f000000'));
    expect(codeOf(() => overrun.getExtension(1))).toBe('RTP_BAD_EXTENSION');
    expect(RtpPacket.tryParse(hex('80'))).toBeUndefined();
  });

  it('never throws anything but RtpError on random input', () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 5000; i++) {
      const bytes = new Uint8Array(Math.floor(random() * 40));
      for (let j = 0; j < bytes.length; j++) bytes[j] = random() * 256;
      if (bytes.length > 0) bytes[0] = (bytes[0]! & 0x3f) | 0x80;
      try {
        const p = RtpPacket.parse(bytes);
        expect(p.headerLength + p.paddingLength).toBeLessThanOrEqual(bytes.length);
        p.extensions();
      } catch (error) {
        expect(error).toBeInstanceOf(RtpError);
      }
    }
  });
});

describe('writeRtpFixedHeader', () => {
  it('writes the header writeRtpPacket writes for a packet without CSRCs or extension, in place', () => {
    const payload = hex('deadbeef');
    for (const marker of [false, true]) {
      const init = {
        payloadType: 111,
        sequenceNumber: 0xfffe,
        timestamp: 0xfedcba98,
        ssrc: 0x89abcdef,
        marker,
        payload,
      };
      const expected = new Uint8Array(20);
      writeRtpPacket(init, expected, 4);
      const out = new Uint8Array(20).fill(0xff);
      out.set(payload, 16);
      writeRtpFixedHeader(out, 4, marker, 111, 0xfffe, 0xfedcba98, 0x89abcdef);
      expect(out.subarray(4)).toEqual(expected.subarray(4));
      expect(out.subarray(0, 4)).toEqual(new Uint8Array(4).fill(0xff));
      const packet = RtpPacket.parse(out.subarray(4));
      expect([packet.marker, packet.timestamp, packet.ssrc]).toEqual([
        marker,
        0xfedcba98,
        0x89abcdef,
      ]);
    }
  });
});
