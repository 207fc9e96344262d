// The media of one bridged call: the browser leg (ICE-lite + DTLS-SRTP on its own UDP port), the
// SIP leg (plain RTP/RTCP port pair) and the media session between them (relay or transcode).
import { randomBytes } from 'node:crypto';
import { MediaSession } from '@callbridge/media';
import type { CodecRegistry } from '@callbridge/codecs';
import type {
  BridgedMedia,
  CodecsByKind,
  Fingerprint,
  NegotiatedMedia,
  SessionDescription,
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
import type { GatewayMetrics } from '../metrics.js';
import type { Failure } from '../model/status.js';
import { legConfig, sipDtmfMode } from './legs.js';
import { RtpSocketPair } from './rtp-socket.js';

export interface CallMediaContext {
  readonly config: GatewayConfig;
  readonly certificate: DtlsCertificate;
  /** The codec implementations the media session transcodes with. */
  readonly codecs: CodecRegistry;
  /** Per leg, the codecs negotiated: the configured ones `codecs` implements. */
  readonly offered: { readonly webrtc: CodecsByKind; readonly sip: CodecsByKind };
  /** Packet and SRTP failure counters and jitter, added up when the call's media closes. */
  readonly metrics?: GatewayMetrics;
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

/** Whether an offer (from either leg) has a video stream that the call may bridge. */
export function offersVideo(offer: SessionDescription): boolean {
  return offer.media.some((m) => m.kind === 'video' && (m.port !== 0 || m.bundleOnly));
}

/**
 * The SSRCs the browser leg announces (a=ssrc with cname and msid, RFC 5576 / RFC 8830) and the
 * stream ids beside them. The media session picks its own outgoing SSRCs, so the browser leg's
 * transport writes the announced ones over them: receivers that route by signalled SSRC (rather
 * than accepting an unsignalled stream, as Chromium does) then find the track.
 */
export class AnnouncedStreams {
  readonly audio = randomSsrc();
  readonly video = randomSsrc();
  readonly streamId = randomBytes(8).toString('hex');
  /** The media session's SSRC → the announced one; filled from the first packets. */
  readonly #map = new Map<number, number>();
  /** The announced SSRC → the media session's, to read the browser's RTCP about our streams. */
  readonly #reverse = new Map<number, number>();
  #audioPayloadTypes = new Set<number>();
  #videoPayloadTypes = new Set<number>();

  setPayloadTypes(audio: readonly number[], video: readonly number[]): void {
    this.#audioPayloadTypes = new Set(audio);
    this.#videoPayloadTypes = new Set(video);
  }

  /** Rewrites the SSRC of an outgoing RTP packet in place (RFC 3550 §5.1: bytes 8–11). */
  rewriteRtp(packet: Uint8Array): void {
    if (packet.length < 12) return;
    const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
    const ssrc = view.getUint32(8);
    let announced = this.#map.get(ssrc);
    if (announced === undefined) {
      const payloadType = packet[1]! & 0x7f;
      const kind = this.#audioPayloadTypes.has(payloadType)
        ? this.audio
        : this.#videoPayloadTypes.has(payloadType)
          ? this.video
          : undefined;
      if (kind === undefined || [...this.#map.values()].includes(kind)) return;
      announced = kind;
      this.#map.set(ssrc, announced);
      this.#reverse.set(announced, ssrc);
    }
    view.setUint32(8, announced);
  }

  /**
   * Rewrites the sender SSRC of each packet of an outgoing compound RTCP packet (RFC 3550 §6.4.1
   * SR/RR, §6.5 the first SDES chunk, RFC 4585 §6.1 feedback: all at offset 4).
   */
  rewriteRtcp(packet: Uint8Array): void {
    const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
    let offset = 0;
    while (offset + 8 <= packet.length) {
      const ssrc = view.getUint32(offset + 4);
      const announced = this.#map.get(ssrc);
      if (announced !== undefined) view.setUint32(offset + 4, announced);
      offset += (view.getUint16(offset + 2) + 1) * 4;
    }
  }

  /**
   * The reverse for RTCP from the browser: where it names one of our streams (the source of a
   * report block, RFC 3550 §6.4; the media source of PLI/NACK and the FIR target, RFC 4585 §6.1,
   * RFC 5104 §4.3.1) it names the announced SSRC, which the media session does not know. Without
   * this, the browser's keyframe requests never reach the sender on the other leg.
   */
  restoreRtcp(packet: Uint8Array): void {
    if (this.#reverse.size === 0) return;
    const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
    let offset = 0;
    while (offset + 8 <= packet.length) {
      const count = packet[offset]! & 0x1f;
      const type = packet[offset + 1]!;
      const end = Math.min(packet.length, offset + (view.getUint16(offset + 2) + 1) * 4);
      if (type === RTCP_SR || type === RTCP_RR) {
        // Report blocks of 24 bytes after the sender info (SR) or the sender SSRC (RR).
        const first = offset + (type === RTCP_SR ? 28 : 8);
        for (let i = 0; i < count && first + i * 24 + 4 <= end; i++)
          this.#restore(view, first + i * 24);
      } else if (type === RTCP_RTPFB || type === RTCP_PSFB) {
        if (offset + 12 <= end) this.#restore(view, offset + 8);
        if (type === RTCP_PSFB && count === PSFB_FIR) {
          // FIR names its targets in the FCI entries (SSRC, sequence number, reserved).
          for (let at = offset + 12; at + 8 <= end; at += 8) this.#restore(view, at);
        }
      }
      offset = end;
    }
  }

  #restore(view: DataView, at: number): void {
    const ours = this.#reverse.get(view.getUint32(at));
    if (ours !== undefined) view.setUint32(at, ours);
  }

  endpointStreams(): NonNullable<WebRtcEndpoint['streams']> {
    const stream = (kind: 'audio' | 'video', ssrc: number) => ({
      ssrc,
      cname: 'callbridge',
      streamId: this.streamId,
      trackId: `${this.streamId}-${kind}`,
    });
    return { audio: stream('audio', this.audio), video: stream('video', this.video) };
  }
}

// RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1) and the FIR feedback type (RFC 5104 §4.3.1).
const RTCP_SR = 200;
const RTCP_RR = 201;
const RTCP_RTPFB = 205;
const RTCP_PSFB = 206;
const PSFB_FIR = 4;

function ssrcAt(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! << 24) |
      (bytes[offset + 1]! << 16) |
      (bytes[offset + 2]! << 8) |
      bytes[offset + 3]!) >>>
    0
  );
}

function randomSsrc(): number {
  return randomBytes(4).readUInt32BE(0);
}

/**
 * The SIP leg's media transport: audio and video on their own RTP/RTCP port pairs, as SIP phones
 * expect (no BUNDLE). The media session sends both kinds through one transport, so packets are
 * routed by payload type (RTP) and by SSRC (RTCP): our video sender SSRC learned from RTP sent,
 * or, for feedback such as a PLI sent before we sent any video, the phone's video SSRC it is
 * about, learned from RTP received on the video port.
 */
class SipLegTransport {
  readonly #audio: RtpSocketPair;
  readonly #video: RtpSocketPair;
  #videoPayloadTypes = new Set<number>();
  readonly #videoSsrcs = new Set<number>();
  readonly #videoSources = new Set<number>();

  constructor(audio: RtpSocketPair, video: RtpSocketPair) {
    this.#audio = audio;
    this.#video = video;
  }

  setVideoPayloadTypes(payloadTypes: readonly number[]): void {
    this.#videoPayloadTypes = new Set(payloadTypes);
  }

  sendRtp(data: Uint8Array, length: number): void {
    if (length >= 12 && this.#videoPayloadTypes.has(data[1]! & 0x7f)) {
      this.#videoSsrcs.add(ssrcAt(data, 8));
      this.#video.sendRtp(data, length);
    } else {
      this.#audio.sendRtp(data, length);
    }
  }

  /** An RTP packet the phone sent to our video port: remember its SSRC. */
  receivedVideo(packet: Uint8Array): void {
    if (packet.length < 12) return;
    const ssrc = ssrcAt(packet, 8);
    if (this.#videoSources.has(ssrc)) return;
    // A phone uses one or two video sources; a flood of SSRCs must not grow this without bound.
    if (this.#videoSources.size >= 8) this.#videoSources.clear();
    this.#videoSources.add(ssrc);
  }

  sendRtcp(data: Uint8Array, length: number): void {
    const type = length >= 12 ? data[1]! : 0;
    const toVideo =
      (length >= 8 && this.#videoSsrcs.has(ssrcAt(data, 4))) ||
      ((type === RTCP_RTPFB || type === RTCP_PSFB) && this.#videoSources.has(ssrcAt(data, 8)));
    if (toVideo) this.#video.sendRtcp(data, length);
    else this.#audio.sendRtcp(data, length);
  }
}

export class CallMedia {
  readonly transport: WebRtcTransport;
  readonly rtp: RtpSocketPair;
  /** The SIP leg's video ports, when video codecs are configured for the SIP side. */
  readonly videoRtp: RtpSocketPair | undefined;
  readonly #sipTransport: SipLegTransport | RtpSocketPair;
  readonly #context: CallMediaContext;
  readonly #streams = new AnnouncedStreams();
  #session: MediaSession | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #onFailure: MediaFailureListener = () => undefined;

  private constructor(
    context: CallMediaContext,
    transport: WebRtcTransport,
    rtp: RtpSocketPair,
    videoRtp: RtpSocketPair | undefined,
  ) {
    this.#context = context;
    this.transport = transport;
    this.rtp = rtp;
    this.videoRtp = videoRtp;
    const sipTransport = videoRtp ? new SipLegTransport(rtp, videoRtp) : rtp;
    this.#sipTransport = sipTransport;
    if (videoRtp && sipTransport instanceof SipLegTransport) {
      videoRtp.onRtp = (packet) => {
        sipTransport.receivedVideo(packet);
        this.#session?.receiveRtp('b', packet);
      };
      videoRtp.onRtcp = (packet) => this.#session?.receiveRtcp('b', packet);
    }
    transport.on('rtp', (packet) => this.#session?.receiveRtp('a', packet));
    transport.on('rtcp', (packet) => {
      this.#streams.restoreRtcp(packet);
      this.#session?.receiveRtcp('a', packet);
    });
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
   * offer (RFC 5763 §5), `server` when we offer actpass and the browser answers active. The SIP
   * leg gets video ports only when the offer has video and video codecs are configured for the
   * SIP side, so voice calls use one port pair.
   */
  static async open(
    context: CallMediaContext,
    dtlsRole: DtlsRole,
    remote: RemoteTransportParameters | undefined,
    video: boolean,
  ): Promise<CallMedia> {
    const { config } = context;
    const rtp = await RtpSocketPair.open(config.sip.listenHost, config.media.rtpPorts);
    let videoRtp: RtpSocketPair | undefined;
    let transport: WebRtcTransport;
    try {
      if (video && config.media.sipCodecs.some((c) => c === 'VP8' || c === 'H264'))
        videoRtp = await RtpSocketPair.open(config.sip.listenHost, config.media.rtpPorts);
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
      videoRtp?.close();
      throw error;
    }
    return new CallMedia(context, transport, rtp, videoRtp);
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
      streams: this.#streams.endpointStreams(),
    };
  }

  /** The codecs each leg negotiates. */
  get offered(): CallMediaContext['offered'] {
    return this.#context.offered;
  }

  sipEndpoint(): SipEndpoint {
    const { config } = this.#context;
    return {
      profile: 'sip',
      address: config.media.publicAddress ?? config.sip.publicAddress ?? config.sip.listenHost,
      ports: {
        audio: this.rtp.port,
        ...(this.videoRtp ? { video: this.videoRtp.port } : {}),
      },
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
    const payloadTypes = (m: BridgedMedia | undefined): number[] =>
      m?.webrtc?.codecs.map((c) => c.sendPayloadType) ?? [];
    this.#streams.setPayloadTypes(payloadTypes(audio), payloadTypes(video));
    const browser = legConfig({
      transport: {
        sendRtp: (data, length) => {
          const packet = data.subarray(0, length);
          this.#streams.rewriteRtp(packet);
          this.transport.sendRtp(packet);
        },
        sendRtcp: (data, length) => {
          const packet = data.subarray(0, length);
          this.#streams.rewriteRtcp(packet);
          this.transport.sendRtcp(packet);
        },
      },
      audio: audio?.webrtc,
      video: video?.webrtc,
      dtmf: 'rfc4733',
      cname: 'callbridge',
    });
    const sipVideo = video?.sip;
    if (this.videoRtp && sipVideo?.remoteAddress && sipVideo.remotePort > 0) {
      this.videoRtp.setTarget({
        address: sipVideo.remoteAddress.address,
        rtpPort: sipVideo.remotePort,
        rtcpPort: sipVideo.remoteRtcpPort,
      });
    }
    if (this.#sipTransport instanceof SipLegTransport)
      this.#sipTransport.setVideoPayloadTypes(sipVideo?.codecs.map((c) => c.sendPayloadType) ?? []);
    const sip = legConfig({
      transport: this.#sipTransport,
      audio: sipAudio,
      video: video?.sip,
      dtmf: sipDtmfMode(sipAudio, this.#context.config.media.dtmfMode),
      cname: 'callbridge',
    });
    if (this.#session) {
      await this.#session.updateLeg('a', browser);
      await this.#session.updateLeg('b', sip);
    } else {
      const session = await MediaSession.create({
        a: browser,
        b: sip,
        codecs: this.#context.codecs,
        holdTone: this.#context.config.media.holdTone,
      });
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

  /**
   * Adds this call's packet counts to the gateway metrics, and the interarrival jitter each leg's
   * audio had (RFC 3550 A.8) to the jitter histogram (once, at close).
   */
  #report(): void {
    const metrics = this.#context.metrics;
    const session = this.#session;
    if (!metrics) return;
    if (session) {
      for (const [id, leg] of [
        ['a', 'browser'],
        ['b', 'sip'],
      ] as const) {
        const stats = session.statistics(id);
        metrics.rtpPackets.inc({ leg, direction: 'in' }, stats.rtpReceived);
        metrics.rtpPackets.inc({ leg, direction: 'out' }, stats.rtpSent);
        if (stats.audioJitterMs !== undefined) metrics.jitterMs.observe(stats.audioJitterMs);
      }
    }
    const counters = this.transport.counters;
    if (counters.srtpDropped > 0) metrics.srtpFailures.inc({ kind: 'srtp' }, counters.srtpDropped);
    if (counters.srtcpDropped > 0)
      metrics.srtpFailures.inc({ kind: 'srtcp' }, counters.srtcpDropped);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#report();
    this.#session?.close();
    this.transport.close();
    this.rtp.close();
    this.videoRtp?.close();
  }
}
