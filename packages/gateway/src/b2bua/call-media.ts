// The media of one bridged call: the browser leg (ICE-lite + DTLS-SRTP on its own UDP port), the
// SIP leg (plain RTP/RTCP port pair) and the media session between them (relay or transcode).
import { MediaSession } from '@callbridge/media';
import type {
  BridgedMedia,
  Fingerprint,
  NegotiatedMedia,
  SipEndpoint,
  WebRtcEndpoint,
} from '@callbridge/sdp';
import {
  WebRtcTransport,
  type DtlsCertificate,
  type DtlsRole,
  type RemoteTransportParameters,
  type WebRtcTransportCloseInfo,
} from '@callbridge/webrtc';
import type { GatewayConfig } from '../config.js';
import type { Failure } from '../model/status.js';
import { legConfig, sipDtmfMode } from './legs.js';
import { RtpSocketPair } from './rtp-socket.js';

export interface CallMediaContext {
  readonly config: GatewayConfig;
  readonly certificate: DtlsCertificate;
}

/** How long the browser has to finish ICE and DTLS once it has our description. */
const CONNECT_TIMEOUT_MS = 20_000;

export type MediaFailureListener = (failure: Failure) => void;

/** The description's fingerprints as the DTLS layer compares them. */
export function remoteTransportParameters(
  media: Pick<NegotiatedMedia, 'remoteIce' | 'remoteFingerprints'>,
): RemoteTransportParameters | undefined {
  if (!media.remoteIce) return undefined;
  return {
    usernameFragment: media.remoteIce.ufrag,
    password: media.remoteIce.pwd,
    fingerprints: media.remoteFingerprints.map((f: Fingerprint) => ({
      algorithm: f.algorithm.toLowerCase() as 'sha-256',
      value: f.value,
    })),
  };
}

export class CallMedia {
  readonly transport: WebRtcTransport;
  readonly rtp: RtpSocketPair;
  readonly #context: CallMediaContext;
  #session: MediaSession | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #onFailure: MediaFailureListener = () => undefined;

  private constructor(context: CallMediaContext, transport: WebRtcTransport, rtp: RtpSocketPair) {
    this.#context = context;
    this.transport = transport;
    this.rtp = rtp;
    transport.on('rtp', (packet) => this.#session?.receiveRtp('a', packet));
    transport.on('rtcp', (packet) => this.#session?.receiveRtcp('a', packet));
    transport.on('connected', () => {
      if (this.#connectTimer) clearTimeout(this.#connectTimer);
      this.#connectTimer = undefined;
    });
    transport.on('consent-expired', () =>
      this.#fail({
        reason: 'FAILED_BY_ICE_ERROR',
        message: 'the browser stopped answering ICE consent checks (RFC 7675)',
      }),
    );
    transport.on('closed', (info) => this.#transportClosed(info));
    rtp.onRtp = (packet) => this.#session?.receiveRtp('b', packet);
    rtp.onRtcp = (packet) => this.#session?.receiveRtcp('b', packet);
  }

  /**
   * Opens both legs' sockets. `dtlsRole` is ours: `client` when we answer a browser's actpass
   * offer (RFC 5763 §5), `server` when we offer actpass and the browser answers active.
   */
  static async open(
    context: CallMediaContext,
    dtlsRole: DtlsRole,
    remote: RemoteTransportParameters | undefined,
  ): Promise<CallMedia> {
    const { config } = context;
    const rtp = await RtpSocketPair.open(config.sip.listenHost, config.media.rtpPorts);
    let transport: WebRtcTransport;
    try {
      transport = await WebRtcTransport.create({
        certificate: context.certificate,
        dtlsRole,
        bind: {
          address: config.listen.host,
          ...(config.media.publicAddress ? { announcedAddress: config.media.publicAddress } : {}),
        },
        ...(remote ? { remote } : {}),
      });
    } catch (error) {
      rtp.close();
      throw error;
    }
    return new CallMedia(context, transport, rtp);
  }

  onFailure(listener: MediaFailureListener): void {
    this.#onFailure = listener;
  }

  get session(): MediaSession | undefined {
    return this.#session;
  }

  webrtcEndpoint(): WebRtcEndpoint {
    const local = this.transport.localParameters;
    return {
      profile: 'webrtc',
      ice: { ufrag: local.usernameFragment, pwd: local.password },
      iceLite: true,
      candidates: local.candidates,
      fingerprints: [local.fingerprint],
      setup: local.setup,
    };
  }

  sipEndpoint(): SipEndpoint {
    const { config } = this.#context;
    return {
      profile: 'sip',
      address: config.media.publicAddress ?? config.sip.publicAddress ?? config.sip.listenHost,
      ports: { audio: this.rtp.port },
      ptime: 20,
    };
  }

  /** The browser's ICE credentials and fingerprint, once its answer arrived. */
  setBrowserParameters(remote: RemoteTransportParameters): void {
    this.transport.setRemoteParameters(remote);
  }

  /** Starts (or updates) media with what both legs negotiated. */
  async start(media: readonly BridgedMedia[]): Promise<'relay' | 'transcode'> {
    const audio = media.find((m) => m.kind === 'audio' && m.mode !== 'rejected');
    const video = media.find((m) => m.kind === 'video' && m.mode !== 'rejected');
    const sipAudio = audio?.sip;
    if (sipAudio?.remoteAddress && sipAudio.remotePort > 0) {
      this.rtp.setTarget({
        address: sipAudio.remoteAddress.address,
        rtpPort: sipAudio.remotePort,
        rtcpPort: sipAudio.remoteRtcpPort,
      });
    }
    const browser = legConfig({
      transport: {
        sendRtp: (data, length) => this.transport.sendRtp(data.subarray(0, length)),
        sendRtcp: (data, length) => this.transport.sendRtcp(data.subarray(0, length)),
      },
      audio: audio?.webrtc,
      video: video?.webrtc,
      dtmf: 'rfc4733',
      cname: 'callbridge',
    });
    const sip = legConfig({
      transport: this.rtp,
      audio: sipAudio,
      video: video?.sip,
      dtmf: sipDtmfMode(sipAudio, this.#context.config.media.dtmfMode),
      cname: 'callbridge',
    });
    if (this.#session) {
      await this.#session.updateLeg('a', browser);
      await this.#session.updateLeg('b', sip);
    } else {
      const session = await MediaSession.create({ a: browser, b: sip });
      if (this.#closed) {
        session.close();
        return 'relay';
      }
      this.#session = session;
      session.on('inactive', ({ leg, silentForMs }) =>
        this.#fail({
          reason: 'FAILED_BY_RTP_ACTIVITY',
          message: `no media from the ${leg === 'a' ? 'browser' : 'SIP'} side for ${Math.round(silentForMs / 1000)} s`,
        }),
      );
      if (this.transport.state !== 'connected') {
        this.#connectTimer = setTimeout(
          () =>
            this.#fail({
              reason: 'FAILED_BY_ICE_ERROR',
              message: `ICE and DTLS with the browser did not complete within ${CONNECT_TIMEOUT_MS / 1000} s`,
            }),
          CONNECT_TIMEOUT_MS,
        );
      }
    }
    return audio?.mode === 'transcode' ? 'transcode' : 'relay';
  }

  #transportClosed(info: WebRtcTransportCloseInfo): void {
    if (this.#closed || info.reason === 'local') return;
    const code = info.error?.code;
    if (code === 'DTLS_FINGERPRINT_MISMATCH') {
      this.#fail({
        reason: 'FAILED_BY_DTLS_FINGERPRINT_ERROR',
        message: "the browser's DTLS certificate does not match the a=fingerprint of its SDP",
      });
    } else if (info.reason === 'dtls-failed') {
      this.#fail({
        reason: 'FAILED_BY_DTLS_ERROR',
        message: info.error?.message ?? 'the DTLS handshake with the browser failed',
      });
    } else {
      this.#fail({
        reason: 'FAILED_BY_ICE_ERROR',
        message: `browser transport closed: ${info.reason}`,
      });
    }
  }

  #fail(failure: Failure): void {
    if (this.#closed) return;
    this.#onFailure(failure);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#session?.close();
    this.transport.close();
    this.rtp.close();
  }
}
