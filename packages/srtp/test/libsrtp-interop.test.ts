// Interop with libsrtp (Debian libsrtp2-dev): a small C peer is compiled into a temp dir and fed
// packets as hex. Packets this package protects must be accepted by libsrtp and the other way
// round, for every profile libsrtp supports, across the sequence-number wrap (ROC 0 → 1).
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRtpPacket, serializeRtcp } from '@callbridge/rtp';
import { SRTP_PROFILES, SrtpContext, SrtpError, type SrtpProfile } from '@callbridge/srtp';
import { PEERS, needsPeers, tempDir, type TempDir } from '@callbridge/testkit';

const SOURCE = fileURLToPath(new URL('./native/srtp-peer.c', import.meta.url));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

const peers = needsPeers(PEERS.cc, PEERS.pkgConfig);

function libsrtpFlags(): string[] | undefined {
  const result = spawnSync('pkg-config', ['--cflags', '--libs', 'libsrtp2'], { encoding: 'utf8' });
  if (result.status === 0) return result.stdout.trim().split(/\s+/).filter(Boolean);
  if (process.env['CI']) throw new Error('libsrtp2 not found by pkg-config: install libsrtp2-dev');
  console.warn('skipping libsrtp interop: apt-get install libsrtp2-dev');
  return undefined;
}

const flags = peers.skip ? undefined : libsrtpFlags();

describe.skipIf(flags === undefined)('libsrtp interop', () => {
  let dir: TempDir;
  let peer: string;

  beforeAll(() => {
    dir = tempDir('srtp-peer');
    peer = dir.file('srtp-peer');
    execFileSync('cc', ['-O2', '-o', peer, SOURCE, ...flags!], { stdio: 'pipe' });
  });
  afterAll(() => dir?.remove());

  /** Runs one batch of commands through a fresh libsrtp session pair. */
  function libsrtp(profile: SrtpProfile, key: Uint8Array, salt: Uint8Array, lines: string[]) {
    const run = spawnSync(peer, [profile.name, toHex(key), toHex(salt)], {
      input: lines.join('\n') + '\n',
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    return run.stdout.trim().split('\n');
  }

  // Payload sizes that end mid-block and on a block boundary; one packet carries CSRCs, a
  // header extension and padding, so the header length computation is exercised too.
  const sequences = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3, 4, 5];
  const ssrc = 0x0badcafe;
  const plainRtp = sequences.map((seq, i) =>
    createRtpPacket({
      payloadType: 111,
      sequenceNumber: seq,
      timestamp: (seq * 960) >>> 0,
      ssrc,
      marker: i === 0,
      ...(i === 3
        ? {
            csrcs: [1, 2],
            extensions: [{ id: 1, data: Uint8Array.of(0x30) }],
            paddingLength: 4,
          }
        : {}),
      // i = 5 and 9: long enough for the native HMAC inner hash; 9 also for native GCM
      payload: Uint8Array.from(
        { length: i === 5 ? 1100 : i === 9 ? 1400 : 16 * (i + 1) + (i % 3) },
        (_, j) => (j * 31 + i) & 0xff,
      ),
    }).bytes.slice(),
  );
  const plainRtcp = [0, 1, 2].map((i) =>
    serializeRtcp([
      {
        type: 'sr',
        ssrc,
        ntpSeconds: 0xe5000000 + i,
        ntpFraction: 0,
        rtpTimestamp: i * 960,
        packetCount: i,
        octetCount: i * 100,
        reports: [],
      },
      { type: 'sdes', chunks: [{ ssrc, items: [{ type: 1, value: `interop-${i}` }] }] },
    ]),
  );

  // Every backend (WebAssembly core with native or TypeScript AES, plain TypeScript) interoperates.
  for (const backend of ['auto', 'portable', 'typescript'] as const)
    for (const profile of SRTP_PROFILES) {
      it(`${profile.name}: both directions, across the sequence wrap (${backend})`, () => {
        const key = Uint8Array.from(
          { length: profile.masterKeyLength },
          (_, i) => (i * 13 + 1) & 0xff,
        );
        const salt = Uint8Array.from(
          { length: profile.masterSaltLength },
          (_, i) => (i * 7 + 3) & 0xff,
        );
        const options = { profile, masterKey: key, masterSalt: salt, backend };
        const ourSender = new SrtpContext(options);
        const ourReceiver = new SrtpContext(options);

        const ourRtp = plainRtp.map((p) => ourSender.protectRtp(p));
        const ourRtcp = plainRtcp.map((p) => ourSender.protectRtcp(p));
        const forged = ourSender.protectRtp(
          createRtpPacket({
            payloadType: 111,
            sequenceNumber: 6,
            timestamp: 0,
            ssrc,
            payload: new Uint8Array(40),
          }).bytes,
        );
        forged[20]! ^= 0x01;

        const lines = [
          ...ourRtp.map((p) => `rtp-unprotect ${toHex(p)}`),
          ...ourRtcp.map((p) => `rtcp-unprotect ${toHex(p)}`),
          `rtp-unprotect ${toHex(forged)}`,
          `rtp-unprotect ${toHex(ourRtp[4]!)}`, // replay
          ...plainRtp.map((p) => `rtp-protect ${toHex(p)}`),
          ...plainRtcp.map((p) => `rtcp-protect ${toHex(p)}`),
        ];
        const answers = libsrtp(profile, key, salt, lines);
        expect(answers).toHaveLength(lines.length);
        let at = 0;
        // libsrtp accepts what we protected and recovers the plaintext
        for (const plain of [...plainRtp, ...plainRtcp]) {
          expect(answers[at++]).toBe(`ok ${toHex(plain)}`);
        }
        expect(answers[at++]).toBe('err 7'); // srtp_err_status_auth_fail
        expect(answers[at++]).toBe('err 9'); // srtp_err_status_replay_fail
        // we accept what libsrtp protected: byte-identical to our own protection for RTP
        for (let i = 0; i < plainRtp.length; i++) {
          const answer = answers[at++]!;
          expect(answer).toMatch(/^ok /);
          const sealed = fromHex(answer.slice(3));
          expect(toHex(sealed)).toBe(toHex(ourRtp[i]!));
          expect(ourReceiver.unprotectRtp(sealed)).toEqual(plainRtp[i]);
        }
        for (const plain of plainRtcp) {
          const answer = answers[at++]!;
          expect(answer).toMatch(/^ok /);
          expect(ourReceiver.unprotectRtcp(fromHex(answer.slice(3)))).toEqual(plain);
        }
        expect(ourReceiver.rolloverCounter(ssrc, 'receive')).toBe(1);
        expect(() => ourReceiver.unprotectRtp(forged)).toThrow(SrtpError);
      });
    }
});
