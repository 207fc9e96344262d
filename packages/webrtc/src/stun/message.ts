// STUN messages (RFC 8489) as views over the received bytes: parsing records where each
// attribute sits and decodes values only when asked.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { WebRtcError } from '../errors.js';
import {
  FINGERPRINT_XOR,
  MAGIC_COOKIE,
  STUN_HEADER_LENGTH,
  StunAttr,
  type StunClass,
} from './constants.js';
import { CRC32_INITIAL, crc32Final, crc32Update } from './crc32.js';
import { saslprep } from './saslprep.js';

export interface TransportAddress {
  readonly family: 'IPv4' | 'IPv6';
  readonly address: string;
  readonly port: number;
}

export interface StunErrorCode {
  readonly code: number;
  readonly reason: string;
}

/** Where one attribute lives inside the message. */
interface AttributeSlot {
  readonly type: number;
  /** Offset of the value (after the 4-byte attribute header). */
  readonly offset: number;
  readonly length: number;
}

/** RFC 8489 §6: the first two bits of every STUN message are zero and bytes 4–7 hold the cookie. */
export function isStunMessage(bytes: Uint8Array): boolean {
  return (
    bytes.length >= STUN_HEADER_LENGTH &&
    (bytes[0]! & 0xc0) === 0 &&
    bytes[4] === 0x21 &&
    bytes[5] === 0x12 &&
    bytes[6] === 0xa4 &&
    bytes[7] === 0x42
  );
}

// RFC 8489 §5: the class is spread over bits C1 (0x0100) and C0 (0x0010) of the type.
function classOf(type: number): StunClass {
  switch (type & 0x0110) {
    case 0x0000:
      return 'request';
    case 0x0010:
      return 'indication';
    case 0x0100:
      return 'success';
    default:
      return 'error';
  }
}

function methodOf(type: number): number {
  return (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
}

/** Builds the 14-bit message type from method and class (RFC 8489 §5). */
export function stunMessageType(method: number, cls: StunClass): number {
  const classBits = { request: 0x0000, indication: 0x0010, success: 0x0100, error: 0x0110 }[cls];
  return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | classBits;
}

const textDecoder = new TextDecoder('utf-8', { fatal: false });
const textEncoder = new TextEncoder();

/** A parsed STUN message; every accessor reads from the original bytes. */
export class StunMessage {
  readonly bytes: Uint8Array;
  readonly type: number;
  readonly method: number;
  readonly messageClass: StunClass;
  readonly #view: DataView;
  readonly #attributes: readonly AttributeSlot[];

  private constructor(bytes: Uint8Array, attributes: AttributeSlot[]) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.type = this.#view.getUint16(0);
    this.method = methodOf(this.type);
    this.messageClass = classOf(this.type);
    this.#attributes = attributes;
  }

  /**
   * Parses a STUN message. The result is a view: it keeps `bytes`, so the caller must not reuse
   * the buffer while the message is in use. Throws `STUN_MALFORMED` on anything inconsistent.
   */
  static parse(bytes: Uint8Array): StunMessage {
    if (!isStunMessage(bytes)) {
      throw new WebRtcError('STUN_MALFORMED', 'not a STUN message (bad leading bits or cookie)');
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const bodyLength = view.getUint16(2);
    if (bodyLength % 4 !== 0) {
      throw new WebRtcError('STUN_MALFORMED', `STUN length ${bodyLength} is not a multiple of 4`);
    }
    if (STUN_HEADER_LENGTH + bodyLength > bytes.length) {
      throw new WebRtcError(
        'STUN_MALFORMED',
        `STUN length ${bodyLength} exceeds the ${bytes.length - STUN_HEADER_LENGTH} bytes received`,
      );
    }
    const end = STUN_HEADER_LENGTH + bodyLength;
    const attributes: AttributeSlot[] = [];
    let offset = STUN_HEADER_LENGTH;
    while (offset < end) {
      if (offset + 4 > end) throw new WebRtcError('STUN_MALFORMED', 'truncated attribute header');
      const type = view.getUint16(offset);
      const length = view.getUint16(offset + 2);
      const valueOffset = offset + 4;
      if (valueOffset + length > end) {
        throw new WebRtcError(
          'STUN_MALFORMED',
          `attribute 0x${type.toString(16)} overruns message`,
        );
      }
      attributes.push({ type, offset: valueOffset, length });
      offset = valueOffset + ((length + 3) & ~3);
    }
    return new StunMessage(bytes.subarray(0, end), attributes);
  }

  /** The 12-byte transaction id, as a view. */
  get transactionId(): Uint8Array {
    return this.bytes.subarray(8, 20);
  }

  /** Attribute types in message order. */
  get attributeTypes(): number[] {
    return this.#attributes.map((a) => a.type);
  }

  has(type: number): boolean {
    return this.#attributes.some((a) => a.type === type);
  }

  /** The first attribute of this type, as a view of its value (no padding). */
  get(type: number): Uint8Array | undefined {
    const slot = this.#attributes.find((a) => a.type === type);
    return slot ? this.bytes.subarray(slot.offset, slot.offset + slot.length) : undefined;
  }

  #text(type: number): string | undefined {
    const value = this.get(type);
    return value ? textDecoder.decode(value) : undefined;
  }

  get username(): string | undefined {
    return this.#text(StunAttr.Username);
  }
  get realm(): string | undefined {
    return this.#text(StunAttr.Realm);
  }
  get nonce(): string | undefined {
    return this.#text(StunAttr.Nonce);
  }
  get software(): string | undefined {
    return this.#text(StunAttr.Software);
  }

  /** PRIORITY (RFC 8445 §16.1). */
  get priority(): number | undefined {
    const slot = this.#attributes.find((a) => a.type === StunAttr.Priority);
    if (!slot) return undefined;
    if (slot.length !== 4) throw new WebRtcError('STUN_MALFORMED', 'PRIORITY must be 4 bytes');
    return this.#view.getUint32(slot.offset);
  }

  get useCandidate(): boolean {
    return this.has(StunAttr.UseCandidate);
  }

  #tieBreaker(type: number): bigint | undefined {
    const slot = this.#attributes.find((a) => a.type === type);
    if (!slot) return undefined;
    if (slot.length !== 8)
      throw new WebRtcError('STUN_MALFORMED', 'ICE role attribute must be 8 bytes');
    return this.#view.getBigUint64(slot.offset);
  }
  /** ICE-CONTROLLING tie-breaker (RFC 8445 §16.1). */
  get iceControlling(): bigint | undefined {
    return this.#tieBreaker(StunAttr.IceControlling);
  }
  /** ICE-CONTROLLED tie-breaker (RFC 8445 §16.1). */
  get iceControlled(): bigint | undefined {
    return this.#tieBreaker(StunAttr.IceControlled);
  }

  /** ERROR-CODE (RFC 8489 §14.8). */
  get errorCode(): StunErrorCode | undefined {
    const slot = this.#attributes.find((a) => a.type === StunAttr.ErrorCode);
    if (!slot) return undefined;
    if (slot.length < 4) throw new WebRtcError('STUN_MALFORMED', 'ERROR-CODE shorter than 4 bytes');
    const code = (this.bytes[slot.offset + 2]! & 0x07) * 100 + this.bytes[slot.offset + 3]!;
    const reason = textDecoder.decode(
      this.bytes.subarray(slot.offset + 4, slot.offset + slot.length),
    );
    return { code, reason };
  }

  /** XOR-MAPPED-ADDRESS (RFC 8489 §14.2). */
  get xorMappedAddress(): TransportAddress | undefined {
    const slot = this.#attributes.find((a) => a.type === StunAttr.XorMappedAddress);
    if (!slot) return undefined;
    return decodeXorAddress(this.bytes, slot.offset, slot.length);
  }

  /**
   * Checks MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) or, when that is absent,
   * MESSAGE-INTEGRITY-SHA256 (§14.6) with `key`. False when neither is present.
   */
  verifyIntegrity(key: Uint8Array): boolean {
    let index = this.#attributes.findIndex((a) => a.type === StunAttr.MessageIntegrity);
    let algorithm: 'sha1' | 'sha256' = 'sha1';
    if (index < 0) {
      index = this.#attributes.findIndex((a) => a.type === StunAttr.MessageIntegritySha256);
      algorithm = 'sha256';
    }
    const slot = this.#attributes[index];
    if (!slot) return false;
    // §14.6 allows truncation of the SHA-256 HMAC down to 16 bytes; SHA-1 is always 20.
    if (algorithm === 'sha1' ? slot.length !== 20 : slot.length < 16 || slot.length > 32) {
      return false;
    }
    const attributeStart = slot.offset - 4;
    const digest = hmacOverPrefix(
      algorithm,
      key,
      this.bytes,
      attributeStart,
      slot.offset + slot.length,
    );
    const received = this.bytes.subarray(slot.offset, slot.offset + slot.length);
    return timingSafeEqual(digest.subarray(0, slot.length), received);
  }

  /** True when FINGERPRINT is present, last, and correct (RFC 8489 §14.7). */
  verifyFingerprint(): boolean {
    const last = this.#attributes[this.#attributes.length - 1];
    if (!last || last.type !== StunAttr.Fingerprint || last.length !== 4) return false;
    const expected =
      (crcWithLength(this.bytes, last.offset - 4, last.offset + 4) ^ FINGERPRINT_XOR) >>> 0;
    return this.#view.getUint32(last.offset) === expected;
  }

  get hasFingerprint(): boolean {
    return this.has(StunAttr.Fingerprint);
  }
}

/** HMAC over bytes [0, end) with the header length rewritten to end at `lengthEnd` (§14.5). */
function hmacOverPrefix(
  algorithm: 'sha1' | 'sha256',
  key: Uint8Array,
  bytes: Uint8Array,
  end: number,
  lengthEnd: number,
): Uint8Array {
  const header = bytes.slice(0, STUN_HEADER_LENGTH);
  const adjusted = lengthEnd - STUN_HEADER_LENGTH;
  header[2] = adjusted >> 8;
  header[3] = adjusted & 0xff;
  return createHmac(algorithm, key)
    .update(header)
    .update(bytes.subarray(STUN_HEADER_LENGTH, end))
    .digest();
}

function crcWithLength(bytes: Uint8Array, end: number, lengthEnd: number): number {
  const header = bytes.slice(0, STUN_HEADER_LENGTH);
  const adjusted = lengthEnd - STUN_HEADER_LENGTH;
  header[2] = adjusted >> 8;
  header[3] = adjusted & 0xff;
  const crc = crc32Update(CRC32_INITIAL, header);
  return crc32Final(crc32Update(crc, bytes, STUN_HEADER_LENGTH, end));
}

// RFC 8489 §14.2: port XOR the cookie's top 16 bits; IPv4 XOR the cookie; IPv6 XOR cookie + tid.
function decodeXorAddress(bytes: Uint8Array, offset: number, length: number): TransportAddress {
  if (length < 8) throw new WebRtcError('STUN_MALFORMED', 'XOR-MAPPED-ADDRESS too short');
  const familyCode = bytes[offset + 1];
  const port = (((bytes[offset + 2]! << 8) | bytes[offset + 3]!) ^ (MAGIC_COOKIE >>> 16)) & 0xffff;
  if (familyCode === 0x01) {
    if (length !== 8)
      throw new WebRtcError('STUN_MALFORMED', 'IPv4 XOR-MAPPED-ADDRESS must be 8 bytes');
    const parts: number[] = [];
    for (let i = 0; i < 4; i++) parts.push(bytes[offset + 4 + i]! ^ bytes[4 + i]!);
    return { family: 'IPv4', address: parts.join('.'), port };
  }
  if (familyCode === 0x02) {
    if (length !== 20)
      throw new WebRtcError('STUN_MALFORMED', 'IPv6 XOR-MAPPED-ADDRESS must be 20 bytes');
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) {
      const hi = bytes[offset + 4 + i]! ^ bytes[4 + i]!;
      const lo = bytes[offset + 5 + i]! ^ bytes[5 + i]!;
      groups.push(((hi << 8) | lo).toString(16));
    }
    return { family: 'IPv6', address: compressIpv6(groups), port };
  }
  throw new WebRtcError('STUN_MALFORMED', `unknown address family ${familyCode}`);
}

function compressIpv6(groups: string[]): string {
  // RFC 5952 §4.2: replace the longest run (≥ 2) of zero groups with "::".
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}

function parseIpv4(address: string): number[] {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new WebRtcError('INVALID_ARGUMENT', `not an IPv4 address: ${address}`);
  }
  return parts;
}

function parseIpv6(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  if (tail === undefined ? missing !== 0 : missing < 1) {
    throw new WebRtcError('INVALID_ARGUMENT', `not an IPv6 address: ${address}`);
  }
  const groups = [
    ...headGroups,
    ...Array<string>(tail === undefined ? 0 : missing).fill('0'),
    ...tailGroups,
  ];
  const out: number[] = [];
  for (const g of groups) {
    const value = Number.parseInt(g, 16);
    if (!/^[0-9a-f]{1,4}$/i.test(g))
      throw new WebRtcError('INVALID_ARGUMENT', `not an IPv6 address: ${address}`);
    out.push(value >> 8, value & 0xff);
  }
  return out;
}

/** A message credential key: short-term (ICE) or long-term (RFC 8489 §9.2.2). */
export function shortTermKey(password: string): Uint8Array {
  return textEncoder.encode(saslprep(password));
}

/** RFC 8489 §9.2.2: key = MD5(username ":" OpaqueString(realm) ":" OpaqueString(password)). */
export function longTermKey(username: string, realm: string, password: string): Uint8Array {
  return createHash('md5')
    .update(`${username}:${realm}:${saslprep(password)}`, 'utf8')
    .digest();
}

export interface StunWriterOptions {
  /** Output buffer to write into (default: a fresh 548-byte buffer, the RFC's safe size). */
  readonly buffer?: Uint8Array;
}

/**
 * Writes a STUN message attribute by attribute into one buffer. Call `finish()` (or
 * `addMessageIntegrity` / `addFingerprint`, which must come last in that order) to get the bytes.
 */
export class StunWriter {
  readonly #buffer: Uint8Array;
  readonly #view: DataView;
  #offset = STUN_HEADER_LENGTH;

  constructor(type: number, transactionId: Uint8Array, options: StunWriterOptions = {}) {
    if (transactionId.length !== 12) {
      throw new WebRtcError('INVALID_ARGUMENT', 'a STUN transaction id is 12 bytes');
    }
    this.#buffer = options.buffer ?? new Uint8Array(548);
    if (this.#buffer.length < STUN_HEADER_LENGTH) {
      throw new WebRtcError('INVALID_ARGUMENT', 'output buffer shorter than a STUN header');
    }
    this.#view = new DataView(
      this.#buffer.buffer,
      this.#buffer.byteOffset,
      this.#buffer.byteLength,
    );
    this.#view.setUint16(0, type);
    this.#view.setUint32(4, MAGIC_COOKIE);
    this.#buffer.set(transactionId, 8);
    this.#setLength();
  }

  #setLength(): void {
    this.#view.setUint16(2, this.#offset - STUN_HEADER_LENGTH);
  }

  #reserve(type: number, length: number): number {
    const padded = (length + 3) & ~3;
    if (this.#offset + 4 + padded > this.#buffer.length) {
      throw new WebRtcError('INVALID_ARGUMENT', 'STUN message does not fit the output buffer');
    }
    this.#view.setUint16(this.#offset, type);
    this.#view.setUint16(this.#offset + 2, length);
    const valueOffset = this.#offset + 4;
    this.#buffer.fill(0, valueOffset + length, valueOffset + padded);
    this.#offset = valueOffset + padded;
    this.#setLength();
    return valueOffset;
  }

  add(type: number, value: Uint8Array): this {
    const at = this.#reserve(type, value.length);
    this.#buffer.set(value, at);
    return this;
  }

  addText(type: number, value: string): this {
    return this.add(type, textEncoder.encode(value));
  }

  addUint32(type: number, value: number): this {
    this.#view.setUint32(this.#reserve(type, 4), value);
    return this;
  }

  addUint64(type: number, value: bigint): this {
    this.#view.setBigUint64(this.#reserve(type, 8), value);
    return this;
  }

  addFlag(type: number): this {
    this.#reserve(type, 0);
    return this;
  }

  /** ERROR-CODE (RFC 8489 §14.8). */
  addErrorCode(code: number, reason: string): this {
    const text = textEncoder.encode(reason);
    const at = this.#reserve(StunAttr.ErrorCode, 4 + text.length);
    this.#view.setUint16(at, 0);
    this.#buffer[at + 2] = Math.floor(code / 100) & 0x07;
    this.#buffer[at + 3] = code % 100;
    this.#buffer.set(text, at + 4);
    return this;
  }

  /** XOR-MAPPED-ADDRESS (RFC 8489 §14.2). */
  addXorMappedAddress(address: TransportAddress): this {
    const raw = address.family === 'IPv4' ? parseIpv4(address.address) : parseIpv6(address.address);
    const at = this.#reserve(StunAttr.XorMappedAddress, 4 + raw.length);
    this.#buffer[at] = 0;
    this.#buffer[at + 1] = address.family === 'IPv4' ? 0x01 : 0x02;
    this.#view.setUint16(at + 2, (address.port ^ (MAGIC_COOKIE >>> 16)) & 0xffff);
    for (let i = 0; i < raw.length; i++) this.#buffer[at + 4 + i] = raw[i]! ^ this.#buffer[4 + i]!;
    return this;
  }

  /** MESSAGE-INTEGRITY (HMAC-SHA1, §14.5) or MESSAGE-INTEGRITY-SHA256 (§14.6). */
  addMessageIntegrity(key: Uint8Array, algorithm: 'sha1' | 'sha256' = 'sha1'): this {
    const size = algorithm === 'sha1' ? 20 : 32;
    const type = algorithm === 'sha1' ? StunAttr.MessageIntegrity : StunAttr.MessageIntegritySha256;
    const start = this.#offset;
    const at = this.#reserve(type, size);
    const digest = hmacOverPrefix(algorithm, key, this.#buffer, start, at + size);
    this.#buffer.set(digest, at);
    return this;
  }

  /** FINGERPRINT (§14.7); must be the last attribute. */
  addFingerprint(): this {
    const start = this.#offset;
    const at = this.#reserve(StunAttr.Fingerprint, 4);
    this.#view.setUint32(at, (crcWithLength(this.#buffer, start, at + 4) ^ FINGERPRINT_XOR) >>> 0);
    return this;
  }

  /** The finished message, a view of the output buffer. */
  finish(): Uint8Array {
    return this.#buffer.subarray(0, this.#offset);
  }
}
