import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as gateway from '@callbridge/gateway';
import type { Call, SessionStatusEvent } from '@callbridge/client';
import { SESSION_STATUS, connectSession, createSession, websocketUrl } from '@callbridge/client';
import { BackendDouble } from '../../gateway/test/support/backend-double.js';

/** ws's client, recording instances so a test can cut the connection like a network drop. */
const sockets: WebSocket[] = [];
class RecordingWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    sockets.push(this);
  }
}
const WebSocketImpl = RecordingWebSocket as unknown as typeof globalThis.WebSocket;

const sipOptions = {
  login: 'alice',
  password: 'alice-secret',
  domain: 'example.test',
  registerRequired: true,
};

function waitFor<T>(register: (resolve: (value: T) => void) => void, timeoutMs = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
    register((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

describe('websocketUrl', () => {
  it('normalises urlServer', () => {
    expect(websocketUrl('http://127.0.0.1:8080')).toBe('ws://127.0.0.1:8080/ws');
    expect(websocketUrl('wss://gw.example/ws')).toBe('wss://gw.example/ws');
    expect(() => websocketUrl('ftp://x')).toThrow(/urlServer/);
  });
});

describe('Session against a running gateway (backend test double)', () => {
  let running: gateway.RunningGateway;
  let backend: BackendDouble;
  beforeEach(async () => {
    backend = new BackendDouble();
    const config = gateway.loadConfig({
      argv: [
        '--listen-port',
        '0',
        '--sip-domain',
        'example.test',
        '--sessions-resume-grace-ms',
        '5000',
      ],
    });
    running = await gateway.startGateway({
      config,
      backendFactory: () => backend,
      logger: gateway.silentLogger,
      staticMounts: {},
    });
  });
  afterEach(async () => {
    await running.stop();
    sockets.length = 0;
  });

  it('reports session statuses in order and disconnects cleanly', async () => {
    const session = createSession({ urlServer: running.url, sipOptions, WebSocket: WebSocketImpl });
    const seen: string[] = [];
    for (const s of ['CONNECTED', 'ESTABLISHED', 'REGISTERED', 'DISCONNECTED'] as const)
      session.on(s, (e: SessionStatusEvent) => seen.push(e.status));
    await waitFor<void>((done) => session.on(SESSION_STATUS.ESTABLISHED, () => done()));
    backend.lastAccount().emit('registered', { expiresSec: 60 });
    await waitFor<void>((done) => session.on(SESSION_STATUS.REGISTERED, () => done()));
    await session.disconnect();
    expect(seen).toEqual(['CONNECTED', 'ESTABLISHED', 'REGISTERED', 'DISCONNECTED']);
    expect(backend.lastAccount().closed).toBe(true);
  });

  it('reports FAILED with the reason when the account cannot be bound', async () => {
    backend.failBind = { reason: 'AUTHENTICATION_FAILED', sipStatus: 403, sipReason: 'Forbidden' };
    const session = createSession({ urlServer: running.url, sipOptions, WebSocket: WebSocketImpl });
    const failed = await waitFor<SessionStatusEvent>((done) =>
      session.on(SESSION_STATUS.FAILED, done),
    );
    expect(failed.failure).toMatchObject({ reason: 'AUTHENTICATION_FAILED', sipStatus: 403 });
  });

  it('delivers an incoming call and rejects it with 603', async () => {
    const session = await connectSession({
      urlServer: running.url,
      sipOptions,
      WebSocket: WebSocketImpl,
    });
    if (session.status() !== 'ESTABLISHED')
      await waitFor<void>((done) => session.on(SESSION_STATUS.ESTABLISHED, () => done()));
    const incoming = waitFor<Call>((done) => session.on(SESSION_STATUS.INCOMING_CALL, done));
    const leg = backend.lastAccount().ring({ caller: 'bob' });
    const call = await incoming;
    expect([call.status(), call.caller(), call.direction()]).toEqual(['RING', 'bob', 'inbound']);
    await call.reject();
    expect(leg.actions).toEqual([{ op: 'reject', sipStatus: 603 }]);
    expect(call.status()).toBe('FINISH');
    await session.disconnect();
  });

  it('reconnects after a network drop and resumes the same session', async () => {
    const session = await connectSession({
      urlServer: running.url,
      sipOptions,
      WebSocket: WebSocketImpl,
    });
    const id = session.id();
    const resumed = waitFor<void>((done) => session.on('RESUMED', () => done()), 5000);
    sockets[0]!.terminate();
    await resumed;
    expect(sockets).toHaveLength(2);
    expect(session.id()).toBe(id);
    expect(running.service.getSession(id!)?.attached).toBe(true);
    backend.lastAccount().emit('registered', { expiresSec: 60 });
    await waitFor<void>((done) => session.on(SESSION_STATUS.REGISTERED, () => done()));
    await session.disconnect();
  });
});
