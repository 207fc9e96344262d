// The transaction layer over real loopback UDP with chosen datagrams dropped: every
// retransmission path of RFC 3261 §17 (and the 2xx/ACK paths of §13.3.1.4 / §13.2.2.4).
import { afterEach, describe, expect, it } from 'vitest';
import {
  LossyTransport,
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
    expect(count(client.sent, 'OPTIONS')).toBe(2);
    expect(count(server.sent, 'x SIP/2.0 200')).toBe(1);
    expect(count(server.sent, 'SIP/2.0 200')).toBe(1);
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
    expect(count(bobSent, 'SIP/2.0 200')).toBe(2);
    expect(count(aliceSent, 'x ACK')).toBe(1);
    expect(count(aliceSent, 'ACK')).toBe(1);
    expect(acks).toBe(1);
    expect(session.state).toBe('confirmed');
    expect(bob.sessions[0]?.state).toBe('confirmed');
  });
});
