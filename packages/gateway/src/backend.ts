/**
 * The boundary between the gateway's call control (sessions, calls, APIs) and the B2BUA core
 * that speaks SIP and bridges media. The REST and WebSocket layers never touch SIP or media:
 * they call `CallControlService`, which drives a `CallBackend` through these interfaces.
 *
 * Contract for implementations:
 * - Events go through the `emit` function handed over when a leg or account is created, never
 *   synchronously from inside that same call (queue them, e.g. with queueMicrotask).
 * - Every leg ends with exactly one `ended` event, whatever ended it (either side, failure,
 *   shutdown). After `ended`, no more events for that leg.
 * - Methods reject with an Error (preferably with a stable `code`) when the SIP side refuses;
 *   the call-control service maps that to the API error.
 */
import type { SessionDescription } from '@callbridge/client';
import type { Clock } from './clock.js';
import type { GatewayConfig, SipTransport } from './config.js';
import type { Logger } from './log.js';
import type { GatewayMetrics } from './metrics.js';
import type { DtmfType, Failure } from './model/status.js';

/** An SDP body for the browser leg (the WebSocket protocol's shape). */
export type { SessionDescription };

/** The SIP account a session acts for (the fields of the SDK's `sipOptions`). */
export interface SipAccount {
  readonly login: string;
  /** Digest user name when it differs from `login`. */
  readonly authenticationName?: string;
  readonly password?: string;
  readonly domain: string;
  /** host[:port] of the outbound proxy; the domain's server when absent. */
  readonly outboundProxy?: string;
  /** SIP server port (with `domain` or `outboundProxy`). */
  readonly port?: number;
  /** Register the account (and receive incoming calls) or only place calls through it. */
  readonly registerRequired: boolean;
}

/** A server-side media source for calls without a browser (click-to-call, automated calls). */
export type ServerMediaSource =
  | { readonly kind: 'tone'; readonly frequencyHz: number }
  | { readonly kind: 'file'; readonly path: string; readonly loop: boolean }
  | { readonly kind: 'echo' };

/** What the gateway side of the call is: a browser's WebRTC offer, or a server-side source. */
export type LocalMedia =
  | { readonly kind: 'webrtc'; readonly offer: SessionDescription }
  | { readonly kind: 'server'; readonly source: ServerMediaSource };

export interface OutboundCallRequest {
  /** The gateway's call id (also what the APIs use); handy for logs and metrics labels. */
  readonly callId: string;
  /** User part, number, or full SIP URI to call. */
  readonly callee: string;
  /** Display name for the From header. */
  readonly visibleName?: string;
  readonly audio: boolean;
  readonly video: boolean;
  /** Extra headers for the INVITE, already validated as header names/values. */
  readonly sipHeaders: Readonly<Record<string, string>>;
  readonly media: LocalMedia;
}

export type ProgressStatus = 'TRYING' | 'RING' | 'RING_MEDIA' | 'SESSION_PROGRESS';

/** How a leg ended. */
export type CallEnd =
  | { readonly kind: 'finished'; readonly by: 'local' | 'remote' }
  | { readonly kind: 'busy'; readonly sipStatus: number; readonly sipReason: string }
  | { readonly kind: 'failed'; readonly failure: Failure };

/**
 * Events of one call leg pair (browser/source ↔ SIP), emitted by the backend.
 *
 * SDP for the browser (RFC 3264 as WebRTC applies it): the browser's offer gets exactly one
 * final `answer`, sent with early media (183/180 with SDP) or with `established`, whichever
 * comes first; the SDK applies each distinct SDP once and cannot take a second, different
 * `answer` for the same offer. A backend that wants to change its answer later sends a
 * `pranswer` first, or re-offers with `browserDescription` (type `offer`) once established.
 */
export interface SipLegEventMap {
  /** Provisional response from the SIP side; early media carries the browser's SDP answer. */
  progress: {
    readonly status: ProgressStatus;
    readonly sipStatus: number;
    readonly sipReason: string;
    readonly browserDescription?: SessionDescription;
  };
  /** The call is up (2xx/ACK done). `browserDescription` when the browser still needs one. */
  established: {
    readonly browserDescription?: SessionDescription;
    /** Whether media is relayed (shared codec) or transcoded; for metrics and logs. */
    readonly mediaMode: 'relay' | 'transcode';
  };
  /** A new description for the browser outside offer/answer of the call set-up. */
  browserDescription: SessionDescription;
  /** The SIP side put the call on hold (or took it off hold). */
  remoteHold: { readonly held: boolean };
  /** DTMF received from the SIP side. */
  dtmf: { readonly digits: string; readonly type: DtmfType };
  /** NOTIFY sipfrag progress of a transfer this leg requested (RFC 3515 §2.4.5). */
  transferProgress: {
    readonly sipStatus: number;
    readonly sipReason: string;
    readonly final: boolean;
  };
  /** The SIP side sent a REFER; the backend follows it and reports the new remote here. */
  referred: { readonly target: string };
  ended: CallEnd;
}

export type SipLegEmit = <K extends keyof SipLegEventMap>(
  event: K,
  payload: SipLegEventMap[K],
) => void;

export type TransferTarget =
  /** REFER to a URI or number (RFC 3515). */
  | { readonly kind: 'blind'; readonly target: string }
  /** REFER with Replaces of the other call's SIP dialog (RFC 3891). */
  | { readonly kind: 'attended'; readonly replaces: SipLeg };

/** One call as the backend runs it. */
export interface SipLeg {
  /** Answers an incoming call with the browser's SDP answer (or a server media source). */
  answer(media: SessionDescription | ServerMediaSource): Promise<void>;
  /** Rejects an incoming call that was not answered (RFC 3261 §13.3.1.3). */
  reject(sipStatus: number, sipReason?: string): Promise<void>;
  /** CANCEL before the answer, BYE after it. Resolves once the leg is released. */
  hangup(): Promise<void>;
  /** re-INVITE with a=sendonly (or inactive when the remote holds already), RFC 3264 §8.4. */
  hold(): Promise<void>;
  unhold(): Promise<void>;
  transfer(target: TransferTarget): Promise<void>;
  sendDtmf(digits: string, type: DtmfType): Promise<void>;
  /** A re-offer or answer from the browser (renegotiation after set-up). */
  updateBrowserDescription(description: SessionDescription): Promise<void>;
}

/** An INVITE for a registered account, handed to call control before anything is answered. */
export interface IncomingSipCall {
  readonly caller: string;
  readonly callerName?: string;
  readonly callee: string;
  readonly audio: boolean;
  readonly video: boolean;
  readonly sipHeaders: Readonly<Record<string, string>>;
  /** The WebRTC offer the B2BUA prepared for the browser leg. */
  readonly browserOffer: SessionDescription;
  /**
   * Call control takes the call: it must call this synchronously inside the `incomingCall`
   * handler. Events (CANCEL from the caller, …) flow to `emit` from then on.
   */
  attach(emit: SipLegEmit): SipLeg;
}

export interface AccountEventMap {
  registered: { readonly expiresSec: number };
  /** Registration ended or lapsed; the backend keeps retrying and reports `registered` again. */
  unregistered: { readonly failure?: Failure };
  /** The account cannot be used any more (e.g. authentication refused). */
  failed: Failure;
  incomingCall: IncomingSipCall;
}

export type AccountEmit = <K extends keyof AccountEventMap>(
  event: K,
  payload: AccountEventMap[K],
) => void;

/** A SIP account bound in the backend: transport ready, registering when asked to. */
export interface SipAccountBinding {
  placeCall(request: OutboundCallRequest, emit: SipLegEmit): SipLeg;
  /** Unregisters (when registered) and releases the account. Calls were ended before. */
  close(): Promise<void>;
}

/** What the B2BUA core implements. */
export interface CallBackend {
  /**
   * Binds an account. Resolves once the gateway can act for it (session ESTABLISHED);
   * registration results follow as `registered`/`unregistered`/`failed` events. Rejects with a
   * `Failure`-shaped error (see `BackendFailureError`) when the account cannot be bound.
   */
  bindAccount(account: SipAccount, emit: AccountEmit): Promise<SipAccountBinding>;
  /** Stops accepting, ends remaining legs (BYE) and unregisters. */
  shutdown(): Promise<void>;
}

/** What a backend gets when the gateway creates it. */
export interface BackendContext {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly clock: Clock;
  /** The embedded demo when it runs: its SIP server is where accounts register. */
  readonly demo: EmbeddedDemo | null;
}

export type CallBackendFactory = (context: BackendContext) => CallBackend | Promise<CallBackend>;

/**
 * The embedded demo (a SIP registrar/proxy with demo accounts and numbers on 127.0.0.1),
 * started before the backend when the configuration has no SIP server of its own.
 */
export interface EmbeddedDemo {
  readonly domain: string;
  /** Where the demo SIP server listens; the backend sends every account's traffic there. */
  readonly sipServer: {
    readonly host: string;
    readonly port: number;
    readonly transport: SipTransport;
  };
  /** Demo accounts; their passwords are documented and public by design. */
  readonly accounts: readonly { readonly login: string; readonly password: string }[];
  readonly numbers: readonly { readonly number: string; readonly description: string }[];
  stop(): Promise<void>;
}

export type EmbeddedDemoFactory = (context: Omit<BackendContext, 'demo'>) => Promise<EmbeddedDemo>;

/** A backend error that carries the failure to report (e.g. registration server unreachable). */
export class BackendFailureError extends Error {
  override readonly name = 'BackendFailureError';
  readonly failure: Failure;
  constructor(failure: Failure, options?: { cause?: unknown }) {
    super(failure.message ?? failure.reason, options);
    this.failure = failure;
  }
}
