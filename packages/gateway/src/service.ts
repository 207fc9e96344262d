import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type {
  AccountEmit,
  AccountEventMap,
  CallBackend,
  CallEnd,
  LocalMedia,
  ServerMediaSource,
  SessionDescription,
  SipAccount,
  IncomingSipCall,
  SipLegEmit,
  SipLegEventMap,
} from './backend.js';
import { BackendFailureError } from './backend.js';
import type { Clock, TimerHandle } from './clock.js';
import type { DialPlan } from './dial-plan.js';
import { GatewayError, toGatewayError } from './errors.js';
import { TypedEmitter } from './events.js';
import type { Logger } from './log.js';
import type { GatewayMetrics } from './metrics.js';
import type { CallInfo, SessionInfo, SessionOrigin } from './model/records.js';
import { GatewayCall, GatewaySession } from './model/records.js';
import type { CallQuery, SessionQuery } from './model/registry.js';
import { Registry } from './model/registry.js';
import type { CallStatus, DtmfType, Failure, SessionState } from './model/status.js';
import { CALL_STATUSES, SESSION_STATES } from './model/status.js';

/** What call control tells the API layers (WebSocket routing, hooks). */
export interface CallControlEventMap {
  sessionStatus: { readonly session: SessionInfo };
  callStatus: {
    readonly call: CallInfo;
    readonly sipStatus?: number;
    readonly sipReason?: string;
    /** SDP the browser must apply now (answer, early-media pranswer, or a re-offer). */
    readonly browserDescription?: SessionDescription;
  };
  incomingCall: { readonly call: CallInfo; readonly browserOffer: SessionDescription };
  /** A REST request asks the browser of this session to place a call (it sends the offer). */
  originateCall: { readonly call: CallInfo };
  transferProgress: {
    readonly call: CallInfo;
    readonly sipStatus: number;
    readonly sipReason: string;
    readonly final: boolean;
  };
  dtmfReceived: { readonly call: CallInfo; readonly digits: string; readonly type: DtmfType };
}

/** What an application is asked before an outbound call is placed. */
export interface CallAuthorizationRequest {
  readonly sessionId: string;
  readonly login: string;
  readonly domain: string;
  readonly callee: string;
  readonly visibleName: string | null;
  readonly audio: boolean;
  readonly video: boolean;
  /** Address the request came from. */
  readonly source: string;
}

/** Resolves to allow the call; rejects (HOOK_REJECTED) to refuse it. */
export type CallAuthorizer = (request: CallAuthorizationRequest) => Promise<void>;

export interface CallControlOptions {
  /** The B2BUA core; absent until it is wired in, and then every SIP action fails clearly. */
  readonly backend: CallBackend | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly dialPlan: DialPlan;
  /** How long a session whose WebSocket dropped waits for the browser to resume it. */
  readonly resumeGraceMs: number;
  /** How long an incoming call rings in the browser before the SIP side gets 480. */
  readonly incomingAnswerTimeoutMs: number;
  /** How long a REST-originated browser call waits for the browser's offer. */
  readonly browserOfferTimeoutMs: number;
  /** How long ended calls stay findable (status BUSY/FINISH/FAILED) before they are dropped. */
  readonly retainEndedCallsMs: number;
  /** Asked before each outbound call (the authorization hook); absent: every call may go. */
  readonly authorizeCall?: CallAuthorizer;
}

export interface OpenSessionRequest {
  readonly origin: SessionOrigin;
  readonly account: SipAccount;
  /** Remote address, for logs. */
  readonly source: string;
  /** Close the session when its last call ends (REST calls with their own account). */
  readonly ephemeral?: boolean;
}

export interface StartCallRequest {
  /** Owning session; its account places the call. */
  readonly sessionId: string;
  /** Caller-chosen id (must be unused); generated when absent. */
  readonly callId?: string;
  readonly callee: string;
  readonly visibleName?: string;
  readonly audio: boolean;
  readonly video: boolean;
  readonly sipHeaders?: Readonly<Record<string, string>>;
}

export type TransferRequest =
  | { readonly target: string; readonly replacesCallId?: undefined }
  | { readonly replacesCallId: string; readonly target?: undefined };

/** Scope of an operation: a WebSocket session may touch only its own calls. */
export interface Scope {
  readonly sessionId?: string;
}

const DTMF_DIGITS = /^[0-9A-Da-d*#]{1,64}$/;
const SIP_REJECT_TEMPORARILY_UNAVAILABLE = 480;
const SIP_REJECT_BUSY_HERE = 486;

function failureOf(error: unknown, fallback: Failure['reason'] = 'INTERNAL_ERROR'): Failure {
  if (error instanceof BackendFailureError) return error.failure;
  return { reason: fallback, message: error instanceof Error ? error.message : String(error) };
}

/**
 * Call control: sessions, calls, their state machines and timers. Everything the REST and
 * WebSocket APIs do goes through here; everything SIP or media goes through the backend.
 */
export class CallControlService extends TypedEmitter<CallControlEventMap> {
  readonly calls = new Registry<GatewayCall, CallQuery>();
  readonly sessions = new Registry<GatewaySession, SessionQuery>();
  readonly #options: CallControlOptions;
  readonly #log: Logger;
  readonly #callTimers = new Map<string, TimerHandle>();
  readonly #sessionTimers = new Map<string, TimerHandle>();
  readonly #closing = new Map<string, Promise<void>>();
  readonly #hangingUp = new Map<string, Promise<CallInfo>>();
  #shuttingDown = false;

  constructor(options: CallControlOptions) {
    super();
    this.#options = options;
    this.#log = options.logger.child({ component: 'call-control' });
    this.onListenerError = (error, event) =>
      this.#log.error('event listener failed', { event: String(event), error });
    options.metrics.addSampler(() => this.#sampleMetrics());
  }

  get hasBackend(): boolean {
    return this.#options.backend !== undefined;
  }

  // ---------------------------------------------------------------- sessions

  /** Creates a session (CONNECTED). Bind its account with `bindSession`. */
  openSession(request: OpenSessionRequest): GatewaySession {
    this.#assertRunning();
    const session = new GatewaySession({
      id: randomUUID(),
      origin: request.origin,
      account: request.account,
      resumeToken: randomBytes(24).toString('base64url'),
      createdAt: this.#options.clock.now(),
      source: request.source,
      ephemeral: request.ephemeral ?? false,
    });
    this.sessions.add(session);
    this.#log.info('session opened', {
      sessionId: session.id,
      origin: session.origin,
      login: session.account.login,
      domain: session.account.domain,
      source: session.source,
    });
    this.emit('sessionStatus', { session: session.toInfo() });
    return session;
  }

  /**
   * Binds the session's SIP account in the backend: ESTABLISHED when done, then
   * REGISTERED/UNREGISTERED as registration goes. Rejects (and the session is FAILED) when the
   * account cannot be bound.
   */
  async bindSession(sessionId: string): Promise<void> {
    const session = this.#session(sessionId);
    const backend = this.#options.backend;
    if (!backend) {
      const failure: Failure = {
        reason: 'GATEWAY_UNAVAILABLE',
        message: 'no call backend is configured in this gateway',
      };
      this.#failSession(session, failure);
      throw new GatewayError('BACKEND_UNAVAILABLE', failure.message ?? failure.reason);
    }
    try {
      const binding = await backend.bindAccount(session.account, this.#accountEmit(session));
      if (session.isEnded || session.status === 'FAILED') {
        await binding
          .close()
          .catch((error: unknown) =>
            this.#log.warn('closing a late account binding failed', { sessionId, error }),
          );
        return;
      }
      session.binding = binding;
      this.#setSessionStatus(session, 'ESTABLISHED');
    } catch (error) {
      const failure = failureOf(error, 'SIP_SERVER_UNREACHABLE');
      this.#options.metrics.registrations.inc({ result: 'failed' });
      this.#failSession(session, failure);
      throw new GatewayError(
        'BACKEND_ERROR',
        `account ${session.account.login}: ${failure.reason}`,
        {
          cause: error,
          details: { failure },
        },
      );
    }
  }

  /** Re-attaches a browser to a session within its grace period. */
  resumeSession(sessionId: string, resumeToken: string): GatewaySession {
    const session = this.sessions.get(sessionId);
    if (!session || session.isEnded || session.origin !== 'websocket') {
      throw new GatewayError('SESSION_RESUME_REJECTED', `session ${sessionId} cannot be resumed`);
    }
    const expected = Buffer.from(session.resumeToken);
    const given = Buffer.from(resumeToken);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new GatewayError('SESSION_RESUME_REJECTED', `session ${sessionId} cannot be resumed`);
    }
    if (session.attached) {
      throw new GatewayError(
        'ALREADY_CONNECTED',
        `session ${sessionId} is attached to another connection`,
      );
    }
    this.#clearSessionTimer(session.id);
    session.attached = true;
    this.#log.info('session resumed', { sessionId });
    return session;
  }

  /** The browser's WebSocket went away: keep the session for the grace period, then close it. */
  detachSession(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (!session || session.isEnded) return;
    session.attached = false;
    if (session.status === 'FAILED' || this.#options.resumeGraceMs <= 0) {
      void this.closeSession(sessionId);
      return;
    }
    this.#log.info('session detached, waiting for resume', {
      sessionId,
      graceMs: this.#options.resumeGraceMs,
    });
    this.#clearSessionTimer(sessionId);
    this.#sessionTimers.set(
      sessionId,
      this.#options.clock.setTimeout(() => {
        this.#sessionTimers.delete(sessionId);
        this.#log.info('session not resumed in time', { sessionId });
        void this.closeSession(sessionId);
      }, this.#options.resumeGraceMs),
    );
  }

  /** Ends the session's calls, unregisters, and reports DISCONNECTED. */
  closeSession(sessionId: string): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session || session.isEnded) return Promise.resolve();
    // Ending the calls can end the session again (an ephemeral session's last call): share one close.
    let closing = this.#closing.get(sessionId);
    if (!closing) {
      closing = Promise.resolve()
        .then(() => this.#close(session))
        .finally(() => this.#closing.delete(sessionId));
      this.#closing.set(sessionId, closing);
    }
    return closing;
  }

  async #close(session: GatewaySession): Promise<void> {
    const sessionId = session.id;
    this.#clearSessionTimer(sessionId);
    await Promise.all(
      [...session.callIds].map((callId) =>
        this.hangupCall(callId).catch((error: unknown) =>
          this.#log.warn('ending a call of a closing session failed', { sessionId, callId, error }),
        ),
      ),
    );
    const binding = session.binding;
    session.binding = null;
    if (binding) {
      await binding
        .close()
        .catch((error: unknown) =>
          this.#log.warn('releasing the SIP account failed', { sessionId, error }),
        );
    }
    session.attached = false;
    this.#setSessionStatus(session, 'DISCONNECTED');
    this.sessions.delete(sessionId);
    this.#log.info('session closed', { sessionId });
  }

  getSession(sessionId: string): GatewaySession | undefined {
    return this.sessions.get(sessionId);
  }

  findSessions(query: SessionQuery): SessionInfo[] {
    return this.sessions.find(query).map((s) => s.toInfo());
  }

  // ---------------------------------------------------------------- calls

  /**
   * Places a call from a session's account, with the browser's offer or a server-side source,
   * after the dial plan and the authorization hook allowed it.
   */
  async startCall(request: StartCallRequest, media: LocalMedia): Promise<GatewayCall> {
    this.#assertRunning();
    const session = this.#session(request.sessionId);
    const pending = request.callId === undefined ? undefined : this.calls.get(request.callId);
    // A REST-originated browser call (authorized already): the browser now sends its offer.
    if (
      pending?.awaitingBrowserOffer &&
      pending.sessionId === session.id &&
      media.kind === 'webrtc'
    ) {
      pending.awaitingBrowserOffer = false;
      this.#clearCallTimer(pending.id);
      this.#dial(session, pending, media);
      return pending;
    }
    await this.#allow(session, request);
    const call = this.#newOutboundCall(session, request);
    this.#dial(session, call, media);
    return call;
  }

  /**
   * Reserves a call for a browser session and asks the browser (over its WebSocket) to place
   * it; the browser answers with `call.create` carrying the same call id and its offer.
   */
  async originateBrowserCall(request: StartCallRequest): Promise<GatewayCall> {
    this.#assertRunning();
    const session = this.#session(request.sessionId);
    if (session.origin !== 'websocket' || !session.attached) {
      throw new GatewayError('NOT_CONNECTED', `session ${session.id} has no browser attached`);
    }
    await this.#allow(session, request);
    const call = this.#newOutboundCall(session, request);
    call.awaitingBrowserOffer = true;
    this.#startCallTimer(call.id, this.#options.browserOfferTimeoutMs, () => {
      this.#endCall(call, {
        kind: 'failed',
        failure: { reason: 'FAILED_BY_REQUEST_TIMEOUT', message: 'the browser sent no offer' },
      });
    });
    this.emit('originateCall', { call: call.toInfo() });
    return call;
  }

  async answerCall(
    callId: string,
    media: SessionDescription | ServerMediaSource,
    scope: Scope = {},
  ): Promise<CallInfo> {
    const call = this.#call(callId, scope);
    if (call.direction !== 'inbound' || call.status !== 'RING') {
      throw new GatewayError(
        'CALL_NOT_ALLOWED_IN_STATE',
        `call ${callId} cannot be answered in ${call.status}`,
      );
    }
    this.#clearCallTimer(callId);
    await this.#legAction(call, (leg) => leg.answer(media));
    return call.toInfo();
  }

  /**
   * Hangs up (CANCEL/BYE), or rejects an unanswered incoming call with `sipStatus`. Concurrent
   * hangups of one call (browser, REST, session close) share one backend request.
   */
  async hangupCall(callId: string, scope: Scope = {}, sipStatus?: number): Promise<CallInfo> {
    const call = this.#call(callId, scope);
    if (call.isFinal) return call.toInfo();
    let ending = this.#hangingUp.get(callId);
    if (!ending) {
      ending = this.#hangup(call, sipStatus).finally(() => this.#hangingUp.delete(callId));
      this.#hangingUp.set(callId, ending);
    }
    return ending;
  }

  async #hangup(call: GatewayCall, sipStatus: number | undefined): Promise<CallInfo> {
    const callId = call.id;
    const leg = call.leg;
    if (!leg) {
      this.#endCall(call, { kind: 'finished', by: 'local' });
      return call.toInfo();
    }
    this.#clearCallTimer(callId);
    try {
      if (call.direction === 'inbound' && call.status === 'RING') {
        await leg.reject(sipStatus ?? SIP_REJECT_BUSY_HERE);
      } else {
        await leg.hangup();
      }
    } catch (error) {
      this.#log.warn('backend hangup failed; ending the call anyway', { callId, error });
    }
    // The backend reports `ended`; if it did not, the call still ends here.
    if (!call.isFinal) this.#endCall(call, { kind: 'finished', by: 'local' });
    return call.toInfo();
  }

  async holdCall(callId: string, scope: Scope = {}): Promise<CallInfo> {
    const call = this.#call(callId, scope);
    if (call.heldLocally || (call.status !== 'ESTABLISHED' && call.status !== 'HOLD')) {
      throw new GatewayError(
        'CALL_NOT_ALLOWED_IN_STATE',
        `call ${callId} cannot be held in ${call.status}`,
      );
    }
    await this.#legAction(call, (leg) => leg.hold());
    if (call.isFinal) return call.toInfo();
    call.heldLocally = true;
    this.#applyHold(call);
    return call.toInfo();
  }

  async unholdCall(callId: string, scope: Scope = {}): Promise<CallInfo> {
    const call = this.#call(callId, scope);
    if (!call.heldLocally || call.isFinal) {
      throw new GatewayError(
        'CALL_NOT_ALLOWED_IN_STATE',
        `call ${callId} is not held by this side`,
      );
    }
    await this.#legAction(call, (leg) => leg.unhold());
    if (call.isFinal) return call.toInfo();
    call.heldLocally = false;
    this.#applyHold(call);
    return call.toInfo();
  }

  async transferCall(
    callId: string,
    request: TransferRequest,
    scope: Scope = {},
  ): Promise<CallInfo> {
    const call = this.#call(callId, scope);
    if (call.status !== 'ESTABLISHED' && call.status !== 'HOLD') {
      throw new GatewayError(
        'CALL_NOT_ALLOWED_IN_STATE',
        `call ${callId} cannot be transferred in ${call.status}`,
      );
    }
    if (request.replacesCallId !== undefined) {
      if (request.replacesCallId === callId) {
        throw new GatewayError('INVALID_MESSAGE', 'a call cannot replace itself');
      }
      const other = this.#call(request.replacesCallId, scope);
      const otherLeg = other.leg;
      if (!otherLeg || (other.status !== 'ESTABLISHED' && other.status !== 'HOLD')) {
        throw new GatewayError('CALL_NOT_ALLOWED_IN_STATE', `call ${other.id} is not established`);
      }
      await this.#legAction(call, (leg) => leg.transfer({ kind: 'attended', replaces: otherLeg }));
    } else {
      const target = request.target;
      await this.#legAction(call, (leg) => leg.transfer({ kind: 'blind', target }));
    }
    return call.toInfo();
  }

  async sendDtmf(
    callId: string,
    digits: string,
    type: DtmfType,
    scope: Scope = {},
  ): Promise<CallInfo> {
    const call = this.#call(callId, scope);
    if (!DTMF_DIGITS.test(digits)) {
      throw new GatewayError('INVALID_MESSAGE', 'DTMF digits must be 1–64 of 0-9, *, #, A-D');
    }
    if (
      call.status !== 'ESTABLISHED' &&
      call.status !== 'SESSION_PROGRESS' &&
      call.status !== 'RING_MEDIA'
    ) {
      throw new GatewayError('CALL_NOT_ALLOWED_IN_STATE', `DTMF cannot be sent in ${call.status}`);
    }
    await this.#legAction(call, (leg) => leg.sendDtmf(digits, type));
    return call.toInfo();
  }

  async updateBrowserDescription(
    callId: string,
    description: SessionDescription,
    scope: Scope = {},
  ): Promise<void> {
    const call = this.#call(callId, scope);
    await this.#legAction(call, (leg) => leg.updateBrowserDescription(description));
  }

  getCall(callId: string): GatewayCall | undefined {
    return this.calls.get(callId);
  }

  findCalls(query: CallQuery): CallInfo[] {
    return this.calls.find(query).map((c) => c.toInfo());
  }

  /** Stops accepting, ends every call and session, then stops the backend. */
  async shutdown(): Promise<void> {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    await Promise.all(this.sessions.all().map((s) => this.closeSession(s.id)));
    for (const handle of this.#callTimers.values()) this.#options.clock.clearTimeout(handle);
    this.#callTimers.clear();
    await this.#options.backend?.shutdown();
  }

  // ---------------------------------------------------------------- internals

  #assertRunning(): void {
    if (this.#shuttingDown) throw new GatewayError('SHUTTING_DOWN', 'the gateway is stopping');
  }

  #session(sessionId: string): GatewaySession {
    const session = this.sessions.get(sessionId);
    if (!session || session.isEnded) {
      throw new GatewayError('SESSION_NOT_FOUND', `no session ${sessionId}`);
    }
    return session;
  }

  #call(callId: string, scope: Scope): GatewayCall {
    const call = this.calls.get(callId);
    if (!call || (scope.sessionId !== undefined && call.sessionId !== scope.sessionId)) {
      throw new GatewayError('CALL_NOT_FOUND', `no call ${callId}`);
    }
    return call;
  }

  /** Session state, call id, dial plan, then the application's authorization hook. */
  async #allow(session: GatewaySession, request: StartCallRequest): Promise<void> {
    if (!session.canCall) {
      throw new GatewayError(
        'NOT_CONNECTED',
        `session ${session.id} is ${session.status}, not ready for calls`,
      );
    }
    if (request.callId !== undefined && this.calls.has(request.callId)) {
      throw new GatewayError('CALL_ID_IN_USE', `call id ${request.callId} is already in use`, {
        details: { callId: request.callId },
      });
    }
    if (!this.#options.dialPlan.allows(session.account.login, request.callee)) {
      throw new GatewayError(
        'DIAL_PLAN_REJECTED',
        `${session.account.login} may not call ${request.callee}`,
        { details: { callee: request.callee } },
      );
    }
    await this.#options.authorizeCall?.({
      sessionId: session.id,
      login: session.account.login,
      domain: session.account.domain,
      callee: request.callee,
      visibleName: request.visibleName ?? null,
      audio: request.audio,
      video: request.video,
      source: session.source,
    });
    // The session may have ended while the application was deciding.
    this.#session(session.id);
  }

  #newOutboundCall(session: GatewaySession, request: StartCallRequest): GatewayCall {
    const id = request.callId ?? randomUUID();
    const call = new GatewayCall({
      id,
      sessionId: session.id,
      direction: 'outbound',
      caller: session.account.login,
      callee: request.callee,
      visibleName: request.visibleName ?? null,
      audio: request.audio,
      video: request.video,
      sipHeaders: request.sipHeaders ?? {},
      createdAt: this.#options.clock.now(),
    });
    if (!this.calls.add(call)) {
      throw new GatewayError('CALL_ID_IN_USE', `call id ${id} is already in use`, {
        details: { callId: id },
      });
    }
    session.callIds.add(id);
    this.#options.metrics.callsStarted.inc({ direction: 'outbound' });
    this.#log.info('call created', { callId: id, sessionId: session.id, callee: request.callee });
    this.emit('callStatus', { call: call.toInfo() });
    return call;
  }

  #dial(session: GatewaySession, call: GatewayCall, media: LocalMedia): void {
    const binding = session.binding;
    call.media = media;
    this.#setCallStatus(call, 'PENDING');
    if (!binding) {
      this.#endCall(call, {
        kind: 'failed',
        failure: { reason: 'GATEWAY_UNAVAILABLE', message: 'the session has no SIP account bound' },
      });
      return;
    }
    try {
      call.leg = binding.placeCall(
        {
          callId: call.id,
          callee: call.callee,
          ...(call.visibleName === null ? {} : { visibleName: call.visibleName }),
          audio: call.audio,
          video: call.video,
          sipHeaders: call.sipHeaders,
          media,
        },
        this.#legEmit(call),
      );
    } catch (error) {
      this.#log.error('backend could not place the call', { callId: call.id, error });
      this.#endCall(call, { kind: 'failed', failure: failureOf(error) });
    }
  }

  async #legAction(
    call: GatewayCall,
    action: (leg: NonNullable<GatewayCall['leg']>) => Promise<void>,
  ): Promise<void> {
    const leg = call.leg;
    if (!leg || call.isFinal) {
      throw new GatewayError('CALL_NOT_ALLOWED_IN_STATE', `call ${call.id} is ${call.status}`);
    }
    try {
      await action(leg);
    } catch (error) {
      throw toGatewayError(error, 'BACKEND_ERROR');
    }
  }

  #legEmit(call: GatewayCall): SipLegEmit {
    return (event, payload) => {
      if (call.isFinal) {
        this.#log.debug('event after the call ended ignored', { callId: call.id, event });
        return;
      }
      try {
        (this.#legHandlers[event] as (call: GatewayCall, payload: unknown) => void)(call, payload);
      } catch (error) {
        this.#log.warn('backend event rejected', { callId: call.id, event, error });
      }
    };
  }

  readonly #legHandlers: {
    readonly [K in keyof SipLegEventMap]: (call: GatewayCall, payload: SipLegEventMap[K]) => void;
  } = {
    progress: (call, p) => {
      if (p.browserDescription) call.browserDescription = p.browserDescription;
      this.#setCallStatus(call, p.status, {
        sipStatus: p.sipStatus,
        sipReason: p.sipReason,
        ...(p.browserDescription ? { browserDescription: p.browserDescription } : {}),
      });
    },
    established: (call, e) => {
      this.#clearCallTimer(call.id);
      if (e.browserDescription) call.browserDescription = e.browserDescription;
      call.establishedAt = this.#options.clock.now();
      call.mediaMode = e.mediaMode;
      this.#options.metrics.mediaSessions.inc({ mode: e.mediaMode });
      this.#setCallStatus(
        call,
        'ESTABLISHED',
        e.browserDescription ? { browserDescription: e.browserDescription } : {},
      );
    },
    browserDescription: (call, description) => {
      call.browserDescription = description;
      this.emit('callStatus', { call: call.toInfo(), browserDescription: description });
    },
    remoteHold: (call, { held }) => {
      call.heldRemotely = held;
      this.#applyHold(call);
    },
    dtmf: (call, { digits, type }) => {
      this.emit('dtmfReceived', { call: call.toInfo(), digits, type });
    },
    transferProgress: (call, progress) => {
      this.emit('transferProgress', { call: call.toInfo(), ...progress });
    },
    referred: (call, { target }) => {
      this.#log.info('call referred by the SIP side', { callId: call.id, target });
    },
    ended: (call, end) => this.#endCall(call, end),
  };

  #applyHold(call: GatewayCall): void {
    if (call.status !== 'ESTABLISHED' && call.status !== 'HOLD') return;
    const status = call.heldLocally || call.heldRemotely ? 'HOLD' : 'ESTABLISHED';
    if (status !== call.status) this.#setCallStatus(call, status);
  }

  #setCallStatus(
    call: GatewayCall,
    status: CallStatus,
    extra: { sipStatus?: number; sipReason?: string; browserDescription?: SessionDescription } = {},
  ): void {
    const changed = call.transition(status);
    if (changed || extra.browserDescription) {
      this.emit('callStatus', { call: call.toInfo(), ...extra });
    }
  }

  #endCall(call: GatewayCall, end: CallEnd): void {
    if (call.isFinal) return;
    this.#clearCallTimer(call.id);
    let extra: { sipStatus?: number; sipReason?: string } = {};
    switch (end.kind) {
      case 'finished':
        call.transition('FINISH');
        break;
      case 'busy':
        call.failure = { reason: 'SIP_ERROR', sipStatus: end.sipStatus, sipReason: end.sipReason };
        extra = { sipStatus: end.sipStatus, sipReason: end.sipReason };
        call.transition('BUSY');
        break;
      case 'failed':
        call.failure = end.failure;
        if (end.failure.sipStatus !== undefined) {
          extra = { sipStatus: end.failure.sipStatus, sipReason: end.failure.sipReason ?? '' };
        }
        call.transition('FAILED');
        break;
    }
    call.endedAt = this.#options.clock.now();
    call.leg = null;
    this.#options.metrics.callsEnded.inc({
      status: call.status,
      reason: call.failure?.reason ?? '',
    });
    this.#log.info('call ended', { callId: call.id, status: call.status, failure: call.failure });
    this.emit('callStatus', { call: call.toInfo(), ...extra });
    const session = call.sessionId === null ? undefined : this.sessions.get(call.sessionId);
    session?.callIds.delete(call.id);
    const id = call.id;
    this.#startCallTimer(id, this.#options.retainEndedCallsMs, () => this.calls.delete(id));
    // A REST session exists for its calls only.
    if (session?.ephemeral && session.callIds.size === 0) {
      void this.closeSession(session.id);
    }
  }

  #accountEmit(session: GatewaySession): AccountEmit {
    return (event, payload) => {
      if (session.isEnded) return;
      try {
        (this.#accountHandlers[event] as (s: GatewaySession, payload: unknown) => void)(
          session,
          payload,
        );
      } catch (error) {
        this.#log.warn('account event rejected', { sessionId: session.id, event, error });
      }
    };
  }

  readonly #accountHandlers: {
    readonly [K in keyof AccountEventMap]: (
      session: GatewaySession,
      payload: AccountEventMap[K],
    ) => void;
  } = {
    registered: (session) => {
      this.#options.metrics.registrations.inc({ result: 'registered' });
      session.failure = null;
      this.#setSessionStatus(session, 'REGISTERED');
    },
    unregistered: (session, { failure }) => {
      session.failure = failure ?? null;
      if (failure) this.#options.metrics.registrations.inc({ result: 'failed' });
      this.#setSessionStatus(session, 'UNREGISTERED');
    },
    failed: (session, failure) => {
      this.#options.metrics.registrations.inc({ result: 'failed' });
      this.#failSession(session, failure);
    },
    incomingCall: (session, incoming) => this.#onIncomingCall(session, incoming),
  };

  #onIncomingCall(session: GatewaySession, incoming: IncomingSipCall): void {
    const call = new GatewayCall({
      id: randomUUID(),
      sessionId: session.id,
      direction: 'inbound',
      caller: incoming.caller,
      callee: incoming.callee,
      visibleName: incoming.callerName ?? null,
      audio: incoming.audio,
      video: incoming.video,
      sipHeaders: incoming.sipHeaders,
      createdAt: this.#options.clock.now(),
    });
    call.leg = incoming.attach(this.#legEmit(call));
    call.browserDescription = incoming.browserOffer;
    this.calls.add(call);
    session.callIds.add(call.id);
    this.#options.metrics.callsStarted.inc({ direction: 'inbound' });
    call.transition('RING');
    this.#log.info('incoming call', {
      callId: call.id,
      sessionId: session.id,
      caller: call.caller,
    });
    if (!session.attached || this.#shuttingDown) {
      void this.hangupCall(call.id, {}, SIP_REJECT_TEMPORARILY_UNAVAILABLE);
      return;
    }
    this.#startCallTimer(call.id, this.#options.incomingAnswerTimeoutMs, () => {
      void this.hangupCall(call.id, {}, SIP_REJECT_TEMPORARILY_UNAVAILABLE);
    });
    this.emit('incomingCall', { call: call.toInfo(), browserOffer: incoming.browserOffer });
  }

  #setSessionStatus(session: GatewaySession, status: SessionState): void {
    if (session.transition(status)) this.emit('sessionStatus', { session: session.toInfo() });
  }

  #failSession(session: GatewaySession, failure: Failure): void {
    if (session.status === 'FAILED' || session.isEnded) return;
    session.failure = failure;
    this.#log.warn('session failed', { sessionId: session.id, failure });
    this.#setSessionStatus(session, 'FAILED');
    for (const callId of [...session.callIds]) {
      void this.hangupCall(callId).catch(() => undefined);
    }
    if (session.ephemeral || (session.origin === 'websocket' && !session.attached)) {
      void this.closeSession(session.id);
    }
  }

  #startCallTimer(callId: string, ms: number, fn: () => void): void {
    this.#clearCallTimer(callId);
    this.#callTimers.set(
      callId,
      this.#options.clock.setTimeout(() => {
        this.#callTimers.delete(callId);
        fn();
      }, ms),
    );
  }

  #clearCallTimer(callId: string): void {
    const handle = this.#callTimers.get(callId);
    if (handle) this.#options.clock.clearTimeout(handle);
    this.#callTimers.delete(callId);
  }

  #clearSessionTimer(sessionId: string): void {
    const handle = this.#sessionTimers.get(sessionId);
    if (handle) this.#options.clock.clearTimeout(handle);
    this.#sessionTimers.delete(sessionId);
  }

  #sampleMetrics(): void {
    const { calls, sessions } = this.#options.metrics;
    calls.reset();
    sessions.reset();
    for (const status of CALL_STATUSES) calls.set({ status }, this.calls.find({ status }).length);
    for (const status of SESSION_STATES)
      sessions.set({ status }, this.sessions.find({ status }).length);
  }
}
