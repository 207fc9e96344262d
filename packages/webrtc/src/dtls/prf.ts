// TLS 1.2 PRF (RFC 5246 §5): P_hash(secret, label + seed), with the cipher suite's hash.
import { createHmac } from 'node:crypto';

const encoder = new TextEncoder();

export function prf(
  hash: 'sha256' | 'sha384',
  secret: Uint8Array,
  label: string,
  seed: Uint8Array,
  length: number,
): Uint8Array {
  const labelSeed = concat(encoder.encode(label), seed);
  const out = new Uint8Array(length);
  let a: Uint8Array = labelSeed;
  let written = 0;
  while (written < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(labelSeed).digest();
    const take = Math.min(block.length, length - written);
    out.set(block.subarray(0, take), written);
    written += take;
  }
  return out;
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
