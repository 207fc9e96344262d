import { describe, expect, it } from 'vitest';
import { classifyPacket } from '@callbridge/rtp';

const withFirst = (first: number, second = 0, length = 40) => {
  const bytes = new Uint8Array(length);
  bytes[0] = first;
  bytes[1] = second;
  return bytes;
};

describe('classifyPacket (RFC 7983, RFC 5761)', () => {
  it('classifies by the first octet ranges', () => {
    expect(classifyPacket(withFirst(0x00, 0x01))).toBe('stun');
    expect(classifyPacket(withFirst(0x01, 0x01))).toBe('stun');
    expect(classifyPacket(withFirst(22))).toBe('dtls'); // handshake
    expect(classifyPacket(withFirst(23))).toBe('dtls'); // application data
    expect(classifyPacket(withFirst(20))).toBe('dtls');
    expect(classifyPacket(withFirst(63))).toBe('dtls');
    expect(classifyPacket(withFirst(0x80, 0))).toBe('rtp');
    expect(classifyPacket(withFirst(0x80, 0xe0))).toBe('rtp'); // marker + PT 96
    expect(classifyPacket(withFirst(0x80, 200))).toBe('rtcp');
    expect(classifyPacket(withFirst(0x81, 201))).toBe('rtcp');
    expect(classifyPacket(withFirst(0x80, 206))).toBe('rtcp');
    expect(classifyPacket(withFirst(0x80, 223))).toBe('rtcp');
    expect(classifyPacket(withFirst(0x80, 191))).toBe('rtp');
    expect(classifyPacket(withFirst(0x80, 224))).toBe('rtp');
  });

  it('returns unknown for other ranges and for packets too short for their class', () => {
    expect(classifyPacket(new Uint8Array(0))).toBe('unknown');
    expect(classifyPacket(withFirst(16))).toBe('unknown'); // ZRTP
    expect(classifyPacket(withFirst(64))).toBe('unknown'); // TURN channel
    expect(classifyPacket(withFirst(200))).toBe('unknown');
    expect(classifyPacket(withFirst(0x00, 1, 19))).toBe('unknown');
    expect(classifyPacket(withFirst(22, 0, 12))).toBe('unknown');
    expect(classifyPacket(withFirst(0x80, 0, 11))).toBe('unknown');
    expect(classifyPacket(withFirst(0x80, 200, 7))).toBe('unknown');
  });
});
