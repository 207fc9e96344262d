// The transaction layer (RFC 3261 §17): creates client and server transactions, matches
// responses (§17.1.3) and requests (§17.2.3, with the RFC 2543 fallback) to them, handles CANCEL
// (§9.2), and hands the transaction user what is left: new requests, ACKs for 2xx, and stray
// responses (retransmitted 2xx whose transaction has ended).
import { systemClock, type Clock } from '../clock.js';
import {
  createRequest,
  createResponse,
  SipError,
  serialize,
  validateResponse,
  type SipParseError,
  type HeaderValue,
  type SipRequest,
  type SipResponse,
  type Via,
} from '../messages.js';
import type { TransportLayer, Target, OutboundRequest } from '../transport/layer.js';
import { SipTransportError, type Flow } from '../transport/types.js';
import { TypedEmitter } from './emitter.js';
import { randomBranch, randomTag } from './random.js';
import {
  InviteClientTransaction,
  InviteServerTransaction,
  NonInviteClientTransaction,
  NonInviteServerTransaction,
  type ClientTransactionHost,
  type ServerTransactionHost,
  type TransactionFailure,
} from './machines.js';
import { resolveTimers, type TransactionTimers } from './timers.js';

const MAGIC_COOKIE = 'z9hG4bK';

const latin1 = new TextDecoder('latin1');

/** Header lines a response copies from its request (§8.2.6.2), by lower-cased full or compact name. */
const COPIED_HEADERS: ReadonlyMap<string, string> = new Map([
  ['via', 'Via'],
  ['v', 'Via'],
  ['from', 'From'],
  ['f', 'From'],
  ['to', 'To'],
  ['t', 'To'],
  ['call-id', 'Call-ID'],
  ['i', 'Call-ID'],
  ['cseq', 'CSeq'],
]);

export interface ClientTransactionCallbacks {
  /** Every response the transaction passes up (provisional, final, and extra 2xx for INVITE). */
  response(response: SipResponse, transaction: ClientTransaction): void;
  /** Timeout (Timer B/F) or a transport error (§8.1.3.1: treat as 408 / 503). */
  failure?(reason: TransactionFailure, error: unknown, transaction: ClientTransaction): void;
}

/** A request in flight, as the transaction user sees it. */
export class ClientTransaction {
  readonly request: SipRequest;
  readonly branch: string;
  readonly #machine: InviteClientTransaction<SipResponse> | NonInviteClientTransaction<SipResponse>;
  readonly #layer: TransactionLayer;
  readonly #outbound: OutboundRequest;
  #provisional = false;
  #cancelRequested = false;
  #cancelHeaders: readonly (readonly [string, HeaderValue])[] = [];
  #final = false;
  /** The flow the request last went out on. */
  flow: Flow | undefined;

  /** @internal created by TransactionLayer.sendRequest */
  constructor(
    layer: TransactionLayer,
    request: SipRequest,
    outbound: OutboundRequest,
    machine: (
      self: ClientTransaction,
    ) => InviteClientTransaction<SipResponse> | NonInviteClientTransaction<SipResponse>,
  ) {
    this.#layer = layer;
    this.request = request;
    this.branch = outbound.branch;
    this.#outbound = outbound;
    this.#machine = machine(this);
  }

  get state(): string {
    return this.#machine.state;
  }

  get target(): Target {
    return this.#outbound.target;
  }

  /** @internal */
  get machine(): InviteClientTransaction<SipResponse> | NonInviteClientTransaction<SipResponse> {
    return this.#machine;
  }

  /** @internal */
  get outbound(): OutboundRequest {
    return this.#outbound;
  }

  /** @internal bookkeeping for CANCEL (§9.1) */
  noteResponse(status: number): void {
    if (status < 200) {
      this.#provisional = true;
      if (this.#cancelRequested) this.#sendCancel();
    } else {
      this.#final = true;
    }
  }

  /**
   * Cancels a pending INVITE (§9.1). The CANCEL goes out once a provisional response has
   * arrived (before that, the far end might not have the INVITE yet); after a final response
   * there is nothing to cancel.
   */
  cancel(headers: readonly (readonly [string, HeaderValue])[] = []): void {
    if (this.request.method !== 'INVITE' || this.#final || this.#cancelRequested) return;
    this.#cancelRequested = true;
    this.#cancelHeaders = headers;
    if (this.#provisional) this.#sendCancel();
  }

  get cancelled(): boolean {
    return this.#cancelRequested;
  }

  #sendCancel(): void {
    if (this.#final) return;
    this.#layer.sendCancel(this, this.#cancelHeaders);
  }
}

/** A request received, as the transaction user sees it: answer it with respond(). */
export class ServerTransaction {
  readonly request: SipRequest;
  readonly flow: Flow;
  readonly #layer: TransactionLayer;
  readonly #machine: ServerMachine;
  /** Set when a CANCEL matched this INVITE (§9.2). */
  onCancel: ((cancel: SipRequest) => void) | undefined;
  /** Set to learn that the transaction failed (Timer H without ACK, transport error). */
  onFailure: ((reason: TransactionFailure, error: unknown) => void) | undefined;
  #toTag: string | undefined;
  #cancelled = false;

  /** @internal */
  constructor(
    layer: TransactionLayer,
    request: SipRequest,
    flow: Flow,
    machine: (self: ServerTransaction) => ServerMachine,
  ) {
    this.#layer = layer;
    this.request = request;
    this.flow = flow;
    this.#machine = machine(this);
  }

  get state(): string {
    return this.#machine.state;
  }

  /** @internal */
  get machine(): ServerMachine {
    return this.#machine;
  }

  /** The To tag this transaction answers with (fixed on first use, §8.2.6.2). */
  get toTag(): string | undefined {
    return this.#toTag;
  }

  set toTag(tag: string | undefined) {
    this.#toTag = tag;
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** @internal */
  markCancelled(): void {
    this.#cancelled = true;
  }

  /** Sends a response built by the caller. */
  respond(response: SipResponse): void {
    // Serialised once: retransmissions (Timer G, repeated requests) resend the same bytes, and a
    // completed transaction keeps only those, not the message.
    this.#machine.respond(response.status, {
      bytes: serialize(response),
      via: response.topVia,
    });
  }

  /** Builds and sends a response (To tag added for everything but 100). */
  reply(
    status: number,
    reason?: string,
    options: {
      headers?: readonly (readonly [string, HeaderValue])[];
      body?: Uint8Array | string;
      contentType?: string;
    } = {},
  ): SipResponse {
    const response = this.#layer.buildResponse(this, status, reason, options);
    this.respond(response);
    return response;
  }
}

export interface TransactionLayerEvents {
  /** A new request (not a retransmission, not an ACK, not a CANCEL) to answer. */
  request: [transaction: ServerTransaction];
  /** An ACK no server transaction absorbed: the ACK for a 2xx (§13.3.1.4, §17.2.3). */
  ack: [request: SipRequest, flow: Flow];
  /** A response no client transaction matched: retransmitted 2xx for INVITE, and strays. */
  strayResponse: [response: SipResponse, flow: Flow];
}

export interface TransactionLayerOptions {
  readonly clock?: Clock;
  readonly timers?: Partial<TransactionTimers>;
  /** Where To tags for new responses come from. */
  readonly newTag?: () => string;
  /** A proxy accepts responses with several Vias; a user agent only with its own (§8.1.3.3). */
  readonly element?: 'ua' | 'proxy';
  /** Extra headers on every response the layer builds itself (e.g. Server). */
  readonly responseHeaders?: readonly (readonly [string, HeaderValue])[];
}

export class TransactionLayer extends TypedEmitter<TransactionLayerEvents> {
  readonly transport: TransportLayer;
  readonly clock: Clock;
  readonly timers: TransactionTimers;
  readonly #clients = new Map<string, ClientTransaction>();
  readonly #servers = new Map<string, ServerTransaction>();
  readonly #newTag: () => string;
  readonly #responseHeaders: readonly (readonly [string, HeaderValue])[];
  readonly #element: 'ua' | 'proxy';

  constructor(transport: TransportLayer, options: TransactionLayerOptions = {}) {
    super();
    this.transport = transport;
    this.clock = options.clock ?? systemClock;
    this.timers = resolveTimers(options.timers);
    this.#newTag = options.newTag ?? randomTag;
    this.#responseHeaders = options.responseHeaders ?? [];
    this.#element = options.element ?? 'ua';
    transport.on('request', (request, flow) => this.#receiveRequest(request, flow));
    transport.on('response', (response, flow) => this.#receiveResponse(response, flow));
    transport.on('malformed', (error, flow, bytes) => this.#answerMalformed(error, flow, bytes));
    transport.on('disconnect', (flow, error) => this.#connectionLost(flow, error));
  }

  /**
   * §17.1.1.2 / §17.1.2.2: a connection failure is a transport error for the client
   * transactions whose request went out on it and still wait for a final response (a TLS peer
   * that refuses our certificate after the handshake, a server that goes away), rather than
   * waiting for Timer B/F.
   */
  #connectionLost(flow: Flow, error: SipTransportError | undefined): void {
    const id = flow.connectionId;
    if (id === undefined) return;
    const cause =
      error ?? new SipTransportError('CONNECTION_CLOSED', 'the connection closed', { flow });
    for (const tx of [...this.#clients.values()])
      if (tx.flow?.connectionId === id) tx.machine.transportError(cause);
  }

  /** Open transactions (both kinds). */
  get size(): { client: number; server: number } {
    return { client: this.#clients.size, server: this.#servers.size };
  }

  /**
   * Sends a request in a new client transaction. The request must not carry our Via yet: the
   * transport layer adds it with a fresh branch. Throws SipTransportError synchronously when
   * no transport can carry it.
   */
  sendRequest(
    request: SipRequest,
    target: Target,
    callbacks: ClientTransactionCallbacks,
  ): ClientTransaction {
    if (request.method === 'ACK')
      throw new SipTransportError('NO_TRANSPORT', 'ACK is not sent in a transaction');
    const outbound = this.transport.prepareRequest(request, target, randomBranch());
    const key = `${outbound.branch}|${request.method}`;
    const reliable = outbound.transport.reliable;
    const tx = new ClientTransaction(this, request, outbound, (self) => {
      const host = new ClientHost(this, self, callbacks, key);
      return request.method === 'INVITE'
        ? new InviteClientTransaction(host, this.clock, this.timers, reliable)
        : new NonInviteClientTransaction(host, this.clock, this.timers, reliable);
    });
    this.#clients.set(key, tx);
    tx.machine.start();
    return tx;
  }

  /** @internal the client transaction under `key` ended. */
  forgetClient(key: string): void {
    this.#clients.delete(key);
  }

  /** @internal the server transaction under `key` ended. */
  forgetServer(key: string): void {
    this.#servers.delete(key);
  }

  /** @internal */
  sendNon2xxAck(tx: ClientTransaction, response: SipResponse): void {
    this.#sendNon2xxAck(tx, response);
  }

  /** @internal an ACK for a 2xx that reached an INVITE server transaction (RFC 6026 §7.1). */
  emitAck(ack: SipRequest, flow: Flow): void {
    this.emit('ack', ack, flow);
  }

  /** §17.1.1.3: the ACK for a 300–699 response shares the INVITE's branch and goes hop by hop. */
  #sendNon2xxAck(tx: ClientTransaction, response: SipResponse): void {
    const invite = tx.request;
    const headers: [string, HeaderValue][] = [
      ['Via', invite.topVia!],
      ...invite.headerValues('Route').map((r): [string, string] => ['Route', r]),
      ['From', invite.header('From') ?? ''],
      ['To', response.header('To') ?? ''],
      ['Call-ID', invite.callId ?? ''],
      ['CSeq', `${invite.cseq?.seq ?? 0} ACK`],
      ['Max-Forwards', '70'],
    ];
    const ack = createRequest({ method: 'ACK', uri: invite.uri, headers });
    const flow = tx.flow;
    const target: Target = flow ? { ...tx.target, flow } : tx.target;
    this.transport.sendTo(serialize(ack), target).catch(() => undefined);
  }

  /** @internal §9.1: CANCEL with the INVITE's Request-URI, Call-ID, From, To, CSeq number, Via and Route. */
  sendCancel(tx: ClientTransaction, extra: readonly (readonly [string, HeaderValue])[]): void {
    const invite = tx.request;
    const headers: (readonly [string, HeaderValue])[] = [
      ...invite.headerValues('Route').map((r): [string, string] => ['Route', r]),
      ['From', invite.header('From') ?? ''],
      ['To', invite.header('To') ?? ''],
      ['Call-ID', invite.callId ?? ''],
      ['CSeq', `${invite.cseq?.seq ?? 0} CANCEL`],
      ['Max-Forwards', '70'],
      ...extra,
    ];
    const cancel = createRequest({ method: 'CANCEL', uri: invite.uri, headers });
    // The CANCEL's Via carries the INVITE's branch (§9.1): stamp it with the same branch.
    const outbound = this.transport.stamp(cancel, tx.outbound.target, tx.branch);
    const key = `${tx.branch}|CANCEL`;
    const reliable = outbound.transport.reliable;
    const cancelTx = new ClientTransaction(this, cancel, outbound, (self) => {
      const host = {
        transmit: () => {
          this.transport
            .send(outbound)
            .catch((error: unknown) => self.machine.transportError(error));
        },
        sendAck: () => undefined,
        deliver: () => undefined,
        fail: () => undefined,
        terminated: () => this.#clients.delete(key),
      };
      return new NonInviteClientTransaction(host, this.clock, this.timers, reliable);
    });
    this.#clients.set(key, cancelTx);
    cancelTx.machine.start();
  }

  /**
   * §21.4 / RFC 4475: a request that does not parse still gets the response the parser names
   * (400, 505, 513, ...), built statelessly from whichever of its Via, From, To, Call-ID and CSeq
   * lines it has. Without a Via, for ACK, and for responses nothing is sent.
   */
  #answerMalformed(error: SipParseError, flow: Flow, bytes: Uint8Array): void {
    const verdict = error.response;
    if (verdict === undefined) return;
    const text = latin1.decode(bytes.subarray(0, Math.min(bytes.length, 65536)));
    const end = text.search(/\r?\n\r?\n/);
    const lines = (end >= 0 ? text.slice(0, end) : text).split(/\r?\n/);
    if (/^ACK\s/.test(lines[0] ?? '')) return;
    const copied: string[] = [];
    const seen = new Set<string>();
    for (let i = 1; i < lines.length; i++) {
      let line = lines[i]!;
      while (i + 1 < lines.length && /^[ \t]/.test(lines[i + 1]!)) line += ` ${lines[++i]!.trim()}`;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = COPIED_HEADERS.get(line.slice(0, colon).trim().toLowerCase());
      if (name === undefined) continue;
      let value = line.slice(colon + 1).trim();
      if (name === 'To' && !/;\s*tag\s*=/i.test(value)) value += `;tag=${this.#newTag()}`;
      copied.push(`${name}: ${value}`);
      seen.add(name);
    }
    // Without a Via there is nowhere to send the answer (§18.2.2).
    if (!seen.has('Via')) return;
    const response = `SIP/2.0 ${verdict.status} ${verdict.reason.replace(/[\r\n]/g, ' ')}\r\n${copied.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`;
    void this.transport
      .sendResponseBytes(new TextEncoder().encode(response), undefined, flow)
      .catch(() => undefined);
  }

  #receiveResponse(response: SipResponse, flow: Flow): void {
    // §18.1.2: malformed responses are dropped, never answered.
    if (validateResponse(response, { role: this.#element === 'proxy' ? 'proxy' : 'uac' })) return;
    const branch = response.topVia?.branch;
    const method = response.cseq?.method;
    const tx =
      branch !== undefined && method !== undefined
        ? this.#clients.get(`${branch}|${method}`)
        : undefined;
    if (tx === undefined) {
      this.emit('strayResponse', response, flow);
      return;
    }
    tx.machine.receiveResponse(response.status, response);
  }

  /** §17.2.3 key, or the RFC 2543 §17.2.3 fallback when the branch lacks the magic cookie. */
  #serverKey(request: SipRequest, method: string): string | undefined {
    const via = request.topVia;
    if (via === undefined) return undefined;
    const branch = via.branch;
    if (branch !== undefined && branch.startsWith(MAGIC_COOKIE)) {
      return `${branch}|${via.sentBy.toLowerCase()}|${method}`;
    }
    // RFC 2543 matching: Request-URI, From tag, Call-ID, CSeq number and top Via; the To tag is
    // left out so the ACK (which carries our To tag) finds the INVITE it acknowledges.
    return `2543|${request.uri.toString()}|${request.from?.tag ?? ''}|${request.callId ?? ''}|${request.cseq?.seq ?? ''}|${via.toString()}|${method}`;
  }

  #receiveRequest(request: SipRequest, flow: Flow): void {
    const method = request.method;
    if (method === 'ACK') {
      const key = this.#serverKey(request, 'INVITE');
      const tx = key !== undefined ? this.#servers.get(key) : undefined;
      // An ACK for a non-2xx final answer is absorbed by its transaction (§17.2.1); any other
      // ACK belongs to a 2xx and goes to the transaction user (RFC 6026 §7.1).
      const machine = tx?.machine;
      if (machine instanceof InviteServerTransaction && machine.state !== 'accepted') {
        machine.receiveAck(request);
      } else {
        this.emit('ack', request, flow);
      }
      return;
    }
    const key = this.#serverKey(request, method);
    if (key === undefined) return;
    const existing = this.#servers.get(key);
    if (existing !== undefined) {
      existing.machine.receiveRequestRetransmission();
      return;
    }
    const tx = this.#createServer(request, flow, key);
    if (method === 'CANCEL') {
      this.#cancel(tx);
      return;
    }
    this.emit('request', tx);
  }

  #createServer(request: SipRequest, flow: Flow, key: string): ServerTransaction {
    const reliable = flow.protocol !== 'udp';
    const tx = new ServerTransaction(this, request, flow, (self) => {
      const host = new ServerHost(this, self, key);
      return request.method === 'INVITE'
        ? new InviteServerTransaction(host, this.clock, this.timers, reliable)
        : new NonInviteServerTransaction(host, this.clock, this.timers, reliable);
    });
    this.#servers.set(key, tx);
    return tx;
  }

  /** §9.2: a CANCEL finds its INVITE by the same transaction key with method INVITE. */
  #cancel(cancelTx: ServerTransaction): void {
    const key = this.#serverKey(cancelTx.request, 'INVITE');
    const invite = key !== undefined ? this.#servers.get(key) : undefined;
    if (invite === undefined) {
      cancelTx.reply(481);
      return;
    }
    invite.toTag ??= this.#newTag();
    cancelTx.toTag = invite.toTag;
    cancelTx.reply(200);
    if (invite.state === 'proceeding' && !invite.cancelled) {
      invite.markCancelled();
      if (invite.onCancel) invite.onCancel(cancelTx.request);
      else invite.reply(487);
    }
  }

  /** @internal builds a response with the transaction's To tag (fixed on first use). */
  buildResponse(
    tx: ServerTransaction,
    status: number,
    reason?: string,
    options: {
      headers?: readonly (readonly [string, HeaderValue])[];
      body?: Uint8Array | string;
      contentType?: string;
    } = {},
  ): SipResponse {
    if (status !== 100 && tx.request.to?.tag === undefined) tx.toTag ??= this.#newTag();
    const toTag = status === 100 ? undefined : tx.toTag;
    const init = {
      headers: [...(options.headers ?? []), ...this.#responseHeaders],
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
    };
    if (toTag === undefined) return createResponse(tx.request, status, reason, init);
    try {
      return createResponse(tx.request, status, reason, { ...init, toTag });
    } catch (error) {
      // A To value the message layer will not re-emit with a tag appended (a quoted-pair NUL,
      // RFC 4475 §3.1.1.2): answer with the To copied byte for byte, untagged.
      if (error instanceof SipError && error.code === 'BAD_HEADER_INPUT' && status >= 300)
        return createResponse(tx.request, status, reason, init);
      throw error;
    }
  }

  /**
   * Ends every transaction (shutdown). A client transaction still waiting for its final
   * response fails first as if its transport had gone (§8.1.3.1: the TU sees a 503), so no
   * caller is left waiting for an answer that can no longer arrive.
   */
  terminateAll(): void {
    const closed = new SipTransportError('TRANSPORT_CLOSED', 'the transaction layer shut down');
    for (const tx of [...this.#clients.values()]) {
      tx.machine.transportError(closed);
      tx.machine.terminate();
    }
    for (const tx of [...this.#servers.values()]) tx.machine.terminate();
  }
}

/** A response as a server transaction keeps it: its bytes and the Via that routes it (§18.2.2). */
export interface OutgoingResponse {
  readonly bytes: Uint8Array;
  readonly via: Via | undefined;
}

type ServerMachine =
  InviteServerTransaction<OutgoingResponse> | NonInviteServerTransaction<OutgoingResponse>;

/**
 * The layer's side of a client transaction machine. A class rather than an object of closures:
 * transactions outlive their final response (Timers K, D, M), and closures per transaction add up.
 */
class ClientHost implements ClientTransactionHost<SipResponse> {
  readonly #layer: TransactionLayer;
  readonly #tx: ClientTransaction;
  readonly #callbacks: ClientTransactionCallbacks;
  readonly #key: string;

  constructor(
    layer: TransactionLayer,
    tx: ClientTransaction,
    callbacks: ClientTransactionCallbacks,
    key: string,
  ) {
    this.#layer = layer;
    this.#tx = tx;
    this.#callbacks = callbacks;
    this.#key = key;
  }

  transmit(): void {
    const tx = this.#tx;
    this.#layer.transport.send(tx.outbound).then(
      (flow) => {
        tx.flow = flow;
      },
      (error: unknown) => tx.machine.transportError(error),
    );
  }

  sendAck(response: SipResponse): void {
    this.#layer.sendNon2xxAck(this.#tx, response);
  }

  deliver(response: SipResponse): void {
    this.#tx.noteResponse(response.status);
    this.#callbacks.response(response, this.#tx);
  }

  fail(reason: TransactionFailure, error?: unknown): void {
    this.#callbacks.failure?.(reason, error, this.#tx);
  }

  terminated(): void {
    this.#layer.forgetClient(this.#key);
  }
}

/** The layer's side of a server transaction machine (see {@link ClientHost}). */
class ServerHost implements ServerTransactionHost<OutgoingResponse> {
  readonly #layer: TransactionLayer;
  readonly #tx: ServerTransaction;
  readonly #key: string;

  constructor(layer: TransactionLayer, tx: ServerTransaction, key: string) {
    this.#layer = layer;
    this.#tx = tx;
    this.#key = key;
  }

  transmit(response: OutgoingResponse): void {
    const tx = this.#tx;
    this.#layer.transport
      .sendResponseBytes(response.bytes, response.via, tx.flow)
      .catch((error: unknown) => tx.machine.transportError(error));
  }

  sendTrying(): void {
    this.#tx.respond(this.#layer.buildResponse(this.#tx, 100));
  }

  deliverAck(ack: unknown): void {
    this.#layer.emitAck(ack as SipRequest, this.#tx.flow);
  }

  fail(reason: TransactionFailure, error?: unknown): void {
    this.#tx.onFailure?.(reason, error);
  }

  terminated(): void {
    this.#layer.forgetServer(this.#key);
  }
}
