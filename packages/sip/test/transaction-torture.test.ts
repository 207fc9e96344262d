// The RFC 4475 torture messages delivered over UDP to a user agent: nothing throws, and the
// answers a UAS owes are sent (§8.2 verdicts, 505 for a bad version, silence for responses).
// Every outgoing message is captured and dropped, so nothing leaves 127.0.0.1.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LossyTransport, UdpTransport, UserAgent } from '@callbridge/sip';

const dir = fileURLToPath(new URL('../../../../shared/conformance/rfc4475/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.dat'));
const decoder = new TextDecoder('latin1');

/** Statuses a UAS must answer with (RFC 4475 §3, expectations.json). */
const EXPECTED: Readonly<Record<string, number>> = {
  'intmeth.dat': 501,
  'esc02.dat': 501,
  'badvers.dat': 505,
  'mismatch01.dat': 400,
  'bext01.dat': 420,
  'invut.dat': 415,
  'unkscm.dat': 416,
  'sdp01.dat': 406,
  'multi01.dat': 400,
  'insuf.dat': 400,
};
/** Valid requests: processed normally, so anything but 400. */
const VALID = [
  'wsinv.dat',
  'esc01.dat',
  'escnull.dat',
  'lwsdisp.dat',
  'longreq.dat',
  'semiuri.dat',
  'transports.dat',
  'mpart01.dat',
  'dblreq.dat',
];
/** Responses: never answered. */
const RESPONSES = ['unreason.dat', 'noreason.dat', 'scalarlg.dat', 'bigcode.dat', 'bcast.dat'];

let sender: UdpTransport;
beforeAll(async () => {
  sender = await UdpTransport.create();
});
afterAll(async () => {
  await sender.close();
});

/**
 * Sends one message and collects what the user agent sends back: the first answer, or nothing
 * within `waitMs` (short for messages that must stay unanswered, generous for the rest so a loaded
 * machine does not turn a late answer into a failure).
 */
async function deliver(file: string, waitMs: number): Promise<string[]> {
  const sent: string[] = [];
  let notify: () => void = () => undefined;
  const udp = await UdpTransport.create();
  const capture = new LossyTransport(udp, (bytes, direction) => {
    if (direction === 'out') {
      sent.push(decoder.decode(bytes.subarray(0, 64)).split('\r\n')[0]!);
      notify();
    }
    return direction === 'out';
  });
  const ua = new UserAgent({ transports: [capture], aor: 'sip:ua@127.0.0.1' });
  ua.on('invite', (call) => call.reject(486));
  try {
    const answered = new Promise<void>((resolve) => {
      notify = resolve;
    });
    await sender.send(readFileSync(dir + file), udp.local);
    await Promise.race([answered, new Promise((r) => setTimeout(r, waitMs))]);
    return sent;
  } finally {
    await ua.close(0);
  }
}

describe('RFC 4475 torture messages at a user agent', () => {
  it('finds the corpus', () => expect(files.length).toBeGreaterThanOrEqual(49));

  for (const file of files) {
    it(file, async () => {
      const sent = await deliver(file, RESPONSES.includes(file) ? 250 : 5000);
      const status =
        sent[0] !== undefined ? Number(/^SIP\/2\.0 (\d{3})/.exec(sent[0])?.[1]) : undefined;
      if (file in EXPECTED) expect(status, sent.join(' / ')).toBe(EXPECTED[file]);
      else if (VALID.includes(file)) {
        expect(status).toBeDefined();
        expect(status).not.toBe(400);
      } else if (RESPONSES.includes(file)) expect(sent).toEqual([]);
      // Everything else may be refused or accepted; it only must not break the stack.
    });
  }
});
