import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AesGcm, HmacSha1, NATIVE_GCM_THRESHOLD, SrtpError } from '@callbridge/srtp';
import { createHmac } from 'node:crypto';

const bytes = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 29 + seed) & 0xff);

describe('AesGcm', () => {
  for (const [keyLength, ghashTables] of [
    [16, true],
    [32, true],
    [16, false],
  ] as const) {
    it(`matches an independent AES-${keyLength * 8}-GCM from 0 to 1500 octets (tables: ${ghashTables})`, () => {
      const key = bytes(keyLength, 1);
      const gcm = new AesGcm(key, { ghashTables });
      expect(gcm.usesKeystream(NATIVE_GCM_THRESHOLD)).toBe(ghashTables);
      expect(gcm.usesKeystream(NATIVE_GCM_THRESHOLD + 1)).toBe(false);
      for (let length = 0; length <= 1500; length += length < 40 ? 1 : 37) {
        const iv = bytes(12, length);
        const aad = bytes(12 + (length % 20), 3);
        const plaintext = bytes(length, 7);
        const reference = createCipheriv(keyLength === 16 ? 'aes-128-gcm' : 'aes-256-gcm', key, iv);
        reference.setAAD(aad);
        const expected = Buffer.concat([
          reference.update(plaintext),
          reference.final(),
          reference.getAuthTag(),
        ]);
        const out = new Uint8Array(length + 16);
        gcm.seal(iv, aad, plaintext, out, 0);
        expect(Buffer.from(out).equals(expected)).toBe(true);
        const back = new Uint8Array(length);
        gcm.open(iv, aad, out.subarray(0, length), out.subarray(length), back, 0);
        expect(back).toEqual(plaintext);
        out[length]! ^= 1;
        const untouched = new Uint8Array(length);
        expect(() =>
          gcm.open(iv, aad, out.subarray(0, length), out.subarray(length), untouched, 0),
        ).toThrow(SrtpError);
        expect(untouched).toEqual(new Uint8Array(length));
      }
    });
  }
});

describe('HmacSha1', () => {
  it('matches an independent HMAC-SHA1 for keys and messages of many lengths', () => {
    for (const keyLength of [0, 20, 64, 65, 100]) {
      const key = bytes(keyLength, 9);
      const hmac = new HmacSha1(key);
      for (let length = 0; length < 300; length += 7) {
        const message = bytes(length, length);
        const out = new Uint8Array(20);
        hmac.start();
        // split the message to exercise the partial-block buffering
        hmac.update(message, 0, length >> 1);
        hmac.update(message, length >> 1, length);
        hmac.finish(out, 0, 20);
        expect(Buffer.from(out).toString('hex')).toBe(
          createHmac('sha1', key).update(message).digest('hex'),
        );
      }
    }
  });
});
