import type {
  LocalMedia,
  SessionDescription,
  SipAccount,
  SipAccountBinding,
  SipLeg,
} from '../backend.js';
import { transitionCall } from './call-state.js';
import type { CallQuery, SessionQuery } from './registry.js';
import { transitionSession } from './session-state.js';
import type { CallStatus, Failure, SessionState } from './status.js';
import { FINAL_CALL_STATUSES } from './status.js';

export type CallDirection = 'outbound' | 'inbound';

/** A call as the APIs report it (no SDP bodies except the pending browser description). */
export interface CallInfo {
  readonly id: string;
  readonly sessionId: string | null;
  readonly direction: CallDirection;
  readonly caller: string;
  readonly callee: string;
  readonly visibleName: string | null;
  readonly audio: boolean;
  readonly video: boolean;
  readonly status: CallStatus;
  readonly failure: Failure | null;
  readonly onHold: { readonly local: boolean; readonly remote: boolean };
  readonly mediaMode: 'relay' | 'transcode' | null;
  readonly createdAt: string;
  readonly establishedAt: string | null;
  readonly endedAt: string | null;
  /** The latest SDP the gateway has for the browser leg (for HTTP-only WebRTC clients). */
  readonly browserDescription: SessionDescription | null;
}

export interface CallInit {
  readonly id: string;
  readonly sessionId: string | null;
  readonly direction: CallDirection;
  readonly caller: string;
  readonly callee: string;
  readonly visibleName: string | null;
  readonly audio: boolean;
  readonly video: boolean;
  readonly sipHeaders: Readonly<Record<string, string>>;
  readonly createdAt: number;
}

export class GatewayCall {
  readonly id: string;
  readonly sessionId: string | null;
  readonly direction: CallDirection;
  readonly caller: string;
  readonly callee: string;
  readonly visibleName: string | null;
  readonly audio: boolean;
  video: boolean;
  readonly sipHeaders: Readonly<Record<string, string>>;
  readonly createdAt: number;
  #status: CallStatus = 'NEW';
  failure: Failure | null = null;
  establishedAt: number | null = null;
  endedAt: number | null = null;
  heldLocally = false;
  heldRemotely = false;
  mediaMode: 'relay' | 'transcode' | null = null;
  browserDescription: SessionDescription | null = null;
  media: LocalMedia | null = null;
  leg: SipLeg | null = null;
  /** Set when the call was originated for a browser session that has yet to send its offer. */
  awaitingBrowserOffer = false;

  constructor(init: CallInit) {
    this.id = init.id;
    this.sessionId = init.sessionId;
    this.direction = init.direction;
    this.caller = init.caller;
    this.callee = init.callee;
    this.visibleName = init.visibleName;
    this.audio = init.audio;
    this.video = init.video;
    this.sipHeaders = init.sipHeaders;
    this.createdAt = init.createdAt;
  }

  get status(): CallStatus {
    return this.#status;
  }

  get isFinal(): boolean {
    return FINAL_CALL_STATUSES.has(this.#status);
  }

  /** Validated status change (see call-state.ts); returns whether the status changed. */
  transition(to: CallStatus): boolean {
    const changed = transitionCall(this.id, this.#status, to);
    this.#status = to;
    return changed;
  }

  matches(query: CallQuery): boolean {
    return (
      (query.id === undefined || query.id === this.id) &&
      (query.callee === undefined || query.callee === this.callee) &&
      (query.caller === undefined || query.caller === this.caller) &&
      (query.status === undefined || query.status === this.#status) &&
      (query.sessionId === undefined || query.sessionId === this.sessionId)
    );
  }

  toInfo(): CallInfo {
    const iso = (t: number | null): string | null =>
      t === null ? null : new Date(t).toISOString();
    return {
      id: this.id,
      sessionId: this.sessionId,
      direction: this.direction,
      caller: this.caller,
      callee: this.callee,
      visibleName: this.visibleName,
      audio: this.audio,
      video: this.video,
      status: this.#status,
      failure: this.failure,
      onHold: { local: this.heldLocally, remote: this.heldRemotely },
      mediaMode: this.mediaMode,
      createdAt: new Date(this.createdAt).toISOString(),
      establishedAt: iso(this.establishedAt),
      endedAt: iso(this.endedAt),
      browserDescription: this.browserDescription,
    };
  }
}

export type SessionOrigin = 'websocket' | 'rest';

/** A session as the APIs report it; never carries the password. */
export interface SessionInfo {
  readonly id: string;
  readonly origin: SessionOrigin;
  readonly login: string;
  readonly domain: string;
  readonly registerRequired: boolean;
  readonly status: SessionState;
  readonly failure: Failure | null;
  readonly attached: boolean;
  readonly callIds: readonly string[];
  readonly createdAt: string;
}

export class GatewaySession {
  readonly id: string;
  readonly origin: SessionOrigin;
  readonly account: SipAccount;
  readonly resumeToken: string;
  readonly createdAt: number;
  /** Where the session came from (IP address), for rate limits and logs. */
  readonly source: string;
  /** Opened for one REST call only: closed when its last call ends. */
  readonly ephemeral: boolean;
  #status: SessionState = 'CONNECTED';
  failure: Failure | null = null;
  binding: SipAccountBinding | null = null;
  /** Whether a WebSocket is attached right now (false during the resume grace period). */
  attached: boolean;
  readonly callIds = new Set<string>();

  constructor(init: {
    id: string;
    origin: SessionOrigin;
    account: SipAccount;
    resumeToken: string;
    createdAt: number;
    source: string;
    ephemeral: boolean;
  }) {
    this.id = init.id;
    this.origin = init.origin;
    this.account = init.account;
    this.resumeToken = init.resumeToken;
    this.createdAt = init.createdAt;
    this.source = init.source;
    this.ephemeral = init.ephemeral;
    this.attached = init.origin === 'websocket';
  }

  get status(): SessionState {
    return this.#status;
  }

  get isEnded(): boolean {
    return this.#status === 'DISCONNECTED';
  }

  /** Whether the SIP account is bound, so calls can be placed. */
  get canCall(): boolean {
    return (
      this.#status === 'ESTABLISHED' ||
      this.#status === 'REGISTERED' ||
      this.#status === 'UNREGISTERED'
    );
  }

  transition(to: SessionState): boolean {
    const changed = transitionSession(this.id, this.#status, to);
    this.#status = to;
    return changed;
  }

  matches(query: SessionQuery): boolean {
    return (
      (query.id === undefined || query.id === this.id) &&
      (query.login === undefined || query.login === this.account.login) &&
      (query.status === undefined || query.status === this.#status)
    );
  }

  toInfo(): SessionInfo {
    return {
      id: this.id,
      origin: this.origin,
      login: this.account.login,
      domain: this.account.domain,
      registerRequired: this.account.registerRequired,
      status: this.#status,
      failure: this.failure,
      attached: this.attached,
      callIds: [...this.callIds],
      createdAt: new Date(this.createdAt).toISOString(),
    };
  }
}
