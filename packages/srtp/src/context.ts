import { rtpHeaderLength, RtpError } from '@callbridge/rtp';
import { AesEcb, KdfLabel, deriveSessionKey, type AesImplementation } from './aes.js';
import { SrtpError } from './errors.js';
import { AesGcm } from './gcm.js';
import { HmacSha1 } from './hmac-sha1.js';
import { PacketKeystream, xorKeystream } from './keystream.js';
import { nativeCrypto } from './node-crypto.js';
import {
  srtpProfile,
  type SrtpProfile,
  type SrtpProfileAlias,
  type SrtpProfileName,
} from './profiles.js';
import { ReplayWindow } from './replay.js';
import { WasmCore, type WasmBlock } from './wasm-core.js';

/**
 * Which implementation a context uses. `auto`: the WebAssembly packet core (HMAC-SHA1, GHASH,
 * keystream XOR) where WebAssembly is available, and Node's native AES for the keystream under
 * Node. `portable`: the same without Node's AES (what a browser gets). `typescript`: plain
 * TypeScript only (what a browser without WebAssembly gets). Every choice falls back to
 * TypeScript for what is unavailable.
 */
export type SrtpBackendChoice = 'auto' | 'portable' | 'typescript';

/** What a context actually runs on (see `SrtpContext.backend`). */
export interface SrtpBackend {
  /** Authentication and packet transform of SRTP (RTP) packets. */
  readonly packet: 'wasm' | 'typescript';
  /** The AES keystream. */
  readonly aes: AesImplementation;
}

export interface SrtpContextOptions {
  /**
   * A profile name (`AES_CM_128_HMAC_SHA1_80`, …), its RFC 5764 alias, or a profile object (use
   * `srtpProfile(name)` or `srtpProfileByDtlsId(id)` to turn a string or DTLS id into one).
   */
  readonly profile: SrtpProfileName | SrtpProfileAlias | SrtpProfile;
  readonly masterKey: Uint8Array;
  readonly masterSalt: Uint8Array;
  /** Replay window in packets (RFC 3711 §3.3.2; at least 64). Default 128, as libsrtp. */
  readonly replayWindow?: number;
  /** RFC 4568 UNENCRYPTED_SRTP: authenticate only. Default true. */
  readonly encryptRtp?: boolean;
  /** RFC 4568 UNENCRYPTED_SRTCP: authenticate only, E flag clear. Default true. */
  readonly encryptRtcp?: boolean;
  /** Implementation to use (default `auto`, the fastest available). */
  readonly backend?: SrtpBackendChoice;
}

/** Session keys of SRTP or SRTCP, for embedders that derive them elsewhere (and for RFC vectors). */
export interface SrtpSessionKeys {
  readonly key: Uint8Array;
  readonly salt: Uint8Array;
  /** HMAC-SHA1 key (AES-CM profiles only). */
  readonly authKey?: Uint8Array;
}

/** Per-SSRC SRTP state (RFC 3711 §3.2.1): rollover counter, highest sequence, replay window. */
interface RtpStreamState {
  roc: number;
  highestSequence: number;
  readonly replay: ReplayWindow | undefined;
  /** Keystream generated ahead for the next packet indices of this SSRC. */
  keystream: KeystreamBatch | undefined;
  /** Where that keystream is copied in WebAssembly memory (WebAssembly backend only). */
  readonly wasmKeystream: WasmBlock;
}

/** Keystream for packets `first .. first+count-1`, `blocks` blocks each. */
interface KeystreamBatch {
  readonly first: number;
  readonly count: number;
  readonly blocks: number;
  readonly data: Uint8Array;
  readonly view: DataView<ArrayBufferLike>;
  /** Address of `data` in WebAssembly memory, 0 without the WebAssembly backend. */
  readonly ptr: number;
  /** The most blocks a packet of this batch needed, to size the next batch. */
  mostUsed: number;
}

/**
 * Packets per keystream batch: one native AES call serves this many packets of a stream in order.
 * More packets amortize the call further but waste work when packets are lost or sizes jump.
 */
const KEYSTREAM_BATCH = 16;

const EMPTY_KEYSTREAM = new Uint8Array(0);
const EMPTY_KEYSTREAM_VIEW = new DataView(EMPTY_KEYSTREAM.buffer);

/** Per-SSRC SRTCP state: next index to send, or the replay window of received indices. */
interface RtcpStreamState {
  nextIndex: number;
  readonly replay: ReplayWindow | undefined;
}

const SRTCP_INDEX_MODULUS = 0x80000000;
/**
 * Above this many authenticated octets the inner SHA-1 runs natively (one `crypto.hash` call);
 * below it the plain-JS HMAC is faster than the cost of a native call.
 */
const NATIVE_HASH_THRESHOLD = 384;
/**
 * The same for the WebAssembly core, whose SHA-1 is about twice as fast as TypeScript's: a
 * native one-shot SHA-1 (SHA extensions through OpenSSL) wins from about 400 octets on.
 */
const WASM_NATIVE_HASH_THRESHOLD = 448;
const MAX_STREAMS = 1024;

/** Keyed primitives for one of SRTP or SRTCP. */
class SessionCrypto {
  readonly salt: Uint8Array;
  readonly ecb: AesEcb | undefined;
  readonly gcm: AesGcm | undefined;
  readonly hmac: HmacSha1 | undefined;
  readonly keystream: PacketKeystream;
  /** The WebAssembly core with this session's keys in it (SRTP sessions only), or undefined. */
  readonly core: WasmCore | undefined;
  /** Address of the HMAC key state (AES-CM) or GHASH tables (GCM) in the core. */
  readonly coreKey: number;
  /** Address of the session salt in the core. */
  readonly coreSalt: number;
  readonly #nativeHash = nativeCrypto()?.hash;
  /** Native one-shot SHA-1, where there is one (Node). */
  readonly sha1: ((data: Uint8Array) => Uint8Array) | undefined;

  constructor(
    profile: SrtpProfile,
    keys: SrtpSessionKeys,
    rtcp: boolean,
    backend: SrtpBackendChoice = 'auto',
  ) {
    if (keys.key.length !== profile.masterKeyLength) {
      throw new SrtpError(
        'SRTP_BAD_KEY',
        `${profile.name} session key must have ${profile.masterKeyLength} octets`,
      );
    }
    if (keys.salt.length !== profile.sessionSaltLength) {
      throw new SrtpError(
        'SRTP_BAD_KEY',
        `${profile.name} session salt must have ${profile.sessionSaltLength} octets`,
      );
    }
    this.salt = keys.salt.slice();
    const aes: AesImplementation | undefined = backend === 'auto' ? undefined : 'typescript';
    // SRTCP is a few packets per second: it stays on the TypeScript path, whose state is small.
    let core = backend === 'typescript' || rtcp ? undefined : WasmCore.get();
    const nativeHash = backend === 'auto' ? this.#nativeHash : undefined;
    this.sha1 = nativeHash && ((data) => nativeHash('sha1', data, 'buffer'));
    const implementation = aes ? { implementation: aes } : {};
    let coreKey = 0;
    let coreSalt = 0;
    if (profile.cipher === 'aes-gcm') {
      // SRTCP needs no 64 KiB GHASH tables for its key (where a native GCM cipher exists), nor
      // SRTP when the core holds them.
      let gcm = new AesGcm(keys.key, { ghashTables: !rtcp && !core, ...implementation });
      try {
        coreKey = core?.ghashKey(this, gcm.ecb.encryptBlocks(new Uint8Array(16))) ?? 0;
        coreSalt = core?.store(this, this.salt) ?? 0;
      } catch {
        // WebAssembly memory exhausted (it grows until contexts are garbage-collected).
        core = undefined;
        gcm = new AesGcm(keys.key, { ghashTables: !rtcp, ...implementation });
      }
      this.gcm = gcm;
      this.ecb = undefined;
      this.hmac = undefined;
      this.keystream = new PacketKeystream(gcm.ecb, this.salt, 'gcm');
    } else {
      if (!keys.authKey) {
        throw new SrtpError('SRTP_BAD_KEY', `${profile.name} needs an authentication key`);
      }
      this.ecb = new AesEcb(keys.key, aes);
      this.hmac = new HmacSha1(keys.authKey);
      this.gcm = undefined;
      this.keystream = new PacketKeystream(this.ecb, this.salt, 'cm');
      try {
        coreKey = core?.hmacKey(this, keys.authKey) ?? 0;
        coreSalt = core?.store(this, this.salt) ?? 0;
      } catch {
        core = undefined;
      }
    }
    this.core = core;
    this.coreKey = coreKey;
    this.coreSalt = coreSalt;
  }

  /** The AES cipher that encrypts counter blocks. */
  get aesForCore(): AesEcb {
    return this.ecb ?? this.gcm!.ecb;
  }

  get backend(): SrtpBackend {
    return {
      packet: this.core ? 'wasm' : 'typescript',
      aes: this.aesForCore.implementation,
    };
  }

  /**
   * RFC 3711 §4.2: HMAC-SHA1 over `data[start..end)` followed by the 32-bit `roc` (SRTP) or by
   * nothing (SRTCP, `roc` < 0), truncated to `length` octets and written to `out[at..]`.
   */
  tag(
    data: Uint8Array,
    start: number,
    end: number,
    roc: number,
    out: Uint8Array,
    at: number,
    length: number,
  ): void {
    const hmac = this.hmac!;
    if (end - start < NATIVE_HASH_THRESHOLD || !this.#nativeHash) {
      hmac.start();
      hmac.update(data, start, end);
      if (roc >= 0) hmac.updateU32(roc);
      hmac.finish(out, at, length);
    } else {
      hmac.finishOuter(this.#nativeInnerHash(data, start, end, roc), out, at, length);
    }
  }

  /** Verifies a tag computed as by `tag()` against `tag[at..at+length)`, in constant time. */
  check(
    data: Uint8Array,
    start: number,
    end: number,
    roc: number,
    tag: Uint8Array,
    at: number,
    length: number,
  ): boolean {
    const hmac = this.hmac!;
    if (end - start < NATIVE_HASH_THRESHOLD || !this.#nativeHash) {
      hmac.start();
      hmac.update(data, start, end);
      if (roc >= 0) hmac.updateU32(roc);
      return hmac.verify(tag, at, length);
    }
    return hmac.verifyOuter(this.#nativeInnerHash(data, start, end, roc), tag, at, length);
  }

  /** SHA1((key XOR ipad) || message [|| ROC]) in one native call. */
  #nativeInnerHash(data: Uint8Array, start: number, end: number, roc: number): Uint8Array {
    const length = 64 + end - start + (roc >= 0 ? 4 : 0);
    if (this.#hashInput.length < length) {
      const grown = new Uint8Array(Math.max(length, this.#hashInput.length * 2));
      grown.set(this.hmac!.innerPadBlock);
      this.#hashInput = grown;
    }
    const input = this.#hashInput;
    input.set(data.subarray(start, end), 64);
    if (roc >= 0) {
      const at = 64 + end - start;
      input[at] = roc >>> 24;
      input[at + 1] = roc >>> 16;
      input[at + 2] = roc >>> 8;
      input[at + 3] = roc;
    }
    return this.#nativeHash!('sha1', input.subarray(0, length), 'buffer');
  }
  #hashInput = new Uint8Array(0);

  /** RFC 3711 §4.3 (RFC 7714 §11 for AEAD): session keys from the master key and salt. */
  static derive(
    profile: SrtpProfile,
    masterKey: Uint8Array,
    masterSalt: Uint8Array,
    rtcp: boolean,
    backend: SrtpBackendChoice,
  ) {
    const derive = (label: number, length: number) =>
      deriveSessionKey(masterKey, masterSalt, label, length);
    return new SessionCrypto(
      profile,
      {
        key: derive(
          rtcp ? KdfLabel.RTCP_ENCRYPTION : KdfLabel.RTP_ENCRYPTION,
          profile.masterKeyLength,
        ),
        salt: derive(rtcp ? KdfLabel.RTCP_SALT : KdfLabel.RTP_SALT, profile.sessionSaltLength),
        ...(profile.authKeyLength > 0
          ? {
              authKey: derive(rtcp ? KdfLabel.RTCP_AUTH : KdfLabel.RTP_AUTH, profile.authKeyLength),
            }
          : {}),
      },
      rtcp,
      backend,
    );
  }
}

/**
 * An SRTP/SRTCP crypto context for one direction (RFC 3711 §3.2), keyed by a master key and salt
 * (from DTLS-SRTP, RFC 5764, or SDES, RFC 4568). It keeps per-SSRC state (rollover counter,
 * replay window, SRTCP index), so one context serves every SSRC of a bundled transport.
 *
 * Failed authentication and replays throw `SrtpError` (`SRTP_AUTH_FAILED`, `SRTP_REPLAYED`,
 * `SRTP_TOO_OLD`) and leave the context exactly as it was.
 */
export class SrtpContext {
  readonly profile: SrtpProfile;
  readonly #rtp: SessionCrypto;
  readonly #rtcp: SessionCrypto;
  readonly #encryptRtp: boolean;
  readonly #encryptRtcp: boolean;
  readonly #replayWindow: number;
  readonly #sendRtp = new Map<number, RtpStreamState>();
  #ks: Uint8Array = new Uint8Array(0);
  #ksView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  /** Address of `#ks` in WebAssembly memory (WebAssembly backend). */
  #ksPtr = 0;
  readonly #receiveRtp = new Map<number, RtpStreamState>();
  readonly #sendRtcp = new Map<number, RtcpStreamState>();
  readonly #receiveRtcp = new Map<number, RtcpStreamState>();
  #dataView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  constructor(options: SrtpContextOptions);
  /** @internal used by `withSessionKeys` */
  constructor(
    options: Omit<SrtpContextOptions, 'masterKey' | 'masterSalt'>,
    sessionKeys: { rtp: SrtpSessionKeys; rtcp: SrtpSessionKeys },
  );
  constructor(
    options: SrtpContextOptions | Omit<SrtpContextOptions, 'masterKey' | 'masterSalt'>,
    sessionKeys?: { rtp: SrtpSessionKeys; rtcp: SrtpSessionKeys },
  ) {
    this.profile =
      typeof options.profile === 'string' ? srtpProfile(options.profile) : options.profile;
    this.#replayWindow = new ReplayWindow(options.replayWindow ?? 128).size;
    this.#encryptRtp = options.encryptRtp ?? true;
    this.#encryptRtcp = options.encryptRtcp ?? true;
    const backend = options.backend ?? 'auto';
    if (sessionKeys) {
      this.#rtp = new SessionCrypto(this.profile, sessionKeys.rtp, false, backend);
      this.#rtcp = new SessionCrypto(this.profile, sessionKeys.rtcp, true, backend);
      return;
    }
    const { masterKey, masterSalt } = options as SrtpContextOptions;
    if (!(masterKey instanceof Uint8Array) || masterKey.length !== this.profile.masterKeyLength) {
      throw new SrtpError(
        'SRTP_BAD_KEY',
        `${this.profile.name} needs a ${this.profile.masterKeyLength}-octet master key`,
      );
    }
    if (
      !(masterSalt instanceof Uint8Array) ||
      masterSalt.length !== this.profile.masterSaltLength
    ) {
      throw new SrtpError(
        'SRTP_BAD_KEY',
        `${this.profile.name} needs a ${this.profile.masterSaltLength}-octet master salt`,
      );
    }
    this.#rtp = SessionCrypto.derive(this.profile, masterKey, masterSalt, false, backend);
    this.#rtcp = SessionCrypto.derive(this.profile, masterKey, masterSalt, true, backend);
  }

  /** What this context's SRTP packets run on (SRTCP always takes the TypeScript path). */
  get backend(): SrtpBackend {
    return this.#rtp.backend;
  }

  /**
   * A context from already derived session keys (RFC 3711 §4.3 output) instead of a master key,
   * for embedders with their own key management and for the RFC 7714 test vectors.
   */
  static withSessionKeys(
    options: Omit<SrtpContextOptions, 'masterKey' | 'masterSalt'>,
    keys: { rtp: SrtpSessionKeys; rtcp: SrtpSessionKeys },
  ): SrtpContext {
    return new SrtpContext(options, keys);
  }

  /** Octets `protectRtp` adds to an RTP packet. */
  get rtpOverhead(): number {
    return this.profile.rtpTagLength;
  }
  /** Octets `protectRtcp` adds to an RTCP packet (E flag + index, and the tag). */
  get rtcpOverhead(): number {
    return this.profile.rtcpTagLength + 4;
  }

  // ---------------------------------------------------------------------------------------------
  // SRTP (RFC 3711 §3.3, RFC 7714 §9)

  /** Protects an RTP packet; returns a new array (the packet plus the tag). */
  protectRtp(packet: Uint8Array): Uint8Array {
    const out = new Uint8Array(packet.length + this.profile.rtpTagLength);
    this.protectRtpInto(packet, out, 0);
    return out;
  }

  /**
   * Protects an RTP packet into `out` at `offset` (which may be the packet's own buffer and
   * position, given room for the tag). Returns the octets written.
   */
  protectRtpInto(input: Uint8Array, out: Uint8Array, offset = 0): number {
    // The WebAssembly path reads the whole input before it writes: overlap is harmless there.
    const packet = this.#rtp.core ? input : separate(input, out, offset);
    const headerLength = this.#rtpHeaderLength(packet, 0);
    const length = packet.length;
    const total = length + this.profile.rtpTagLength;
    checkRoom(out, offset, total);
    const seq = (packet[2]! << 8) | packet[3]!;
    const ssrc = readU32(packet, 8);
    const stream =
      this.#sendRtp.get(ssrc) ?? this.#addRtpStream(this.#sendRtp, ssrc, 0, seq, undefined);
    // RFC 3711 §3.3.1: the sender's ROC advances when the sequence number wraps.
    const roc = estimateRoc(stream, seq);
    const crypto = this.#rtp;
    const core = crypto.core;
    if (core) {
      // One copy in, one call, one copy out (see WasmCore).
      const at = core.loadPacket(packet, 16);
      if (crypto.gcm) {
        const aadEnd = this.#encryptRtp ? headerLength : length;
        const blocks = 1 + ((length - aadEnd + 15) >>> 4);
        const k = this.#rtpKeystream(stream, ssrc, roc, seq, blocks, true);
        core.fn.gcm_seal(crypto.coreKey, at, aadEnd, length, this.#ksPtr + k);
      } else {
        let keystream = 0;
        if (this.#encryptRtp && length > headerLength) {
          const blocks = (length - headerLength + 15) >>> 4;
          const k = this.#rtpKeystream(stream, ssrc, roc, seq, blocks, true);
          keystream = this.#ksPtr + k;
        }
        const tagLength = this.profile.rtpTagLength;
        if (length >= WASM_NATIVE_HASH_THRESHOLD && crypto.sha1) {
          if (keystream) core.fn.xor_keystream(at + headerLength, keystream, length - headerLength);
          core.nativeHmac(crypto.sha1, crypto.coreKey, length, roc, tagLength, false);
        } else {
          core.fn.cm_protect(
            crypto.coreKey,
            at,
            headerLength,
            length,
            keystream,
            roc,
            1,
            tagLength,
          );
        }
      }
      out.set(core.packetView(total), offset);
    } else if (crypto.gcm) {
      // RFC 7714 §8: AAD is the header (or the whole packet when not encrypting).
      const aadEnd = this.#encryptRtp ? headerLength : length;
      if (out !== packet || offset !== 0) out.set(packet.subarray(0, aadEnd), offset);
      const body = packet.subarray(aadEnd);
      if (!crypto.gcm.usesKeystream(body.length)) {
        this.#gcmIv(crypto.salt, ssrc, roc, seq);
        crypto.gcm.seal(this.#gcmNonce, packet.subarray(0, aadEnd), body, out, offset + aadEnd);
      } else {
        const k = this.#rtpKeystream(stream, ssrc, roc, seq, 1 + ((body.length + 15) >>> 4), true);
        crypto.gcm.sealWithKeystream(
          this.#ks,
          this.#ksView,
          k,
          out.subarray(offset, offset + aadEnd),
          body,
          out,
          offset + aadEnd,
        );
      }
    } else {
      if (out !== packet || offset !== 0) out.set(packet, offset);
      if (this.#encryptRtp && length > headerLength) {
        const k = this.#rtpKeystream(
          stream,
          ssrc,
          roc,
          seq,
          (length - headerLength + 15) >>> 4,
          true,
        );
        xorKeystream(
          out,
          this.#viewOf(out),
          offset + headerLength,
          offset + length,
          this.#ks,
          this.#ksView,
          k,
        );
      }
      // RFC 3711 §4.2: tag = HMAC(authenticated portion || ROC), truncated.
      crypto.tag(
        out,
        offset,
        offset + length,
        roc,
        out,
        offset + length,
        this.profile.rtpTagLength,
      );
    }
    if (roc * 0x10000 + seq > stream.roc * 0x10000 + stream.highestSequence) {
      stream.roc = roc;
      stream.highestSequence = seq;
    }
    return total;
  }

  /** Verifies and decrypts an SRTP packet; returns a new array with the RTP packet. */
  unprotectRtp(packet: Uint8Array): Uint8Array {
    const out = new Uint8Array(Math.max(0, packet.length - this.profile.rtpTagLength));
    this.unprotectRtpInto(packet, out, 0);
    return out;
  }

  /**
   * Verifies and decrypts an SRTP packet into `out` at `offset` (may be the packet's own buffer
   * and position). Returns the RTP packet length. Throws `SrtpError` (auth failure, replay,
   * malformed) without touching the context state.
   */
  unprotectRtpInto(input: Uint8Array, out: Uint8Array, offset = 0): number {
    const packet = this.#rtp.core ? input : separate(input, out, offset);
    const tagLength = this.profile.rtpTagLength;
    const length = packet.length - tagLength;
    if (length < 12) {
      throw new SrtpError('SRTP_MALFORMED', `SRTP packet of ${packet.length} octets is too short`);
    }
    const headerLength = this.#rtpHeaderLength(packet, tagLength);
    checkRoom(out, offset, length);
    const seq = (packet[2]! << 8) | packet[3]!;
    const ssrc = readU32(packet, 8);
    const stream = this.#receiveRtp.get(ssrc);
    // RFC 3711 §3.3.1: a new stream starts from its first sequence number with ROC 0.
    const roc = stream ? estimateRoc(stream, seq) : 0;
    const index = roc * 0x10000 + seq;
    stream?.replay!.check(index);
    // Keystream for several packets ahead only for the next packets in order, so forged
    // packets cannot make us generate more than one batch per genuine packet.
    const ahead = stream ? index - (stream.roc * 0x10000 + stream.highestSequence) : 0;
    const batch = ahead > 0 && ahead <= KEYSTREAM_BATCH;

    const crypto = this.#rtp;
    const core = crypto.core;
    if (core) {
      const at = core.loadPacket(packet, 0);
      if (crypto.gcm) {
        const aadEnd = this.#encryptRtp ? headerLength : length;
        const blocks = 1 + ((length - aadEnd + 15) >>> 4);
        const k = this.#rtpKeystream(stream, ssrc, roc, seq, blocks, batch);
        if (!core.fn.gcm_open(crypto.coreKey, at, aadEnd, length, this.#ksPtr + k)) {
          throw new SrtpError('SRTP_AUTH_FAILED', 'AEAD authentication failed');
        }
      } else {
        const authentic =
          length >= WASM_NATIVE_HASH_THRESHOLD && crypto.sha1
            ? core.nativeHmac(crypto.sha1, crypto.coreKey, length, roc, tagLength, true)
            : core.fn.cm_verify(crypto.coreKey, at, length, roc, 1, tagLength) === 1;
        if (!authentic) {
          throw new SrtpError('SRTP_AUTH_FAILED', `SRTP authentication failed (SSRC ${ssrc})`);
        }
        if (this.#encryptRtp && length > headerLength) {
          const blocks = (length - headerLength + 15) >>> 4;
          const k = this.#rtpKeystream(stream, ssrc, roc, seq, blocks, batch);
          core.fn.xor_keystream(at + headerLength, this.#ksPtr + k, length - headerLength);
        }
      }
      out.set(core.packetView(length), offset);
    } else if (crypto.gcm) {
      const aadEnd = this.#encryptRtp ? headerLength : length;
      const body = packet.subarray(aadEnd, length);
      if (!crypto.gcm.usesKeystream(body.length)) {
        this.#gcmIv(crypto.salt, ssrc, roc, seq);
        crypto.gcm.open(
          this.#gcmNonce,
          packet.subarray(0, aadEnd),
          body,
          packet.subarray(length),
          out,
          offset + aadEnd,
        );
      } else {
        const k = this.#rtpKeystream(stream, ssrc, roc, seq, 1 + ((body.length + 15) >>> 4), batch);
        crypto.gcm.openWithKeystream(
          this.#ks,
          this.#ksView,
          k,
          packet.subarray(0, aadEnd),
          body,
          packet.subarray(length),
          out,
          offset + aadEnd,
        );
      }
      if (out !== packet || offset !== 0) out.set(packet.subarray(0, aadEnd), offset);
    } else {
      if (!crypto.check(packet, 0, length, roc, packet, length, tagLength)) {
        throw new SrtpError('SRTP_AUTH_FAILED', `SRTP authentication failed (SSRC ${ssrc})`);
      }
      if (out !== packet || offset !== 0) out.set(packet.subarray(0, length), offset);
      if (this.#encryptRtp && length > headerLength) {
        const k = this.#rtpKeystream(
          stream,
          ssrc,
          roc,
          seq,
          (length - headerLength + 15) >>> 4,
          batch,
        );
        xorKeystream(
          out,
          this.#viewOf(out),
          offset + headerLength,
          offset + length,
          this.#ks,
          this.#ksView,
          k,
        );
      }
    }
    // Authenticated: only now may the state move (RFC 3711 §3.3 step 6).
    const state =
      stream ??
      this.#addRtpStream(this.#receiveRtp, ssrc, roc, seq, new ReplayWindow(this.#replayWindow));
    state.replay!.accept(index);
    if (index > state.roc * 0x10000 + state.highestSequence) {
      state.roc = roc;
      state.highestSequence = seq;
    }
    return length;
  }

  // ---------------------------------------------------------------------------------------------
  // SRTCP (RFC 3711 §3.4, RFC 7714 §9.2 and §17)

  /** Protects an RTCP compound packet; returns a new array. */
  protectRtcp(packet: Uint8Array): Uint8Array {
    const out = new Uint8Array(packet.length + this.rtcpOverhead);
    this.protectRtcpInto(packet, out, 0);
    return out;
  }

  /** Protects an RTCP packet into `out` at `offset`; returns the octets written. */
  protectRtcpInto(input: Uint8Array, out: Uint8Array, offset = 0): number {
    const packet = separate(input, out, offset);
    const length = packet.length;
    checkRtcp(packet, 0);
    const total = length + this.rtcpOverhead;
    checkRoom(out, offset, total);
    const ssrc = readU32(packet, 4);
    const stream =
      this.#sendRtcp.get(ssrc) ??
      this.#addStream(this.#sendRtcp, ssrc, { nextIndex: 0, replay: undefined });
    const index = stream.nextIndex;
    if (index >= SRTCP_INDEX_MODULUS) {
      throw new SrtpError('SRTP_INDEX_EXHAUSTED', `SRTCP index exhausted for SSRC ${ssrc}`);
    }
    const encrypt = this.#encryptRtcp;
    const eIndex = ((encrypt ? 0x80000000 : 0) | index) >>> 0;
    const crypto = this.#rtcp;
    if (crypto.gcm) {
      // RFC 7714 §17: AAD = first 8 octets (whole packet if unencrypted) || E||index;
      // the E||index trailer follows the tag.
      const aadEnd = encrypt ? 8 : length;
      const aad = this.#rtcpAad(packet, aadEnd, eIndex);
      this.#gcmIv(crypto.salt, ssrc, 0, 0, index);
      if (out !== packet || offset !== 0) out.set(packet.subarray(0, aadEnd), offset);
      crypto.gcm.seal(this.#gcmNonce, aad, packet.subarray(aadEnd), out, offset + aadEnd);
      writeU32(out, offset + length + 16, eIndex);
    } else {
      if (out !== packet || offset !== 0) out.set(packet, offset);
      if (encrypt && length > 8) {
        crypto.keystream.generate(ssrc, index, 1, (length - 8 + 15) >>> 4);
        const ks = crypto.keystream;
        xorKeystream(out, this.#viewOf(out), offset + 8, offset + length, ks.data, ks.view, 0);
      }
      writeU32(out, offset + length, eIndex);
      crypto.tag(
        out,
        offset,
        offset + length + 4,
        -1,
        out,
        offset + length + 4,
        this.profile.rtcpTagLength,
      );
    }
    stream.nextIndex = index + 1;
    return total;
  }

  /** Verifies and decrypts an SRTCP packet; returns a new array with the RTCP packet. */
  unprotectRtcp(packet: Uint8Array): Uint8Array {
    const out = new Uint8Array(Math.max(0, packet.length - this.rtcpOverhead));
    this.unprotectRtcpInto(packet, out, 0);
    return out;
  }

  /**
   * Verifies and decrypts an SRTCP packet into `out` at `offset`; returns the RTCP length.
   * Packets with the E flag clear are authenticated only, whatever `encryptRtcp` says.
   */
  unprotectRtcpInto(input: Uint8Array, out: Uint8Array, offset = 0): number {
    const packet = separate(input, out, offset);
    const tagLength = this.profile.rtcpTagLength;
    const length = packet.length - tagLength - 4;
    checkRtcp(packet, tagLength + 4);
    checkRoom(out, offset, length);
    const ssrc = readU32(packet, 4);
    const crypto = this.#rtcp;
    // RFC 3711 §3.4: E||index follows the encrypted portion; RFC 7714 §17: it follows the tag.
    const eIndex = readU32(packet, crypto.gcm ? packet.length - 4 : length);
    const encrypted = eIndex >= 0x80000000;
    const index = eIndex & 0x7fffffff;
    const stream = this.#receiveRtcp.get(ssrc);
    stream?.replay!.check(index);

    if (crypto.gcm) {
      const aadEnd = encrypted ? 8 : length;
      const aad = this.#rtcpAad(packet, aadEnd, eIndex);
      this.#gcmIv(crypto.salt, ssrc, 0, 0, index);
      crypto.gcm.open(
        this.#gcmNonce,
        aad,
        packet.subarray(aadEnd, length),
        packet.subarray(length, length + 16),
        out,
        offset + aadEnd,
      );
      if (out !== packet || offset !== 0) out.set(packet.subarray(0, aadEnd), offset);
    } else {
      if (!crypto.check(packet, 0, length + 4, -1, packet, length + 4, tagLength)) {
        throw new SrtpError('SRTP_AUTH_FAILED', `SRTCP authentication failed (SSRC ${ssrc})`);
      }
      if (out !== packet || offset !== 0) out.set(packet.subarray(0, length), offset);
      if (encrypted && length > 8) {
        crypto.keystream.generate(ssrc, index, 1, (length - 8 + 15) >>> 4);
        const ks = crypto.keystream;
        xorKeystream(out, this.#viewOf(out), offset + 8, offset + length, ks.data, ks.view, 0);
      }
    }
    const state =
      stream ??
      this.#addStream(this.#receiveRtcp, ssrc, {
        nextIndex: 0,
        replay: new ReplayWindow(this.#replayWindow),
      });
    state.replay!.accept(index);
    return length;
  }

  // ---------------------------------------------------------------------------------------------
  // Stream state

  /** The rollover counter of an outgoing (`send`) or incoming SSRC, if the stream is known. */
  rolloverCounter(ssrc: number, direction: 'send' | 'receive' = 'send'): number | undefined {
    return (direction === 'send' ? this.#sendRtp : this.#receiveRtp).get(ssrc)?.roc;
  }

  /**
   * Sets the rollover counter of an SSRC before its first packet (RFC 3711 §3.3.1: signalled out
   * of band, e.g. when joining a stream in progress). `highestSequence` seeds the ROC estimate.
   */
  setRolloverCounter(
    ssrc: number,
    roc: number,
    direction: 'send' | 'receive' = 'send',
    highestSequence = 0,
  ): void {
    if (!Number.isInteger(roc) || roc < 0 || roc > 0xffffffff) {
      throw new SrtpError('SRTP_INVALID_ARGUMENT', `rollover counter ${roc} not in 0..2^32-1`);
    }
    const map = direction === 'send' ? this.#sendRtp : this.#receiveRtp;
    const replay = direction === 'send' ? undefined : new ReplayWindow(this.#replayWindow);
    map.delete(ssrc);
    this.#addRtpStream(map, ssrc, roc, highestSequence, replay);
  }

  /** Sets the next SRTCP index sent for an SSRC (RFC 3711 §3.4; starts at 0). */
  setSrtcpIndex(ssrc: number, nextIndex: number): void {
    if (!Number.isInteger(nextIndex) || nextIndex < 0 || nextIndex >= SRTCP_INDEX_MODULUS) {
      throw new SrtpError('SRTP_INVALID_ARGUMENT', `SRTCP index ${nextIndex} not in 0..2^31-1`);
    }
    this.#sendRtcp.delete(ssrc);
    this.#addStream(this.#sendRtcp, ssrc, { nextIndex, replay: undefined });
  }

  /** Forgets every state kept for an SSRC (after RTCP BYE, or when a stream is torn down). */
  removeStream(ssrc: number): void {
    this.#sendRtp.delete(ssrc);
    this.#receiveRtp.delete(ssrc);
    this.#sendRtcp.delete(ssrc);
    this.#receiveRtcp.delete(ssrc);
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  #addRtpStream(
    map: Map<number, RtpStreamState>,
    ssrc: number,
    roc: number,
    highestSequence: number,
    replay: ReplayWindow | undefined,
  ): RtpStreamState {
    const state: RtpStreamState = {
      roc,
      highestSequence,
      replay,
      keystream: undefined,
      wasmKeystream: { ptr: 0, size: 0 },
    };
    this.#rtp.core?.own(state, state.wasmKeystream);
    return this.#addStream(map, ssrc, state);
  }

  #addStream<T>(map: Map<number, T>, ssrc: number, state: T): T {
    if (map.size >= MAX_STREAMS) {
      // Bound memory against SSRC floods: forget the oldest stream.
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
    map.set(ssrc, state);
    return state;
  }

  #rtpHeaderLength(packet: Uint8Array, tagLength: number): number {
    try {
      return rtpHeaderLength(packet, packet.length - tagLength);
    } catch (error) {
      if (error instanceof RtpError) {
        throw new SrtpError('SRTP_MALFORMED', `not an RTP packet: ${error.message}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt for SRTP, and §9.1:
   * (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt for SRTCP (pass roc = seq = 0).
   */
  #gcmIv(salt: Uint8Array, ssrc: number, roc: number, seq: number, rtcpIndex = 0): void {
    const iv = this.#gcmNonce;
    iv.set(salt);
    iv[2]! ^= ssrc >>> 24;
    iv[3]! ^= ssrc >>> 16;
    iv[4]! ^= ssrc >>> 8;
    iv[5]! ^= ssrc;
    iv[6]! ^= roc >>> 24;
    iv[7]! ^= roc >>> 16;
    iv[8]! ^= (roc >>> 8) | (rtcpIndex >>> 24);
    iv[9]! ^= roc | (rtcpIndex >>> 16);
    iv[10]! ^= (seq >>> 8) | (rtcpIndex >>> 8);
    iv[11]! ^= seq | rtcpIndex;
  }
  readonly #gcmNonce = new Uint8Array(12);

  /** RFC 7714 §17: the SRTCP AAD, the first `end` octets followed by E||index. */
  #rtcpAad(packet: Uint8Array, end: number, eIndex: number): Uint8Array {
    if (this.#aad.length < end + 4) this.#aad = new Uint8Array(end + 4);
    const aad = this.#aad.subarray(0, end + 4);
    aad.set(packet.subarray(0, end));
    writeU32(aad, end, eIndex);
    return aad;
  }
  #aad = new Uint8Array(64);

  /**
   * Keystream for one SRTP packet: from the stream's batch when it covers the packet, else
   * generated (for the next KEYSTREAM_BATCH packets when `batch`, else for this one). Leaves
   * the keystream in `#ks` / `#ksView` and returns the packet's offset in it.
   */
  #rtpKeystream(
    stream: RtpStreamState | undefined,
    ssrc: number,
    roc: number,
    seq: number,
    blocks: number,
    batch: boolean,
  ): number {
    const index = roc * 0x10000 + seq;
    const cached = stream?.keystream;
    if (
      cached &&
      index >= cached.first &&
      index < cached.first + cached.count &&
      blocks <= cached.blocks
    ) {
      if (blocks > cached.mostUsed) cached.mostUsed = blocks;
      this.#ks = cached.data;
      this.#ksView = cached.view;
      this.#ksPtr = cached.ptr;
      return (index - cached.first) * cached.blocks * 16;
    }
    const crypto = this.#rtp;
    const core = crypto.core;
    const count = stream && batch ? KEYSTREAM_BATCH : 1;
    const perPacket = count > 1 ? Math.max(blocks, cached?.mostUsed ?? 0) : blocks;
    let data: Uint8Array = EMPTY_KEYSTREAM;
    let view: DataView<ArrayBufferLike> = EMPTY_KEYSTREAM_VIEW;
    let ptr = 0;
    if (core) {
      // Counter blocks made in WebAssembly, encrypted in one AES call, kept in its memory.
      ptr = core.keystream(
        crypto.aesForCore,
        crypto.coreSalt,
        !crypto.gcm,
        ssrc,
        index,
        count,
        perPacket,
        count > 1 ? stream!.wasmKeystream : undefined,
      );
    } else {
      crypto.keystream.generate(ssrc, index, count, perPacket);
      data = crypto.keystream.data;
      view = crypto.keystream.view;
    }
    if (count > 1) {
      stream!.keystream = {
        first: index,
        count,
        blocks: perPacket,
        data,
        view,
        ptr,
        mostUsed: blocks,
      };
    }
    this.#ks = data;
    this.#ksView = view;
    this.#ksPtr = ptr;
    return 0;
  }

  #viewOf(data: Uint8Array): DataView<ArrayBufferLike> {
    if (this.#dataView.buffer !== data.buffer) this.#dataView = new DataView(data.buffer);
    return this.#dataView;
  }
}

/** RFC 3711 §3.3.1 / Appendix A: the ROC guess `v` for sequence number `seq`. */
function estimateRoc(stream: { roc: number; highestSequence: number }, seq: number): number {
  const sl = stream.highestSequence;
  const roc = stream.roc;
  if (sl < 0x8000) {
    return seq - sl > 0x8000 && roc > 0 ? roc - 1 : roc;
  }
  return sl - 0x8000 > seq ? (roc + 1) >>> 0 : roc;
}

/**
 * The input itself, or a copy when it overlaps the output at another position: the transforms
 * copy the header and the body in separate steps, which must not read octets already written.
 * Exactly in place (same octets) needs no copy.
 */
function separate(input: Uint8Array, out: Uint8Array, offset: number): Uint8Array {
  if (input.buffer !== out.buffer) return input;
  const outStart = out.byteOffset + offset;
  if (outStart === input.byteOffset) return input;
  const overlaps =
    outStart < input.byteOffset + input.byteLength + 32 &&
    input.byteOffset < outStart + input.byteLength + 32;
  return overlaps ? input.slice() : input;
}

function checkRoom(out: Uint8Array, offset: number, length: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + length > out.length) {
    throw new SrtpError(
      'SRTP_BUFFER_TOO_SMALL',
      `need ${length} octets at offset ${offset}, buffer has ${out.length}`,
    );
  }
}

function checkRtcp(packet: Uint8Array, trailer: number): void {
  if (packet.length - trailer < 8 || packet[0]! >>> 6 !== 2) {
    throw new SrtpError('SRTP_MALFORMED', 'not an RTCP packet (too short or not version 2)');
  }
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function writeU32(b: Uint8Array, at: number, value: number): void {
  b[at] = value >>> 24;
  b[at + 1] = value >>> 16;
  b[at + 2] = value >>> 8;
  b[at + 3] = value;
}
