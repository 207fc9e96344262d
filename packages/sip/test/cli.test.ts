// The callbridge-sip command, run as a separate process against the built package.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));
const cli = join(pkg, 'dist', 'cli.js');
const bin = join(pkg, 'bin', 'callbridge-sip.js');
const dir = mkdtempSync(join(tmpdir(), 'callbridge-sip-cli-'));

beforeAll(() => {
  // Build this package so dist/ matches src/.
  spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', pkg], {
    stdio: 'ignore',
  });
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(script: string, args: string[]): { status: number | null; lines: unknown[] } {
  const result = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  return {
    status: result.status,
    lines: result.stdout
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as unknown),
  };
}

describe('callbridge-sip parse', () => {
  it('prints one JSON object per file and exits 0 for valid and invalid messages', () => {
    expect(existsSync(cli)).toBe(true);
    const request = join(dir, 'invite.sip');
    writeFileSync(
      request,
      'INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nl: 3\r\n\r\nabc',
    );
    const response = join(dir, 'ok.sip');
    writeFileSync(response, 'SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n');
    const bad = join(dir, 'bad.sip');
    writeFileSync(bad, 'INVITE sip:bob@example.com SIP/9.0\r\n\r\n');
    const { status, lines } = run(cli, ['parse', request, response, bad]);
    expect(status).toBe(0);
    expect(lines).toEqual([
      {
        file: request,
        ok: true,
        kind: 'request',
        method: 'INVITE',
        requestUri: 'sip:bob@example.com',
        status: null,
        reason: null,
        headers: [
          ['Via', 'SIP/2.0/UDP h;branch=z9hG4bK1'],
          ['l', '3'],
        ],
        bodyLength: 3,
      },
      {
        file: response,
        ok: true,
        kind: 'response',
        method: null,
        requestUri: null,
        status: 200,
        reason: 'OK',
        headers: [['Content-Length', '0']],
        bodyLength: 0,
      },
      {
        file: bad,
        ok: false,
        code: 'UNSUPPORTED_VERSION',
        message: expect.stringContaining('9.0') as unknown,
        response: 505,
      },
    ]);
  });

  it('runs through the package bin and fails only when it cannot run', () => {
    const file = join(dir, 'options.sip');
    writeFileSync(file, 'OPTIONS sip:a@example.com SIP/2.0\r\n\r\n');
    const ok = run(bin, ['parse', file]);
    expect(ok.status).toBe(0);
    expect(ok.lines).toMatchObject([{ ok: true, method: 'OPTIONS' }]);
    expect(run(bin, ['parse', join(dir, 'missing.sip')]).status).toBe(1);
    expect(run(bin, []).status).toBe(2);
    expect(execFileSync(process.execPath, [bin, 'parse', file], { encoding: 'utf8' })).toContain(
      '"ok":true',
    );
  });
});
