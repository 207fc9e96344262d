// INVITE dialogs before they are confirmed: the UAC's outgoing call (provisional responses,
// early dialogs, 100rel/PRACK per RFC 3262, forked 2xx, CANCEL) and the UAS's incoming call.
import type { HeaderValue, SipRequest, SipResponse } from '../messages.js';
import { TypedEmitter } from '../transaction/emitter.js';
import type { ClientTransaction, ServerTransaction } from '../transaction/layer.js';
import type { Flow } from '../transport/types.js';
import { Dialog } from './dialog.js';
import type { UserAgentCore } from './core.js';
import { SipSessionError, type InviteSession, type Offer } from './session.js';

export type OutgoingCallState = 'calling' | 'early' | 'answered' | 'failed' | 'cancelled';

const OUTGOING_TRANSITIONS: Readonly<Record<OutgoingCallState, readonly OutgoingCallState[]>> = {
  calling: ['early', 'answered', 'failed', 'cancelled'],
  early: ['answered', 'failed', 'cancelled'],
  answered: [],
  failed: [],
  cancelled: ['answered'],
};

/** Early media: a provisional response with a body (183 Session Progress + SDP, typically). */
export interface EarlyMedia {
  readonly response: SipResponse;
  readonly body: Uint8Array;
  readonly contentType: string | undefined;
  /** Whether it came reliably (RFC 3262: Require: 100rel, acknowledged with PRACK). */
  readonly reliable: boolean;
  readonly dialog: Dialog;
}

export interface OutgoingCallEvents {
  /** Any provisional response (100–199). */
  progress: [response: SipResponse];
  /** A provisional response carrying a body, e.g. 183 + SDP answer. */
  early: [early: EarlyMedia];
  /** The call was answered: the session is confirmed and the ACK is sent. */
  answered: [session: InviteSession, response: SipResponse];
  /** A final failure (or a synthesised 408/503 on timeout or transport error). */
  failed: [response: SipResponse];
}

export class OutgoingCall extends TypedEmitter<OutgoingCallEvents> {
  #state: OutgoingCallState = 'calling';
  readonly #core: UserAgentCore;
  /** The INVITE currently in flight (replaced when re-sent with credentials or after 422). */
  request: SipRequest;
  readonly offer: Offer | undefined;
  #tx: ClientTransaction | undefined;
  readonly #early = new Map<string, { dialog: Dialog; lastRseq: number | undefined }>();
  #session: InviteSession | undefined;
  #failed = false;
  /** Resolves with the session when answered, rejects with SipSessionError otherwise. */
  readonly answered: Promise<InviteSession>;
  #resolve!: (session: InviteSession) => void;
  #reject!: (error: SipSessionError) => void;

  /** Builds the ACK's answer when the INVITE carried no offer. */
  readonly answerLateOffer: ((offer: Uint8Array) => Offer) | undefined;

  /** @internal */
  constructor(
    core: UserAgentCore,
    request: SipRequest,
    offer: Offer | undefined,
    answerLateOffer?: (offer: Uint8Array) => Offer,
  ) {
    super();
    this.#core = core;
    this.request = request;
    this.offer = offer;
    this.answerLateOffer = answerLateOffer;
    this.answered = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Callers that only listen to events must not see an unhandled rejection.
    this.answered.catch(() => undefined);
  }

  get state(): OutgoingCallState {
    return this.#state;
  }

  get session(): InviteSession | undefined {
    return this.#session;
  }

  get callId(): string {
    return this.request.callId ?? '';
  }

  get localTag(): string {
    return this.request.from?.tag ?? '';
  }

  #transition(to: OutgoingCallState): void {
    if (this.#state === to) return;
    if (!OUTGOING_TRANSITIONS[this.#state].includes(to))
      throw new SipSessionError('INVALID_STATE_TRANSITION', `OutgoingCall: ${this.#state} → ${to}`);
    this.#state = to;
  }

  /** @internal the transaction carrying the current INVITE */
  attach(tx: ClientTransaction): void {
    this.#tx = tx;
    if (this.#state === 'cancelled') tx.cancel();
  }

  /** Cancels the call (§9.1); the INVITE then ends with 487. */
  cancel(headers: readonly (readonly [string, HeaderValue])[] = []): void {
    if (this.#state !== 'calling' && this.#state !== 'early') return;
    this.#transition('cancelled');
    this.#tx?.cancel(headers);
  }

  /** @internal every response to the INVITE, including 2xx from other forks and retransmissions. */
  receiveResponse(response: SipResponse, flow: Flow | undefined): void {
    const status = response.status;
    if (status < 200) {
      if (this.#state === 'answered' || this.#state === 'failed') return;
      this.#provisional(response, flow);
    } else if (status < 300) {
      this.#success(response, flow);
    } else if (this.#state !== 'answered') {
      this.#fail(response);
    }
  }

  #provisional(response: SipResponse, flow: Flow | undefined): void {
    if (this.#state === 'calling') this.#transition('early');
    const tag = response.to?.tag;
    let early = tag !== undefined ? this.#early.get(tag) : undefined;
    if (
      tag !== undefined &&
      early === undefined &&
      response.status > 100 &&
      response.hasHeader('Contact')
    ) {
      early = { dialog: Dialog.uac(this.request, response, flow), lastRseq: undefined };
      this.#early.set(tag, early);
    }
    let reliable = false;
    // RFC 3262 §4: a reliable provisional carries Require: 100rel and RSeq; PRACK it once.
    const rseq = response.rseq;
    if (early && rseq !== undefined && response.require.some((r) => r.toLowerCase() === '100rel')) {
      if (early.lastRseq !== undefined && rseq <= early.lastRseq) return; // a retransmission
      early.lastRseq = rseq;
      reliable = true;
      const cseq = response.cseq;
      this.#core.sendPrack(early.dialog, `${rseq} ${cseq?.seq ?? 0} ${cseq?.method ?? 'INVITE'}`);
    }
    this.emit('progress', response);
    if (early && response.body.length > 0) {
      this.emit('early', {
        response,
        body: response.body,
        contentType: response.header('Content-Type'),
        reliable,
        dialog: early.dialog,
      });
    }
  }

  #success(response: SipResponse, flow: Flow | undefined): void {
    const tag = response.to?.tag;
    if (tag === undefined) return;
    const session = this.#session;
    if (session) {
      if (session.dialog.id.remoteTag === tag) {
        // §13.2.2.4: a retransmitted 2xx gets the same ACK again.
        session.retransmitAck(response);
      } else {
        // Another fork answered too: acknowledge it, then end it (§13.2.2.4).
        this.#core.ackAndBye(this.request, response, flow);
      }
      return;
    }
    const early = this.#early.get(tag);
    let dialog: Dialog;
    if (early) {
      dialog = early.dialog;
      dialog.confirm(response);
    } else {
      dialog = Dialog.uac(this.request, response, flow);
    }
    if (flow) dialog.flow = flow;
    this.#early.clear();
    const wasCancelled = this.#state === 'cancelled';
    this.#transition('answered');
    const created = this.#core.establish(this, dialog, response);
    this.#session = created;
    this.emit('answered', created, response);
    this.#resolve(created);
    // The 2xx crossed our CANCEL: the call is up, so end it the normal way.
    if (wasCancelled) void created.bye();
  }

  #fail(response: SipResponse): void {
    if (this.#state === 'failed' || this.#state === 'answered' || this.#failed) return;
    this.#failed = true;
    const cancelled = this.#state === 'cancelled';
    if (!cancelled) this.#transition('failed');
    this.#early.clear();
    this.emit('failed', response);
    this.#reject(
      new SipSessionError(
        cancelled ? 'CALL_CANCELLED' : 'CALL_FAILED',
        `INVITE failed: ${response.status} ${response.reason}`,
        response,
      ),
    );
  }
}

export type IncomingCallState =
  'received' | 'early' | 'accepted' | 'rejected' | 'cancelled' | 'failed';

const INCOMING_TRANSITIONS: Readonly<Record<IncomingCallState, readonly IncomingCallState[]>> = {
  received: ['early', 'accepted', 'rejected', 'cancelled', 'failed'],
  early: ['accepted', 'rejected', 'cancelled', 'failed'],
  accepted: [],
  rejected: [],
  cancelled: [],
  failed: [],
};

export interface IncomingCallEvents {
  /** The caller cancelled (the INVITE was answered with 487). */
  cancel: [request: SipRequest];
}

export interface CallResponseOptions {
  readonly headers?: readonly (readonly [string, HeaderValue])[];
}

export interface ProgressOptions extends CallResponseOptions {
  /**
   * Send reliably (RFC 3262): Require: 100rel + RSeq, retransmitted until PRACKed. Default: when
   * the INVITE requires 100rel. Ignored when the caller does not support 100rel.
   */
  readonly reliable?: boolean;
}

export class IncomingCall extends TypedEmitter<IncomingCallEvents> {
  readonly request: SipRequest;
  readonly transaction: ServerTransaction;
  readonly #core: UserAgentCore;
  #state: IncomingCallState = 'received';
  /** RFC 3262 §3: RSeq starts anywhere below 2^31 and increases by one per reliable response. */
  #rseq = 1 + Math.floor(Math.random() * 0x7ffffff0);
  #unacknowledged: { rseq: number; stop: () => void } | undefined;
  readonly #queued: SipResponse[] = [];

  /** @internal */
  constructor(core: UserAgentCore, transaction: ServerTransaction) {
    super();
    this.#core = core;
    this.transaction = transaction;
    this.request = transaction.request;
    transaction.onCancel = (cancel) => {
      if (this.#state !== 'received' && this.#state !== 'early') return;
      this.#transition('cancelled');
      this.#finish();
      this.#core.untrackEarly(this);
      transaction.reply(487);
      this.emit('cancel', cancel);
    };
    transaction.onFailure = () => {
      if (this.#state === 'received' || this.#state === 'early') this.#transition('failed');
      this.#finish();
      this.#core.untrackEarly(this);
    };
  }

  get state(): IncomingCallState {
    return this.#state;
  }

  /** The caller's offer (empty when the INVITE had no body). */
  get offer(): Uint8Array {
    return this.request.body;
  }

  get flow(): Flow {
    return this.transaction.flow;
  }

  #transition(to: IncomingCallState): void {
    if (this.#state === to) return;
    if (!INCOMING_TRANSITIONS[this.#state].includes(to))
      throw new SipSessionError('INVALID_STATE_TRANSITION', `IncomingCall: ${this.#state} → ${to}`);
    this.#state = to;
  }

  /** 180 Ringing. */
  ring(options: ProgressOptions = {}): void {
    this.progress(180, undefined, options);
  }

  /** Whether the caller can take reliable provisionals, and whether it insists on them. */
  get #hundredRel(): { supported: boolean; required: boolean } {
    const has = (list: readonly string[]): boolean =>
      list.some((t) => t.toLowerCase() === '100rel');
    const required = has(this.request.require);
    return { supported: required || has(this.request.supported), required };
  }

  /** A provisional response, optionally with early media (183 + SDP), reliably when asked. */
  progress(status = 183, body?: Offer, options: ProgressOptions = {}): void {
    if (this.#state !== 'received' && this.#state !== 'early') return;
    this.#transition('early');
    const { supported, required } = this.#hundredRel;
    const reliable = supported && (options.reliable ?? required);
    const headers = options.headers ?? [];
    if (!reliable) {
      this.transaction.respond(
        this.#core.buildProvisional(this.transaction, status, body, headers),
      );
      return;
    }
    const response = this.#core.buildProvisional(this.transaction, status, body, [
      ...headers,
      ['Require', '100rel'],
      ['RSeq', String(this.#rseq++)],
    ]);
    // §3: one unacknowledged reliable provisional at a time; later ones wait for the PRACK.
    if (this.#unacknowledged) this.#queued.push(response);
    else this.#sendReliable(response);
  }

  #sendReliable(response: SipResponse): void {
    const rseq = response.rseq ?? 0;
    const clock = this.#core.clock;
    const { t1 } = this.#core.timers;
    let interval = t1;
    const retransmit = (): void => {
      if (this.transaction.state === 'proceeding') this.transaction.respond(response);
      interval *= 2;
      timer = clock.setTimeout(retransmit, interval);
    };
    let timer = clock.setTimeout(retransmit, interval);
    // §3: no PRACK within 64*T1 — the INVITE is refused with a 5xx.
    const giveUp = clock.setTimeout(() => {
      this.#unacknowledged = undefined;
      this.reject(500, 'Reliable Provisional Not Acknowledged');
    }, 64 * t1);
    this.#unacknowledged = {
      rseq,
      stop: () => {
        clock.clearTimeout(timer);
        clock.clearTimeout(giveUp);
      },
    };
    this.transaction.respond(response);
    this.#core.trackEarly(this);
  }

  /** @internal a PRACK in this call's early dialog (RFC 3262 §3, §7.2). */
  receivePrack(tx: ServerTransaction): void {
    const rack = tx.request.rack;
    const pending = this.#unacknowledged;
    if (
      pending === undefined ||
      rack === undefined ||
      rack.rseq !== pending.rseq ||
      rack.cseq !== this.request.cseq?.seq ||
      rack.method !== 'INVITE'
    ) {
      tx.reply(481);
      return;
    }
    pending.stop();
    this.#unacknowledged = undefined;
    tx.reply(200);
    const next = this.#queued.shift();
    if (next && (this.#state === 'early' || this.#state === 'received')) this.#sendReliable(next);
  }

  #finish(): void {
    this.#unacknowledged?.stop();
    this.#unacknowledged = undefined;
    this.#queued.length = 0;
  }

  /** Answers 200 with `answer` and returns the confirmed session (which waits for the ACK). */
  accept(answer?: Offer, options: CallResponseOptions = {}): InviteSession {
    if (this.#state !== 'received' && this.#state !== 'early')
      throw new SipSessionError(
        'INVALID_STATE_TRANSITION',
        `cannot accept a call that is ${this.#state}`,
      );
    this.#transition('accepted');
    this.#finish();
    return this.#core.acceptInvite(this.transaction, answer, options.headers ?? []);
  }

  /** Rejects with a final response (486 Busy Here by default). */
  reject(status = 486, reason?: string, options: CallResponseOptions = {}): void {
    if (this.#state !== 'received' && this.#state !== 'early') return;
    this.#transition('rejected');
    this.#finish();
    this.#core.untrackEarly(this);
    if (this.transaction.state !== 'proceeding') return;
    this.transaction.reply(status, reason, options.headers ? { headers: options.headers } : {});
  }
}
