// Interop with SIPp on 127.0.0.1: its built-in uas and uac scenarios against this stack, and a
// REGISTER-with-digest scenario against the built-in registrar.
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SipServer,
  StreamTransport,
  UdpTransport,
  UserAgent,
  type Transport,
} from '@callbridge/sip';
import {
  PEERS,
  freePort,
  needsPeers,
  startProcess,
  udpPortBound,
  type RunningProcess,
} from '@callbridge/testkit';

const SDP = {
  body: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
  contentType: 'application/sdp',
};
const scenario = (name: string): string =>
  fileURLToPath(new URL(`../../../conformance/sipp/${name}`, import.meta.url));

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((c) => c()));
});

async function sipp(args: string[]): Promise<{ code: number | null; output: string }> {
  const proc: RunningProcess = await startProcess('sipp', [
    ...args,
    '-nostdin',
    '-trace_err',
    '-timeout',
    '20s',
  ]);
  cleanup.push(() => proc.stop());
  const code = await new Promise<number | null>((resolve) => {
    if (proc.child.exitCode !== null) resolve(proc.child.exitCode);
    else proc.child.once('exit', (c) => resolve(c));
  });
  return { code, output: proc.output() };
}

function userAgent(transports: Transport[]): UserAgent {
  const ua = new UserAgent({
    transports,
    aor: 'sip:callbridge@127.0.0.1',
    userAgent: 'callbridge-test',
  });
  cleanup.push(() => ua.close(200));
  return ua;
}

describe.skipIf(needsPeers(PEERS.sipp).skip)('SIPp interop', () => {
  it('calls the built-in uas scenario over UDP (INVITE, 180, 200, ACK, BYE)', async () => {
    const port = await freePort('udp');
    const proc = await startProcess(
      'sipp',
      [
        '-sn',
        'uas',
        '-i',
        '127.0.0.1',
        '-p',
        String(port),
        '-m',
        '1',
        '-nostdin',
        '-timeout',
        '20s',
      ],
      { readyCheck: () => udpPortBound(port) },
    );
    cleanup.push(() => proc.stop());
    const ua = userAgent([await UdpTransport.create()]);
    const call = ua.invite(`sip:service@127.0.0.1:${port}`, { offer: SDP });
    const statuses: number[] = [];
    call.on('progress', (r) => statuses.push(r.status));
    const session = await call.answered;
    expect(statuses).toContain(180);
    const bye = await session.bye();
    expect(bye?.status).toBe(200);
    const code = await new Promise<number | null>((resolve) => {
      if (proc.child.exitCode !== null) resolve(proc.child.exitCode);
      else proc.child.once('exit', (c) => resolve(c));
    });
    expect(code, proc.output()).toBe(0);
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`answers the built-in uac scenario over ${transport.toUpperCase()}`, async () => {
      const t = transport === 'udp' ? await UdpTransport.create() : await StreamTransport.tcp();
      const ua = userAgent([t]);
      let answered = 0;
      let ended = 0;
      ua.on('invite', (call) => {
        call.ring();
        const session = call.accept(SDP);
        answered++;
        session.on('terminated', () => ended++);
      });
      const local = await freePort(transport);
      const { code, output } = await sipp([
        '-sn',
        'uac',
        `127.0.0.1:${t.local.port}`,
        '-s',
        'callbridge',
        '-i',
        '127.0.0.1',
        '-p',
        String(local),
        '-t',
        transport === 'udp' ? 'u1' : 't1',
        '-m',
        '3',
        '-r',
        '10',
        '-d',
        '200',
      ]);
      expect(code, output).toBe(0);
      expect(answered).toBe(3);
      expect(ended).toBe(3);
    });
  }

  it('registers with digest against the built-in registrar (conformance/sipp/register-digest.xml)', async () => {
    const udp = await UdpTransport.create();
    const registrar = new SipServer({
      transports: [udp],
      domains: ['example.test'],
      users: (u) => (u === 'alice' ? { password: 'secret' } : undefined),
      // SIPp 3.6 answers only the first challenge and computes only MD5.
      algorithms: ['MD5'],
    });
    cleanup.push(() => registrar.close());
    const registered: string[] = [];
    registrar.on('registered', (b) => registered.push(b.aor));
    const local = await freePort('udp');
    const { code, output } = await sipp([
      '-sf',
      scenario('register-digest.xml'),
      `127.0.0.1:${udp.local.port}`,
      '-s',
      'alice',
      '-au',
      'alice',
      '-ap',
      'secret',
      '-key',
      'domain',
      'example.test',
      '-i',
      '127.0.0.1',
      '-p',
      String(local),
      '-m',
      '1',
    ]);
    expect(code, output).toBe(0);
    expect(registered).toEqual(['sip:alice@example.test']);
    expect(registrar.lookup('sip:alice@example.test')).toHaveLength(0);
  });
});
