/**
 * Schema pieces shared by the WebSocket protocol and the REST API, and the checks JSON Schema
 * cannot express (reserved SIP headers).
 */
import { GatewayError } from '../errors.js';
import { CALL_STATUSES, DTMF_TYPES, FAILURE_REASONS, SESSION_STATES } from '../model/status.js';
import type { JsonSchema } from './json-schema.js';

/** RFC 3261 §25.1 token characters, for header names. */
const TOKEN = "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$";

/**
 * Headers the B2BUA owns: a client setting them could break dialogs or routing, or smuggle a
 * second identity.
 */
const RESERVED_SIP_HEADERS = new Set(
  [
    'via',
    'from',
    'to',
    'call-id',
    'cseq',
    'contact',
    'content-length',
    'content-type',
    'max-forwards',
    'route',
    'record-route',
    'authorization',
    'proxy-authorization',
    'www-authenticate',
    'proxy-authenticate',
    'p-asserted-identity',
    'refer-to',
    'replaces',
    'f',
    't',
    'i',
    'm',
    'l',
    'c',
    'v',
    'r',
  ].map((h) => h.toLowerCase()),
);

export function assertAllowedSipHeaders(
  headers: Readonly<Record<string, string>> | undefined,
  setting = 'sipHeaders',
): void {
  for (const name of Object.keys(headers ?? {})) {
    if (RESERVED_SIP_HEADERS.has(name.toLowerCase())) {
      throw new GatewayError(
        'INVALID_MESSAGE',
        `${setting}: the ${name} header is set by the gateway, not by clients`,
        {
          details: { path: `/${setting}/${name}` },
        },
      );
    }
  }
}

export const SHARED_DEFS = {
  Id: {
    type: 'string',
    minLength: 1,
    maxLength: 64,
    pattern: '^[A-Za-z0-9._:-]+$',
    description: 'Call or session id: letters, digits, `.`, `_`, `:`, `-`.',
  },
  RequestId: {
    type: 'string',
    minLength: 1,
    maxLength: 64,
    description: 'Echoed in the `response` or `error` that answers this message.',
  },
  SipOptions: {
    type: 'object',
    description: 'The SIP account the session acts for.',
    required: ['login', 'domain'],
    additionalProperties: false,
    properties: {
      login: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[^\\s@:;<>"]+$' },
      authenticationName: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[^\\s<>"]+$' },
      password: { type: 'string', maxLength: 256 },
      domain: {
        type: 'string',
        minLength: 1,
        maxLength: 253,
        pattern: '^[A-Za-z0-9.-]+$|^\\[[0-9A-Fa-f:.]+\\]$',
      },
      outboundProxy: {
        type: 'string',
        maxLength: 260,
        pattern: '^$|^([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])(:[0-9]{1,5})?$',
        description: 'host[:port]; empty or absent: the domain itself.',
      },
      port: { type: 'integer', minimum: 1, maximum: 65535 },
      registerRequired: { type: 'boolean', description: 'Register the account (default true).' },
    },
  },
  Offer: {
    type: 'object',
    required: ['type', 'sdp'],
    additionalProperties: false,
    properties: {
      type: { const: 'offer' },
      sdp: { type: 'string', minLength: 3, maxLength: 65536, pattern: '^v=0' },
    },
  },
  Answer: {
    type: 'object',
    required: ['type', 'sdp'],
    additionalProperties: false,
    properties: {
      type: { const: 'answer' },
      sdp: { type: 'string', minLength: 3, maxLength: 65536, pattern: '^v=0' },
    },
  },
  Description: {
    type: 'object',
    required: ['type', 'sdp'],
    additionalProperties: false,
    properties: {
      type: { enum: ['offer', 'answer', 'pranswer'] },
      sdp: { type: 'string', minLength: 3, maxLength: 65536, pattern: '^v=0' },
    },
  },
  Callee: {
    type: 'string',
    minLength: 1,
    maxLength: 256,
    pattern: '^[^\\s<>"]+$',
    description: 'A number, a user name, or a sip:/sips:/tel: URI.',
  },
  VisibleName: { type: 'string', maxLength: 128, pattern: '^[^\\r\\n"\\\\]*$' },
  SipHeaders: {
    type: 'object',
    description:
      'Extra headers for the INVITE. Headers the gateway owns (Via, From, To, …) are refused.',
    maxProperties: 32,
    propertyNames: { type: 'string', pattern: TOKEN },
    additionalProperties: { type: 'string', maxLength: 1024, pattern: '^[^\\r\\n\\u0000]*$' },
  },
  SipStatus: { type: 'integer', minimum: 100, maximum: 699 },
  RejectStatus: { type: 'integer', minimum: 400, maximum: 699 },
  DtmfDigits: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[0-9A-Da-d*#]+$' },
  DtmfType: { enum: [...DTMF_TYPES] },
  CallStatus: { enum: [...CALL_STATUSES] },
  SessionStatus: { enum: [...SESSION_STATES] },
  Failure: {
    type: 'object',
    required: ['reason'],
    properties: {
      reason: { enum: [...FAILURE_REASONS] },
      sipStatus: { type: 'integer' },
      sipReason: { type: 'string' },
      message: { type: 'string' },
    },
  },
  MediaSource: {
    oneOf: [
      {
        type: 'object',
        required: ['kind'],
        additionalProperties: false,
        properties: {
          kind: { const: 'tone' },
          frequencyHz: {
            type: 'integer',
            minimum: 20,
            maximum: 20000,
            description: 'Default 1000.',
          },
        },
      },
      {
        type: 'object',
        required: ['kind', 'name'],
        additionalProperties: false,
        properties: {
          kind: { const: 'file' },
          name: {
            type: 'string',
            minLength: 1,
            maxLength: 128,
            pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
            description: 'A file in the configured media directory.',
          },
          loop: { type: 'boolean' },
        },
      },
      {
        type: 'object',
        required: ['kind'],
        additionalProperties: false,
        properties: { kind: { const: 'echo' } },
      },
    ],
  },
} as const satisfies Record<string, JsonSchema>;
