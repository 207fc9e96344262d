import { Emitter } from './emitter.js';
import { CallbridgeError } from './errors.js';
import { WEBSOCKET_SUBPROTOCOL } from './protocol/index.js';
import type { ClientMessage, ServerMessage } from './protocol/index.js';

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocket;

interface SignallingEvents {
  message: ServerMessage;
  /** The socket closed without `close()` being called. */
  lost: { code: number; reason: string };
}

/** Normalises `urlServer`: http(s) becomes ws(s); a bare origin gets the `/ws` path. */
export function websocketUrl(urlServer: string): string {
  let url: URL;
  try {
    url = new URL(urlServer);
  } catch (error) {
    throw new CallbridgeError('INVALID_ARGUMENT', `urlServer "${urlServer}" is not a URL`, {
      cause: error,
    });
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new CallbridgeError(
      'INVALID_ARGUMENT',
      `urlServer must be ws:, wss:, http: or https: (got ${url.protocol})`,
    );
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
  return url.toString();
}

/** One WebSocket with request/response correlation. */
export class Signalling extends Emitter<SignallingEvents> {
  #socket: WebSocket | null = null;
  #nextId = 1;
  #closing = false;
  readonly #pending = new Map<
    string,
    {
      resolve: (r: Record<string, unknown>) => void;
      reject: (e: CallbridgeError) => void;
      timer: ReturnType<typeof setTimeout>;
    }
  >();

  constructor(
    private readonly url: string,
    private readonly WebSocketImpl: WebSocketConstructor,
    private readonly requestTimeoutMs: number,
  ) {
    super();
  }

  get open(): boolean {
    return this.#socket !== null && this.#socket.readyState === 1;
  }

  /** Opens (or re-opens) the socket. */
  connect(): Promise<void> {
    this.#closing = false;
    return new Promise((resolve, reject) => {
      let socket: WebSocket;
      try {
        socket = new this.WebSocketImpl(this.url, WEBSOCKET_SUBPROTOCOL);
      } catch (error) {
        reject(
          new CallbridgeError('CONNECTION_FAILED', `cannot open ${this.url}`, { cause: error }),
        );
        return;
      }
      let opened = false;
      socket.onopen = () => {
        opened = true;
        this.#socket = socket;
        resolve();
      };
      socket.onmessage = (event: MessageEvent) => {
        if (typeof event.data !== 'string') return;
        let message: ServerMessage;
        try {
          message = JSON.parse(event.data) as ServerMessage;
        } catch {
          return;
        }
        this.#dispatch(message);
      };
      socket.onclose = (event: CloseEvent) => {
        if (this.#socket === socket) this.#socket = null;
        this.#failPending(
          new CallbridgeError('NOT_CONNECTED', 'the connection to the gateway closed'),
        );
        if (!opened) {
          reject(
            new CallbridgeError(
              'CONNECTION_FAILED',
              `cannot connect to ${this.url} (close code ${event.code})`,
            ),
          );
          return;
        }
        if (!this.#closing) this.emit('lost', { code: event.code, reason: event.reason });
      };
      socket.onerror = () => {
        // onclose follows and carries the outcome.
      };
    });
  }

  send(message: ClientMessage): void {
    if (!this.#socket || !this.open)
      throw new CallbridgeError('NOT_CONNECTED', 'not connected to the gateway');
    this.#socket.send(JSON.stringify(message));
  }

  /** Sends with a requestId; resolves with the `result` of the response, rejects with the error. */
  request(message: ClientMessage): Promise<Record<string, unknown>> {
    const requestId = `q${this.#nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(requestId);
        reject(
          new CallbridgeError('REQUEST_TIMEOUT', `the gateway did not answer ${message.type}`),
        );
      }, this.requestTimeoutMs);
      this.#pending.set(requestId, { resolve, reject, timer });
      try {
        this.send({ ...message, requestId });
      } catch (error) {
        clearTimeout(timer);
        this.#pending.delete(requestId);
        reject(
          error instanceof Error ? error : new CallbridgeError('NOT_CONNECTED', String(error)),
        );
      }
    });
  }

  close(): void {
    this.#closing = true;
    this.#failPending(new CallbridgeError('NOT_CONNECTED', 'the session was closed'));
    this.#socket?.close(1000);
    this.#socket = null;
  }

  #dispatch(message: ServerMessage): void {
    if (
      (message.type === 'response' || message.type === 'error') &&
      message.requestId !== undefined
    ) {
      const pending = this.#pending.get(message.requestId);
      if (pending) {
        this.#pending.delete(message.requestId);
        clearTimeout(pending.timer);
        if (message.type === 'response') pending.resolve(message.result);
        else
          pending.reject(
            new CallbridgeError(
              message.code,
              message.message,
              message.details ? { details: message.details } : {},
            ),
          );
        return;
      }
    }
    this.emit('message', message);
  }

  #failPending(error: CallbridgeError): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(error);
      this.#pending.delete(id);
    }
  }
}
