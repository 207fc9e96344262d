import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Harness } from './support/gateway-harness.js';
import { startHarness } from './support/gateway-harness.js';

const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n' };
const sipOptions = { login: 'alice', password: 'alice-secret', domain: 'example.test' };

describe('REST API over real HTTP', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.gateway.stop();
  });

  it('requires the bearer token', async () => {
    expect(await h.post('/call/find_all', {}, null)).toMatchObject({
      status: 401,
      json: { error: { code: 'UNAUTHORIZED' } },
    });
    expect(await h.post('/call/find_all', {}, 'wrong-token-0123456789')).toMatchObject({
      status: 401,
    });
    expect(await h.post('/call/find_all', {})).toEqual({ status: 200, json: { calls: [] } });
  });

  it('rejects bad JSON and bad bodies with stable codes', async () => {
    expect(await h.post('/call/hold', '{oops')).toMatchObject({
      status: 400,
      json: { error: { code: 'INVALID_JSON' } },
    });
    expect(await h.post('/call/hold', {})).toMatchObject({
      status: 400,
      json: { error: { code: 'INVALID_MESSAGE', details: { path: '/callId' } } },
    });
    expect(await h.post('/call/hold', { callId: 'nope' })).toMatchObject({
      status: 404,
      json: { error: { code: 'CALL_NOT_FOUND' } },
    });
    expect(await h.post('/call/startup', { callee: '100', sdp: offer })).toMatchObject({
      status: 400,
      json: { error: { message: 'give exactly one of sessionId or sipOptions' } },
    });
    const get = await fetch(`${h.gateway.url}/call/find_all`);
    expect(get.status).toBe(405);
    const big = await h.post('/call/find_all', JSON.stringify({ pad: 'x'.repeat(300_000) }));
    expect(big).toMatchObject({ status: 413, json: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
  });

  it('starts a server-side call with its own account, controls it, and 409s a taken call id', async () => {
    const started = await h.post('/call/startup', {
      callId: 'rest-1',
      sipOptions,
      callee: '101',
      mediaSource: { kind: 'tone', frequencyHz: 440 },
    });
    expect(started).toMatchObject({
      status: 200,
      json: { call: { id: 'rest-1', status: 'PENDING', callee: '101', caller: 'alice' } },
    });
    const account = h.backend.lastAccount();
    expect(account.account).toMatchObject({ login: 'alice', registerRequired: false });
    const leg = h.backend.lastLeg();
    expect(leg.request?.media).toEqual({
      kind: 'server',
      source: { kind: 'tone', frequencyHz: 440 },
    });

    expect(
      await h.post('/call/startup', {
        callId: 'rest-1',
        sipOptions,
        callee: '101',
        mediaSource: { kind: 'echo' },
      }),
    ).toMatchObject({
      status: 409,
      json: { error: { code: 'CALL_ID_IN_USE' } },
    });

    leg.emit('progress', {
      status: 'SESSION_PROGRESS',
      sipStatus: 183,
      sipReason: 'Session Progress',
    });
    leg.emit('established', { mediaMode: 'transcode' });
    expect(await h.post('/call/send_dtmf', { callId: 'rest-1', digits: '123#' })).toMatchObject({
      status: 200,
    });
    expect(leg.actions.at(-1)).toEqual({ op: 'dtmf', digits: '123#', type: 'RFC2833' });
    expect(await h.post('/call/hold', { callId: 'rest-1' })).toMatchObject({
      status: 200,
      json: { call: { status: 'HOLD' } },
    });
    expect(await h.post('/call/unhold', { callId: 'rest-1' })).toMatchObject({
      status: 200,
      json: { call: { status: 'ESTABLISHED' } },
    });
    expect(await h.post('/call/transfer', { callId: 'rest-1', target: '102' })).toMatchObject({
      status: 200,
    });
    expect(await h.post('/call/find', { callee: '101', status: 'ESTABLISHED' })).toMatchObject({
      json: { calls: [{ id: 'rest-1', mediaMode: 'transcode' }] },
    });
    expect(await h.post('/call/terminate', { callId: 'rest-1' })).toMatchObject({
      status: 200,
      json: { call: { status: 'FINISH' } },
    });
    // The call's own session went away with it, and the account was released.
    expect(account.closed).toBe(true);
    expect(await h.post('/session/find_all', {})).toEqual({ status: 200, json: { sessions: [] } });
  });

  it('gives an HTTP-only WebRTC client the SDP answer through /call/find', async () => {
    await h.post('/call/startup', { callId: 'web-1', sipOptions, callee: '100', sdp: offer });
    h.backend.lastLeg().emit('established', {
      browserDescription: { type: 'answer', sdp: 'v=0\r\na=ice-lite\r\n' },
      mediaMode: 'relay',
    });
    expect(await h.post('/call/find', { id: 'web-1' })).toMatchObject({
      json: {
        calls: [
          {
            status: 'ESTABLISHED',
            browserDescription: { type: 'answer', sdp: 'v=0\r\na=ice-lite\r\n' },
          },
        ],
      },
    });
  });

  it('opens, finds and closes sessions; never returns the password', async () => {
    const opened = await h.post('/session/startup', { sipOptions });
    expect(opened).toMatchObject({
      status: 200,
      json: { session: { status: 'ESTABLISHED', login: 'alice', registerRequired: true } },
    });
    expect(JSON.stringify(opened.json)).not.toContain('alice-secret');
    h.backend.lastAccount().emit('registered', { expiresSec: 300 });
    const id = (opened.json['session'] as { id: string }).id;
    expect(await h.post('/session/find', { status: 'REGISTERED' })).toMatchObject({
      json: { sessions: [{ id }] },
    });
    const call = await h.post('/call/startup', {
      sessionId: id,
      callee: '104',
      mediaSource: { kind: 'echo' },
    });
    expect(call).toMatchObject({ status: 200, json: { call: { sessionId: id } } });
    // A REST session has no browser to ask for an offer.
    expect(await h.post('/call/startup', { sessionId: id, callee: '104' })).toMatchObject({
      status: 409,
      json: { error: { code: 'NOT_CONNECTED' } },
    });
    expect(await h.post('/session/terminate', { sessionId: id })).toMatchObject({
      status: 200,
      json: { session: { status: 'DISCONNECTED' } },
    });
    expect(h.backend.lastLeg().actions).toEqual([{ op: 'hangup' }]);
    expect(await h.post('/session/terminate', { sessionId: id })).toMatchObject({
      status: 404,
      json: { error: { code: 'SESSION_NOT_FOUND' } },
    });
  });

  it('reports a failed account binding as 502 with the failure reason', async () => {
    h.backend.failBind = {
      reason: 'AUTHENTICATION_FAILED',
      sipStatus: 403,
      sipReason: 'Forbidden',
    };
    expect(await h.post('/session/startup', { sipOptions })).toMatchObject({
      status: 502,
      json: {
        error: {
          code: 'BACKEND_ERROR',
          details: { failure: { reason: 'AUTHENTICATION_FAILED', sipStatus: 403 } },
        },
      },
    });
  });

  it('serves an OpenAPI document listing every endpoint, /health and /metrics', async () => {
    const doc = (await (await fetch(`${h.gateway.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/call/startup',
        '/call/terminate',
        '/call/hold',
        '/call/unhold',
        '/call/transfer',
        '/call/send_dtmf',
        '/call/find',
        '/call/find_all',
        '/session/startup',
        '/session/terminate',
        '/session/find',
        '/session/find_all',
      ].sort(),
    );
    expect(JSON.stringify(doc)).not.toContain('#/$defs/');
    const health = await fetch(`${h.gateway.url}/health`);
    expect(await health.json()).toMatchObject({ status: 'ok', backend: 'ready' });
    await h.post('/call/hold', { callId: 'missing' });
    const metrics = await (await fetch(`${h.gateway.url}/metrics`)).text();
    expect(metrics).toContain('callbridge_errors_total{code="CALL_NOT_FOUND"} 1');
    expect(metrics).toMatch(/# TYPE callbridge_jitter_ms histogram/);
  });

  it('rate-limits call attempts per source', async () => {
    await h.gateway.stop();
    h = await startHarness(['--limits-call-attempts-per-minute', '2']);
    for (let i = 0; i < 2; i++) {
      expect(
        (
          await h.post('/call/startup', {
            sipOptions,
            callee: '100',
            mediaSource: { kind: 'echo' },
          })
        ).status,
      ).toBe(200);
    }
    expect(
      await h.post('/call/startup', { sipOptions, callee: '100', mediaSource: { kind: 'echo' } }),
    ).toMatchObject({
      status: 429,
      json: { error: { code: 'RATE_LIMITED' } },
    });
  });
});
