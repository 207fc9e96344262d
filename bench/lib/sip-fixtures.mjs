// The SIP bench corpus and what each parser reads from a parsed message, shared by bench/sip.mjs
// (throughput) and bench/lib/sip-callgrind.mjs (instruction counts under valgrind).
//
// Fairness: peers get a ready-made string (no decode cost); callbridge gets bytes. Every parser
// then reads what a SIP stack needs from each message (top Via branch, From tag, To tag, Call-ID,
// CSeq number and method, Request-URI or status) from its parsed object, so lazy header parsing
// does not skip work the others do.
import { createRequire } from 'node:module';
import { parseMessage } from '@callbridge/sip';

const require = createRequire(import.meta.url);
const CRLF = '\r\n';
const msg = (lines, body = '') =>
  lines.join(CRLF) + CRLF + `Content-Length: ${Buffer.byteLength(body)}` + CRLF + CRLF + body;

const sdp = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.101',
  's=-',
  'c=IN IP4 192.0.2.101',
  't=0 0',
  'm=audio 49172 RTP/AVP 0 8 9 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join(CRLF);

export const corpus = {
  INVITE: msg(
    [
      'INVITE sip:bob@biloxi.example.com SIP/2.0',
      'Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport',
      'Max-Forwards: 70',
      'To: Bob <sip:bob@biloxi.example.com>',
      'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
      'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
      'CSeq: 314159 INVITE',
      'Contact: <sip:alice@pc33.atlanta.example.com;transport=udp>',
      'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, UPDATE, PRACK',
      'Supported: replaces, timer, 100rel',
      'Session-Expires: 1800;refresher=uac',
      'P-Asserted-Identity: "Alice" <sip:+15551234567@atlanta.example.com;user=phone>',
      'User-Agent: callbridge-bench/1.0',
      'Content-Type: application/sdp',
    ],
    sdp,
  ),
  '200 OK': msg(
    [
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport=5060;received=192.0.2.101',
      'To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf',
      'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
      'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
      'CSeq: 314159 INVITE',
      'Contact: <sip:bob@192.0.2.4;transport=udp>',
      'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, UPDATE',
      'Supported: replaces, timer',
      'Server: callbridge-bench/1.0',
      'Content-Type: application/sdp',
    ],
    sdp
      .replace(/alice/g, 'bob')
      .replace(/192\.0\.2\.101/g, '192.0.2.4')
      .replace('49172', '3456'),
  ),
  REGISTER: msg([
    'REGISTER sip:registrar.biloxi.example.com SIP/2.0',
    'Via: SIP/2.0/UDP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7;rport',
    'Max-Forwards: 70',
    'To: Bob <sip:bob@biloxi.example.com>',
    'From: Bob <sip:bob@biloxi.example.com>;tag=456248',
    'Call-ID: 843817637684230@998sdasdh09',
    'CSeq: 1826 REGISTER',
    'Contact: <sip:bob@192.0.2.4;transport=udp>;expires=3600',
    'Authorization: Digest username="bob", realm="biloxi.example.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:registrar.biloxi.example.com", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    'User-Agent: callbridge-bench/1.0',
    'Expires: 3600',
  ]),
  OPTIONS: msg([
    'OPTIONS sip:carol@chicago.example.com SIP/2.0',
    'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKhjhs8ass877',
    'Max-Forwards: 70',
    'To: <sip:carol@chicago.example.com>',
    'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710',
    'CSeq: 63104 OPTIONS',
  ]),
};

const encoder = new TextEncoder();
export const bytes = Object.fromEntries(
  Object.entries(corpus).map(([k, v]) => [k, encoder.encode(v)]),
);

/** Sums lengths so the reads cannot be optimised away. */
const touch = (branch, fromTag, toTag, callId, seq, method, target) =>
  branch.length +
  fromTag.length +
  (toTag ?? '').length +
  callId.length +
  seq +
  method.length +
  target;

export function callbridge(b) {
  const m = parseMessage(b);
  const cseq = m.cseq;
  return touch(
    m.topVia.branch,
    m.from.tag,
    m.to.tag,
    m.callId,
    cseq.seq,
    cseq.method,
    m.kind === 'request' ? m.uri.scheme.length : m.status,
  );
}

export function sipPkgRead(s) {
  const m = sipPkg.parse(s);
  const h = m.headers;
  return touch(
    h.via[0].params.branch,
    h.from.params.tag,
    h.to.params.tag,
    h['call-id'],
    h.cseq.seq,
    h.cseq.method,
    m.method === undefined ? m.status : m.uri.length,
  );
}

export function jssipRead(s) {
  const m = jssipParser.parseMessage(s, jssipUa);
  return touch(
    m.via_branch,
    m.from_tag,
    m.to_tag,
    m.call_id,
    m.cseq,
    m.method,
    m.status_code ?? m.ruri.scheme.length,
  );
}

export function sipjsRead(s) {
  const m = sipjs.Parser.parseMessage(s, sipjsLogger);
  return touch(
    m.viaBranch,
    m.fromTag,
    m.toTag,
    m.callId,
    m.cseq,
    m.method,
    m.statusCode ?? m.ruri.scheme.length,
  );
}

const jssipParser = require('jssip/lib/Parser');
const jssipUa = {};
const sipjs = require('sip.js/lib/core/messages/parser.js');
const sipjsLogger = { debug() {}, log() {}, warn() {}, error() {} };
const sipPkg = require('sip');
