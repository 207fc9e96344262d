// The demo "mobile phone": one SIP user agent that registers the demo numbers at the embedded SIP
// server and answers each the way its number promises. It uses the same SIP and SDP stack as the
// gateway, over plain RTP/AVP with G.711, like a GSM gateway or a desk phone would.
import { randomBytes } from 'node:crypto';
import {
  Registerer,
  SipUri,
  UdpTransport,
  UserAgent,
  type IncomingCall,
  type InviteSession,
} from '@callbridge/sip';
import {
  createAnswer,
  parseSdp,
  serializeSdp,
  SdpError,
  type CodecCapability,
} from '@callbridge/sdp';
import { DemoMedia, type DemoMediaBehaviour } from './media.js';

export type DemoNumberKind = 'echo' | 'tone' | 'busy' | 'no-answer' | 'early-media';

export interface DemoNumber {
  readonly number: string;
  readonly kind: DemoNumberKind;
  readonly description: string;
}

/** Fixed so the docs, the Phone UI and the tests can rely on them. */
export const DEMO_NUMBERS: readonly DemoNumber[] = [
  { number: '100', kind: 'echo', description: 'answers and echoes what you say' },
  { number: '101', kind: 'tone', description: 'answers and plays a two-note tone' },
  { number: '102', kind: 'busy', description: 'is busy (486 Busy Here)' },
  { number: '103', kind: 'no-answer', description: 'rings and never answers' },
  {
    number: '104',
    kind: 'early-media',
    description: 'plays early media (183 with SDP) for 4 seconds, then answers',
  },
];

/** How long 104 plays early media before it answers. */
export const EARLY_MEDIA_MS = 4000;

const AUDIO_CODECS: readonly CodecCapability[] = [
  { name: 'PCMU', clockRate: 8000 },
  { name: 'PCMA', clockRate: 8000 },
  { name: 'telephone-event', clockRate: 8000, fmtp: '0-16' },
];

export interface DemoPhoneOptions {
  /** The SIP server (registrar/proxy) to register the numbers at. */
  readonly server: { readonly host: string; readonly port: number };
  readonly domain: string;
  /** Address for SIP and RTP; 127.0.0.1 by default. */
  readonly address?: string;
}

interface ActiveCall {
  readonly media: DemoMedia;
  session?: InviteSession;
  timer?: NodeJS.Timeout;
}

export class DemoPhone {
  /** The digest account the phone registers its numbers with (random per start). */
  readonly account = { username: 'demo-phone', password: randomBytes(12).toString('base64url') };
  readonly #ua: UserAgent;
  readonly #registerers: Registerer[] = [];
  readonly #address: string;
  readonly #domain: string;
  readonly #calls = new Set<ActiveCall>();

  private constructor(ua: UserAgent, options: DemoPhoneOptions) {
    this.#ua = ua;
    this.#address = options.address ?? '127.0.0.1';
    this.#domain = options.domain;
    ua.on('invite', (call) => {
      this.#answer(call).catch(() => call.reject(500, 'Demo Phone Error'));
    });
  }

  static async start(options: DemoPhoneOptions): Promise<DemoPhone> {
    const address = options.address ?? '127.0.0.1';
    const transport = await UdpTransport.create({ address });
    const phone: DemoPhone = new DemoPhone(
      new UserAgent({
        transports: [transport],
        aor: `sip:demo-phone@${options.domain}`,
        outboundProxy: `sip:${options.server.host}:${options.server.port}`,
        credentials: () => phone.account,
        userAgent: 'callbridge-demo-phone',
        resolver: (host) => Promise.resolve(host === options.domain ? options.server.host : host),
      }),
      options,
    );
    return phone;
  }

  /** Registers every demo number; resolves once all are registered. */
  async registerNumbers(): Promise<void> {
    for (const { number } of DEMO_NUMBERS) {
      const registerer = new Registerer(this.#ua, { aor: `sip:${number}@${this.#domain}` });
      this.#registerers.push(registerer);
      const response = await registerer.register();
      if (response.status !== 200) {
        throw new Error(
          `demo number ${number} not registered: ${response.status} ${response.reason}`,
        );
      }
    }
  }

  async #answer(call: IncomingCall): Promise<void> {
    // The proxy rewrote the Request-URI to our Contact; the number called is in To.
    const to = call.request.to?.uri;
    const number = to instanceof SipUri ? to.user : undefined;
    const entry = DEMO_NUMBERS.find((n) => n.number === number);
    if (!entry) {
      call.reject(404, 'No Such Demo Number');
      return;
    }
    switch (entry.kind) {
      case 'busy':
        call.reject(486);
        return;
      case 'no-answer':
        // Rings until the caller gives up (CANCEL is answered 487 by the user agent).
        call.ring();
        return;
      default:
        break;
    }
    let offer;
    try {
      offer = parseSdp(call.request.bodyText);
    } catch (error) {
      call.reject(error instanceof SdpError ? error.sipStatus : 400);
      return;
    }
    const media = await DemoMedia.open(this.#address);
    let answer;
    try {
      answer = createAnswer(
        offer,
        { profile: 'sip', address: this.#address, ports: { audio: media.port }, ptime: 20 },
        { codecs: { audio: AUDIO_CODECS }, accept: (section) => section.kind === 'audio' },
      );
    } catch (error) {
      media.close();
      call.reject(error instanceof SdpError ? error.sipStatus : 488);
      return;
    }
    const audio = answer.media.find((m) => m.accepted && m.kind === 'audio');
    const codec = audio?.codec;
    const remoteAddress = audio?.remoteAddress?.address;
    if (!audio || !codec || !remoteAddress) {
      media.close();
      call.reject(488);
      return;
    }
    const body = { body: serializeSdp(answer.description), contentType: 'application/sdp' };
    const behaviour: DemoMediaBehaviour = entry.kind === 'echo' ? 'echo' : 'tone';
    media.start(
      behaviour,
      { payloadType: codec.sendPayloadType, law: codec.name.toUpperCase() === 'PCMA' ? 'a' : 'mu' },
      { address: remoteAddress, port: audio.remotePort },
    );
    const active: ActiveCall = { media };
    this.#track(call, active);
    if (entry.kind === 'early-media') {
      call.progress(183, body);
      active.timer = setTimeout(() => {
        if (call.state === 'early') this.#confirm(call, active, body);
      }, EARLY_MEDIA_MS);
      return;
    }
    this.#confirm(call, active, body);
  }

  #confirm(
    call: IncomingCall,
    active: ActiveCall,
    body: { body: string; contentType: string },
  ): void {
    const session = call.accept(body);
    active.session = session;
    session.on('terminated', () => this.#release(active));
  }

  #track(call: IncomingCall, active: ActiveCall): void {
    this.#calls.add(active);
    call.on('cancel', () => this.#release(active));
  }

  #release(active: ActiveCall): void {
    if (!this.#calls.delete(active)) return;
    if (active.timer) clearTimeout(active.timer);
    active.media.close();
  }

  /** Calls in progress (answered, ringing or in early media). */
  get activeCalls(): number {
    return this.#calls.size;
  }

  async stop(): Promise<void> {
    for (const active of [...this.#calls]) this.#release(active);
    await Promise.allSettled(this.#registerers.map((r) => r.unregister()));
    await this.#ua.close(300);
  }
}
