import type { CallOptions } from './call.js';
import { Call } from './call.js';
import type { CallHost } from './call.js';
import type { Failure, SessionStatus } from './constants.js';
import { SESSION_EVENT } from './constants.js';
import { Emitter } from './emitter.js';
import { CallbridgeError } from './errors.js';
import { PROTOCOL_VERSION } from './protocol/index.js';
import type { ServerMessage, SipOptionsMessage } from './protocol/index.js';
import type { WebSocketConstructor } from './signalling.js';
import { Signalling, websocketUrl } from './signalling.js';

/** The SIP account a session binds, exactly as `session.connect` carries it. */
export type SipOptions = SipOptionsMessage;

export interface SessionOptions {
  /** The gateway: ws(s)://host:port[/ws] or http(s)://host:port. */
  readonly urlServer: string;
  readonly sipOptions: SipOptions;
  /** Reconnect and resume after the WebSocket drops (default true). */
  readonly reconnect?: boolean;
  /** How long the SDK waits for gateway answers (default 15 s). */
  readonly requestTimeoutMs?: number;
  /** ICE servers for the RTCPeerConnection (none needed with the gateway on a reachable address). */
  readonly iceServers?: RTCIceServer[];
  /** For tests and non-browser hosts: the WebSocket, RTCPeerConnection and mediaDevices to use. */
  readonly WebSocket?: WebSocketConstructor;
  readonly RTCPeerConnection?: typeof RTCPeerConnection;
  readonly mediaDevices?: MediaDevices;
}

export interface SessionStatusEvent {
  readonly session: Session;
  readonly status: SessionStatus;
  readonly failure?: Failure;
}

export interface SessionEvents {
  CONNECTED: SessionStatusEvent;
  ESTABLISHED: SessionStatusEvent;
  REGISTERED: SessionStatusEvent;
  UNREGISTERED: SessionStatusEvent;
  DISCONNECTED: SessionStatusEvent;
  FAILED: SessionStatusEvent;
  INCOMING_CALL: Call;
  OUTGOING_CALL: Call;
  RECONNECTING: { session: Session; attempt: number };
  RESUMED: { session: Session };
}

const MAX_BACKOFF_MS = 4000;

/**
 * A connection to the gateway acting for one SIP account. Created by `createSession`, which
 * connects at once; listen with `session.on(SESSION_STATUS.X, handler)`.
 */
export class Session extends Emitter<SessionEvents> {
  #status: SessionStatus | 'NEW' = 'NEW';
  #failure: Failure | null = null;
  #id: string | null = null;
  #resumeToken: string | null = null;
  #resumeGraceMs = 0;
  #closed = false;
  readonly #signalling: Signalling;
  readonly #options: SessionOptions;
  readonly #calls = new Map<string, Call>();
  readonly #host: CallHost;

  /** @internal Use createSession. */
  constructor(options: SessionOptions) {
    super();
    this.#options = options;
    const WebSocketImpl = options.WebSocket ?? globalThis.WebSocket;
    if (!WebSocketImpl)
      throw new CallbridgeError('CONNECTION_FAILED', 'this environment has no WebSocket');
    this.#signalling = new Signalling(
      websocketUrl(options.urlServer),
      WebSocketImpl,
      options.requestTimeoutMs ?? 15_000,
    );
    this.#signalling.on('message', (m) => this.#onMessage(m));
    this.#signalling.on('lost', () => void this.#onLost());
    this.#host = {
      request: (message) => this.#signalling.request(message),
      createPeerConnection: () => this.#createPeerConnection(),
      mediaDevices: () => options.mediaDevices ?? globalThis.navigator?.mediaDevices,
      forget: (call) => {
        this.#calls.delete(call.id());
      },
    };
  }

  id(): string | null {
    return this.#id;
  }
  status(): SessionStatus | 'NEW' {
    return this.#status;
  }
  failure(): Failure | null {
    return this.#failure;
  }
  /** Calls that have not ended. */
  getCalls(): Call[] {
    return [...this.#calls.values()];
  }
  getCall(id: string): Call | undefined {
    return this.#calls.get(id);
  }

  /** @internal Opens the WebSocket and the session. */
  async connect(): Promise<void> {
    try {
      await this.#signalling.connect();
      const result = await this.#signalling.request({
        type: 'session.connect',
        protocolVersion: PROTOCOL_VERSION,
        sipOptions: this.#sipOptions(),
      });
      this.#id = String(result['sessionId']);
      this.#resumeToken = String(result['resumeToken']);
      this.#resumeGraceMs = Number(result['resumeGraceMs']) || 0;
    } catch (error) {
      const e =
        error instanceof CallbridgeError
          ? error
          : new CallbridgeError('CONNECTION_FAILED', String(error), { cause: error });
      this.#fail({
        reason: e.code === 'CONNECTION_FAILED' ? 'CONNECTION_LOST' : 'REQUEST_REFUSED',
        message: e.message,
      });
      throw e;
    }
  }

  /** A call to place with `call.call()`. */
  createCall(options: CallOptions): Call {
    if (this.#closed) throw new CallbridgeError('INVALID_STATE', 'the session is closed');
    const call = new Call(this.#host, options);
    if (this.#calls.has(call.id()))
      throw new CallbridgeError('INVALID_ARGUMENT', `call id ${call.id()} is in use`);
    this.#calls.set(call.id(), call);
    return call;
  }

  /** Ends the session: calls hung up, account unregistered, WebSocket closed. */
  async disconnect(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#signalling.open && this.#id !== null)
        await this.#signalling.request({ type: 'session.disconnect' });
    } catch {
      // Closing anyway; the gateway ends the session when the socket goes.
    }
    this.#signalling.close();
    this.#endCalls({ reason: 'BROWSER_DISCONNECTED' });
    this.#setStatus('DISCONNECTED');
  }

  #sipOptions(): SipOptionsMessage {
    const o = this.#options.sipOptions;
    // Empty optional fields stay off the wire; SipOptions types the required ones.
    return Object.fromEntries(
      Object.entries(o).filter(([, v]) => v !== undefined && v !== ''),
    ) as unknown as SipOptionsMessage;
  }

  #createPeerConnection(): RTCPeerConnection {
    const Impl = this.#options.RTCPeerConnection ?? globalThis.RTCPeerConnection;
    if (!Impl)
      throw new CallbridgeError('WEBRTC_UNSUPPORTED', 'this browser has no RTCPeerConnection');
    return new Impl({
      iceServers: this.#options.iceServers ?? [],
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    });
  }

  #onMessage(message: ServerMessage): void {
    switch (message.type) {
      case 'session.status':
        if (this.#id === null) this.#id = message.sessionId;
        if (message.failure) this.#failure = message.failure;
        this.#setStatus(message.status, message.failure);
        if (message.status === 'DISCONNECTED' || message.status === 'FAILED') {
          this.#endCalls(message.failure ?? { reason: 'BROWSER_DISCONNECTED' });
        }
        if (message.status === 'DISCONNECTED') {
          this.#closed = true;
          this.#signalling.close();
        }
        return;
      case 'call.status':
        this.#calls.get(message.callId)?.handleStatus(message);
        return;
      case 'call.incoming': {
        const call = new Call(
          this.#host,
          {},
          {
            callId: message.callId,
            caller: message.callerName ?? message.caller,
            offer: message.sdp,
            video: message.video,
          },
        );
        this.#calls.set(call.id(), call);
        this.emit(SESSION_EVENT.INCOMING_CALL, call);
        return;
      }
      case 'call.originate': {
        const call = new Call(this.#host, {
          callId: message.callId,
          callee: message.callee,
          ...(message.visibleName === undefined ? {} : { visibleName: message.visibleName }),
          constraints: { audio: message.audio, video: message.video },
          sipHeaders: message.sipHeaders,
        });
        this.#calls.set(call.id(), call);
        this.emit(SESSION_EVENT.OUTGOING_CALL, call);
        // The application saw the call (and may have set displays); place it.
        call.call().catch(() => undefined);
        return;
      }
      case 'call.transfer_status':
        this.#calls
          .get(message.callId)
          ?.handleTransferStatus(message.sipStatus, message.sipReason, message.final);
        return;
      case 'call.dtmf':
        this.#calls.get(message.callId)?.handleDtmf(message.digits, message.dtmfType);
        return;
      case 'error':
        console.warn(`callbridge: gateway error ${message.code}: ${message.message}`);
        return;
      case 'response':
      case 'pong':
        return;
    }
  }

  /** Reconnects with backoff until the gateway's resume grace period is over. */
  async #onLost(): Promise<void> {
    if (this.#closed) return;
    const sessionId = this.#id;
    const resumeToken = this.#resumeToken;
    const canResume =
      this.#options.reconnect !== false &&
      sessionId !== null &&
      resumeToken !== null &&
      this.#resumeGraceMs > 0;
    if (!canResume) {
      this.#lost('the connection to the gateway was lost');
      return;
    }
    const deadline = Date.now() + this.#resumeGraceMs;
    for (let attempt = 1; Date.now() < deadline && !this.#closed; attempt++) {
      this.emit(SESSION_EVENT.RECONNECTING, { session: this, attempt });
      await new Promise((r) => setTimeout(r, Math.min(MAX_BACKOFF_MS, 250 * 2 ** (attempt - 1))));
      try {
        await this.#signalling.connect();
        await this.#signalling.request({
          type: 'session.resume',
          protocolVersion: PROTOCOL_VERSION,
          sessionId,
          resumeToken,
        });
        this.emit(SESSION_EVENT.RESUMED, { session: this });
        return;
      } catch (error) {
        if (
          error instanceof CallbridgeError &&
          (error.code === 'SESSION_RESUME_REJECTED' ||
            error.code === 'UNSUPPORTED_PROTOCOL_VERSION')
        )
          break;
      }
    }
    this.#lost('could not reconnect to the gateway in time');
  }

  #lost(message: string): void {
    this.#closed = true;
    this.#signalling.close();
    const failure: Failure = { reason: 'CONNECTION_LOST', message };
    this.#endCalls(failure);
    this.#failure = failure;
    this.#setStatus('DISCONNECTED', failure);
  }

  #endCalls(failure: Failure): void {
    for (const call of [...this.#calls.values()]) call.handleSessionLost(failure);
    this.#calls.clear();
  }

  #fail(failure: Failure): void {
    this.#failure = failure;
    this.#setStatus('FAILED', failure);
  }

  #setStatus(status: SessionStatus, failure?: Failure): void {
    if (status === this.#status) return;
    this.#status = status;
    this.emit(status, { session: this, status, ...(failure ? { failure } : {}) });
  }
}

/** Connects to the gateway and opens a session for `sipOptions`; status events follow. */
export function createSession(options: SessionOptions): Session {
  const session = new Session(options);
  // Failures are reported as SESSION_STATUS.FAILED; the promise is for `connectSession`.
  session.connect().catch(() => undefined);
  return session;
}

/** Like createSession, but resolves once the gateway accepted the session (CONNECTED). */
export async function connectSession(options: SessionOptions): Promise<Session> {
  const session = new Session(options);
  await session.connect();
  return session;
}

export interface GatewayInfo {
  readonly name: string;
  readonly version: string;
  readonly protocolVersion: number;
  readonly backend: 'ready' | 'absent';
  readonly demo: {
    readonly domain: string;
    readonly accounts: readonly string[];
    readonly numbers: readonly { number: string; description: string }[];
  } | null;
}

/** What the gateway at `urlServer` offers (GET /api/info): version, demo accounts and numbers. */
export async function fetchGatewayInfo(urlServer: string): Promise<GatewayInfo> {
  const url = new URL('/api/info', websocketUrl(urlServer).replace(/^ws/, 'http'));
  const response = await fetch(url);
  if (!response.ok)
    throw new CallbridgeError(
      'CONNECTION_FAILED',
      `GET ${url.pathname} answered ${response.status}`,
    );
  return (await response.json()) as GatewayInfo;
}
