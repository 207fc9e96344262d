import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { freePort, hasCommand, startProcess } from '@callbridge/testkit';

describe('testkit', () => {
  it('starts a process, waits for readiness and stops it by PID', async () => {
    const proc = await startProcess(
      process.execPath,
      ['-e', 'console.log("ready"); setInterval(() => {}, 1000)'],
      {
        readyPattern: /ready/,
      },
    );
    expect(() => process.kill(proc.pid, 0)).not.toThrow();
    await proc.stop();
    expect(() => process.kill(proc.pid, 0)).toThrow();
  });

  it('rejects when the process exits before it is ready', async () => {
    await expect(
      startProcess(process.execPath, ['-e', 'console.log("bye")'], { readyPattern: /never/ }),
    ).rejects.toThrow(/exited before printing/);
  });

  it('finds a UDP port that can be bound', async () => {
    const port = await freePort('udp');
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, '127.0.0.1', resolve);
    });
    socket.close();
  });

  it('tells whether a command exists', () => {
    expect(hasCommand('sh')).toBe(true);
    expect(hasCommand('no-such-command-callbridge')).toBe(false);
  });
});
