/**
 * The REST API: JSON over HTTP POST, bearer-token authentication, errors as
 * `{ "error": { "code", "message", "details"? } }` with a stable code. The OpenAPI 3.1 document
 * is generated from the same table that routes and validates requests.
 */
import { timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import type { LocalMedia, ServerMediaSource, SipAccount } from './backend.js';
import { GatewayError } from './errors.js';
import type { CallStatus, DtmfType, SessionState } from './model/status.js';
import { SHARED_DEFS, assertAllowedSipHeaders } from './protocol/definitions.js';
import type { JsonSchema } from './protocol/json-schema.js';
import { validateSchema } from './protocol/json-schema.js';
import type { SipOptionsMessage } from './protocol/websocket.js';
import type { Logger } from './log.js';
import type { RateLimiter } from './rate-limit.js';
import type { CallControlService } from './service.js';

export interface RestContext {
  readonly service: CallControlService;
  readonly tokens: readonly string[];
  readonly callAttempts: RateLimiter;
  readonly logins: RateLimiter;
  /** Where server-side media files live (`mediaSource.kind = "file"`). */
  readonly mediaFilesDir: string | null;
  readonly version: string;
  readonly logger: Logger;
}

export interface RestResponse {
  readonly status: number;
  readonly body: unknown;
}

interface Endpoint {
  readonly summary: string;
  readonly description?: string;
  readonly request: JsonSchema;
  readonly response: JsonSchema;
  readonly handle: (
    body: Record<string, unknown>,
    ctx: RestContext,
    source: string,
  ) => Promise<unknown>;
}

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

function body(required: string[], properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', required, additionalProperties: false, properties };
}

const CALL_RESPONSE = body(['call'], { call: ref('CallInfo') });
const CALLS_RESPONSE = body(['calls'], { calls: { type: 'array', items: ref('CallInfo') } });
const SESSION_RESPONSE = body(['session'], { session: ref('SessionInfo') });
const SESSIONS_RESPONSE = body(['sessions'], {
  sessions: { type: 'array', items: ref('SessionInfo') },
});

/** The account of `sipOptions`; `registerRequired` defaults per API (WebSocket: yes, REST call: no). */
export function sipOptionsToAccount(
  options: SipOptionsMessage,
  registerByDefault: boolean,
): SipAccount {
  return {
    login: options.login,
    domain: options.domain,
    registerRequired: options.registerRequired ?? registerByDefault,
    ...(options.authenticationName === undefined
      ? {}
      : { authenticationName: options.authenticationName }),
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(options.outboundProxy === undefined || options.outboundProxy === ''
      ? {}
      : { outboundProxy: options.outboundProxy }),
    ...(options.port === undefined ? {} : { port: options.port }),
  };
}

interface MediaSourceBody {
  kind: 'tone' | 'file' | 'echo';
  frequencyHz?: number;
  name?: string;
  loop?: boolean;
}

function serverSource(source: MediaSourceBody, filesDir: string | null): ServerMediaSource {
  switch (source.kind) {
    case 'tone':
      return { kind: 'tone', frequencyHz: source.frequencyHz ?? 1000 };
    case 'echo':
      return { kind: 'echo' };
    case 'file':
      if (filesDir === null) {
        throw new GatewayError(
          'INVALID_MESSAGE',
          'file media sources need media.filesDir configured',
          {
            details: { path: '/mediaSource' },
          },
        );
      }
      // The schema allows no path separators or leading dots, so this stays inside filesDir.
      return { kind: 'file', path: join(filesDir, source.name ?? ''), loop: source.loop ?? false };
  }
}

const ENDPOINTS: Readonly<Record<string, Endpoint>> = {
  '/call/startup': {
    summary: 'Start a SIP call',
    description:
      'Exactly one of `sessionId` (a session opened over WebSocket or /session/startup) or `sipOptions` (an account used for this call only). ' +
      'Media: `sdp` (a WebRTC offer from an HTTP-only client; the answer appears in `call.browserDescription`), or `mediaSource` (tone, file, echo) for server-side calls. ' +
      'With `sessionId` of a browser session and neither, the browser is asked to place the call. 409 CALL_ID_IN_USE when `callId` is taken.',
    request: {
      type: 'object',
      required: ['callee'],
      additionalProperties: false,
      properties: {
        callId: ref('Id'),
        sessionId: ref('Id'),
        sipOptions: ref('SipOptions'),
        callee: ref('Callee'),
        visibleName: ref('VisibleName'),
        audio: { type: 'boolean', description: 'Default true.' },
        video: { type: 'boolean', description: 'Default false.' },
        sipHeaders: ref('SipHeaders'),
        sdp: ref('Offer'),
        mediaSource: ref('MediaSource'),
      },
    },
    response: CALL_RESPONSE,
    async handle(b, ctx, source) {
      if (!ctx.callAttempts.allow(source))
        throw new GatewayError('RATE_LIMITED', 'too many call attempts from this address');
      const hasSession = b['sessionId'] !== undefined;
      if (hasSession === (b['sipOptions'] !== undefined)) {
        throw new GatewayError('INVALID_MESSAGE', 'give exactly one of sessionId or sipOptions', {
          details: { path: '' },
        });
      }
      if (b['sdp'] !== undefined && b['mediaSource'] !== undefined) {
        throw new GatewayError('INVALID_MESSAGE', 'give sdp or mediaSource, not both', {
          details: { path: '' },
        });
      }
      const headers = b['sipHeaders'] as Record<string, string> | undefined;
      assertAllowedSipHeaders(headers);
      let media: LocalMedia | null = null;
      if (b['sdp'] !== undefined)
        media = { kind: 'webrtc', offer: b['sdp'] as { type: 'offer'; sdp: string } };
      if (b['mediaSource'] !== undefined) {
        media = {
          kind: 'server',
          source: serverSource(b['mediaSource'] as MediaSourceBody, ctx.mediaFilesDir),
        };
      }
      let sessionId = b['sessionId'] as string | undefined;
      if (sessionId === undefined) {
        if (!media) {
          throw new GatewayError(
            'INVALID_MESSAGE',
            'a call with sipOptions needs sdp or mediaSource',
            { details: { path: '' } },
          );
        }
        if (!ctx.logins.allow(source))
          throw new GatewayError('RATE_LIMITED', 'too many logins from this address');
        const session = ctx.service.openSession({
          origin: 'rest',
          account: sipOptionsToAccount(b['sipOptions'] as SipOptionsMessage, false),
          source,
          ephemeral: true,
        });
        sessionId = session.id;
        await ctx.service.bindSession(sessionId);
      }
      const request = {
        sessionId,
        callee: b['callee'] as string,
        audio: (b['audio'] as boolean | undefined) ?? true,
        video: (b['video'] as boolean | undefined) ?? false,
        ...(b['callId'] === undefined ? {} : { callId: b['callId'] as string }),
        ...(b['visibleName'] === undefined ? {} : { visibleName: b['visibleName'] as string }),
        ...(headers === undefined ? {} : { sipHeaders: headers }),
      };
      try {
        const call = media
          ? await ctx.service.startCall(request, media)
          : await ctx.service.originateBrowserCall(request);
        return { call: call.toInfo() };
      } catch (error) {
        const session = ctx.service.getSession(sessionId);
        if (session?.ephemeral && session.callIds.size === 0)
          await ctx.service.closeSession(sessionId);
        throw error;
      }
    },
  },
  '/call/terminate': {
    summary: 'Hang up a call (or reject an unanswered incoming one with sipStatus)',
    request: body(['callId'], { callId: ref('Id'), sipStatus: ref('RejectStatus') }),
    response: CALL_RESPONSE,
    handle: async (b, ctx) => ({
      call: await ctx.service.hangupCall(
        b['callId'] as string,
        {},
        b['sipStatus'] as number | undefined,
      ),
    }),
  },
  '/call/hold': {
    summary: 'Put an established call on hold',
    request: body(['callId'], { callId: ref('Id') }),
    response: CALL_RESPONSE,
    handle: async (b, ctx) => ({ call: await ctx.service.holdCall(b['callId'] as string) }),
  },
  '/call/unhold': {
    summary: 'Take a call off hold',
    request: body(['callId'], { callId: ref('Id') }),
    response: CALL_RESPONSE,
    handle: async (b, ctx) => ({ call: await ctx.service.unholdCall(b['callId'] as string) }),
  },
  '/call/transfer': {
    summary: 'Transfer a call: blind to `target`, or attended to the party of `replacesCallId`',
    request: {
      oneOf: [
        body(['callId', 'target'], { callId: ref('Id'), target: ref('Callee') }),
        body(['callId', 'replacesCallId'], { callId: ref('Id'), replacesCallId: ref('Id') }),
      ],
    },
    response: CALL_RESPONSE,
    handle: async (b, ctx) => ({
      call: await ctx.service.transferCall(
        b['callId'] as string,
        b['target'] !== undefined
          ? { target: b['target'] as string }
          : { replacesCallId: b['replacesCallId'] as string },
      ),
    }),
  },
  '/call/send_dtmf': {
    summary: 'Send DTMF digits (RFC 4733 events or SIP INFO)',
    request: body(['callId', 'digits'], {
      callId: ref('Id'),
      digits: ref('DtmfDigits'),
      dtmfType: { ...ref('DtmfType'), description: 'Default RFC2833.' },
    }),
    response: CALL_RESPONSE,
    handle: async (b, ctx) => ({
      call: await ctx.service.sendDtmf(
        b['callId'] as string,
        b['digits'] as string,
        (b['dtmfType'] as DtmfType | undefined) ?? 'RFC2833',
      ),
    }),
  },
  '/call/find': {
    summary: 'Find calls by id, callee, caller, status or session',
    request: body([], {
      id: ref('Id'),
      callee: { type: 'string', maxLength: 256 },
      caller: { type: 'string', maxLength: 256 },
      status: ref('CallStatus'),
      sessionId: ref('Id'),
    }),
    response: CALLS_RESPONSE,
    handle: (b, ctx) => {
      const calls = ctx.service.findCalls({
        ...(b['id'] === undefined ? {} : { id: b['id'] as string }),
        ...(b['callee'] === undefined ? {} : { callee: b['callee'] as string }),
        ...(b['caller'] === undefined ? {} : { caller: b['caller'] as string }),
        ...(b['status'] === undefined ? {} : { status: b['status'] as CallStatus }),
        ...(b['sessionId'] === undefined ? {} : { sessionId: b['sessionId'] as string }),
      });
      return Promise.resolve({ calls });
    },
  },
  '/call/find_all': {
    summary: 'List every call the gateway knows (ended calls for a while after they end)',
    request: body([], {}),
    response: CALLS_RESPONSE,
    handle: (_b, ctx) => Promise.resolve({ calls: ctx.service.findCalls({}) }),
  },
  '/session/startup': {
    summary: 'Open a session for a SIP account (registers unless registerRequired is false)',
    description:
      'Answers once the account is bound (status ESTABLISHED, REGISTERED follows); 502 BACKEND_ERROR with `details.failure` when it cannot be.',
    request: body(['sipOptions'], { sipOptions: ref('SipOptions') }),
    response: SESSION_RESPONSE,
    async handle(b, ctx, source) {
      if (!ctx.logins.allow(source))
        throw new GatewayError('RATE_LIMITED', 'too many logins from this address');
      const session = ctx.service.openSession({
        origin: 'rest',
        account: sipOptionsToAccount(b['sipOptions'] as SipOptionsMessage, true),
        source,
      });
      await ctx.service.bindSession(session.id);
      return { session: session.toInfo() };
    },
  },
  '/session/terminate': {
    summary: 'Close a session: its calls hung up, its account unregistered',
    request: body(['sessionId'], { sessionId: ref('Id') }),
    response: SESSION_RESPONSE,
    async handle(b, ctx) {
      const session = ctx.service.getSession(b['sessionId'] as string);
      if (!session)
        throw new GatewayError('SESSION_NOT_FOUND', `no session ${String(b['sessionId'])}`);
      await ctx.service.closeSession(session.id);
      return { session: session.toInfo() };
    },
  },
  '/session/find': {
    summary: 'Find sessions by id, login or status',
    request: body([], {
      id: ref('Id'),
      login: { type: 'string', maxLength: 128 },
      status: ref('SessionStatus'),
    }),
    response: SESSIONS_RESPONSE,
    handle: (b, ctx) =>
      Promise.resolve({
        sessions: ctx.service.findSessions({
          ...(b['id'] === undefined ? {} : { id: b['id'] as string }),
          ...(b['login'] === undefined ? {} : { login: b['login'] as string }),
          ...(b['status'] === undefined ? {} : { status: b['status'] as SessionState }),
        }),
      }),
  },
  '/session/find_all': {
    summary: 'List every open session',
    request: body([], {}),
    response: SESSIONS_RESPONSE,
    handle: (_b, ctx) => Promise.resolve({ sessions: ctx.service.findSessions({}) }),
  },
};

const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] });

const COMPONENT_SCHEMAS: Record<string, JsonSchema> = {
  ...SHARED_DEFS,
  CallInfo: {
    type: 'object',
    required: [
      'id',
      'sessionId',
      'direction',
      'caller',
      'callee',
      'status',
      'failure',
      'createdAt',
    ],
    properties: {
      id: ref('Id'),
      sessionId: nullable(ref('Id')),
      direction: { enum: ['outbound', 'inbound'] },
      caller: { type: 'string' },
      callee: { type: 'string' },
      visibleName: nullable({ type: 'string' }),
      audio: { type: 'boolean' },
      video: { type: 'boolean' },
      status: ref('CallStatus'),
      failure: nullable(ref('Failure')),
      onHold: body(['local', 'remote'], {
        local: { type: 'boolean' },
        remote: { type: 'boolean' },
      }),
      mediaMode: nullable({ enum: ['relay', 'transcode'] }),
      createdAt: { type: 'string' },
      establishedAt: nullable({ type: 'string' }),
      endedAt: nullable({ type: 'string' }),
      browserDescription: nullable(ref('Description')),
    },
  },
  SessionInfo: {
    type: 'object',
    required: ['id', 'origin', 'login', 'domain', 'status'],
    properties: {
      id: ref('Id'),
      origin: { enum: ['websocket', 'rest'] },
      login: { type: 'string' },
      domain: { type: 'string' },
      registerRequired: { type: 'boolean' },
      status: ref('SessionStatus'),
      failure: nullable(ref('Failure')),
      attached: { type: 'boolean' },
      callIds: { type: 'array', items: ref('Id') },
      createdAt: { type: 'string' },
    },
  },
  Error: body(['error'], {
    error: body(['code', 'message'], {
      code: { type: 'string' },
      message: { type: 'string' },
      details: { type: 'object' },
    }),
  }),
};

/** Rewrites `#/$defs/X` references of the shared definitions to OpenAPI component references. */
function toComponents(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toComponents);
  if (schema !== null && typeof schema === 'object') {
    return Object.fromEntries(
      Object.entries(schema).map(([k, v]) => [
        k,
        k === '$ref' && typeof v === 'string'
          ? v.replace('#/$defs/', '#/components/schemas/')
          : toComponents(v),
      ]),
    );
  }
  return schema;
}

function resolveComponentRefs(schema: JsonSchema): JsonSchema {
  return JSON.parse(
    JSON.stringify(schema).replaceAll('#/components/schemas/', '#/$defs/'),
  ) as JsonSchema;
}

const VALIDATION_ROOT = resolveComponentRefs({ $defs: COMPONENT_SCHEMAS });

const ERROR_CODES_BY_STATUS: Record<string, string> = {
  '400': 'Invalid request (INVALID_JSON, INVALID_MESSAGE)',
  '401': 'Missing or wrong bearer token (UNAUTHORIZED)',
  '403': 'Refused (DIAL_PLAN_REJECTED, HOOK_REJECTED)',
  '404': 'Unknown call or session (CALL_NOT_FOUND, SESSION_NOT_FOUND, NOT_FOUND)',
  '409': 'Conflict (CALL_ID_IN_USE, CALL_NOT_ALLOWED_IN_STATE, NOT_CONNECTED)',
  '429': 'Rate limited (RATE_LIMITED)',
  '502': 'The SIP side failed (BACKEND_ERROR, with details.failure)',
  '503': 'No call backend or stopping (BACKEND_UNAVAILABLE, SHUTTING_DOWN)',
};

/** The OpenAPI 3.1 document served at /openapi.json. */
export function openApiDocument(version: string): unknown {
  const errorResponse = {
    description: '',
    content: { 'application/json': { schema: ref('Error') } },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'callbridge REST API',
      version,
      description:
        'Call control for the callbridge WebRTC-to-SIP gateway. Every request is a POST with a JSON body and `Authorization: Bearer <token>` (tokens from api.tokens).',
    },
    security: [{ bearer: [] }],
    paths: Object.fromEntries(
      Object.entries(ENDPOINTS).map(([path, e]) => [
        path,
        {
          post: {
            summary: e.summary,
            ...(e.description === undefined ? {} : { description: e.description }),
            operationId: path.slice(1).replace(/\//g, '_'),
            requestBody: {
              required: true,
              content: { 'application/json': { schema: toComponents(e.request) } },
            },
            responses: {
              '200': { description: 'OK', content: { 'application/json': { schema: e.response } } },
              ...Object.fromEntries(
                Object.entries(ERROR_CODES_BY_STATUS).map(([status, description]) => [
                  status,
                  { ...errorResponse, description },
                ]),
              ),
            },
          },
        },
      ]),
    ),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: toComponents(COMPONENT_SCHEMAS),
    },
  };
}

function authorized(header: string | undefined, tokens: readonly string[]): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m?.[1]) return false;
  const given = Buffer.from(m[1]);
  let ok = false;
  for (const token of tokens) {
    const expected = Buffer.from(token);
    // Compare against every token so timing does not reveal which prefix matched.
    if (expected.length === given.length && timingSafeEqual(expected, given)) ok = true;
  }
  return ok;
}

export function isRestPath(path: string): boolean {
  return Object.hasOwn(ENDPOINTS, path);
}

/**
 * Handles one REST request. `rawBody` is the request body text. Never throws: every failure
 * becomes a JSON error response.
 */
export async function handleRest(
  ctx: RestContext,
  request: {
    method: string;
    path: string;
    authorization: string | undefined;
    rawBody: string;
    source: string;
  },
): Promise<RestResponse> {
  try {
    const endpoint = Object.hasOwn(ENDPOINTS, request.path) ? ENDPOINTS[request.path] : undefined;
    if (!endpoint) throw new GatewayError('NOT_FOUND', `no endpoint ${request.path}`);
    if (request.method !== 'POST')
      throw new GatewayError('METHOD_NOT_ALLOWED', `${request.path} takes POST`);
    if (ctx.tokens.length === 0) {
      throw new GatewayError(
        'UNAUTHORIZED',
        'the REST API is disabled: no api.tokens are configured',
      );
    }
    if (!authorized(request.authorization, ctx.tokens)) {
      throw new GatewayError(
        'UNAUTHORIZED',
        'a valid "Authorization: Bearer <token>" header is required',
      );
    }
    let parsed: unknown;
    try {
      parsed = request.rawBody.trim() === '' ? {} : JSON.parse(request.rawBody);
    } catch (error) {
      throw new GatewayError('INVALID_JSON', 'the request body is not valid JSON', {
        cause: error,
      });
    }
    const violations = validateSchema(
      resolveComponentRefs(endpoint.request),
      parsed,
      VALIDATION_ROOT,
    );
    const first = violations[0];
    if (first) {
      throw new GatewayError('INVALID_MESSAGE', `${first.path || 'body'} ${first.message}`, {
        details: { path: first.path },
      });
    }
    const result = await endpoint.handle(parsed as Record<string, unknown>, ctx, request.source);
    return { status: 200, body: result };
  } catch (error) {
    const e =
      error instanceof GatewayError
        ? error
        : new GatewayError('INTERNAL_ERROR', 'internal error', { cause: error });
    if (e.code === 'INTERNAL_ERROR')
      ctx.logger.error('REST request failed', { path: request.path, error });
    return { status: e.httpStatus, body: { error: e.toJSON() } };
  }
}
