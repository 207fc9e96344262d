// A small registrar (RFC 3261 §10.3) and record-routing proxy (§16) with digest challenges: enough
// to serve the gateway's built-in demo and the tests, not a replacement for Kamailio. It is
// transaction-stateful, sends each request to the newest binding of the AOR (no forking), and
// relays CANCEL and in-dialog requests along the route set.
import type { DigestAlgorithm } from '../auth/digest.js';
import { DigestServer, type DigestSecretLookup } from '../auth/digest-server.js';
import { systemClock, type Clock } from '../clock.js';
import {
  SipUri,
  parseUri,
  validateRequest,
  type NameAddr,
  type SipRequest,
  type Uri,
} from '../messages.js';
import { TypedEmitter } from '../transaction/emitter.js';
import { randomBranch } from '../transaction/random.js';
import { TransactionLayer, type ServerTransaction } from '../transaction/layer.js';
import type { TransactionTimers } from '../transaction/timers.js';
import { TransportLayer, type HostResolver, type Target } from '../transport/layer.js';
import { isReliableProtocol, type Flow, type Transport } from '../transport/types.js';

export interface Binding {
  readonly aor: string;
  readonly contact: NameAddr;
  readonly expiresAt: number;
  readonly callId: string;
  readonly cseq: number;
  /** The connection the REGISTER came over (requests for a WebSocket client must use it). */
  readonly flow: Flow;
}

export interface SipServerOptions {
  readonly transports: readonly Transport[];
  /** Domains this server is responsible for (the Request-URI host of REGISTER and calls). */
  readonly domains: readonly string[];
  /** Digest realm; default the first domain. */
  readonly realm?: string;
  /** Users and their passwords (or HA1). Without it nothing is challenged. */
  readonly users?: DigestSecretLookup;
  /**
   * Digest algorithms offered, most preferred first (RFC 8760 §2.4). Default SHA-256 then MD5;
   * clients that only read the first challenge (SIPp 3.6) need `['MD5']`.
   */
  readonly algorithms?: readonly DigestAlgorithm[];
  /**
   * Refuse credentials whose digest-uri is not the Request-URI (RFC 7616 §3.4.6). Off by
   * default: some clients (SIPp 3.6) put the next hop there.
   */
  readonly strictDigestUri?: boolean;
  /** Challenge REGISTER with 401 (default true when `users` is set). */
  readonly authenticateRegister?: boolean;
  /** Challenge INVITE and other out-of-dialog requests with 407 (default true when `users` is set). */
  readonly authenticateRequests?: boolean;
  readonly minExpires?: number;
  readonly maxExpires?: number;
  readonly defaultExpires?: number;
  readonly clock?: Clock;
  readonly timers?: Partial<TransactionTimers>;
  readonly resolver?: HostResolver;
}

export interface SipServerEvents {
  registered: [binding: Binding];
  unregistered: [aor: string, contact: string];
  /** A request was relayed to `target`. */
  relayed: [request: SipRequest, target: Target];
  /** A message could not be handled and was dropped. */
  error: [error: unknown];
}

export class SipServer extends TypedEmitter<SipServerEvents> {
  readonly transports: TransportLayer;
  readonly transactions: TransactionLayer;
  readonly #domains: Set<string>;
  readonly #digest: DigestServer | undefined;
  readonly #authRegister: boolean;
  readonly #strictDigestUri: boolean;
  readonly #authRequests: boolean;
  readonly #minExpires: number;
  readonly #maxExpires: number;
  readonly #defaultExpires: number;
  readonly #clock: Clock;
  readonly #bindings = new Map<string, Binding[]>();

  constructor(options: SipServerOptions) {
    super();
    this.#clock = options.clock ?? systemClock;
    this.transports = new TransportLayer(
      options.transports,
      options.resolver ? { resolver: options.resolver } : {},
    );
    this.transactions = new TransactionLayer(this.transports, {
      clock: this.#clock,
      element: 'proxy',
      ...(options.timers ? { timers: options.timers } : {}),
    });
    this.#domains = new Set(options.domains.map((d) => d.toLowerCase()));
    if (options.users) {
      this.#digest = new DigestServer({
        realm: options.realm ?? options.domains[0] ?? 'callbridge',
        lookup: options.users,
        clock: this.#clock,
        ...(options.algorithms ? { algorithms: options.algorithms } : {}),
      });
    }
    this.#strictDigestUri = options.strictDigestUri ?? false;
    this.#authRegister = options.authenticateRegister ?? this.#digest !== undefined;
    this.#authRequests = options.authenticateRequests ?? this.#digest !== undefined;
    this.#minExpires = options.minExpires ?? 60;
    this.#maxExpires = options.maxExpires ?? 3600;
    this.#defaultExpires = options.defaultExpires ?? 3600;
    this.transactions.on('request', (tx) => this.#guard(() => this.#receive(tx)));
    this.transactions.on('ack', (ack) => this.#guard(() => this.#relayAck(ack)));
  }

  /** Runs a handler for one received message; a failure drops that message, not the server. */
  #guard(handle: () => void): void {
    try {
      handle();
    } catch (error) {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    }
  }

  /** Current bindings of an AOR (`sip:user@domain`), newest first. */
  lookup(aor: string): readonly Binding[] {
    const now = this.#clock.now();
    const list = (this.#bindings.get(aorKey(parseUri(aor))) ?? []).filter((b) => b.expiresAt > now);
    return [...list].sort((a, b) => b.expiresAt - a.expiresAt);
  }

  #isOurs(uri: Uri): boolean {
    if (!(uri instanceof SipUri)) return false;
    if (this.#domains.has(uri.hostname.toLowerCase())) return true;
    return this.transports.transports.some((t) => {
      const sentBy = this.transports.sentBy(t);
      return sentBy.address === uri.hostname && (uri.port ?? 5060) === sentBy.port;
    });
  }

  #isOurDomain(uri: Uri): boolean {
    return (
      uri instanceof SipUri && (this.#domains.has(uri.hostname.toLowerCase()) || this.#isOurs(uri))
    );
  }

  #receive(tx: ServerTransaction): void {
    const request = tx.request;
    // §16.3 (proxy) and §10.3 (registrar) request validation.
    const verdict = validateRequest(request, {
      role: request.method === 'REGISTER' ? 'registrar' : 'proxy',
    });
    if (verdict) {
      tx.reply(verdict.status, verdict.reason, { headers: verdict.headers });
      return;
    }
    const maxForwards = request.maxForwards ?? 70;
    // §16.3 step 3.
    if (maxForwards <= 0 && request.method !== 'REGISTER') {
      tx.reply(483);
      return;
    }
    // §16.4: a Route naming us is removed; loose routing continues with the next hop.
    const route = request.route[0];
    if (route && this.#isOurs(route.uri)) {
      request.removeFirstValue('Route');
      if (
        request.route.length > 0 ||
        !this.#isOurDomain(request.uri) ||
        request.to?.tag !== undefined
      ) {
        this.#relay(tx, request);
        return;
      }
    }
    if (request.method === 'REGISTER') {
      this.#register(tx);
      return;
    }
    if (request.to?.tag !== undefined) {
      this.#relay(tx, request);
      return;
    }
    if (
      request.method === 'OPTIONS' &&
      this.#isOurs(request.uri) &&
      !(request.uri instanceof SipUri && request.uri.user)
    ) {
      tx.reply(200);
      return;
    }
    if (
      this.#authRequests &&
      this.#digest &&
      !this.#authorized(tx, 'Proxy-Authorization', 407, 'Proxy-Authenticate')
    )
      return;
    if (this.#isOurDomain(request.uri)) {
      const binding = this.lookup(request.uri.toString())[0];
      if (binding === undefined) {
        tx.reply(request.method === 'INVITE' ? 480 : 404);
        return;
      }
      request.uri = binding.contact.uri;
      this.#relay(tx, request, binding.flow);
      return;
    }
    this.#relay(tx, request);
  }

  /** Checks credentials; answers the challenge and returns false when they are missing or wrong. */
  #authorized(
    tx: ServerTransaction,
    header: 'Authorization' | 'Proxy-Authorization',
    status: 401 | 407,
    challengeHeader: 'WWW-Authenticate' | 'Proxy-Authenticate',
  ): boolean {
    const digest = this.#digest!;
    const request = tx.request;
    const verdict = digest.verify(
      {
        method: request.method,
        body: request.body,
        ...(this.#strictDigestUri ? { uri: request.uri.toString() } : {}),
      },
      request.headerValues(header),
    );
    if (verdict.ok) {
      request.removeHeader(header);
      return true;
    }
    if (verdict.reason === 'unknown-user' || verdict.reason === 'wrong-uri') {
      tx.reply(403);
      return false;
    }
    tx.reply(status, undefined, {
      headers: digest
        .challenges(verdict.reason === 'stale')
        .map((v) => [challengeHeader, v] as const),
    });
    return false;
  }

  /** §10.3: the registrar. */
  #register(tx: ServerTransaction): void {
    const request = tx.request;
    if (!this.#isOurDomain(request.uri)) {
      tx.reply(404, 'Domain Not Served');
      return;
    }
    if (
      this.#authRegister &&
      this.#digest &&
      !this.#authorized(tx, 'Authorization', 401, 'WWW-Authenticate')
    )
      return;
    const to = request.to;
    if (to === undefined || !(to.uri instanceof SipUri)) {
      tx.reply(400, 'Bad To');
      return;
    }
    const key = aorKey(to.uri);
    const callId = request.callId ?? '';
    const cseq = request.cseq?.seq ?? 0;
    let contact;
    try {
      contact = request.contact;
    } catch {
      tx.reply(400, 'Bad Contact');
      return;
    }
    const headerExpires = request.expires;
    const now = this.#clock.now();
    let list = (this.#bindings.get(key) ?? []).filter((b) => b.expiresAt > now);
    if (contact === '*') {
      // §10.3 step 6: `*` only with Expires: 0.
      if (headerExpires !== 0) {
        tx.reply(400, 'Wildcard Needs Expires 0');
        return;
      }
      for (const b of list) this.emit('unregistered', key, b.contact.uri.toString());
      list = [];
    } else {
      for (const c of contact) {
        const expires = c.expires ?? headerExpires ?? this.#defaultExpires;
        if (expires > 0 && expires < this.#minExpires) {
          tx.reply(423, undefined, { headers: [['Min-Expires', String(this.#minExpires)]] });
          return;
        }
        const uri = c.uri.toString();
        const existing = list.find((b) => b.contact.uri.toString() === uri);
        // §10.3 step 7: an older request for the same Call-ID must not overwrite a newer one.
        if (existing && existing.callId === callId && existing.cseq >= cseq) {
          tx.reply(500, 'Out Of Order');
          return;
        }
        list = list.filter((b) => b.contact.uri.toString() !== uri);
        if (expires === 0) {
          this.emit('unregistered', key, uri);
          continue;
        }
        const granted = Math.min(expires, this.#maxExpires);
        const binding: Binding = {
          aor: key,
          contact: c,
          expiresAt: now + granted * 1000,
          callId,
          cseq,
          flow: tx.flow,
        };
        list.push(binding);
        this.emit('registered', binding);
      }
    }
    if (list.length > 0) this.#bindings.set(key, list);
    else this.#bindings.delete(key);
    tx.reply(200, undefined, {
      headers: list.map(
        (b) =>
          [
            'Contact',
            `<${b.contact.uri.toString()}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`,
          ] as const,
      ),
    });
  }

  /** Our Record-Route / Route entry for the transport a request arrived on. */
  #ourUri(flow: Flow): string {
    const transport = this.transports.transports.find(
      (t) => t.protocol === flow.protocol && t.local.port === flow.local.port,
    );
    const sentBy = transport ? this.transports.sentBy(transport) : flow.local;
    const param = flow.protocol === 'udp' ? '' : `;transport=${flow.protocol}`;
    return `<sip:${sentBy.address}:${sentBy.port}${param};lr>`;
  }

  /** §16.6: forward in a new client transaction and relay the responses back. */
  #relay(tx: ServerTransaction, request: SipRequest, flow?: Flow): void {
    const forwarded = request.clone();
    forwarded.setHeader('Max-Forwards', String((request.maxForwards ?? 70) - 1));
    if (forwarded.method === 'INVITE' && forwarded.to?.tag === undefined) {
      forwarded.prependHeader('Record-Route', this.#ourUri(tx.flow));
    }
    void this.#target(forwarded, flow).then(
      (target) => {
        this.emit('relayed', forwarded, target);
        const client = this.transactions.sendRequest(forwarded, target, {
          response: (response) => {
            if (response.status === 100) return;
            const relayed = response.clone();
            relayed.removeTopVia();
            try {
              tx.respond(relayed);
            } catch {
              // The server transaction already ended; a late response is dropped (§16.7 step 5).
            }
          },
          failure: (reason) => replyIfOpen(tx, reason === 'timeout' ? 408 : 503),
        });
        tx.onCancel = () => {
          client.cancel();
        };
      },
      () => replyIfOpen(tx, 503),
    );
  }

  async #target(request: SipRequest, given: Flow | undefined): Promise<Target> {
    // In-dialog requests to a phone registered over a connection go back over that connection.
    const flow = given ?? (request.route.length === 0 ? this.#flowOf(request.uri) : undefined);
    if (flow && isReliableProtocol(flow.protocol)) {
      return {
        protocol: flow.protocol,
        address: flow.remote.address,
        port: flow.remote.port,
        flow,
      };
    }
    const route = request.route[0]?.uri;
    return this.transports.resolve(route ?? request.uri);
  }

  #flowOf(uri: Uri): Flow | undefined {
    const text = uri.toString();
    for (const list of this.#bindings.values()) {
      for (const binding of list) if (binding.contact.uri.toString() === text) return binding.flow;
    }
    return undefined;
  }

  /** ACK for a 2xx passes through statelessly along the route set (§16.11). */
  #relayAck(ack: SipRequest): void {
    const route = ack.route[0];
    if (route && this.#isOurs(route.uri)) ack.removeFirstValue('Route');
    if ((ack.maxForwards ?? 70) <= 0) return;
    ack.setHeader('Max-Forwards', String((ack.maxForwards ?? 70) - 1));
    void this.#target(ack, undefined).then(
      (target) => {
        const stamped = this.transports.stamp(ack, target, randomBranch());
        void this.transports.send(stamped).catch(() => undefined);
      },
      () => undefined,
    );
  }

  close(): Promise<void> {
    this.transactions.terminateAll();
    return this.transports.close();
  }
}

/** §10.3 step 5: the AOR as a canonical `sip:user@host` key. */
function aorKey(uri: Uri): string {
  if (!(uri instanceof SipUri)) return uri.toString();
  return `sip:${uri.user ?? ''}@${uri.hostname.toLowerCase()}`;
}

/** Answers unless the transaction already has its final response (or has ended). */
function replyIfOpen(tx: ServerTransaction, status: number): void {
  if (tx.state === 'trying' || tx.state === 'proceeding') tx.reply(status);
}
