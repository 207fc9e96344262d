import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AesEcb,
  SrtpContext,
  aesCmKeystream,
  aesF8Keystream,
  deriveSessionKey,
  KdfLabel,
  AesGcm,
  srtpProfile,
} from '@callbridge/srtp';

const VECTORS = new URL('../../../../shared/conformance/srtp/srtp-vectors.json', import.meta.url);
const { vectors } = JSON.parse(readFileSync(VECTORS, 'utf8')) as {
  vectors: Record<string, unknown>[];
};
type Vector = Record<string, unknown>;
const byId = (id: string): Vector => {
  const v = vectors.find((x) => x.id === id);
  if (!v) throw new Error(`vector ${id} missing`);
  return v;
};
/** A string field of a vector, by dotted path (numbers are returned as decimal strings). */
const f = (v: Vector, path: string): string => {
  let at: unknown = v;
  for (const key of path.split('.')) at = (at as Vector)[key];
  if (typeof at === 'number') return String(at);
  if (typeof at !== 'string') throw new Error(`vector field ${path} missing`);
  return at;
};
const hex = (s: string) =>
  Uint8Array.from(
    s
      .replace(/\s+/g, '')
      .match(/../g)
      ?.map((b) => parseInt(b, 16)) ?? [],
  );
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** Every implementation a context can run on: each must meet every vector. */
const BACKENDS = ['auto', 'portable', 'typescript'] as const;

describe('SRTP test vectors (../shared/conformance/srtp)', () => {
  it('covers every vector in the file', () => {
    const tested = [
      'rfc3711-B.1-aes-f8',
      'rfc3711-B.2-aes-cm-keystream',
      'rfc3711-B.3-kdf',
      'rfc6188-7.1-aes256-cm-keystream',
      'rfc6188-7.3-aes192-cm-keystream',
      'rfc6188-7.2-aes256-cm-prf',
      'rfc6188-7.4-aes192-cm-prf',
      ...['16.1.1', '16.1.2', '16.1.3', '16.1.4', '16.2.1', '16.2.2', '16.2.3', '16.2.4'].map(
        (s) => `rfc7714-${s}`,
      ),
      ...['17.1', '17.2', '17.3', '17.4'].map((s) => `rfc7714-${s}`),
      'libsrtp-validate-aes-cm-128-hmac-sha1-80',
      'libsrtp-validate-aes-cm-256-hmac-sha1-80',
      'libsrtp-validate-aead-aes-128-gcm',
    ];
    expect(vectors.map((v) => v.id).sort()).toEqual(tested.sort());
  });

  it('RFC 3711 B.1: AES-f8 keystream and ciphertext', () => {
    const v = byId('rfc3711-B.1-aes-f8');
    const payload = hex(f(v, 'rtp_payload'));
    const keystream = aesF8Keystream(hex(f(v, 'key')), hex(f(v, 'salt_key')), hex(f(v, 'iv')), 48);
    expect(toHex(keystream)).toBe((v.keystream_blocks as string[]).join(''));
    const cipher = payload.map((b, i) => b ^ keystream[i]!);
    expect(toHex(cipher)).toBe(f(v, 'ciphertext'));
  });

  for (const aes of ['native', 'typescript'] as const) {
    it(`RFC 3711 B.2: AES-CM keystream over 65282 blocks (${aes} AES)`, () => {
      const v = byId('rfc3711-B.2-aes-cm-keystream');
      const ecb = new AesEcb(hex(f(v, 'session_key')), aes);
      expect(ecb.implementation).toBe(aes);
      const ks = aesCmKeystream(
        ecb,
        hex(f(v, 'session_salt_shifted')),
        Number(f(v, 'keystream_segment_length_octets')),
      );
      for (const block of v.blocks as { counter: string; keystream: string; index?: number }[]) {
        const j = parseInt(block.counter.slice(-4), 16) - 0x0000;
        expect(toHex(ks.subarray(j * 16, j * 16 + 16)).toUpperCase()).toBe(
          block.keystream.toUpperCase(),
        );
      }
    });

    for (const id of ['rfc6188-7.1-aes256-cm-keystream', 'rfc6188-7.3-aes192-cm-keystream']) {
      it(`${id}: first and last keystream blocks (${aes} AES)`, () => {
        const v = byId(id);
        const blocks = Number(f(v, 'keystream_segment_length_blocks'));
        const ks = aesCmKeystream(
          new AesEcb(hex(f(v, 'session_key')), aes),
          hex(f(v, 'session_salt_shifted')),
          blocks * 16,
        );
        expect(toHex(ks.subarray(0, 48))).toBe(f(v, 'keystream_first_3_blocks'));
        expect(toHex(ks.subarray((blocks - 3) * 16))).toBe(f(v, 'keystream_last_3_blocks'));
      });
    }
  }

  it('RFC 3711 B.3: key derivation', () => {
    const v = byId('rfc3711-B.3-kdf');
    const mk = hex(f(v, 'master_key'));
    const ms = hex(f(v, 'master_salt'));
    expect(toHex(deriveSessionKey(mk, ms, KdfLabel.RTP_ENCRYPTION, 16))).toBe(
      f(v, 'rtp_cipher_key.value').toLowerCase(),
    );
    expect(toHex(deriveSessionKey(mk, ms, KdfLabel.RTP_SALT, 14))).toBe(
      f(v, 'rtp_cipher_salt.value').toLowerCase(),
    );
    const auth = v.rtp_auth_key_94_octets;
    const authHex = typeof auth === 'string' ? auth : f(v, 'rtp_auth_key_94_octets.value');
    expect(toHex(deriveSessionKey(mk, ms, KdfLabel.RTP_AUTH, 94))).toBe(
      authHex.replace(/\s+/g, '').toLowerCase(),
    );
  });

  for (const id of ['rfc6188-7.2-aes256-cm-prf', 'rfc6188-7.4-aes192-cm-prf']) {
    it(`${id}: key derivation`, () => {
      const v = byId(id);
      const mk = hex(f(v, 'master_key'));
      const ms = hex(f(v, 'master_salt'));
      expect(toHex(deriveSessionKey(mk, ms, KdfLabel.RTP_ENCRYPTION, mk.length))).toBe(
        f(v, 'rtp_cipher_key'),
      );
      expect(toHex(deriveSessionKey(mk, ms, KdfLabel.RTP_SALT, 14))).toBe(f(v, 'rtp_cipher_salt'));
      const auth = toHex(deriveSessionKey(mk, ms, KdfLabel.RTP_AUTH, 94));
      expect(auth.slice(0, 40)).toBe(f(v, 'rtp_auth_key_first_20_octets'));
      expect(auth).toBe(f(v, 'rtp_auth_key_94_octets_computed'));
    });
  }

  it('runs on the WebAssembly core with native AES by default under Node', () => {
    const options = {
      profile: 'AES_CM_128_HMAC_SHA1_80' as const,
      masterKey: new Uint8Array(16),
      masterSalt: new Uint8Array(14),
    };
    expect(new SrtpContext(options).backend).toEqual({ packet: 'wasm', aes: 'native' });
    expect(new SrtpContext({ ...options, backend: 'portable' }).backend).toEqual({
      packet: 'wasm',
      aes: 'typescript',
    });
    expect(new SrtpContext({ ...options, backend: 'typescript' }).backend).toEqual({
      packet: 'typescript',
      aes: 'typescript',
    });
  });

  for (const backend of BACKENDS) {
    // RFC 7714 §16: the vectors give session key and salt; SSRC/ROC/SEQ come from the packet.
    const gcmContext = (v: Vector, encrypt: boolean, rtcp: boolean) => {
      const keys = { key: hex(f(v, 'key')), salt: hex(f(v, 'salt')) };
      return SrtpContext.withSessionKeys(
        {
          profile: keys.key.length === 16 ? 'AEAD_AES_128_GCM' : 'AEAD_AES_256_GCM',
          ...(rtcp ? { encryptRtcp: encrypt } : { encryptRtp: encrypt }),
          backend,
        },
        { rtp: keys, rtcp: keys },
      );
    };

    for (const section of ['16.1.1', '16.2.1']) {
      it(`RFC 7714 §${section}: SRTP AEAD encryption (${backend})`, () => {
        const v = byId(`rfc7714-${section}`);
        expect(toHex(gcmContext(v, true, false).protectRtp(hex(f(v, 'input_packet'))))).toBe(
          f(v, 'output_packet'),
        );
      });
    }
    for (const section of ['16.1.2', '16.2.2']) {
      it(`RFC 7714 §${section}: SRTP AEAD decryption (${backend})`, () => {
        const v = byId(`rfc7714-${section}`);
        // The RFC prints the decrypted payload; the header passes through unchanged.
        const plain = gcmContext(v, true, false).unprotectRtp(hex(f(v, 'input_packet')));
        expect(toHex(plain)).toBe(f(v, 'aad') + f(v, 'output_packet'));
      });
    }
    for (const section of ['16.1.3', '16.2.3']) {
      it(`RFC 7714 §${section}: SRTP AEAD authentication only (${backend})`, () => {
        const v = byId(`rfc7714-${section}`);
        expect(toHex(gcmContext(v, false, false).protectRtp(hex(f(v, 'input_packet'))))).toBe(
          f(v, 'output_packet'),
        );
      });
    }
    for (const section of ['16.1.4', '16.2.4']) {
      it(`RFC 7714 §${section}: SRTP AEAD tag verification (${backend})`, () => {
        const v = byId(`rfc7714-${section}`);
        const packet = hex(f(v, 'input_packet'));
        const plain = gcmContext(v, false, false).unprotectRtp(packet);
        expect(toHex(plain)).toBe(toHex(packet.subarray(0, packet.length - 16)));
        // the raw primitive agrees: empty plaintext, whole packet as AAD
        const out = new Uint8Array(0);
        new AesGcm(hex(f(v, 'key')), {
          implementation: backend === 'auto' ? 'native' : 'typescript',
        }).open(
          hex(f(v, 'iv')),
          hex(f(v, 'aad')),
          new Uint8Array(0),
          hex(f(v, 'ciphertext_with_tag')),
          out,
          0,
        );
      });
    }

    for (const [section, encrypt] of [
      ['17.1', true],
      ['17.3', false],
    ] as const) {
      it(`RFC 7714 §${section}: SRTCP AEAD protect (${backend})`, () => {
        const v = byId(`rfc7714-${section}`);
        const ctx = gcmContext(v, encrypt, true);
        const packet = hex(f(v, 'input_packet'));
        ctx.setSrtcpIndex(
          ((packet[4]! << 24) | (packet[5]! << 16) | (packet[6]! << 8) | packet[7]!) >>> 0,
          parseInt(f(v, 'srtcp_index'), 16),
        );
        expect(toHex(ctx.protectRtcp(packet))).toBe(f(v, 'output_packet'));
      });
    }
    for (const [section, encrypt] of [
      ['17.2', true],
      ['17.4', false],
    ] as const) {
      it(`RFC 7714 §${section}: SRTCP AEAD unprotect (${backend})`, () => {
        const v = byId(`rfc7714-${section}`);
        const packet = hex(f(v, 'input_packet'));
        const plain = gcmContext(v, encrypt, true).unprotectRtcp(packet);
        if (v.output_packet) expect(toHex(plain)).toBe(f(v, 'output_packet'));
        else expect(toHex(plain)).toBe(toHex(packet.subarray(0, packet.length - 20)));
      });
    }

    const fullPacket: [string, string][] = [
      ['libsrtp-validate-aes-cm-128-hmac-sha1-80', 'AES_CM_128_HMAC_SHA1_80'],
      ['libsrtp-validate-aes-cm-256-hmac-sha1-80', 'AES_256_CM_HMAC_SHA1_80'],
      ['libsrtp-validate-aead-aes-128-gcm', 'AEAD_AES_128_GCM'],
    ];
    for (const [id, profile] of fullPacket) {
      it(`${id}: full-packet SRTP and SRTCP both ways (${backend})`, () => {
        const v = byId(id);
        const options = {
          profile: srtpProfile(profile),
          masterKey: hex(f(v, 'master_key')),
          masterSalt: hex(f(v, 'master_salt')),
          backend,
        };
        const sender = new SrtpContext(options);
        const receiver = new SrtpContext(options);
        const protectedRtp = sender.protectRtp(hex(f(v, 'rtp_plaintext')));
        expect(toHex(protectedRtp)).toBe(f(v, 'srtp_protected'));
        expect(toHex(receiver.unprotectRtp(protectedRtp))).toBe(f(v, 'rtp_plaintext'));
        const rtcp = (v.rtcp_plaintext ? v : v.computed_extra_NOT_IN_SOURCE) as Vector;
        sender.setSrtcpIndex(parseInt(f(v, 'ssrc'), 16), Number(f(rtcp, 'srtcp_index')));
        const protectedRtcp = sender.protectRtcp(hex(f(rtcp, 'rtcp_plaintext')));
        expect(toHex(protectedRtcp)).toBe(f(rtcp, 'srtcp_protected'));
        expect(toHex(receiver.unprotectRtcp(protectedRtcp))).toBe(f(rtcp, 'rtcp_plaintext'));
      });
    }
  }
});
