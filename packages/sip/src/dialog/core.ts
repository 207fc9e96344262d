// The user agent core (RFC 3261 §8, §12–§15): ties transports, transactions and dialogs together
// for a B2BUA. Outgoing INVITEs become OutgoingCall objects, incoming ones IncomingCall objects;
// both turn into an InviteSession when answered. Out-of-dialog requests go through request().
import { DigestClient, type CredentialsLookup, type DigestAccount } from '../auth/digest-client.js';
import { systemClock, type Clock } from '../clock.js';
import {
  SipUri,
  createRequest,
  createResponse,
  newCallId,
  newTag,
  parseNameAddr,
  parseUri,
  validateRequest,
  type HeaderValue,
  type RequestPolicy,
  type NameAddr,
  type SipRequest,
  type SipResponse,
  type Uri,
} from '../messages.js';
import { TypedEmitter } from '../transaction/emitter.js';
import { randomBranch } from '../transaction/random.js';
import {
  TransactionLayer,
  type ClientTransaction,
  type ServerTransaction,
} from '../transaction/layer.js';
import type { TransactionTimers } from '../transaction/timers.js';
import {
  TransportLayer,
  type HostResolver,
  type Target,
  type TransportLayerOptions,
} from '../transport/layer.js';
import {
  isReliableProtocol,
  type Flow,
  type Transport,
  type TransportProtocol,
} from '../transport/types.js';
import { IncomingCall, OutgoingCall } from './calls.js';
import { Dialog, dialogKey } from './dialog.js';
import { InviteSession, type Offer, type RequestOptions } from './session.js';

type Headers = readonly (readonly [string, HeaderValue])[];

/** Why a final response was made up locally instead of received (RFC 3261 §8.1.3.1). */
export type LocalFailure = 'timeout' | 'transport';

const localFailures = new WeakMap<SipResponse, { kind: LocalFailure; cause: unknown }>();

/**
 * Whether this user agent made `response` up itself: `timeout` for the 408 of a request nobody
 * answered (Timer B/F), `transport` for the 503 of one that could not be sent (no route, refused
 * connection, closed flow). `undefined` for a response that came from the network, so a 503 from
 * an overloaded server and an unreachable server can be told apart.
 */
export function localFailureOf(response: SipResponse): LocalFailure | undefined {
  return localFailures.get(response)?.kind;
}

/**
 * The error behind a response this user agent made up (see {@link localFailureOf}), such as the
 * transport's connection or TLS certificate error, for messages that say why.
 */
export function localFailureCause(response: SipResponse): unknown {
  return localFailures.get(response)?.cause;
}

function localFailure(request: SipRequest, kind: LocalFailure, cause?: unknown): SipResponse {
  const response =
    kind === 'timeout'
      ? createResponse(request, 408, 'Request Timeout')
      : createResponse(request, 503, 'Service Unavailable');
  localFailures.set(response, { kind, cause });
  return response;
}

/** Methods this user agent handles (sent in Allow). */
export const ALLOWED_METHODS = [
  'INVITE',
  'ACK',
  'CANCEL',
  'BYE',
  'OPTIONS',
  'INFO',
  'UPDATE',
  'PRACK',
  'REFER',
  'NOTIFY',
  'MESSAGE',
] as const;

export interface SessionTimerOptions {
  /** Session-Expires we ask for, seconds (RFC 4028 recommends 1800). */
  readonly expires?: number;
  /** The smallest interval we accept, seconds (at least 90). */
  readonly minSE?: number;
}

export interface UserAgentOptions {
  readonly transports: readonly Transport[];
  /** Our address of record, the From of requests we originate (`sip:gateway@example.com`). */
  readonly aor: string;
  readonly displayName?: string;
  /** User part of our Contact (default: the AOR's user). */
  readonly contactUser?: string;
  /** Every out-of-dialog request (and in-dialog ones without a route set) goes here first. */
  readonly outboundProxy?: string;
  /** Digest credentials for 401/407 challenges (one account, or a lookup per realm). */
  readonly credentials?: DigestAccount | CredentialsLookup;
  readonly clock?: Clock;
  readonly timers?: Partial<TransactionTimers>;
  /** User-Agent and Server header value. */
  readonly userAgent?: string;
  /** RFC 4028 session timers; `false` turns them off. */
  readonly sessionTimers?: SessionTimerOptions | false;
  readonly resolver?: HostResolver;
  readonly transportOptions?: Omit<TransportLayerOptions, 'resolver'>;
  /**
   * Body types accepted in requests (others get 415, RFC 3261 §8.2.3). Default: SDP, multipart,
   * DTMF relay bodies, sipfrag, plain text and RFC 5168 media control.
   */
  readonly acceptedContentTypes?: readonly string[];
}

const DEFAULT_CONTENT_TYPES = [
  'application/sdp',
  'multipart/mixed',
  'application/dtmf-relay',
  'application/dtmf',
  'message/sipfrag',
  'text/plain',
  // RFC 5168: video keyframe requests (picture_fast_update) in INFO.
  'application/media_control+xml',
];

export interface UserAgentEvents {
  /** A new call. Answer with ring()/progress()/accept()/reject(). Without a listener: 480. */
  invite: [call: IncomingCall];
  /**
   * An out-of-dialog request other than INVITE (OPTIONS, MESSAGE, REGISTER, SUBSCRIBE, ...).
   * Without a listener OPTIONS gets 200 and the rest 405.
   */
  request: [tx: ServerTransaction];
  /**
   * Something in a message could not be handled (for example a response that cannot be built
   * from a hostile request). The message is dropped; the user agent carries on.
   */
  error: [error: unknown];
}

/** What the user agent offers to calls and sessions (internal wiring). */
export interface UserAgentCore {
  readonly clock: Clock;
  readonly timers: TransactionTimers;
  sendPrack(dialog: Dialog, rack: string): void;
  establish(call: OutgoingCall, dialog: Dialog, response: SipResponse): InviteSession;
  ackAndBye(invite: SipRequest, response: SipResponse, flow: Flow | undefined): void;
  buildProvisional(
    tx: ServerTransaction,
    status: number,
    body: Offer | undefined,
    headers: Headers,
  ): SipResponse;
  buildSuccess(
    tx: ServerTransaction,
    dialog: Dialog,
    body: Offer | undefined,
    headers: Headers,
    session: InviteSession | undefined,
  ): SipResponse;
  acceptInvite(tx: ServerTransaction, answer: Offer | undefined, headers: Headers): InviteSession;
  sendInviteInDialog(
    session: InviteSession,
    offer: Offer | undefined,
    options: RequestOptions,
  ): Promise<{ response: SipResponse; request: SipRequest }>;
  sendInDialog(
    session: InviteSession,
    method: string,
    options: RequestOptions,
  ): Promise<{ response: SipResponse; request: SipRequest }>;
  contactHeaders(dialog: Dialog): Headers;
  /** The Supported header value this user agent sends. */
  readonly supported: string;
  sessionTimerHeaders(session: InviteSession): Headers;
  onRefresh(session: InviteSession, request: SipRequest, response?: SipResponse): void;
  peerAllows(dialog: Dialog, method: string): boolean;
  forget(session: InviteSession): void;
  /** An incoming call with reliable provisionals outstanding: PRACKs are routed to it. */
  trackEarly(call: IncomingCall): void;
  untrackEarly(call: IncomingCall): void;
}

export interface InviteOptions {
  readonly offer?: Offer;
  readonly headers?: Headers;
  /** From as a name-addr (default: our AOR and display name). */
  readonly from?: string;
  /** To as a name-addr (default: the target URI). */
  readonly to?: string;
  /**
   * Late offer (no `offer`): builds the answer to the offer in the 2xx, which goes in the ACK
   * (RFC 3264 §4, RFC 3261 §13.2.2.4).
   */
  readonly answerLateOffer?: (offer: Uint8Array) => Offer;
}

export interface OutOfDialogOptions extends RequestOptions {
  readonly from?: string;
  readonly to?: string;
  readonly callId?: string;
  readonly cseq?: number;
  /** A From tag to reuse (REGISTER refreshes keep theirs). */
  readonly fromTag?: string;
}

interface SendOptions {
  readonly dialog?: Dialog;
  /** INVITE only: every 1xx and 2xx, as they arrive (including extra 2xx). */
  readonly onResponse?: (response: SipResponse, flow: Flow | undefined) => void;
  /** Each client transaction the request (and its authenticated retries) ran in. */
  readonly onTransaction?: (tx: ClientTransaction) => void;
  /** Re-sent with credentials: the new request. */
  readonly onRetry?: (request: SipRequest) => void;
}

const NEEDS_CONTACT = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'REFER', 'NOTIFY', 'REGISTER']);

export class UserAgent extends TypedEmitter<UserAgentEvents> implements UserAgentCore {
  readonly transports: TransportLayer;
  readonly transactions: TransactionLayer;
  readonly clock: Clock;
  readonly aor: NameAddr;
  readonly #contactUser: string | undefined;
  readonly #outboundProxy: Uri | undefined;
  readonly #digest: DigestClient | undefined;
  readonly #userAgent: string | undefined;
  readonly #sessionTimers: Required<SessionTimerOptions> | undefined;
  readonly #sessions = new Map<string, InviteSession>();
  readonly #calls = new Map<string, OutgoingCall>();
  readonly #earlyCalls = new Map<string, IncomingCall>();
  readonly #closeTasks = new Set<() => Promise<unknown>>();
  /** BYEs still waiting for their answer, of sessions that may already have ended. */
  readonly #byesInFlight = new Set<Promise<unknown>>();
  readonly #remoteAllow = new WeakMap<Dialog, readonly string[]>();
  readonly #policy: RequestPolicy;
  readonly #supported: string;

  constructor(options: UserAgentOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.transports = new TransportLayer(options.transports, {
      ...options.transportOptions,
      ...(options.resolver ? { resolver: options.resolver } : {}),
    });
    this.#userAgent = options.userAgent;
    this.transactions = new TransactionLayer(this.transports, {
      clock: this.clock,
      ...(options.timers ? { timers: options.timers } : {}),
      ...(options.userAgent ? { responseHeaders: [['Server', options.userAgent]] } : {}),
    });
    const aorUri = parseUri(options.aor);
    this.aor = parseNameAddr(
      options.displayName !== undefined
        ? `"${options.displayName.replace(/["\\]/g, '\\$&')}" <${aorUri.toString()}>`
        : `<${aorUri.toString()}>`,
    );
    this.#contactUser = options.contactUser ?? (aorUri instanceof SipUri ? aorUri.user : undefined);
    this.#outboundProxy =
      options.outboundProxy !== undefined ? parseUri(options.outboundProxy) : undefined;
    this.#digest = options.credentials
      ? new DigestClient({ credentials: options.credentials })
      : undefined;
    this.#sessionTimers =
      options.sessionTimers === false
        ? undefined
        : {
            expires: options.sessionTimers?.expires ?? 1800,
            minSE: Math.max(90, options.sessionTimers?.minSE ?? 90),
          };
    this.#supported = this.#sessionTimers ? '100rel, timer, replaces' : '100rel, replaces';
    this.#policy = {
      role: 'uas',
      supported: this.#sessionTimers ? ['100rel', 'timer', 'replaces'] : ['100rel', 'replaces'],
      contentTypes: options.acceptedContentTypes ?? DEFAULT_CONTENT_TYPES,
    };
    this.transactions.on('request', (tx) => this.#guard(() => this.#receiveRequest(tx)));
    this.transactions.on('ack', (ack) => this.#guard(() => this.#receiveAck(ack)));
    this.transactions.on('strayResponse', (response, flow) =>
      this.#guard(() => this.#strayResponse(response, flow)),
    );
  }

  get supported(): string {
    return this.#supported;
  }

  get timers(): TransactionTimers {
    return this.transactions.timers;
  }

  /** Sessions currently confirmed. */
  get sessions(): readonly InviteSession[] {
    return [...this.#sessions.values()];
  }

  /** Our Contact for a transport protocol: `<sip:user@host:port;transport=..>`. */
  contactFor(protocol: TransportProtocol): string {
    const transport = this.transports.transport(protocol);
    const sentBy = transport
      ? this.transports.sentBy(transport)
      : { address: '127.0.0.1', port: 5060 };
    const host = sentBy.address.includes(':') ? `[${sentBy.address}]` : sentBy.address;
    const user = this.#contactUser !== undefined ? `${this.#contactUser}@` : '';
    const param = protocol === 'udp' ? '' : `;transport=${protocol}`;
    const scheme = protocol === 'tls' || protocol === 'wss' ? 'sips' : 'sip';
    const port = sentBy.port === 0 ? '' : `:${sentBy.port}`;
    return `<${scheme}:${user}${host}${port}${param}>`;
  }

  // ---------------------------------------------------------------------- outgoing requests

  /** Places a call (§13.2.1). Listen to the returned call's events or await `call.answered`. */
  invite(target: string | Uri, options: InviteOptions = {}): OutgoingCall {
    const uri = typeof target === 'string' ? parseUri(target) : target;
    const headers: (readonly [string, HeaderValue])[] = [
      ['Max-Forwards', '70'],
      [
        'From',
        options.from !== undefined
          ? parseNameAddr(options.from).withTag(newTag())
          : this.aor.withTag(newTag()),
      ],
      ['To', options.to ?? `<${uri.toString()}>`],
      ['Call-ID', newCallId()],
      ['CSeq', '1 INVITE'],
      ['Allow', ALLOWED_METHODS.join(', ')],
      ['Supported', this.#supported],
    ];
    if (this.#sessionTimers) {
      headers.push(
        ['Session-Expires', String(this.#sessionTimers.expires)],
        ['Min-SE', String(this.#sessionTimers.minSE)],
      );
    }
    if (this.#userAgent) headers.push(['User-Agent', this.#userAgent]);
    headers.push(...(options.headers ?? []));
    const request = createRequest({
      method: 'INVITE',
      uri,
      headers,
      ...(options.offer
        ? { body: options.offer.body, contentType: options.offer.contentType }
        : {}),
    });
    const call = new OutgoingCall(this, request, options.offer, options.answerLateOffer);
    const key = `${call.callId}\n${call.localTag}`;
    this.#calls.set(key, call);
    void this.#sendInvite(call).finally(() => {
      if (call.state !== 'answered') this.#calls.delete(key);
    });
    return call;
  }

  async #sendInvite(call: OutgoingCall): Promise<void> {
    let request = call.request;
    let sessionRetry = true;
    for (;;) {
      const { response } = await this.#send(request, {
        onResponse: (r, flow) => call.receiveResponse(r, flow),
        onTransaction: (tx) => call.attach(tx),
        onRetry: (retried) => {
          call.request = retried;
        },
      });
      // RFC 4028 §6: 422 names the smallest interval the server accepts; try once with it.
      const minSE = response.minSE;
      if (
        response.status === 422 &&
        sessionRetry &&
        minSE !== undefined &&
        call.state !== 'cancelled'
      ) {
        sessionRetry = false;
        request = this.#retryWith(call.request, (r) => {
          r.setHeader('Session-Expires', String(minSE));
          r.setHeader('Min-SE', String(minSE));
        });
        call.request = request;
        continue;
      }
      if (response.status >= 300) call.receiveResponse(response, undefined);
      return;
    }
  }

  /** Sends an out-of-dialog non-INVITE request (OPTIONS, MESSAGE, REGISTER, ...), answering challenges. */
  async request(
    method: string,
    target: string | Uri,
    options: OutOfDialogOptions = {},
  ): Promise<SipResponse> {
    const uri = typeof target === 'string' ? parseUri(target) : target;
    const from = options.from !== undefined ? parseNameAddr(options.from) : this.aor;
    const headers: (readonly [string, HeaderValue])[] = [
      ['Max-Forwards', '70'],
      ['From', from.withTag(options.fromTag ?? newTag())],
      ['To', options.to ?? `<${uri.toString()}>`],
      ['Call-ID', options.callId ?? newCallId()],
      ['CSeq', `${options.cseq ?? 1} ${method}`],
    ];
    if (this.#userAgent) headers.push(['User-Agent', this.#userAgent]);
    headers.push(...(options.headers ?? []));
    const request = createRequest({
      method,
      uri,
      headers,
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
    });
    return (await this.#send(request, {})).response;
  }

  /** A copy of `request` for a new transaction: our Via removed, CSeq incremented. */
  #retryWith(request: SipRequest, change: (r: SipRequest) => void, dialog?: Dialog): SipRequest {
    const retry = request.clone();
    retry.removeTopVia();
    const seq = dialog ? ++dialog.localSeq : (request.cseq?.seq ?? 1) + 1;
    retry.setHeader('CSeq', `${seq} ${request.method}`);
    change(retry);
    return retry;
  }

  /** Where a request goes first (§8.1.2, §12.2.1.1): the connection of the dialog, a Route, the outbound proxy or the Request-URI. */
  async #targetFor(request: SipRequest, dialog: Dialog | undefined): Promise<Target> {
    const flow = dialog?.flow;
    if (flow && isReliableProtocol(flow.protocol) && dialog.routeSet.length === 0) {
      return {
        protocol: flow.protocol,
        address: flow.remote.address,
        port: flow.remote.port,
        flow,
      };
    }
    const route = request.route[0]?.uri;
    const hop = route ?? this.#outboundProxy ?? request.uri;
    return this.transports.resolve(hop);
  }

  /**
   * Runs a request through a client transaction and resolves with its final response,
   * answering 401/407 challenges (§22.2, §22.3) with the configured credentials. Timeouts and
   * transport errors resolve with a synthesised 408 or 503 (§8.1.3.1).
   */
  async #send(
    initial: SipRequest,
    options: SendOptions,
  ): Promise<{ response: SipResponse; request: SipRequest }> {
    let request = initial;
    let preemptive = false;
    if (
      this.#digest &&
      options.dialog === undefined &&
      request.method !== 'ACK' &&
      request.method !== 'CANCEL'
    ) {
      const cached = this.#digest.authorize({
        method: request.method,
        uri: request.uri.toString(),
        body: request.body,
      });
      for (const header of cached) request.appendHeader(header.name, header.value);
      preemptive = cached.length > 0;
    }
    for (let attempt = 0; ; attempt++) {
      let target: Target;
      try {
        target = await this.#targetFor(request, options.dialog);
      } catch (error) {
        return { response: localFailure(request, 'transport', error), request };
      }
      if (NEEDS_CONTACT.has(request.method) && !request.hasHeader('Contact')) {
        request.setHeader('Contact', this.contactFor(target.protocol));
      }
      const response = await this.#transact(request, target, options);
      const status = response.status;
      if ((status === 401 || status === 407) && this.#digest && attempt < 3) {
        const challenges = [
          ...response
            .headerValues('WWW-Authenticate')
            .map((value) => ({ name: 'WWW-Authenticate' as const, value })),
          ...response
            .headerValues('Proxy-Authenticate')
            .map((value) => ({ name: 'Proxy-Authenticate' as const, value })),
        ];
        const sent = preemptive
          ? []
          : [
              ...request
                .headerValues('Authorization')
                .map((value) => ({ name: 'Authorization' as const, value })),
              ...request.headerValues('Proxy-Authorization').map((value) => ({
                name: 'Proxy-Authorization' as const,
                value,
              })),
            ];
        preemptive = false;
        const credentials = this.#digest.respond(
          challenges,
          { method: request.method, uri: request.uri.toString(), body: request.body },
          sent,
        );
        if (credentials) {
          request = this.#retryWith(
            request,
            (r) => {
              r.removeHeader('Authorization');
              r.removeHeader('Proxy-Authorization');
              for (const header of credentials) r.appendHeader(header.name, header.value);
            },
            options.dialog,
          );
          options.onRetry?.(request);
          continue;
        }
      }
      return { response, request };
    }
  }

  /** Runs a handler for one received message; a failure drops that message, not the agent. */
  #guard(handle: () => void): void {
    try {
      handle();
    } catch (error) {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    }
  }

  #transact(request: SipRequest, target: Target, options: SendOptions): Promise<SipResponse> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (response: SipResponse): void => {
        if (!done) {
          done = true;
          resolve(response);
        }
      };
      try {
        const tx = this.transactions.sendRequest(request, target, {
          response: (response, t) =>
            this.#guard(() => {
              if (request.method === 'INVITE' && response.status < 300) {
                options.onResponse?.(response, t.flow);
              }
              if (response.status >= 200) finish(response);
            }),
          failure: (reason, error) => {
            finish(localFailure(request, reason === 'timeout' ? 'timeout' : 'transport', error));
          },
        });
        options.onTransaction?.(tx);
      } catch (error) {
        finish(localFailure(request, 'transport', error));
      }
    });
  }

  // ---------------------------------------------------------------------- dialogs and sessions

  /** @internal RFC 3262 §7.1: PRACK in the early dialog with RAck. */
  sendPrack(dialog: Dialog, rack: string): void {
    const request = dialog.createRequest('PRACK', { headers: [['RAck', rack]] });
    void this.#send(request, { dialog });
  }

  /** @internal the UAC's INVITE got its (first) 2xx. */
  establish(call: OutgoingCall, dialog: Dialog, response: SipResponse): InviteSession {
    // Late offer: the 2xx carries the offer and our answer rides in the ACK.
    const answer =
      call.offer === undefined && response.body.length > 0
        ? call.answerLateOffer?.(response.body)
        : undefined;
    const session = new InviteSession(this, dialog, call.offer ?? answer, response.body);
    this.#sessions.set(dialog.key, session);
    this.#remoteAllow.set(
      dialog,
      safeList(() => response.allow ?? []),
    );
    this.#ack(call.request, dialog, session, answer);
    this.#armFromResponse(session, response);
    return session;
  }

  /** §13.2.2.4: the ACK for a 2xx is a new transaction-less request in the dialog, sent end to end. */
  #ack(invite: SipRequest, dialog: Dialog, session: InviteSession | undefined, body?: Offer): void {
    const cseq = invite.cseq?.seq ?? dialog.localSeq;
    const auth: [string, string][] = [
      ...invite.headerValues('Authorization').map((v): [string, string] => ['Authorization', v]),
      ...invite
        .headerValues('Proxy-Authorization')
        .map((v): [string, string] => ['Proxy-Authorization', v]),
    ];
    const ack = dialog.createRequest('ACK', {
      cseq,
      headers: auth,
      ...(body ? { body: body.body, contentType: body.contentType } : {}),
    });
    let bytes: { bytes: Uint8Array; target: Target } | undefined;
    const send = (): void => {
      if (bytes) void this.transports.sendTo(bytes.bytes, bytes.target).catch(() => undefined);
    };
    session?.setAck(cseq, send);
    void this.#targetFor(ack, dialog).then(
      (target) => {
        const stamped = this.transports.stamp(ack, target, randomBranch());
        bytes = { bytes: stamped.bytes, target };
        send();
      },
      () => undefined,
    );
  }

  /** @internal a second fork answered: ACK it and hang it up (§13.2.2.4). */
  ackAndBye(invite: SipRequest, response: SipResponse, flow: Flow | undefined): void {
    let dialog: Dialog;
    try {
      dialog = Dialog.uac(invite, response, flow);
    } catch {
      return;
    }
    this.#ack(invite, dialog, undefined);
    const bye = dialog.createRequest('BYE');
    void this.#send(bye, { dialog });
  }

  #responseHeaders(tx: ServerTransaction, extra: Headers): (readonly [string, HeaderValue])[] {
    // §12.1.1: a dialog-creating response copies the request's Record-Route.
    const headers: (readonly [string, HeaderValue])[] = tx.request
      .headerValues('Record-Route')
      .map((v): [string, HeaderValue] => ['Record-Route', v]);
    headers.push(['Contact', this.contactFor(tx.flow.protocol)]);
    headers.push(...extra);
    return headers;
  }

  /** @internal */
  buildProvisional(
    tx: ServerTransaction,
    status: number,
    body: Offer | undefined,
    headers: Headers,
  ): SipResponse {
    return this.transactions.buildResponse(tx, status, undefined, {
      headers: this.#responseHeaders(tx, headers),
      ...(body ? { body: body.body, contentType: body.contentType } : {}),
    });
  }

  /** @internal a 2xx to INVITE or UPDATE, with Contact, Allow, Supported and session timer headers. */
  buildSuccess(
    tx: ServerTransaction,
    dialog: Dialog,
    body: Offer | undefined,
    headers: Headers,
    session: InviteSession | undefined,
  ): SipResponse {
    const extra: (readonly [string, HeaderValue])[] = [
      ['Allow', ALLOWED_METHODS.join(', ')],
      ['Supported', this.#supported],
    ];
    const timer = this.#negotiateTimer(tx.request, session);
    if (timer) {
      extra.push(['Session-Expires', `${timer.interval};refresher=${timer.refresherParam}`]);
      if (timer.requireTimer) extra.push(['Require', 'timer']);
    }
    void dialog;
    return this.transactions.buildResponse(tx, 200, undefined, {
      headers: [...this.#responseHeaders(tx, extra), ...headers],
      ...(body ? { body: body.body, contentType: body.contentType } : {}),
    });
  }

  /** RFC 4028 §9: the interval and refresher a UAS puts in its 2xx. */
  #negotiateTimer(
    request: SipRequest,
    session: InviteSession | undefined,
  ): { interval: number; refresherParam: 'uac' | 'uas'; requireTimer: boolean } | undefined {
    if (!this.#sessionTimers) return undefined;
    let se;
    try {
      se = request.sessionExpires;
    } catch {
      se = undefined;
    }
    if (se === undefined) return undefined;
    const uacSupports = safeList(() => request.supported).some((s) => s.toLowerCase() === 'timer');
    const interval = Math.max(se.delta, this.#sessionTimers.minSE);
    const asked = se.refresher?.toLowerCase();
    const refresherParam: 'uac' | 'uas' =
      asked === 'uac' || asked === 'uas'
        ? uacSupports
          ? asked
          : 'uas'
        : uacSupports
          ? 'uac'
          : 'uas';
    void session;
    return { interval, refresherParam, requireTimer: uacSupports };
  }

  /** @internal UAS accepts an INVITE. */
  acceptInvite(tx: ServerTransaction, answer: Offer | undefined, headers: Headers): InviteSession {
    const request = tx.request;
    for (const [key, call] of this.#earlyCalls)
      if (call.transaction === tx) this.#earlyCalls.delete(key);
    tx.toTag ??= newTag();
    const dialog = Dialog.uas(request, tx.toTag, 'confirmed', tx.flow);
    const session = new InviteSession(this, dialog, answer, request.body);
    this.#sessions.set(dialog.key, session);
    this.#remoteAllow.set(
      dialog,
      safeList(() => request.allow ?? []),
    );
    const response = this.buildSuccess(tx, dialog, answer, headers, session);
    tx.respond(response);
    session.awaitAck(request.cseq?.seq ?? 0, () => this.#respondAgain(tx, response));
    this.onRefresh(session, request);
    return session;
  }

  #respondAgain(tx: ServerTransaction, response: SipResponse): void {
    if (tx.state === 'accepted') tx.respond(response);
    else void this.transports.sendResponse(response, tx.flow).catch(() => undefined);
  }

  /** @internal */
  async sendInviteInDialog(
    session: InviteSession,
    offer: Offer | undefined,
    options: RequestOptions,
  ): Promise<{ response: SipResponse; request: SipRequest }> {
    const dialog = session.dialog;
    const headers: (readonly [string, HeaderValue])[] = [
      ...this.contactHeaders(dialog),
      ['Allow', ALLOWED_METHODS.join(', ')],
      ['Supported', this.#supported],
    ];
    headers.push(...this.sessionTimerHeaders(session));
    headers.push(...(options.headers ?? []));
    const request = dialog.createRequest('INVITE', {
      headers,
      ...(offer ? { body: offer.body, contentType: offer.contentType } : {}),
    });
    let acked = false;
    let current = request;
    const result = await this.#send(request, {
      dialog,
      onRetry: (r) => {
        current = r;
      },
      onResponse: (response) => {
        if (response.status >= 200 && response.status < 300) {
          if (!acked) {
            acked = true;
            this.#ack(current, dialog, session);
          } else {
            session.retransmitAck(response);
          }
        }
      },
    });
    return result;
  }

  /** @internal RFC 4028 §7.4: every refresh (re-INVITE or UPDATE) carries Session-Expires. */
  sessionTimerHeaders(session: InviteSession): Headers {
    const timer = session.sessionTimer;
    if (!this.#sessionTimers || !timer) return [];
    return [
      [
        'Session-Expires',
        `${timer.interval};refresher=${timer.refresher === 'local' ? 'uac' : 'uas'}`,
      ],
      ['Min-SE', String(this.#sessionTimers.minSE)],
    ];
  }

  /** @internal */
  sendInDialog(
    session: InviteSession,
    method: string,
    options: RequestOptions,
  ): Promise<{ response: SipResponse; request: SipRequest }> {
    const request = session.dialog.createRequest(method, {
      ...options,
      ...(options.body === undefined ? {} : { body: options.body }),
    });
    const sending = this.#send(request, { dialog: session.dialog });
    if (method === 'BYE') {
      // close() gives these their grace period too: a session ends before its BYE is answered.
      this.#byesInFlight.add(sending);
      void sending.finally(() => this.#byesInFlight.delete(sending));
    }
    return sending;
  }

  /** @internal */
  contactHeaders(dialog: Dialog): Headers {
    const protocol = dialog.flow?.protocol ?? 'udp';
    return [['Contact', this.contactFor(protocol)]];
  }

  /** @internal RFC 4028: after a successful refresh (either way) the timer restarts. */
  onRefresh(session: InviteSession, request: SipRequest, response?: SipResponse): void {
    if (!this.#sessionTimers) return;
    if (response) {
      this.#armFromResponse(session, response);
      return;
    }
    const negotiated = this.#negotiateTimer(request, session);
    if (negotiated) {
      // In the transaction we answered, "uac" is the peer.
      session.armSessionTimer({
        interval: negotiated.interval,
        refresher: negotiated.refresherParam === 'uas' ? 'local' : 'remote',
      });
    } else if (session.sessionTimer) {
      session.armSessionTimer(session.sessionTimer);
    }
  }

  #armFromResponse(session: InviteSession, response: SipResponse): void {
    if (!this.#sessionTimers) return;
    let se;
    try {
      se = response.sessionExpires;
    } catch {
      se = undefined;
    }
    if (se === undefined) {
      session.armSessionTimer(undefined);
      return;
    }
    // In the transaction we sent, "uac" is us.
    const refresher = se.refresher?.toLowerCase() === 'uas' ? 'remote' : 'local';
    session.armSessionTimer({ interval: se.delta, refresher });
  }

  /** @internal */
  peerAllows(dialog: Dialog, method: string): boolean {
    return (this.#remoteAllow.get(dialog) ?? []).some((m) => m.toUpperCase() === method);
  }

  #earlyKey(call: IncomingCall): string {
    const request = call.request;
    return dialogKey({
      callId: request.callId ?? '',
      localTag: call.transaction.toTag ?? '',
      remoteTag: request.from?.tag ?? '',
    });
  }

  /** @internal */
  trackEarly(call: IncomingCall): void {
    this.#earlyCalls.set(this.#earlyKey(call), call);
  }

  /** @internal */
  untrackEarly(call: IncomingCall): void {
    this.#earlyCalls.delete(this.#earlyKey(call));
  }

  /** @internal */
  forget(session: InviteSession): void {
    this.#sessions.delete(session.dialog.key);
    this.#calls.delete(`${session.dialog.id.callId}\n${session.dialog.id.localTag}`);
  }

  // ---------------------------------------------------------------------- incoming

  #receiveRequest(tx: ServerTransaction): void {
    const request = tx.request;
    // §8.2: method, URI scheme, Require, body type and header checks before anything else.
    const verdict = validateRequest(request, this.#policy);
    if (verdict) {
      tx.reply(verdict.status, verdict.reason, { headers: verdict.headers });
      return;
    }
    // §8.1.1: To, From, Call-ID and CSeq are mandatory (Max-Forwards is tolerated missing).
    if (!request.to || !request.from || request.callId === undefined || !request.cseq) {
      tx.reply(400, 'Missing Mandatory Header');
      return;
    }
    const toTag = request.to?.tag;
    if (toTag !== undefined) {
      const session = this.#sessions.get(
        dialogKey({
          callId: request.callId ?? '',
          localTag: toTag,
          remoteTag: request.from?.tag ?? '',
        }),
      );
      if (session === undefined) {
        const early = this.#earlyCalls.get(
          dialogKey({
            callId: request.callId ?? '',
            localTag: toTag,
            remoteTag: request.from?.tag ?? '',
          }),
        );
        if (early && request.method === 'PRACK') early.receivePrack(tx);
        // §12.2.2: a request for a dialog we do not know.
        else tx.reply(481);
        return;
      }
      if (!session.dialog.receiveRequest(request, tx.flow)) {
        tx.reply(500, 'CSeq Out Of Order');
        return;
      }
      session.receiveRequest(tx);
      return;
    }
    if (request.method === 'INVITE') {
      this.#receiveInvite(tx);
      return;
    }
    if (this.listenerCount('request') > 0) {
      this.emit('request', tx);
    } else if (request.method === 'OPTIONS') {
      tx.reply(200, undefined, { headers: [['Allow', ALLOWED_METHODS.join(', ')]] });
    } else {
      tx.reply(405, undefined, { headers: [['Allow', ALLOWED_METHODS.join(', ')]] });
    }
  }

  #receiveInvite(tx: ServerTransaction): void {
    const request = tx.request;
    if (this.#sessionTimers) {
      let se;
      try {
        se = request.sessionExpires;
      } catch {
        tx.reply(400, 'Bad Session-Expires');
        return;
      }
      // RFC 4028 §8.1: too small an interval gets 422 with our Min-SE.
      if (se !== undefined && se.delta < this.#sessionTimers.minSE) {
        tx.reply(422, undefined, { headers: [['Min-SE', String(this.#sessionTimers.minSE)]] });
        return;
      }
    }
    if (!request.hasHeader('Contact')) {
      tx.reply(400, 'Missing Contact');
      return;
    }
    if (this.listenerCount('invite') === 0) {
      tx.reply(480);
      return;
    }
    this.emit('invite', new IncomingCall(this, tx));
  }

  #receiveAck(ack: SipRequest): void {
    const session = this.#sessions.get(
      dialogKey({
        callId: ack.callId ?? '',
        localTag: ack.to?.tag ?? '',
        remoteTag: ack.from?.tag ?? '',
      }),
    );
    session?.receiveAck(ack);
  }

  #strayResponse(response: SipResponse, flow: Flow): void {
    if (response.cseq?.method !== 'INVITE' || response.status < 200 || response.status >= 300)
      return;
    const callId = response.callId ?? '';
    const localTag = response.from?.tag ?? '';
    const session = this.#sessions.get(
      dialogKey({ callId, localTag, remoteTag: response.to?.tag ?? '' }),
    );
    if (session) {
      session.retransmitAck(response);
      return;
    }
    this.#calls.get(`${callId}\n${localTag}`)?.receiveResponse(response, flow);
  }

  /**
   * Registers work to finish before close() shuts the transports, such as an unregister
   * (RFC 3261 §10.2.2). Returns a function that removes it.
   */
  onClose(task: () => Promise<unknown>): () => void {
    this.#closeTasks.add(task);
    return () => this.#closeTasks.delete(task);
  }

  /**
   * Ends every session with BYE and runs the close tasks (unregistering), waiting up to
   * `graceMs` for answers (also to BYEs sent before), then closes the transports.
   */
  async close(graceMs = 1000): Promise<void> {
    const byes = Promise.allSettled([
      ...[...this.#sessions.values()].map((s) => s.bye()),
      ...this.#byesInFlight,
      ...[...this.#closeTasks].map((task) => task()),
    ]);
    // Wait for the BYEs to be answered, but not for their transactions to time out.
    await Promise.race([
      byes,
      new Promise<void>((resolve) => this.clock.setTimeout(() => resolve(), graceMs)),
    ]);
    this.transactions.terminateAll();
    await this.transports.close();
  }
}

function safeList<T>(read: () => readonly T[]): readonly T[] {
  try {
    return read();
  } catch {
    return [];
  }
}
