// The invite session (RFC 3261 §13–§15): a confirmed INVITE dialog with re-INVITE and UPDATE
// (RFC 3311), glare handling (§14.1), session timers (RFC 4028), in-dialog requests and BYE.
import type { TimerHandle } from '../clock.js';
import { SipError, type HeaderValue, type SipRequest, type SipResponse } from '../messages.js';
import { TypedEmitter } from '../transaction/emitter.js';
import type { ServerTransaction } from '../transaction/layer.js';
import { SipStateError } from '../transaction/machines.js';
import type { Dialog } from './dialog.js';
import type { UserAgentCore } from './core.js';

export type SessionState = 'confirmed' | 'terminated';

export type TerminationReason =
  'local-bye' | 'remote-bye' | 'ack-timeout' | 'session-expired' | 'request-timeout' | 'closed';

export interface Offer {
  readonly body: Uint8Array | string;
  readonly contentType: string;
}

export interface RequestOptions {
  readonly headers?: readonly (readonly [string, HeaderValue])[];
  readonly body?: Uint8Array | string;
  readonly contentType?: string;
}

/** An incoming re-INVITE or UPDATE waiting for the application's answer. */
export interface IncomingOffer {
  readonly request: SipRequest;
  /** The offer's body (empty for an offerless re-INVITE). */
  readonly body: Uint8Array;
  /** Answers 200 with the given body (the answer), or without body. */
  accept(answer?: Offer, headers?: readonly (readonly [string, HeaderValue])[]): void;
  reject(status?: number, reason?: string): void;
}

export interface InviteSessionEvents {
  /** A re-INVITE arrived; without a listener it is accepted with the current local body. */
  reinvite: [offer: IncomingOffer];
  /** An UPDATE arrived; without a listener it is accepted the same way. */
  update: [offer: IncomingOffer];
  /** Any other in-dialog request (INFO, REFER, NOTIFY, MESSAGE, OPTIONS, ...): answer `tx`. */
  request: [tx: ServerTransaction];
  /** The ACK for our 2xx (initial answer or re-INVITE answer). */
  ack: [request: SipRequest];
  /** The session's local or remote body changed through a completed offer/answer. */
  renegotiated: [local: Offer | undefined, remote: Uint8Array];
  terminated: [reason: TerminationReason];
}

/** Session-timer state per RFC 4028. */
export interface SessionTimerState {
  readonly interval: number;
  readonly refresher: 'local' | 'remote';
}

/** Options of re-INVITE. */
export interface ReinviteOptions extends RequestOptions {
  /** Retries after 491 Request Pending with the §14.1 back-off (default 3). */
  readonly glareRetries?: number;
}

export class SipSessionError extends SipError {
  readonly response: SipResponse | undefined;
  constructor(code: string, message: string, response?: SipResponse) {
    super(code, message);
    this.name = 'SipSessionError';
    this.response = response;
  }
}

const TRANSITIONS: Readonly<Record<SessionState, readonly SessionState[]>> = {
  confirmed: ['terminated'],
  terminated: [],
};

export class InviteSession extends TypedEmitter<InviteSessionEvents> {
  readonly dialog: Dialog;
  readonly #core: UserAgentCore;
  #state: SessionState = 'confirmed';
  /** The body we last sent as offer or answer. */
  localBody: Offer | undefined;
  /** The body the peer last sent as offer or answer. */
  remoteBody: Uint8Array;
  #pendingOutgoing = false;
  #pendingIncoming = false;
  /** Pending 2xx retransmission until ACK (§13.3.1.4). */
  #unacked: { cseq: number; timer: TimerHandle; stop: () => void } | undefined;
  #sessionTimer: SessionTimerState | undefined;
  #sessionTimerHandle: TimerHandle | undefined;
  /** A session refresh of ours is in flight (RFC 4028 §10: its failure ends the session). */
  #refreshing = false;
  /** ACK bytes for our last 2xx-answered INVITE, re-sent when the 2xx is retransmitted. */
  #ack: { cseq: number; send: () => void } | undefined;

  /** @internal created by the user agent */
  constructor(
    core: UserAgentCore,
    dialog: Dialog,
    localBody: Offer | undefined,
    remoteBody: Uint8Array,
  ) {
    super();
    this.#core = core;
    this.dialog = dialog;
    this.localBody = localBody;
    this.remoteBody = remoteBody;
  }

  get state(): SessionState {
    return this.#state;
  }

  get sessionTimer(): SessionTimerState | undefined {
    return this.#sessionTimer;
  }

  #transition(to: SessionState): void {
    if (!TRANSITIONS[this.#state].includes(to))
      throw new SipStateError('InviteSession', this.#state, to);
    this.#state = to;
  }

  /** @internal: the user agent remembers the ACK it sent so it can answer 2xx retransmissions. */
  setAck(cseq: number, send: () => void): void {
    this.#ack = { cseq, send };
  }

  /** @internal: a 2xx for an INVITE of this dialog arrived again (§13.2.2.4). */
  retransmitAck(response: SipResponse): void {
    if (this.#ack && response.cseq?.seq === this.#ack.cseq) this.#ack.send();
  }

  /** @internal: start retransmitting our 2xx until the ACK arrives (§13.3.1.4). */
  awaitAck(cseq: number, retransmit: () => void): void {
    this.#unacked?.stop();
    const { t1, t2 } = this.#core.timers;
    let interval = t1;
    let elapsed = 0;
    const entry = {
      cseq,
      timer: undefined as unknown as TimerHandle,
      stop: () => this.#core.clock.clearTimeout(entry.timer),
    };
    const tick = (): void => {
      elapsed += interval;
      if (elapsed >= 64 * t1) {
        this.#unacked = undefined;
        // §13.3.1.4: no ACK within 64*T1 — the session ends with a BYE.
        void this.#terminateWithBye('ack-timeout');
        return;
      }
      retransmit();
      interval = Math.min(2 * interval, t2);
      entry.timer = this.#core.clock.setTimeout(tick, interval);
    };
    entry.timer = this.#core.clock.setTimeout(tick, interval);
    this.#unacked = entry;
  }

  /** @internal */
  receiveAck(ack: SipRequest): void {
    if (this.#unacked && ack.cseq?.seq === this.#unacked.cseq) {
      this.#unacked.stop();
      this.#unacked = undefined;
      // Late offer: our 2xx made the offer and the ACK carries the answer.
      if (ack.body.length > 0) {
        this.remoteBody = ack.body;
        this.emit('renegotiated', this.localBody, this.remoteBody);
      }
      this.emit('ack', ack);
    }
  }

  /** @internal RFC 4028 §9–§10: arm the refresh (we refresh) or the expiry (they refresh). */
  armSessionTimer(timer: SessionTimerState | undefined): void {
    if (this.#sessionTimerHandle !== undefined)
      this.#core.clock.clearTimeout(this.#sessionTimerHandle);
    this.#sessionTimerHandle = undefined;
    this.#sessionTimer = timer;
    if (timer === undefined || this.#state === 'terminated') return;
    const ms = timer.interval * 1000;
    if (timer.refresher === 'local') {
      this.#sessionTimerHandle = this.#core.clock.setTimeout(() => {
        this.#sessionTimerHandle = undefined;
        void this.#refresh();
      }, ms / 2);
    } else {
      // §10: BYE before expiry, minus min(32 s, interval/3).
      const wait = ms - Math.min(32_000, ms / 3);
      this.#sessionTimerHandle = this.#core.clock.setTimeout(() => {
        this.#sessionTimerHandle = undefined;
        void this.#terminateWithBye('session-expired');
      }, wait);
    }
  }

  /** RFC 4028 §7.4: a refresh is an UPDATE without body where the peer allows it, else a re-INVITE. */
  async #refresh(): Promise<void> {
    this.#refreshing = true;
    try {
      await (this.#core.peerAllows(this.dialog, 'UPDATE')
        ? this.update(undefined)
        : this.reinvite(this.localBody));
    } catch {
      // An offer/answer exchange of the application is in progress: it refreshes the session.
    } finally {
      this.#refreshing = false;
    }
  }

  /**
   * §12.2.1.2: a 481 or 408 (also a timeout) for an in-dialog request ends the dialog. When that
   * request was our session refresh, RFC 4028 §10 ends the session with a BYE.
   */
  #endIfDialogGone(status: number): void {
    if (status !== 481 && status !== 408) return;
    if (this.#refreshing) void this.#terminateWithBye('session-expired');
    else this.#terminate('request-timeout');
  }

  /** @internal an in-dialog request for this session, already CSeq-checked. */
  receiveRequest(tx: ServerTransaction): void {
    const request = tx.request;
    switch (request.method) {
      case 'BYE':
        tx.reply(200);
        this.#terminate('remote-bye');
        return;
      case 'INVITE':
        this.#receiveOffer(tx, 'reinvite');
        return;
      case 'UPDATE':
        this.#receiveOffer(tx, 'update');
        return;
      case 'PRACK':
        // RFC 3262 §3: a PRACK for a reliable provisional that the 2xx overtook.
        tx.reply(200);
        return;
      default:
        if (this.listenerCount('request') > 0) this.emit('request', tx);
        else if (['INFO', 'NOTIFY', 'OPTIONS', 'MESSAGE'].includes(request.method)) tx.reply(200);
        else tx.reply(501);
    }
  }

  #receiveOffer(tx: ServerTransaction, kind: 'reinvite' | 'update'): void {
    const request = tx.request;
    // §14.2 and RFC 3311 §5.2: an offer while ours is pending is glare (491); one while the
    // peer's previous offer is unanswered gets 500 with Retry-After.
    if (this.#pendingOutgoing) {
      tx.reply(491);
      return;
    }
    if (this.#pendingIncoming) {
      tx.reply(500, undefined, {
        headers: [['Retry-After', String(Math.floor(Math.random() * 10))]],
      });
      return;
    }
    this.#pendingIncoming = true;
    this.dialog.refreshTarget(request);
    let answered = false;
    const offer: IncomingOffer = {
      request,
      body: request.body,
      accept: (answer, headers = []) => {
        if (answered) return;
        answered = true;
        this.#pendingIncoming = false;
        // RFC 3311 §5.2: an UPDATE without an offer (a session refresh) gets no answer.
        const body =
          kind === 'update' && request.body.length === 0
            ? undefined
            : (answer ?? (request.body.length > 0 ? this.localBody : undefined));
        const response = this.#core.buildSuccess(tx, this.dialog, body, headers, this);
        tx.respond(response);
        if (kind === 'reinvite') {
          const cseq = request.cseq?.seq ?? 0;
          this.awaitAck(cseq, () => tx.respond(response));
        }
        if (request.body.length > 0) {
          this.remoteBody = request.body;
          if (body) this.localBody = body;
          this.emit('renegotiated', this.localBody, this.remoteBody);
        }
        this.#core.onRefresh(this, request);
      },
      reject: (status = 488, reason) => {
        if (answered) return;
        answered = true;
        this.#pendingIncoming = false;
        tx.reply(status, reason);
      },
    };
    if (this.listenerCount(kind) > 0) this.emit(kind, offer);
    else offer.accept();
  }

  /**
   * Sends a re-INVITE (§14.1) with `offer` (or without a body) and ACKs its 2xx. A 491 is
   * retried after the §14.1 random wait. Resolves with the final response.
   */
  async reinvite(offer: Offer | undefined, options: ReinviteOptions = {}): Promise<SipResponse> {
    this.#assertOpen();
    if (this.#pendingOutgoing || this.#pendingIncoming)
      throw new SipSessionError('OFFER_PENDING', 'an offer/answer exchange is already in progress');
    let retries = options.glareRetries ?? 3;
    this.#pendingOutgoing = true;
    try {
      for (;;) {
        const { response, request } = await this.#core.sendInviteInDialog(this, offer, options);
        if (response.status >= 200 && response.status < 300) {
          this.dialog.refreshTarget(response);
          if (offer) this.localBody = offer;
          if (response.body.length > 0) this.remoteBody = response.body;
          this.emit('renegotiated', this.localBody, this.remoteBody);
          this.#core.onRefresh(this, request, response);
          return response;
        }
        if (response.status === 491 && retries-- > 0) {
          // No request of ours is pending while we wait: the peer's offer may go first.
          this.#pendingOutgoing = false;
          do await this.#glareWait();
          while (this.#pendingIncoming && this.#state !== 'terminated');
          this.#assertOpen();
          this.#pendingOutgoing = true;
          continue;
        }
        this.#endIfDialogGone(response.status);
        return response;
      }
    } finally {
      this.#pendingOutgoing = false;
    }
  }

  /** §14.1: the owner of the Call-ID waits 2.1–4 s, the other side 0–2 s, in 10 ms steps. */
  #glareWait(): Promise<void> {
    const steps = Math.floor(Math.random() * 191);
    const ms =
      this.dialog.role === 'uac' ? 2100 + steps * 10 : Math.floor(Math.random() * 201) * 10;
    return new Promise((resolve) => this.#core.clock.setTimeout(resolve, ms));
  }

  /** Sends an UPDATE (RFC 3311) with `offer` or, without one, as a session refresh. */
  async update(offer: Offer | undefined, options: RequestOptions = {}): Promise<SipResponse> {
    this.#assertOpen();
    if (offer && (this.#pendingOutgoing || this.#pendingIncoming))
      throw new SipSessionError('OFFER_PENDING', 'an offer/answer exchange is already in progress');
    if (offer) this.#pendingOutgoing = true;
    try {
      const { response, request } = await this.#core.sendInDialog(this, 'UPDATE', {
        ...options,
        ...(offer ? { body: offer.body, contentType: offer.contentType } : {}),
        headers: [
          ...this.#core.contactHeaders(this.dialog),
          ['Supported', this.#core.supported],
          ...this.#core.sessionTimerHeaders(this),
          ...(options.headers ?? []),
        ],
      });
      if (response.status >= 200 && response.status < 300) {
        this.dialog.refreshTarget(response);
        if (offer) {
          this.localBody = offer;
          this.remoteBody = response.body;
          this.emit('renegotiated', this.localBody, this.remoteBody);
        }
        this.#core.onRefresh(this, request, response);
      } else {
        this.#endIfDialogGone(response.status);
      }
      return response;
    } finally {
      if (offer) this.#pendingOutgoing = false;
    }
  }

  /** Sends any in-dialog non-INVITE request (INFO, REFER, NOTIFY, MESSAGE, OPTIONS). */
  async request(method: string, options: RequestOptions = {}): Promise<SipResponse> {
    this.#assertOpen();
    const { response } = await this.#core.sendInDialog(this, method, options);
    this.#endIfDialogGone(response.status);
    return response;
  }

  /** INFO with a body (e.g. application/dtmf-relay). */
  info(
    body: Uint8Array | string,
    contentType: string,
    headers: RequestOptions['headers'] = [],
  ): Promise<SipResponse> {
    return this.request('INFO', { body, contentType, headers });
  }

  /** REFER (RFC 3515) to `referTo` (a URI, or a name-addr with Replaces in its headers). */
  refer(referTo: string, headers: RequestOptions['headers'] = []): Promise<SipResponse> {
    return this.request('REFER', { headers: [['Refer-To', referTo], ...headers] });
  }

  /** Ends the session with BYE (§15.1.1). Resolves once the BYE is answered or timed out. */
  async bye(headers: RequestOptions['headers'] = []): Promise<SipResponse | undefined> {
    if (this.#state === 'terminated') return undefined;
    return this.#terminateWithBye('local-bye', headers);
  }

  async #terminateWithBye(
    reason: TerminationReason,
    headers: RequestOptions['headers'] = [],
  ): Promise<SipResponse | undefined> {
    if (this.#state === 'terminated') return undefined;
    const sending = this.#core.sendInDialog(this, 'BYE', { headers });
    this.#terminate(reason);
    return (await sending).response;
  }

  /** @internal */
  terminate(reason: TerminationReason): void {
    this.#terminate(reason);
  }

  #terminate(reason: TerminationReason): void {
    if (this.#state === 'terminated') return;
    this.#transition('terminated');
    this.#unacked?.stop();
    this.#unacked = undefined;
    if (this.#sessionTimerHandle !== undefined)
      this.#core.clock.clearTimeout(this.#sessionTimerHandle);
    this.dialog.transition('terminated');
    this.#core.forget(this);
    this.emit('terminated', reason);
  }

  #assertOpen(): void {
    if (this.#state === 'terminated')
      throw new SipSessionError('SESSION_TERMINATED', 'the session has ended');
  }
}
