import { beforeEach, describe, expect, it } from 'vitest';
import type { CallControlEventMap, SipAccount } from '@callbridge/gateway';
import {
  CallControlService,
  DialPlan,
  GatewayError,
  GatewayMetrics,
  silentLogger,
} from '@callbridge/gateway';
import { BackendDouble } from './support/backend-double.js';
import { ManualClock } from '@callbridge/testkit';

const alice: SipAccount = {
  login: 'alice',
  password: 'alice-secret',
  domain: 'example.test',
  registerRequired: true,
};
const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n' } as const;
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(options: { dialPlan?: DialPlan; backend?: BackendDouble | null } = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const backend = options.backend === null ? undefined : (options.backend ?? new BackendDouble());
  const metrics = new GatewayMetrics();
  const service = new CallControlService({
    backend,
    clock,
    logger: silentLogger,
    metrics,
    dialPlan: options.dialPlan ?? new DialPlan({ defaultPatterns: [], accounts: {} }),
    resumeGraceMs: 10_000,
    incomingAnswerTimeoutMs: 30_000,
    browserOfferTimeoutMs: 15_000,
    retainEndedCallsMs: 60_000,
  });
  const events: { [K in keyof CallControlEventMap]?: CallControlEventMap[K][] } = {};
  const record = <K extends keyof CallControlEventMap>(k: K) =>
    service.on(k, (p) => ((events[k] ??= [] as never) as CallControlEventMap[K][]).push(p));
  record('sessionStatus');
  record('callStatus');
  record('incomingCall');
  record('transferProgress');
  record('dtmfReceived');
  record('originateCall');
  return { clock, backend: backend as BackendDouble, service, events, metrics };
}

async function registeredSession(t: ReturnType<typeof setup>) {
  const session = t.service.openSession({
    origin: 'websocket',
    account: alice,
    source: '127.0.0.1',
  });
  await t.service.bindSession(session.id);
  t.backend.lastAccount().emit('registered', { expiresSec: 600 });
  return session;
}

describe('CallControlService sessions', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it('reports CONNECTED, ESTABLISHED and REGISTERED and never exposes the password', async () => {
    const session = await registeredSession(t);
    expect(t.events.sessionStatus!.map((e) => e.session.status)).toEqual([
      'CONNECTED',
      'ESTABLISHED',
      'REGISTERED',
    ]);
    expect(JSON.stringify(t.events.sessionStatus)).not.toContain('alice-secret');
    expect(t.backend.lastAccount().account.password).toBe('alice-secret');
    expect(t.service.findSessions({ login: 'alice' }).map((s) => s.id)).toEqual([session.id]);
  });

  it('fails the session with the backend failure reason when binding fails', async () => {
    t.backend.failBind = {
      reason: 'SIP_SERVER_UNREACHABLE',
      message: 'no answer from 127.0.0.1:5060',
    };
    const session = t.service.openSession({
      origin: 'websocket',
      account: alice,
      source: '127.0.0.1',
    });
    await expect(t.service.bindSession(session.id)).rejects.toMatchObject({
      code: 'BACKEND_ERROR',
    });
    const last = t.events.sessionStatus!.at(-1)!.session;
    expect(last.status).toBe('FAILED');
    expect(last.failure?.reason).toBe('SIP_SERVER_UNREACHABLE');
  });

  it('fails clearly when no backend is wired in', async () => {
    const u = setup({ backend: null });
    const session = u.service.openSession({
      origin: 'websocket',
      account: alice,
      source: '127.0.0.1',
    });
    await expect(u.service.bindSession(session.id)).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
    });
    expect(u.service.getSession(session.id)?.failure?.reason).toBe('GATEWAY_UNAVAILABLE');
  });

  it('keeps a detached session for the grace period and resumes it with the token only', async () => {
    const session = await registeredSession(t);
    t.service.detachSession(session.id);
    t.clock.advance(9_000);
    expect(() => t.service.resumeSession(session.id, 'wrong-token')).toThrow(GatewayError);
    expect(t.service.resumeSession(session.id, session.resumeToken).attached).toBe(true);
    t.clock.advance(5_000);
    expect(t.service.getSession(session.id)?.status).toBe('REGISTERED');
  });

  it('closes a detached session after the grace period: calls hung up, account released', async () => {
    const session = await registeredSession(t);
    const call = await t.service.startCall(
      { sessionId: session.id, callee: '100', audio: true, video: false },
      { kind: 'webrtc', offer },
    );
    t.service.detachSession(session.id);
    t.clock.advance(10_000);
    await flush();
    expect(t.backend.lastLeg().actions).toEqual([{ op: 'hangup' }]);
    expect(t.backend.lastAccount().closed).toBe(true);
    expect(t.service.getCall(call.id)?.status).toBe('FINISH');
    expect(t.service.getSession(session.id)).toBeUndefined();
    expect(t.events.sessionStatus!.at(-1)!.session.status).toBe('DISCONNECTED');
  });
});

describe('CallControlService calls', () => {
  let t: ReturnType<typeof setup>;
  let sessionId: string;
  beforeEach(async () => {
    t = setup();
    sessionId = (await registeredSession(t)).id;
  });

  it('places a call and follows the backend to ESTABLISHED with the browser answer', async () => {
    const call = await t.service.startCall(
      {
        sessionId,
        callee: '100',
        visibleName: 'Alice',
        audio: true,
        video: false,
        sipHeaders: { 'X-Tag': '1' },
      },
      { kind: 'webrtc', offer },
    );
    const leg = t.backend.lastLeg();
    expect(leg.request).toMatchObject({
      callId: call.id,
      callee: '100',
      visibleName: 'Alice',
      sipHeaders: { 'X-Tag': '1' },
    });
    leg.emit('progress', { status: 'TRYING', sipStatus: 100, sipReason: 'Trying' });
    leg.emit('progress', { status: 'RING', sipStatus: 180, sipReason: 'Ringing' });
    leg.emit('progress', { status: 'RING', sipStatus: 180, sipReason: 'Ringing' });
    leg.emit('established', {
      browserDescription: { type: 'answer', sdp: 'v=0\r\n' },
      mediaMode: 'relay',
    });
    const statuses = t.events.callStatus!.map((e) => e.call.status);
    expect(statuses).toEqual(['NEW', 'PENDING', 'TRYING', 'RING', 'ESTABLISHED']);
    expect(t.events.callStatus!.at(-1)!.browserDescription).toEqual({
      type: 'answer',
      sdp: 'v=0\r\n',
    });
    expect(t.metrics.mediaSessions.get({ mode: 'relay' })).toBe(1);
  });

  it('answers 409 CALL_ID_IN_USE for a taken call id', async () => {
    await t.service.startCall(
      { sessionId, callId: 'fixed', callee: '100', audio: true, video: false },
      { kind: 'webrtc', offer },
    );
    await expect(
      t.service.startCall(
        { sessionId, callId: 'fixed', callee: '101', audio: true, video: false },
        { kind: 'webrtc', offer },
      ),
    ).rejects.toMatchObject({ code: 'CALL_ID_IN_USE', httpStatus: 409 });
  });

  it('reports BUSY with the SIP status, and ignores events after the end', async () => {
    const call = await t.service.startCall(
      { sessionId, callee: '102', audio: true, video: false },
      { kind: 'webrtc', offer },
    );
    const leg = t.backend.lastLeg();
    leg.emit('ended', { kind: 'busy', sipStatus: 486, sipReason: 'Busy Here' });
    leg.emit('established', { mediaMode: 'relay' });
    expect(call.status).toBe('BUSY');
    expect(t.events.callStatus!.at(-1)).toMatchObject({ sipStatus: 486, sipReason: 'Busy Here' });
  });

  it('ignores an invalid backend transition instead of crashing', async () => {
    const call = await t.service.startCall(
      { sessionId, callee: '100', audio: true, video: false },
      { kind: 'webrtc', offer },
    );
    const leg = t.backend.lastLeg();
    leg.emit('established', { mediaMode: 'transcode' });
    leg.emit('progress', { status: 'RING', sipStatus: 180, sipReason: 'Ringing' });
    expect(call.status).toBe('ESTABLISHED');
  });

  it('holds and unholds, combining local and remote hold', async () => {
    const call = await t.service.startCall(
      { sessionId, callee: '100', audio: true, video: false },
      { kind: 'webrtc', offer },
    );
    const leg = t.backend.lastLeg();
    leg.emit('established', { mediaMode: 'relay' });
    await t.service.holdCall(call.id);
    expect(call.status).toBe('HOLD');
    leg.emit('remoteHold', { held: true });
    await t.service.unholdCall(call.id);
    expect(call.status).toBe('HOLD');
    leg.emit('remoteHold', { held: false });
    expect(call.status).toBe('ESTABLISHED');
    expect(leg.actions.map((a) => a.op)).toEqual(['hold', 'unhold']);
    await expect(t.service.unholdCall(call.id)).rejects.toMatchObject({
      code: 'CALL_NOT_ALLOWED_IN_STATE',
    });
  });

  it('transfers blind and attended, and validates DTMF', async () => {
    const a = await t.service.startCall(
      { sessionId, callee: '100', audio: true, video: false },
      { kind: 'webrtc', offer },
    );
    const legA = t.backend.lastLeg();
    legA.emit('established', { mediaMode: 'relay' });
    const b = await t.service.startCall(
      { sessionId, callee: '101', audio: true, video: false },
      { kind: 'webrtc', offer },
    );
    const legB = t.backend.lastLeg();
    await expect(t.service.transferCall(a.id, { replacesCallId: b.id })).rejects.toMatchObject({
      code: 'CALL_NOT_ALLOWED_IN_STATE',
    });
    legB.emit('established', { mediaMode: 'relay' });
    await t.service.transferCall(a.id, { replacesCallId: b.id });
    expect(legA.actions.at(-1)).toEqual({
      op: 'transfer',
      target: { kind: 'attended', replaces: legB },
    });
    await t.service.transferCall(b.id, { target: 'sip:bob@example.test' });
    expect(legB.actions.at(-1)).toEqual({
      op: 'transfer',
      target: { kind: 'blind', target: 'sip:bob@example.test' },
    });
    legB.emit('transferProgress', { sipStatus: 200, sipReason: 'OK', final: true });
    expect(t.events.transferProgress![0]).toMatchObject({ sipStatus: 200, final: true });
    await t.service.sendDtmf(a.id, '12#', 'RFC2833');
    expect(legA.actions.at(-1)).toEqual({ op: 'dtmf', digits: '12#', type: 'RFC2833' });
    await expect(t.service.sendDtmf(a.id, '1x', 'INFO')).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
    });
  });

  it('scopes calls to their session', async () => {
    const call = await t.service.startCall(
      { sessionId, callee: '100', audio: true, video: false },
      { kind: 'webrtc', offer },
    );
    await expect(t.service.hangupCall(call.id, { sessionId: 'other' })).rejects.toMatchObject({
      code: 'CALL_NOT_FOUND',
    });
  });

  it('applies the dial plan per account', async () => {
    const u = setup({
      dialPlan: new DialPlan({ defaultPatterns: ['10[0-4]'], accounts: { bob: ['.*'] } }),
    });
    const s = await registeredSession(u);
    await expect(
      u.service.startCall(
        { sessionId: s.id, callee: '0900123', audio: true, video: false },
        { kind: 'webrtc', offer },
      ),
    ).rejects.toMatchObject({ code: 'DIAL_PLAN_REJECTED' });
    const allowed = await u.service.startCall(
      { sessionId: s.id, callee: '104', audio: true, video: false },
      { kind: 'webrtc', offer },
    );
    expect(allowed.status).toBe('PENDING');
  });

  it('delivers an incoming call, answers it, and rejects with 480 if nobody answers', async () => {
    const account = t.backend.lastAccount();
    const leg = account.ring({ caller: 'carol', browserOffer: offer });
    const incoming = t.events.incomingCall![0]!;
    expect(incoming).toMatchObject({
      call: { status: 'RING', caller: 'carol', direction: 'inbound' },
      browserOffer: offer,
    });
    await t.service.answerCall(incoming.call.id, { type: 'answer', sdp: 'v=0\r\n' }, { sessionId });
    expect(leg.actions[0]).toEqual({ op: 'answer', media: { type: 'answer', sdp: 'v=0\r\n' } });
    leg.emit('established', { mediaMode: 'relay' });
    expect(t.service.getCall(incoming.call.id)?.status).toBe('ESTABLISHED');

    const unanswered = account.ring();
    t.clock.advance(30_000);
    await flush();
    expect(unanswered.actions).toEqual([{ op: 'reject', sipStatus: 480 }]);
  });

  it('answers 480 at once when the browser of the session is away', async () => {
    const session = t.service.getSession(sessionId)!;
    t.service.detachSession(sessionId);
    const leg = t.backend.lastAccount().ring({ caller: 'carol' });
    await flush();
    expect(leg.actions).toEqual([{ op: 'reject', sipStatus: 480 }]);
    expect(t.events.incomingCall).toBeUndefined();
    expect(session.callIds.size).toBe(0);
  });

  it('fails the session and ends its calls when the account is refused', async () => {
    const call = await t.service.startCall(
      { sessionId, callee: '100', audio: true, video: false },
      { kind: 'webrtc', offer },
    );
    t.backend
      .lastAccount()
      .emit('failed', { reason: 'AUTHENTICATION_FAILED', sipStatus: 403, sipReason: 'Forbidden' });
    await flush();
    expect(t.service.getSession(sessionId)?.status).toBe('FAILED');
    expect(call.status).toBe('FINISH');
    expect(t.backend.lastLeg().actions).toEqual([{ op: 'hangup' }]);
    expect(t.metrics.registrations.get({ result: 'failed' })).toBe(1);
  });

  it('reports registration lapses with their reason', () => {
    t.backend.lastAccount().emit('unregistered', {
      failure: { reason: 'SIP_SERVER_UNREACHABLE', message: 'no answer' },
    });
    const last = t.events.sessionStatus!.at(-1)!.session;
    expect([last.status, last.failure?.reason]).toEqual(['UNREGISTERED', 'SIP_SERVER_UNREACHABLE']);
    t.backend.lastAccount().emit('registered', { expiresSec: 60 });
    expect(t.events.sessionStatus!.at(-1)!.session).toMatchObject({
      status: 'REGISTERED',
      failure: null,
    });
  });

  it('drops ended calls after the retention time, and counts calls by state', async () => {
    const call = await t.service.startCall(
      { sessionId, callee: '100', audio: true, video: false },
      { kind: 'webrtc', offer },
    );
    expect(t.metrics.render()).toContain('callbridge_calls{status="PENDING"} 1');
    t.backend
      .lastLeg()
      .emit('ended', { kind: 'failed', failure: { reason: 'FAILED_BY_ICE_ERROR' } });
    expect(t.service.findCalls({ status: 'FAILED' }).map((c) => c.failure?.reason)).toEqual([
      'FAILED_BY_ICE_ERROR',
    ]);
    t.clock.advance(60_000);
    expect(t.service.getCall(call.id)).toBeUndefined();
  });

  it('originates a browser call that waits for the offer, and fails it on timeout', async () => {
    const call = await t.service.originateBrowserCall({
      sessionId,
      callee: '101',
      audio: true,
      video: false,
    });
    expect(t.events.originateCall![0]!.call.id).toBe(call.id);
    const placed = await t.service.startCall(
      { sessionId, callId: call.id, callee: '101', audio: true, video: false },
      { kind: 'webrtc', offer },
    );
    expect(placed).toBe(call);
    expect(call.status).toBe('PENDING');
    const late = await t.service.originateBrowserCall({
      sessionId,
      callee: '101',
      audio: true,
      video: false,
    });
    t.clock.advance(15_000);
    expect(late.status).toBe('FAILED');
    expect(late.failure?.reason).toBe('FAILED_BY_REQUEST_TIMEOUT');
  });

  it('shuts down: every session closed and the backend stopped', async () => {
    await t.service.shutdown();
    expect(t.service.sessions.size).toBe(0);
    expect(t.backend.shutDown).toBe(true);
    expect(() =>
      t.service.openSession({ origin: 'websocket', account: alice, source: '127.0.0.1' }),
    ).toThrow(expect.objectContaining({ code: 'SHUTTING_DOWN' }) as Error);
  });
});
