/**
 * Serves the WebSocket protocol (protocol/websocket.ts) on top of call control: one
 * `BrowserConnection` per socket, service events routed to the socket of their session.
 */
import type { WebSocket } from 'ws';
import type { Clock, TimerHandle } from './clock.js';
import { GatewayError, toGatewayError } from './errors.js';
import type { Logger } from './log.js';
import type { GatewayMetrics } from './metrics.js';
import type { CallInfo } from './model/records.js';
import type { ClientMessage, ServerMessage } from './protocol/websocket.js';
import {
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  parseClientMessage,
  requestIdOf,
} from './protocol/websocket.js';
import type { RateLimiter } from './rate-limit.js';
import { sipOptionsToAccount } from './rest.js';
import type { CallControlService } from './service.js';

export interface WebSocketHubOptions {
  readonly service: CallControlService;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly logins: RateLimiter;
  readonly callAttempts: RateLimiter;
  readonly resumeGraceMs: number;
  readonly clock: Clock;
  /** Interval of WebSocket pings that detect dead peers (RFC 6455 §5.5.2). */
  readonly heartbeatMs?: number;
}

function callStatusMessage(
  call: CallInfo,
  extra: {
    sipStatus?: number;
    sipReason?: string;
    browserDescription?: { type: 'offer' | 'answer' | 'pranswer'; sdp: string };
  } = {},
): ServerMessage {
  return {
    type: 'call.status',
    callId: call.id,
    status: call.status,
    ...(call.failure ? { failure: call.failure } : {}),
    ...(extra.sipStatus === undefined
      ? {}
      : { sipStatus: extra.sipStatus, sipReason: extra.sipReason ?? '' }),
    ...(extra.browserDescription ? { sdp: extra.browserDescription } : {}),
  };
}

/** Routes call-control events to browser connections; owns the set of live connections. */
export class WebSocketHub {
  readonly #options: WebSocketHubOptions;
  readonly #bySession = new Map<string, BrowserConnection>();
  readonly #connections = new Set<BrowserConnection>();
  readonly #unsubscribe: () => void;
  readonly #log: Logger;

  constructor(options: WebSocketHubOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'websocket' });
    const { service } = options;
    const offs = [
      service.on('sessionStatus', ({ session }) => {
        const connection = this.#bySession.get(session.id);
        connection?.send({
          type: 'session.status',
          sessionId: session.id,
          status: session.status,
          ...(session.failure ? { failure: session.failure } : {}),
        });
        if (session.status === 'DISCONNECTED') this.#bySession.delete(session.id);
      }),
      service.on('callStatus', ({ call, ...extra }) =>
        this.#toSession(call.sessionId, callStatusMessage(call, extra)),
      ),
      service.on('incomingCall', ({ call, browserOffer }) =>
        this.#toSession(call.sessionId, {
          type: 'call.incoming',
          callId: call.id,
          caller: call.caller,
          ...(call.visibleName === null ? {} : { callerName: call.visibleName }),
          callee: call.callee,
          audio: call.audio,
          video: call.video,
          sdp: browserOffer,
        }),
      ),
      service.on('originateCall', ({ call }) => {
        const record = service.getCall(call.id);
        this.#toSession(call.sessionId, {
          type: 'call.originate',
          callId: call.id,
          callee: call.callee,
          ...(call.visibleName === null ? {} : { visibleName: call.visibleName }),
          audio: call.audio,
          video: call.video,
          sipHeaders: { ...(record?.sipHeaders ?? {}) },
        });
      }),
      service.on('transferProgress', ({ call, sipStatus, sipReason, final }) =>
        this.#toSession(call.sessionId, {
          type: 'call.transfer_status',
          callId: call.id,
          sipStatus,
          sipReason,
          final,
        }),
      ),
      service.on('dtmfReceived', ({ call, digits, type }) =>
        this.#toSession(call.sessionId, {
          type: 'call.dtmf',
          callId: call.id,
          digits,
          dtmfType: type,
        }),
      ),
    ];
    this.#unsubscribe = () => offs.forEach((off) => off());
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Takes a freshly upgraded socket. */
  accept(socket: WebSocket, source: string): void {
    const connection = new BrowserConnection(socket, source, this.#options, this);
    this.#connections.add(connection);
    this.#options.metrics.wsConnections.set({}, this.#connections.size);
  }

  /** Closes every socket (1001 going away); sessions are closed by call control. */
  close(): void {
    this.#unsubscribe();
    for (const c of this.#connections) c.close(1001, 'gateway stopping');
  }

  bind(sessionId: string, connection: BrowserConnection): void {
    this.#bySession.set(sessionId, connection);
  }

  released(connection: BrowserConnection): void {
    this.#connections.delete(connection);
    this.#options.metrics.wsConnections.set({}, this.#connections.size);
    const sessionId = connection.sessionId;
    if (sessionId !== null && this.#bySession.get(sessionId) === connection) {
      this.#bySession.delete(sessionId);
      this.#options.service.detachSession(sessionId);
    }
  }

  #toSession(sessionId: string | null, message: ServerMessage): void {
    if (sessionId === null) return;
    this.#bySession.get(sessionId)?.send(message);
  }

  get log(): Logger {
    return this.#log;
  }
}

class BrowserConnection {
  sessionId: string | null = null;
  #alive = true;
  #heartbeat: TimerHandle | null = null;

  constructor(
    private readonly socket: WebSocket,
    private readonly source: string,
    private readonly options: WebSocketHubOptions,
    private readonly hub: WebSocketHub,
  ) {
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        this.#sendError(
          new GatewayError('INVALID_MESSAGE', 'binary frames are not part of the protocol'),
          undefined,
        );
        return;
      }
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data as ArrayBuffer).toString('utf8');
      void this.#onText(text);
    });
    socket.on('pong', () => {
      this.#alive = true;
    });
    socket.on('close', () => {
      if (this.#heartbeat) options.clock.clearTimeout(this.#heartbeat);
      this.#heartbeat = null;
      hub.released(this);
    });
    socket.on('error', (error) => hub.log.debug('websocket error', { source, error }));
    this.#scheduleHeartbeat();
  }

  /** A peer that misses one ping interval without a pong is gone: terminate the socket. */
  #scheduleHeartbeat(): void {
    this.#heartbeat = this.options.clock.setTimeout(() => {
      if (!this.#alive) {
        this.socket.terminate();
        return;
      }
      this.#alive = false;
      this.socket.ping();
      this.#scheduleHeartbeat();
    }, this.options.heartbeatMs ?? 30_000);
  }

  send(message: ServerMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  #sendError(error: GatewayError, requestId: string | undefined): void {
    this.options.metrics.errors.inc({ code: error.code });
    this.send({
      type: 'error',
      ...(requestId === undefined ? {} : { requestId }),
      ...error.toJSON(),
    });
  }

  async #onText(text: string): Promise<void> {
    let message: ClientMessage;
    try {
      if (text.length > MAX_MESSAGE_BYTES)
        throw new GatewayError('PAYLOAD_TOO_LARGE', 'the message is too large');
      message = parseClientMessage(text);
    } catch (error) {
      const e = toGatewayError(error);
      let requestId: string | undefined;
      try {
        requestId = requestIdOf(JSON.parse(text));
      } catch {
        requestId = undefined;
      }
      this.#sendError(e, requestId);
      return;
    }
    try {
      const result = await this.#handle(message);
      if (result !== undefined && message.requestId !== undefined) {
        this.send({ type: 'response', requestId: message.requestId, result });
      }
    } catch (error) {
      const e = toGatewayError(error);
      if (e.code === 'INTERNAL_ERROR')
        this.hub.log.error('websocket request failed', { type: message.type, error });
      this.#sendError(e, message.requestId);
    }
  }

  #scope(): { sessionId: string } {
    if (this.sessionId === null)
      throw new GatewayError('NOT_CONNECTED', 'send session.connect first');
    return { sessionId: this.sessionId };
  }

  async #handle(message: ClientMessage): Promise<Record<string, unknown> | undefined> {
    const { service } = this.options;
    switch (message.type) {
      case 'ping':
        this.send({
          type: 'pong',
          ...(message.requestId === undefined ? {} : { requestId: message.requestId }),
        });
        return undefined;
      case 'session.connect': {
        if (this.sessionId !== null)
          throw new GatewayError('ALREADY_CONNECTED', 'this connection has a session already');
        if (!this.options.logins.allow(this.source))
          throw new GatewayError('RATE_LIMITED', 'too many logins from this address');
        const session = service.openSession({
          origin: 'websocket',
          account: sipOptionsToAccount(message.sipOptions, true),
          source: this.source,
        });
        this.sessionId = session.id;
        this.hub.bind(session.id, this);
        if (message.requestId !== undefined) {
          this.send({
            type: 'response',
            requestId: message.requestId,
            result: this.#sessionResult(session.id, session.resumeToken),
          });
        }
        this.send({ type: 'session.status', sessionId: session.id, status: session.status });
        // Binding outcomes (ESTABLISHED, REGISTERED, FAILED) arrive as session.status events.
        service.bindSession(session.id).catch((error: unknown) =>
          this.hub.log.info('session could not bind its account', {
            sessionId: session.id,
            error,
          }),
        );
        return undefined;
      }
      case 'session.resume': {
        if (this.sessionId !== null)
          throw new GatewayError('ALREADY_CONNECTED', 'this connection has a session already');
        const session = service.resumeSession(message.sessionId, message.resumeToken);
        this.sessionId = session.id;
        this.hub.bind(session.id, this);
        if (message.requestId !== undefined) {
          this.send({
            type: 'response',
            requestId: message.requestId,
            result: this.#sessionResult(session.id, session.resumeToken),
          });
        }
        this.send({
          type: 'session.status',
          sessionId: session.id,
          status: session.status,
          ...(session.failure ? { failure: session.failure } : {}),
        });
        for (const callId of session.callIds) {
          const call = service.getCall(callId);
          if (call) this.send(callStatusMessage(call.toInfo()));
        }
        return undefined;
      }
      case 'session.disconnect': {
        const { sessionId } = this.#scope();
        await service.closeSession(sessionId);
        this.sessionId = null;
        if (message.requestId !== undefined)
          this.send({ type: 'response', requestId: message.requestId, result: { sessionId } });
        this.socket.close(1000, 'session closed');
        return undefined;
      }
      case 'call.create': {
        const { sessionId } = this.#scope();
        if (!this.options.callAttempts.allow(this.source))
          throw new GatewayError('RATE_LIMITED', 'too many call attempts from this address');
        const call = await service.startCall(
          {
            sessionId,
            callee: message.callee,
            audio: message.audio,
            video: message.video,
            ...(message.callId === undefined ? {} : { callId: message.callId }),
            ...(message.visibleName === undefined ? {} : { visibleName: message.visibleName }),
            ...(message.sipHeaders === undefined ? {} : { sipHeaders: message.sipHeaders }),
          },
          { kind: 'webrtc', offer: message.sdp },
        );
        return { callId: call.id, status: call.status };
      }
      case 'call.answer': {
        const call = await service.answerCall(message.callId, message.sdp, this.#scope());
        return { callId: call.id, status: call.status };
      }
      case 'call.hangup': {
        const call = await service.hangupCall(message.callId, this.#scope(), message.sipStatus);
        return { callId: call.id, status: call.status };
      }
      case 'call.hold': {
        const call = await service.holdCall(message.callId, this.#scope());
        return { callId: call.id, status: call.status };
      }
      case 'call.unhold': {
        const call = await service.unholdCall(message.callId, this.#scope());
        return { callId: call.id, status: call.status };
      }
      case 'call.transfer': {
        const call = await service.transferCall(
          message.callId,
          message.target !== undefined
            ? { target: message.target }
            : { replacesCallId: message.replacesCallId },
          this.#scope(),
        );
        return { callId: call.id, status: call.status };
      }
      case 'call.dtmf': {
        const call = await service.sendDtmf(
          message.callId,
          message.digits,
          message.dtmfType,
          this.#scope(),
        );
        return { callId: call.id, status: call.status };
      }
      case 'call.sdp': {
        await service.updateBrowserDescription(message.callId, message.sdp, this.#scope());
        return { callId: message.callId };
      }
    }
  }

  #sessionResult(sessionId: string, resumeToken: string): Record<string, unknown> {
    return {
      sessionId,
      resumeToken,
      resumeGraceMs: this.options.resumeGraceMs,
      protocolVersion: PROTOCOL_VERSION,
    };
  }
}
