import { describe, expect, it } from 'vitest';
import {
  SrtpContext,
  SrtpError,
  formatSdesCrypto,
  generateSdesKey,
  parseSdesCrypto,
  sdesContextOptions,
  srtpProfile,
} from '@callbridge/srtp';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof SrtpError) return error.code;
    throw error;
  }
  return undefined;
}

describe('SDES a=crypto (RFC 4568)', () => {
  it('parses the RFC 4568 example with lifetime and MKI', () => {
    const crypto = parseSdesCrypto(
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4',
    );
    expect(crypto.tag).toBe(1);
    expect(crypto.profile?.name).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(crypto.keys).toHaveLength(1);
    const key = crypto.keys[0]!;
    expect(key.masterKey).toHaveLength(16);
    expect(key.masterSalt).toHaveLength(14);
    expect(String.fromCharCode(...key.masterKey, ...key.masterSalt)).toBe(
      atob('PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR'),
    );
    expect(key.lifetime).toBe(2 ** 20);
    expect(key.mki).toEqual({ value: 1, length: 4 });
    // MKI is parsed but not supported by the context
    expect(codeOf(() => sdesContextOptions(crypto))).toBe('SDES_BAD_CRYPTO_LINE');
  });

  it('produces lines that parse back and key a working context pair', () => {
    for (const name of [
      'AES_CM_128_HMAC_SHA1_80',
      'AES_CM_128_HMAC_SHA1_32',
      'AES_256_CM_HMAC_SHA1_80',
      'AEAD_AES_128_GCM',
      'AEAD_AES_256_GCM',
    ] as const) {
      const profile = srtpProfile(name);
      const keys = generateSdesKey(profile);
      const line = formatSdesCrypto({ tag: 2, profile: name, ...keys, lifetime: 2 ** 31 });
      expect(line).toMatch(new RegExp(`^2 ${name} inline:[A-Za-z0-9+/=]+\\|2\\^31$`));
      const parsed = parseSdesCrypto(`a=crypto:${line}`);
      expect(parsed.keys[0]!.masterKey).toEqual(keys.masterKey);
      const ours = new SrtpContext({ profile, ...keys });
      const theirs = new SrtpContext(sdesContextOptions(parsed));
      const packet = Uint8Array.of(0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 1, 2, 3);
      expect(theirs.unprotectRtp(ours.protectRtp(packet))).toEqual(packet);
    }
  });

  it('honours UNENCRYPTED_SRTCP, UNENCRYPTED_SRTP and WSH', () => {
    const keys = generateSdesKey(srtpProfile('AES_CM_128_HMAC_SHA1_80'));
    const line = formatSdesCrypto({
      tag: 1,
      profile: 'AES_CM_128_HMAC_SHA1_80',
      ...keys,
      sessionParameters: ['UNENCRYPTED_SRTCP', 'UNENCRYPTED_SRTP', 'WSH=256', 'KDR=0'],
    });
    const options = sdesContextOptions(parseSdesCrypto(line));
    expect(options).toMatchObject({ encryptRtp: false, encryptRtcp: false, replayWindow: 256 });
    const rtcp = Uint8Array.of(0x80, 0xc9, 0, 1, 0, 0, 0, 7);
    const sealed = new SrtpContext(options).protectRtcp(rtcp);
    expect(sealed.subarray(0, 8)).toEqual(rtcp);
    expect(sealed[8]! & 0x80).toBe(0); // E flag clear
  });

  it('keeps unknown suites for negotiation but refuses to key them', () => {
    const crypto = parseSdesCrypto(
      '3 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm',
    );
    expect(crypto.profile).toBeUndefined();
    expect(codeOf(() => sdesContextOptions(crypto))).toBe('SDES_BAD_CRYPTO_LINE');
  });

  it('rejects malformed lines with typed errors', () => {
    for (const line of [
      'a=crypto:',
      'a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:AAAA',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:http://example.com/key',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA', // too short for the suite
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|forever',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!',
    ]) {
      expect(
        codeOf(() => parseSdesCrypto(line)),
        line,
      ).toBe('SDES_BAD_CRYPTO_LINE');
    }
    const kdr = parseSdesCrypto(
      '1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR KDR=10',
    );
    expect(codeOf(() => sdesContextOptions(kdr))).toBe('SDES_BAD_CRYPTO_LINE');
  });
});
