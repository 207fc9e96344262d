import { describe, expect, it } from 'vitest';
import { createRtpPacket } from '@callbridge/rtp';
import {
  SRTP_PROFILES,
  SrtpContext,
  SrtpError,
  dtlsSrtpKeyingMaterialLength,
  splitDtlsSrtpKeyingMaterial,
  srtpProfile,
  srtpProfileByDtlsId,
  type SrtpProfileName,
} from '@callbridge/srtp';

const keyFor = (name: string, seed: number) => {
  const p = srtpProfile(name);
  const bytes = (n: number, s: number) =>
    Uint8Array.from({ length: n }, (_, i) => (i * 7 + s) & 0xff);
  return {
    profile: p,
    masterKey: bytes(p.masterKeyLength, seed),
    masterSalt: bytes(p.masterSaltLength, seed + 1),
  };
};

const rtp = (seq: number, ssrc = 0x1234, payloadLength = 160) =>
  createRtpPacket({
    payloadType: 0,
    sequenceNumber: seq & 0xffff,
    timestamp: seq * 160,
    ssrc,
    payload: Uint8Array.from({ length: payloadLength }, (_, i) => (i + seq) & 0xff),
  }).bytes;

const rtcp = (ssrc = 0x1234) =>
  Uint8Array.from([
    0x80,
    0xc9,
    0x00,
    0x01,
    ssrc >>> 24,
    (ssrc >>> 16) & 255,
    (ssrc >>> 8) & 255,
    ssrc & 255,
  ]);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof SrtpError) return error.code;
    throw error;
  }
  return undefined;
}

const NAMES = SRTP_PROFILES.map((p) => p.name);

describe('profiles', () => {
  it('accepts registry names, RFC 5764 aliases and DTLS use_srtp ids', () => {
    expect(srtpProfile('SRTP_AES128_CM_HMAC_SHA1_80').name).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(srtpProfile('SRTP_AES128_CM_HMAC_SHA1_32').name).toBe('AES_CM_128_HMAC_SHA1_32');
    expect(srtpProfile('SRTP_AEAD_AES_128_GCM').name).toBe('AEAD_AES_128_GCM');
    expect(srtpProfile('SRTP_AEAD_AES_256_GCM').name).toBe('AEAD_AES_256_GCM');
    expect(srtpProfileByDtlsId(0x0001)?.name).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(srtpProfileByDtlsId(0x0002)?.name).toBe('AES_CM_128_HMAC_SHA1_32');
    expect(srtpProfileByDtlsId(0x0007)?.name).toBe('AEAD_AES_128_GCM');
    expect(srtpProfileByDtlsId(0x0008)?.name).toBe('AEAD_AES_256_GCM');
    expect(srtpProfileByDtlsId(0x0005)).toBeUndefined();
    expect(codeOf(() => srtpProfile('F8_128_HMAC_SHA1_80'))).toBe('SRTP_UNKNOWN_PROFILE');
  });

  it('splits DTLS-SRTP keying material as RFC 5764 §4.2 lays it out', () => {
    expect(dtlsSrtpKeyingMaterialLength('AES_CM_128_HMAC_SHA1_80')).toBe(60);
    expect(dtlsSrtpKeyingMaterialLength('AEAD_AES_128_GCM')).toBe(56);
    const material = Uint8Array.from({ length: 60 }, (_, i) => i);
    const { client, server } = splitDtlsSrtpKeyingMaterial('AES_CM_128_HMAC_SHA1_80', material);
    expect([...client.masterKey]).toEqual([...material.subarray(0, 16)]);
    expect([...server.masterKey]).toEqual([...material.subarray(16, 32)]);
    expect([...client.masterSalt]).toEqual([...material.subarray(32, 46)]);
    expect([...server.masterSalt]).toEqual([...material.subarray(46, 60)]);
    expect(codeOf(() => splitDtlsSrtpKeyingMaterial('AEAD_AES_128_GCM', material))).toBe(
      'SRTP_BAD_KEY',
    );
  });

  it('rejects keys and salts of the wrong length', () => {
    const good = keyFor('AES_CM_128_HMAC_SHA1_80', 1);
    expect(codeOf(() => new SrtpContext({ ...good, masterKey: new Uint8Array(15) }))).toBe(
      'SRTP_BAD_KEY',
    );
    expect(codeOf(() => new SrtpContext({ ...good, masterSalt: new Uint8Array(12) }))).toBe(
      'SRTP_BAD_KEY',
    );
  });
});

describe.each(NAMES)('SrtpContext %s', (name: SrtpProfileName) => {
  const options = keyFor(name, 3);
  const profile = srtpProfile(name);

  it('round-trips RTP and RTCP and hides the payload', () => {
    const sender = new SrtpContext(options);
    const receiver = new SrtpContext(options);
    for (let seq = 100; seq < 110; seq++) {
      const plain = rtp(seq, 0x1234, seq % 2 ? 1100 : 160);
      const sealed = sender.protectRtp(plain);
      expect(sealed.length).toBe(plain.length + profile.rtpTagLength);
      expect(sealed.subarray(12, plain.length)).not.toEqual(plain.subarray(12));
      expect(receiver.unprotectRtp(sealed)).toEqual(plain);
      const report = rtcp();
      const sealedReport = sender.protectRtcp(report);
      expect(sealedReport.length).toBe(report.length + 4 + profile.rtcpTagLength);
      expect(receiver.unprotectRtcp(sealedReport)).toEqual(report);
    }
  });

  it('works in place in the caller buffer', () => {
    const sender = new SrtpContext(options);
    const receiver = new SrtpContext(options);
    const plain = rtp(7);
    const buffer = new Uint8Array(plain.length + profile.rtpTagLength + 8);
    buffer.set(plain, 4);
    const view = buffer.subarray(4, 4 + plain.length);
    const n = sender.protectRtpInto(view, buffer.subarray(4), 0);
    expect(n).toBe(plain.length + profile.rtpTagLength);
    const sealed = buffer.subarray(4, 4 + n);
    const m = receiver.unprotectRtpInto(sealed, buffer.subarray(4), 0);
    expect(buffer.subarray(4, 4 + m)).toEqual(plain);
    expect(codeOf(() => sender.protectRtpInto(plain, new Uint8Array(plain.length)))).toBe(
      'SRTP_BUFFER_TOO_SMALL',
    );
  });

  it('handles output overlapping the input at another position', () => {
    for (const shift of [4, -4]) {
      const sender = new SrtpContext(options);
      const receiver = new SrtpContext(options);
      for (const size of [100, 1300]) {
        const plain = rtp(size, 0x1234, size);
        const buffer = new Uint8Array(plain.length + 64);
        buffer.set(plain, 16);
        const n = sender.protectRtpInto(buffer.subarray(16, 16 + plain.length), buffer, 16 + shift);
        expect(n).toBe(plain.length + profile.rtpTagLength);
        const m = receiver.unprotectRtpInto(
          buffer.subarray(16 + shift, 16 + shift + n),
          buffer,
          16,
        );
        expect(buffer.subarray(16, 16 + m)).toEqual(plain);
        const report = rtcp();
        buffer.set(report, 16);
        const r = sender.protectRtcpInto(buffer.subarray(16, 24), buffer, 16 + shift);
        const back = receiver.unprotectRtcpInto(
          buffer.subarray(16 + shift, 16 + shift + r),
          buffer,
          16,
        );
        expect(buffer.subarray(16, 16 + back)).toEqual(report);
      }
    }
  });

  it('rejects a tampered packet and a replay without disturbing its state', () => {
    const sender = new SrtpContext(options);
    const receiver = new SrtpContext(options);
    const first = sender.protectRtp(rtp(1000));
    const second = sender.protectRtp(rtp(1001));
    const tampered = first.slice();
    tampered[20]! ^= 1;
    expect(codeOf(() => receiver.unprotectRtp(tampered))).toBe('SRTP_AUTH_FAILED');
    // a forged first packet must not create the stream: the genuine one still decrypts
    expect(receiver.rolloverCounter(0x1234, 'receive')).toBeUndefined();
    expect(receiver.unprotectRtp(first)).toEqual(rtp(1000));
    expect(codeOf(() => receiver.unprotectRtp(first))).toBe('SRTP_REPLAYED');
    const badTag = second.slice();
    badTag[badTag.length - 1]! ^= 0x80;
    expect(codeOf(() => receiver.unprotectRtp(badTag))).toBe('SRTP_AUTH_FAILED');
    expect(receiver.unprotectRtp(second)).toEqual(rtp(1001));

    const report = sender.protectRtcp(rtcp());
    const badReport = report.slice();
    badReport[9]! ^= 1;
    expect(codeOf(() => receiver.unprotectRtcp(badReport))).toBe('SRTP_AUTH_FAILED');
    expect(receiver.unprotectRtcp(report)).toEqual(rtcp());
    expect(codeOf(() => receiver.unprotectRtcp(report))).toBe('SRTP_REPLAYED');
  });

  it('accepts reordering inside the replay window and drops what is older', () => {
    const sender = new SrtpContext(options);
    const receiver = new SrtpContext({ ...options, replayWindow: 64 });
    const sealed = Array.from({ length: 200 }, (_, i) => sender.protectRtp(rtp(i)));
    receiver.unprotectRtp(sealed[150]!);
    expect(receiver.unprotectRtp(sealed[100]!)).toEqual(rtp(100)); // 50 behind: inside
    expect(codeOf(() => receiver.unprotectRtp(sealed[80]!))).toBe('SRTP_TOO_OLD');
    expect(receiver.unprotectRtp(sealed[199]!)).toEqual(rtp(199));
    expect(receiver.unprotectRtp(sealed[151]!)).toEqual(rtp(151));
  });

  it('advances the rollover counter across the sequence wrap on both sides', () => {
    const sender = new SrtpContext(options);
    const receiver = new SrtpContext(options);
    const seqs = [65530, 65533, 65535, 0, 2, 65534 /* late, previous ROC */, 5];
    for (const seq of seqs) {
      const plain = rtp(seq);
      expect(receiver.unprotectRtp(sender.protectRtp(plain))).toEqual(plain);
    }
    expect(sender.rolloverCounter(0x1234)).toBe(1);
    expect(receiver.rolloverCounter(0x1234, 'receive')).toBe(1);
  });

  it('gives the same packets with keystream batches as packet by packet, whatever the order', () => {
    const sender = new SrtpContext(options);
    const seqs = Array.from({ length: 70 }, (_, i) => (65500 + i) & 0xffff);
    const sizes = seqs.map((_, i) => [160, 20, 0, 300, 1000, 161, 17][i % 7]!);
    const sealed = seqs.map((seq, i) => sender.protectRtp(rtp(seq, 0x1234, sizes[i])));
    seqs.forEach((seq, i) => {
      // a fresh context per packet cannot batch: it is the reference
      const alone = new SrtpContext(options);
      alone.setRolloverCounter(0x1234, seq >= 65500 ? 0 : 1, 'send', seq);
      expect(alone.protectRtp(rtp(seq, 0x1234, sizes[i]))).toEqual(sealed[i]);
    });
    // the receiver sees losses, reordering and a jump beyond a batch
    const receiver = new SrtpContext(options);
    const order = [0, 1, 2, 4, 3, 6, 5, 7, 9, 8, 30, 10, 31, 33, 32, 50, 69, 51, 52, 68];
    for (const i of order) {
      expect(receiver.unprotectRtp(sealed[i]!)).toEqual(rtp(seqs[i]!, 0x1234, sizes[i]));
    }
  });

  it('keeps separate state per SSRC', () => {
    const sender = new SrtpContext(options);
    const receiver = new SrtpContext(options);
    const a = sender.protectRtp(rtp(5, 0xaaaa));
    const b = sender.protectRtp(rtp(5, 0xbbbb));
    expect(receiver.unprotectRtp(a)).toEqual(rtp(5, 0xaaaa));
    expect(receiver.unprotectRtp(b)).toEqual(rtp(5, 0xbbbb));
  });

  it('decrypts with the rollover counter signalled out of band', () => {
    const sender = new SrtpContext(options);
    sender.setRolloverCounter(0x1234, 7);
    const receiver = new SrtpContext(options);
    const sealed = sender.protectRtp(rtp(10));
    expect(codeOf(() => receiver.unprotectRtp(sealed))).toBe('SRTP_AUTH_FAILED');
    receiver.setRolloverCounter(0x1234, 7, 'receive', 10);
    expect(receiver.unprotectRtp(sealed)).toEqual(rtp(10));
  });

  it('gives typed errors for malformed input', () => {
    const ctx = new SrtpContext(options);
    expect(codeOf(() => ctx.unprotectRtp(new Uint8Array(5)))).toBe('SRTP_MALFORMED');
    expect(codeOf(() => ctx.protectRtp(new Uint8Array(11)))).toBe('SRTP_MALFORMED');
    expect(codeOf(() => ctx.unprotectRtcp(new Uint8Array(10)))).toBe('SRTP_MALFORMED');
    const noRtp = new Uint8Array(40);
    expect(codeOf(() => ctx.unprotectRtp(noRtp))).toBe('SRTP_MALFORMED');
    let seed = 5;
    for (let i = 0; i < 300; i++) {
      const junk = Uint8Array.from(
        { length: (i % 60) + 1 },
        () => (seed = (seed * 69069 + 1) >>> 0) >>> 24,
      );
      junk[0] = 0x80 | (junk[0]! & 0x3f);
      for (const f of [() => ctx.unprotectRtp(junk), () => ctx.unprotectRtcp(junk)]) {
        expect(codeOf(f)).toMatch(/^SRTP_/);
      }
    }
  });

  it('counts SRTCP indices up from 0 and sets the E flag', () => {
    const sender = new SrtpContext(options);
    const gcm = profile.cipher === 'aes-gcm';
    for (let i = 0; i < 3; i++) {
      const sealed = sender.protectRtcp(rtcp());
      const at = gcm ? sealed.length - 4 : sealed.length - 4 - profile.rtcpTagLength;
      const word = new DataView(sealed.buffer, sealed.byteOffset).getUint32(at);
      expect(word).toBe((0x80000000 | i) >>> 0);
    }
  });

  it('authenticates without encrypting when asked (RFC 4568 UNENCRYPTED_SRTP/SRTCP)', () => {
    const clear = { ...options, encryptRtp: false, encryptRtcp: false };
    const sender = new SrtpContext(clear);
    const receiver = new SrtpContext(clear);
    const plain = rtp(3);
    const sealed = sender.protectRtp(plain);
    expect(sealed.subarray(0, plain.length)).toEqual(plain);
    expect(receiver.unprotectRtp(sealed)).toEqual(plain);
    const report = sender.protectRtcp(rtcp());
    expect(report.subarray(0, 8)).toEqual(rtcp());
    expect(receiver.unprotectRtcp(report)).toEqual(rtcp());
    // an encrypting receiver still accepts E=0 SRTCP
    expect(
      new SrtpContext(options).unprotectRtcp(new SrtpContext(clear).protectRtcp(rtcp())),
    ).toEqual(rtcp());
  });
});
