/** What arrived on a port that multiplexes STUN, DTLS, RTP and RTCP (RFC 7983). */
export type PacketClass = 'stun' | 'dtls' | 'rtp' | 'rtcp' | 'unknown';

/**
 * RFC 7983 §7 demultiplexing by the first octet, with RFC 5761 §4 to split RTP from RTCP
 * (RTCP packet types 192..223 occupy the RTP "M bit + payload type" octet values 64..95 + 128).
 * A pure function: no allocation, never throws.
 */
export function classifyPacket(bytes: Uint8Array): PacketClass {
  if (bytes.length === 0) return 'unknown';
  const first = bytes[0]!;
  if (first <= 3) return bytes.length >= 20 ? 'stun' : 'unknown';
  if (first >= 20 && first <= 63) return bytes.length >= 13 ? 'dtls' : 'unknown';
  if (first >= 128 && first <= 191) {
    if (bytes.length < 4) return 'unknown';
    const second = bytes[1]!;
    if (second >= 192 && second <= 223) return bytes.length >= 8 ? 'rtcp' : 'unknown';
    return bytes.length >= 12 ? 'rtp' : 'unknown';
  }
  return 'unknown';
}

/** RFC 5761 §4: whether an RTP/RTCP-range packet is RTCP (second octet 192..223). */
export function isRtcpPacket(bytes: Uint8Array): boolean {
  return classifyPacket(bytes) === 'rtcp';
}
