// The browser leg's transport: ICE-lite + DTLS-SRTP over one UDP port (RFC 8827 §6.5 / RFC 8834
// §3.4 stack), with RFC 7983 demultiplexing of STUN, DTLS, SRTP and SRTCP.
import { classifyPacket } from '@callbridge/rtp';
import { SrtpContext, srtpProfileByDtlsId } from '@callbridge/srtp';
import { systemClock, type Clock } from './clock.js';
import type { CertificateFingerprint, DtlsCertificate } from './dtls/certificate.js';
import type { NamedCurve, SrtpProtectionProfileName } from './dtls/constants.js';
import { DtlsConnection, type DtlsRole } from './dtls/connection.js';
import { WebRtcError } from './errors.js';
import { TypedEmitter } from './events.js';
import {
  IceLiteAgent,
  generateIceParameters,
  type IceParameters,
  type RemoteAddress,
} from './ice/agent.js';
import type { IceCandidate } from './ice/candidate.js';
import type { TcpMux } from './ice/tcp-mux.js';
import { UdpMux, type MuxEndpoint, type UdpMuxOptions } from './ice/udp-mux.js';
import type { StunMessage } from './stun/message.js';

export type WebRtcTransportState = 'new' | 'connecting' | 'connected' | 'closed';

const TRANSITIONS: Record<WebRtcTransportState, readonly WebRtcTransportState[]> = {
  new: ['connecting', 'closed'],
  connecting: ['connected', 'closed'],
  connected: ['closed'],
  closed: [],
};

/** What the remote SDP provides (a=ice-ufrag, a=ice-pwd, a=fingerprint). */
export interface RemoteTransportParameters {
  readonly usernameFragment: string;
  readonly password: string;
  readonly fingerprints: readonly CertificateFingerprint[];
}

/** What the local SDP must announce. */
export interface LocalTransportParameters {
  readonly usernameFragment: string;
  readonly password: string;
  /** a=ice-lite is required in the session description. */
  readonly iceLite: true;
  readonly fingerprint: CertificateFingerprint;
  readonly candidates: readonly IceCandidate[];
  /**
   * a=setup for the local description: 'active' when we are the DTLS client, 'passive' when
   * the server (RFC 8842 §5.3).
   */
  readonly setup: 'active' | 'passive';
}

export type WebRtcTransportCloseReason = 'local' | 'dtls-closed' | 'dtls-failed' | 'socket-closed';

export interface WebRtcTransportCloseInfo {
  readonly reason: WebRtcTransportCloseReason;
  readonly error?: WebRtcError;
}

export interface WebRtcTransportConnectedInfo {
  readonly remoteAddress: RemoteAddress;
  readonly srtpProfile: SrtpProtectionProfileName;
  readonly cipherSuite: string;
}

export interface WebRtcTransportEvents {
  /** ICE nominated a pair and DTLS finished: SRTP flows. */
  connected: (info: WebRtcTransportConnectedInfo) => void;
  /**
   * A decrypted RTP packet. The view is only valid during the callback (its buffer is reused
   * for the next packet): copy it to keep it.
   */
  rtp: (packet: Uint8Array) => void;
  /** A decrypted RTCP compound packet; same lifetime rule as 'rtp'. */
  rtcp: (packet: Uint8Array) => void;
  /** The browser nominated (or re-nominated) this address. */
  'ice-selected': (address: RemoteAddress) => void;
  /** RFC 7675: the browser stopped answering; sending stops until it is heard again or restarted. */
  'consent-expired': () => void;
  closed: (info: WebRtcTransportCloseInfo) => void;
  statechange: (state: WebRtcTransportState) => void;
}

export interface WebRtcTransportCounters {
  srtpDropped: number;
  srtcpDropped: number;
  rtpReceived: number;
  rtpSent: number;
  rtcpReceived: number;
  rtcpSent: number;
  /** Non-STUN/DTLS/RTP bytes on the port (RFC 7983 'unknown'). */
  unknownDropped: number;
}

export interface WebRtcTransportOptions {
  readonly certificate: DtlsCertificate;
  /**
   * DTLS role: 'client' when the local a=setup is active, 'server' when passive. For an answer
   * to a browser's actpass offer either works; 'server' avoids one round trip for the browser.
   */
  readonly dtlsRole: DtlsRole;
  /** Share one UDP port among many transports. Without it, the transport binds its own. */
  readonly mux?: UdpMux;
  /**
   * A passive TCP candidate (RFC 6544) for browsers that cannot reach the UDP port; shared like
   * `mux`. Media then travels RFC 4571-framed on the TCP connection the browser opened.
   */
  readonly tcpMux?: TcpMux;
  /** Bind options for a transport's own port (ignored with `mux`). */
  readonly bind?: UdpMuxOptions;
  readonly remote?: RemoteTransportParameters;
  readonly local?: IceParameters;
  readonly clock?: Clock;
  readonly consentTimeoutMs?: number;
  readonly srtpProfiles?: readonly SrtpProtectionProfileName[];
  readonly curves?: readonly NamedCurve[];
  readonly dtlsRetransmitInitialMs?: number;
  readonly dtlsMaxRetransmissions?: number;
  readonly mtu?: number;
}

/** Largest SRTP datagram we accept: UDP payloads above this are not media. */
const MAX_PACKET = 1500 + 64;

export class WebRtcTransport extends TypedEmitter<WebRtcTransportEvents> implements MuxEndpoint {
  readonly counters: WebRtcTransportCounters = {
    srtpDropped: 0,
    srtcpDropped: 0,
    rtpReceived: 0,
    rtpSent: 0,
    rtcpReceived: 0,
    rtcpSent: 0,
    unknownDropped: 0,
  };
  readonly ice: IceLiteAgent;
  readonly dtls: DtlsConnection;
  readonly #mux: UdpMux;
  readonly #tcpMux: TcpMux | undefined;
  readonly #ownsMux: boolean;
  readonly #options: WebRtcTransportOptions;
  #state: WebRtcTransportState = 'new';
  #remote: RemoteTransportParameters | undefined;
  #sendContext: SrtpContext | undefined;
  #receiveContext: SrtpContext | undefined;
  #consentLost = false;
  readonly #receiveBuffer = new Uint8Array(MAX_PACKET);

  private constructor(options: WebRtcTransportOptions, mux: UdpMux, ownsMux: boolean) {
    super();
    this.#options = options;
    this.#mux = mux;
    this.#tcpMux = options.tcpMux;
    this.#ownsMux = ownsMux;
    this.#remote = options.remote;
    const clock = options.clock ?? systemClock;
    this.ice = new IceLiteAgent({
      local: options.local ?? generateIceParameters(),
      ...(options.remote ? { remote: options.remote } : {}),
      clock,
      ...(options.consentTimeoutMs !== undefined
        ? { consentTimeoutMs: options.consentTimeoutMs }
        : {}),
    });
    this.dtls = new DtlsConnection({
      role: options.dtlsRole,
      certificate: options.certificate,
      clock,
      send: (datagram) => {
        const to = this.ice.bestAddress;
        if (to) this.#send(datagram, to);
      },
      remoteFingerprints: options.remote?.fingerprints ?? [],
      ...(options.srtpProfiles ? { srtpProfiles: options.srtpProfiles } : {}),
      ...(options.curves ? { curves: options.curves } : {}),
      ...(options.dtlsRetransmitInitialMs !== undefined
        ? { retransmitInitialMs: options.dtlsRetransmitInitialMs }
        : {}),
      ...(options.dtlsMaxRetransmissions !== undefined
        ? { maxRetransmissions: options.dtlsMaxRetransmissions }
        : {}),
      ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
    });
    this.ice.on('validated', () => this.#onIceValidated());
    this.ice.on('selected', (address) => {
      this.#consentLost = false;
      // The DTLS client speaks first once the browser has nominated a pair: by then its own
      // ICE is connected and its DTLS endpoint listens (RFC 8842 §5.2). Starting at the first
      // check instead loses the ClientHello to peers that are not ready yet.
      if (this.dtls.state === 'new' && this.#options.dtlsRole === 'client') this.dtls.start();
      this.emit('ice-selected', address);
    });
    this.ice.on('credentials-retired', (usernameFragment) => {
      this.#mux.unregisterUfrag(usernameFragment, this);
      this.#tcpMux?.unregisterUfrag(usernameFragment, this);
    });
    this.ice.on('consent-expired', () => {
      this.#consentLost = true;
      this.emit('consent-expired');
    });
    this.dtls.on('connected', () => this.#onDtlsConnected());
    this.dtls.on('closed', (info) => {
      if (this.#state === 'closed') return;
      this.#shutdown(
        info.reason === 'failed'
          ? { reason: 'dtls-failed', ...(info.error ? { error: info.error } : {}) }
          : { reason: 'dtls-closed' },
      );
    });
    mux.register(this.ice.localParameters.usernameFragment, this);
    this.#tcpMux?.register(this.ice.localParameters.usernameFragment, this);
  }

  #send(packet: Uint8Array, to: RemoteAddress): void {
    if (to.transport === 'tcp') this.#tcpMux?.send(packet, to);
    else this.#mux.send(packet, to);
  }

  /** Creates a transport on a shared mux, or on its own port (bound here). */
  static async create(options: WebRtcTransportOptions): Promise<WebRtcTransport> {
    if (options.mux) return new WebRtcTransport(options, options.mux, false);
    const mux = await UdpMux.bind(options.bind ?? {});
    return new WebRtcTransport(options, mux, true);
  }

  get state(): WebRtcTransportState {
    return this.#state;
  }

  get localParameters(): LocalTransportParameters {
    const ice = this.ice.localParameters;
    return {
      usernameFragment: ice.usernameFragment,
      password: ice.password,
      iceLite: true,
      fingerprint: this.#options.certificate.fingerprint('sha-256'),
      candidates: [...this.#mux.candidates(), ...(this.#tcpMux?.candidates() ?? [])],
      setup: this.#options.dtlsRole === 'client' ? 'active' : 'passive',
    };
  }

  /** The remote description's ICE credentials and DTLS fingerprints. */
  setRemoteParameters(remote: RemoteTransportParameters): void {
    if (this.#state === 'closed') throw new WebRtcError('TRANSPORT_CLOSED', 'transport is closed');
    if (remote.fingerprints.length === 0) {
      throw new WebRtcError(
        'INVALID_ARGUMENT',
        'the remote description has no a=fingerprint (RFC 8122)',
      );
    }
    if (this.#remote && this.dtls.state !== 'new') {
      const same = remote.fingerprints.some((f) =>
        this.#remote!.fingerprints.some(
          (g) => g.algorithm === f.algorithm && g.value.toUpperCase() === f.value.toUpperCase(),
        ),
      );
      if (!same) {
        throw new WebRtcError(
          'DTLS_FINGERPRINT_MISMATCH',
          'the remote fingerprint changed during the DTLS session (needs a new transport)',
        );
      }
    }
    this.#remote = remote;
    this.ice.setRemoteParameters(remote);
    this.dtls.setRemoteFingerprints(remote.fingerprints);
    // DTLS may have finished before the answer arrived; media starts only once verified.
    if (this.dtls.state === 'connected' && this.#state !== 'connected') this.#onDtlsConnected();
  }

  /** RFC 8445 §9 ICE restart: fresh local ufrag/pwd; the DTLS session and SRTP keys stay. */
  restartIce(): LocalTransportParameters {
    if (this.#state === 'closed') throw new WebRtcError('TRANSPORT_CLOSED', 'transport is closed');
    const fresh = this.ice.restart();
    this.#mux.register(fresh.usernameFragment, this);
    this.#tcpMux?.register(fresh.usernameFragment, this);
    return this.localParameters;
  }

  /** Sends one RTP packet through SRTP. False when not connected or consent was lost. */
  sendRtp(packet: Uint8Array): boolean {
    const context = this.#sendContext;
    const to = this.ice.selectedAddress;
    if (!context || !to || this.#consentLost) return false;
    // A fresh buffer per packet: the socket keeps a reference until the datagram leaves.
    this.#send(context.protectRtp(packet), to);
    this.counters.rtpSent++;
    return true;
  }

  /** Sends one RTCP compound packet through SRTCP. */
  sendRtcp(packet: Uint8Array): boolean {
    const context = this.#sendContext;
    const to = this.ice.selectedAddress;
    if (!context || !to || this.#consentLost) return false;
    this.#send(context.protectRtcp(packet), to);
    this.counters.rtcpSent++;
    return true;
  }

  close(): void {
    if (this.#state === 'closed') return;
    this.#shutdown({ reason: 'local' });
  }

  // ---- MuxEndpoint ----

  handleStun(message: StunMessage, from: RemoteAddress): boolean {
    const response = this.ice.handleStun(message, from);
    if (!response) return false;
    this.#send(response.slice(), from);
    return true;
  }

  /**
   * A datagram from an address that passed a connectivity check for this session (the mux
   * routes nothing else here). Media is accepted from any such address: the browser may send
   * before its nomination reaches us, and RFC 8445 §12 lets it.
   */
  handlePacket(packet: Uint8Array, _from: RemoteAddress): void {
    if (this.#state === 'closed') return;
    switch (classifyPacket(packet)) {
      case 'dtls':
        this.dtls.handleDatagram(packet);
        return;
      case 'rtp':
        return this.#receiveRtp(packet);
      case 'rtcp':
        return this.#receiveRtcp(packet);
      default:
        this.counters.unknownDropped++;
    }
  }

  #receiveRtp(packet: Uint8Array): void {
    const context = this.#receiveContext;
    if (!context || packet.length > MAX_PACKET) {
      this.counters.srtpDropped++;
      return;
    }
    let length: number;
    try {
      length = context.unprotectRtpInto(packet, this.#receiveBuffer);
    } catch {
      this.counters.srtpDropped++;
      return;
    }
    this.counters.rtpReceived++;
    this.emit('rtp', this.#receiveBuffer.subarray(0, length));
  }

  #receiveRtcp(packet: Uint8Array): void {
    const context = this.#receiveContext;
    if (!context || packet.length > MAX_PACKET) {
      this.counters.srtcpDropped++;
      return;
    }
    let length: number;
    try {
      length = context.unprotectRtcpInto(packet, this.#receiveBuffer);
    } catch {
      this.counters.srtcpDropped++;
      return;
    }
    this.counters.rtcpReceived++;
    this.emit('rtcp', this.#receiveBuffer.subarray(0, length));
  }

  #transition(next: WebRtcTransportState): void {
    if (!TRANSITIONS[this.#state].includes(next)) {
      throw new WebRtcError(
        'INVALID_STATE_TRANSITION',
        `transport cannot move from ${this.#state} to ${next}`,
      );
    }
    this.#state = next;
    this.emit('statechange', next);
  }

  #onIceValidated(): void {
    if (this.#state === 'new') this.#transition('connecting');
  }

  #onDtlsConnected(): void {
    if (!this.dtls.remoteFingerprintVerified || this.#state === 'closed') return;
    const keys = this.dtls.srtpKeys();
    const profile = srtpProfileByDtlsId(keys.profile.id);
    if (!profile) {
      this.#shutdown({
        reason: 'dtls-failed',
        error: new WebRtcError(
          'DTLS_NO_SHARED_PARAMETERS',
          `no SRTP implementation for ${keys.profile.name}`,
        ),
      });
      return;
    }
    this.#sendContext = new SrtpContext({
      profile,
      masterKey: keys.localMasterKey,
      masterSalt: keys.localMasterSalt,
    });
    this.#receiveContext = new SrtpContext({
      profile,
      masterKey: keys.remoteMasterKey,
      masterSalt: keys.remoteMasterSalt,
    });
    const remoteAddress = this.ice.bestAddress;
    if (this.#state === 'new') this.#transition('connecting');
    this.#transition('connected');
    this.emit('connected', {
      remoteAddress: remoteAddress!,
      srtpProfile: keys.profile.name,
      cipherSuite: this.dtls.cipherSuite!,
    });
  }

  #shutdown(info: WebRtcTransportCloseInfo): void {
    this.#transition('closed');
    if (this.dtls.state !== 'closed' && this.dtls.state !== 'failed') this.dtls.close();
    if (this.ice.state !== 'closed') this.ice.close();
    this.#mux.unregister(this);
    this.#tcpMux?.unregister(this);
    if (this.#ownsMux) this.#mux.close();
    this.#sendContext = undefined;
    this.#receiveContext = undefined;
    this.emit('closed', info);
  }
}
