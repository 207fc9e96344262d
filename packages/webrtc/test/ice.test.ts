import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  IceLiteAgent,
  StunAttr,
  StunMessage,
  StunMethod,
  StunWriter,
  UdpMux,
  formatCandidate,
  hostCandidate,
  shortTermKey,
  stunMessageType,
  type IceParameters,
  type MuxEndpoint,
  type RemoteAddress,
} from '@callbridge/webrtc';
import { ManualClock } from '@callbridge/testkit';

const local: IceParameters = { usernameFragment: 'lite', password: 'litepasswordlitepassword' };
const remote: IceParameters = { usernameFragment: 'brow', password: 'browserpasswordbrowserpw' };
const from: RemoteAddress = { family: 'IPv4', address: '127.0.0.1', port: 50000 };

function check(
  options: {
    username?: string;
    password?: string;
    useCandidate?: boolean;
    controlled?: boolean;
    fingerprint?: boolean;
  } = {},
): StunMessage {
  const w = new StunWriter(stunMessageType(StunMethod.Binding, 'request'), randomBytes(12))
    .addText(
      StunAttr.Username,
      options.username ?? `${local.usernameFragment}:${remote.usernameFragment}`,
    )
    .addUint32(StunAttr.Priority, 1853824767);
  if (options.controlled) w.addUint64(StunAttr.IceControlled, 5n);
  else w.addUint64(StunAttr.IceControlling, 7n);
  if (options.useCandidate) w.addFlag(StunAttr.UseCandidate);
  w.addMessageIntegrity(shortTermKey(options.password ?? local.password));
  if (options.fingerprint !== false) w.addFingerprint();
  return StunMessage.parse(w.finish().slice());
}

describe('ICE-lite agent (RFC 8445 §7.3)', () => {
  it('answers a valid check with XOR-MAPPED-ADDRESS, integrity and fingerprint', () => {
    const agent = new IceLiteAgent({ local, remote, software: 'callbridge' });
    const request = check();
    const response = agent.handleStun(request, from);
    expect(response).toBeDefined();
    const m = StunMessage.parse(response!);
    expect(m.messageClass).toBe('success');
    expect(m.transactionId).toEqual(request.transactionId);
    expect(m.xorMappedAddress).toEqual({ family: 'IPv4', address: '127.0.0.1', port: 50000 });
    expect(m.verifyIntegrity(shortTermKey(local.password))).toBe(true);
    expect(m.verifyFingerprint()).toBe(true);
    expect(agent.state).toBe('checking');
    expect(agent.selectedAddress).toBeUndefined();
    expect(agent.bestAddress).toEqual(from);
  });

  it('drops and counts bad integrity, bad or missing fingerprint, unknown ufrag', () => {
    const agent = new IceLiteAgent({ local, remote });
    expect(agent.handleStun(check({ password: 'wrong-password-wrong-pw' }), from)).toBeUndefined();
    expect(agent.handleStun(check({ fingerprint: false }), from)).toBeUndefined();
    const tampered = check().bytes.slice();
    tampered[tampered.length - 1]! ^= 1;
    expect(agent.handleStun(StunMessage.parse(tampered), from)).toBeUndefined();
    expect(agent.handleStun(check({ username: 'other:brow' }), from)).toBeUndefined();
    expect(agent.handleStun(check({ username: 'lite:someoneelse' }), from)).toBeUndefined();
    expect(agent.counters).toMatchObject({
      badIntegrity: 1,
      badFingerprint: 2,
      unknownUsername: 2,
      responses: 0,
    });
    expect(agent.state).toBe('new');
  });

  it('answers a controlled peer with 487 Role Conflict', () => {
    const agent = new IceLiteAgent({ local, remote });
    const m = StunMessage.parse(agent.handleStun(check({ controlled: true }), from)!);
    expect(m.messageClass).toBe('error');
    expect(m.errorCode).toEqual({ code: 487, reason: 'Role Conflict' });
    expect(m.verifyIntegrity(shortTermKey(local.password))).toBe(true);
    expect(agent.counters.roleConflicts).toBe(1);
  });

  it('answers unknown comprehension-required attributes with 420 (RFC 8489 §6.3.1)', () => {
    const agent = new IceLiteAgent({ local, remote });
    const bytes = new StunWriter(stunMessageType(StunMethod.Binding, 'request'), randomBytes(12))
      .addText(StunAttr.Username, 'lite:brow')
      .add(0x7fff, Uint8Array.of(1, 2, 3, 4))
      .add(0xc057, Uint8Array.of(0, 1, 0, 0)) // comprehension-optional (Chrome's network info)
      .addMessageIntegrity(shortTermKey(local.password))
      .addFingerprint()
      .finish()
      .slice();
    const m = StunMessage.parse(agent.handleStun(StunMessage.parse(bytes), from)!);
    expect(m.errorCode?.code).toBe(420);
    expect(Array.from(m.get(StunAttr.UnknownAttributes)!)).toEqual([0x7f, 0xff]);
    expect(m.verifyIntegrity(shortTermKey(local.password))).toBe(true);
    expect(agent.counters.unknownAttributes).toBe(1);
    expect(agent.state).toBe('new');
  });

  it('selects the nominated pair and follows a re-nomination', () => {
    const agent = new IceLiteAgent({ local, remote });
    const selected: RemoteAddress[] = [];
    agent.on('selected', (a) => selected.push(a));
    agent.handleStun(check(), from);
    agent.handleStun(check({ useCandidate: true }), from);
    agent.handleStun(check({ useCandidate: true }), from);
    const other = { ...from, port: 50001 };
    agent.handleStun(check({ useCandidate: true }), other);
    expect(selected).toEqual([from, other]);
    expect(agent.state).toBe('connected');
    expect(agent.selectedAddress).toEqual(other);
  });

  it('consent expires 30 s after the last check on the selected pair (RFC 7675)', () => {
    const clock = new ManualClock(1_000_000);
    const agent = new IceLiteAgent({ local, remote, clock });
    let expired = 0;
    agent.on('consent-expired', () => expired++);
    agent.handleStun(check({ useCandidate: true }), from);
    for (let i = 0; i < 10; i++) {
      clock.advance(5000);
      agent.handleStun(check(), from);
    }
    expect(expired).toBe(0);
    // Checks from another address do not renew consent for the selected pair.
    clock.advance(20_000);
    agent.handleStun(check(), { ...from, port: 1 });
    clock.advance(9_999);
    expect(expired).toBe(0);
    clock.advance(1);
    expect(expired).toBe(1);
    expect(agent.state).toBe('expired');
    // The browser is heard again and nominates: media may resume.
    agent.handleStun(check({ useCandidate: true }), from);
    expect(agent.state).toBe('connected');
  });

  it('ICE restart: old credentials work until the peer uses the new ones', () => {
    const agent = new IceLiteAgent({ local, remote });
    agent.handleStun(check({ useCandidate: true }), from);
    const retired: string[] = [];
    agent.on('credentials-retired', (ufrag) => retired.push(ufrag));
    const fresh = agent.restart({ usernameFragment: 'new1', password: 'newpasswordnewpassword12' });
    agent.setRemoteParameters({ usernameFragment: 'brw2', password: 'x'.repeat(22) });
    expect(agent.usernameFragments).toEqual(['new1', 'lite']);
    expect(agent.handleStun(check(), from)).toBeDefined();
    const withNew = check({ username: 'new1:brw2', password: fresh.password, useCandidate: true });
    expect(agent.handleStun(withNew, from)).toBeDefined();
    expect(agent.usernameFragments).toEqual(['new1']);
    expect(retired).toEqual(['lite']);
    expect(agent.handleStun(check(), from)).toBeUndefined();
    expect(agent.state).toBe('connected');
  });

  it('formats host candidates, with the announced address and TCP passive', () => {
    expect(formatCandidate(hostCandidate('203.0.113.5', 40000))).toBe(
      'candidate:1 1 udp 2130706431 203.0.113.5 40000 typ host',
    );
    expect(formatCandidate(hostCandidate('203.0.113.5', 443, 'tcp'))).toMatch(
      /^candidate:2 1 tcp \d+ 203\.0\.113\.5 443 typ host tcptype passive$/,
    );
  });
});

describe('UDP mux: many sessions on one port', () => {
  const sockets: Socket[] = [];
  let mux: UdpMux | undefined;
  afterEach(() => {
    mux?.close();
    for (const s of sockets.splice(0)) s.close();
  });

  async function client(): Promise<{ socket: Socket; received: Uint8Array[] }> {
    const socket = createSocket('udp4');
    const received: Uint8Array[] = [];
    socket.on('message', (m) => received.push(new Uint8Array(m)));
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    sockets.push(socket);
    return { socket, received };
  }

  it('routes checks by ufrag and other packets by the validated address', async () => {
    mux = await UdpMux.bind({ address: '127.0.0.1', announcedAddress: '198.51.100.7' });
    expect(mux.candidates()[0]).toMatchObject({ address: '198.51.100.7', port: mux.port });
    const sessions = ['aaaa', 'bbbb'].map((ufrag) => {
      const agent = new IceLiteAgent({
        local: { usernameFragment: ufrag, password: local.password },
      });
      const packets: string[] = [];
      const endpoint: MuxEndpoint = {
        handleStun: (message, source) => {
          const response = agent.handleStun(message, source);
          if (response) mux!.send(response.slice(), source);
          return response !== undefined;
        },
        handlePacket: (packet) => packets.push(new TextDecoder().decode(packet)),
      };
      mux!.register(ufrag, endpoint);
      return { agent, packets };
    });
    const a = await client();
    const b = await client();
    const port = mux.port;
    a.socket.send(check({ username: 'aaaa:x' }).bytes, port, '127.0.0.1');
    b.socket.send(
      check({ username: 'bbbb:y', password: 'wrong-password-wrong-pw' }).bytes,
      port,
      '127.0.0.1',
    );
    b.socket.send(check({ username: 'bbbb:y' }).bytes, port, '127.0.0.1');
    await until(() => a.received.length === 1 && b.received.length === 1);
    a.socket.send(new TextEncoder().encode('\x80from-a'), port, '127.0.0.1');
    b.socket.send(new TextEncoder().encode('\x80from-b'), port, '127.0.0.1');
    const c = await client();
    c.socket.send(new TextEncoder().encode('\x80from-c'), port, '127.0.0.1');
    await until(
      () =>
        sessions[0]!.packets.length === 1 &&
        sessions[1]!.packets.length === 1 &&
        mux!.counters.unroutable === 1,
    );
    expect(sessions[0]!.packets).toEqual(['\x80from-a']);
    expect(sessions[1]!.packets).toEqual(['\x80from-b']);
    expect(sessions[1]!.agent.counters.badIntegrity).toBe(1);
    expect(mux.sessionCount).toBe(2);
  });
});

describe('UDP mux with several bindings', () => {
  it('announces one candidate per binding and answers from the socket that was reached', async () => {
    const mux = await UdpMux.bind({
      bindings: [
        { address: '127.0.0.1' },
        { address: '127.0.0.1', announcedAddress: '203.0.113.9' },
      ],
    });
    const socket = createSocket('udp4');
    try {
      const candidates = mux.candidates();
      expect(candidates.map((c) => c.address)).toEqual(['127.0.0.1', '203.0.113.9']);
      expect(candidates[0]!.priority).toBeGreaterThan(candidates[1]!.priority);
      const agent = new IceLiteAgent({
        local: { usernameFragment: 'mult', password: local.password },
      });
      mux.register('mult', {
        handleStun: (message, source) => {
          const response = agent.handleStun(message, source);
          if (response) mux.send(response.slice(), source);
          return response !== undefined;
        },
        handlePacket: () => {},
      });
      const replies: number[] = [];
      socket.on('message', (_m, rinfo) => replies.push(rinfo.port));
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
      socket.send(check({ username: 'mult:x' }).bytes, candidates[1]!.port, '127.0.0.1');
      await until(() => replies.length === 1);
      expect(replies).toEqual([candidates[1]!.port]);
      expect(candidates[1]!.port).not.toBe(candidates[0]!.port);
    } finally {
      socket.close();
      mux.close();
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
