/**
 * The messages of the WebSocket protocol v1: JSON text frames, one message each, every message
 * an object with a `type`. Client messages may carry a `requestId`; the gateway answers each
 * with a `response` or an `error` echoing it. Events (`session.status`, `call.status`, …) come
 * unprompted. docs/api-websocket.md describes the flow; the gateway validates inbound frames
 * against its JSON Schema of these shapes.
 */
import type { CallStatus, DtmfType, GatewayFailure, SessionState } from './constants.js';

/** An SDP body for the browser leg, as RTCSessionDescriptionInit carries it. */
export interface SessionDescription {
  readonly type: 'offer' | 'answer' | 'pranswer';
  readonly sdp: string;
}

export interface SipOptionsMessage {
  readonly login: string;
  readonly authenticationName?: string;
  readonly password?: string;
  readonly domain: string;
  /** host[:port]; the domain's server when empty. */
  readonly outboundProxy?: string;
  readonly port?: number;
  /** Register to receive calls (default true). */
  readonly registerRequired?: boolean;
}

interface RequestBase {
  readonly requestId?: string;
}

/** Browser → gateway. */
export type ClientMessage =
  | (RequestBase & {
      type: 'session.connect';
      protocolVersion: number;
      sipOptions: SipOptionsMessage;
    })
  | (RequestBase & {
      type: 'session.resume';
      protocolVersion: number;
      sessionId: string;
      resumeToken: string;
    })
  | (RequestBase & { type: 'session.disconnect' })
  | (RequestBase & {
      type: 'call.create';
      callId?: string;
      callee: string;
      visibleName?: string;
      audio: boolean;
      video: boolean;
      sipHeaders?: Record<string, string>;
      sdp: { type: 'offer'; sdp: string };
    })
  | (RequestBase & { type: 'call.answer'; callId: string; sdp: { type: 'answer'; sdp: string } })
  | (RequestBase & { type: 'call.hangup'; callId: string; sipStatus?: number })
  | (RequestBase & { type: 'call.hold'; callId: string })
  | (RequestBase & { type: 'call.unhold'; callId: string })
  | (RequestBase & {
      type: 'call.transfer';
      callId: string;
      target: string;
      replacesCallId?: undefined;
    })
  | (RequestBase & {
      type: 'call.transfer';
      callId: string;
      replacesCallId: string;
      target?: undefined;
    })
  | (RequestBase & { type: 'call.dtmf'; callId: string; digits: string; dtmfType: DtmfType })
  | (RequestBase & { type: 'call.sdp'; callId: string; sdp: SessionDescription })
  | (RequestBase & { type: 'ping' });

export type ClientMessageType = ClientMessage['type'];

/** Gateway → browser. */
export type ServerMessage =
  | { type: 'response'; requestId: string; result: Record<string, unknown> }
  | {
      type: 'error';
      requestId?: string;
      code: string;
      message: string;
      details?: Record<string, unknown>;
    }
  | { type: 'session.status'; sessionId: string; status: SessionState; failure?: GatewayFailure }
  | {
      type: 'call.status';
      callId: string;
      status: CallStatus;
      failure?: GatewayFailure;
      sipStatus?: number;
      sipReason?: string;
      sdp?: SessionDescription;
    }
  | {
      type: 'call.incoming';
      callId: string;
      caller: string;
      callerName?: string;
      callee: string;
      audio: boolean;
      video: boolean;
      sdp: SessionDescription;
    }
  | {
      type: 'call.originate';
      callId: string;
      callee: string;
      visibleName?: string;
      audio: boolean;
      video: boolean;
      sipHeaders: Record<string, string>;
    }
  | {
      type: 'call.transfer_status';
      callId: string;
      sipStatus: number;
      sipReason: string;
      final: boolean;
    }
  | { type: 'call.dtmf'; callId: string; digits: string; dtmfType: DtmfType }
  | { type: 'pong'; requestId?: string };
