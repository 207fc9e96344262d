// Registration client against the built-in registrar (with digest), and calls through the
// record-routing proxy.
import { afterEach, describe, expect, it } from 'vitest';
import {
  ManualClock,
  Registerer,
  SipServer,
  StreamTransport,
  UdpTransport,
  UserAgent,
  WebSocketTransport,
  parseMessage,
  type IncomingCall,
  type RegistrationState,
  type Transport,
} from '@callbridge/sip';

const SDP = { body: 'v=0\r\n', contentType: 'application/sdp' };
const users = new Map([
  ['alice', 'alice-pw'],
  ['bob', 'bob-pw'],
]);
const lookup = (u: string): { password: string } | undefined => {
  const password = users.get(u);
  return password === undefined ? undefined : { password };
};

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function server(
  transports?: Transport[],
  clock?: ManualClock,
): Promise<{ server: SipServer; port: number }> {
  const udp = await UdpTransport.create();
  const s = new SipServer({
    transports: [udp, ...(transports ?? [])],
    domains: ['example.test'],
    users: lookup,
    ...(clock ? { clock } : {}),
  });
  closers.push(() => s.close());
  return { server: s, port: udp.local.port };
}

async function phone(
  user: string,
  proxyPort: number,
  options: { clock?: ManualClock; transport?: Transport; protocol?: string } = {},
): Promise<UserAgent> {
  const transport = options.transport ?? (await UdpTransport.create());
  const ua = new UserAgent({
    transports: [transport],
    aor: `sip:${user}@example.test`,
    outboundProxy: `sip:127.0.0.1:${proxyPort}${options.protocol ? `;transport=${options.protocol}` : ''}`,
    credentials: { username: user, password: users.get(user)! },
    resolver: (host) => Promise.resolve(host === 'example.test' ? '127.0.0.1' : host),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  closers.push(() => ua.close());
  return ua;
}

describe('Registerer with the built-in registrar', () => {
  it('registers through a 401, refreshes before expiry and unregisters', async () => {
    const clock = new ManualClock(1_000_000);
    const { server: registrar, port } = await server(undefined, clock);
    const alice = await phone('alice', port, { clock });
    const registerer = new Registerer(alice, { expires: 120 });
    const states: RegistrationState[] = [];
    registerer.on('state', (s) => states.push(s));
    const response = await registerer.register();
    expect(response.status).toBe(200);
    expect(registerer.expires).toBe(120);
    expect(registerer.state).toBe('registered');
    const bindings = registrar.lookup('sip:alice@example.test');
    expect(bindings).toHaveLength(1);
    expect(bindings[0]!.contact.uri.toString()).toBe(alice.contactFor('udp').slice(1, -1));

    // The refresh goes out 30 s before expiry and re-uses the cached credentials (no new 401).
    const refreshed = new Promise<number>((r) => registerer.once('registered', r));
    await clock.advanceAsync(90_000);
    expect(await refreshed).toBe(120);
    expect(states).toEqual(['registering', 'registered', 'registering', 'registered']);

    await registerer.unregister();
    expect(registerer.state).toBe('unregistered');
    expect(registrar.lookup('sip:alice@example.test')).toHaveLength(0);
  });

  it('fails with a wrong password and retries with back-off', async () => {
    const clock = new ManualClock();
    const { port } = await server(undefined, clock);
    const udp = await UdpTransport.create();
    const mallory = new UserAgent({
      transports: [udp],
      aor: 'sip:alice@example.test',
      outboundProxy: `sip:127.0.0.1:${port}`,
      credentials: { username: 'alice', password: 'wrong' },
      resolver: () => Promise.resolve('127.0.0.1'),
      clock,
    });
    closers.push(() => mallory.close());
    const registerer = new Registerer(mallory, { retryMs: 1000 });
    const delays: number[] = [];
    registerer.on('failed', (response, retryIn) => delays.push(response.status, retryIn));
    await registerer.register();
    expect(registerer.state).toBe('failed');
    const second = new Promise((r) => registerer.once('failed', r));
    await clock.advanceAsync(1000);
    await second;
    expect(delays).toEqual([401, 1000, 401, 2000]);
    registerer.stop();
  });

  it('unregisters when the user agent closes', async () => {
    const { server: registrar, port } = await server();
    const alice = await phone('alice', port);
    await new Registerer(alice).register();
    expect(registrar.lookup('sip:alice@example.test')).toHaveLength(1);
    await alice.close();
    expect(registrar.lookup('sip:alice@example.test')).toHaveLength(0);
  });

  it('registers another address of record from the same user agent', async () => {
    const { server: registrar, port } = await server();
    const alice = await phone('alice', port);
    const second = new Registerer(alice, { aor: 'sip:alice-desk@example.test' });
    expect((await second.register()).status).toBe(200);
    expect(registrar.lookup('sip:alice-desk@example.test')).toHaveLength(1);
    expect(registrar.lookup('sip:alice@example.test')).toHaveLength(0);
    second.stop();
  });

  it('answers 423 with Min-Expires and retries with it', async () => {
    const { port } = await server();
    const alice = await phone('alice', port);
    const registerer = new Registerer(alice, { expires: 10 });
    expect((await registerer.register()).status).toBe(200);
    expect(registerer.expires).toBe(60);
    registerer.stop();
  });
});

describe('SipServer as a proxy', () => {
  it('relays a call between two registered phones with record-routing, re-INVITE and BYE', async () => {
    const { server: proxy, port } = await server();
    const alice = await phone('alice', port);
    const bob = await phone('bob', port);
    await new Registerer(alice).register();
    await new Registerer(bob).register();
    const incoming = new Promise<IncomingCall>((r) => bob.once('invite', r));
    const call = alice.invite('sip:bob@example.test', { offer: SDP });
    const inbound = await incoming;
    expect(inbound.request.header('Record-Route')).toContain(`127.0.0.1:${port};lr`);
    inbound.ring();
    const bobSession = inbound.accept(SDP);
    const aliceSession = await call.answered;
    expect(aliceSession.dialog.routeSet.map(String)).toEqual([`<sip:127.0.0.1:${port};lr>`]);
    await new Promise<unknown>((r) => bobSession.once('ack', r));
    const reinvite = await aliceSession.reinvite(SDP);
    expect(reinvite.status).toBe(200);
    const ended = new Promise<string>((r) => bobSession.once('terminated', r));
    expect((await aliceSession.bye())?.status).toBe(200);
    expect(await ended).toBe('remote-bye');
    let relayed = 0;
    proxy.on('relayed', () => relayed++);
    expect(
      (
        await alice.request('MESSAGE', 'sip:nobody@example.test', {
          body: 'hi',
          contentType: 'text/plain',
        })
      ).status,
    ).toBe(404);
    expect(relayed).toBe(0);
  });

  it('relays CANCEL to the callee', async () => {
    const { port } = await server();
    const alice = await phone('alice', port);
    const bob = await phone('bob', port);
    await new Registerer(alice).register();
    await new Registerer(bob).register();
    const cancelled = new Promise<void>((r) =>
      bob.once('invite', (inbound) => {
        inbound.ring();
        inbound.once('cancel', () => r());
      }),
    );
    const call = alice.invite('sip:bob@example.test', { offer: SDP });
    await new Promise((r) => call.once('progress', r));
    call.cancel();
    await cancelled;
    await expect(call.answered).rejects.toMatchObject({ response: { status: 487 } });
  });

  it('reaches a phone registered over WebSocket through its connection', async () => {
    const ws = await WebSocketTransport.create();
    const { port } = await server([ws]);
    const wsClient = await WebSocketTransport.create({ listen: false });
    const bob = await phone('bob', ws.local.port, { transport: wsClient, protocol: 'ws' });
    const alice = await phone('alice', port);
    await new Registerer(bob).register();
    await new Registerer(alice).register();
    const incoming = new Promise<IncomingCall>((r) => bob.once('invite', r));
    const call = alice.invite('sip:bob@example.test', { offer: SDP });
    const inbound = await incoming;
    expect(inbound.flow.protocol).toBe('ws');
    inbound.accept(SDP);
    const session = await call.answered;
    expect((await session.bye())?.status).toBe(200);
  });

  it('relays over TCP and challenges unauthenticated INVITEs with 407', async () => {
    const tcp = await StreamTransport.tcp();
    const { port } = await server([tcp]);
    const bob = await phone('bob', tcp.local.port, {
      transport: await StreamTransport.tcp(),
      protocol: 'tcp',
    });
    await new Registerer(bob).register();
    const raw = await UdpTransport.create();
    closers.push(() => raw.close());
    const invite = `INVITE sip:bob@example.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${raw.local.port};branch=z9hG4bKraw1\r\nFrom: <sip:eve@example.test>;tag=e1\r\nTo: <sip:bob@example.test>\r\nCall-ID: raw1\r\nCSeq: 1 INVITE\r\nContact: <sip:eve@127.0.0.1:${raw.local.port}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
    const answer = new Promise<number>((r) =>
      raw.on('message', (bytes) => {
        const m = parseMessage(bytes);
        if (m.kind === 'response' && m.status >= 200) r(m.status);
      }),
    );
    await raw.send(new TextEncoder().encode(invite), { address: '127.0.0.1', port });
    expect(await answer).toBe(407);
  });
});
