// The transport layer above the individual transports (RFC 3261 §18): picks a transport for a
// request, stamps our Via, parses what arrives, adds received/rport to requests (§18.2.1,
// RFC 3581), and routes responses back the way §18.2.2 asks.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  Params,
  SipParseError,
  SipUri,
  Via,
  parseMessage,
  serialize,
  type ParseLimits,
  type SipRequest,
  type SipResponse,
  type Uri,
} from '../messages.js';
import { TypedEmitter } from '../transaction/emitter.js';
import {
  SipTransportError,
  isReliableProtocol,
  viaTransportToken,
  type Flow,
  type HostPort,
  type Transport,
  type TransportProtocol,
} from './types.js';

/** Where a request goes: a transport, an address, and optionally an existing flow to reuse. */
export interface Target {
  readonly protocol: TransportProtocol;
  readonly address: string;
  readonly port: number;
  /** Send over this connection when it is still open (RFC 5626-style flow reuse). */
  readonly flow?: Flow;
}

/** Resolves a host name to an address (injectable so tests need no DNS). */
export type HostResolver = (host: string) => Promise<string>;

export interface TransportLayerEvents {
  request: [request: SipRequest, flow: Flow];
  response: [response: SipResponse, flow: Flow];
  /** A message could not be parsed; requests are answered with `error.response` when possible. */
  malformed: [error: SipParseError, flow: Flow, bytes: Uint8Array];
  error: [error: SipTransportError];
  /** A connection of a stream transport closed; `error` says why when it was not orderly. */
  disconnect: [flow: Flow, error: SipTransportError | undefined];
}

export interface TransportLayerOptions {
  /** Path MTU assumed for §18.1.1 (default 1500, so the threshold is 1300 bytes). */
  readonly mtu?: number;
  readonly parseLimits?: Partial<ParseLimits>;
  readonly resolver?: HostResolver;
  /** Host written in Via sent-by for a protocol (default: the transport's bound address). */
  readonly viaHost?: (transport: Transport) => string;
}

/** Prepared request bytes and where they go. */
export interface OutboundRequest {
  readonly transport: Transport;
  readonly target: Target;
  readonly bytes: Uint8Array;
  readonly branch: string;
}

const DEFAULT_PORTS: Readonly<Record<TransportProtocol, number>> = {
  udp: 5060,
  tcp: 5060,
  tls: 5061,
  ws: 80,
  wss: 443,
};

const defaultResolver: HostResolver = async (host) =>
  isIP(host) ? host : (await lookup(host)).address;

export class TransportLayer extends TypedEmitter<TransportLayerEvents> {
  readonly #transports: Transport[] = [];
  readonly #mtuThreshold: number;
  readonly #parseLimits: Partial<ParseLimits> | undefined;
  readonly #resolver: HostResolver;
  readonly #viaHost: (transport: Transport) => string;

  constructor(transports: readonly Transport[], options: TransportLayerOptions = {}) {
    super();
    // §18.1.1: within 200 bytes of the path MTU (1300 bytes when the MTU is unknown).
    this.#mtuThreshold = (options.mtu ?? 1500) - 200;
    this.#parseLimits = options.parseLimits;
    this.#resolver = options.resolver ?? defaultResolver;
    this.#viaHost = options.viaHost ?? ((t) => t.local.address);
    for (const t of transports) this.add(t);
  }

  get transports(): readonly Transport[] {
    return this.#transports;
  }

  add(transport: Transport): void {
    this.#transports.push(transport);
    transport.on('message', (bytes, flow) => this.#receive(bytes, flow));
    transport.on('error', (error) => this.emit('error', error));
    transport.on('disconnect', (flow, error) => this.emit('disconnect', flow, error));
  }

  transport(protocol: TransportProtocol): Transport | undefined {
    return this.#transports.find((t) => t.protocol === protocol);
  }

  /** The local address of a transport as it goes into Via and Contact. */
  sentBy(transport: Transport): HostPort {
    return { address: this.#viaHost(transport), port: transport.local.port };
  }

  #receive(bytes: Uint8Array, flow: Flow): void {
    let message: SipRequest | SipResponse;
    try {
      message = parseMessage(bytes, this.#parseLimits);
    } catch (error) {
      if (error instanceof SipParseError) this.emit('malformed', error, flow, bytes);
      return;
    }
    // Typed headers parse lazily. Parse the ones the transaction layer reads here, so a bad one
    // is answered (or dropped) once; the user agent validates the rest (§8.2, §18.1.2).
    let top;
    try {
      top = message.topVia;
      void message.cseq;
      void message.callId;
      void message.from?.tag;
      void message.to?.tag;
    } catch (error) {
      if (error instanceof SipParseError && message.kind === 'request')
        this.emit('malformed', error, flow, bytes);
      return;
    }
    if (top === undefined) return;
    if (message.kind === 'request') {
      // §18.2.1 and RFC 3581 §4: record where the request really came from.
      let via = top;
      const host = top.host.startsWith('[') ? top.host.slice(1, -1) : top.host;
      if (top.rport !== undefined) {
        via = via
          .withParam('received', flow.remote.address)
          .withParam('rport', String(flow.remote.port));
      } else if (host !== flow.remote.address) {
        via = via.withParam('received', flow.remote.address);
      }
      if (via !== top) message.setTopVia(via);
      this.emit('request', message, flow);
    } else {
      this.emit('response', message, flow);
    }
  }

  /** The target of a request sent to `uri` (RFC 3263 reduced to A/AAAA lookups and defaults). */
  async resolve(uri: Uri): Promise<Target> {
    if (!(uri instanceof SipUri)) {
      throw new SipTransportError('NO_TRANSPORT', `cannot send to a ${uri.scheme}: URI`);
    }
    const param = uri.params.get('transport')?.toLowerCase();
    let protocol: TransportProtocol;
    if (param === 'tcp') protocol = uri.scheme === 'sips' ? 'tls' : 'tcp';
    else if (param === 'tls') protocol = 'tls';
    // RFC 7118 §5.2: "ws" names SIP over WebSocket secured or not (proxies such as Kamailio
    // Record-Route a wss listener with it); a sips: URI, or a stack whose only WebSocket
    // transport is secure, goes over wss.
    else if (param === 'ws')
      protocol =
        uri.scheme === 'sips' || (!this.transport('ws') && this.transport('wss')) ? 'wss' : 'ws';
    else if (param === 'wss') protocol = 'wss';
    else if (param === 'udp') protocol = 'udp';
    else protocol = uri.scheme === 'sips' ? 'tls' : 'udp';
    const maddr = uri.params.get('maddr');
    const host = maddr ?? uri.hostname;
    let address: string;
    try {
      address = await this.#resolver(host);
    } catch (error) {
      throw new SipTransportError('NO_TRANSPORT', `cannot resolve ${host}`, { cause: error });
    }
    return { protocol, address, port: uri.port ?? DEFAULT_PORTS[protocol] };
  }

  /**
   * Stamps a new top Via (our sent-by, `branch`, `rport`) and serialises the request for the
   * target. A UDP request within 200 bytes of the MTU goes over TCP instead when a TCP transport
   * exists (§18.1.1); the Via then says TCP.
   */
  prepareRequest(request: SipRequest, target: Target, branch: string): OutboundRequest {
    let chosen = target;
    let transport = this.#pick(target);
    let bytes = this.#stamp(request, transport, branch);
    if (
      transport.protocol === 'udp' &&
      bytes.length > this.#mtuThreshold &&
      request.method !== 'ACK'
    ) {
      const tcp = this.transport('tcp');
      if (tcp) {
        request.removeTopVia();
        transport = tcp;
        chosen = { protocol: 'tcp', address: target.address, port: target.port };
        bytes = this.#stamp(request, tcp, branch);
      }
    }
    return { transport, target: chosen, bytes, branch };
  }

  #stamp(request: SipRequest, transport: Transport, branch: string): Uint8Array {
    const sentBy = this.sentBy(transport);
    const host = sentBy.address.includes(':') ? `[${sentBy.address}]` : sentBy.address;
    request.prependVia(
      new Via({
        transport: viaTransportToken(transport.protocol),
        host,
        port: sentBy.port === 0 ? undefined : sentBy.port,
        params: Params.from([
          ['branch', branch],
          ['rport', null],
        ]),
      }),
    );
    return serialize(request);
  }

  #pick(target: Target): Transport {
    const transport = this.transport(target.protocol);
    if (transport === undefined) {
      throw new SipTransportError('NO_TRANSPORT', `no ${target.protocol} transport is configured`);
    }
    return transport;
  }

  /** Sends prepared bytes (first transmission or retransmission). */
  send(outbound: OutboundRequest): Promise<Flow> {
    const { transport, target } = outbound;
    const to = target.flow && transport.isConnected(target.flow) ? target.flow : target;
    return transport.send(
      outbound.bytes,
      'remote' in to ? to : { address: to.address, port: to.port },
    );
  }

  /** Sends serialised bytes of a message on an explicit target (e.g. the ACK for a 2xx). */
  sendTo(bytes: Uint8Array, target: Target): Promise<Flow> {
    const transport = this.#pick(target);
    const to = target.flow && transport.isConnected(target.flow) ? target.flow : target;
    return transport.send(bytes, 'remote' in to ? to : { address: to.address, port: to.port });
  }

  /** The Via-stamped copy of `request` for `target`, without sending (for ACK and CANCEL). */
  stamp(request: SipRequest, target: Target, branch: string): OutboundRequest {
    const transport = this.#pick(target);
    return { transport, target, bytes: this.#stamp(request, transport, branch), branch };
  }

  /**
   * Sends a response where §18.2.2 says: over the request's connection while it is open, else
   * to `received` (and `rport`) of the top Via, else to the sent-by.
   */
  sendResponse(response: SipResponse, flow: Flow): Promise<Flow> {
    return this.sendResponseBytes(serialize(response), response.topVia, flow);
  }

  sendResponseBytes(bytes: Uint8Array, via: Via | undefined, flow: Flow): Promise<Flow> {
    const transport =
      this.#transports.find(
        (t) => t.protocol === flow.protocol && t.local.port === flow.local.port,
      ) ?? this.transport(flow.protocol);
    if (transport === undefined) {
      return Promise.reject(new SipTransportError('NO_TRANSPORT', `no ${flow.protocol} transport`));
    }
    if (isReliableProtocol(flow.protocol) && transport.isConnected(flow))
      return transport.send(bytes, flow);
    if (via === undefined) return transport.send(bytes, flow.remote);
    const maddr = via.maddr;
    const host = via.host.startsWith('[') ? via.host.slice(1, -1) : via.host;
    const rport = via.rport;
    const address = maddr ?? via.received ?? host;
    const port =
      typeof rport === 'number' && !Number.isNaN(rport)
        ? rport
        : (via.port ?? DEFAULT_PORTS[flow.protocol]);
    return transport.send(bytes, { address, port });
  }

  close(): Promise<void> {
    return Promise.all(this.#transports.map((t) => t.close())).then(() => undefined);
  }
}
