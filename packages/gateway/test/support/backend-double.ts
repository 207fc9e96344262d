// TEST DOUBLE of the B2BUA boundary, for API-layer tests only. It speaks no SIP and moves no
// media: each test drives the events a real backend would emit and checks what call control
// and the APIs make of them.
import type {
  AccountEmit,
  CallBackend,
  IncomingSipCall,
  OutboundCallRequest,
  ServerMediaSource,
  SessionDescription,
  SipAccount,
  SipAccountBinding,
  SipLeg,
  SipLegEmit,
  TransferTarget,
  DtmfType,
  Failure,
} from '@callbridge/gateway';
import { BackendFailureError } from '@callbridge/gateway';

export type LegAction =
  | { op: 'answer'; media: SessionDescription | ServerMediaSource }
  | { op: 'reject'; sipStatus: number }
  | { op: 'hangup' }
  | { op: 'hold' }
  | { op: 'unhold' }
  | { op: 'transfer'; target: TransferTarget }
  | { op: 'dtmf'; digits: string; type: DtmfType }
  | { op: 'update'; description: SessionDescription };

export class LegDouble implements SipLeg {
  readonly actions: LegAction[] = [];
  ended = false;
  constructor(
    readonly emit: SipLegEmit,
    readonly request: OutboundCallRequest | null,
  ) {}

  answer(media: SessionDescription | ServerMediaSource): Promise<void> {
    this.actions.push({ op: 'answer', media });
    return Promise.resolve();
  }
  reject(sipStatus: number): Promise<void> {
    this.actions.push({ op: 'reject', sipStatus });
    this.end();
    return Promise.resolve();
  }
  hangup(): Promise<void> {
    this.actions.push({ op: 'hangup' });
    this.end();
    return Promise.resolve();
  }
  hold(): Promise<void> {
    this.actions.push({ op: 'hold' });
    return Promise.resolve();
  }
  unhold(): Promise<void> {
    this.actions.push({ op: 'unhold' });
    return Promise.resolve();
  }
  transfer(target: TransferTarget): Promise<void> {
    this.actions.push({ op: 'transfer', target });
    return Promise.resolve();
  }
  sendDtmf(digits: string, type: DtmfType): Promise<void> {
    this.actions.push({ op: 'dtmf', digits, type });
    return Promise.resolve();
  }
  updateBrowserDescription(description: SessionDescription): Promise<void> {
    this.actions.push({ op: 'update', description });
    return Promise.resolve();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('ended', { kind: 'finished', by: 'local' });
  }
}

export class AccountDouble implements SipAccountBinding {
  readonly legs: LegDouble[] = [];
  closed = false;
  constructor(
    readonly account: SipAccount,
    readonly emit: AccountEmit,
  ) {}

  placeCall(request: OutboundCallRequest, emit: SipLegEmit): SipLeg {
    const leg = new LegDouble(emit, request);
    this.legs.push(leg);
    return leg;
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** Delivers an INVITE for this account the way a backend would. */
  ring(init: Partial<Omit<IncomingSipCall, 'attach'>> = {}): LegDouble {
    let leg: LegDouble | undefined;
    this.emit('incomingCall', {
      caller: init.caller ?? 'carol',
      callee: init.callee ?? this.account.login,
      audio: init.audio ?? true,
      video: init.video ?? false,
      sipHeaders: init.sipHeaders ?? {},
      browserOffer: init.browserOffer ?? { type: 'offer', sdp: 'v=0\r\n' },
      attach: (emit) => {
        leg = new LegDouble(emit, null);
        this.legs.push(leg);
        return leg;
      },
    });
    if (!leg) throw new Error('call control did not attach the incoming call');
    return leg;
  }
}

export class BackendDouble implements CallBackend {
  readonly accounts: AccountDouble[] = [];
  /** When set, bindAccount fails with this failure. */
  failBind: Failure | null = null;
  shutDown = false;

  bindAccount(account: SipAccount, emit: AccountEmit): Promise<SipAccountBinding> {
    if (this.failBind) return Promise.reject(new BackendFailureError(this.failBind));
    const binding = new AccountDouble(account, emit);
    this.accounts.push(binding);
    return Promise.resolve(binding);
  }

  shutdown(): Promise<void> {
    this.shutDown = true;
    return Promise.resolve();
  }

  lastAccount(): AccountDouble {
    const a = this.accounts.at(-1);
    if (!a) throw new Error('no account bound');
    return a;
  }

  lastLeg(): LegDouble {
    const leg = this.accounts.flatMap((a) => a.legs).at(-1);
    if (!leg) throw new Error('no leg');
    return leg;
  }
}
