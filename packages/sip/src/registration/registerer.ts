// The registration client (RFC 3261 §10.2): REGISTER with one Call-ID and increasing CSeq,
// refresh before the granted expiry, 423 handling, retry with back-off after failures, and
// unregister on shutdown.
import type { TimerHandle } from '../clock.js';
import type { UserAgent } from '../dialog/core.js';
import {
  newCallId,
  newTag,
  parseUri,
  type NameAddr,
  type SipResponse,
  type Uri,
} from '../messages.js';
import { TypedEmitter } from '../transaction/emitter.js';
import { SipStateError } from '../transaction/machines.js';

export type RegistrationState =
  'unregistered' | 'registering' | 'registered' | 'unregistering' | 'failed';

const TRANSITIONS: Readonly<Record<RegistrationState, readonly RegistrationState[]>> = {
  unregistered: ['registering'],
  registering: ['registered', 'failed', 'unregistering', 'unregistered'],
  registered: ['registering', 'unregistering', 'failed'],
  unregistering: ['unregistered', 'failed'],
  failed: ['registering', 'unregistering', 'unregistered'],
};

export interface RegistererOptions {
  /** The address of record to register (default: the user agent's). */
  readonly aor?: string;
  /** Registrar URI (default: the AOR's domain, `sip:example.com`). */
  readonly registrar?: string;
  /** Expires we ask for, seconds. Default 600. */
  readonly expires?: number;
  /** First retry delay after a failure, ms (doubles up to `maxRetryMs`). Default 5 s. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  /** Extra headers on every REGISTER. */
  readonly headers?: readonly (readonly [string, string])[];
}

export interface RegistererEvents {
  state: [state: RegistrationState];
  /** Registered (or refreshed): the expiry the registrar granted, seconds. */
  registered: [expires: number, response: SipResponse];
  /** A REGISTER failed; a retry is scheduled in `retryInMs` unless stopped. */
  failed: [response: SipResponse, retryInMs: number];
}

export class Registerer extends TypedEmitter<RegistererEvents> {
  readonly #ua: UserAgent;
  readonly #registrar: Uri;
  readonly #aor: Uri;
  readonly #expires: number;
  readonly #retryMs: number;
  readonly #maxRetryMs: number;
  readonly #headers: readonly (readonly [string, string])[];
  readonly #callId = newCallId();
  readonly #fromTag = newTag();
  #cseq = 0;
  #state: RegistrationState = 'unregistered';
  #timer: TimerHandle | undefined;
  #failures = 0;
  #requested: number;
  #granted: number | undefined;
  #stopped = false;

  constructor(ua: UserAgent, options: RegistererOptions = {}) {
    super();
    this.#ua = ua;
    // Shutting the user agent down removes the binding (§10.2.2).
    ua.onClose(() =>
      this.#state === 'registered' || this.#state === 'registering'
        ? this.unregister()
        : Promise.resolve(this.stop()),
    );
    const aor = options.aor !== undefined ? parseUri(options.aor) : ua.aor.uri;
    this.#aor = aor;
    this.#registrar = parseUri(
      options.registrar ??
        `${aor.scheme === 'sips' ? 'sips' : 'sip'}:${'host' in aor ? aor.hostport : ''}`,
    );
    this.#expires = options.expires ?? 600;
    this.#requested = this.#expires;
    this.#retryMs = options.retryMs ?? 5000;
    this.#maxRetryMs = options.maxRetryMs ?? 300_000;
    this.#headers = options.headers ?? [];
  }

  get state(): RegistrationState {
    return this.#state;
  }

  /** The expiry the registrar granted last, seconds. */
  get expires(): number | undefined {
    return this.#granted;
  }

  #transition(to: RegistrationState): void {
    if (this.#state === to) return;
    if (!TRANSITIONS[this.#state].includes(to))
      throw new SipStateError('Registerer', this.#state, to);
    this.#state = to;
    this.emit('state', to);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#ua.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Registers now and keeps the registration refreshed until unregister(). */
  async register(): Promise<SipResponse> {
    this.#stopped = false;
    this.#clearTimer();
    this.#transition('registering');
    let response = await this.#send(this.#requested);
    // §10.3 step 7: 423 names the smallest expiry the registrar accepts.
    if (response.status === 423 && response.minExpires !== undefined) {
      this.#requested = response.minExpires;
      response = await this.#send(this.#requested);
    }
    if (this.#stopped) return response;
    if (response.status >= 200 && response.status < 300) {
      const granted = this.#grantedExpires(response);
      this.#granted = granted;
      this.#failures = 0;
      this.#transition('registered');
      this.emit('registered', granted, response);
      // Refresh ahead of expiry: 30 s early for long registrations, halfway for short ones.
      const refreshIn = (granted > 60 ? granted - 30 : granted / 2) * 1000;
      this.#timer = this.#ua.clock.setTimeout(() => void this.register(), refreshIn);
    } else {
      this.#transition('failed');
      const retryIn = Math.min(this.#maxRetryMs, this.#retryMs * 2 ** this.#failures++);
      this.emit('failed', response, retryIn);
      this.#timer = this.#ua.clock.setTimeout(() => void this.register(), retryIn);
    }
    return response;
  }

  /** Removes our binding (Expires: 0) and stops refreshing. */
  async unregister(): Promise<SipResponse | undefined> {
    this.#stopped = true;
    this.#clearTimer();
    if (this.#state === 'unregistered') return undefined;
    this.#transition('unregistering');
    const response = await this.#send(0);
    this.#granted = undefined;
    this.#transition(response.status < 300 ? 'unregistered' : 'failed');
    return response;
  }

  /** Stops refreshing without unregistering. */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
  }

  async #send(expires: number): Promise<SipResponse> {
    const aor = `<${this.#aor.toString()}>`;
    const response = await this.#ua.request('REGISTER', this.#registrar, {
      from: aor,
      to: aor,
      fromTag: this.#fromTag,
      callId: this.#callId,
      cseq: ++this.#cseq,
      headers: [['Expires', String(expires)], ...this.#headers],
    });
    // Challenged REGISTERs were re-sent with higher CSeqs: continue after the last one.
    const used = response.cseq?.seq;
    if (used !== undefined && used > this.#cseq) this.#cseq = used;
    return response;
  }

  /** §10.2.4: the expiry of our binding in the 2xx, else its Expires header, else what we asked. */
  #grantedExpires(response: SipResponse): number {
    let contacts: readonly NameAddr[];
    try {
      contacts = response.contacts;
    } catch {
      contacts = [];
    }
    const ours = this.#ourContacts();
    const mine = contacts.find((c) => ours.has(c.uri.toString().toLowerCase()));
    const value = mine?.expires ?? response.expires ?? this.#requested;
    return Number.isFinite(value) && value > 0 ? value : this.#requested;
  }

  #ourContacts(): Set<string> {
    const out = new Set<string>();
    for (const t of this.#ua.transports.transports) {
      out.add(this.#ua.contactFor(t.protocol).slice(1, -1).toLowerCase());
    }
    return out;
  }
}
