// The B2BUA core: per bound account a SIP user agent (and a registration when asked), and per
// call a BridgedCall between the browser's WebRTC leg and the SIP leg.
import { readFileSync } from 'node:fs';
import {
  Registerer,
  StreamTransport,
  UdpTransport,
  UserAgent,
  WebSocketTransport,
  dialogKey,
  localFailureOf,
  type Clock as SipClock,
  type DialogId,
  type IncomingCall,
  type OutgoingCall,
  type Transport,
} from '@callbridge/sip';
import { DtlsCertificate } from '@callbridge/webrtc';
import type { CodecRegistry } from '@callbridge/codecs';
import type { GatewayMediaConfig } from '@callbridge/sdp';
import {
  BackendFailureError,
  type AccountEmit,
  type BackendContext,
  type CallBackend,
  type CallBackendFactory,
  type OutboundCallRequest,
  type SipAccount,
  type SipAccountBinding,
  type SipLeg,
  type SipLegEmit,
} from '../backend.js';
import type { CodecName, GatewayConfig } from '../config.js';
import { implementedCodecs, legCodecs } from './capabilities.js';
import { bridgeCodecs } from './codecs.js';
import { CallMedia, type CallMediaContext } from './call-media.js';
import { ServerMediaCall } from './server-call.js';
import {
  IncomingBridgedCall,
  OutgoingBridgedCall,
  calleeUri,
  unreachableMessage,
  type BridgedCall,
  type BridgedCallContext,
} from './call.js';
import { replacesVerdict, type ReplaceableDialog } from './transfer.js';

/**
 * How long an ended dialog is remembered, so that an INVITE with Replaces naming it gets 603
 * rather than 481 (RFC 3891 §3); 64×T1, the life of a transaction that may still be in flight.
 */
const ENDED_DIALOG_MEMORY_MS = 32_000;

/** Where an account's SIP traffic goes: the embedded demo, the outbound proxy, or its domain. */
function nextHop(
  account: SipAccount,
  config: GatewayConfig,
  context: BackendContext,
): { host: string; port: number } {
  if (context.demo) return { host: context.demo.sipServer.host, port: context.demo.sipServer.port };
  const proxy = account.outboundProxy ?? config.sip.outboundProxy ?? account.domain;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(proxy);
  const host = match?.[1] ?? proxy;
  const port = Number(match?.[2] ?? account.port ?? 5060);
  return { host, port };
}

async function createTransport(config: GatewayConfig): Promise<Transport> {
  const address = config.sip.listenHost;
  const { tlsCa, tlsCert, tlsKey } = config.sip;
  switch (config.sip.transport) {
    case 'UDP':
      return UdpTransport.create({ address });
    case 'TCP':
      return StreamTransport.tcp({ address, listen: false });
    case 'TLS':
      // RFC 5922 §7: the server's certificate must name the domain (Node checks the name);
      // a client certificate is presented when one is configured (mutual TLS).
      return StreamTransport.tls({
        address,
        listen: false,
        client: {
          ...(tlsCa ? { ca: readFileSync(tlsCa, 'utf8') } : {}),
          ...(tlsCert && tlsKey
            ? { cert: readFileSync(tlsCert, 'utf8'), key: readFileSync(tlsKey, 'utf8') }
            : {}),
        },
      });
    case 'WS':
      // RFC 7118: SIP over WebSocket, the gateway as a client of the SIP server's endpoint.
      return WebSocketTransport.create({
        address,
        listen: false,
        ...(tlsCa ? { client: { ca: readFileSync(tlsCa, 'utf8') } } : {}),
      });
  }
}

class AccountBinding implements SipAccountBinding {
  readonly #backend: B2buaBackend;
  readonly #account: SipAccount;
  readonly #ua: UserAgent;
  readonly #registerer: Registerer | undefined;
  readonly #calls = new Set<BridgedCall>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #endedDialogs = new Map<string, { readonly id: DialogId; readonly at: number }>();
  #closed = false;

  constructor(backend: B2buaBackend, account: SipAccount, ua: UserAgent, emit: AccountEmit) {
    this.#backend = backend;
    this.#account = account;
    this.#ua = ua;
    ua.on('invite', (call) => {
      const replaces = call.request.headerValues('Replaces');
      if (replaces.length > 0) {
        this.#replace(call, replaces);
        return;
      }
      void IncomingBridgedCall.prepare(this.#callContext(), call, (video) =>
        backend.openMedia('server', undefined, video),
      ).then((incoming) => {
        if (!incoming) return;
        if (this.#closed) {
          void incoming.reject(480);
          return;
        }
        this.#calls.add(incoming);
        let attached = false;
        emit('incomingCall', {
          caller: incoming.caller.uri,
          ...(incoming.caller.name ? { callerName: incoming.caller.name } : {}),
          callee: account.login,
          audio: true,
          video: /m=video [1-9]/.test(call.request.bodyText),
          sipHeaders: {},
          browserOffer: incoming.browserOffer,
          attach: (legEmit) => {
            attached = true;
            return incoming.attach(legEmit);
          },
        });
        // Nobody took it: the SIP side gets a final answer rather than ringing forever.
        if (!attached) void incoming.reject(480, 'No Browser Session');
      });
    });
    if (account.registerRequired) {
      const registerer = new Registerer(ua, { registrar: `sip:${account.domain}` });
      this.#registerer = registerer;
      registerer.on('registered', (expires) => emit('registered', { expiresSec: expires }));
      registerer.on('failed', (response) => {
        const refused =
          response.status === 401 || response.status === 403 || response.status === 407;
        if (refused) {
          emit('failed', {
            reason: 'AUTHENTICATION_FAILED',
            sipStatus: response.status,
            sipReason: response.reason,
            message: `the registrar refused the credentials of ${account.login}`,
          });
          registerer.stop();
          return;
        }
        emit('unregistered', {
          failure: {
            reason:
              response.status === 408 || response.status === 503
                ? 'SIP_SERVER_UNREACHABLE'
                : 'SIP_ERROR',
            sipStatus: response.status,
            sipReason: response.reason,
            ...(localFailureOf(response) === 'transport'
              ? { message: unreachableMessage(response) }
              : {}),
          },
        });
      });
      queueMicrotask(() => void registerer.register().catch(() => undefined));
    }
  }

  /**
   * An INVITE with Replaces (RFC 3891 §3): it takes the place of the SIP leg of one of our calls
   * without ringing the browser, or gets the error the RFC asks for. Knowing the dialog's
   * Call-ID and both tags is what authorizes it, as with common SIP phones.
   */
  #replace(call: IncomingCall, values: readonly string[]): void {
    this.#forgetOldDialogs();
    const dialogs: ReplaceableDialog<BridgedCall | null>[] = [];
    for (const { id } of this.#endedDialogs.values())
      dialogs.push({ id, state: 'terminated', initiatedLocally: false, owner: null });
    for (const active of this.#calls) dialogs.push(...active.replaceableDialogs);
    const verdict = replacesVerdict(values, dialogs);
    if (!verdict.accept) {
      call.reject(verdict.sipStatus, verdict.reason);
      return;
    }
    if (this.#closed || !verdict.dialog.owner) {
      call.reject(481);
      return;
    }
    void verdict.dialog.owner.replaceSipLeg(call).catch((error: unknown) => {
      this.#backend.logger.warn('INVITE with Replaces failed', {
        message: error instanceof Error ? error.message : String(error),
      });
    });
  }

  #forgetOldDialogs(): void {
    const now = this.#backend.clock.now();
    // Oldest first (insertion order): stop at the first one still remembered.
    for (const [key, ended] of this.#endedDialogs) {
      if (now - ended.at <= ENDED_DIALOG_MEMORY_MS) break;
      this.#endedDialogs.delete(key);
    }
  }

  #callContext(): BridgedCallContext {
    return {
      mediaConfig: (media) => this.#backend.mediaConfig(media),
      logger: this.#backend.logger.child({ account: this.#account.login }),
      clock: this.#backend.clock,
      onEnded: (call) => this.#calls.delete(call),
      dialogEnded: (id) => {
        this.#forgetOldDialogs();
        this.#endedDialogs.set(dialogKey(id), { id, at: this.#backend.clock.now() });
      },
      invite: (target, offer, headers) => this.#ua.invite(target, { offer, headers }),
      pending: (done) => {
        this.#pending.add(done);
        void done.finally(() => this.#pending.delete(done));
      },
    };
  }

  placeCall(request: OutboundCallRequest, emit: SipLegEmit): SipLeg {
    const target = calleeUri(request.callee, this.#account.domain);
    const headers = Object.entries(request.sipHeaders);
    const from = request.visibleName
      ? `"${request.visibleName.replace(/["\\]/g, '')}" <sip:${this.#account.login}@${this.#account.domain}>`
      : undefined;
    const invite = (offer: { body: string; contentType: string }): OutgoingCall =>
      this.#ua.invite(target, { offer, headers, ...(from ? { from } : {}) });
    if (request.media.kind === 'server') {
      const config = this.#backend.config;
      const call = new ServerMediaCall(this.#callContext(), emit);
      this.#calls.add(call);
      void call.start({
        source: request.media.source,
        bindAddress: config.sip.listenHost,
        address: config.media.publicAddress ?? config.sip.publicAddress ?? config.sip.listenHost,
        rtpPorts: config.media.rtpPorts,
        invite,
      });
      return call;
    }
    const call = new OutgoingBridgedCall(this.#callContext(), emit);
    this.#calls.add(call);
    void call.start(
      {
        browserOffer: request.media.offer.sdp,
        invite,
      },
      (remote, video) => this.#backend.openMedia('client', remote, video),
    );
    return call;
  }

  /** Calls of this account that have not ended yet. */
  get activeCalls(): number {
    return this.#calls.size;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#calls].map((c) => c.hangup()));
    // BYEs of calls that ended just before: their transactions need the user agent open.
    await Promise.allSettled([...this.#pending]);
    if (this.#registerer) await this.#registerer.unregister().catch(() => undefined);
    this.#registerer?.stop();
    await this.#ua.close(500);
    this.#backend.released(this);
  }
}

export interface B2buaBackendOptions {
  /** The clock of the SIP user agents (transaction, registration and session timers). */
  readonly sipClock?: SipClock;
  /**
   * The codec implementations calls transcode with (default: bridgeCodecs(), every built-in
   * codec plus the optional packages that are installed). Codecs it lacks are not negotiated.
   */
  readonly codecs?: Promise<CodecRegistry>;
}

export class B2buaBackend implements CallBackend {
  readonly logger: BackendContext['logger'];
  readonly #context: BackendContext;
  readonly #options: B2buaBackendOptions;
  readonly #certificate = DtlsCertificate.generate();
  readonly #bindings = new Set<AccountBinding>();
  readonly #codecs: Promise<CodecRegistry>;
  #offered: CallMediaContext['offered'] | undefined;

  get config(): GatewayConfig {
    return this.#context.config;
  }

  get clock(): BackendContext['clock'] {
    return this.#context.clock;
  }

  constructor(context: BackendContext, options: B2buaBackendOptions = {}) {
    this.#context = context;
    this.#options = options;
    this.logger = context.logger;
    this.#codecs = options.codecs ?? bridgeCodecs();
  }

  /** The codecs each leg offers: the configured ones the bridge can transcode. */
  #legCodecs(registry: CodecRegistry): CallMediaContext['offered'] {
    if (this.#offered) return this.#offered;
    const usable = (setting: string, names: readonly CodecName[]): CodecName[] => {
      const implemented = implementedCodecs(names, registry);
      const missing = names.filter((name) => !implemented.includes(name));
      if (missing.length > 0)
        this.logger.warn('codecs left out: their implementation is not installed', {
          setting,
          codecs: missing,
        });
      return implemented;
    };
    const { browserCodecs, sipCodecs } = this.#context.config.media;
    this.#offered = {
      webrtc: legCodecs(usable('media.browserCodecs', browserCodecs), 'webrtc'),
      sip: legCodecs(usable('media.sipCodecs', sipCodecs), 'sip'),
    };
    return this.#offered;
  }

  async bindAccount(account: SipAccount, emit: AccountEmit): Promise<SipAccountBinding> {
    const config = this.#context.config;
    const hop = nextHop(account, config, this.#context);
    let transport: Transport;
    try {
      transport = await createTransport(config);
    } catch (error) {
      if (error instanceof BackendFailureError) throw error;
      throw new BackendFailureError(
        { reason: 'INTERNAL_ERROR', message: `no SIP transport: ${(error as Error).message}` },
        { cause: error },
      );
    }
    // The transport's own protocol: WS with a CA configured is WebSocket over TLS (wss).
    const protocol = transport.protocol;
    const demoDomain = this.#context.demo?.domain;
    const ua = new UserAgent({
      transports: [transport],
      aor: `sip:${account.login}@${account.domain}`,
      outboundProxy: `sip:${hop.host}:${hop.port};transport=${protocol};lr`,
      ...(account.password !== undefined
        ? {
            credentials: {
              username: account.authenticationName ?? account.login,
              password: account.password,
            },
          }
        : {}),
      userAgent: 'callbridge',
      sessionTimers: { expires: config.sip.sessionExpires, minSE: config.sip.minSE },
      ...(this.#options.sipClock ? { clock: this.#options.sipClock } : {}),
      ...(demoDomain
        ? { resolver: (host: string) => Promise.resolve(host === demoDomain ? hop.host : host) }
        : {}),
    });
    const binding = new AccountBinding(this, account, ua, emit);
    this.#bindings.add(binding);
    return binding;
  }

  /** Calls in progress over all bound accounts (ringing, early or confirmed). */
  get activeCalls(): number {
    let count = 0;
    for (const binding of this.#bindings) count += binding.activeCalls;
    return count;
  }

  /** Accounts bound (one per connected session). */
  get boundAccounts(): number {
    return this.#bindings.size;
  }

  /** @internal */
  released(binding: AccountBinding): void {
    this.#bindings.delete(binding);
  }

  /** @internal the media of one call */
  async openMedia(
    role: 'client' | 'server',
    remote: Parameters<typeof CallMedia.open>[2],
    video: boolean,
  ): Promise<CallMedia> {
    const codecs = await this.#codecs;
    return CallMedia.open(
      {
        config: this.#context.config,
        certificate: this.#certificate,
        codecs,
        offered: this.#legCodecs(codecs),
        metrics: this.#context.metrics,
      },
      role,
      remote,
      video,
    );
  }

  /** @internal the SDP bridge configuration of one call */
  mediaConfig(media: CallMedia): GatewayMediaConfig {
    const config = this.#context.config;
    return {
      webrtc: media.webrtcEndpoint(),
      sip: media.sipEndpoint(),
      codecs: media.offered,
      transcoding: config.media.transcoding,
      username: 'callbridge',
    };
  }

  async shutdown(): Promise<void> {
    await Promise.allSettled([...this.#bindings].map((b) => b.close()));
  }
}

export const createB2buaBackend: CallBackendFactory = (context) => new B2buaBackend(context);
