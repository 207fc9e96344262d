import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  GatewayError,
  WEBSOCKET_SCHEMA,
  parseClientMessage,
  validateSchema,
} from '@callbridge/gateway';

const offer = { type: 'offer', sdp: 'v=0\r\n' };

function errorOf(text: string): GatewayError {
  try {
    parseClientMessage(text);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
}

describe('WebSocket protocol validation', () => {
  it('accepts a full session.connect and call.create', () => {
    const connect = parseClientMessage(
      JSON.stringify({
        type: 'session.connect',
        requestId: 'r1',
        protocolVersion: 1,
        sipOptions: {
          login: 'alice',
          authenticationName: 'alice',
          password: 'x',
          domain: 'example.test',
          outboundProxy: '127.0.0.1:5060',
          port: 5060,
          registerRequired: true,
        },
      }),
    );
    expect(connect.type).toBe('session.connect');
    const create = parseClientMessage(
      JSON.stringify({
        type: 'call.create',
        callee: '100',
        visibleName: 'Alice',
        audio: true,
        video: false,
        sipHeaders: { 'X-Account': '42' },
        sdp: offer,
      }),
    );
    expect(create).toMatchObject({ type: 'call.create', callee: '100' });
  });

  it('gives stable codes: INVALID_JSON, UNKNOWN_MESSAGE_TYPE, INVALID_MESSAGE with a JSON Pointer', () => {
    expect(errorOf('{nope').code).toBe('INVALID_JSON');
    expect(errorOf('[1]').code).toBe('INVALID_MESSAGE');
    expect(errorOf('{"type":"call.fly"}').code).toBe('UNKNOWN_MESSAGE_TYPE');
    const missing = errorOf('{"type":"call.hold","requestId":"r9"}');
    expect(missing.code).toBe('INVALID_MESSAGE');
    expect(missing.details).toEqual({ path: '/callId', requestId: 'r9' });
    const extra = errorOf(JSON.stringify({ type: 'call.hold', callId: 'a', bogus: 1 }));
    expect(extra.details?.['path']).toBe('/bogus');
    const badDigits = errorOf(
      JSON.stringify({ type: 'call.dtmf', callId: 'a', digits: '12x', dtmfType: 'INFO' }),
    );
    expect(badDigits.details?.['path']).toBe('/digits');
    const badSdp = errorOf(
      JSON.stringify({
        type: 'call.create',
        callee: '1',
        audio: true,
        video: false,
        sdp: { type: 'answer', sdp: 'v=0' },
      }),
    );
    expect(badSdp.details?.['path']).toBe('/sdp/type');
  });

  it('refuses a newer protocol version and headers the gateway owns', () => {
    const version = errorOf(
      JSON.stringify({
        type: 'session.connect',
        protocolVersion: 2,
        sipOptions: { login: 'a', domain: 'b' },
      }),
    );
    expect(version.code).toBe('UNSUPPORTED_PROTOCOL_VERSION');
    const header = errorOf(
      JSON.stringify({
        type: 'call.create',
        callee: '1',
        audio: true,
        video: false,
        sipHeaders: { From: 'x' },
        sdp: offer,
      }),
    );
    expect(header.message).toMatch(/From header is set by the gateway/);
    const crlf = errorOf(
      JSON.stringify({
        type: 'call.create',
        callee: '1',
        audio: true,
        video: false,
        sipHeaders: { 'X-A': 'a\r\nVia: evil' },
        sdp: offer,
      }),
    );
    expect(crlf.details?.['path']).toBe('/sipHeaders/X-A');
  });

  it('needs exactly one transfer form', () => {
    expect(
      parseClientMessage(JSON.stringify({ type: 'call.transfer', callId: 'a', target: '200' })),
    ).toMatchObject({ target: '200' });
    expect(
      parseClientMessage(
        JSON.stringify({ type: 'call.transfer', callId: 'a', replacesCallId: 'b' }),
      ),
    ).toMatchObject({ replacesCallId: 'b' });
    expect(
      errorOf(
        JSON.stringify({ type: 'call.transfer', callId: 'a', target: '1', replacesCallId: 'b' }),
      ).code,
    ).toBe('INVALID_MESSAGE');
    expect(errorOf(JSON.stringify({ type: 'call.transfer', callId: 'a' })).code).toBe(
      'INVALID_MESSAGE',
    );
  });

  it('never throws anything but a GatewayError, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc
            .jsonValue()
            .map((v) => JSON.stringify({ type: 'call.create', ...((v ?? {}) as object) })),
        ),
        (text) => {
          try {
            parseClientMessage(text);
          } catch (error) {
            expect(error).toBeInstanceOf(GatewayError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('serves a schema whose server messages describe what the gateway sends', () => {
    const status = {
      type: 'call.status',
      callId: 'c1',
      status: 'FAILED',
      failure: { reason: 'NO_COMMON_CODECS' },
    };
    expect(validateSchema(WEBSOCKET_SCHEMA, status)).toEqual([]);
    expect(
      validateSchema(WEBSOCKET_SCHEMA, { ...status, status: 'SMILING' }).length,
    ).toBeGreaterThan(0);
    const serverDtmf = { type: 'call.dtmf', callId: 'c1', digits: '5', dtmfType: 'INFO' };
    expect(validateSchema({ $ref: '#/$defs/ServerMessage' }, serverDtmf, WEBSOCKET_SCHEMA)).toEqual(
      [],
    );
    expect(validateSchema(WEBSOCKET_SCHEMA, serverDtmf)).toEqual([]);
  });
});
