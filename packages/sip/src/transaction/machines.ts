// The four transaction state machines of RFC 3261 §17, with the RFC 6026 corrections
// (the INVITE client and server "Accepted" states and Timers L and M).
//
// The machines know nothing about message syntax: the transaction layer hands them status codes
// and opaque messages, and they call back into a host to (re)send, to pass responses up, and to
// report timeouts and transport errors. That keeps the timer logic testable on its own.
import type { Clock, TimerHandle } from '../clock.js';
import { SipError } from '../errors.js';
import type { TimerName, TransactionTimers } from './timers.js';

export type InviteClientState = 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';
export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';
export type InviteServerState =
  'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';
export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

/** Why a transaction ended without a final response from the peer (or without its ACK). */
export type TransactionFailure = 'timeout' | 'transport-error';

/** Thrown when code asks a state machine for a move RFC 3261 does not allow. */
export class SipStateError extends SipError {
  constructor(machine: string, from: string, to: string) {
    super('INVALID_STATE_TRANSITION', `${machine}: no transition from "${from}" to "${to}"`);
    this.name = 'SipStateError';
  }
}

type TransitionTable<S extends string> = Readonly<Record<S, readonly S[]>>;

abstract class StateMachine<S extends string> {
  #state: S;
  readonly #table: TransitionTable<S>;
  /** Running timers as name, handle pairs (at most a few; cheaper than a Map per transaction). */
  #timers: (TimerName | TimerHandle)[] | undefined;
  protected readonly clock: Clock;
  protected readonly timers: TransactionTimers;
  /** Whether the transport is reliable (TCP, TLS, WS): no retransmissions, zero wait timers. */
  readonly reliable: boolean;

  protected constructor(
    initial: S,
    table: TransitionTable<S>,
    clock: Clock,
    timers: TransactionTimers,
    reliable: boolean,
  ) {
    this.#state = initial;
    this.#table = table;
    this.clock = clock;
    this.timers = timers;
    this.reliable = reliable;
  }

  get state(): S {
    return this.#state;
  }

  /** The single place where the state changes; refuses moves the RFC does not define. */
  protected transition(to: S): void {
    const from = this.#state;
    if (!this.#table[from].includes(to)) throw new SipStateError(this.constructor.name, from, to);
    this.#state = to;
    if (to === 'terminated') {
      const timers = this.#timers;
      if (timers !== undefined) {
        this.#timers = undefined;
        for (let i = 1; i < timers.length; i += 2)
          this.clock.clearTimeout(timers[i] as TimerHandle);
      }
      this.onTerminated();
    }
  }

  protected startTimer(name: TimerName, ms: number, fire: () => void): void {
    this.stopTimer(name);
    const handle = this.clock.setTimeout(() => {
      this.#forget(name);
      fire();
    }, ms);
    (this.#timers ??= []).push(name, handle);
  }

  protected stopTimer(name: TimerName): void {
    const handle = this.#forget(name);
    if (handle !== undefined) this.clock.clearTimeout(handle);
  }

  /** Drops `name` from the running timers; returns its handle. */
  #forget(name: TimerName): TimerHandle | undefined {
    const timers = this.#timers;
    if (timers === undefined) return undefined;
    for (let i = 0; i < timers.length; i += 2) {
      if (timers[i] === name) {
        const handle = timers[i + 1] as TimerHandle;
        timers.splice(i, 2);
        return handle;
      }
    }
    return undefined;
  }

  /** Timers currently running (for tests and diagnostics). */
  get runningTimers(): TimerName[] {
    const timers = this.#timers ?? [];
    return timers.filter((_, i) => i % 2 === 0) as TimerName[];
  }

  protected abstract onTerminated(): void;
}

/** What every transaction machine needs from the layer that owns it. */
export interface TransactionHost {
  fail(reason: TransactionFailure, error?: unknown): void;
  terminated(): void;
}

/**
 * The part the four transaction machines share: they end on a transport error while still
 * waiting on the peer or the TU (§17.1.4, §17.2.4), can be ended at once by their owner, and
 * tell the host when they failed and when they are gone.
 */
abstract class Transaction<S extends string, Host extends TransactionHost> extends StateMachine<
  S | 'terminated'
> {
  protected readonly host: Host;
  /** States in which a transport error ends the transaction as failed. */
  readonly #failsOnTransportError: readonly (S | 'terminated')[];

  protected constructor(
    host: Host,
    initial: S,
    table: TransitionTable<S | 'terminated'>,
    failsOnTransportError: readonly (S | 'terminated')[],
    clock: Clock,
    timers: TransactionTimers,
    reliable: boolean,
  ) {
    super(initial, table, clock, timers, reliable);
    this.host = host;
    this.#failsOnTransportError = failsOnTransportError;
  }

  /** §8.1.3.1 / §17.1.4 / §17.2.4: the transport could not send a message of this transaction. */
  transportError(error?: unknown): void {
    if (this.#failsOnTransportError.includes(this.state)) this.fail('transport-error', error);
  }

  /** Ends the transaction at once (e.g. when the owner shuts down). */
  terminate(): void {
    if (this.state !== 'terminated') this.transition('terminated');
  }

  protected fail(reason: TransactionFailure, error?: unknown): void {
    this.transition('terminated');
    this.host.fail(reason, error);
  }

  protected onTerminated(): void {
    this.host.terminated();
  }
}

/** What a client transaction needs from the layer that owns it. */
export interface ClientTransactionHost<Response> extends TransactionHost {
  /** Sends (or re-sends) the request. */
  transmit(): void;
  /** INVITE only: sends the ACK for a 300–699 response (§17.1.1.3), again for retransmissions. */
  sendAck(response: Response): void;
  /** Passes a response up to the transaction user. */
  deliver(response: Response): void;
}

const INVITE_CLIENT: TransitionTable<InviteClientState> = {
  calling: ['proceeding', 'completed', 'accepted', 'terminated'],
  proceeding: ['completed', 'accepted', 'terminated'],
  completed: ['terminated'],
  accepted: ['terminated'],
  terminated: [],
};

/** RFC 3261 §17.1.1 (Figure 5) with RFC 6026 §7.2 (Accepted state, Timer M). */
export class InviteClientTransaction<Response> extends Transaction<
  InviteClientState,
  ClientTransactionHost<Response>
> {
  #intervalA: number;

  constructor(
    host: ClientTransactionHost<Response>,
    clock: Clock,
    timers: TransactionTimers,
    reliable: boolean,
  ) {
    super(host, 'calling', INVITE_CLIENT, ['calling', 'proceeding'], clock, timers, reliable);
    this.#intervalA = timers.t1;
  }

  /** Sends the INVITE and starts Timers A and B. */
  start(): void {
    this.host.transmit();
    if (!this.reliable) this.startTimer('A', this.#intervalA, () => this.#timerA());
    this.startTimer('B', 64 * this.timers.t1, () => this.fail('timeout'));
  }

  #timerA(): void {
    // §17.1.1.2: retransmit and double the interval; no T2 cap for INVITE.
    this.host.transmit();
    this.#intervalA *= 2;
    this.startTimer('A', this.#intervalA, () => this.#timerA());
  }

  receiveResponse(status: number, response: Response): void {
    switch (this.state) {
      case 'calling':
      case 'proceeding':
        if (status < 200) {
          if (this.state === 'calling') this.transition('proceeding');
          this.stopTimer('A');
          this.host.deliver(response);
        } else if (status < 300) {
          // RFC 6026 §7.2: stay around to pass retransmitted and forked 2xx to the TU.
          this.transition('accepted');
          this.stopTimer('A');
          this.stopTimer('B');
          this.startTimer('M', 64 * this.timers.t1, () => this.transition('terminated'));
          this.host.deliver(response);
        } else {
          this.transition('completed');
          this.stopTimer('A');
          this.stopTimer('B');
          this.host.sendAck(response);
          this.host.deliver(response);
          this.startTimer('D', this.reliable ? 0 : 32_000, () => this.transition('terminated'));
        }
        break;
      case 'completed':
        // Retransmitted final responses get the ACK again and are not passed up.
        if (status >= 300) this.host.sendAck(response);
        break;
      case 'accepted':
        if (status >= 200 && status < 300) this.host.deliver(response);
        break;
      case 'terminated':
        break;
    }
  }
}

const NON_INVITE_CLIENT: TransitionTable<NonInviteClientState> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

/** RFC 3261 §17.1.2 (Figure 6). */
export class NonInviteClientTransaction<Response> extends Transaction<
  NonInviteClientState,
  ClientTransactionHost<Response>
> {
  #intervalE: number;

  constructor(
    host: ClientTransactionHost<Response>,
    clock: Clock,
    timers: TransactionTimers,
    reliable: boolean,
  ) {
    super(host, 'trying', NON_INVITE_CLIENT, ['trying', 'proceeding'], clock, timers, reliable);
    this.#intervalE = timers.t1;
  }

  start(): void {
    this.host.transmit();
    if (!this.reliable) this.startTimer('E', this.#intervalE, () => this.#timerE());
    this.startTimer('F', 64 * this.timers.t1, () => this.fail('timeout'));
  }

  #timerE(): void {
    this.host.transmit();
    // §17.1.2.2: doubling up to T2 while trying; T2 once a provisional response arrived.
    this.#intervalE =
      this.state === 'proceeding' ? this.timers.t2 : Math.min(2 * this.#intervalE, this.timers.t2);
    this.startTimer('E', this.#intervalE, () => this.#timerE());
  }

  receiveResponse(status: number, response: Response): void {
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        if (status < 200) {
          if (this.state === 'trying') this.transition('proceeding');
          this.host.deliver(response);
        } else {
          this.transition('completed');
          this.stopTimer('E');
          this.stopTimer('F');
          this.host.deliver(response);
          this.startTimer('K', this.reliable ? 0 : this.timers.t4, () =>
            this.transition('terminated'),
          );
        }
        break;
      case 'completed':
      case 'terminated':
        // Retransmissions of the final response are absorbed.
        break;
    }
  }
}

/** What a server transaction needs from the layer that owns it. */
export interface ServerTransactionHost<Response> extends TransactionHost {
  /** Sends (or re-sends) a response. */
  transmit(response: Response): void;
  /** INVITE only: sends 100 Trying when the TU has not answered within 200 ms (§17.2.1). */
  sendTrying(): void;
  /** INVITE only: an ACK arrived in the Accepted state (RFC 6026 §7.1); goes to the TU. */
  deliverAck(ack: unknown): void;
}

const INVITE_SERVER: TransitionTable<InviteServerState> = {
  proceeding: ['completed', 'accepted', 'terminated'],
  completed: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  accepted: ['terminated'],
  terminated: [],
};

/** RFC 3261 §17.2.1 (Figure 7) with RFC 6026 §7.1 (Accepted state, Timer L). */
export class InviteServerTransaction<Response> extends Transaction<
  InviteServerState,
  ServerTransactionHost<Response>
> {
  #lastResponse: Response | undefined;
  #intervalG: number;

  constructor(
    host: ServerTransactionHost<Response>,
    clock: Clock,
    timers: TransactionTimers,
    reliable: boolean,
    /** How long to wait for the TU before sending 100 Trying itself. */
    tryingDelayMs = 200,
  ) {
    super(
      host,
      'proceeding',
      INVITE_SERVER,
      ['proceeding', 'completed', 'accepted'],
      clock,
      timers,
      reliable,
    );
    this.#intervalG = timers.t1;
    this.startTimer('Trying', tryingDelayMs, () => {
      if (this.#lastResponse === undefined) this.host.sendTrying();
    });
  }

  /** The TU sends a response (1xx–6xx) through the transaction. */
  respond(status: number, response: Response): void {
    this.stopTimer('Trying');
    switch (this.state) {
      case 'proceeding':
        this.#lastResponse = response;
        if (status < 200) {
          this.host.transmit(response);
        } else if (status < 300) {
          this.transition('accepted');
          this.host.transmit(response);
          this.startTimer('L', 64 * this.timers.t1, () => this.transition('terminated'));
        } else {
          this.transition('completed');
          this.host.transmit(response);
          if (!this.reliable) this.startTimer('G', this.#intervalG, () => this.#timerG());
          this.startTimer('H', 64 * this.timers.t1, () => this.fail('timeout'));
        }
        break;
      case 'accepted':
        // RFC 6026 §7.1: the TU retransmits its 2xx through the transaction.
        if (status >= 200 && status < 300) this.host.transmit(response);
        break;
      default:
        throw new SipStateError('InviteServerTransaction', this.state, `respond ${status}`);
    }
  }

  #timerG(): void {
    if (this.#lastResponse !== undefined) this.host.transmit(this.#lastResponse);
    this.#intervalG = Math.min(2 * this.#intervalG, this.timers.t2);
    this.startTimer('G', this.#intervalG, () => this.#timerG());
  }

  /** A retransmission of the INVITE arrived. */
  receiveRequestRetransmission(): void {
    if (
      (this.state === 'proceeding' || this.state === 'completed') &&
      this.#lastResponse !== undefined
    ) {
      this.host.transmit(this.#lastResponse);
    }
  }

  /** An ACK matched this transaction. */
  receiveAck(ack: unknown): void {
    if (this.state === 'completed') {
      this.transition('confirmed');
      this.stopTimer('G');
      this.stopTimer('H');
      this.startTimer('I', this.reliable ? 0 : this.timers.t4, () => this.transition('terminated'));
    } else if (this.state === 'accepted') {
      this.host.deliverAck(ack);
    }
  }
}

const NON_INVITE_SERVER: TransitionTable<NonInviteServerState> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

/** RFC 3261 §17.2.2 (Figure 8). */
export class NonInviteServerTransaction<Response> extends Transaction<
  NonInviteServerState,
  ServerTransactionHost<Response>
> {
  #lastResponse: Response | undefined;

  constructor(
    host: ServerTransactionHost<Response>,
    clock: Clock,
    timers: TransactionTimers,
    reliable: boolean,
  ) {
    super(
      host,
      'trying',
      NON_INVITE_SERVER,
      ['trying', 'proceeding', 'completed'],
      clock,
      timers,
      reliable,
    );
  }

  respond(status: number, response: Response): void {
    if (this.state === 'completed' || this.state === 'terminated')
      throw new SipStateError('NonInviteServerTransaction', this.state, `respond ${status}`);
    this.#lastResponse = response;
    if (status < 200) {
      if (this.state === 'trying') this.transition('proceeding');
      this.host.transmit(response);
    } else {
      this.transition('completed');
      this.host.transmit(response);
      this.startTimer('J', this.reliable ? 0 : 64 * this.timers.t1, () =>
        this.transition('terminated'),
      );
    }
  }

  /** §17.2.2: retransmissions in Trying are discarded, later ones get the last response. */
  receiveRequestRetransmission(): void {
    if (
      (this.state === 'proceeding' || this.state === 'completed') &&
      this.#lastResponse !== undefined
    ) {
      this.host.transmit(this.#lastResponse);
    }
  }
}
