import { RtpError } from './errors.js';
import { readU32, writeU32 } from './packet.js';

/** RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1). */
export const RtcpPacketType = {
  SR: 200,
  RR: 201,
  SDES: 202,
  BYE: 203,
  APP: 204,
  RTPFB: 205,
  PSFB: 206,
} as const;

/** SDES item types (RFC 3550 §6.5). */
export const SdesItemType = {
  END: 0,
  CNAME: 1,
  NAME: 2,
  EMAIL: 3,
  PHONE: 4,
  LOC: 5,
  TOOL: 6,
  NOTE: 7,
  PRIV: 8,
} as const;

/** RFC 3550 §6.4.1 report block. */
export interface ReportBlock {
  readonly ssrc: number;
  /** Fraction lost since the last report, fixed point /256 (0..255). */
  readonly fractionLost: number;
  /** Cumulative number of packets lost, signed 24-bit (duplicates can make it negative). */
  readonly cumulativeLost: number;
  readonly extendedHighestSequence: number;
  readonly jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received (0 if none). */
  readonly lastSenderReport: number;
  /** Delay since that SR, in 1/65536 s. */
  readonly delaySinceLastSenderReport: number;
}

export interface SenderReport {
  readonly type: 'sr';
  readonly ssrc: number;
  readonly ntpSeconds: number;
  readonly ntpFraction: number;
  readonly rtpTimestamp: number;
  readonly packetCount: number;
  readonly octetCount: number;
  readonly reports: readonly ReportBlock[];
  readonly profileExtension?: Uint8Array;
}

export interface ReceiverReport {
  readonly type: 'rr';
  readonly ssrc: number;
  readonly reports: readonly ReportBlock[];
  readonly profileExtension?: Uint8Array;
}

export interface SdesItem {
  readonly type: number;
  readonly value: string;
  /** For PRIV items (type 8): the prefix; `value` then holds the rest. */
  readonly prefix?: string;
}
export interface SdesChunk {
  readonly ssrc: number;
  readonly items: readonly SdesItem[];
}
export interface SourceDescription {
  readonly type: 'sdes';
  readonly chunks: readonly SdesChunk[];
}

export interface Goodbye {
  readonly type: 'bye';
  readonly ssrcs: readonly number[];
  readonly reason?: string;
}

export interface ApplicationDefined {
  readonly type: 'app';
  readonly subtype: number;
  readonly ssrc: number;
  /** Four ASCII characters. */
  readonly name: string;
  readonly data: Uint8Array;
}

/** RFC 4585 §6.2.1 generic NACK, with the lost sequence numbers expanded. */
export interface GenericNack {
  readonly type: 'nack';
  readonly senderSsrc: number;
  readonly mediaSsrc: number;
  readonly lostSequenceNumbers: readonly number[];
}

/** RFC 4585 §6.3.1 Picture Loss Indication. */
export interface PictureLossIndication {
  readonly type: 'pli';
  readonly senderSsrc: number;
  readonly mediaSsrc: number;
}

/** RFC 5104 §4.3.1 Full Intra Request. */
export interface FullIntraRequest {
  readonly type: 'fir';
  readonly senderSsrc: number;
  readonly mediaSsrc: number;
  readonly entries: readonly { readonly ssrc: number; readonly sequenceNumber: number }[];
}

/** draft-alvestrand-rmcat-remb: Receiver Estimated Maximum Bitrate (PSFB, FMT 15, "REMB"). */
export interface ReceiverEstimatedMaxBitrate {
  readonly type: 'remb';
  readonly senderSsrc: number;
  /** Bits per second (exponent and mantissa decoded; may exceed 2^32). */
  readonly bitrate: number;
  readonly ssrcs: readonly number[];
}

/** Any other packet type or feedback message, kept as a view. */
export interface UnknownRtcpPacket {
  readonly type: 'unknown';
  readonly packetType: number;
  /** The 5-bit count/format field. */
  readonly count: number;
  /** The packet body after the 4-octet common header (padding excluded). */
  readonly body: Uint8Array;
}

export type RtcpPacket =
  | SenderReport
  | ReceiverReport
  | SourceDescription
  | Goodbye
  | ApplicationDefined
  | GenericNack
  | PictureLossIndication
  | FullIntraRequest
  | ReceiverEstimatedMaxBitrate
  | UnknownRtcpPacket;

export interface ParseRtcpOptions {
  /**
   * RFC 3550 §6.1: a compound packet starts with SR or RR. RFC 5506 reduced-size RTCP drops that
   * rule, so it is only enforced when this is true (default false: reduced-size accepted).
   */
  readonly requireCompound?: boolean;
}

const textDecoder = new TextDecoder('utf-8', { fatal: false });
const textEncoder = new TextEncoder();

/**
 * Parses an RTCP compound (or RFC 5506 reduced-size) packet. Validates as RFC 3550 A.2 does:
 * version 2, lengths adding up exactly, padding only in the last packet. Throws `RtpError`.
 */
export function parseRtcp(bytes: Uint8Array, options: ParseRtcpOptions = {}): RtcpPacket[] {
  const packets: RtcpPacket[] = [];
  let at = 0;
  if (bytes.length < 4) {
    throw new RtpError('RTCP_TRUNCATED', `RTCP packet of ${bytes.length} octets is too short`);
  }
  while (at < bytes.length) {
    if (at + 4 > bytes.length) {
      throw new RtpError('RTCP_TRUNCATED', `RTCP compound ends inside a header at ${at}`);
    }
    const first = bytes[at]!;
    if (first >>> 6 !== 2) {
      throw new RtpError('RTCP_BAD_VERSION', `RTCP version ${first >>> 6} at offset ${at}`);
    }
    const packetType = bytes[at + 1]!;
    const length = (((bytes[at + 2]! << 8) | bytes[at + 3]!) + 1) * 4;
    const end = at + length;
    if (end > bytes.length) {
      throw new RtpError(
        'RTCP_BAD_LENGTH',
        `RTCP packet at ${at} claims ${length} octets, only ${bytes.length - at} left`,
      );
    }
    let bodyEnd = end;
    if (first & 0x20) {
      if (end !== bytes.length) {
        throw new RtpError('RTCP_BAD_PADDING', 'only the last RTCP packet of a compound may pad');
      }
      const padding = bytes[end - 1]!;
      if (padding === 0 || padding > length - 4) {
        throw new RtpError('RTCP_BAD_PADDING', `RTCP padding count ${padding} is invalid`);
      }
      bodyEnd = end - padding;
    }
    if (
      options.requireCompound &&
      packets.length === 0 &&
      packetType !== RtcpPacketType.SR &&
      packetType !== RtcpPacketType.RR
    ) {
      throw new RtpError('RTCP_BAD_COMPOUND', `compound RTCP starts with type ${packetType}`);
    }
    packets.push(parsePacket(bytes.subarray(at + 4, bodyEnd), packetType, first & 0x1f));
    at = end;
  }
  return packets;
}

function parsePacket(body: Uint8Array, packetType: number, count: number): RtcpPacket {
  switch (packetType) {
    case RtcpPacketType.SR: {
      need(body, 24 + count * 24, 'SR');
      const reports = readReportBlocks(body, 24, count);
      return {
        type: 'sr',
        ssrc: readU32(body, 0),
        ntpSeconds: readU32(body, 4),
        ntpFraction: readU32(body, 8),
        rtpTimestamp: readU32(body, 12),
        packetCount: readU32(body, 16),
        octetCount: readU32(body, 20),
        reports,
        ...profileExtension(body, 24 + count * 24),
      };
    }
    case RtcpPacketType.RR: {
      need(body, 4 + count * 24, 'RR');
      return {
        type: 'rr',
        ssrc: readU32(body, 0),
        reports: readReportBlocks(body, 4, count),
        ...profileExtension(body, 4 + count * 24),
      };
    }
    case RtcpPacketType.SDES:
      return { type: 'sdes', chunks: readSdesChunks(body, count) };
    case RtcpPacketType.BYE: {
      need(body, count * 4, 'BYE');
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(readU32(body, i * 4));
      const at = count * 4;
      if (at < body.length) {
        const reasonLength = body[at]!;
        if (at + 1 + reasonLength > body.length) {
          throw new RtpError('RTCP_TRUNCATED', 'BYE reason runs past the end of the packet');
        }
        return {
          type: 'bye',
          ssrcs,
          reason: textDecoder.decode(body.subarray(at + 1, at + 1 + reasonLength)),
        };
      }
      return { type: 'bye', ssrcs };
    }
    case RtcpPacketType.APP:
      need(body, 8, 'APP');
      return {
        type: 'app',
        subtype: count,
        ssrc: readU32(body, 0),
        name: String.fromCharCode(body[4]!, body[5]!, body[6]!, body[7]!),
        data: body.subarray(8),
      };
    case RtcpPacketType.RTPFB:
      if (count === 1) {
        // RFC 4585 §6.2.1: FCI entries of PID + BLP.
        need(body, 8, 'generic NACK');
        const lost: number[] = [];
        for (let at = 8; at + 4 <= body.length; at += 4) {
          const pid = (body[at]! << 8) | body[at + 1]!;
          const blp = (body[at + 2]! << 8) | body[at + 3]!;
          lost.push(pid);
          for (let bit = 0; bit < 16; bit++) {
            if (blp & (1 << bit)) lost.push((pid + bit + 1) & 0xffff);
          }
        }
        return {
          type: 'nack',
          senderSsrc: readU32(body, 0),
          mediaSsrc: readU32(body, 4),
          lostSequenceNumbers: lost,
        };
      }
      break;
    case RtcpPacketType.PSFB:
      if (count === 1) {
        need(body, 8, 'PLI');
        return { type: 'pli', senderSsrc: readU32(body, 0), mediaSsrc: readU32(body, 4) };
      }
      if (count === 4) {
        need(body, 8, 'FIR');
        const entries: { ssrc: number; sequenceNumber: number }[] = [];
        for (let at = 8; at + 8 <= body.length; at += 8) {
          entries.push({ ssrc: readU32(body, at), sequenceNumber: body[at + 4]! });
        }
        return {
          type: 'fir',
          senderSsrc: readU32(body, 0),
          mediaSsrc: readU32(body, 4),
          entries,
        };
      }
      if (
        count === 15 &&
        body.length >= 16 &&
        body[8] === 0x52 && // 'R'
        body[9] === 0x45 && // 'E'
        body[10] === 0x4d && // 'M'
        body[11] === 0x42 // 'B'
      ) {
        const numSsrc = body[12]!;
        need(body, 16 + numSsrc * 4, 'REMB');
        const exponent = body[13]! >>> 2;
        const mantissa = ((body[13]! & 0x03) << 16) | (body[14]! << 8) | body[15]!;
        const ssrcs: number[] = [];
        for (let i = 0; i < numSsrc; i++) ssrcs.push(readU32(body, 16 + i * 4));
        return {
          type: 'remb',
          senderSsrc: readU32(body, 0),
          bitrate: mantissa * 2 ** exponent,
          ssrcs,
        };
      }
      break;
  }
  return { type: 'unknown', packetType, count, body };
}

function need(body: Uint8Array, octets: number, what: string): void {
  if (body.length < octets) {
    throw new RtpError(
      'RTCP_TRUNCATED',
      `RTCP ${what} needs ${octets} octets after its header, has ${body.length}`,
    );
  }
}

function profileExtension(body: Uint8Array, at: number): { profileExtension?: Uint8Array } {
  return at < body.length ? { profileExtension: body.subarray(at) } : {};
}

function readReportBlocks(body: Uint8Array, at: number, count: number): ReportBlock[] {
  const reports: ReportBlock[] = [];
  for (let i = 0; i < count; i++, at += 24) {
    // RFC 3550 §6.4.1: cumulative lost is a signed 24-bit number.
    const cumulative = (body[at + 5]! << 16) | (body[at + 6]! << 8) | body[at + 7]!;
    reports.push({
      ssrc: readU32(body, at),
      fractionLost: body[at + 4]!,
      cumulativeLost: cumulative & 0x800000 ? cumulative - 0x1000000 : cumulative,
      extendedHighestSequence: readU32(body, at + 8),
      jitter: readU32(body, at + 12),
      lastSenderReport: readU32(body, at + 16),
      delaySinceLastSenderReport: readU32(body, at + 20),
    });
  }
  return reports;
}

function readSdesChunks(body: Uint8Array, count: number): SdesChunk[] {
  const chunks: SdesChunk[] = [];
  let at = 0;
  for (let c = 0; c < count; c++) {
    need(body, at + 4, 'SDES chunk');
    const ssrc = readU32(body, at);
    at += 4;
    const items: SdesItem[] = [];
    for (;;) {
      if (at >= body.length) {
        throw new RtpError('RTCP_TRUNCATED', 'SDES chunk has no terminating null item');
      }
      const itemType = body[at]!;
      if (itemType === SdesItemType.END) {
        // RFC 3550 §6.5: the list ends with one or more nulls, padding to a 32-bit boundary.
        at = (at + 4) & ~3;
        break;
      }
      if (at + 2 > body.length || at + 2 + body[at + 1]! > body.length) {
        throw new RtpError('RTCP_TRUNCATED', `SDES item ${itemType} runs past the packet`);
      }
      const value = body.subarray(at + 2, at + 2 + body[at + 1]!);
      if (itemType === SdesItemType.PRIV && value.length > 0) {
        const prefixLength = Math.min(value[0]!, value.length - 1);
        items.push({
          type: itemType,
          prefix: textDecoder.decode(value.subarray(1, 1 + prefixLength)),
          value: textDecoder.decode(value.subarray(1 + prefixLength)),
        });
      } else {
        items.push({ type: itemType, value: textDecoder.decode(value) });
      }
      at += 2 + value.length;
    }
    chunks.push({ ssrc, items });
  }
  return chunks;
}

/** Octets `writeRtcp` will need for one packet. */
export function rtcpPacketLength(packet: RtcpPacket): number {
  switch (packet.type) {
    case 'sr':
      return 28 + packet.reports.length * 24 + (packet.profileExtension?.length ?? 0);
    case 'rr':
      return 8 + packet.reports.length * 24 + (packet.profileExtension?.length ?? 0);
    case 'sdes': {
      let length = 4;
      for (const chunk of packet.chunks) {
        let chunkLength = 4;
        for (const item of chunk.items) chunkLength += 2 + sdesItemValue(item).length;
        length += (chunkLength + 4) & ~3; // at least one null octet, then pad to 32 bits
      }
      return length;
    }
    case 'bye': {
      const base = 4 + packet.ssrcs.length * 4;
      if (packet.reason === undefined) return base;
      return base + ((1 + textEncoder.encode(packet.reason).length + 3) & ~3);
    }
    case 'app':
      return 12 + packet.data.length;
    case 'nack':
      return 12 + nackEntries(packet.lostSequenceNumbers).length * 4;
    case 'pli':
      return 12;
    case 'fir':
      return 12 + packet.entries.length * 8;
    case 'remb':
      return 20 + packet.ssrcs.length * 4;
    case 'unknown':
      return 4 + packet.body.length;
  }
}

/** Octets a compound of `packets` needs. */
export function rtcpCompoundLength(packets: readonly RtcpPacket[]): number {
  let total = 0;
  for (const p of packets) total += rtcpPacketLength(p);
  return total;
}

/**
 * Serializes `packets` as one compound (or reduced-size) RTCP packet into `out` at `offset`;
 * returns the octets written. Throws `RtpError` if a field does not fit its wire format.
 */
export function writeRtcp(packets: readonly RtcpPacket[], out: Uint8Array, offset = 0): number {
  const total = rtcpCompoundLength(packets);
  if (offset < 0 || offset + total > out.length) {
    throw new RtpError(
      'RTP_BUFFER_TOO_SMALL',
      `RTCP needs ${total} octets at ${offset}, buffer has ${out.length}`,
    );
  }
  let at = offset;
  for (const packet of packets) at += writePacket(packet, out, at);
  return at - offset;
}

/** Serializes `packets` into a new buffer. */
export function serializeRtcp(packets: readonly RtcpPacket[]): Uint8Array {
  const out = new Uint8Array(rtcpCompoundLength(packets));
  writeRtcp(packets, out);
  return out;
}

function writeHeader(out: Uint8Array, at: number, count: number, type: number, length: number) {
  if (count > 31) throw new RtpError('RTP_INVALID_ARGUMENT', `RTCP count ${count} exceeds 31`);
  if (length % 4 !== 0 || length > 0x40000) {
    throw new RtpError('RTP_INVALID_ARGUMENT', `RTCP packet length ${length} is not encodable`);
  }
  out[at] = 0x80 | count;
  out[at + 1] = type;
  const words = length / 4 - 1;
  out[at + 2] = words >>> 8;
  out[at + 3] = words;
}

function writePacket(packet: RtcpPacket, out: Uint8Array, at: number): number {
  const length = rtcpPacketLength(packet);
  switch (packet.type) {
    case 'sr': {
      writeHeader(out, at, packet.reports.length, RtcpPacketType.SR, length);
      writeU32(out, at + 4, packet.ssrc);
      writeU32(out, at + 8, packet.ntpSeconds);
      writeU32(out, at + 12, packet.ntpFraction);
      writeU32(out, at + 16, packet.rtpTimestamp);
      writeU32(out, at + 20, packet.packetCount);
      writeU32(out, at + 24, packet.octetCount);
      const end = writeReportBlocks(out, at + 28, packet.reports);
      if (packet.profileExtension) out.set(packet.profileExtension, end);
      break;
    }
    case 'rr': {
      writeHeader(out, at, packet.reports.length, RtcpPacketType.RR, length);
      writeU32(out, at + 4, packet.ssrc);
      const end = writeReportBlocks(out, at + 8, packet.reports);
      if (packet.profileExtension) out.set(packet.profileExtension, end);
      break;
    }
    case 'sdes': {
      writeHeader(out, at, packet.chunks.length, RtcpPacketType.SDES, length);
      let p = at + 4;
      for (const chunk of packet.chunks) {
        writeU32(out, p, chunk.ssrc);
        p += 4;
        for (const item of chunk.items) {
          const value = sdesItemValue(item);
          if (value.length > 255 || item.type < 1 || item.type > 255) {
            throw new RtpError('RTP_INVALID_ARGUMENT', `SDES item ${item.type} is not encodable`);
          }
          out[p] = item.type;
          out[p + 1] = value.length;
          out.set(value, p + 2);
          p += 2 + value.length;
        }
        const chunkEnd = (p + 4 - at) & ~3;
        out.fill(0, p, at + chunkEnd);
        p = at + chunkEnd;
      }
      break;
    }
    case 'bye': {
      writeHeader(out, at, packet.ssrcs.length, RtcpPacketType.BYE, length);
      let p = at + 4;
      for (const ssrc of packet.ssrcs) {
        writeU32(out, p, ssrc);
        p += 4;
      }
      if (packet.reason !== undefined) {
        const reason = textEncoder.encode(packet.reason);
        if (reason.length > 255) throw new RtpError('RTP_INVALID_ARGUMENT', 'BYE reason too long');
        out[p] = reason.length;
        out.set(reason, p + 1);
        out.fill(0, p + 1 + reason.length, at + length);
      }
      break;
    }
    case 'app': {
      if (packet.data.length % 4 !== 0 || packet.name.length !== 4) {
        throw new RtpError('RTP_INVALID_ARGUMENT', 'APP needs a 4-character name, data in words');
      }
      writeHeader(out, at, packet.subtype, RtcpPacketType.APP, length);
      writeU32(out, at + 4, packet.ssrc);
      for (let i = 0; i < 4; i++) out[at + 8 + i] = packet.name.charCodeAt(i);
      out.set(packet.data, at + 12);
      break;
    }
    case 'nack': {
      writeHeader(out, at, 1, RtcpPacketType.RTPFB, length);
      writeU32(out, at + 4, packet.senderSsrc);
      writeU32(out, at + 8, packet.mediaSsrc);
      let p = at + 12;
      for (const [pid, blp] of nackEntries(packet.lostSequenceNumbers)) {
        out[p] = pid >>> 8;
        out[p + 1] = pid;
        out[p + 2] = blp >>> 8;
        out[p + 3] = blp;
        p += 4;
      }
      break;
    }
    case 'pli':
      writeHeader(out, at, 1, RtcpPacketType.PSFB, length);
      writeU32(out, at + 4, packet.senderSsrc);
      writeU32(out, at + 8, packet.mediaSsrc);
      break;
    case 'fir': {
      writeHeader(out, at, 4, RtcpPacketType.PSFB, length);
      writeU32(out, at + 4, packet.senderSsrc);
      writeU32(out, at + 8, packet.mediaSsrc);
      let p = at + 12;
      for (const entry of packet.entries) {
        writeU32(out, p, entry.ssrc);
        out[p + 4] = entry.sequenceNumber;
        out[p + 5] = out[p + 6] = out[p + 7] = 0;
        p += 8;
      }
      break;
    }
    case 'remb': {
      writeHeader(out, at, 15, RtcpPacketType.PSFB, length);
      writeU32(out, at + 4, packet.senderSsrc);
      writeU32(out, at + 8, 0); // media source SSRC is 0 for REMB
      out.set([0x52, 0x45, 0x4d, 0x42], at + 12);
      if (packet.ssrcs.length > 255 || !(packet.bitrate >= 0)) {
        throw new RtpError('RTP_INVALID_ARGUMENT', 'REMB bitrate or SSRC list not encodable');
      }
      let mantissa = Math.floor(packet.bitrate);
      let exponent = 0;
      while (mantissa > 0x3ffff) {
        mantissa = Math.floor(mantissa / 2);
        exponent++;
      }
      if (exponent > 63) throw new RtpError('RTP_INVALID_ARGUMENT', 'REMB bitrate too large');
      out[at + 16] = packet.ssrcs.length;
      out[at + 17] = (exponent << 2) | (mantissa >>> 16);
      out[at + 18] = mantissa >>> 8;
      out[at + 19] = mantissa;
      let p = at + 20;
      for (const ssrc of packet.ssrcs) {
        writeU32(out, p, ssrc);
        p += 4;
      }
      break;
    }
    case 'unknown':
      writeHeader(out, at, packet.count, packet.packetType, length);
      out.set(packet.body, at + 4);
      break;
  }
  return length;
}

function writeReportBlocks(out: Uint8Array, at: number, reports: readonly ReportBlock[]): number {
  for (const r of reports) {
    writeU32(out, at, r.ssrc);
    out[at + 4] = r.fractionLost;
    // Clamp to the signed 24-bit range (RFC 3550 A.3).
    const lost = Math.max(-0x800000, Math.min(0x7fffff, r.cumulativeLost)) & 0xffffff;
    out[at + 5] = lost >>> 16;
    out[at + 6] = lost >>> 8;
    out[at + 7] = lost;
    writeU32(out, at + 8, r.extendedHighestSequence);
    writeU32(out, at + 12, r.jitter);
    writeU32(out, at + 16, r.lastSenderReport);
    writeU32(out, at + 20, r.delaySinceLastSenderReport);
    at += 24;
  }
  return at;
}

function sdesItemValue(item: SdesItem): Uint8Array {
  const value = textEncoder.encode(item.value);
  if (item.type !== SdesItemType.PRIV) return value;
  const prefix = textEncoder.encode(item.prefix ?? '');
  const out = new Uint8Array(1 + prefix.length + value.length);
  out[0] = prefix.length;
  out.set(prefix, 1);
  out.set(value, 1 + prefix.length);
  return out;
}

/** RFC 4585 §6.2.1: packs sequence numbers into (PID, BLP) pairs, in the order given. */
export function nackEntries(lost: readonly number[]): [number, number][] {
  const entries: [number, number][] = [];
  for (const seq of lost) {
    const last = entries[entries.length - 1];
    if (last) {
      const distance = (seq - last[0]) & 0xffff;
      if (distance >= 1 && distance <= 16) {
        last[1] |= 1 << (distance - 1);
        continue;
      }
      if (distance === 0) continue;
    }
    entries.push([seq & 0xffff, 0]);
  }
  return entries;
}
