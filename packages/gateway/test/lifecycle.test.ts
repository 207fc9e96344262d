import { request } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { PEERS, needsPeers, selfSignedCertificate, tempDir } from '@callbridge/testkit';
import { loadConfig, silentLogger, startGateway } from '@callbridge/gateway';
import type { Harness } from './support/gateway-harness.js';
import { startHarness } from './support/gateway-harness.js';

const sipOptions = { login: 'alice', password: 'alice-secret', domain: 'example.test' };

describe('graceful shutdown', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.gateway.stop();
  });

  it('ends calls with BYE, runs shutdown hooks, releases accounts, stops the backend and the listener', async () => {
    h = await startHarness();
    const started = await h.post('/call/startup', {
      sipOptions,
      callee: '100',
      mediaSource: { kind: 'echo' },
    });
    expect(started.status).toBe(200);
    const leg = h.backend.lastLeg();
    leg.emit('established', { mediaMode: 'relay' });
    let hookRan = false;
    h.gateway.onShutdown(() => {
      hookRan = true;
      expect(leg.actions).toEqual([{ op: 'hangup' }]);
    });
    await h.gateway.stop();
    expect(hookRan).toBe(true);
    expect(h.backend.lastAccount().closed).toBe(true);
    expect(h.backend.shutDown).toBe(true);
    await expect(fetch(`${h.gateway.url}/health`)).rejects.toThrow();
    h = undefined;
  });
});

describe.skipIf(needsPeers(PEERS.openssl).skip)('HTTPS and WSS', () => {
  it('serves /health over TLS with the configured certificate', async () => {
    const dir = tempDir('gateway-tls');
    try {
      selfSignedCertificate(dir);
      const config = loadConfig({
        argv: [
          '--listen-port',
          '0',
          '--tls-cert',
          dir.file('cert.pem'),
          '--tls-key',
          dir.file('key.pem'),
          '--sip-domain',
          'example.test',
        ],
      });
      const gateway = await startGateway({ config, logger: silentLogger, staticMounts: {} });
      try {
        expect(gateway.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
        expect(gateway.websocketUrl).toMatch(/^wss:\/\//);
        const body = await new Promise<string>((resolve, reject) => {
          const req = request(`${gateway.url}/health`, { rejectUnauthorized: false }, (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve(text));
          });
          req.on('error', reject);
          req.end();
        });
        expect(JSON.parse(body)).toMatchObject({ status: 'ok', backend: 'absent' });
      } finally {
        await gateway.stop();
      }
    } finally {
      dir.remove();
    }
  });
});
