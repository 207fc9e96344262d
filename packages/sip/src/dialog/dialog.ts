// Dialogs (RFC 3261 §12): the peer-to-peer state that in-dialog requests are built from.
import {
  NameAddr,
  Params,
  SipError,
  SipUri,
  createRequest,
  type HeaderValue,
  type SipRequest,
  type SipResponse,
  type Uri,
} from '../messages.js';
import { SipStateError } from '../transaction/machines.js';
import type { Flow } from '../transport/types.js';

export type DialogState = 'early' | 'confirmed' | 'terminated';

export interface DialogId {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
}

export function dialogKey(id: DialogId): string {
  return `${id.callId}\n${id.localTag}\n${id.remoteTag}`;
}

const TRANSITIONS: Readonly<Record<DialogState, readonly DialogState[]>> = {
  early: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  terminated: [],
};

export interface InDialogRequestOptions {
  readonly headers?: readonly (readonly [string, HeaderValue])[];
  readonly body?: Uint8Array | string;
  readonly contentType?: string;
  /** Use this CSeq number instead of the next one (ACK and CANCEL reuse the INVITE's, §13.2.2.4). */
  readonly cseq?: number;
}

/** Thrown when a message cannot establish a dialog (no tags, no Contact, ...). */
export class SipDialogError extends SipError {
  constructor(message: string) {
    super('INVALID_DIALOG', message);
    this.name = 'SipDialogError';
  }
}

export class Dialog {
  readonly id: DialogId;
  readonly role: 'uac' | 'uas';
  #state: DialogState;
  /** Local CSeq: the number of the last request we sent in this dialog (§12.2.1.1). */
  localSeq: number;
  /** The remote CSeq seen last; undefined until the peer sends a request (§12.2.2). */
  remoteSeq: number | undefined;
  readonly localUri: NameAddr;
  readonly remoteUri: NameAddr;
  /** The remote Contact, updated by target refresh requests (§12.2). */
  remoteTarget: Uri;
  /** Fixed once the dialog exists (§12.1.1, §12.1.2); an early dialog takes it from 2xx. */
  routeSet: readonly NameAddr[];
  readonly secure: boolean;
  /** The flow the peer last reached us on (reused for requests to it over connections). */
  flow: Flow | undefined;

  private constructor(init: {
    id: DialogId;
    role: 'uac' | 'uas';
    state: DialogState;
    localSeq: number;
    remoteSeq: number | undefined;
    localUri: NameAddr;
    remoteUri: NameAddr;
    remoteTarget: Uri;
    routeSet: readonly NameAddr[];
    secure: boolean;
    flow: Flow | undefined;
  }) {
    this.id = init.id;
    this.role = init.role;
    this.#state = init.state;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.secure = init.secure;
    this.flow = init.flow;
  }

  /** §12.1.2: the UAC side, from the request it sent and a 1xx (with To tag) or 2xx. */
  static uac(request: SipRequest, response: SipResponse, flow?: Flow): Dialog {
    const remoteTag = response.to?.tag;
    const localTag = request.from?.tag;
    const callId = request.callId;
    if (remoteTag === undefined || localTag === undefined || callId === undefined)
      throw new SipDialogError('a dialog needs Call-ID and tags on both sides');
    const contact = firstContact(response);
    return new Dialog({
      id: { callId, localTag, remoteTag },
      role: 'uac',
      state: response.status >= 200 ? 'confirmed' : 'early',
      localSeq: request.cseq?.seq ?? 1,
      remoteSeq: undefined,
      localUri: request.from!,
      remoteUri: response.to!,
      remoteTarget: contact ?? request.uri,
      // The UAC reverses the Record-Route of the response.
      routeSet: [...response.recordRoute].reverse(),
      secure: request.uri instanceof SipUri && request.uri.scheme === 'sips',
      flow,
    });
  }

  /** §12.1.1: the UAS side, from the request it answers and the To tag it chose. */
  static uas(request: SipRequest, localTag: string, state: DialogState, flow?: Flow): Dialog {
    // §12.1.1: a From without tag (an RFC 2543 peer) makes the remote tag null.
    const remoteTag = request.from?.tag ?? '';
    const callId = request.callId;
    if (callId === undefined || request.from === undefined || request.to === undefined)
      throw new SipDialogError('a dialog needs Call-ID, From and To');
    const contact = firstContact(request);
    if (contact === undefined)
      throw new SipDialogError('a dialog-creating request needs a Contact');
    return new Dialog({
      id: { callId, localTag, remoteTag },
      role: 'uas',
      state,
      localSeq: 0,
      remoteSeq: request.cseq?.seq,
      localUri: request.to.withTag(localTag),
      remoteUri: request.from,
      remoteTarget: contact,
      routeSet: [...request.recordRoute],
      secure: request.uri instanceof SipUri && request.uri.scheme === 'sips',
      flow,
    });
  }

  get state(): DialogState {
    return this.#state;
  }

  get key(): string {
    return dialogKey(this.id);
  }

  transition(to: DialogState): void {
    if (this.#state === to) return;
    if (!TRANSITIONS[this.#state].includes(to)) throw new SipStateError('Dialog', this.#state, to);
    this.#state = to;
  }

  /**
   * An early dialog becomes confirmed with a 2xx, which may carry a different Contact and
   * (for the UAC) the route set of the 2xx (§12.1.2, §13.2.2.4).
   */
  confirm(response?: SipResponse): void {
    if (response && this.role === 'uac') {
      this.routeSet = [...response.recordRoute].reverse();
      const contact = firstContact(response);
      if (contact) this.remoteTarget = contact;
    }
    this.transition('confirmed');
  }

  /** §12.2: a target refresh request or its response replaces the remote target. */
  refreshTarget(message: SipRequest | SipResponse): void {
    const contact = firstContact(message);
    if (contact) this.remoteTarget = contact;
  }

  /**
   * §12.2.2: a request with a lower CSeq than the last one is out of order (answer 500).
   * Returns whether the request is acceptable, and records its CSeq.
   */
  receiveRequest(request: SipRequest, flow?: Flow): boolean {
    const seq = request.cseq?.seq;
    if (seq === undefined) return false;
    if (request.method !== 'ACK' && request.method !== 'CANCEL') {
      if (this.remoteSeq !== undefined && seq <= this.remoteSeq) return false;
      this.remoteSeq = seq;
    }
    if (flow) this.flow = flow;
    return true;
  }

  /** The Request-URI and Route headers for the next request (§12.2.1.1, loose and strict routing). */
  routing(): { uri: Uri; routes: NameAddr[] } {
    const first = this.routeSet[0];
    if (first === undefined) return { uri: this.remoteTarget, routes: [] };
    if (first.uri instanceof SipUri && first.uri.params.has('lr'))
      return { uri: this.remoteTarget, routes: [...this.routeSet] };
    // Strict routing (RFC 2543 proxies): the first route becomes the Request-URI.
    const strictUri =
      first.uri instanceof SipUri ? first.uri.with({ headers: new Params() }) : first.uri;
    return {
      uri: strictUri,
      routes: [...this.routeSet.slice(1), new NameAddr(this.remoteTarget)],
    };
  }

  /** The URI of the next hop: the first Route, else the Request-URI (§8.1.2). */
  nextHop(): Uri {
    const { uri, routes } = this.routing();
    return routes[0]?.uri ?? uri;
  }

  /**
   * Builds an in-dialog request (§12.2.1.1): Request-URI and Route from the route set, To and
   * From with the tags, the Call-ID, and the next local CSeq (unless one is given).
   */
  createRequest(method: string, options: InDialogRequestOptions = {}): SipRequest {
    if (this.#state === 'terminated') throw new SipStateError('Dialog', this.#state, method);
    const seq = options.cseq ?? ++this.localSeq;
    const { uri, routes } = this.routing();
    const headers: (readonly [string, HeaderValue])[] = [
      ...routes.map((r): [string, HeaderValue] => ['Route', r]),
      ['Max-Forwards', '70'],
      ['From', this.localUri],
      ['To', this.remoteUri],
      ['Call-ID', this.id.callId],
      ['CSeq', `${seq} ${method}`],
      ...(options.headers ?? []),
    ];
    return createRequest({
      method,
      uri,
      headers,
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
    });
  }
}

function firstContact(message: SipRequest | SipResponse): Uri | undefined {
  if (!message.hasHeader('Contact')) return undefined;
  try {
    return message.contacts[0]?.uri;
  } catch {
    return undefined;
  }
}
