// One bridged call: the browser leg and the SIP leg, as call control sees it (a SipLeg). The
// outgoing and incoming flows differ only in who offers; once confirmed they share everything.
import {
  answerDirection,
  browserAnswerToSip,
  browserOfferToSip,
  createAnswer,
  describeNegotiation,
  effectiveDirection,
  parseSdp,
  serializeSdp,
  sipAnswerToBrowser,
  sipOfferToBrowser,
  SdpError,
  type BridgedMedia,
  type GatewayMediaConfig,
  type GatewayOffer,
  type SessionDescription as SdpDescription,
} from '@callbridge/sdp';
import { formatDtmfInfo, parseDigit, type DtmfDigit } from '@callbridge/media';
import {
  SipUri,
  localFailureCause,
  localFailureOf,
  type IncomingCall,
  type IncomingOffer,
  type InviteSession,
  type OutgoingCall,
  type ServerTransaction,
  type SipResponse,
  type DialogId,
} from '@callbridge/sip';
import type {
  CallEnd,
  ServerMediaSource,
  SessionDescription,
  SipLeg,
  SipLegEmit,
  SipLegEventMap,
  TransferTarget,
} from '../backend.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { DtmfType, Failure } from '../model/status.js';
import type { CallMedia } from './call-media.js';
import { offersVideo, remoteTransportParameters } from './call-media.js';
import { offerHolds, withDirection } from './hold.js';
import {
  answerAsIf,
  attendedReferTo,
  codecsForNewSipLeg,
  parseReferTo,
  withNewSipLeg,
  type ReplaceableDialog,
} from './transfer.js';

const SDP = 'application/sdp';
/** Gap between digits sent one after another (ITU-T Q.24 asks for at least 40 ms). */
const DTMF_DIGIT_MS = 160;
const DTMF_GAP_MS = 80;
/**
 * How long the other side of a transfer gets to end its dialog itself (RFC 5589 §6.1, §7.1:
 * the transferor's BYE, the transfer target's BYE for the replaced call) before we do.
 */
const TRANSFER_BYE_GRACE_MS = 2000;
/** RFC 5168 §3: the XML body of a full-intra-request over SIP INFO. */
const PICTURE_FAST_UPDATE =
  '<?xml version="1.0" encoding="utf-8" ?>\r\n' +
  '<media_control><vc_primitive><to_encoder><picture_fast_update/></to_encoder></vc_primitive></media_control>\r\n';

export class B2buaError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'B2buaError';
    this.code = code;
  }
}

/**
 * Says that the SIP server could not be reached, and why when the transport told (a refused
 * connection, a TLS certificate that does not verify, ...).
 */
export function unreachableMessage(response: SipResponse): string {
  const reasons: string[] = [];
  for (let cause = localFailureCause(response); cause instanceof Error; cause = cause.cause) {
    const line = cause.message.trim().split('\n')[0] ?? '';
    if (line && !reasons.some((r) => r.includes(line))) reasons.push(line);
  }
  return ['the SIP server could not be reached', ...reasons].join(': ');
}

/** The failure to report for a final SIP error response. */
export function failureOfResponse(response: SipResponse): CallEnd {
  const sipStatus = response.status;
  const sipReason = response.reason;
  if (sipStatus === 486 || sipStatus === 600) return { kind: 'busy', sipStatus, sipReason };
  // A 503 this side made up because the request could not be sent: the server is unreachable.
  if (localFailureOf(response) === 'transport')
    return {
      kind: 'failed',
      failure: {
        reason: 'SIP_SERVER_UNREACHABLE',
        sipStatus,
        sipReason,
        message: unreachableMessage(response),
      },
    };
  const failure: Failure =
    sipStatus === 408
      ? { reason: 'FAILED_BY_REQUEST_TIMEOUT', sipStatus, sipReason }
      : sipStatus === 488 || sipStatus === 606
        ? { reason: 'NO_COMMON_CODECS', sipStatus, sipReason }
        : { reason: 'SIP_ERROR', sipStatus, sipReason };
  return { kind: 'failed', failure };
}

export interface BridgedCallContext {
  readonly mediaConfig: (media: CallMedia) => GatewayMediaConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly onEnded: (call: BridgedCall) => void;
  /** A SIP dialog of the call ended (an INVITE with Replaces naming it then gets 603). */
  readonly dialogEnded?: (id: DialogId) => void;
  /** A BYE still in flight after the call ended: the account waits for it before closing. */
  readonly pending: (done: Promise<unknown>) => void;
  /** Places a new INVITE from the same account (to follow a REFER from the SIP side). */
  readonly invite?: (
    target: string,
    offer: { body: string; contentType: string },
    headers: readonly (readonly [string, string])[],
  ) => OutgoingCall;
}

/** What the two flows share once the SIP dialog exists. */
export abstract class BridgedCall implements SipLeg {
  protected readonly context: BridgedCallContext;
  protected emit: SipLegEmit;
  protected media: CallMedia | undefined;
  protected session: InviteSession | undefined;
  protected bridged: readonly BridgedMedia[] = [];
  #ended = false;
  #mediaWired = false;
  #referring = false;
  /** An INVITE with Replaces is taking over the SIP leg (until its 200 is sent). */
  #replacing = false;
  /** A REFER this call sent, until its final NOTIFY (and the call it replaces, if attended). */
  #transferring: { readonly replaces: BridgedCall | undefined } | undefined;
  #held = false;
  #remoteHeld = false;

  protected constructor(context: BridgedCallContext, emit: SipLegEmit) {
    this.context = context;
    this.emit = emit;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The confirmed SIP dialog (for attended transfer of another call). */
  get sipSession(): InviteSession | undefined {
    return this.session;
  }

  /** Queues an event: the contract says never synchronously from inside a method call. */
  protected send<K extends keyof SipLegEventMap>(event: K, payload: SipLegEventMap[K]): void {
    if (this.#ended) return;
    queueMicrotask(() => this.emit(event, payload));
  }

  /** Ends the call once: releases media, emits `ended`. */
  protected end(how: CallEnd): void {
    if (this.#ended) return;
    this.send('ended', how);
    this.#ended = true;
    this.media?.close();
    this.context.onEnded(this);
  }

  /** BYE (§15.1.1), tracked so that closing the account does not cut it off. */
  protected sendBye(session: InviteSession): Promise<unknown> {
    const done = session.bye().catch(() => undefined);
    this.context.pending(done);
    return done;
  }

  protected fail(failure: Failure): void {
    if (this.#ended) return;
    this.context.logger.warn('call failed', { reason: failure.reason, message: failure.message });
    const session = this.session;
    this.end({ kind: 'failed', failure });
    if (session?.state === 'confirmed') void this.sendBye(session);
  }

  protected async startMedia(bridged: readonly BridgedMedia[]): Promise<'relay' | 'transcode'> {
    const media = this.media!;
    this.bridged = bridged;
    const mode = await media.start(bridged);
    const session = media.session;
    // start() runs again for each new answer (183, then 200, re-INVITEs): listen once.
    if (session && !this.#mediaWired) {
      this.#mediaWired = true;
      session.on('dtmf', ({ leg, digit }) => {
        if (leg === 'b') this.send('dtmf', { digits: digit, type: 'RFC2833' });
      });
      session.on('sipInfo', ({ leg, contentType, body }) => {
        if (leg === 'b') void this.session?.info(body, contentType).catch(() => undefined);
      });
      session.on('pictureFastUpdate', ({ leg }) => {
        // RFC 5168 §3: ask the SIP side for a video keyframe the browser needs.
        if (leg === 'b') {
          void this.session
            ?.info(PICTURE_FAST_UPDATE, 'application/media_control+xml')
            .catch(() => undefined);
        }
      });
    }
    return mode;
  }

  /** Wires the confirmed SIP dialog: BYE, re-INVITE (remote hold), INFO, NOTIFY. */
  protected confirmed(session: InviteSession): void {
    this.session = session;
    session.on('terminated', (reason) => {
      this.context.dialogEnded?.(session.dialog.id);
      // A dialog replaced by a transfer the SIP side asked for ends without ending the call.
      if (session !== this.session) return;
      if (reason === 'remote-bye') this.end({ kind: 'finished', by: 'remote' });
      else if (reason === 'local-bye') this.end({ kind: 'finished', by: 'local' });
      else
        this.end({
          kind: 'failed',
          failure: { reason: 'FAILED_BY_REQUEST_TIMEOUT', message: `SIP session ended: ${reason}` },
        });
    });
    session.on('reinvite', (offer) => this.#remoteOffer(offer));
    session.on('update', (offer) => this.#remoteOffer(offer));
    session.on('request', (tx) => this.#inDialogRequest(tx));
  }

  #remoteOffer(offer: IncomingOffer): void {
    const local = this.session?.localBody;
    if (offer.body.length === 0 || !local) {
      offer.accept(local);
      return;
    }
    let text: string;
    let held: boolean;
    let ours: string;
    try {
      text = new TextDecoder().decode(offer.body);
      held = offerHolds(text);
      const audio = parseSdp(text).media.find((m) => m.kind === 'audio' && m.port !== 0);
      const direction = audio
        ? answerDirection(effectiveDirection(audio), this.#held ? 'sendonly' : 'sendrecv')
        : 'sendrecv';
      ours = withDirection(
        typeof local.body === 'string' ? local.body : new TextDecoder().decode(local.body),
        direction,
      );
    } catch (error) {
      offer.reject(error instanceof SdpError ? error.sipStatus : 488);
      return;
    }
    offer.accept({ body: ours, contentType: SDP });
    this.#setRemoteHeld(held);
  }

  /** Whether the SIP side holds us (its SDP), reported to the browser when it changes. */
  #setRemoteHeld(held: boolean): void {
    if (held === this.#remoteHeld) return;
    this.#remoteHeld = held;
    this.#holdMedia();
    this.send('remoteHold', { held });
  }

  /**
   * The SIP leg's media stops both ways while either side holds. With `media.holdTone` the party
   * put on hold hears a tone: the phone when the browser holds, the browser when the phone holds,
   * nobody when both hold (the SDP is inactive).
   */
  #holdMedia(): void {
    const toneTo = this.#held === this.#remoteHeld ? 'none' : this.#held ? 'b' : 'a';
    this.media?.session?.setHold('b', this.#held || this.#remoteHeld, toneTo);
  }

  #inDialogRequest(tx: ServerTransaction): void {
    const request = tx.request;
    switch (request.method) {
      case 'INFO': {
        const contentType = request.header('Content-Type') ?? '';
        if (/^application\/dtmf(-relay)?\b/i.test(contentType)) {
          try {
            this.media?.session?.receiveSipInfo('b', contentType, request.bodyText);
            tx.reply(200);
          } catch {
            tx.reply(400, 'Bad DTMF Body');
          }
          return;
        }
        if (/picture_fast_update/.test(request.bodyText)) {
          // RFC 5168: the SIP side asks for a keyframe of the browser's video.
          this.media?.session?.requestKeyframe('b');
          tx.reply(200);
          return;
        }
        tx.reply(415);
        return;
      }
      case 'NOTIFY': {
        tx.reply(200);
        // RFC 3515 §2.4.5: the progress of a REFER we sent, as a message/sipfrag status line.
        const match = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/m.exec(request.bodyText);
        if (match) {
          const sipStatus = Number(match[1]);
          const state = request.header('Subscription-State') ?? '';
          const final = sipStatus >= 200 || /^terminated/i.test(state);
          this.send('transferProgress', { sipStatus, sipReason: (match[2] ?? '').trim(), final });
          if (final) this.#transferEnded(sipStatus >= 200 && sipStatus < 300);
        }
        return;
      }
      case 'REFER': {
        const refer = parseReferTo(request.header('Refer-To') ?? '');
        if (!refer || !this.context.invite || !this.canFollowRefer() || this.#referring) {
          tx.reply(603, 'Transfer Not Accepted By Gateway');
          return;
        }
        // RFC 3515 §2.4.2: accept, then report the new call's progress with NOTIFY.
        tx.reply(202, 'Accepted');
        this.#followRefer(refer.target, refer.replaces, request.header('Referred-By'));
        return;
      }
      default:
        tx.reply(405);
    }
  }

  /**
   * The final NOTIFY of a REFER we sent. On success the transferee has its new call, so ours
   * ends (RFC 5589 §6.1, §7.1: the transferor sends BYE); the call an attended transfer
   * replaced is ended by the transfer target, or by us if it does not.
   */
  #transferEnded(succeeded: boolean): void {
    const transfer = this.#transferring;
    this.#transferring = undefined;
    if (!transfer || !succeeded) return;
    const session = this.session;
    this.end({ kind: 'finished', by: 'local' });
    if (session?.state === 'confirmed') void this.sendBye(session);
    const replaced = transfer.replaces;
    if (replaced) {
      this.context.clock.setTimeout(() => {
        if (!replaced.ended) void replaced.hangup();
      }, TRANSFER_BYE_GRACE_MS);
    }
  }

  /**
   * RFC 3515 / RFC 5589 §6, §7: the SIP side transfers us. We call the Refer-To target from the
   * same account with the same media offer (with the Replaces header of an attended transfer,
   * RFC 3891 §4); once it answers, its dialog replaces the old one under the same browser leg,
   * and the referrer hears how it went as message/sipfrag NOTIFYs.
   */
  #followRefer(target: string, replaces: string | undefined, referredBy: string | undefined): void {
    const old = this.session!;
    const local = old.localBody;
    if (!local) return;
    this.#referring = true;
    const notify = (status: string, final: boolean): void => {
      if (old.state !== 'confirmed') return;
      void old
        .request('NOTIFY', {
          headers: [
            ['Event', 'refer'],
            ['Subscription-State', final ? 'terminated;reason=noresource' : 'active;expires=60'],
          ],
          body: `SIP/2.0 ${status}\r\n`,
          contentType: 'message/sipfrag;version=2.0',
        })
        .catch(() => undefined);
    };
    notify('100 Trying', false);
    // Our last description on the old dialog may answer its hold: the new call starts afresh.
    const body = withDirection(
      typeof local.body === 'string' ? local.body : new TextDecoder().decode(local.body),
      this.#held ? 'sendonly' : 'sendrecv',
    );
    const headers: [string, string][] = [];
    if (replaces !== undefined) headers.push(['Replaces', replaces]);
    // RFC 3892 §3: the new INVITE names who asked for it.
    if (referredBy !== undefined) headers.push(['Referred-By', referredBy]);
    const call = this.context.invite!(target, { body, contentType: SDP }, headers);
    call.on('answered', (next) => {
      this.#referring = false;
      if (this.ended) {
        void this.sendBye(next);
        return;
      }
      void (async () => {
        const answer = new TextDecoder().decode(next.remoteBody);
        try {
          await this.startMedia(this.#sipMediaFor(body, answer));
        } catch (error) {
          notify('488 Not Acceptable Here', true);
          void this.sendBye(next);
          this.context.logger.warn('transfer target answer not usable', {
            message: (error as Error).message,
          });
          return;
        }
        this.confirmed(next);
        // The party we were transferred to does not hold us, whatever the transferor did.
        this.#setRemoteHeld(offerHolds(answer));
        notify('200 OK', true);
        this.send('referred', { target });
        // RFC 5589 §6.1: the transferor ends its dialog; do it ourselves if it does not.
        this.context.clock.setTimeout(() => {
          if (old.state === 'confirmed') void this.sendBye(old);
        }, TRANSFER_BYE_GRACE_MS);
      })();
    });
    call.on('failed', (response) => {
      this.#referring = false;
      notify(`${response.status} ${response.reason}`, true);
    });
  }

  /** Whether this call has a browser leg that a new SIP leg can be put under. */
  protected canFollowRefer(): boolean {
    return this.media !== undefined && this.bridged.some((m) => m.webrtc && m.mode !== 'rejected');
  }

  /** The call's media for a new SIP answer to our offer (REFER target): the browser leg stays. */
  #sipMediaFor(offer: string, answer: string): readonly BridgedMedia[] {
    return withNewSipLeg(
      this.bridged,
      describeNegotiation(parseSdp(offer), parseSdp(answer), 'offerer'),
    );
  }

  /** The SIP dialogs an INVITE with Replaces may name (RFC 3891 §3). */
  get replaceableDialogs(): ReplaceableDialog<BridgedCall>[] {
    const session = this.session;
    if (!session || this.ended || session.state === 'terminated') return [];
    return [
      {
        id: session.dialog.id,
        state: 'confirmed',
        initiatedLocally: session.dialog.role === 'uac',
        owner: this,
      },
    ];
  }

  /**
   * RFC 3891 §3: an INVITE with Replaces names this call's confirmed dialog (we are the target
   * of an attended transfer). The new SIP leg takes the old one's place under
   * the same browser leg: we answer its offer with codecs the browser leg can be bridged to,
   * media moves to it, and the old dialog gets BYE. The browser's call stays as it is.
   */
  async replaceSipLeg(incoming: IncomingCall): Promise<void> {
    const old = this.session;
    const media = this.media;
    if (!old || !media || this.ended || !this.canFollowRefer()) {
      incoming.reject(481);
      return;
    }
    // The dialog is already on its way out (another replacement, or a REFER being followed).
    if (this.#replacing || this.#referring) {
      incoming.reject(603, 'Dialog Being Replaced');
      return;
    }
    this.#replacing = true;
    try {
      await this.#replaceSipLeg(incoming, old, media);
    } finally {
      this.#replacing = false;
    }
  }

  async #replaceSipLeg(
    incoming: IncomingCall,
    old: InviteSession,
    media: CallMedia,
  ): Promise<void> {
    let answer: { sdp: string; media: BridgedMedia[] };
    let held: boolean;
    try {
      const offer = offerOf(incoming);
      held = offerHolds(incoming.request.bodyText);
      answer = this.answerNewSipOffer(offer, media, this.bridged);
    } catch (error) {
      incoming.reject(error instanceof SdpError ? error.sipStatus : 488);
      return;
    }
    const previous = this.bridged;
    try {
      await this.startMedia(answer.media);
    } catch (error) {
      incoming.reject(500);
      this.context.logger.warn('replacing SIP leg not usable', {
        message: (error as Error).message,
      });
      return;
    }
    if (this.ended) {
      incoming.reject(481);
      return;
    }
    if (incoming.state !== 'received' && incoming.state !== 'early') {
      // The new caller gave up (CANCEL) while media was being moved: back to the old dialog.
      await this.startMedia(previous);
      return;
    }
    const session = incoming.accept({ body: answer.sdp, contentType: SDP });
    this.confirmed(session);
    void this.sendBye(old);
    this.#setRemoteHeld(held);
    const from = incoming.request.from?.uri;
    this.send('referred', { target: from?.toString() ?? '' });
  }

  /**
   * Our SIP answer to a new party's offer, for the browser side `browser` of the call: codecs
   * the browser leg can be bridged to, and the call's streams with the new SIP side.
   */
  protected answerNewSipOffer(
    offer: SdpDescription,
    media: CallMedia,
    browser: readonly BridgedMedia[],
  ): { sdp: string; media: BridgedMedia[] } {
    const config = this.context.mediaConfig(media);
    const answer = createAnswer(offer, config.sip, {
      codecs: codecsForNewSipLeg(browser, config.codecs.sip, config.transcoding ?? true),
      singleCodec: true,
      direction: this.#held ? 'sendonly' : 'sendrecv',
      accept: (section) => browser.some((m) => m.kind === section.kind && m.mode !== 'rejected'),
      ...(config.username === undefined ? {} : { username: config.username }),
    });
    return { sdp: serializeSdp(answer.description), media: withNewSipLeg(browser, answer.media) };
  }

  async hangup(): Promise<void> {
    await this.release();
  }

  /** Ends the call from our side (CANCEL or BYE, as the state asks). */
  protected abstract release(): Promise<void>;

  async hold(): Promise<void> {
    await this.#setHold(true);
  }

  async unhold(): Promise<void> {
    await this.#setHold(false);
  }

  async #setHold(held: boolean): Promise<void> {
    const session = this.#confirmedSession();
    const local = session.localBody;
    if (!local)
      throw new B2buaError('NO_SESSION_DESCRIPTION', 'no SDP was exchanged on the SIP leg');
    // RFC 3264 §8.4: sendonly to hold, or inactive when the remote side holds us already.
    const direction = held
      ? this.#remoteHeld
        ? 'inactive'
        : 'sendonly'
      : this.#remoteHeld
        ? 'recvonly'
        : 'sendrecv';
    const body = withDirection(
      typeof local.body === 'string' ? local.body : new TextDecoder().decode(local.body),
      direction,
    );
    const response = await session.reinvite({ body, contentType: SDP });
    if (response.status < 200 || response.status >= 300) {
      throw new B2buaError(
        'REINVITE_REFUSED',
        `the SIP side answered the ${held ? 'hold' : 'resume'} re-INVITE with ${response.status} ${response.reason}`,
      );
    }
    this.#held = held;
    this.#holdMedia();
  }

  #confirmedSession(): InviteSession {
    const session = this.session;
    if (!session || session.state !== 'confirmed') {
      throw new B2buaError('CALL_NOT_ESTABLISHED', 'the call is not established on the SIP side');
    }
    return session;
  }

  async transfer(target: TransferTarget): Promise<void> {
    const session = this.#confirmedSession();
    let referTo: string;
    if (target.kind === 'blind') {
      // A bare number or user is dialled in the account's domain, as a new call would be.
      const local = session.dialog.localUri.uri;
      referTo = `<${calleeUri(target.target, local instanceof SipUri ? local.hostport : '')}>`;
    } else {
      const other = target.replaces instanceof BridgedCall ? target.replaces.sipSession : undefined;
      if (!other || other.state !== 'confirmed') {
        throw new B2buaError('TRANSFER_TARGET_INVALID', 'the call to replace has no SIP dialog');
      }
      // The transfer target's address of record: the proxy routes the INVITE to it as it did ours.
      referTo = attendedReferTo(other.dialog.remoteUri.uri.toString(), other.dialog.id);
    }
    const replaces =
      target.kind === 'attended' && target.replaces instanceof BridgedCall
        ? target.replaces
        : undefined;
    this.#transferring = { replaces };
    let response: SipResponse;
    try {
      response = await session.refer(referTo, [
        ['Referred-By', session.dialog.localUri.toString()],
      ]);
    } catch (error) {
      this.#transferring = undefined;
      throw error;
    }
    if (response.status < 200 || response.status >= 300) {
      this.#transferring = undefined;
      throw new B2buaError(
        'TRANSFER_REFUSED',
        `the SIP side answered REFER with ${response.status} ${response.reason}`,
      );
    }
  }

  async sendDtmf(digits: string, type: DtmfType): Promise<void> {
    const session = this.#confirmedSession();
    const list = [...digits].map((d) => {
      const digit = parseDigit(d);
      if (digit === undefined) throw new B2buaError('INVALID_DTMF', `"${d}" is not a DTMF digit`);
      return digit;
    });
    for (const digit of list) {
      if (type === 'INFO') {
        const body = formatDtmfInfo('application/dtmf-relay', digit, DTMF_DIGIT_MS);
        const response = await session.info(body, 'application/dtmf-relay');
        if (response.status >= 300) {
          throw new B2buaError(
            'DTMF_REFUSED',
            `INFO answered ${response.status} ${response.reason}`,
          );
        }
      } else {
        this.sendDtmfEvent(digit, DTMF_DIGIT_MS);
      }
      await new Promise((r) => setTimeout(r, DTMF_DIGIT_MS + DTMF_GAP_MS));
    }
  }

  /** Sends one digit as RFC 4733 events on the SIP side's media. */
  protected sendDtmfEvent(digit: DtmfDigit, durationMs: number): void {
    const media = this.media?.session;
    if (!media) throw new B2buaError('NO_MEDIA', 'the call has no media session');
    media.sendDtmf('b', digit, durationMs);
  }

  updateBrowserDescription(_description: SessionDescription): Promise<void> {
    return Promise.reject(
      new B2buaError('RENEGOTIATION_UNSUPPORTED', 'browser renegotiation is not supported yet'),
    );
  }

  answer(_media: SessionDescription | ServerMediaSource): Promise<void> {
    return Promise.reject(new B2buaError('NOT_INCOMING', 'only an incoming call can be answered'));
  }

  reject(_sipStatus: number, _sipReason?: string): Promise<void> {
    return Promise.reject(new B2buaError('NOT_INCOMING', 'only an incoming call can be rejected'));
  }
}

/** The SDP offer of an INVITE; a late offer would need our offer in the 200 and is not taken. */
function offerOf(incoming: IncomingCall): SdpDescription {
  const text = incoming.request.bodyText;
  if (text.length === 0) throw new SdpError('SDP_NO_USABLE_MEDIA', 'INVITE without SDP');
  return parseSdp(text);
}

/** The request URI for a callee: a number or user, or a full sip:/sips:/tel: URI. */
export function calleeUri(callee: string, domain: string): string {
  if (/^(sips?|tel):/i.test(callee)) return callee;
  if (callee.includes('@')) return `sip:${callee}`;
  return `sip:${callee}@${domain}`;
}

export interface OutgoingStart {
  readonly invite: (offer: { body: string; contentType: string }) => OutgoingCall;
  readonly browserOffer: string;
}

/** The browser calls out: its offer goes to the SIP side, the SIP answer comes back to it. */
export class OutgoingBridgedCall extends BridgedCall {
  #call: OutgoingCall | undefined;
  #offer: GatewayOffer | undefined;
  #answered = false;
  #browserAnswered = false;
  #browserUfrag: string | undefined;
  #releasing = false;
  /** To-tags of the early dialogs our INVITE created (RFC 3261 §12.1.2). */
  readonly #earlyTags = new Set<string>();
  /** Another party took our unanswered call over (RFC 3891 §7.1): our INVITE is cancelled. */
  #pickedUp = false;

  constructor(context: BridgedCallContext, emit: SipLegEmit) {
    super(context, emit);
  }

  async start(
    start: OutgoingStart,
    openMedia: (
      remote: ReturnType<typeof remoteTransportParameters>,
      video: boolean,
    ) => Promise<CallMedia>,
  ): Promise<void> {
    try {
      const browser = parseSdp(start.browserOffer);
      const first = browser.media.find((m) => m.ice !== undefined);
      const remote = first?.ice
        ? remoteTransportParameters({
            remoteIce: first.ice,
            remoteFingerprints: first.fingerprints,
          })
        : undefined;
      this.#browserUfrag = remote?.usernameFragment;
      this.media = await openMedia(remote, offersVideo(browser));
      if (this.ended || this.#releasing) {
        this.media.close();
        return;
      }
      this.media.onFailure((failure) => this.fail(failure));
      this.#offer = browserOfferToSip(start.browserOffer, this.context.mediaConfig(this.media));
    } catch (error) {
      this.end(startFailure(error));
      return;
    }
    const call = start.invite({ body: this.#offer.sdp, contentType: SDP });
    this.#call = call;
    call.on('progress', (response) => {
      if (this.#pickedUp) return;
      const tag = response.to?.tag;
      if (tag !== undefined && response.status > 100) this.#earlyTags.add(tag);
      if (response.body.length > 0) return; // reported by 'early'
      if (response.status === 100)
        this.send('progress', { status: 'TRYING', sipStatus: 100, sipReason: response.reason });
      else
        this.send('progress', {
          status: 'RING',
          sipStatus: response.status,
          sipReason: response.reason,
        });
    });
    call.on('early', (early) => {
      if (this.#pickedUp) return;
      void this.#sipAnswer(new TextDecoder().decode(early.body)).then((description) => {
        const status = early.response.status === 180 ? 'RING_MEDIA' : 'SESSION_PROGRESS';
        this.send('progress', {
          status,
          sipStatus: early.response.status,
          sipReason: early.response.reason,
          ...(description ? { browserDescription: description } : {}),
        });
      });
    });
    call.on('answered', (session) => {
      if (this.#pickedUp) {
        // Our CANCEL crossed the phone's answer: that dialog is not the call any more.
        void this.sendBye(session);
        return;
      }
      this.#answered = true;
      this.confirmed(session);
      if (this.ended || this.#releasing) {
        void this.sendBye(session);
        return;
      }
      void this.#sipAnswer(new TextDecoder().decode(session.remoteBody)).then((description) => {
        if (this.ended) return;
        const mode = this.bridged.some((m) => m.mode === 'transcode') ? 'transcode' : 'relay';
        this.send('established', {
          mediaMode: mode,
          ...(description ? { browserDescription: description } : {}),
        });
      });
    });
    call.on('failed', (response) => {
      if (this.#pickedUp) return;
      if (this.#releasing) this.end({ kind: 'finished', by: 'local' });
      else this.end(failureOfResponse(response));
    });
  }

  /** Besides the confirmed dialog, the early dialogs of our INVITE while it rings. */
  override get replaceableDialogs(): ReplaceableDialog<BridgedCall>[] {
    const call = this.#call;
    if (this.session || this.#answered || !call || this.ended || this.#releasing || this.#pickedUp)
      return super.replaceableDialogs;
    return [...this.#earlyTags].map((remoteTag) => ({
      id: { callId: call.callId, localTag: call.localTag, remoteTag },
      state: 'early' as const,
      initiatedLocally: true,
      owner: this,
    }));
  }

  override replaceSipLeg(incoming: IncomingCall): Promise<void> {
    if (this.session || this.#answered) return super.replaceSipLeg(incoming);
    return this.#pickUp(incoming);
  }

  /**
   * RFC 3891 §3, §7.1: a party replaces an early dialog of our INVITE (call pickup): it answers
   * instead of the phone that rings. Our INVITE is cancelled and its offer answered; a browser
   * still without an answer gets the one the new party would have given to the browser's offer.
   */
  async #pickUp(incoming: IncomingCall): Promise<void> {
    const media = this.media;
    const offer = this.#offer;
    const call = this.#call;
    if (!media || !offer || !call || this.ended || this.#releasing || this.#pickedUp) {
      incoming.reject(481);
      return;
    }
    let browserAnswer: SessionDescription | undefined;
    let answer: { sdp: string; media: BridgedMedia[] };
    try {
      const theirs = offerOf(incoming);
      let browserSide = this.bridged;
      if (!this.#browserAnswered) {
        const asIf = sipAnswerToBrowser(offer, answerAsIf(offer.description, theirs));
        browserSide = asIf.media;
        browserAnswer = { type: 'answer', sdp: asIf.sdp };
      }
      answer = this.answerNewSipOffer(theirs, media, browserSide);
    } catch (error) {
      incoming.reject(error instanceof SdpError ? error.sipStatus : 488);
      return;
    }
    this.#pickedUp = true;
    call.cancel();
    try {
      await this.startMedia(answer.media);
    } catch (error) {
      incoming.reject(500);
      this.fail({
        reason: 'INTERNAL_ERROR',
        message: `call pickup not usable: ${(error as Error).message}`,
      });
      return;
    }
    if (this.ended || (incoming.state !== 'received' && incoming.state !== 'early')) {
      incoming.reject(481);
      this.end({ kind: 'finished', by: 'remote' });
      return;
    }
    this.#answered = true;
    if (browserAnswer) this.#browserAnswered = true;
    this.confirmed(incoming.accept({ body: answer.sdp, contentType: SDP }));
    const mode = this.bridged.some((m) => m.mode === 'transcode') ? 'transcode' : 'relay';
    this.send('established', {
      mediaMode: mode,
      ...(browserAnswer ? { browserDescription: browserAnswer } : {}),
    });
  }

  /**
   * A new offer from the browser after set-up (RFC 3264 §8; JSEP renegotiation: a direction
   * change, an ICE restart). It goes to the SIP side as a re-INVITE, and the SIP answer comes
   * back to the browser as its answer, so both legs agree on the same session again.
   */
  override async updateBrowserDescription(description: SessionDescription): Promise<void> {
    if (description.type !== 'offer') {
      throw new B2buaError(
        'RENEGOTIATION_UNSUPPORTED',
        'the gateway sends no offers to the browser after set-up; only browser offers are taken',
      );
    }
    const media = this.media;
    const session = this.session;
    if (!media || !session || session.state !== 'confirmed')
      throw new B2buaError('CALL_NOT_ESTABLISHED', 'the call is not established on the SIP side');
    const browser = parseSdp(description.sdp);
    const first = browser.media.find((m) => m.ice !== undefined);
    const remote = first?.ice
      ? remoteTransportParameters({ remoteIce: first.ice, remoteFingerprints: first.fingerprints })
      : undefined;
    // RFC 8445 §9: new credentials from the browser restart ICE; we answer with fresh ones too.
    if (remote && remote.usernameFragment !== this.#browserUfrag) {
      this.#browserUfrag = remote.usernameFragment;
      media.transport.restartIce();
      media.setBrowserParameters(remote);
    }
    const offer = browserOfferToSip(description.sdp, this.context.mediaConfig(media));
    const response = await session.reinvite({ body: offer.sdp, contentType: SDP });
    if (response.status < 200 || response.status >= 300) {
      throw new B2buaError(
        'REINVITE_REFUSED',
        `the SIP side answered the re-INVITE with ${response.status} ${response.reason}`,
      );
    }
    const answer = sipAnswerToBrowser(offer, new TextDecoder().decode(response.body));
    this.#offer = offer;
    await this.startMedia(answer.media);
    this.send('browserDescription', { type: 'answer', sdp: answer.sdp });
  }

  /** Applies a SIP answer (183 or 200): media starts, the browser gets its answer once. */
  async #sipAnswer(sdp: string): Promise<SessionDescription | undefined> {
    if (this.ended || !this.#offer || !sdp) return undefined;
    try {
      const answer = sipAnswerToBrowser(this.#offer, sdp);
      await this.startMedia(answer.media);
      if (this.#browserAnswered) return undefined;
      this.#browserAnswered = true;
      return { type: 'answer', sdp: answer.sdp };
    } catch (error) {
      this.fail(
        error instanceof SdpError && error.code === 'SDP_NO_COMMON_CODECS'
          ? { reason: 'NO_COMMON_CODECS', message: error.message }
          : {
              reason: 'INTERNAL_ERROR',
              message: `SIP answer not usable: ${(error as Error).message}`,
            },
      );
      return undefined;
    }
  }

  protected async release(): Promise<void> {
    if (this.ended) return;
    this.#releasing = true;
    if (this.session?.state === 'confirmed') {
      const session = this.session;
      this.end({ kind: 'finished', by: 'local' });
      await this.sendBye(session);
      return;
    }
    if (this.#call && !this.#answered) {
      // §9.1: CANCEL; the 487 then ends the call (and a 200 that crossed it gets a BYE).
      this.#call.cancel();
      this.end({ kind: 'finished', by: 'local' });
      return;
    }
    this.end({ kind: 'finished', by: 'local' });
  }
}

function startFailure(error: unknown): CallEnd {
  if (error instanceof SdpError) {
    return {
      kind: 'failed',
      failure: {
        reason: error.code === 'SDP_NO_COMMON_CODECS' ? 'NO_COMMON_CODECS' : 'INTERNAL_ERROR',
        message: error.message,
      },
    };
  }
  return {
    kind: 'failed',
    failure: {
      reason: 'INTERNAL_ERROR',
      message: `call set-up failed: ${(error as Error).message}`,
    },
  };
}

/** A SIP call for a registered account, offered to the browser. */
export class IncomingBridgedCall extends BridgedCall {
  readonly #call: IncomingCall;
  readonly #offer: GatewayOffer;

  private constructor(
    context: BridgedCallContext,
    call: IncomingCall,
    media: CallMedia,
    offer: GatewayOffer,
  ) {
    super(context, () => undefined);
    this.#call = call;
    this.media = media;
    this.#offer = offer;
    media.onFailure((failure) => this.fail(failure));
    call.on('cancel', () => this.end({ kind: 'finished', by: 'remote' }));
  }

  /** Prepares the browser offer for an INVITE; rejects the INVITE itself when that fails. */
  static async prepare(
    context: BridgedCallContext,
    call: IncomingCall,
    openMedia: (video: boolean) => Promise<CallMedia>,
  ): Promise<IncomingBridgedCall | undefined> {
    let media: CallMedia | undefined;
    try {
      const body = call.request.bodyText;
      media = await openMedia(body.length > 0 && offersVideo(parseSdp(body)));
      const offer = sipOfferToBrowser(call.request.bodyText, context.mediaConfig(media));
      return new IncomingBridgedCall(context, call, media, offer);
    } catch (error) {
      media?.close();
      if (error instanceof SdpError) call.reject(error.sipStatus, error.message.slice(0, 80));
      else call.reject(500);
      return undefined;
    }
  }

  get browserOffer(): SessionDescription {
    return { type: 'offer', sdp: this.#offer.sdp };
  }

  get caller(): { uri: string; name?: string } {
    const from = this.#call.request.from;
    const uri = from?.uri;
    return {
      uri: uri instanceof SipUri ? (uri.user ?? uri.toString()) : (uri?.toString() ?? ''),
      ...(from?.displayName ? { name: from.displayName } : {}),
    };
  }

  attach(emit: SipLegEmit): this {
    this.emit = emit;
    this.#call.ring();
    return this;
  }

  override async answer(media: SessionDescription | ServerMediaSource): Promise<void> {
    if (!('sdp' in media)) {
      throw new B2buaError(
        'SERVER_MEDIA_UNSUPPORTED',
        'answering with a server media source is not supported',
      );
    }
    if (this.ended) throw new B2buaError('CALL_ENDED', 'the caller has gone');
    const answer = browserAnswerToSip(this.#offer, media.sdp);
    const browserLeg = answer.media.find((m) => m.webrtc?.remoteIce)?.webrtc;
    const remote = browserLeg ? remoteTransportParameters(browserLeg) : undefined;
    if (!remote)
      throw new B2buaError('BROWSER_ANSWER_INVALID', 'the browser answer has no ICE credentials');
    this.media!.setBrowserParameters(remote);
    const mode = await this.startMedia(answer.media);
    const session = this.#call.accept({ body: answer.sdp, contentType: SDP });
    this.confirmed(session);
    this.send('established', { mediaMode: mode });
  }

  override reject(sipStatus: number, sipReason?: string): Promise<void> {
    this.#call.reject(sipStatus, sipReason);
    this.end({ kind: 'finished', by: 'local' });
    return Promise.resolve();
  }

  protected async release(): Promise<void> {
    if (this.ended) return;
    const session = this.session;
    if (session?.state === 'confirmed') {
      this.end({ kind: 'finished', by: 'local' });
      await this.sendBye(session);
      return;
    }
    // Not answered yet: 480 rather than 486, the user did not say busy (RFC 3261 §21.4.18).
    this.#call.reject(480);
    this.end({ kind: 'finished', by: 'local' });
  }
}
