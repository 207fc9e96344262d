// A DTLS 1.2 endpoint (RFC 6347) in either role, for DTLS-SRTP (RFC 5764): flights with
// retransmission, fragmentation and reassembly, ECDHE with AES-GCM, extended master secret
// (RFC 7627), keying-material export (RFC 5705) and certificate fingerprints (RFC 8122).
import { X509Certificate, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { WebRtcError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import {
  certificateFingerprint,
  matchesFingerprint,
  type CertificateFingerprint,
  type DtlsCertificate,
} from './certificate.js';
import {
  AlertDescription,
  CIPHER_SUITES,
  ContentType,
  DTLS_1_0,
  DTLS_1_2,
  ExtensionType,
  GCM_RECORD_OVERHEAD,
  HANDSHAKE_HEADER_LENGTH,
  HandshakeType,
  NamedCurveId,
  RECORD_HEADER_LENGTH,
  SRTP_PROTECTION_PROFILES,
  SignatureScheme,
  type CipherSuiteInfo,
  type NamedCurve,
  type SrtpProtectionProfileInfo,
  type SrtpProtectionProfileName,
} from './constants.js';
import {
  GcmRecordProtection,
  createEphemeralKey,
  signWith,
  signatureSchemeFor,
  verifySignature,
  type EphemeralKey,
} from './crypto.js';
import {
  findExtension,
  handshakeTypeName,
  parseCertificate,
  parseCertificateRequest,
  parseClientHello,
  parseClientKeyExchange,
  parseDigitallySigned,
  parseHelloVerifyRequest,
  parseServerHello,
  parseServerKeyExchange,
  parseU16ListExtension,
  parseUseSrtp,
  u16ListExtension,
  useSrtpExtension,
  writeCertificate,
  writeCertificateRequest,
  writeClientHello,
  writeDigitallySigned,
  writeHelloVerifyRequest,
  writeServerHello,
  writeServerKeyExchange,
  type Extension,
} from './messages.js';
import { concat, prf } from './prf.js';
import { DtlsProtocolError } from './protocol-error.js';
import { ByteReader, ByteWriter } from './reader.js';

export type DtlsRole = 'client' | 'server';
export type DtlsState = 'new' | 'connecting' | 'connected' | 'closed' | 'failed';

// One table of the moves the connection may make; transition() refuses every other move.
const TRANSITIONS: Record<DtlsState, readonly DtlsState[]> = {
  new: ['connecting', 'closed', 'failed'],
  connecting: ['connected', 'closed', 'failed'],
  connected: ['closed', 'failed'],
  closed: [],
  failed: [],
};

/** Which handshake message the connection waits for next (RFC 5246 §7.3 message flow). */
type HandshakeStep =
  | 'idle'
  | 'client-wait-server-hello'
  | 'client-wait-certificate'
  | 'client-wait-key-exchange'
  | 'client-wait-hello-done'
  | 'client-wait-finished'
  | 'server-wait-client-hello'
  | 'server-wait-certificate'
  | 'server-wait-key-exchange'
  | 'server-wait-certificate-verify'
  | 'server-wait-finished'
  | 'done';

export interface DtlsSrtpKeys {
  readonly profile: SrtpProtectionProfileInfo;
  readonly localMasterKey: Uint8Array;
  readonly localMasterSalt: Uint8Array;
  readonly remoteMasterKey: Uint8Array;
  readonly remoteMasterSalt: Uint8Array;
}

export interface DtlsConnectedInfo {
  readonly cipherSuite: string;
  readonly curve: NamedCurve;
  readonly srtpProfile: SrtpProtectionProfileName;
  readonly extendedMasterSecret: boolean;
}

export interface DtlsCloseInfo {
  /** Why: the peer's close_notify, our close(), or a failure (then `error` says which). */
  readonly reason: 'peer-closed' | 'local-close' | 'failed';
  readonly error?: WebRtcError;
}

export interface DtlsConnectionEvents {
  connected: (info: DtlsConnectedInfo) => void;
  data: (data: Uint8Array) => void;
  closed: (info: DtlsCloseInfo) => void;
  statechange: (state: DtlsState) => void;
}

export interface DtlsConnectionOptions {
  readonly role: DtlsRole;
  readonly certificate: DtlsCertificate;
  /** Sends one datagram to the peer. */
  readonly send: (datagram: Uint8Array) => void;
  /** Expected peer certificate fingerprints (SDP a=fingerprint); when given, others fail. */
  readonly remoteFingerprints?: readonly CertificateFingerprint[];
  readonly srtpProfiles?: readonly SrtpProtectionProfileName[];
  readonly curves?: readonly NamedCurve[];
  readonly cipherSuites?: readonly string[];
  readonly clock?: Clock;
  /** Largest datagram to send (default 1200, safe for any path WebRTC uses). */
  readonly mtu?: number;
  /** First retransmission timeout (RFC 6347 §4.2.4.1 recommends 1000 ms). */
  readonly retransmitInitialMs?: number;
  readonly retransmitMaxMs?: number;
  /** Retransmissions of one flight before the handshake fails with DTLS_TIMEOUT. */
  readonly maxRetransmissions?: number;
  /** Server: answer the first ClientHello with a HelloVerifyRequest cookie (default true). */
  readonly cookieExchange?: boolean;
  /** Server: require a client certificate, as WebRTC does (default true). */
  readonly requireClientCertificate?: boolean;
  /** Abort when the peer does not negotiate extended_master_secret (default true, RFC 7627 §5.3). */
  readonly requireExtendedMasterSecret?: boolean;
}

export interface DtlsCounters {
  recordsDropped: number;
  retransmissions: number;
}

type FlightEntry =
  | { readonly kind: 'handshake'; readonly epoch: number; readonly message: Uint8Array }
  | { readonly kind: 'change-cipher-spec' };

interface PendingMessage {
  readonly type: number;
  readonly length: number;
  readonly body: Uint8Array;
  readonly received: Uint8Array;
  receivedBytes: number;
}

const MAX_HANDSHAKE_MESSAGE = 1 << 16;
const MAX_BUFFERED_FUTURE_RECORDS = 16;
const MAX_MESSAGES_AHEAD = 8;

const DEFAULT_PROFILES: readonly SrtpProtectionProfileName[] = [
  'SRTP_AEAD_AES_128_GCM',
  'SRTP_AES128_CM_HMAC_SHA1_80',
];
const DEFAULT_CURVES: readonly NamedCurve[] = ['x25519', 'P-256'];

const ALERT_FOR_CODE: Partial<Record<WebRtcError['code'], number>> = {
  DTLS_MALFORMED: AlertDescription.DecodeError,
  DTLS_NO_SHARED_PARAMETERS: AlertDescription.HandshakeFailure,
  DTLS_BAD_SIGNATURE: AlertDescription.DecryptError,
  DTLS_BAD_FINISHED: AlertDescription.DecryptError,
  DTLS_FINGERPRINT_MISMATCH: AlertDescription.BadCertificate,
  CERTIFICATE_INVALID: AlertDescription.BadCertificate,
};

export class DtlsConnection extends TypedEmitter<DtlsConnectionEvents> {
  readonly role: DtlsRole;
  readonly counters: DtlsCounters = { recordsDropped: 0, retransmissions: 0 };
  #state: DtlsState = 'new';
  #step: HandshakeStep = 'idle';
  #error: WebRtcError | undefined;

  readonly #options: DtlsConnectionOptions;
  readonly #clock: Clock;
  readonly #mtu: number;
  readonly #srtpProfiles: readonly SrtpProtectionProfileInfo[];
  readonly #curves: readonly NamedCurve[];
  readonly #suites: readonly CipherSuiteInfo[];
  readonly #cookieSecret = randomBytes(32);

  // Handshake state.
  #clientRandom: Uint8Array = new Uint8Array(0);
  #serverRandom: Uint8Array = new Uint8Array(0);
  #cookie: Uint8Array = new Uint8Array(0);
  #suite: CipherSuiteInfo | undefined;
  #curve: NamedCurve | undefined;
  #srtpProfile: SrtpProtectionProfileInfo | undefined;
  #extendedMasterSecret = false;
  #peerOfferedRenegotiationInfo = false;
  #peerSignatureSchemes: readonly number[] = [];
  #ephemeral: EphemeralKey | undefined;
  #peerEphemeral: Uint8Array | undefined;
  #peerCertificate: X509Certificate | undefined;
  #peerCertificateDer: Uint8Array | undefined;
  #certificateRequested = false;
  #remoteFingerprints: readonly CertificateFingerprint[];
  #masterSecret: Uint8Array | undefined;
  #transcript: Uint8Array[] = [];

  // Message sequencing (RFC 6347 §4.2.2) and reassembly.
  #nextSendSeq = 0;
  #nextReceiveSeq = 0;
  readonly #pending = new Map<number, PendingMessage>();
  #sawOldMessage = false;

  // Record layer.
  #writeEpoch = 0;
  readonly #writeSeq = [0, 0];
  #writeProtection: GcmRecordProtection | undefined;
  #readProtection: GcmRecordProtection | undefined;
  #futureRecords: Uint8Array[] = [];
  #replayTop = -1;
  #replayWindow = 0;

  // Flights (RFC 6347 §4.2.4).
  #flight: FlightEntry[] = [];
  #timer: TimerHandle | undefined;
  #timeoutMs: number;
  #retransmitCount = 0;

  constructor(options: DtlsConnectionOptions) {
    super();
    this.#options = options;
    this.role = options.role;
    this.#clock = options.clock ?? systemClock;
    this.#mtu = options.mtu ?? 1200;
    if (this.#mtu < 256)
      throw new WebRtcError('INVALID_ARGUMENT', 'DTLS MTU must be at least 256 bytes');
    this.#timeoutMs = options.retransmitInitialMs ?? 1000;
    this.#srtpProfiles = (options.srtpProfiles ?? DEFAULT_PROFILES).map((name) => {
      const p = SRTP_PROTECTION_PROFILES.find((x) => x.name === name);
      if (!p) throw new WebRtcError('INVALID_ARGUMENT', `unknown SRTP protection profile ${name}`);
      return p;
    });
    this.#curves = options.curves ?? DEFAULT_CURVES;
    this.#remoteFingerprints = options.remoteFingerprints ?? [];
    // A server can only choose suites its own certificate signs for; a client offers every
    // suite (they name the server's key type, not the client's).
    const keyAuth = options.certificate.keyType === 'ec' ? 'ecdsa' : 'rsa';
    const names = options.cipherSuites;
    this.#suites = CIPHER_SUITES.filter(
      (s) =>
        (options.role === 'client' || s.authentication === keyAuth) &&
        (names === undefined || names.includes(s.name)),
    );
    if (this.#suites.length === 0) {
      throw new WebRtcError(
        'INVALID_ARGUMENT',
        `no cipher suite usable as ${options.role} with a ${keyAuth} certificate`,
      );
    }
  }

  get state(): DtlsState {
    return this.#state;
  }

  /** The failure that ended the connection, if it failed. */
  get error(): WebRtcError | undefined {
    return this.#error;
  }

  /** The negotiated cipher suite name, once known. */
  get cipherSuite(): string | undefined {
    return this.#suite?.name;
  }

  /** Whether the peer certificate has been checked against expected fingerprints. */
  get remoteFingerprintVerified(): boolean {
    return this.#peerCertificateDer !== undefined && this.#remoteFingerprints.length > 0;
  }

  /**
   * Sets the expected peer fingerprints (RFC 8122), e.g. when the remote description arrives
   * after the handshake started. A certificate already received is checked at once; a mismatch
   * fails the connection with DTLS_FINGERPRINT_MISMATCH.
   */
  setRemoteFingerprints(fingerprints: readonly CertificateFingerprint[]): void {
    this.#remoteFingerprints = fingerprints;
    if (this.#state === 'closed' || this.#state === 'failed') return;
    try {
      this.#checkFingerprint();
    } catch (e) {
      this.#fail(e);
    }
  }

  /** The peer's certificate (DER), once received. */
  get remoteCertificate(): Uint8Array | undefined {
    return this.#peerCertificateDer;
  }

  #transition(next: DtlsState): void {
    if (!TRANSITIONS[this.#state].includes(next)) {
      throw new WebRtcError(
        'INVALID_STATE_TRANSITION',
        `DTLS cannot move from ${this.#state} to ${next}`,
      );
    }
    this.#state = next;
    this.emit('statechange', next);
  }

  /** Starts the handshake: a client sends its ClientHello, a server waits for one. */
  start(): void {
    if (this.#state !== 'new')
      throw new WebRtcError('INVALID_STATE_TRANSITION', `start() in state ${this.#state}`);
    this.#transition('connecting');
    if (this.role === 'client') {
      this.#clientRandom = makeRandom();
      this.#step = 'client-wait-server-hello';
      this.#sendClientHello();
    } else {
      this.#step = 'server-wait-client-hello';
    }
  }

  /** Sends application data (epoch 1); only after 'connected'. */
  sendData(data: Uint8Array): void {
    if (this.#state !== 'connected')
      throw new WebRtcError('INVALID_STATE_TRANSITION', `cannot send in state ${this.#state}`);
    this.#options.send(this.#encodeRecord(ContentType.ApplicationData, data));
  }

  /** Sends close_notify (RFC 5246 §7.2.1) and closes. */
  close(): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (this.#state !== 'new') this.#sendAlert(1, AlertDescription.CloseNotify);
    this.#finish('closed', { reason: 'local-close' });
  }

  /**
   * RFC 5705 keying-material exporter: PRF(master_secret, label, client_random + server_random
   * [+ context length + context]).
   */
  exportKeyingMaterial(label: string, length: number, context?: Uint8Array): Uint8Array {
    if (this.#state !== 'connected' || !this.#masterSecret || !this.#suite) {
      throw new WebRtcError(
        'INVALID_STATE_TRANSITION',
        'keying material exists only once connected',
      );
    }
    let seed = concat(this.#clientRandom, this.#serverRandom);
    if (context)
      seed = concat(seed, Uint8Array.of(context.length >> 8, context.length & 0xff), context);
    return prf(this.#suite.hash, this.#masterSecret, label, seed, length);
  }

  /** RFC 5764 §4.2: the SRTP master keys and salts for each direction. */
  srtpKeys(): DtlsSrtpKeys {
    const profile = this.#srtpProfile;
    if (!profile)
      throw new WebRtcError('INVALID_STATE_TRANSITION', 'no SRTP profile was negotiated');
    const { keyLength: k, saltLength: s } = profile;
    const material = this.exportKeyingMaterial('EXTRACTOR-dtls_srtp', 2 * (k + s));
    const clientKey = material.subarray(0, k);
    const serverKey = material.subarray(k, 2 * k);
    const clientSalt = material.subarray(2 * k, 2 * k + s);
    const serverSalt = material.subarray(2 * k + s, 2 * k + 2 * s);
    const client = this.role === 'client';
    return {
      profile,
      localMasterKey: client ? clientKey : serverKey,
      localMasterSalt: client ? clientSalt : serverSalt,
      remoteMasterKey: client ? serverKey : clientKey,
      remoteMasterSalt: client ? serverSalt : clientSalt,
    };
  }

  /** Feeds one received datagram (RFC 7983: first byte 20–63). Never throws. */
  handleDatagram(datagram: Uint8Array): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    try {
      if (this.#state === 'new') {
        if (this.role === 'client') return;
        this.start();
      }
      this.#sawOldMessage = false;
      this.#readRecords(datagram);
      this.#processPending();
      if (this.#sawOldMessage) this.#retransmitOnPeerRetransmission();
    } catch (e) {
      this.#fail(e);
    }
  }

  // ---- record layer (RFC 6347 §4.1) ----

  #readRecords(datagram: Uint8Array): void {
    let offset = 0;
    while (offset + RECORD_HEADER_LENGTH <= datagram.length) {
      const type = datagram[offset]!;
      const version = (datagram[offset + 1]! << 8) | datagram[offset + 2]!;
      const epoch = (datagram[offset + 3]! << 8) | datagram[offset + 4]!;
      const length = (datagram[offset + 11]! << 8) | datagram[offset + 12]!;
      const end = offset + RECORD_HEADER_LENGTH + length;
      if (end > datagram.length || (version !== DTLS_1_2 && version !== DTLS_1_0)) {
        // §4.1.2.7: invalid records are silently discarded; the rest of the datagram is unusable.
        this.counters.recordsDropped++;
        return;
      }
      const record = datagram.subarray(offset, end);
      offset = end;
      this.#readRecord(record, type, version, epoch);
    }
    if (offset !== datagram.length) this.counters.recordsDropped++;
  }

  #readRecord(record: Uint8Array, type: number, version: number, epoch: number): void {
    const epochAndSeq = record.subarray(3, 11);
    let fragment = record.subarray(RECORD_HEADER_LENGTH);
    if (epoch === 1) {
      if (!this.#readProtection) {
        // Early epoch-1 record (reordered ahead of the messages that derive the keys): keep a few.
        if (this.#futureRecords.length < MAX_BUFFERED_FUTURE_RECORDS)
          this.#futureRecords.push(record.slice());
        return;
      }
      const seq = readUint48(record, 5);
      if (this.#isReplay(seq)) {
        this.counters.recordsDropped++;
        return;
      }
      const plaintext = this.#readProtection.open(type, version, epochAndSeq, fragment);
      if (!plaintext) {
        this.counters.recordsDropped++;
        return;
      }
      this.#markReceived(seq);
      fragment = plaintext;
    } else if (epoch !== 0 || type === ContentType.ApplicationData) {
      this.counters.recordsDropped++;
      return;
    }
    switch (type) {
      case ContentType.Handshake:
        this.#readHandshakeFragments(fragment, epoch);
        break;
      case ContentType.ChangeCipherSpec:
        // Epochs in record headers tell which keys protect what; CCS itself only has to be sane.
        if (fragment.length !== 1 || fragment[0] !== 1) this.counters.recordsDropped++;
        break;
      case ContentType.Alert:
        this.#readAlert(fragment);
        break;
      case ContentType.ApplicationData:
        if (this.#state === 'connected') this.emit('data', fragment);
        break;
      default:
        this.counters.recordsDropped++;
    }
  }

  // RFC 6347 §4.1.2.6 anti-replay window (32 records wide).
  #isReplay(seq: number): boolean {
    if (seq > this.#replayTop) return false;
    const behind = this.#replayTop - seq;
    if (behind >= 32) return true;
    return ((this.#replayWindow >>> behind) & 1) === 1;
  }

  #markReceived(seq: number): void {
    if (seq > this.#replayTop) {
      const shift = seq - this.#replayTop;
      this.#replayWindow = shift >= 32 ? 1 : ((this.#replayWindow << shift) | 1) >>> 0;
      this.#replayTop = seq;
    } else {
      this.#replayWindow = (this.#replayWindow | (1 << (this.#replayTop - seq))) >>> 0;
    }
  }

  #encodeRecord(type: number, plaintext: Uint8Array, epoch = this.#writeEpoch): Uint8Array {
    const seq = this.#writeSeq[epoch]!;
    this.#writeSeq[epoch] = seq + 1;
    const header = new ByteWriter().u8(type).u16(DTLS_1_2).u16(epoch).u48(seq).finish();
    let fragment = plaintext;
    if (epoch === 1) {
      if (!this.#writeProtection)
        throw new WebRtcError('INVALID_STATE_TRANSITION', 'epoch 1 without keys');
      fragment = this.#writeProtection.seal(type, DTLS_1_2, header.subarray(3, 11), plaintext);
    }
    const out = new Uint8Array(RECORD_HEADER_LENGTH + fragment.length);
    out.set(header.subarray(0, 11));
    out[11] = fragment.length >> 8;
    out[12] = fragment.length & 0xff;
    out.set(fragment, RECORD_HEADER_LENGTH);
    return out;
  }

  #readAlert(fragment: Uint8Array): void {
    if (fragment.length !== 2) {
      this.counters.recordsDropped++;
      return;
    }
    const level = fragment[0]!;
    const description = fragment[1]!;
    if (description === AlertDescription.CloseNotify) {
      this.#finish('closed', { reason: 'peer-closed' });
      return;
    }
    if (level === 2) {
      const error = new WebRtcError(
        'DTLS_ALERT_RECEIVED',
        `peer sent fatal alert ${alertName(description)} (${description})`,
      );
      this.#error = error;
      this.#finish('failed', { reason: 'failed', error });
    }
  }

  #sendAlert(level: 1 | 2, description: number): void {
    try {
      this.#options.send(this.#encodeRecord(ContentType.Alert, Uint8Array.of(level, description)));
    } catch {
      // The socket may already be gone; the alert is a courtesy.
    }
  }

  // ---- handshake reassembly (RFC 6347 §4.2.3) ----

  #readHandshakeFragments(fragment: Uint8Array, epoch: number): void {
    const r = new ByteReader(fragment);
    while (r.remaining > 0) {
      if (r.remaining < HANDSHAKE_HEADER_LENGTH) {
        this.counters.recordsDropped++;
        return;
      }
      const type = r.u8();
      const length = r.u24();
      const seq = r.u16();
      const fragmentOffset = r.u24();
      const fragmentLength = r.u24();
      if (
        fragmentLength > r.remaining ||
        fragmentOffset + fragmentLength > length ||
        length > MAX_HANDSHAKE_MESSAGE
      ) {
        this.counters.recordsDropped++;
        return;
      }
      const data = r.bytes(fragmentLength);
      // Finished is the only handshake message sent under epoch 1 here (RFC 6347 §4.2.4).
      if ((epoch === 1) !== (type === HandshakeType.Finished)) {
        this.counters.recordsDropped++;
        continue;
      }
      if (this.#step === 'server-wait-client-hello' && type === HandshakeType.ClientHello) {
        // A stateless server (§4.2.1) accepts whatever message_seq the ClientHello carries.
        if (seq !== this.#nextReceiveSeq) this.#pending.clear();
        this.#nextReceiveSeq = seq;
      }
      if (seq < this.#nextReceiveSeq) {
        this.#sawOldMessage = true;
        continue;
      }
      if (seq >= this.#nextReceiveSeq + MAX_MESSAGES_AHEAD) continue;
      let pending = this.#pending.get(seq);
      if (!pending) {
        pending = {
          type,
          length,
          body: new Uint8Array(length),
          received: new Uint8Array(length),
          receivedBytes: 0,
        };
        this.#pending.set(seq, pending);
      } else if (pending.type !== type || pending.length !== length) {
        this.counters.recordsDropped++;
        continue;
      }
      pending.body.set(data, fragmentOffset);
      for (let i = fragmentOffset; i < fragmentOffset + fragmentLength; i++) {
        if (pending.received[i] === 0) {
          pending.received[i] = 1;
          pending.receivedBytes++;
        }
      }
    }
  }

  #processPending(): void {
    for (;;) {
      if (this.#state !== 'connecting' && this.#state !== 'connected') return;
      const pending = this.#pending.get(this.#nextReceiveSeq);
      if (!pending || pending.receivedBytes !== pending.length) return;
      this.#pending.delete(this.#nextReceiveSeq);
      const seq = this.#nextReceiveSeq++;
      const message = encodeHandshake(pending.type, seq, pending.body);
      this.#handleMessage(pending.type, pending.body, message);
      // Keys may have just appeared: records that arrived early can now be read.
      if (this.#readProtection && this.#futureRecords.length > 0) {
        const early = this.#futureRecords;
        this.#futureRecords = [];
        for (const record of early) {
          const version = (record[1]! << 8) | record[2]!;
          this.#readRecord(record, record[0]!, version, 1);
        }
      }
    }
  }

  #handleMessage(type: number, body: Uint8Array, message: Uint8Array): void {
    if (this.#state === 'connected') {
      // A complete new handshake message after the handshake would be renegotiation: refuse.
      this.#sendAlert(1, 100 /* no_renegotiation */);
      return;
    }
    const step = this.#step;
    const unexpected = (): never => {
      throw new DtlsProtocolError(
        'DTLS_HANDSHAKE_FAILED',
        `unexpected ${handshakeTypeName(type)} while in ${step}`,
        AlertDescription.UnexpectedMessage,
      );
    };
    // Any new message from the peer acknowledges our last flight (§4.2.4).
    this.#stopRetransmitTimer();
    if (this.role === 'client') {
      switch (type) {
        case HandshakeType.HelloVerifyRequest:
          if (step !== 'client-wait-server-hello') unexpected();
          return this.#onHelloVerifyRequest(body);
        case HandshakeType.ServerHello:
          if (step !== 'client-wait-server-hello') unexpected();
          this.#transcript.push(message);
          return this.#onServerHello(body);
        case HandshakeType.Certificate:
          if (step !== 'client-wait-certificate') unexpected();
          this.#transcript.push(message);
          this.#onPeerCertificate(body);
          this.#step = 'client-wait-key-exchange';
          return;
        case HandshakeType.ServerKeyExchange:
          if (step !== 'client-wait-key-exchange') unexpected();
          this.#transcript.push(message);
          return this.#onServerKeyExchange(body);
        case HandshakeType.CertificateRequest:
          if (step !== 'client-wait-hello-done' || this.#certificateRequested) unexpected();
          this.#transcript.push(message);
          this.#certificateRequested = true;
          this.#peerSignatureSchemes = parseCertificateRequest(body).signatureSchemes;
          return;
        case HandshakeType.ServerHelloDone:
          if (step !== 'client-wait-hello-done') unexpected();
          if (body.length !== 0)
            throw new DtlsProtocolError(
              'DTLS_MALFORMED',
              'ServerHelloDone is not empty',
              AlertDescription.DecodeError,
            );
          this.#transcript.push(message);
          return this.#onServerHelloDone();
        case HandshakeType.Finished:
          if (step !== 'client-wait-finished') unexpected();
          this.#verifyFinished(body, 'server finished');
          this.#transcript.push(message);
          return this.#complete();
        default:
          return unexpected();
      }
    }
    switch (type) {
      case HandshakeType.ClientHello:
        if (step !== 'server-wait-client-hello') unexpected();
        return this.#onClientHello(body, message);
      case HandshakeType.Certificate:
        if (step !== 'server-wait-certificate') unexpected();
        this.#transcript.push(message);
        this.#onPeerCertificate(body);
        this.#step = 'server-wait-key-exchange';
        return;
      case HandshakeType.ClientKeyExchange:
        if (step !== 'server-wait-key-exchange') unexpected();
        this.#transcript.push(message);
        return this.#onClientKeyExchange(body);
      case HandshakeType.CertificateVerify:
        if (step !== 'server-wait-certificate-verify') unexpected();
        this.#onCertificateVerify(body);
        this.#transcript.push(message);
        this.#step = 'server-wait-finished';
        return;
      case HandshakeType.Finished:
        if (step !== 'server-wait-finished') unexpected();
        this.#verifyFinished(body, 'client finished');
        this.#transcript.push(message);
        return this.#sendServerFinished();
      default:
        return unexpected();
    }
  }

  // ---- client flights ----

  #clientExtensions(): Extension[] {
    return [
      u16ListExtension(
        ExtensionType.SupportedGroups,
        this.#curves.map((c) => NamedCurveId[c]),
      ),
      { type: ExtensionType.EcPointFormats, data: Uint8Array.of(1, 0) },
      u16ListExtension(ExtensionType.SignatureAlgorithms, [
        SignatureScheme.EcdsaSecp256r1Sha256,
        SignatureScheme.RsaPssRsaeSha256,
        SignatureScheme.RsaPkcs1Sha256,
        SignatureScheme.EcdsaSecp384r1Sha384,
      ]),
      useSrtpExtension(this.#srtpProfiles.map((p) => p.id)),
      { type: ExtensionType.ExtendedMasterSecret, data: new Uint8Array(0) },
      { type: ExtensionType.RenegotiationInfo, data: Uint8Array.of(0) },
    ];
  }

  #sendClientHello(): void {
    const body = writeClientHello({
      version: DTLS_1_2,
      random: this.#clientRandom,
      sessionId: new Uint8Array(0),
      cookie: this.#cookie,
      cipherSuites: this.#suites.map((s) => s.id),
      extensions: this.#clientExtensions(),
    });
    const message = this.#nextMessage(HandshakeType.ClientHello, body);
    this.#transcript = [message];
    this.#sendFlight([{ kind: 'handshake', epoch: 0, message }], true);
  }

  #onHelloVerifyRequest(body: Uint8Array): void {
    const cookie = parseHelloVerifyRequest(body);
    if (cookie.length > 255)
      throw new DtlsProtocolError(
        'DTLS_MALFORMED',
        'cookie too long',
        AlertDescription.IllegalParameter,
      );
    // §4.2.1: the first ClientHello and the HelloVerifyRequest are not part of the transcript.
    this.#cookie = cookie.slice();
    this.#sendClientHello();
  }

  #onServerHello(body: Uint8Array): void {
    const hello = parseServerHello(body);
    if (hello.version !== DTLS_1_2) {
      throw new DtlsProtocolError(
        'DTLS_NO_SHARED_PARAMETERS',
        `server chose version 0x${hello.version.toString(16)}`,
        AlertDescription.ProtocolVersion,
      );
    }
    const suite = this.#suites.find((s) => s.id === hello.cipherSuite);
    if (!suite) {
      throw new DtlsProtocolError(
        'DTLS_NO_SHARED_PARAMETERS',
        `server chose a cipher suite we did not offer (0x${hello.cipherSuite.toString(16)})`,
        AlertDescription.IllegalParameter,
      );
    }
    this.#suite = suite;
    this.#serverRandom = hello.random.slice();
    this.#applyNegotiatedExtensions(hello.extensions);
    this.#step = 'client-wait-certificate';
  }

  #applyNegotiatedExtensions(extensions: readonly Extension[]): void {
    const srtp = findExtension(extensions, ExtensionType.UseSrtp);
    if (!srtp)
      throw new DtlsProtocolError(
        'DTLS_NO_SHARED_PARAMETERS',
        'server did not negotiate use_srtp',
        AlertDescription.HandshakeFailure,
      );
    const chosen = parseUseSrtp(srtp);
    const profile =
      chosen.length === 1 ? this.#srtpProfiles.find((p) => p.id === chosen[0]) : undefined;
    if (!profile)
      throw new DtlsProtocolError(
        'DTLS_NO_SHARED_PARAMETERS',
        'server chose an SRTP profile we did not offer',
        AlertDescription.IllegalParameter,
      );
    this.#srtpProfile = profile;
    this.#extendedMasterSecret =
      findExtension(extensions, ExtensionType.ExtendedMasterSecret) !== undefined;
    this.#requireEms();
  }

  #requireEms(): void {
    if (!this.#extendedMasterSecret && this.#options.requireExtendedMasterSecret !== false) {
      throw new DtlsProtocolError(
        'DTLS_NO_SHARED_PARAMETERS',
        'peer does not support extended_master_secret (RFC 7627)',
        AlertDescription.HandshakeFailure,
      );
    }
  }

  #onServerKeyExchange(body: Uint8Array): void {
    const ske = parseServerKeyExchange(body);
    const curve = this.#curves.find((c) => NamedCurveId[c] === ske.namedCurve);
    if (!curve)
      throw new DtlsProtocolError(
        'DTLS_NO_SHARED_PARAMETERS',
        `server chose curve ${ske.namedCurve}`,
        AlertDescription.IllegalParameter,
      );
    const signed = concat(this.#clientRandom, this.#serverRandom, ske.params);
    if (
      !this.#peerCertificate ||
      !verifySignature(ske.signatureScheme, this.#peerCertificate.publicKey, signed, ske.signature)
    ) {
      throw new DtlsProtocolError(
        'DTLS_BAD_SIGNATURE',
        'ServerKeyExchange signature does not verify with the server certificate',
        AlertDescription.DecryptError,
      );
    }
    this.#curve = curve;
    this.#peerEphemeral = ske.publicKey.slice();
    this.#step = 'client-wait-hello-done';
  }

  #onServerHelloDone(): void {
    const curve = this.#curve!;
    const ephemeral = createEphemeralKey(curve);
    const preMasterSecret = ephemeral.computeSecret(this.#peerEphemeral!);
    const entries: FlightEntry[] = [];
    const key = this.#options.certificate.privateKey;
    if (this.#certificateRequested) {
      const cert = this.#nextMessage(
        HandshakeType.Certificate,
        writeCertificate([this.#options.certificate.der]),
      );
      this.#transcript.push(cert);
      entries.push({ kind: 'handshake', epoch: 0, message: cert });
    }
    const cke = this.#nextMessage(
      HandshakeType.ClientKeyExchange,
      new ByteWriter().vector(1, ephemeral.publicKey).finish(),
    );
    this.#transcript.push(cke);
    entries.push({ kind: 'handshake', epoch: 0, message: cke });
    this.#deriveKeys(preMasterSecret);
    if (this.#certificateRequested) {
      const scheme = signatureSchemeFor(key);
      if (!this.#peerSignatureSchemes.includes(scheme)) {
        throw new DtlsProtocolError(
          'DTLS_NO_SHARED_PARAMETERS',
          'server accepts no signature scheme our certificate can make',
          AlertDescription.HandshakeFailure,
        );
      }
      const signature = signWith(key, concat(...this.#transcript));
      const verify = this.#nextMessage(
        HandshakeType.CertificateVerify,
        writeDigitallySigned(scheme, signature),
      );
      this.#transcript.push(verify);
      entries.push({ kind: 'handshake', epoch: 0, message: verify });
    }
    entries.push({ kind: 'change-cipher-spec' });
    const finished = this.#nextMessage(HandshakeType.Finished, this.#verifyData('client finished'));
    this.#transcript.push(finished);
    entries.push({ kind: 'handshake', epoch: 1, message: finished });
    this.#step = 'client-wait-finished';
    this.#sendFlight(entries, true);
  }

  // ---- server flights ----

  #onClientHello(body: Uint8Array, message: Uint8Array): void {
    const hello = parseClientHello(body);
    // DTLS versions count down: 0xfefd (1.2) is newer than 0xfeff (1.0).
    if (hello.version > DTLS_1_2) {
      throw new DtlsProtocolError(
        'DTLS_NO_SHARED_PARAMETERS',
        'client does not offer DTLS 1.2',
        AlertDescription.ProtocolVersion,
      );
    }
    const seq = this.#nextReceiveSeq - 1;
    if (this.#options.cookieExchange !== false) {
      const expected = this.#cookieFor(hello.random);
      if (hello.cookie.length !== expected.length || !timingSafeEqual(hello.cookie, expected)) {
        // §4.2.1: stateless; the reply reuses the ClientHello's message_seq.
        const hvr = encodeHandshake(
          HandshakeType.HelloVerifyRequest,
          seq,
          writeHelloVerifyRequest(expected),
        );
        this.#options.send(this.#encodeRecord(ContentType.Handshake, hvr, 0));
        return;
      }
    }
    const suite = this.#suites.find((s) => hello.cipherSuites.includes(s.id));
    if (!suite)
      throw new DtlsProtocolError(
        'DTLS_NO_SHARED_PARAMETERS',
        'no common cipher suite',
        AlertDescription.HandshakeFailure,
      );
    const groupsExt = findExtension(hello.extensions, ExtensionType.SupportedGroups);
    const groups = groupsExt
      ? parseU16ListExtension(groupsExt, 'supported_groups')
      : [NamedCurveId['P-256']];
    const curve = this.#curves.find((c) => groups.includes(NamedCurveId[c]));
    if (!curve)
      throw new DtlsProtocolError(
        'DTLS_NO_SHARED_PARAMETERS',
        'no common elliptic curve',
        AlertDescription.HandshakeFailure,
      );
    const srtpExt = findExtension(hello.extensions, ExtensionType.UseSrtp);
    const offered = srtpExt ? parseUseSrtp(srtpExt) : [];
    const profile = this.#srtpProfiles.find((p) => offered.includes(p.id));
    if (!profile)
      throw new DtlsProtocolError(
        'DTLS_NO_SHARED_PARAMETERS',
        'no common SRTP protection profile (use_srtp)',
        AlertDescription.HandshakeFailure,
      );
    const sigExt = findExtension(hello.extensions, ExtensionType.SignatureAlgorithms);
    const schemes = sigExt ? parseU16ListExtension(sigExt, 'signature_algorithms') : [];
    const key = this.#options.certificate.privateKey;
    const scheme = signatureSchemeFor(key);
    if (!schemes.includes(scheme)) {
      throw new DtlsProtocolError(
        'DTLS_NO_SHARED_PARAMETERS',
        'client accepts no signature scheme our certificate can make',
        AlertDescription.HandshakeFailure,
      );
    }
    this.#extendedMasterSecret =
      findExtension(hello.extensions, ExtensionType.ExtendedMasterSecret) !== undefined;
    this.#requireEms();
    this.#peerOfferedRenegotiationInfo =
      findExtension(hello.extensions, ExtensionType.RenegotiationInfo) !== undefined ||
      hello.cipherSuites.includes(0x00ff);

    this.#suite = suite;
    this.#curve = curve;
    this.#srtpProfile = profile;
    this.#clientRandom = hello.random.slice();
    this.#serverRandom = makeRandom();
    this.#nextSendSeq = seq;
    this.#transcript = [message];

    const extensions: Extension[] = [useSrtpExtension([profile.id])];
    if (this.#extendedMasterSecret)
      extensions.push({ type: ExtensionType.ExtendedMasterSecret, data: new Uint8Array(0) });
    if (this.#peerOfferedRenegotiationInfo)
      extensions.push({ type: ExtensionType.RenegotiationInfo, data: Uint8Array.of(0) });
    if (findExtension(hello.extensions, ExtensionType.EcPointFormats)) {
      extensions.push({ type: ExtensionType.EcPointFormats, data: Uint8Array.of(1, 0) });
    }
    const serverHello = writeServerHello({
      version: DTLS_1_2,
      random: this.#serverRandom,
      sessionId: new Uint8Array(0),
      cipherSuite: suite.id,
      extensions,
    });
    this.#ephemeral = createEphemeralKey(curve);
    const ske = writeServerKeyExchange(
      NamedCurveId[curve],
      this.#ephemeral.publicKey,
      (params) => ({
        scheme,
        signature: signWith(key, concat(this.#clientRandom, this.#serverRandom, params)),
      }),
    );
    const certificateRequest = writeCertificateRequest({
      certificateTypes: [64 /* ecdsa_sign */, 1 /* rsa_sign */],
      signatureSchemes: [
        SignatureScheme.EcdsaSecp256r1Sha256,
        SignatureScheme.RsaPssRsaeSha256,
        SignatureScheme.RsaPkcs1Sha256,
        SignatureScheme.EcdsaSecp384r1Sha384,
      ],
    });
    const messages = [
      this.#nextMessage(HandshakeType.ServerHello, serverHello),
      this.#nextMessage(
        HandshakeType.Certificate,
        writeCertificate([this.#options.certificate.der]),
      ),
      this.#nextMessage(HandshakeType.ServerKeyExchange, ske),
      this.#nextMessage(HandshakeType.CertificateRequest, certificateRequest),
      this.#nextMessage(HandshakeType.ServerHelloDone, new Uint8Array(0)),
    ];
    this.#transcript.push(...messages);
    this.#certificateRequested = true;
    this.#step = 'server-wait-certificate';
    this.#sendFlight(
      messages.map((m) => ({ kind: 'handshake', epoch: 0, message: m })),
      true,
    );
  }

  #cookieFor(clientRandom: Uint8Array): Uint8Array {
    return new Uint8Array(
      createHmac('sha256', this.#cookieSecret).update(clientRandom).digest().subarray(0, 20),
    );
  }

  #onClientKeyExchange(body: Uint8Array): void {
    const point = parseClientKeyExchange(body);
    const preMasterSecret = this.#ephemeral!.computeSecret(point);
    this.#deriveKeys(preMasterSecret);
    this.#step = this.#peerCertificate ? 'server-wait-certificate-verify' : 'server-wait-finished';
  }

  #onCertificateVerify(body: Uint8Array): void {
    const { scheme, signature } = parseDigitallySigned(body);
    if (
      !verifySignature(
        scheme,
        this.#peerCertificate!.publicKey,
        concat(...this.#transcript),
        signature,
      )
    ) {
      throw new DtlsProtocolError(
        'DTLS_BAD_SIGNATURE',
        'CertificateVerify does not verify with the client certificate',
        AlertDescription.DecryptError,
      );
    }
  }

  #sendServerFinished(): void {
    const finished = this.#nextMessage(HandshakeType.Finished, this.#verifyData('server finished'));
    this.#transcript.push(finished);
    this.#sendFlight(
      [{ kind: 'change-cipher-spec' }, { kind: 'handshake', epoch: 1, message: finished }],
      false,
    );
    this.#complete();
  }

  // ---- both roles ----

  #onPeerCertificate(body: Uint8Array): void {
    const chain = parseCertificate(body);
    const der = chain[0];
    if (!der) {
      if (this.role === 'server' && this.#options.requireClientCertificate === false) return;
      throw new DtlsProtocolError(
        'CERTIFICATE_INVALID',
        'peer sent no certificate',
        AlertDescription.HandshakeFailure,
      );
    }
    try {
      this.#peerCertificate = new X509Certificate(der);
    } catch (cause) {
      throw new DtlsProtocolError(
        'CERTIFICATE_INVALID',
        'peer certificate is not valid X.509',
        AlertDescription.BadCertificate,
        cause,
      );
    }
    this.#peerCertificateDer = der.slice();
    this.#checkFingerprint();
    const keyType = this.#peerCertificate.publicKey.asymmetricKeyType;
    if (
      this.role === 'client' &&
      keyType !== (this.#suite?.authentication === 'ecdsa' ? 'ec' : 'rsa')
    ) {
      throw new DtlsProtocolError(
        'CERTIFICATE_INVALID',
        `server certificate key (${String(keyType)}) does not fit the cipher suite`,
        AlertDescription.UnsupportedCertificate,
      );
    }
  }

  #checkFingerprint(): void {
    const der = this.#peerCertificateDer;
    const expected = this.#remoteFingerprints;
    if (der && expected.length > 0 && !matchesFingerprint(der, expected)) {
      throw new DtlsProtocolError(
        'DTLS_FINGERPRINT_MISMATCH',
        `peer certificate fingerprint ${certificateFingerprint(der).value} does not match the a=fingerprint from SDP (expected ${expected.map((f) => `${f.algorithm} ${f.value}`).join(', ')})`,
        AlertDescription.BadCertificate,
      );
    }
  }

  #deriveKeys(preMasterSecret: Uint8Array): void {
    const suite = this.#suite!;
    // RFC 7627 §4: the session hash covers the transcript up to and including ClientKeyExchange.
    this.#masterSecret = this.#extendedMasterSecret
      ? prf(suite.hash, preMasterSecret, 'extended master secret', this.#transcriptHash(), 48)
      : prf(
          suite.hash,
          preMasterSecret,
          'master secret',
          concat(this.#clientRandom, this.#serverRandom),
          48,
        );
    // RFC 5246 §6.3 key block; AEAD suites have no MAC keys, and a 4-byte implicit IV each.
    const k = suite.keyLength;
    const block = prf(
      suite.hash,
      this.#masterSecret,
      'key expansion',
      concat(this.#serverRandom, this.#clientRandom),
      2 * k + 8,
    );
    const client = new GcmRecordProtection(block.slice(0, k), block.slice(2 * k, 2 * k + 4));
    const server = new GcmRecordProtection(
      block.slice(k, 2 * k),
      block.slice(2 * k + 4, 2 * k + 8),
    );
    this.#writeProtection = this.role === 'client' ? client : server;
    this.#readProtection = this.role === 'client' ? server : client;
  }

  #transcriptHash(): Uint8Array {
    const hash = createHash(this.#suite!.hash);
    for (const m of this.#transcript) hash.update(m);
    return new Uint8Array(hash.digest());
  }

  // RFC 5246 §7.4.9.
  #verifyData(label: 'client finished' | 'server finished'): Uint8Array {
    return prf(this.#suite!.hash, this.#masterSecret!, label, this.#transcriptHash(), 12);
  }

  #verifyFinished(body: Uint8Array, label: 'client finished' | 'server finished'): void {
    const expected = this.#verifyData(label);
    if (body.length !== 12 || !timingSafeEqual(body, expected)) {
      throw new DtlsProtocolError(
        'DTLS_BAD_FINISHED',
        `${label} verify_data does not match`,
        AlertDescription.DecryptError,
      );
    }
  }

  #complete(): void {
    this.#step = 'done';
    // Handshake state is no longer needed; only the server keeps its last flight, to answer a
    // client that lost it (RFC 6347 §4.2.4).
    this.#transcript = [];
    this.#ephemeral = undefined;
    this.#peerEphemeral = undefined;
    this.#peerCertificate = undefined;
    if (this.role === 'client') this.#flight = [];
    this.#transition('connected');
    this.emit('connected', {
      cipherSuite: this.#suite!.name,
      curve: this.#curve!,
      srtpProfile: this.#srtpProfile!.name,
      extendedMasterSecret: this.#extendedMasterSecret,
    });
  }

  #nextMessage(type: number, body: Uint8Array): Uint8Array {
    return encodeHandshake(type, this.#nextSendSeq++, body);
  }

  // ---- flights and retransmission (RFC 6347 §4.2.4) ----

  #sendFlight(entries: FlightEntry[], expectResponse: boolean): void {
    this.#flight = entries;
    this.#retransmitCount = 0;
    this.#timeoutMs = this.#options.retransmitInitialMs ?? 1000;
    this.#transmitFlight();
    if (expectResponse) this.#startRetransmitTimer();
  }

  #transmitFlight(): void {
    const datagrams: Uint8Array[] = [];
    let current: Uint8Array[] = [];
    let currentLength = 0;
    const push = (record: Uint8Array): void => {
      if (currentLength + record.length > this.#mtu && current.length > 0) {
        datagrams.push(concat(...current));
        current = [];
        currentLength = 0;
      }
      current.push(record);
      currentLength += record.length;
    };
    for (const entry of this.#flight) {
      if (entry.kind === 'change-cipher-spec') {
        push(this.#encodeRecord(ContentType.ChangeCipherSpec, Uint8Array.of(1), 0));
        continue;
      }
      const overhead =
        RECORD_HEADER_LENGTH +
        HANDSHAKE_HEADER_LENGTH +
        (entry.epoch === 1 ? GCM_RECORD_OVERHEAD : 0);
      for (const fragment of fragmentHandshake(entry.message, this.#mtu - overhead)) {
        push(this.#encodeRecord(ContentType.Handshake, fragment, entry.epoch));
      }
    }
    if (current.length > 0) datagrams.push(concat(...current));
    if (this.#flight.some((e) => e.kind === 'change-cipher-spec')) this.#writeEpoch = 1;
    for (const d of datagrams) this.#options.send(d);
  }

  #startRetransmitTimer(): void {
    this.#stopRetransmitTimer();
    this.#timer = this.#clock.setTimeout(() => this.#onRetransmitTimer(), this.#timeoutMs);
  }

  #stopRetransmitTimer(): void {
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #onRetransmitTimer(): void {
    this.#timer = undefined;
    if (this.#state !== 'connecting') return;
    if (this.#retransmitCount >= (this.#options.maxRetransmissions ?? 7)) {
      this.#fail(
        new WebRtcError(
          'DTLS_TIMEOUT',
          `no answer from the peer after ${this.#retransmitCount} retransmissions`,
        ),
      );
      return;
    }
    this.#retransmitCount++;
    this.counters.retransmissions++;
    this.#timeoutMs = Math.min(this.#timeoutMs * 2, this.#options.retransmitMaxMs ?? 60_000);
    try {
      this.#transmitFlight();
    } catch (e) {
      this.#fail(e);
      return;
    }
    this.#startRetransmitTimer();
  }

  // §4.2.4: a peer repeating its previous flight lost ours; send ours again right away.
  #retransmitOnPeerRetransmission(): void {
    if (this.#flight.length === 0 || this.#step === 'server-wait-client-hello') return;
    this.counters.retransmissions++;
    this.#transmitFlight();
    if (this.#timer !== undefined) this.#startRetransmitTimer();
  }

  // ---- endings ----

  #fail(e: unknown): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    const error =
      e instanceof WebRtcError
        ? e
        : new WebRtcError('DTLS_HANDSHAKE_FAILED', `internal error: ${String(e)}`, { cause: e });
    const alert =
      e instanceof DtlsProtocolError
        ? e.alert
        : (ALERT_FOR_CODE[error.code] ?? AlertDescription.InternalError);
    if (error.code !== 'DTLS_TIMEOUT') this.#sendAlert(2, alert);
    this.#error = error;
    this.#finish('failed', { reason: 'failed', error });
  }

  #finish(state: 'closed' | 'failed', info: DtlsCloseInfo): void {
    this.#stopRetransmitTimer();
    this.#pending.clear();
    this.#futureRecords = [];
    this.#transition(state);
    this.emit('closed', info);
  }
}

/** A handshake message with its DTLS header, unfragmented (the transcript form, §4.2.6). */
function encodeHandshake(type: number, seq: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HANDSHAKE_HEADER_LENGTH + body.length);
  out[0] = type;
  writeUint24(out, 1, body.length);
  out[4] = seq >> 8;
  out[5] = seq & 0xff;
  writeUint24(out, 6, 0);
  writeUint24(out, 9, body.length);
  out.set(body, HANDSHAKE_HEADER_LENGTH);
  return out;
}

/** Splits an unfragmented handshake message into fragments of at most maxBody bytes (§4.2.3). */
function fragmentHandshake(message: Uint8Array, maxBody: number): Uint8Array[] {
  const body = message.subarray(HANDSHAKE_HEADER_LENGTH);
  if (body.length <= maxBody) return [message];
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < body.length; offset += maxBody) {
    const chunk = body.subarray(offset, Math.min(offset + maxBody, body.length));
    const fragment = new Uint8Array(HANDSHAKE_HEADER_LENGTH + chunk.length);
    fragment.set(message.subarray(0, 6));
    writeUint24(fragment, 6, offset);
    writeUint24(fragment, 9, chunk.length);
    fragment.set(chunk, HANDSHAKE_HEADER_LENGTH);
    out.push(fragment);
  }
  return out;
}

function writeUint24(out: Uint8Array, offset: number, value: number): void {
  out[offset] = (value >> 16) & 0xff;
  out[offset + 1] = (value >> 8) & 0xff;
  out[offset + 2] = value & 0xff;
}

function readUint48(bytes: Uint8Array, offset: number): number {
  let v = 0;
  for (let i = 0; i < 6; i++) v = v * 256 + bytes[offset + i]!;
  return v;
}

function makeRandom(): Uint8Array {
  // RFC 5246 §7.4.1.2: gmt_unix_time is no longer needed; all 32 bytes random.
  return new Uint8Array(randomBytes(32));
}

function alertName(description: number): string {
  return Object.entries(AlertDescription).find(([, v]) => v === description)?.[0] ?? 'unknown';
}
