/**
 * The gateway's side of the browser SDK's WebSocket protocol, version 1: the JSON Schema of its
 * messages and the validation of inbound frames. The message types and constants live in
 * @callbridge/client (the protocol's reference client); docs/api-websocket.md describes the flow.
 */
import type { ClientMessage, ClientMessageType, ServerMessage } from '@callbridge/client';
import { PROTOCOL_VERSION, WEBSOCKET_SUBPROTOCOL } from '@callbridge/client';
import { GatewayError } from '../errors.js';
import { SHARED_DEFS, assertAllowedSipHeaders } from './definitions.js';
import type { JsonSchema } from './json-schema.js';
import { validateSchema } from './json-schema.js';

export { PROTOCOL_VERSION, WEBSOCKET_SUBPROTOCOL };
export type {
  ClientMessage,
  ClientMessageType,
  ServerMessage,
  SipOptionsMessage,
} from '@callbridge/client';

/** Largest frame the gateway accepts, bytes (an SDP with video and many candidates fits). */
export const MAX_MESSAGE_BYTES = 128 * 1024;

const ref = (name: string): JsonSchema => ({ $ref: `#/$defs/${name}` });

function clientMessage(
  type: ClientMessageType,
  description: string,
  required: string[],
  properties: Record<string, JsonSchema>,
): JsonSchema {
  return {
    type: 'object',
    description,
    required: ['type', ...required],
    additionalProperties: false,
    properties: { type: { const: type }, requestId: ref('RequestId'), ...properties },
  };
}

const CLIENT_MESSAGES: Record<ClientMessageType, JsonSchema> = {
  'session.connect': clientMessage(
    'session.connect',
    'First message on a connection: opens a session for a SIP account. The response carries `sessionId`, `resumeToken` and `resumeGraceMs`.',
    ['protocolVersion', 'sipOptions'],
    { protocolVersion: { type: 'integer', minimum: 1 }, sipOptions: ref('SipOptions') },
  ),
  'session.resume': clientMessage(
    'session.resume',
    'First message on a new connection after the old one dropped: re-attaches the session within the grace period. The gateway re-sends the session status and the status of each call.',
    ['protocolVersion', 'sessionId', 'resumeToken'],
    {
      protocolVersion: { type: 'integer', minimum: 1 },
      sessionId: ref('Id'),
      resumeToken: { type: 'string', minLength: 1, maxLength: 128 },
    },
  ),
  'session.disconnect': clientMessage(
    'session.disconnect',
    'Ends the session: calls hung up, account unregistered.',
    [],
    {},
  ),
  'call.create': clientMessage(
    'call.create',
    "Places a call with the browser's SDP offer (gathered candidates included). `callId` is optional; a taken id is refused with CALL_ID_IN_USE.",
    ['callee', 'audio', 'video', 'sdp'],
    {
      callId: ref('Id'),
      callee: ref('Callee'),
      visibleName: ref('VisibleName'),
      audio: { type: 'boolean' },
      video: { type: 'boolean' },
      sipHeaders: ref('SipHeaders'),
      sdp: ref('Offer'),
    },
  ),
  'call.answer': clientMessage(
    'call.answer',
    "Answers an incoming call with the browser's SDP answer to the offer in `call.incoming`.",
    ['callId', 'sdp'],
    {
      callId: ref('Id'),
      sdp: ref('Answer'),
    },
  ),
  'call.hangup': clientMessage(
    'call.hangup',
    'Hangs up (CANCEL or BYE). For an unanswered incoming call, rejects it with `sipStatus` (default 486).',
    ['callId'],
    { callId: ref('Id'), sipStatus: ref('RejectStatus') },
  ),
  'call.hold': clientMessage('call.hold', 'Puts an established call on hold.', ['callId'], {
    callId: ref('Id'),
  }),
  'call.unhold': clientMessage('call.unhold', 'Takes a call this side held off hold.', ['callId'], {
    callId: ref('Id'),
  }),
  'call.transfer': {
    oneOf: [
      clientMessage('call.transfer', 'Blind transfer (REFER) to `target`.', ['callId', 'target'], {
        callId: ref('Id'),
        target: ref('Callee'),
      }),
      clientMessage(
        'call.transfer',
        'Attended transfer: the remote party of `callId` is connected to the remote party of `replacesCallId` (REFER with Replaces).',
        ['callId', 'replacesCallId'],
        {
          callId: ref('Id'),
          replacesCallId: ref('Id'),
        },
      ),
    ],
  },
  'call.dtmf': clientMessage(
    'call.dtmf',
    'Sends DTMF digits as RFC 4733 events (`RFC2833`) or SIP INFO (`INFO`).',
    ['callId', 'digits', 'dtmfType'],
    {
      callId: ref('Id'),
      digits: ref('DtmfDigits'),
      dtmfType: ref('DtmfType'),
    },
  ),
  'call.sdp': clientMessage(
    'call.sdp',
    'A renegotiation offer or answer from the browser after set-up.',
    ['callId', 'sdp'],
    {
      callId: ref('Id'),
      sdp: ref('Description'),
    },
  ),
  ping: clientMessage('ping', 'Keep-alive; answered with `pong`.', [], {}),
};

function serverMessage(
  type: ServerMessage['type'],
  description: string,
  required: string[],
  properties: Record<string, JsonSchema>,
): JsonSchema {
  return {
    type: 'object',
    description,
    required: ['type', ...required],
    properties: { type: { const: type }, ...properties },
  };
}

const SERVER_MESSAGES: Record<ServerMessage['type'], JsonSchema> = {
  response: serverMessage(
    'response',
    'Success answer to a client message with a `requestId`.',
    ['requestId', 'result'],
    {
      requestId: ref('RequestId'),
      result: { type: 'object' },
    },
  ),
  error: serverMessage(
    'error',
    'Failure answer to a client message (or a protocol error). `code` is stable.',
    ['code', 'message'],
    {
      requestId: ref('RequestId'),
      code: { type: 'string' },
      message: { type: 'string' },
      details: { type: 'object' },
    },
  ),
  'session.status': serverMessage(
    'session.status',
    'The session changed state.',
    ['sessionId', 'status'],
    {
      sessionId: ref('Id'),
      status: ref('SessionStatus'),
      failure: ref('Failure'),
    },
  ),
  'call.status': serverMessage(
    'call.status',
    'A call changed state. `sdp`, when present, is for the browser to apply now (answer, early-media pranswer, or re-offer).',
    ['callId', 'status'],
    {
      callId: ref('Id'),
      status: ref('CallStatus'),
      failure: ref('Failure'),
      sipStatus: ref('SipStatus'),
      sipReason: { type: 'string' },
      sdp: ref('Description'),
    },
  ),
  'call.incoming': serverMessage(
    'call.incoming',
    'A call for this account; answer with `call.answer` or reject with `call.hangup`.',
    ['callId', 'caller', 'callee', 'audio', 'video', 'sdp'],
    {
      callId: ref('Id'),
      caller: { type: 'string' },
      callerName: { type: 'string' },
      callee: { type: 'string' },
      audio: { type: 'boolean' },
      video: { type: 'boolean' },
      sdp: ref('Offer'),
    },
  ),
  'call.originate': serverMessage(
    'call.originate',
    'The REST API asked this browser to place a call: send `call.create` with this `callId`.',
    ['callId', 'callee', 'audio', 'video', 'sipHeaders'],
    {
      callId: ref('Id'),
      callee: ref('Callee'),
      visibleName: ref('VisibleName'),
      audio: { type: 'boolean' },
      video: { type: 'boolean' },
      sipHeaders: ref('SipHeaders'),
    },
  ),
  'call.transfer_status': serverMessage(
    'call.transfer_status',
    'Progress of a transfer (NOTIFY sipfrag).',
    ['callId', 'sipStatus', 'sipReason', 'final'],
    {
      callId: ref('Id'),
      sipStatus: ref('SipStatus'),
      sipReason: { type: 'string' },
      final: { type: 'boolean' },
    },
  ),
  'call.dtmf': serverMessage(
    'call.dtmf',
    'DTMF received from the SIP side.',
    ['callId', 'digits', 'dtmfType'],
    {
      callId: ref('Id'),
      digits: ref('DtmfDigits'),
      dtmfType: ref('DtmfType'),
    },
  ),
  pong: serverMessage('pong', 'Answer to `ping`.', [], { requestId: ref('RequestId') }),
};

const PREFIX_CLIENT = 'client.';
const PREFIX_SERVER = 'server.';

/** The JSON Schema document of the protocol (served at /schema/websocket.json). */
export const WEBSOCKET_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:callbridge:websocket:v1',
  title: `callbridge WebSocket protocol v${PROTOCOL_VERSION}`,
  description: `JSON text frames (at most ${MAX_MESSAGE_BYTES} bytes). Subprotocol ${WEBSOCKET_SUBPROTOCOL}. A message is one of the client.* definitions (browser → gateway) or server.* definitions (gateway → browser).`,
  // `call.dtmf` exists in both directions, so a message is a client OR a server message.
  anyOf: [ref('ClientMessage'), ref('ServerMessage')],
  $defs: {
    ClientMessage: { oneOf: Object.keys(CLIENT_MESSAGES).map((t) => ref(PREFIX_CLIENT + t)) },
    ServerMessage: { oneOf: Object.keys(SERVER_MESSAGES).map((t) => ref(PREFIX_SERVER + t)) },
    ...SHARED_DEFS,
    ...Object.fromEntries(Object.entries(CLIENT_MESSAGES).map(([t, s]) => [PREFIX_CLIENT + t, s])),
    ...Object.fromEntries(Object.entries(SERVER_MESSAGES).map(([t, s]) => [PREFIX_SERVER + t, s])),
  },
};

function invalid(message: string, requestId: string | undefined, path: string): GatewayError {
  return new GatewayError('INVALID_MESSAGE', message, {
    details: { path, ...(requestId === undefined ? {} : { requestId }) },
  });
}

/** The `requestId` of a message, when it has a usable one (for answering errors). */
export function requestIdOf(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const id = (value as { requestId?: unknown }).requestId;
  return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : undefined;
}

/**
 * Parses and validates one inbound frame. Throws GatewayError INVALID_JSON,
 * UNKNOWN_MESSAGE_TYPE or INVALID_MESSAGE (with `details.path`, a JSON Pointer).
 */
export function parseClientMessage(text: string): ClientMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new GatewayError('INVALID_JSON', 'the message is not valid JSON', { cause: error });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid('a message must be a JSON object', undefined, '');
  }
  const requestId = requestIdOf(value);
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') throw invalid('the message has no type', requestId, '/type');
  const schema = Object.hasOwn(CLIENT_MESSAGES, type)
    ? CLIENT_MESSAGES[type as ClientMessageType]
    : undefined;
  if (!schema) {
    throw new GatewayError(
      'UNKNOWN_MESSAGE_TYPE',
      `unknown message type ${JSON.stringify(type.slice(0, 64))}`,
      {
        details: requestId === undefined ? {} : { requestId },
      },
    );
  }
  const violations = validateSchema(schema, value, WEBSOCKET_SCHEMA);
  const first = violations[0];
  if (first) throw invalid(`${type}: ${first.path || '/'} ${first.message}`, requestId, first.path);
  const message = value as ClientMessage;
  if (message.type === 'call.create') assertAllowedSipHeaders(message.sipHeaders);
  if (
    (message.type === 'session.connect' || message.type === 'session.resume') &&
    message.protocolVersion !== PROTOCOL_VERSION
  ) {
    throw new GatewayError(
      'UNSUPPORTED_PROTOCOL_VERSION',
      `this gateway speaks protocol version ${PROTOCOL_VERSION}, not ${message.protocolVersion}`,
      {
        details: {
          supported: [PROTOCOL_VERSION],
          ...(requestId === undefined ? {} : { requestId }),
        },
      },
    );
  }
  return message;
}
