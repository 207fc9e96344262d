import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  LossyTransport,
  ManualClock,
  StreamTransport,
  TransportLayer,
  UdpTransport,
  WebSocketTransport,
  createStreamFramer,
  parseUri,
  type Flow,
  type Transport,
} from '@callbridge/sip';
import { PEERS, needsPeers, selfSignedCertificate, tempDir } from '@callbridge/testkit';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function sipMessage(body = '', extra = ''): Uint8Array {
  return encoder.encode(
    `OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK1\r\n${extra}Content-Length: ${encoder.encode(body).length}\r\n\r\n${body}`,
  );
}

function nextMessage(t: Transport): Promise<[Uint8Array, Flow]> {
  return t.next('message');
}

const open: Transport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

async function track<T extends Transport>(t: Promise<T>): Promise<T> {
  const transport = await t;
  open.push(transport);
  return transport;
}

describe('stream framer (RFC 3261 §18.3, RFC 5626 §4.4.1)', () => {
  it('frames by Content-Length across chunk boundaries and finds keep-alives', () => {
    const framer = createStreamFramer(65536);
    const a = sipMessage('hello');
    const b = sipMessage('', 'l: 0\r\n'.slice(0, 0));
    const stream = new Uint8Array([13, 10, 13, 10, ...a, 13, 10, ...b]);
    const out: (string | number)[] = [];
    for (let i = 0; i < stream.length; i += 7) {
      for (const item of framer.push(stream.subarray(i, i + 7)))
        out.push(typeof item === 'string' ? item : item.length);
    }
    expect(out).toEqual(['ping', a.length, 'pong', b.length]);
    expect(framer.bufferedBytes).toBe(0);
  });

  it('accepts the compact form l: and takes a missing Content-Length as an empty body', () => {
    const framer = createStreamFramer(65536);
    const compact = encoder.encode('OPTIONS sip:x SIP/2.0\r\nl: 2\r\n\r\nhi');
    expect(framer.push(compact)).toHaveLength(1);
    const bare = encoder.encode('OPTIONS sip:x SIP/2.0\r\n\r\n');
    expect(framer.push(bare).map((i) => (typeof i === 'string' ? i : i.length))).toEqual([
      bare.length,
    ]);
    expect(() =>
      framer.push(encoder.encode('OPTIONS sip:x SIP/2.0\r\nContent-Length: x\r\n\r\n')),
    ).toThrow(expect.objectContaining({ code: 'FRAMING_ERROR' }));
  });

  it('refuses a message over the size limit before buffering it all', () => {
    const framer = createStreamFramer(100);
    expect(() => framer.push(sipMessage('x'.repeat(200)))).toThrow(
      expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }),
    );
  });
});

describe('UDP transport', () => {
  it('sends and receives datagrams with the source flow', async () => {
    const a = await track(UdpTransport.create());
    const b = await track(UdpTransport.create());
    const received = nextMessage(b);
    const flow = await a.send(sipMessage(), b.local);
    expect(flow).toMatchObject({ protocol: 'udp', remote: b.local });
    const [bytes, from] = await received;
    expect(decoder.decode(bytes)).toContain('OPTIONS');
    expect(from.remote).toEqual(a.local);
    expect(b.reliable).toBe(false);
  });

  it('drops a source over its message rate', async () => {
    const a = await track(UdpTransport.create());
    // A frozen clock: the bucket never refills, so exactly the one-second burst gets through.
    const b = await track(
      UdpTransport.create({ limits: { messagesPerSecond: 5 }, clock: new ManualClock() }),
    );
    let count = 0;
    const fifth = new Promise<void>((resolve) =>
      b.on('message', () => {
        if (++count === 5) resolve();
      }),
    );
    for (let i = 0; i < 21; i++) await a.send(sipMessage(), b.local);
    await fifth;
    await new Promise((r) => setTimeout(r, 200));
    expect(count).toBe(5);
  });

  it('LossyTransport drops the chosen datagrams', async () => {
    const inner = await track(UdpTransport.create());
    const lossy = new LossyTransport(inner, (_b, dir, i) => dir === 'out' && i === 0);
    const b = await track(UdpTransport.create());
    const received = nextMessage(b);
    await lossy.send(sipMessage('first'), b.local);
    await lossy.send(sipMessage('second'), b.local);
    expect(decoder.decode((await received)[0])).toMatch(/second$/);
    expect(lossy.dropped).toEqual({ in: 0, out: 1 });
  });
});

describe('TCP transport', () => {
  it('reuses one connection both ways and answers CRLF pings', async () => {
    const server = await track(StreamTransport.tcp());
    const client = await track(StreamTransport.tcp({ listen: false }));
    const received = nextMessage(server);
    const flow = await client.send(sipMessage('abc'), server.local);
    const [bytes, inbound] = await received;
    expect(decoder.decode(bytes)).toMatch(/abc$/);
    expect(inbound.connectionId).toBeDefined();
    // The response goes back over the same connection (§18.2.2).
    const back = nextMessage(client);
    await server.send(sipMessage('back'), inbound);
    const [reply, replyFlow] = await back;
    expect(decoder.decode(reply)).toMatch(/back$/);
    expect(replyFlow.connectionId).toBe(flow.connectionId);
    expect(server.connectionCount).toBe(1);

    // A raw peer pings with CRLFCRLF and gets the CRLF pong.
    const raw = connect(server.local.port, '127.0.0.1');
    await new Promise((r) => raw.once('connect', r));
    const pong = new Promise<string>((r) => raw.once('data', (d) => r(d.toString('latin1'))));
    raw.write('\r\n\r\n');
    expect(await pong).toBe('\r\n');
    raw.destroy();
  });

  it('sends CRLF keep-alive pings on outbound connections and gets pongs', async () => {
    const server = await track(StreamTransport.tcp());
    const client = await track(
      StreamTransport.tcp({ listen: false, keepAlive: { intervalMs: 20, timeoutMs: 1000 } }),
    );
    const disconnects: Flow[] = [];
    client.on('disconnect', (f) => disconnects.push(f));
    await client.send(sipMessage(), server.local);
    await new Promise((r) => setTimeout(r, 150));
    expect(disconnects).toEqual([]);
    expect(client.connectionCount).toBe(1);
  });

  it('closes a peer that buffers too much, keeps others, and refuses connections over the limit', async () => {
    const server = await track(
      StreamTransport.tcp({ limits: { maxBufferedBytes: 1000, maxConnections: 2 } }),
    );
    const errors: string[] = [];
    server.on('error', (e) => errors.push(e.code));
    const good = await track(StreamTransport.tcp({ listen: false }));
    await good.send(sipMessage(), server.local);
    const slow = connect(server.local.port, '127.0.0.1');
    await new Promise((r) => slow.once('connect', r));
    const closed = new Promise((r) => slow.once('close', r));
    slow.write('OPTIONS sip:x SIP/2.0\r\nX: ' + 'a'.repeat(2000));
    await closed;
    expect(errors).toContain('LIMIT_EXCEEDED');
    // The well-behaved client still gets through.
    const received = nextMessage(server);
    await good.send(sipMessage('still'), server.local);
    expect(decoder.decode((await received)[0])).toMatch(/still$/);

    const second = connect(server.local.port, '127.0.0.1');
    await new Promise((r) => second.once('connect', r));
    const third = connect(server.local.port, '127.0.0.1');
    await new Promise((r) => third.once('close', r));
    expect(server.connectionCount).toBe(2);
    second.destroy();
  });

  it('reports a connect failure as a typed error', async () => {
    const probe = await track(StreamTransport.tcp());
    const port = probe.local.port;
    await probe.close();
    const client = await track(StreamTransport.tcp({ listen: false }));
    await expect(client.send(sipMessage(), { address: '127.0.0.1', port })).rejects.toMatchObject({
      code: 'CONNECT_FAILED',
    });
  });
});

describe.skipIf(needsPeers(PEERS.openssl).skip)('TLS transport', () => {
  it('carries messages over TLS and secure WebSocket with a self-signed certificate', async () => {
    const dir = tempDir('sip-tls');
    const { key, cert } = selfSignedCertificate(dir);
    const pem = { key: readFileSync(key), cert: readFileSync(cert) };
    const server = await track(StreamTransport.tls({ server: pem }));
    const client = await track(StreamTransport.tls({ listen: false, client: { ca: pem.cert } }));
    const received = nextMessage(server);
    await client.send(sipMessage('secret'), server.local);
    const [bytes, flow] = await received;
    expect(decoder.decode(bytes)).toMatch(/secret$/);
    expect(flow.protocol).toBe('tls');

    // Secure WebSocket with the same certificate.
    const wss = await track(WebSocketTransport.create({ secure: pem }));
    const wssClient = await track(
      WebSocketTransport.create({ listen: false, client: { ca: pem.cert } }),
    );
    const overWss = nextMessage(wss);
    await wssClient.send(sipMessage('wss'), wss.local);
    const [wssBytes, wssFlow] = await overWss;
    expect(decoder.decode(wssBytes)).toMatch(/wss$/);
    expect(wssFlow.protocol).toBe('wss');

    const untrusting = await track(StreamTransport.tls({ listen: false }));
    await expect(untrusting.send(sipMessage(), server.local)).rejects.toMatchObject({
      code: 'CONNECT_FAILED',
    });
    dir.remove();
  });
});

describe('WebSocket transport (RFC 7118)', () => {
  it('speaks the sip subprotocol, one message per frame, both directions', async () => {
    const server = await track(WebSocketTransport.create());
    const client = await track(WebSocketTransport.create({ listen: false }));
    const received = nextMessage(server);
    const flow = await client.send(sipMessage('ws'), server.local);
    const [bytes, inbound] = await received;
    expect(decoder.decode(bytes)).toMatch(/ws$/);
    expect(inbound.protocol).toBe('ws');
    const back = nextMessage(client);
    await server.send(sipMessage('reply'), inbound);
    const [reply, replyFlow] = await back;
    expect(decoder.decode(reply)).toMatch(/reply$/);
    expect(replyFlow.connectionId).toBe(flow.connectionId);
  });

  it('sends to a transport=ws URI over wss when that is the only WebSocket transport (§5.2)', async () => {
    const secureOnly = new TransportLayer([
      await track(WebSocketTransport.create({ listen: false, client: { ca: 'unused' } })),
    ]);
    const route = parseUri('sip:127.0.0.1:8443;transport=ws;lr');
    expect(await secureOnly.resolve(route)).toMatchObject({ protocol: 'wss', port: 8443 });
    const both = new TransportLayer([
      await track(WebSocketTransport.create({ listen: false })),
      await track(WebSocketTransport.create({ listen: false, client: { ca: 'unused' } })),
    ]);
    expect((await both.resolve(route)).protocol).toBe('ws');
    expect((await both.resolve(parseUri('sips:127.0.0.1;transport=ws'))).protocol).toBe('wss');
  });

  it('refuses a handshake without the sip subprotocol', async () => {
    const server = await track(WebSocketTransport.create());
    const socket = new WebSocket(server.url, 'chat');
    const outcome = await new Promise<string>((resolve) => {
      socket.once('open', () => resolve('open'));
      socket.once('error', () => resolve('refused'));
    });
    expect(outcome).toBe('refused');
    expect(server.connectionCount).toBe(0);
  });
});
