// An ICE-lite agent (RFC 8445 §2.5, §7.3 for lite implementations): it never sends checks, it
// answers the browser's connectivity checks, takes the pair the controlling browser nominates,
// and watches consent freshness (RFC 7675) on that pair.
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { WebRtcError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import { StunAttr, StunMethod } from '../stun/constants.js';
import type { StunMessage } from '../stun/message.js';
import {
  StunWriter,
  shortTermKey,
  stunMessageType,
  type TransportAddress,
} from '../stun/message.js';

/** Comprehension-required attributes this agent understands (RFC 8489 §18.3.1, RFC 8445 §16.1). */
const COMPREHENDED = new Set<number>([
  StunAttr.MappedAddress,
  StunAttr.Username,
  StunAttr.MessageIntegrity,
  StunAttr.ErrorCode,
  StunAttr.UnknownAttributes,
  StunAttr.Realm,
  StunAttr.Nonce,
  StunAttr.MessageIntegritySha256,
  StunAttr.PasswordAlgorithm,
  StunAttr.Userhash,
  StunAttr.XorMappedAddress,
  StunAttr.Priority,
  StunAttr.UseCandidate,
]);

export type IceState = 'new' | 'checking' | 'connected' | 'expired' | 'closed';

const TRANSITIONS: Record<IceState, readonly IceState[]> = {
  new: ['checking', 'closed'],
  checking: ['connected', 'closed'],
  connected: ['expired', 'closed'],
  expired: ['checking', 'closed'],
  closed: [],
};

export interface IceParameters {
  readonly usernameFragment: string;
  readonly password: string;
}

/** Where a packet came from. */
export interface RemoteAddress extends TransportAddress {
  readonly transport?: 'udp' | 'tcp';
  /** The local address and port the packet arrived on, when the mux listens on several. */
  readonly localAddress?: string;
  readonly localPort?: number;
}

export interface IceAgentCounters {
  /** Requests dropped because MESSAGE-INTEGRITY did not verify (RFC 8489 §9.1.3). */
  badIntegrity: number;
  /** Requests dropped because FINGERPRINT was missing or wrong (RFC 8445 §7.2.2). */
  badFingerprint: number;
  /** Requests whose USERNAME does not name this session. */
  unknownUsername: number;
  /** 487 responses sent (RFC 8445 §7.3.1.1). */
  roleConflicts: number;
  /** 420 responses sent for unknown comprehension-required attributes (RFC 8489 §6.3.1). */
  unknownAttributes: number;
  /** Binding success responses sent. */
  responses: number;
}

export interface IceAgentEvents {
  /** A request with valid credentials arrived from this address (it may now carry media). */
  validated: (from: RemoteAddress) => void;
  /** The controlling peer nominated this address (USE-CANDIDATE). */
  selected: (address: RemoteAddress) => void;
  /** No valid check on the selected pair for the consent timeout (RFC 7675 §5.1). */
  'consent-expired': () => void;
  /** After an ICE restart, the peer used the new credentials: the old ufrag is no longer valid. */
  'credentials-retired': (usernameFragment: string) => void;
  statechange: (state: IceState) => void;
}

export interface IceLiteAgentOptions {
  readonly local?: IceParameters;
  readonly remote?: IceParameters;
  readonly clock?: Clock;
  /** RFC 7675 §5.1: consent expires 30 s after the last successful check. */
  readonly consentTimeoutMs?: number;
  readonly software?: string;
}

/** RFC 8445 §5.3: ufrag ≥ 24 bits and password ≥ 128 bits of randomness, ice-chars only. */
export function generateIceParameters(): IceParameters {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const pick = (n: number): string => Array.from(randomBytes(n), (b) => chars[b & 63]).join('');
  return { usernameFragment: pick(8), password: pick(24) };
}

/** A map key for a remote transport address (UDP and TCP with the same address differ). */
export const addressKey = (a: RemoteAddress): string =>
  `${a.transport ?? 'udp'}|${a.address}|${a.port}`;

export class IceLiteAgent extends TypedEmitter<IceAgentEvents> {
  readonly counters: IceAgentCounters = {
    badIntegrity: 0,
    badFingerprint: 0,
    unknownUsername: 0,
    roleConflicts: 0,
    unknownAttributes: 0,
    responses: 0,
  };
  #state: IceState = 'new';
  #local: IceParameters;
  #localKey: Uint8Array;
  /** Credentials from before an ICE restart, valid until the peer uses the new ones. */
  #previous: { params: IceParameters; key: Uint8Array } | undefined;
  #remote: IceParameters | undefined;
  #selected: RemoteAddress | undefined;
  #lastValidated: RemoteAddress | undefined;
  #lastConsentAt = 0;
  #consentTimer: TimerHandle | undefined;
  readonly #clock: Clock;
  readonly #consentTimeoutMs: number;
  readonly #software: string | undefined;
  readonly #responseBuffer = new Uint8Array(548);

  constructor(options: IceLiteAgentOptions = {}) {
    super();
    this.#local = options.local ?? generateIceParameters();
    this.#localKey = shortTermKey(this.#local.password);
    this.#remote = options.remote;
    this.#clock = options.clock ?? systemClock;
    this.#consentTimeoutMs = options.consentTimeoutMs ?? 30_000;
    this.#software = options.software;
  }

  get state(): IceState {
    return this.#state;
  }
  get localParameters(): IceParameters {
    return this.#local;
  }
  get remoteParameters(): IceParameters | undefined {
    return this.#remote;
  }
  /** The nominated remote address, where media goes. */
  get selectedAddress(): RemoteAddress | undefined {
    return this.#selected;
  }
  /** The nominated address, or else the last one that passed a check (for DTLS before nomination). */
  get bestAddress(): RemoteAddress | undefined {
    return this.#selected ?? this.#lastValidated;
  }
  /** The ufrags this agent answers to (current, and the previous one during a restart). */
  get usernameFragments(): string[] {
    return this.#previous
      ? [this.#local.usernameFragment, this.#previous.params.usernameFragment]
      : [this.#local.usernameFragment];
  }

  #transition(next: IceState): void {
    if (next === this.#state) return;
    if (!TRANSITIONS[this.#state].includes(next)) {
      throw new WebRtcError(
        'INVALID_STATE_TRANSITION',
        `ICE cannot move from ${this.#state} to ${next}`,
      );
    }
    this.#state = next;
    this.emit('statechange', next);
  }

  setRemoteParameters(remote: IceParameters): void {
    this.#remote = remote;
  }

  /**
   * RFC 8445 §9: new local credentials; set the peer's new ones afterwards with
   * setRemoteParameters (until then any remote ufrag is accepted with the new password). The
   * old ones keep working until the peer's first check with the new ones, so media keeps
   * flowing across the restart.
   */
  restart(local: IceParameters = generateIceParameters()): IceParameters {
    if (this.#state === 'closed')
      throw new WebRtcError('INVALID_STATE_TRANSITION', 'ICE agent is closed');
    this.#previous = { params: this.#local, key: this.#localKey };
    this.#local = local;
    this.#localKey = shortTermKey(local.password);
    this.#remote = undefined;
    if (this.#state === 'expired') this.#transition('checking');
    return local;
  }

  close(): void {
    this.#stopConsentTimer();
    this.#transition('closed');
  }

  /**
   * Handles a STUN message from `from`. Returns the response to send back (a view into a
   * buffer reused by the next call), or undefined when the message is dropped. A binding
   * request passes only with a valid FINGERPRINT and MESSAGE-INTEGRITY for our password.
   */
  handleStun(message: StunMessage, from: RemoteAddress): Uint8Array | undefined {
    if (this.#state === 'closed') return undefined;
    if (message.method !== StunMethod.Binding) return undefined;
    // RFC 7675 / RFC 8445 §11: indications are keepalives; nothing to answer.
    if (message.messageClass !== 'request') return undefined;
    if (!message.verifyFingerprint()) {
      this.counters.badFingerprint++;
      return undefined;
    }
    const username = message.username;
    const colon = username?.indexOf(':') ?? -1;
    if (username === undefined || colon < 0) {
      this.counters.unknownUsername++;
      return undefined;
    }
    const localUfrag = username.slice(0, colon);
    const remoteUfrag = username.slice(colon + 1);
    let key: Uint8Array;
    let usesNewCredentials = true;
    if (localUfrag === this.#local.usernameFragment) {
      key = this.#localKey;
    } else if (this.#previous && localUfrag === this.#previous.params.usernameFragment) {
      key = this.#previous.key;
      usesNewCredentials = false;
    } else {
      this.counters.unknownUsername++;
      return undefined;
    }
    if (usesNewCredentials && this.#remote && remoteUfrag !== this.#remote.usernameFragment) {
      this.counters.unknownUsername++;
      return undefined;
    }
    if (!message.verifyIntegrity(key)) {
      this.counters.badIntegrity++;
      return undefined;
    }
    if (usesNewCredentials && this.#previous) {
      const retired = this.#previous.params.usernameFragment;
      this.#previous = undefined;
      this.emit('credentials-retired', retired);
    }

    // RFC 8489 §6.3.1: comprehension-required attributes (below 0x8000) we do not know get 420.
    const unknown = message.attributeTypes.filter((t) => t < 0x8000 && !COMPREHENDED.has(t));
    if (unknown.length > 0) {
      this.counters.unknownAttributes++;
      const list = new Uint8Array(unknown.length * 2);
      unknown.forEach((t, i) => {
        list[2 * i] = t >> 8;
        list[2 * i + 1] = t & 0xff;
      });
      return new StunWriter(stunMessageType(StunMethod.Binding, 'error'), message.transactionId, {
        buffer: this.#responseBuffer,
      })
        .addErrorCode(420, 'Unknown Attribute')
        .add(StunAttr.UnknownAttributes, list)
        .addMessageIntegrity(key)
        .addFingerprint()
        .finish();
    }

    // RFC 8445 §7.3.1.1: a lite agent is always controlled; a peer claiming the controlled
    // role too must switch, which the 487 tells it.
    if (message.iceControlled !== undefined) {
      this.counters.roleConflicts++;
      return new StunWriter(stunMessageType(StunMethod.Binding, 'error'), message.transactionId, {
        buffer: this.#responseBuffer,
      })
        .addErrorCode(487, 'Role Conflict')
        .addMessageIntegrity(key)
        .addFingerprint()
        .finish();
    }

    this.#lastValidated = from;
    if (this.#state === 'new' || this.#state === 'expired') this.#transition('checking');
    this.emit('validated', from);
    const isSelected =
      this.#selected !== undefined && addressKey(this.#selected) === addressKey(from);
    if (message.useCandidate) {
      // RFC 8445 §7.3.1.5 / §8.2 for lite agents: the nominated pair becomes selected.
      this.#lastConsentAt = this.#clock.now();
      if (!isSelected || this.#state !== 'connected') {
        this.#selected = from;
        this.#transition('connected');
        this.emit('selected', from);
      }
      this.#armConsentTimer();
    } else if (isSelected && this.#state === 'connected') {
      // RFC 7675 §5.1: every answered check on the selected pair renews consent.
      this.#lastConsentAt = this.#clock.now();
    }

    this.counters.responses++;
    const writer = new StunWriter(
      stunMessageType(StunMethod.Binding, 'success'),
      message.transactionId,
      {
        buffer: this.#responseBuffer,
      },
    ).addXorMappedAddress(from);
    if (this.#software) writer.addText(StunAttr.Software, this.#software);
    return writer.addMessageIntegrity(key).addFingerprint().finish();
  }

  #armConsentTimer(): void {
    if (this.#consentTimer !== undefined) return;
    const due = this.#lastConsentAt + this.#consentTimeoutMs - this.#clock.now();
    this.#consentTimer = this.#clock.setTimeout(
      () => {
        this.#consentTimer = undefined;
        if (this.#state !== 'connected') return;
        if (this.#clock.now() - this.#lastConsentAt >= this.#consentTimeoutMs) {
          this.#transition('expired');
          this.emit('consent-expired');
        } else {
          this.#armConsentTimer();
        }
      },
      Math.max(0, due),
    );
  }

  #stopConsentTimer(): void {
    if (this.#consentTimer !== undefined) {
      this.#clock.clearTimeout(this.#consentTimer);
      this.#consentTimer = undefined;
    }
  }
}
