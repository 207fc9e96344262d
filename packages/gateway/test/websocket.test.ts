import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Harness } from './support/gateway-harness.js';
import { startHarness } from './support/gateway-harness.js';
import WebSocket from 'ws';
import { WEBSOCKET_SCHEMA, validateSchema } from '@callbridge/gateway';
import { ManualClock } from '@callbridge/testkit';
import { TestSocket } from './support/ws-client.js';

const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n' };
const sipOptions = {
  login: 'alice',
  password: 'alice-secret',
  domain: 'example.test',
  registerRequired: true,
};

describe('WebSocket protocol over a real socket', () => {
  let h: Harness;
  const sockets: TestSocket[] = [];
  const open = async (headers: Record<string, string> = {}): Promise<TestSocket> => {
    const s = await TestSocket.open(h.gateway.websocketUrl, headers);
    sockets.push(s);
    return s;
  };
  beforeEach(async () => {
    h = await startHarness(['--sessions-resume-grace-ms', '5000']);
  });
  afterEach(async () => {
    // Everything the gateway sent must match the schema it serves.
    for (const socket of sockets) {
      for (const message of socket.messages) {
        expect(validateSchema(WEBSOCKET_SCHEMA, message), JSON.stringify(message)).toEqual([]);
      }
    }
    await Promise.all(sockets.splice(0).map((s) => s.close()));
    await h.gateway.stop();
  });

  async function connected(): Promise<{
    socket: TestSocket;
    sessionId: string;
    resumeToken: string;
  }> {
    const socket = await open();
    const response = await socket.request({
      type: 'session.connect',
      protocolVersion: 1,
      sipOptions,
    });
    expect(response).toMatchObject({
      type: 'response',
      result: { protocolVersion: 1, resumeGraceMs: 5000 },
    });
    const { sessionId, resumeToken } = response['result'] as {
      sessionId: string;
      resumeToken: string;
    };
    await socket.waitFor({ type: 'session.status', status: 'ESTABLISHED' });
    return { socket, sessionId, resumeToken };
  }

  it('connects a session and reports CONNECTED, ESTABLISHED, REGISTERED', async () => {
    const { socket, sessionId } = await connected();
    h.backend.lastAccount().emit('registered', { expiresSec: 600 });
    await socket.waitFor({ type: 'session.status', status: 'REGISTERED' });
    const statuses = socket.messages
      .filter((m) => m['type'] === 'session.status')
      .map((m) => [m['sessionId'], m['status']]);
    expect(statuses).toEqual([
      [sessionId, 'CONNECTED'],
      [sessionId, 'ESTABLISHED'],
      [sessionId, 'REGISTERED'],
    ]);
    expect(h.backend.lastAccount().account).toEqual({
      login: 'alice',
      password: 'alice-secret',
      domain: 'example.test',
      registerRequired: true,
    });
  });

  it('answers bad input with typed errors and keeps the connection', async () => {
    const socket = await open();
    socket.send('not json');
    expect(await socket.waitFor({ type: 'error' })).toMatchObject({ code: 'INVALID_JSON' });
    expect(await socket.request({ type: 'call.hold', callId: 'x' })).toMatchObject({
      type: 'error',
      code: 'NOT_CONNECTED',
    });
    expect(await socket.request({ type: 'warp' })).toMatchObject({
      type: 'error',
      code: 'UNKNOWN_MESSAGE_TYPE',
    });
    expect(
      await socket.request({
        type: 'session.connect',
        protocolVersion: 1,
        sipOptions: { login: 'a b', domain: 'x' },
      }),
    ).toMatchObject({
      type: 'error',
      code: 'INVALID_MESSAGE',
      details: { path: '/sipOptions/login' },
    });
    expect(await socket.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
  });

  it('runs an outbound call: create, progress, answer SDP, DTMF, hold, hangup', async () => {
    const { socket } = await connected();
    const created = await socket.request({
      type: 'call.create',
      callId: 'c-1',
      callee: '104',
      visibleName: 'Alice',
      audio: true,
      video: false,
      sdp: offer,
    });
    expect(created).toMatchObject({
      type: 'response',
      result: { callId: 'c-1', status: 'PENDING' },
    });
    const leg = h.backend.lastLeg();
    expect(leg.request?.media).toEqual({ kind: 'webrtc', offer });
    leg.emit('progress', {
      status: 'SESSION_PROGRESS',
      sipStatus: 183,
      sipReason: 'Session Progress',
      browserDescription: { type: 'answer', sdp: 'v=0\r\nearly' },
    });
    expect(await socket.waitFor({ type: 'call.status', status: 'SESSION_PROGRESS' })).toMatchObject(
      { sipStatus: 183, sdp: { type: 'answer', sdp: 'v=0\r\nearly' } },
    );
    leg.emit('established', { mediaMode: 'relay' });
    await socket.waitFor({ type: 'call.status', status: 'ESTABLISHED' });
    expect(
      await socket.request({ type: 'call.dtmf', callId: 'c-1', digits: '5', dtmfType: 'INFO' }),
    ).toMatchObject({ type: 'response' });
    expect(await socket.request({ type: 'call.hold', callId: 'c-1' })).toMatchObject({
      result: { status: 'HOLD' },
    });
    expect(await socket.request({ type: 'call.hangup', callId: 'c-1' })).toMatchObject({
      result: { status: 'FINISH' },
    });
    expect(leg.actions.map((a) => a.op)).toEqual(['dtmf', 'hold', 'hangup']);
    const statuses = socket.messages
      .filter((m) => m['type'] === 'call.status')
      .map((m) => m['status']);
    expect(statuses).toEqual([
      'NEW',
      'PENDING',
      'SESSION_PROGRESS',
      'ESTABLISHED',
      'HOLD',
      'FINISH',
    ]);
  });

  it('delivers incoming calls and several calls per session', async () => {
    const { socket } = await connected();
    await socket.request({
      type: 'call.create',
      callId: 'out-1',
      callee: '100',
      audio: true,
      video: false,
      sdp: offer,
    });
    h.backend.lastLeg().emit('established', { mediaMode: 'relay' });
    const legIn = h.backend.lastAccount().ring({
      caller: 'bob',
      video: true,
      browserOffer: { type: 'offer', sdp: 'v=0\r\nfrom-gateway' },
    });
    const incoming = await socket.waitFor({ type: 'call.incoming' });
    expect(incoming).toMatchObject({
      caller: 'bob',
      video: true,
      sdp: { type: 'offer', sdp: 'v=0\r\nfrom-gateway' },
    });
    const answered = await socket.request({
      type: 'call.answer',
      callId: incoming['callId'],
      sdp: { type: 'answer', sdp: 'v=0\r\nbrowser' },
    });
    expect(answered).toMatchObject({ type: 'response' });
    expect(legIn.actions[0]).toEqual({
      op: 'answer',
      media: { type: 'answer', sdp: 'v=0\r\nbrowser' },
    });
    legIn.emit('established', { mediaMode: 'relay' });
    await socket.waitFor(
      (m) =>
        m['type'] === 'call.status' &&
        m['callId'] === incoming['callId'] &&
        m['status'] === 'ESTABLISHED',
    );
    expect(
      await socket.request({
        type: 'call.transfer',
        callId: 'out-1',
        replacesCallId: incoming['callId'],
      }),
    ).toMatchObject({ type: 'response' });
  });

  it('lets the REST API make the browser place a call (call.originate)', async () => {
    const { socket, sessionId } = await connected();
    const started = await h.post('/call/startup', {
      sessionId,
      callId: 'click-1',
      callee: '103',
      visibleName: 'Shop',
    });
    expect(started).toMatchObject({
      status: 200,
      json: { call: { id: 'click-1', status: 'NEW' } },
    });
    expect(await socket.waitFor({ type: 'call.originate' })).toMatchObject({
      callId: 'click-1',
      callee: '103',
      visibleName: 'Shop',
      audio: true,
      video: false,
    });
    const created = await socket.request({
      type: 'call.create',
      callId: 'click-1',
      callee: '103',
      audio: true,
      video: false,
      sdp: offer,
    });
    expect(created).toMatchObject({
      type: 'response',
      result: { callId: 'click-1', status: 'PENDING' },
    });
    expect(h.backend.lastLeg().request).toMatchObject({
      callId: 'click-1',
      callee: '103',
      visibleName: 'Shop',
      media: { kind: 'webrtc', offer },
    });
  });

  it('resumes a session on a new socket within the grace period, calls intact', async () => {
    const { socket, sessionId, resumeToken } = await connected();
    await socket.request({
      type: 'call.create',
      callId: 'keep',
      callee: '100',
      audio: true,
      video: false,
      sdp: offer,
    });
    h.backend.lastLeg().emit('established', { mediaMode: 'relay' });
    await socket.close();
    const other = await open();
    expect(
      await other.request({
        type: 'session.resume',
        protocolVersion: 1,
        sessionId,
        resumeToken: 'forged',
      }),
    ).toMatchObject({ code: 'SESSION_RESUME_REJECTED' });
    const again = await open();
    expect(
      await again.request({ type: 'session.resume', protocolVersion: 1, sessionId, resumeToken }),
    ).toMatchObject({ type: 'response', result: { sessionId } });
    expect(await again.waitFor({ type: 'call.status', callId: 'keep' })).toMatchObject({
      status: 'ESTABLISHED',
    });
    expect(h.backend.lastLeg().actions).toEqual([]);
  });

  it('ends the session when the browser leaves for good (session.disconnect)', async () => {
    const { socket } = await connected();
    await socket.request({
      type: 'call.create',
      callId: 'bye',
      callee: '100',
      audio: true,
      video: false,
      sdp: offer,
    });
    await socket.request({ type: 'session.disconnect' });
    expect(h.backend.lastLeg().actions).toEqual([{ op: 'hangup' }]);
    expect(h.backend.lastAccount().closed).toBe(true);
    expect(h.gateway.service.sessions.size).toBe(0);
  });

  it('refuses foreign origins, wrong paths, and too many connections', async () => {
    await expect(
      TestSocket.open(h.gateway.websocketUrl, { Origin: 'https://evil.example' }),
    ).rejects.toThrow('HTTP 403');
    await expect(TestSocket.open(h.gateway.websocketUrl.replace('/ws', '/nope'))).rejects.toThrow(
      'HTTP 404',
    );
    const sameOrigin = await open({ Origin: h.gateway.url });
    expect(await sameOrigin.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    await h.gateway.stop();
    h = await startHarness(['--limits-ws-connects-per-minute', '1']);
    await open();
    await expect(TestSocket.open(h.gateway.websocketUrl)).rejects.toThrow('HTTP 429');
  });
});

describe('WebSocket heartbeat', () => {
  it('pings every interval and drops a peer that stops answering', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const h = await startHarness([], { clock });
    try {
      const silent = new WebSocket(h.gateway.websocketUrl, { autoPong: false });
      await new Promise((r) => silent.once('open', r));
      let pings = 0;
      silent.on('ping', () => pings++);
      const closed = new Promise((r) => silent.once('close', r));
      clock.advance(30_000);
      await expect.poll(() => pings).toBe(1);
      clock.advance(30_000);
      await closed;
      await expect
        .poll(() => h.gateway.metrics.render())
        .toContain('callbridge_websocket_connections 0');
    } finally {
      await h.gateway.stop();
    }
  });
});
