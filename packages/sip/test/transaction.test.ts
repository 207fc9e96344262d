// The transaction layer over real loopback UDP with chosen datagrams dropped: every
// retransmission path of RFC 3261 §17 (and the 2xx/ACK paths of §13.3.1.4 / §13.2.2.4).
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  LossyTransport,
  StreamTransport,
  TransactionLayer,
  TransportLayer,
  UdpTransport,
  UserAgent,
  createRequest,
  type DropRule,
  type SipResponse,
  type Target,
} from '@callbridge/sip';

const TIMERS = { t1: 20, t2: 80, t4: 100 };
const decoder = new TextDecoder();

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** Drops the n-th (0-based) outgoing message whose first line starts with `prefix`. */
function dropNth(prefix: string, ...indexes: number[]): DropRule {
  let seen = 0;
  return (bytes, direction) => {
    if (direction !== 'out') return false;
    if (!decoder.decode(bytes.subarray(0, 40)).startsWith(prefix)) return false;
    return indexes.includes(seen++);
  };
}

function count(log: string[], prefix: string): number {
  return log.filter((l) => l.startsWith(prefix)).length;
}

async function lossyEnd(
  drop: DropRule,
): Promise<{ layer: TransactionLayer; lossy: LossyTransport; sent: string[] }> {
  const udp = await UdpTransport.create();
  const sent: string[] = [];
  const lossy = new LossyTransport(udp, (bytes, direction, index) => {
    const dropped = drop(bytes, direction, index);
    if (direction === 'out')
      sent.push(`${dropped ? 'x ' : ''}${decoder.decode(bytes.subarray(0, 30)).split('\r\n')[0]}`);
    return dropped;
  });
  const layer = new TransactionLayer(new TransportLayer([lossy]), { timers: TIMERS });
  closers.push(async () => {
    layer.terminateAll();
    await udp.close();
  });
  return { layer, lossy, sent };
}

function request(method: string, port: number) {
  return createRequest({
    method,
    uri: `sip:server@127.0.0.1:${port}`,
    headers: [
      ['Max-Forwards', '70'],
      ['From', '<sip:client@127.0.0.1>;tag=c1'],
      ['To', '<sip:server@127.0.0.1>'],
      ['Call-ID', `call-${Math.random()}`],
      ['CSeq', `1 ${method}`],
      ['Contact', '<sip:client@127.0.0.1>'],
    ],
  });
}

function finalResponse(
  layer: TransactionLayer,
  method: string,
  port: number,
): Promise<SipResponse> {
  const target: Target = { protocol: 'udp', address: '127.0.0.1', port };
  return new Promise((resolve, reject) => {
    layer.sendRequest(request(method, port), target, {
      response: (r) => {
        if (r.status >= 200) resolve(r);
      },
      failure: (reason) => reject(new Error(reason)),
    });
  });
}

describe('transactions over lossy UDP', () => {
  it('non-INVITE: Timer E retransmits a lost request; a lost response is answered again from Completed', async () => {
    const client = await lossyEnd(dropNth('OPTIONS', 0, 1));
    const server = await lossyEnd(dropNth('SIP/2.0 200', 0));
    let requests = 0;
    server.layer.on('request', (tx) => {
      requests++;
      tx.reply(200);
    });
    const response = await finalResponse(client.layer, 'OPTIONS', server.lossy.local.port);
    expect(response.status).toBe(200);
    // Two requests lost, the third reached the server; its 200 was lost, so a fourth request
    // was needed and the server transaction replayed its 200 without asking the TU again.
    expect(count(client.sent, 'x OPTIONS')).toBe(2);
    // At least the one the server answered and the one its replayed 200 answered (more when the
    // machine is slow and Timer E fires again).
    expect(count(client.sent, 'OPTIONS')).toBeGreaterThanOrEqual(2);
    expect(count(server.sent, 'x SIP/2.0 200')).toBe(1);
    expect(count(server.sent, 'SIP/2.0 200')).toBeGreaterThanOrEqual(1);
    expect(requests).toBe(1);
  });

  it('non-INVITE: Timer F fails the transaction when every request is lost', async () => {
    const client = await lossyEnd(() => false);
    const silent = await lossyEnd((_b, dir) => dir === 'in');
    await expect(finalResponse(client.layer, 'OPTIONS', silent.lossy.local.port)).rejects.toThrow(
      'timeout',
    );
    // 64*T1 = 1280 ms with E at 20, 40, 80, 80, ...: about 17 transmissions.
    expect(count(client.sent, 'OPTIONS')).toBeGreaterThan(10);
  });

  it('INVITE: Timer A retransmits a lost INVITE; a lost 486 and a lost ACK are recovered (Timers G and the client re-ACK)', async () => {
    const server = await lossyEnd(dropNth('SIP/2.0 486', 0));
    const ackDrop = dropNth('ACK', 0);
    const inviteDrop = dropNth('INVITE', 0);
    const clientWithAckLoss = await lossyEnd((b, d, i) => inviteDrop(b, d, i) || ackDrop(b, d, i));
    const acks: string[] = [];
    server.layer.on('request', (tx) => tx.reply(486));
    server.lossy.on('message', (bytes) => {
      if (decoder.decode(bytes.subarray(0, 3)) === 'ACK') acks.push('ack');
    });
    const response = await finalResponse(
      clientWithAckLoss.layer,
      'INVITE',
      server.lossy.local.port,
    );
    expect(response.status).toBe(486);
    await new Promise((r) => setTimeout(r, 300));
    expect(count(clientWithAckLoss.sent, 'x INVITE')).toBe(1);
    expect(count(server.sent, 'x SIP/2.0 486')).toBe(1);
    // The lost ACK made the server retransmit its 486 (Timer G); the client ACKed it again.
    expect(count(clientWithAckLoss.sent, 'x ACK')).toBe(1);
    expect(count(clientWithAckLoss.sent, 'ACK')).toBeGreaterThanOrEqual(1);
    expect(acks.length).toBeGreaterThanOrEqual(1);
  });

  it('INVITE server: sends 100 Trying on its own when the TU is slow to answer', async () => {
    const client = await lossyEnd(() => false);
    const server = await lossyEnd(() => false);
    const provisional: number[] = [];
    server.layer.on('request', (tx) => {
      setTimeout(() => tx.reply(603), 400);
    });
    const target: Target = { protocol: 'udp', address: '127.0.0.1', port: server.lossy.local.port };
    const done = new Promise<number>((resolve) =>
      client.layer.sendRequest(request('INVITE', target.port), target, {
        response: (r) => {
          if (r.status < 200) provisional.push(r.status);
          else resolve(r.status);
        },
      }),
    );
    expect(await done).toBe(603);
    expect(provisional).toEqual([100]);
  });
});

describe('2xx and ACK over lossy UDP (user agents)', () => {
  async function agent(name: string, drop: DropRule, sent: string[]): Promise<UserAgent> {
    const udp = await UdpTransport.create();
    const lossy = new LossyTransport(udp, (bytes, direction, index) => {
      const dropped = drop(bytes, direction, index);
      if (direction === 'out')
        sent.push(`${dropped ? 'x ' : ''}${decoder.decode(bytes.subarray(0, 12))}`);
      return dropped;
    });
    const ua = new UserAgent({ transports: [lossy], aor: `sip:${name}@127.0.0.1`, timers: TIMERS });
    closers.push(() => ua.close(100));
    return ua;
  }

  it('a lost 200 is retransmitted by the callee and a lost ACK is re-sent for the retransmitted 200', async () => {
    const bobSent: string[] = [];
    const aliceSent: string[] = [];
    const bob = await agent('bob', dropNth('SIP/2.0 200', 0), bobSent);
    const alice = await agent('alice', dropNth('ACK', 0), aliceSent);
    let acks = 0;
    bob.on('invite', (call) => {
      const session = call.accept({ body: 'v=0\r\n', contentType: 'application/sdp' });
      session.on('ack', () => acks++);
    });
    const port = bob.transports.transports[0]!.local.port;
    const call = alice.invite(`sip:bob@127.0.0.1:${port}`, {
      offer: { body: 'v=0\r\n', contentType: 'application/sdp' },
    });
    const session = await call.answered;
    await new Promise((r) => setTimeout(r, 300));
    expect(count(bobSent, 'x SIP/2.0 200')).toBe(1);
    // The retransmitted 200 whose ACK was lost, and the one after it that got the re-sent ACK.
    expect(count(bobSent, 'SIP/2.0 200')).toBeGreaterThanOrEqual(2);
    expect(count(aliceSent, 'x ACK')).toBe(1);
    expect(count(aliceSent, 'ACK')).toBeGreaterThanOrEqual(1);
    expect(acks).toBe(1);
    expect(session.state).toBe('confirmed');
    expect(bob.sessions[0]?.state).toBe('confirmed');
  });
});

describe('transaction layer edge cases', () => {
  async function rawPeer(): Promise<{ udp: UdpTransport; next: () => Promise<string> }> {
    const udp = await UdpTransport.create();
    closers.push(() => udp.close());
    const queue: string[] = [];
    const waiting: ((s: string) => void)[] = [];
    udp.on('message', (bytes) => {
      const text = decoder.decode(bytes);
      const w = waiting.shift();
      if (w) w(text);
      else queue.push(text);
    });
    return {
      udp,
      next: () => {
        const queued = queue.shift();
        return queued !== undefined ? Promise.resolve(queued) : new Promise((r) => waiting.push(r));
      },
    };
  }

  const raw = (startLine: string, headers: string[], port: number): Uint8Array =>
    new TextEncoder().encode(
      `${startLine}\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKmal\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: mal\r\n${headers.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`,
    );

  it('answers requests that do not parse with the response the parser names (400, 505)', async () => {
    const server = await lossyEnd(() => false);
    const peer = await rawPeer();
    const to = { address: '127.0.0.1', port: server.lossy.local.port };
    await peer.udp.send(
      raw('OPTIONS sip:b@127.0.0.1 SIP/2.0', ['CSeq: x OPTIONS'], peer.udp.local.port),
      to,
    );
    const bad = await peer.next();
    expect(bad).toMatch(/^SIP\/2.0 400 /);
    expect(bad).toContain('Call-ID: mal');
    expect(bad).toMatch(/To: <sip:b@127.0.0.1>;tag=\w+/);
    await peer.udp.send(
      raw('OPTIONS sip:b@127.0.0.1 SIP/7.0', ['CSeq: 1 OPTIONS'], peer.udp.local.port),
      to,
    );
    expect(await peer.next()).toMatch(/^SIP\/2.0 505 /);
  });

  it('matches RFC 2543 requests (no magic cookie): retransmissions replay, the ACK confirms', async () => {
    const server = await lossyEnd(() => false);
    const peer = await rawPeer();
    let requests = 0;
    server.layer.on('request', (tx) => {
      requests++;
      tx.reply(486);
    });
    const port = peer.udp.local.port;
    const invite = (method: string, toTag = ''): Uint8Array =>
      new TextEncoder().encode(
        `${method} sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port}\r\nFrom: <sip:a@127.0.0.1>;tag=old\r\nTo: <sip:b@127.0.0.1>${toTag}\r\nCall-ID: rfc2543\r\nCSeq: 1 ${method}\r\nContact: <sip:a@127.0.0.1:${port}>\r\nContent-Length: 0\r\n\r\n`,
      );
    const to = { address: '127.0.0.1', port: server.lossy.local.port };
    await peer.udp.send(invite('INVITE'), to);
    const first = await peer.next();
    expect(first).toMatch(/^SIP\/2.0 486/);
    const tag = /To: [^\r]*;tag=(\w+)/.exec(first)![1]!;
    await peer.udp.send(invite('INVITE'), to);
    expect(await peer.next()).toMatch(/^SIP\/2.0 486/);
    expect(requests).toBe(1);
    let acksToTu = 0;
    server.layer.on('ack', () => acksToTu++);
    await peer.udp.send(invite('ACK', `;tag=${tag}`), to);
    await new Promise((r) => setTimeout(r, 150));
    // Confirmed: no more 486 retransmissions, and the ACK did not reach the TU.
    const sentBefore = count(server.sent, 'SIP/2.0 486');
    await new Promise((r) => setTimeout(r, 200));
    expect(count(server.sent, 'SIP/2.0 486')).toBe(sentBefore);
    expect(acksToTu).toBe(0);
  });

  it('sends a UDP request over TCP when it is within 200 bytes of the MTU (§18.1.1)', async () => {
    const tcp = await StreamTransport.tcp();
    let udp: UdpTransport | undefined;
    try {
      udp = await UdpTransport.create({ port: tcp.local.port });
    } catch {
      // The UDP port with the TCP port's number is taken: nothing to test on this run.
      await tcp.close();
      return;
    }
    const server = new TransactionLayer(new TransportLayer([udp, tcp]), { timers: TIMERS });
    const client = new TransactionLayer(
      new TransportLayer([
        await UdpTransport.create(),
        await StreamTransport.tcp({ listen: false }),
      ]),
      { timers: TIMERS },
    );
    closers.push(async () => {
      server.terminateAll();
      client.terminateAll();
      await server.transport.close();
      await client.transport.close();
    });
    const received = new Promise<string>((resolve) =>
      server.on('request', (tx) => {
        resolve(`${tx.flow.protocol} ${tx.request.topVia?.transport}`);
        tx.reply(200);
      }),
    );
    const big = request('MESSAGE', tcp.local.port);
    big.setBody('x'.repeat(1400), 'text/plain');
    const done = new Promise<number>((resolve) =>
      client.sendRequest(
        big,
        { protocol: 'udp', address: '127.0.0.1', port: tcp.local.port },
        {
          response: (r) => resolve(r.status),
        },
      ),
    );
    expect(await received).toBe('tcp TCP');
    expect(await done).toBe(200);
  });

  it('fails a request at once when its connection closes before the answer (§17.1.2.2)', async () => {
    // A server that reads the request and hangs up without answering.
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.once('data', () => socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    // Timer F far beyond the test: only the closed connection can end the transaction.
    const client = new TransactionLayer(
      new TransportLayer([await StreamTransport.tcp({ listen: false })]),
      { timers: { t1: 60_000 } },
    );
    closers.push(async () => {
      client.terminateAll();
      await client.transport.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    const failed = new Promise<string>((resolve) =>
      client.sendRequest(
        request('OPTIONS', port),
        { protocol: 'tcp', address: '127.0.0.1', port },
        {
          response: (r) => resolve(`response ${r.status}`),
          failure: (reason) => resolve(reason),
        },
      ),
    );
    expect(await failed).toBe('transport-error');
    expect(client.size.client).toBe(0);
  });
});
