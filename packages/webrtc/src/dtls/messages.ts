// Handshake message bodies (RFC 5246 §7.4 as amended by RFC 6347 §4.2 and RFC 8422 §5).
import { WebRtcError } from '../errors.js';
import { DTLS_1_2, ExtensionType, HandshakeType } from './constants.js';
import { ByteReader, ByteWriter } from './reader.js';

export interface Extension {
  readonly type: number;
  readonly data: Uint8Array;
}

export interface ClientHello {
  readonly version: number;
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly cookie: Uint8Array;
  readonly cipherSuites: readonly number[];
  readonly extensions: readonly Extension[];
}

export interface ServerHello {
  readonly version: number;
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly cipherSuite: number;
  readonly extensions: readonly Extension[];
}

export interface ServerKeyExchange {
  readonly namedCurve: number;
  readonly publicKey: Uint8Array;
  /** The signed ECParameters + ECPoint (RFC 8422 §5.4). */
  readonly params: Uint8Array;
  readonly signatureScheme: number;
  readonly signature: Uint8Array;
}

export interface CertificateRequest {
  readonly certificateTypes: readonly number[];
  readonly signatureSchemes: readonly number[];
}

function readExtensions(r: ByteReader): Extension[] {
  if (r.remaining === 0) return [];
  const block = r.vector(2, 'extensions');
  const er = new ByteReader(block);
  const out: Extension[] = [];
  while (er.remaining > 0) {
    const type = er.u16('extension type');
    out.push({ type, data: er.vector(2, 'extension data') });
  }
  return out;
}

function writeExtensions(w: ByteWriter, extensions: readonly Extension[]): void {
  if (extensions.length === 0) return;
  w.block(2, (ew) => {
    for (const e of extensions) ew.u16(e.type).vector(2, e.data);
  });
}

function u16List(bytes: Uint8Array, lengthBytes: 1 | 2, what: string): number[] {
  const r = new ByteReader(bytes);
  const list = r.vector(lengthBytes, what);
  r.end(what);
  if (list.length % 2 !== 0) throw new WebRtcError('DTLS_MALFORMED', `${what} has an odd length`);
  const out: number[] = [];
  for (let i = 0; i < list.length; i += 2) out.push((list[i]! << 8) | list[i + 1]!);
  return out;
}

export function parseClientHello(body: Uint8Array): ClientHello {
  const r = new ByteReader(body);
  const version = r.u16('client_version');
  const random = r.bytes(32, 'random');
  const sessionId = r.vector(1, 'session_id');
  const cookie = r.vector(1, 'cookie');
  const suitesBytes = r.vector(2, 'cipher_suites');
  const cipherSuites: number[] = [];
  for (let i = 0; i + 1 < suitesBytes.length; i += 2)
    cipherSuites.push((suitesBytes[i]! << 8) | suitesBytes[i + 1]!);
  r.vector(1, 'compression_methods');
  const extensions = readExtensions(r);
  r.end('ClientHello');
  return { version, random, sessionId, cookie, cipherSuites, extensions };
}

export function writeClientHello(h: ClientHello): Uint8Array {
  const w = new ByteWriter()
    .u16(h.version)
    .bytes(h.random)
    .vector(1, h.sessionId)
    .vector(1, h.cookie);
  w.block(2, (sw) => {
    for (const s of h.cipherSuites) sw.u16(s);
  });
  w.vector(1, Uint8Array.of(0));
  writeExtensions(w, h.extensions);
  return w.finish();
}

export function parseServerHello(body: Uint8Array): ServerHello {
  const r = new ByteReader(body);
  const version = r.u16('server_version');
  const random = r.bytes(32, 'random');
  const sessionId = r.vector(1, 'session_id');
  const cipherSuite = r.u16('cipher_suite');
  const compression = r.u8('compression_method');
  if (compression !== 0) throw new WebRtcError('DTLS_MALFORMED', 'server chose compression');
  const extensions = readExtensions(r);
  r.end('ServerHello');
  return { version, random, sessionId, cipherSuite, extensions };
}

export function writeServerHello(h: ServerHello): Uint8Array {
  const w = new ByteWriter()
    .u16(h.version)
    .bytes(h.random)
    .vector(1, h.sessionId)
    .u16(h.cipherSuite)
    .u8(0);
  writeExtensions(w, h.extensions);
  return w.finish();
}

/** RFC 6347 §4.2.1 HelloVerifyRequest. */
export function writeHelloVerifyRequest(cookie: Uint8Array): Uint8Array {
  return new ByteWriter().u16(DTLS_1_2).vector(1, cookie).finish();
}

export function parseHelloVerifyRequest(body: Uint8Array): Uint8Array {
  const r = new ByteReader(body);
  r.u16('server_version');
  const cookie = r.vector(1, 'cookie');
  r.end('HelloVerifyRequest');
  return cookie;
}

export function writeCertificate(chain: readonly Uint8Array[]): Uint8Array {
  return new ByteWriter()
    .block(3, (w) => {
      for (const c of chain) w.vector(3, c);
    })
    .finish();
}

export function parseCertificate(body: Uint8Array): Uint8Array[] {
  const r = new ByteReader(body);
  const list = new ByteReader(r.vector(3, 'certificate_list'));
  r.end('Certificate');
  const out: Uint8Array[] = [];
  while (list.remaining > 0) out.push(list.vector(3, 'certificate'));
  return out;
}

/** RFC 8422 §5.4: ServerECDHParams with curve_type named_curve (3), then the signature. */
export function writeServerKeyExchange(
  namedCurve: number,
  publicKey: Uint8Array,
  sign: (params: Uint8Array) => { scheme: number; signature: Uint8Array },
): Uint8Array {
  const params = new ByteWriter().u8(3).u16(namedCurve).vector(1, publicKey).finish();
  const { scheme, signature } = sign(params);
  return new ByteWriter().bytes(params).u16(scheme).vector(2, signature).finish();
}

export function parseServerKeyExchange(body: Uint8Array): ServerKeyExchange {
  const r = new ByteReader(body);
  const curveType = r.u8('curve_type');
  if (curveType !== 3) throw new WebRtcError('DTLS_MALFORMED', 'only named curves are supported');
  const namedCurve = r.u16('named_curve');
  const publicKey = r.vector(1, 'public key');
  const params = body.subarray(0, 4 + publicKey.length);
  const signatureScheme = r.u16('signature scheme');
  const signature = r.vector(2, 'signature');
  r.end('ServerKeyExchange');
  return { namedCurve, publicKey, params, signatureScheme, signature };
}

/** RFC 5246 §7.4.4 CertificateRequest (no CA names: WebRTC certificates are self-signed). */
export function writeCertificateRequest(req: CertificateRequest): Uint8Array {
  return new ByteWriter()
    .vector(1, Uint8Array.from(req.certificateTypes))
    .block(2, (w) => {
      for (const s of req.signatureSchemes) w.u16(s);
    })
    .u16(0)
    .finish();
}

export function parseCertificateRequest(body: Uint8Array): CertificateRequest {
  const r = new ByteReader(body);
  const types = r.vector(1, 'certificate_types');
  const schemesBytes = r.vector(2, 'supported_signature_algorithms');
  r.vector(2, 'certificate_authorities');
  r.end('CertificateRequest');
  const signatureSchemes: number[] = [];
  for (let i = 0; i + 1 < schemesBytes.length; i += 2)
    signatureSchemes.push((schemesBytes[i]! << 8) | schemesBytes[i + 1]!);
  return { certificateTypes: Array.from(types), signatureSchemes };
}

/** ClientKeyExchange for ECDHE: the client's ECPoint (RFC 8422 §5.7). */
export function parseClientKeyExchange(body: Uint8Array): Uint8Array {
  const r = new ByteReader(body);
  const point = r.vector(1, 'ecdh_Yc');
  r.end('ClientKeyExchange');
  return point;
}

export function writeDigitallySigned(scheme: number, signature: Uint8Array): Uint8Array {
  return new ByteWriter().u16(scheme).vector(2, signature).finish();
}

export function parseDigitallySigned(body: Uint8Array): { scheme: number; signature: Uint8Array } {
  const r = new ByteReader(body);
  const scheme = r.u16('signature scheme');
  const signature = r.vector(2, 'signature');
  r.end('CertificateVerify');
  return { scheme, signature };
}

// --- extensions ---

export function findExtension(
  extensions: readonly Extension[],
  type: number,
): Uint8Array | undefined {
  return extensions.find((e) => e.type === type)?.data;
}

export const u16ListExtension = (
  type: number,
  values: readonly number[],
  lengthBytes: 1 | 2 = 2,
): Extension => {
  const w = new ByteWriter().block(lengthBytes, (lw) => {
    for (const v of values) lw.u16(v);
  });
  return { type, data: w.finish() };
};

export const parseU16ListExtension = (data: Uint8Array, what: string): number[] =>
  u16List(data, 2, what);

/** RFC 5764 §4.1.1 use_srtp: profiles + empty MKI. */
export function useSrtpExtension(profiles: readonly number[]): Extension {
  const w = new ByteWriter().block(2, (lw) => {
    for (const p of profiles) lw.u16(p);
  });
  w.u8(0);
  return { type: ExtensionType.UseSrtp, data: w.finish() };
}

export function parseUseSrtp(data: Uint8Array): number[] {
  const r = new ByteReader(data);
  const list = r.vector(2, 'SRTPProtectionProfiles');
  r.vector(1, 'srtp_mki');
  r.end('use_srtp');
  const out: number[] = [];
  for (let i = 0; i + 1 < list.length; i += 2) out.push((list[i]! << 8) | list[i + 1]!);
  return out;
}

export const handshakeTypeName = (type: number): string =>
  Object.entries(HandshakeType).find(([, v]) => v === type)?.[0] ?? `handshake(${type})`;
