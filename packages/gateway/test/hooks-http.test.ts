// Event and authorization hooks against a real application server on 127.0.0.1.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Harness } from './support/gateway-harness.js';
import { startHarness } from './support/gateway-harness.js';

const sipOptions = { login: 'alice', password: 'alice-secret', domain: 'example.test' };

interface Received {
  path: string;
  auth: string | undefined;
  body: { event: string; sequence?: number; data: Record<string, unknown> };
}

describe('hooks with a real application server', () => {
  let app: Server;
  let appUrl: string;
  const received: Received[] = [];
  let h: Harness;

  beforeEach(async () => {
    received.length = 0;
    app = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        const body = JSON.parse(text) as Received['body'];
        received.push({ path: req.url ?? '', auth: req.headers.authorization, body });
        const allowed = req.url !== '/authorize' || body.data['callee'] === '100';
        res.writeHead(allowed ? 204 : 403).end();
      });
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    h = await startHarness([
      '--hooks-url',
      `${appUrl}/events`,
      '--hooks-authorize-url',
      `${appUrl}/authorize`,
      '--hooks-token',
      'app-secret',
    ]);
  });

  afterEach(async () => {
    await h.gateway.stop();
    await new Promise<void>((r) => app.close(() => r()));
  });

  it('asks before each outbound call and refuses what the application refuses', async () => {
    const allowed = await h.post('/call/startup', {
      sipOptions,
      callee: '100',
      mediaSource: { kind: 'echo' },
    });
    expect(allowed.status).toBe(200);
    const refused = await h.post('/call/startup', {
      sipOptions,
      callee: '0900666',
      mediaSource: { kind: 'echo' },
    });
    expect(refused).toMatchObject({
      status: 403,
      json: { error: { code: 'HOOK_REJECTED', details: { hookStatus: 403 } } },
    });
    const asks = received.filter((r) => r.path === '/authorize');
    expect(asks.map((r) => r.body.data['callee'])).toEqual(['100', '0900666']);
    expect(asks[0]).toMatchObject({
      auth: 'Bearer app-secret',
      body: {
        event: 'call.authorize',
        data: {
          login: 'alice',
          domain: 'example.test',
          audio: true,
          video: false,
          source: '127.0.0.1',
        },
      },
    });
    expect(JSON.stringify(asks)).not.toContain('alice-secret');
    expect(h.backend.accounts.flatMap((a) => a.legs)).toHaveLength(1);
  });

  it('posts call and session events in order', async () => {
    const started = await h.post('/call/startup', {
      callId: 'hooked',
      sipOptions,
      callee: '100',
      mediaSource: { kind: 'echo' },
    });
    expect(started.status).toBe(200);
    h.backend.lastLeg().emit('established', { mediaMode: 'relay' });
    await h.post('/call/terminate', { callId: 'hooked' });
    await expect
      .poll(() =>
        received
          .filter((r) => r.body.event === 'call.status')
          .map((r) => (r.body.data['call'] as { status: string }).status),
      )
      .toEqual(['NEW', 'PENDING', 'ESTABLISHED', 'FINISH']);
    const events = received.filter((r) => r.path === '/events');
    expect(events.some((r) => r.body.event === 'session.status')).toBe(true);
    expect(events.every((r) => r.auth === 'Bearer app-secret')).toBe(true);
    const sequences = events.map((r) => r.body.sequence!);
    expect(new Set(sequences).size).toBe(sequences.length);
  });
});
