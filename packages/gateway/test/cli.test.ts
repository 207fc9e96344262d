// The built `callbridge` CLI as a real process (npm test builds before it runs the tests).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess } from '@callbridge/testkit';
import type { RunningProcess } from '@callbridge/testkit';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

describe('callbridge CLI', () => {
  let gateway: RunningProcess;
  let url: string;

  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
    gateway = await startProcess(
      process.execPath,
      [cli, '--listen-port', '0', '--log-level', 'info'],
      {
        env: { ...process.env, CALLBRIDGE_API_TOKENS: 'cli-test-token-0123456789' },
        readyPattern: /"msg":"gateway listening"/,
      },
    );
    const line = gateway
      .output()
      .split('\n')
      .find((l) => l.includes('"gateway listening"'))!;
    url = (JSON.parse(line) as { url: string }).url;
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  it('serves the Phone UI, the SDK and /health on 127.0.0.1, logging JSON lines', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = (await (await fetch(`${url}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok' });
    const page = await fetch(`${url}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('Enter your number here');
    expect((await fetch(`${url}/sdk/index.js`)).status).toBe(200);
    for (const line of gateway
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))) {
      expect(JSON.parse(line)).toHaveProperty('level');
    }
    expect(gateway.output()).not.toContain('cli-test-token-0123456789');
  });

  it('stops gracefully on SIGTERM', async () => {
    await gateway.stop(5000);
    expect(gateway.child.exitCode).toBe(0);
    expect(gateway.output()).toContain('"msg":"gateway stopped"');
  });

  it('rejects a bad setting with exit code 2 and names it', () => {
    const run = spawnSync(
      process.execPath,
      [cli, 'check-config', '--media-rtp-ports', '5000-4000'],
      { encoding: 'utf8' },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--media-rtp-ports (flag): min 5000 is above max 4000');
    const ok = spawnSync(
      process.execPath,
      [cli, 'check-config', '--api-tokens', 'secret-token-0123456789'],
      { encoding: 'utf8' },
    );
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      listen: { host: '127.0.0.1', port: 8080 },
      api: { tokens: ['[redacted]'] },
    });
    const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    expect(help.stdout).toContain('--sip-outbound-proxy');
    expect(help.stdout).toContain('CALLBRIDGE_SIP_OUTBOUND_PROXY');
  });
});
