/** The gateway's WebSocket protocol v1 as the SDK uses it (see docs/api-websocket.md). */
import type { CallStatus, DtmfType, Failure, SessionStatus } from './constants.js';

export interface Description {
  readonly type: 'offer' | 'answer' | 'pranswer';
  readonly sdp: string;
}

export type ServerMessage =
  | { type: 'response'; requestId: string; result: Record<string, unknown> }
  | {
      type: 'error';
      requestId?: string;
      code: string;
      message: string;
      details?: Record<string, unknown>;
    }
  | { type: 'session.status'; sessionId: string; status: SessionStatus; failure?: Failure }
  | {
      type: 'call.status';
      callId: string;
      status: CallStatus;
      failure?: Failure;
      sipStatus?: number;
      sipReason?: string;
      sdp?: Description;
    }
  | {
      type: 'call.incoming';
      callId: string;
      caller: string;
      callerName?: string;
      callee: string;
      audio: boolean;
      video: boolean;
      sdp: Description;
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

export type ClientMessage = { type: string } & Record<string, unknown>;
