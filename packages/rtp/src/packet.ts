import { RtpError } from './errors.js';

/** RFC 3550 §5.1: the fixed header is 12 octets. */
export const RTP_FIXED_HEADER_LENGTH = 12;
/** RFC 8285 §4.2: "defined by profile" value of the one-byte header form. */
export const ONE_BYTE_EXTENSION_PROFILE = 0xbede;
/** RFC 8285 §4.3: the two-byte form uses 0x100X, the low 4 bits being app bits. */
export const TWO_BYTE_EXTENSION_PROFILE = 0x1000;

/** One RFC 8285 header extension element; `data` is a view into the packet when parsed. */
export interface RtpHeaderExtensionElement {
  readonly id: number;
  readonly data: Uint8Array;
}

/**
 * Length of the RTP header (fixed part, CSRCs and header extension) of `bytes`, checked against
 * the packet length (`length`, default all of `bytes`; SRTP passes the length without its tag).
 * Throws `RtpError` if the header does not fit. This is what SRTP needs to find the encrypted
 * part without building a packet view.
 */
export function rtpHeaderLength(bytes: Uint8Array, length = bytes.length): number {
  if (length > bytes.length || length < 0) {
    throw new RtpError(
      'RTP_INVALID_ARGUMENT',
      `length ${length} outside the ${bytes.length} octets`,
    );
  }
  if (length < RTP_FIXED_HEADER_LENGTH) {
    throw new RtpError(
      'RTP_TRUNCATED',
      `RTP packet of ${length} octets is shorter than the 12-octet fixed header`,
    );
  }
  const first = bytes[0]!;
  if (first >>> 6 !== 2) {
    throw new RtpError('RTP_BAD_VERSION', `RTP version ${first >>> 6}, expected 2`);
  }
  let offset = RTP_FIXED_HEADER_LENGTH + (first & 0x0f) * 4;
  if (offset > length) {
    throw new RtpError(
      'RTP_TRUNCATED',
      `RTP packet of ${length} octets cannot hold its ${first & 0x0f} CSRCs`,
    );
  }
  if (first & 0x10) {
    // RFC 3550 §5.3.1: 16-bit profile, 16-bit length in 32-bit words, then the data.
    if (offset + 4 > length) {
      throw new RtpError('RTP_TRUNCATED', 'RTP packet ends inside its header extension header');
    }
    offset += 4 + ((bytes[offset + 2]! << 8) | bytes[offset + 3]!) * 4;
    if (offset > length) {
      throw new RtpError('RTP_TRUNCATED', 'RTP header extension runs past the end of the packet');
    }
  }
  return offset;
}

/**
 * An RTP packet as a view over bytes (RFC 3550 §5.1). Nothing is copied: the header fields are
 * read from and written to the underlying `Uint8Array` in place, and `payload` is a sub-view.
 * `wrap()` re-points the same object at another packet so a receive loop needs no allocation.
 */
export class RtpPacket {
  #bytes: Uint8Array;
  #headerLength: number;
  #paddingLength: number;

  private constructor(bytes: Uint8Array, headerLength: number, paddingLength: number) {
    this.#bytes = bytes;
    this.#headerLength = headerLength;
    this.#paddingLength = paddingLength;
  }

  /** Validates `bytes` as an RTP packet and returns a view over it. Throws `RtpError`. */
  static parse(bytes: Uint8Array): RtpPacket {
    const headerLength = rtpHeaderLength(bytes);
    return new RtpPacket(bytes, headerLength, paddingLengthOf(bytes, headerLength));
  }

  /** Like `parse`, but returns `undefined` instead of throwing. */
  static tryParse(bytes: Uint8Array): RtpPacket | undefined {
    try {
      return RtpPacket.parse(bytes);
    } catch (error) {
      if (error instanceof RtpError) return undefined;
      throw error;
    }
  }

  /** Re-points this view at another packet (validated as by `parse`). */
  wrap(bytes: Uint8Array): this {
    const headerLength = rtpHeaderLength(bytes);
    const paddingLength = paddingLengthOf(bytes, headerLength);
    this.#bytes = bytes;
    this.#headerLength = headerLength;
    this.#paddingLength = paddingLength;
    return this;
  }

  /** The whole packet (header, payload and padding). */
  get bytes(): Uint8Array {
    return this.#bytes;
  }
  get length(): number {
    return this.#bytes.length;
  }
  get version(): number {
    return this.#bytes[0]! >>> 6;
  }
  get hasPadding(): boolean {
    return (this.#bytes[0]! & 0x20) !== 0;
  }
  get hasExtension(): boolean {
    return (this.#bytes[0]! & 0x10) !== 0;
  }
  get csrcCount(): number {
    return this.#bytes[0]! & 0x0f;
  }

  get marker(): boolean {
    return (this.#bytes[1]! & 0x80) !== 0;
  }
  set marker(value: boolean) {
    const b = this.#bytes;
    b[1] = value ? b[1]! | 0x80 : b[1]! & 0x7f;
  }

  get payloadType(): number {
    return this.#bytes[1]! & 0x7f;
  }
  set payloadType(value: number) {
    checkRange('payloadType', value, 0x7f);
    const b = this.#bytes;
    b[1] = (b[1]! & 0x80) | value;
  }

  get sequenceNumber(): number {
    const b = this.#bytes;
    return (b[2]! << 8) | b[3]!;
  }
  set sequenceNumber(value: number) {
    checkRange('sequenceNumber', value, 0xffff);
    const b = this.#bytes;
    b[2] = value >>> 8;
    b[3] = value;
  }

  get timestamp(): number {
    return readU32(this.#bytes, 4);
  }
  set timestamp(value: number) {
    checkRange('timestamp', value, 0xffffffff);
    writeU32(this.#bytes, 4, value);
  }

  get ssrc(): number {
    return readU32(this.#bytes, 8);
  }

  /**
   * The timestamp's and the SSRC's 32 bits as a signed integer (`timestamp | 0`). Senders pick
   * both at random (RFC 3550 §5.1), so most are above 2^31, where V8 allocates a heap number
   * for an unsigned value passed to or returned from a function it did not inline; the signed
   * form stays a small integer. Convert back with `>>> 0`.
   */
  get timestampBits(): number {
    const b = this.#bytes;
    return (b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!;
  }
  get ssrcBits(): number {
    const b = this.#bytes;
    return (b[8]! << 24) | (b[9]! << 16) | (b[10]! << 8) | b[11]!;
  }
  set ssrc(value: number) {
    checkRange('ssrc', value, 0xffffffff);
    writeU32(this.#bytes, 8, value);
  }

  /** The CSRC at `index` (0-based); throws if there is no such CSRC. */
  csrc(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.csrcCount) {
      throw new RtpError(
        'RTP_INVALID_ARGUMENT',
        `CSRC index ${index} out of range 0..${this.csrcCount - 1}`,
      );
    }
    return readU32(this.#bytes, RTP_FIXED_HEADER_LENGTH + index * 4);
  }
  /** All CSRCs as a new array (allocates; use `csrc(i)` in hot paths). */
  get csrcs(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.csrcCount; i++) out.push(this.csrc(i));
    return out;
  }
  /** Overwrites the CSRC at `index` in place. */
  setCsrc(index: number, value: number): void {
    this.csrc(index);
    checkRange('csrc', value, 0xffffffff);
    writeU32(this.#bytes, RTP_FIXED_HEADER_LENGTH + index * 4, value);
  }

  /** Octets before the payload: fixed header, CSRCs and header extension. */
  get headerLength(): number {
    return this.#headerLength;
  }
  get payloadOffset(): number {
    return this.#headerLength;
  }
  /** RFC 3550 §5.1: the count in the last padding octet (0 when P is not set). */
  get paddingLength(): number {
    return this.#paddingLength;
  }
  get payloadLength(): number {
    return this.#bytes.length - this.#headerLength - this.#paddingLength;
  }
  /** The payload as a view into the packet (padding excluded). */
  get payload(): Uint8Array {
    return this.#bytes.subarray(this.#headerLength, this.#bytes.length - this.#paddingLength);
  }

  /** The 16-bit "defined by profile" field of the header extension, if present. */
  get extensionProfile(): number | undefined {
    if (!this.hasExtension) return undefined;
    const at = this.#extensionOffset();
    return (this.#bytes[at]! << 8) | this.#bytes[at + 1]!;
  }
  /** The header extension body (after its 4-octet header) as a view, if present. */
  get extensionData(): Uint8Array | undefined {
    if (!this.hasExtension) return undefined;
    return this.#bytes.subarray(this.#extensionOffset() + 4, this.#headerLength);
  }

  /**
   * The data of the RFC 8285 element with `id` as a view into the packet, or `undefined`.
   * Works for the one-byte and two-byte forms; throws `RtpError` on a malformed extension block.
   */
  getExtension(id: number): Uint8Array | undefined {
    let found: Uint8Array | undefined;
    this.#walkExtensions((elementId, start, end) => {
      if (elementId !== id) return false;
      found = this.#bytes.subarray(start, end);
      return true;
    });
    return found;
  }

  /** All RFC 8285 elements, each a view into the packet. Empty when there are none. */
  extensions(): RtpHeaderExtensionElement[] {
    const out: RtpHeaderExtensionElement[] = [];
    this.#walkExtensions((id, start, end) => {
      out.push({ id, data: this.#bytes.subarray(start, end) });
      return false;
    });
    return out;
  }

  /**
   * Overwrites the data of an existing element in place; `data` must have the element's length
   * (use `writeRtpPacket` to change the layout). Returns false if there is no such element.
   */
  setExtension(id: number, data: Uint8Array): boolean {
    const current = this.getExtension(id);
    if (!current) return false;
    if (current.length !== data.length) {
      throw new RtpError(
        'RTP_INVALID_ARGUMENT',
        `extension ${id} holds ${current.length} octets, cannot write ${data.length} in place`,
      );
    }
    current.set(data);
    return true;
  }

  /** Copies the packet into `out` at `offset`; returns the number of octets written. */
  serialize(out: Uint8Array, offset = 0): number {
    const length = this.#bytes.length;
    if (offset < 0 || offset + length > out.length) {
      throw new RtpError(
        'RTP_BUFFER_TOO_SMALL',
        `need ${length} octets at offset ${offset}, buffer has ${out.length}`,
      );
    }
    out.set(this.#bytes, offset);
    return length;
  }

  #extensionOffset(): number {
    return RTP_FIXED_HEADER_LENGTH + this.csrcCount * 4;
  }

  /** RFC 8285 §4.2/§4.3: calls `visit(id, start, end)` per element until it returns true. */
  #walkExtensions(visit: (id: number, start: number, end: number) => boolean): void {
    const profile = this.extensionProfile;
    if (profile === undefined) return;
    const b = this.#bytes;
    let at = this.#extensionOffset() + 4;
    const end = this.#headerLength;
    if (profile === ONE_BYTE_EXTENSION_PROFILE) {
      while (at < end) {
        const head = b[at]!;
        if (head === 0) {
          at++; // padding octet
          continue;
        }
        const id = head >>> 4;
        if (id === 15) return; // RFC 8285 §4.2: reserved, stop processing
        const dataEnd = at + 1 + (head & 0x0f) + 1;
        if (dataEnd > end) {
          throw new RtpError('RTP_BAD_EXTENSION', `one-byte extension element ${id} overruns`);
        }
        if (visit(id, at + 1, dataEnd)) return;
        at = dataEnd;
      }
    } else if ((profile & 0xfff0) === TWO_BYTE_EXTENSION_PROFILE) {
      while (at < end) {
        const id = b[at]!;
        if (id === 0) {
          at++;
          continue;
        }
        if (at + 2 > end) {
          throw new RtpError('RTP_BAD_EXTENSION', `two-byte extension element ${id} truncated`);
        }
        const dataEnd = at + 2 + b[at + 1]!;
        if (dataEnd > end) {
          throw new RtpError('RTP_BAD_EXTENSION', `two-byte extension element ${id} overruns`);
        }
        if (visit(id, at + 2, dataEnd)) return;
        at = dataEnd;
      }
    }
  }
}

/** What `writeRtpPacket` needs to build a packet. */
export interface RtpPacketInit {
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly marker?: boolean;
  readonly csrcs?: readonly number[];
  /** RFC 8285 elements; the one-byte form is used when every element fits it. */
  readonly extensions?: readonly RtpHeaderExtensionElement[];
  /** A raw RFC 3550 §5.3.1 extension instead of `extensions` (data length a multiple of 4). */
  readonly rawExtension?: { readonly profile: number; readonly data: Uint8Array };
  readonly payload?: Uint8Array;
  /** RFC 3550 §5.1 padding octets to append (1..255), the last holding the count. */
  readonly paddingLength?: number;
}

/** Stands in for absent CSRC and extension lists: an empty array per packet would be garbage. */
const NONE: readonly never[] = [];

/** Octets `writeRtpPacket(init, ...)` will write. */
export function rtpPacketLength(init: RtpPacketInit): number {
  return (
    RTP_FIXED_HEADER_LENGTH +
    (init.csrcs?.length ?? 0) * 4 +
    extensionBlockLength(init) +
    (init.payload?.length ?? 0) +
    (init.paddingLength ?? 0)
  );
}

/**
 * Writes the 12-byte fixed header of RFC 3550 §5.1 at `offset`: version 2, no padding, extension
 * or CSRCs (callers that have them set those bits after). For a sender that writes its payload in
 * place after the header; unchecked (the caller passes values in range and room for 12 bytes).
 */
export function writeRtpFixedHeader(
  out: Uint8Array,
  offset: number,
  marker: boolean,
  payloadType: number,
  sequenceNumber: number,
  timestamp: number,
  ssrc: number,
): void {
  out[offset] = 0x80;
  out[offset + 1] = (marker ? 0x80 : 0) | payloadType;
  out[offset + 2] = sequenceNumber >>> 8;
  out[offset + 3] = sequenceNumber;
  writeU32(out, offset + 4, timestamp);
  writeU32(out, offset + 8, ssrc);
}

/** Serializes a packet into `out` at `offset`; returns the number of octets written. */
export function writeRtpPacket(init: RtpPacketInit, out: Uint8Array, offset = 0): number {
  const csrcs = init.csrcs ?? NONE;
  if (csrcs.length > 15) {
    throw new RtpError('RTP_INVALID_ARGUMENT', `${csrcs.length} CSRCs, at most 15 allowed`);
  }
  checkRange('payloadType', init.payloadType, 0x7f);
  checkRange('sequenceNumber', init.sequenceNumber, 0xffff);
  checkRange('timestamp', init.timestamp, 0xffffffff);
  checkRange('ssrc', init.ssrc, 0xffffffff);
  const padding = init.paddingLength ?? 0;
  if (!Number.isInteger(padding) || padding < 0 || padding > 255) {
    throw new RtpError('RTP_INVALID_ARGUMENT', `paddingLength ${padding} not in 0..255`);
  }
  const total = rtpPacketLength(init);
  if (offset < 0 || offset + total > out.length) {
    throw new RtpError(
      'RTP_BUFFER_TOO_SMALL',
      `need ${total} octets at offset ${offset}, buffer has ${out.length}`,
    );
  }
  const hasExtension = init.rawExtension !== undefined || (init.extensions?.length ?? 0) > 0;
  writeRtpFixedHeader(
    out,
    offset,
    init.marker === true,
    init.payloadType,
    init.sequenceNumber,
    init.timestamp,
    init.ssrc,
  );
  out[offset] = 0x80 | (padding > 0 ? 0x20 : 0) | (hasExtension ? 0x10 : 0) | csrcs.length;
  let at = offset + RTP_FIXED_HEADER_LENGTH;
  for (const csrc of csrcs) {
    checkRange('csrc', csrc, 0xffffffff);
    writeU32(out, at, csrc);
    at += 4;
  }
  if (hasExtension) at = writeExtensionBlock(init, out, at);
  if (init.payload) {
    out.set(init.payload, at);
    at += init.payload.length;
  }
  if (padding > 0) {
    out.fill(0, at, at + padding - 1);
    out[at + padding - 1] = padding;
    at += padding;
  }
  return at - offset;
}

/** Builds a new packet in a fresh buffer and returns a view over it. */
export function createRtpPacket(init: RtpPacketInit): RtpPacket {
  const bytes = new Uint8Array(rtpPacketLength(init));
  writeRtpPacket(init, bytes);
  return RtpPacket.parse(bytes);
}

function usesOneByteForm(elements: readonly RtpHeaderExtensionElement[]): boolean {
  return elements.every(
    (e) => e.id >= 1 && e.id <= 14 && e.data.length >= 1 && e.data.length <= 16,
  );
}

function extensionBlockLength(init: RtpPacketInit): number {
  if (init.rawExtension) {
    if (init.rawExtension.data.length % 4 !== 0) {
      throw new RtpError('RTP_INVALID_ARGUMENT', 'raw extension data must be a multiple of 4');
    }
    return 4 + init.rawExtension.data.length;
  }
  const elements = init.extensions ?? NONE;
  if (elements.length === 0) return 0;
  const perElement = usesOneByteForm(elements) ? 1 : 2;
  let body = 0;
  for (const e of elements) {
    if (!Number.isInteger(e.id) || e.id < 1 || e.id > 255 || e.data.length > 255) {
      throw new RtpError('RTP_INVALID_ARGUMENT', `extension element ${e.id} cannot be encoded`);
    }
    body += perElement + e.data.length;
  }
  return 4 + Math.ceil(body / 4) * 4;
}

function writeExtensionBlock(init: RtpPacketInit, out: Uint8Array, at: number): number {
  const blockLength = extensionBlockLength(init);
  const bodyWords = (blockLength - 4) / 4;
  if (init.rawExtension) {
    out[at] = init.rawExtension.profile >>> 8;
    out[at + 1] = init.rawExtension.profile;
    out[at + 2] = bodyWords >>> 8;
    out[at + 3] = bodyWords;
    out.set(init.rawExtension.data, at + 4);
    return at + blockLength;
  }
  const elements = init.extensions ?? NONE;
  const oneByte = usesOneByteForm(elements);
  const profile = oneByte ? ONE_BYTE_EXTENSION_PROFILE : TWO_BYTE_EXTENSION_PROFILE;
  out[at] = profile >>> 8;
  out[at + 1] = profile & 0xff;
  out[at + 2] = bodyWords >>> 8;
  out[at + 3] = bodyWords;
  let p = at + 4;
  for (const e of elements) {
    if (oneByte) {
      out[p++] = (e.id << 4) | (e.data.length - 1);
    } else {
      out[p++] = e.id;
      out[p++] = e.data.length;
    }
    out.set(e.data, p);
    p += e.data.length;
  }
  const end = at + blockLength;
  out.fill(0, p, end);
  return end;
}

function paddingLengthOf(bytes: Uint8Array, headerLength: number): number {
  if ((bytes[0]! & 0x20) === 0) return 0;
  const payloadAndPadding = bytes.length - headerLength;
  const padding = payloadAndPadding > 0 ? bytes[bytes.length - 1]! : 0;
  if (padding === 0 || padding > payloadAndPadding) {
    throw new RtpError(
      'RTP_BAD_PADDING',
      `RTP padding count ${padding} is invalid for ${payloadAndPadding} octets after the header`,
    );
  }
  return padding;
}

function checkRange(field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RtpError('RTP_INVALID_ARGUMENT', `${field} ${value} not in 0..${max}`);
  }
}

/** Big-endian 32-bit read as an unsigned number. */
export function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Big-endian 32-bit write. */
export function writeU32(b: Uint8Array, at: number, value: number): void {
  b[at] = value >>> 24;
  b[at + 1] = value >>> 16;
  b[at + 2] = value >>> 8;
  b[at + 3] = value;
}
