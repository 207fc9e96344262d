import type { Failure } from './constants.js';
import { CALL_EVENT } from './constants.js';
import { Emitter } from './emitter.js';
import { CallbridgeError } from './errors.js';
import type { MediaConstraints } from './media.js';
import { attachStream, detachStream, getUserMedia, stopStream } from './media.js';
import type { AudioEnergyMark, CallStats } from './stats.js';
import { readStats } from './stats.js';
import type { CallStatus, ClientMessage, DtmfType, SessionDescription } from './protocol/index.js';
import { FINAL_CALL_STATUSES } from './protocol/index.js';

export interface CallOptions {
  /** Number, user or SIP URI to call (outbound calls). */
  readonly callee?: string;
  /** Display name for the SIP From header. */
  readonly visibleName?: string;
  /** Where the local camera shows: a <video> element, or a container for one. */
  readonly localVideoDisplay?: HTMLElement | null;
  /** Where remote video (and audio) plays: a <video>/<audio> element, or a container. */
  readonly remoteVideoDisplay?: HTMLElement | null;
  /** getUserMedia constraints; default audio only. */
  readonly constraints?: Partial<MediaConstraints>;
  /** Receive audio even without sending it (default true). */
  readonly receiveAudio?: boolean;
  /** Receive video (default: whether video is sent). */
  readonly receiveVideo?: boolean;
  /** Extra SIP headers for the INVITE. */
  readonly sipHeaders?: Readonly<Record<string, string>>;
  /** Your own call id (letters, digits, . _ : -); the gateway makes one up otherwise. */
  readonly callId?: string;
}

export interface CallStatusEvent {
  readonly call: Call;
  readonly status: CallStatus;
  readonly failure?: Failure;
  readonly sipStatus?: number;
  readonly sipReason?: string;
}

export interface CallEvents {
  NEW: CallStatusEvent;
  PENDING: CallStatusEvent;
  TRYING: CallStatusEvent;
  RING: CallStatusEvent;
  RING_MEDIA: CallStatusEvent;
  SESSION_PROGRESS: CallStatusEvent;
  ESTABLISHED: CallStatusEvent;
  HOLD: CallStatusEvent;
  BUSY: CallStatusEvent;
  FINISH: CallStatusEvent;
  FAILED: CallStatusEvent;
  TRANSFER_STATUS: { call: Call; sipStatus: number; sipReason: string; final: boolean };
  DTMF_RECEIVED: { call: Call; digits: string; type: DtmfType };
  LOCAL_STREAM: { call: Call; stream: MediaStream };
  REMOTE_STREAM: { call: Call; stream: MediaStream };
}

/** What a Call needs from its session (kept narrow so the two stay decoupled). */
export interface CallHost {
  request(message: ClientMessage): Promise<Record<string, unknown>>;
  createPeerConnection(): RTCPeerConnection;
  mediaDevices(): MediaDevices | undefined;
  forget(call: Call): void;
}

/** How long to wait for ICE candidates before sending an offer/answer (the gateway is ICE-lite; no trickle). */
const ICE_GATHERING_TIMEOUT_MS = 3000;

/** A call id without a round trip; randomUUID needs a secure context, so fall back. */
function newCallId(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (typeof c?.getRandomValues === 'function') c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function waitForIceGathering(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = (): void => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const timer = setTimeout(done, ICE_GATHERING_TIMEOUT_MS);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

/** One call: its signalling state and the RTCPeerConnection it owns. */
export class Call extends Emitter<CallEvents> {
  readonly #id: string;
  #status: CallStatus = 'NEW';
  #failure: Failure | null = null;
  #options: CallOptions;
  readonly #host: CallHost;
  readonly #direction: 'outbound' | 'inbound';
  readonly #caller: string | null;
  readonly #incomingOffer: SessionDescription | null;
  readonly #remoteHasVideo: boolean;
  #pc: RTCPeerConnection | null = null;
  #localStream: MediaStream | null = null;
  #remoteStream: MediaStream | null = null;
  #localElement: HTMLMediaElement | null = null;
  #remoteElement: HTMLMediaElement | null = null;
  #appliedAnswer: string | null = null;
  #audioEnergy: AudioEnergyMark | null = null;

  /** @internal Created by Session.createCall or for incoming calls. */
  constructor(
    host: CallHost,
    options: CallOptions,
    incoming: {
      callId: string;
      caller: string;
      offer: SessionDescription;
      video: boolean;
    } | null = null,
  ) {
    super();
    this.#host = host;
    this.#options = options;
    this.#direction = incoming ? 'inbound' : 'outbound';
    this.#id = incoming?.callId ?? options.callId ?? newCallId();
    this.#caller = incoming?.caller ?? null;
    this.#incomingOffer = incoming?.offer ?? null;
    this.#remoteHasVideo = incoming?.video ?? false;
    if (incoming) this.#status = 'RING';
  }

  /** The call id (chosen by the SDK for outbound calls unless given in the options). */
  id(): string {
    return this.#id;
  }
  status(): CallStatus {
    return this.#status;
  }
  failure(): Failure | null {
    return this.#failure;
  }
  direction(): 'outbound' | 'inbound' {
    return this.#direction;
  }
  callee(): string | null {
    return this.#options.callee ?? null;
  }
  caller(): string | null {
    return this.#caller;
  }
  /** Whether the incoming call offers video, or the outbound call asked for it. */
  hasVideo(): boolean {
    return this.#direction === 'inbound'
      ? this.#remoteHasVideo
      : Boolean(this.#options.constraints?.video);
  }
  localStream(): MediaStream | null {
    return this.#localStream;
  }
  remoteStream(): MediaStream | null {
    return this.#remoteStream;
  }
  peerConnection(): RTCPeerConnection | null {
    return this.#pc;
  }

  /** Places the outbound call: microphone/camera, offer, INVITE through the gateway. */
  async call(): Promise<void> {
    if (this.#direction !== 'outbound' || this.#status !== 'NEW') {
      throw new CallbridgeError(
        'INVALID_STATE',
        `call() is for new outbound calls (this one is ${this.#status})`,
      );
    }
    const callee = this.#options.callee;
    if (!callee) throw new CallbridgeError('INVALID_ARGUMENT', 'createCall needs a callee');
    try {
      const pc = await this.#preparePeer(this.#options);
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      await waitForIceGathering(pc);
      const local = pc.localDescription;
      if (!local) throw new CallbridgeError('WEBRTC_ERROR', 'the browser produced no offer');
      const constraints = this.#constraints(this.#options);
      const result = await this.#host.request({
        type: 'call.create',
        callId: this.#id,
        callee,
        ...(this.#options.visibleName ? { visibleName: this.#options.visibleName } : {}),
        audio: Boolean(constraints.audio) || this.#options.receiveAudio !== false,
        video: Boolean(constraints.video) || this.#options.receiveVideo === true,
        ...(this.#options.sipHeaders ? { sipHeaders: { ...this.#options.sipHeaders } } : {}),
        sdp: { type: 'offer', sdp: local.sdp },
      });
      if (typeof result['status'] === 'string')
        this.handleStatus({ status: result['status'] as CallStatus });
    } catch (error) {
      this.#failLocally(error);
      throw error;
    }
  }

  /** Answers an incoming call; options may add displays and constraints (video follows the offer by default). */
  async answer(options: Partial<CallOptions> = {}): Promise<void> {
    if (this.#direction !== 'inbound' || this.#status !== 'RING' || !this.#incomingOffer) {
      throw new CallbridgeError(
        'INVALID_STATE',
        `answer() is for ringing incoming calls (this one is ${this.#status})`,
      );
    }
    this.#options = { ...this.#options, ...options };
    try {
      const pc = await this.#preparePeer(this.#options, this.#incomingOffer);
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await waitForIceGathering(pc);
      const local = pc.localDescription;
      if (!local) throw new CallbridgeError('WEBRTC_ERROR', 'the browser produced no answer');
      await this.#host.request({
        type: 'call.answer',
        callId: this.#id,
        sdp: { type: 'answer', sdp: local.sdp },
      });
    } catch (error) {
      this.#failLocally(error);
      throw error;
    }
  }

  /** Hangs up; for a ringing incoming call, rejects it (486 Busy Here, or `sipStatus`). */
  async hangup(sipStatus?: number): Promise<void> {
    if (this.#isFinal()) return;
    try {
      await this.#host.request({
        type: 'call.hangup',
        callId: this.#id,
        ...(sipStatus === undefined ? {} : { sipStatus }),
      });
    } finally {
      if (!this.#isFinal()) this.#end('FINISH');
    }
  }

  /** Rejects a ringing incoming call (same as hangup; 603 Decline by default). */
  reject(sipStatus = 603): Promise<void> {
    return this.hangup(sipStatus);
  }

  async hold(): Promise<void> {
    await this.#host.request({ type: 'call.hold', callId: this.#requireId() });
  }

  async unhold(): Promise<void> {
    await this.#host.request({ type: 'call.unhold', callId: this.#requireId() });
  }

  /**
   * Blind transfer to a number/URI, or attended transfer: `held.transfer(current)` connects the
   * party of this call with the party of `current` (REFER with Replaces). Resolves once the SIP
   * side accepted the REFER; progress follows as TRANSFER_STATUS, and on success the gateway
   * ends this call (and `current`), so both reach FINISH without a hangup().
   */
  async transfer(target: string | Call): Promise<void> {
    const callId = this.#requireId();
    if (typeof target === 'string') {
      await this.#host.request({ type: 'call.transfer', callId, target });
    } else {
      await this.#host.request({ type: 'call.transfer', callId, replacesCallId: target.id() });
    }
  }

  /** Sends DTMF digits (0-9, *, #, A-D) as RFC 4733 events (default) or SIP INFO. */
  async sendDTMF(digits: string, type: DtmfType = 'RFC2833'): Promise<void> {
    await this.#host.request({
      type: 'call.dtmf',
      callId: this.#requireId(),
      digits,
      dtmfType: type,
    });
  }

  muteAudio(): void {
    this.#setEnabled('audio', false);
  }
  unmuteAudio(): void {
    this.#setEnabled('audio', true);
  }
  muteVideo(): void {
    this.#setEnabled('video', false);
  }
  unmuteVideo(): void {
    this.#setEnabled('video', true);
  }
  isAudioMuted(): boolean {
    return this.#localStream?.getAudioTracks().every((t) => !t.enabled) ?? false;
  }
  isVideoMuted(): boolean {
    return this.#localStream?.getVideoTracks().every((t) => !t.enabled) ?? false;
  }

  /** Switches the microphone or camera during the call (replaceTrack, no renegotiation). */
  async switchDevice(kind: 'audio' | 'video', deviceId: string): Promise<void> {
    const pc = this.#pc;
    if (!pc || !this.#localStream)
      throw new CallbridgeError('INVALID_STATE', 'the call has no media yet');
    const fresh = await getUserMedia(
      kind === 'audio'
        ? { audio: { deviceId: { exact: deviceId } }, video: false }
        : { audio: false, video: { deviceId: { exact: deviceId } } },
      this.#host.mediaDevices(),
    );
    const track = kind === 'audio' ? fresh.getAudioTracks()[0] : fresh.getVideoTracks()[0];
    if (!track)
      throw new CallbridgeError('MEDIA_DEVICE_NOT_FOUND', `no ${kind} track from ${deviceId}`);
    const sender = pc.getSenders().find((s) => s.track?.kind === kind);
    if (!sender) throw new CallbridgeError('INVALID_STATE', `the call sends no ${kind}`);
    const old = sender.track;
    await sender.replaceTrack(track);
    if (old) {
      track.enabled = old.enabled;
      this.#localStream.removeTrack(old);
      old.stop();
    }
    this.#localStream.addTrack(track);
  }

  /**
   * Packet counters, jitter and the receive audio level from the RTCPeerConnection, read the
   * same way in every browser (see stats.ts); the level is over the time since the last call.
   */
  async getStats(): Promise<CallStats> {
    const pc = this.#pc;
    if (!pc)
      return {
        audio: { inbound: null, outbound: null },
        video: { inbound: null, outbound: null },
        report: null,
      };
    const report = await pc.getStats();
    const { stats, mark } = readStats(report, this.#audioEnergy);
    this.#audioEnergy = mark;
    return { ...stats, report };
  }

  // ------------------------------------------------------------ from the session

  /** @internal A call.status message for this call. */
  handleStatus(message: {
    status: CallStatus;
    failure?: Failure;
    sipStatus?: number;
    sipReason?: string;
    sdp?: SessionDescription;
  }): void {
    if (this.#isFinal()) return;
    if (message.sdp) void this.#applyRemote(message.sdp);
    if (message.failure) this.#failure = message.failure;
    if (message.status === this.#status && !FINAL_CALL_STATUSES.includes(message.status)) return;
    if (FINAL_CALL_STATUSES.includes(message.status)) {
      this.#end(message.status, message);
      return;
    }
    this.#status = message.status;
    this.emit(message.status, { call: this, status: message.status, ...this.#extra(message) });
  }

  /** @internal */
  handleTransferStatus(sipStatus: number, sipReason: string, final: boolean): void {
    this.emit(CALL_EVENT.TRANSFER_STATUS, { call: this, sipStatus, sipReason, final });
  }

  /** @internal */
  handleDtmf(digits: string, type: DtmfType): void {
    this.emit(CALL_EVENT.DTMF_RECEIVED, { call: this, digits, type });
  }

  /** @internal The session is gone: the call cannot continue. */
  handleSessionLost(failure: Failure): void {
    if (this.#isFinal()) return;
    this.#failure = failure;
    this.#end('FAILED', { failure });
  }

  // ------------------------------------------------------------ internals

  #constraints(options: CallOptions): MediaConstraints {
    return {
      audio: options.constraints?.audio ?? true,
      video: options.constraints?.video ?? false,
    };
  }

  async #preparePeer(
    options: CallOptions,
    remoteOffer: SessionDescription | null = null,
  ): Promise<RTCPeerConnection> {
    const constraints = this.#constraints(options);
    this.#localStream = await getUserMedia(constraints, this.#host.mediaDevices());
    this.emit(CALL_EVENT.LOCAL_STREAM, { call: this, stream: this.#localStream });
    if (options.localVideoDisplay && this.#localStream.getVideoTracks().length > 0) {
      this.#localElement = attachStream(options.localVideoDisplay, this.#localStream, true);
    }
    const pc = this.#host.createPeerConnection();
    this.#pc = pc;
    const remote = new MediaStream();
    this.#remoteStream = remote;
    pc.addEventListener('track', (event: RTCTrackEvent) => {
      if (!remote.getTracks().includes(event.track)) remote.addTrack(event.track);
      this.#showRemote(remote);
      this.emit(CALL_EVENT.REMOTE_STREAM, { call: this, stream: remote });
    });
    if (remoteOffer) await pc.setRemoteDescription(remoteOffer);
    for (const track of this.#localStream.getTracks()) pc.addTrack(track, this.#localStream);
    if (!remoteOffer) {
      const receiveAudio = options.receiveAudio !== false;
      const receiveVideo = options.receiveVideo ?? Boolean(constraints.video);
      if (receiveAudio && this.#localStream.getAudioTracks().length === 0)
        pc.addTransceiver('audio', { direction: 'recvonly' });
      if (receiveVideo && this.#localStream.getVideoTracks().length === 0)
        pc.addTransceiver('video', { direction: 'recvonly' });
    }
    return pc;
  }

  #showRemote(remote: MediaStream): void {
    const display = this.#options.remoteVideoDisplay;
    if (display) {
      this.#remoteElement = attachStream(display, remote, false);
    } else if (!this.#remoteElement && typeof Audio === 'function') {
      this.#remoteElement = attachStream(new Audio(), remote, false);
    }
  }

  async #applyRemote(description: SessionDescription): Promise<void> {
    const pc = this.#pc;
    if (!pc) return;
    try {
      if (description.type === 'offer') {
        await pc.setRemoteDescription(description);
        const answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        await this.#host.request({
          type: 'call.sdp',
          callId: this.#requireId(),
          sdp: { type: 'answer', sdp: answer.sdp ?? '' },
        });
        return;
      }
      // An early answer (183) may be repeated in the final answer: apply each SDP once.
      if (description.sdp === this.#appliedAnswer) return;
      if (
        pc.signalingState === 'have-local-offer' ||
        pc.signalingState === 'have-remote-pranswer'
      ) {
        await pc.setRemoteDescription(description);
        this.#appliedAnswer = description.sdp;
      } else {
        console.warn(
          `callbridge: call ${this.#id} ignored a second, different ${description.type}`,
        );
      }
    } catch (error) {
      this.#failLocally(
        new CallbridgeError(
          'WEBRTC_ERROR',
          `the browser refused the gateway's SDP: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        ),
      );
      void this.hangup().catch(() => undefined);
    }
  }

  #extra(m: {
    failure?: Failure;
    sipStatus?: number;
    sipReason?: string;
  }): Partial<CallStatusEvent> {
    return {
      ...(m.failure ? { failure: m.failure } : {}),
      ...(m.sipStatus === undefined ? {} : { sipStatus: m.sipStatus }),
      ...(m.sipReason === undefined ? {} : { sipReason: m.sipReason }),
    };
  }

  #failLocally(error: unknown): void {
    if (this.#isFinal()) return;
    const code = error instanceof CallbridgeError ? error.code : 'WEBRTC_ERROR';
    const mediaCodes: readonly string[] = [
      'MEDIA_PERMISSION_DENIED',
      'MEDIA_DEVICE_NOT_FOUND',
      'MEDIA_DEVICE_BUSY',
      'MEDIA_UNSUPPORTED',
    ];
    const reason: Failure['reason'] = mediaCodes.includes(code)
      ? (code as Failure['reason'])
      : code === 'NOT_CONNECTED' || code === 'REQUEST_TIMEOUT'
        ? 'CONNECTION_LOST'
        : error instanceof CallbridgeError && code !== 'WEBRTC_ERROR'
          ? 'REQUEST_REFUSED'
          : 'WEBRTC_ERROR';
    this.#end('FAILED', {
      failure: { reason, message: error instanceof Error ? error.message : String(error) },
    });
  }

  #end(
    status: CallStatus,
    m: { failure?: Failure; sipStatus?: number; sipReason?: string } = {},
  ): void {
    this.#status = status;
    if (m.failure) this.#failure = m.failure;
    stopStream(this.#localStream);
    detachStream(this.#localElement);
    detachStream(this.#remoteElement);
    this.#pc?.close();
    this.#host.forget(this);
    this.emit(status, { call: this, status, ...this.#extra(m) });
  }

  #isFinal(): boolean {
    return FINAL_CALL_STATUSES.includes(this.#status);
  }

  #requireId(): string {
    if (this.#status === 'NEW')
      throw new CallbridgeError('INVALID_STATE', 'the call has not been placed yet');
    return this.#id;
  }

  #setEnabled(kind: 'audio' | 'video', enabled: boolean): void {
    const tracks =
      kind === 'audio' ? this.#localStream?.getAudioTracks() : this.#localStream?.getVideoTracks();
    for (const track of tracks ?? []) track.enabled = enabled;
  }
}
