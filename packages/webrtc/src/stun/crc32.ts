// CRC-32 (ISO 3309 / ITU-T V.42, the one zlib uses), needed by the STUN FINGERPRINT (RFC 8489 §14.7).
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export const CRC32_INITIAL = 0xffffffff;

/** Feeds bytes [start, end) into a running CRC; finish with {@link crc32Final}. */
export function crc32Update(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = crc;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

export function crc32Final(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc32Final(crc32Update(CRC32_INITIAL, bytes, start, end));
}
