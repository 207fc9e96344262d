import * as transform from 'sdp-transform';
import { SdpError } from './errors.js';
import type {
  Bandwidth,
  ConnectionAddress,
  CryptoAttribute,
  Fingerprint,
  HeaderExtension,
  IceCandidate,
  IceParameters,
  MediaDirection,
  MediaGroup,
  MediaSection,
  MediaStreamId,
  Origin,
  OtherAttribute,
  RtcpFeedback,
  RtpCodec,
  SessionDescription,
  SetupRole,
  SsrcAttribute,
  SsrcGroup,
} from './model.js';
import { staticPayloadType } from './static-payload-types.js';

export interface ParseOptions {
  /** Bodies longer than this many characters are refused with SDP_TOO_LARGE. Default 65536. */
  readonly maxLength?: number;
  /** Bodies with more m= sections are refused with SDP_TOO_LARGE. Default 64. */
  readonly maxMediaSections?: number;
}

/**
 * Attributes that have a field in the model. Every other a= line is kept in `otherAttributes`
 * (raw, in order) so that a parse/serialize round trip drops nothing.
 */
const MODELED_ATTRIBUTES = new Set([
  'rtpmap',
  'fmtp',
  'rtcp-fb',
  'rtcp',
  'rtcp-mux',
  'rtcp-rsize',
  'ptime',
  'maxptime',
  'sendrecv',
  'sendonly',
  'recvonly',
  'inactive',
  'mid',
  'ice-ufrag',
  'ice-pwd',
  'ice-options',
  'ice-lite',
  'candidate',
  'end-of-candidates',
  'fingerprint',
  'setup',
  'crypto',
  'ssrc',
  'ssrc-group',
  'msid',
  'msid-semantic',
  'extmap',
  'extmap-allow-mixed',
  'bundle-only',
  'group',
  'sctp-port',
  'max-message-size',
]);

const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
const SETUP_ROLES: ReadonlySet<string> = new Set(['actpass', 'active', 'passive', 'holdconn']);
const CANDIDATE_TYPES: ReadonlySet<string> = new Set(['host', 'srflx', 'prflx', 'relay']);
const TCP_TYPES: ReadonlySet<string> = new Set(['active', 'passive', 'so']);

// RFC 4566 §5.2 o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
const ORIGIN_LINE = /^(\S+) (\d+) (\d+) IN (IP4|IP6) (\S+)$/;
// RFC 4566 §5.14 m=<media> <port>[/<number of ports>] <proto> <fmt> ...
const MEDIA_LINE = /^([A-Za-z0-9_.-]+) (\d+)(?:\/(\d+))? ([A-Za-z0-9_./-]+)((?: \S+)*) *$/;
// RFC 4566 §5.7 c=<nettype> <addrtype> <connection-address>
const CONNECTION_LINE = /^IN (IP4|IP6) (\S+)$/;
const LINE = /^([a-z])=(.*)$/;

/** Raw lines of one level (session, or one m= section), as scanned before sdp-transform runs. */
interface RawSection {
  mediaLine?: {
    kind: string;
    port: number;
    portCount?: number;
    protocol: string;
    formats: string[];
  };
  attributes: { name: string; value?: string }[];
}

function malformed(message: string, line?: number, mediaIndex?: number): SdpError {
  const options: { line?: number; mediaIndex?: number } = {};
  if (line !== undefined) options.line = line;
  if (mediaIndex !== undefined) options.mediaIndex = mediaIndex;
  return new SdpError('SDP_MALFORMED', message, options);
}

/**
 * Checks the line grammar sdp-transform does not check (it silently drops what it cannot read)
 * and collects what this model reads from the raw text: the o= line, m= lines and every attribute.
 */
function scan(text: string, maxMediaSections: number): { origin: Origin; sections: RawSection[] } {
  const lines = text.split(/\r\n|\r|\n/);
  const sections: RawSection[] = [{ attributes: [] }];
  let origin: Origin | undefined;
  let sawVersion = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const lineNumber = i + 1;
    if (line.length === 0) continue;
    const match = LINE.exec(line);
    if (!match)
      throw malformed(
        `line ${lineNumber} is not <type>=<value>: ${JSON.stringify(line.slice(0, 80))}`,
        lineNumber,
      );
    const type = match[1] ?? '';
    const value = match[2] ?? '';
    if (!sawVersion) {
      if (type !== 'v') throw malformed('an SDP body must start with v=0', lineNumber);
      if (value !== '0') throw malformed(`unsupported SDP version v=${value}`, lineNumber);
      sawVersion = true;
      continue;
    }
    const current = sections[sections.length - 1]!;
    switch (type) {
      case 'v':
        throw malformed('a second v= line', lineNumber);
      case 'o': {
        if (sections.length > 1 || origin)
          throw malformed('o= must appear once, before any m= line', lineNumber);
        const o = ORIGIN_LINE.exec(value);
        if (!o) throw malformed(`bad o= line: ${JSON.stringify(value)}`, lineNumber);
        origin = {
          username: o[1]!,
          sessionId: o[2]!,
          sessionVersion: o[3]!,
          addressType: o[4] as 'IP4' | 'IP6',
          address: o[5]!,
        };
        break;
      }
      case 'm': {
        const mediaIndex = sections.length - 1;
        if (mediaIndex >= maxMediaSections)
          throw new SdpError('SDP_TOO_LARGE', `more than ${maxMediaSections} m= sections`, {
            line: lineNumber,
          });
        const m = MEDIA_LINE.exec(value);
        if (!m) throw malformed(`bad m= line: ${JSON.stringify(value)}`, lineNumber, mediaIndex);
        const port = Number(m[2]);
        if (port > 65535) throw malformed(`m= port ${port} out of range`, lineNumber, mediaIndex);
        const formats = (m[5] ?? '')
          .trim()
          .split(/ +/)
          .filter((f) => f.length > 0);
        if (formats.length === 0)
          throw malformed('m= line without any format', lineNumber, mediaIndex);
        const protocol = m[4]!;
        if (/RTP\//i.test(protocol)) {
          for (const f of formats) {
            if (!/^\d{1,3}$/.test(f) || Number(f) > 127)
              throw malformed(
                `RTP payload type ${JSON.stringify(f)} out of range 0..127`,
                lineNumber,
                mediaIndex,
              );
          }
        }
        const mediaLine: NonNullable<RawSection['mediaLine']> = {
          kind: m[1]!,
          port,
          protocol,
          formats,
        };
        if (m[3] !== undefined) mediaLine.portCount = Number(m[3]);
        sections.push({ mediaLine, attributes: [] });
        break;
      }
      case 'c':
        if (!CONNECTION_LINE.test(value))
          throw malformed(
            `bad c= line: ${JSON.stringify(value)}`,
            lineNumber,
            sections.length - 2 >= 0 ? sections.length - 2 : undefined,
          );
        break;
      case 'a': {
        const colon = value.indexOf(':');
        if (colon < 0) current.attributes.push({ name: value });
        else
          current.attributes.push({ name: value.slice(0, colon), value: value.slice(colon + 1) });
        break;
      }
      default:
        // Other types (s, i, u, e, p, b, t, r, z, k) are read by sdp-transform or ignored.
        break;
    }
  }
  if (!sawVersion) throw malformed('empty SDP body');
  if (!origin) throw malformed('missing o= line');
  return { origin, sections };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));

function connectionOf(
  c: { version: number; ip: string } | undefined,
): ConnectionAddress | undefined {
  if (!c) return undefined;
  return { addressType: c.version === 6 ? 'IP6' : 'IP4', address: str(c.ip) };
}

function bandwidthOf(b: transform.SharedDescriptionFields['bandwidth']): Bandwidth[] {
  return (b ?? []).map((entry) => ({ type: entry.type, value: Number(entry.limit) }));
}

function codecsOf(
  raw: transform.MediaDescription,
  formats: readonly string[],
  isRtp: boolean,
): RtpCodec[] {
  if (!isRtp) return [];
  const codecs: RtpCodec[] = [];
  for (const format of formats) {
    const payloadType = Number(format);
    const rtpmap = raw.rtp.find((r) => Number(r.payload) === payloadType);
    let name: string;
    let clockRate: number;
    let channels: number;
    if (rtpmap && rtpmap.rate !== undefined) {
      name = str(rtpmap.codec);
      clockRate = Number(rtpmap.rate);
      channels = rtpmap.encoding === undefined ? 1 : Number(rtpmap.encoding);
    } else {
      // RFC 3551 §6: a static payload type needs no rtpmap; a dynamic one without it is unusable.
      const known = staticPayloadType(payloadType);
      if (!known) continue;
      ({ name, clockRate, channels } = known);
    }
    if (
      !Number.isFinite(clockRate) ||
      clockRate <= 0 ||
      !Number.isInteger(channels) ||
      channels < 1
    )
      continue;
    const feedback: RtcpFeedback[] = [];
    for (const fb of raw.rtcpFb ?? []) {
      if (fb.payload !== '*' && Number(fb.payload) !== payloadType) continue;
      feedback.push(
        fb.subtype === undefined
          ? { type: str(fb.type) }
          : { type: str(fb.type), parameter: str(fb.subtype) },
      );
    }
    for (const trr of raw.rtcpFbTrrInt ?? []) {
      if (trr.payload !== '*' && Number(trr.payload) !== payloadType) continue;
      feedback.push({ type: 'trr-int', parameter: str(trr.value) });
    }
    const fmtp = raw.fmtp.find((f) => Number(f.payload) === payloadType);
    codecs.push({
      payloadType,
      name,
      clockRate,
      channels,
      ...(fmtp ? { fmtp: str(fmtp.config).trim() } : {}),
      rtcpFeedback: feedback,
    });
  }
  return codecs;
}

function candidatesOf(raw: transform.MediaDescription): IceCandidate[] {
  const out: IceCandidate[] = [];
  for (const c of raw.candidates ?? []) {
    const type = str(c.type);
    if (!CANDIDATE_TYPES.has(type)) continue; // RFC 8839 §5.1: unknown types are ignored
    const candidate: { -readonly [K in keyof IceCandidate]: IceCandidate[K] } = {
      foundation: str(c.foundation),
      component: Number(c.component),
      transport: str(c.transport).toLowerCase(),
      priority: Number(c.priority),
      address: str(c.ip),
      port: Number(c.port),
      type: type as IceCandidate['type'],
    };
    if (c.raddr !== undefined) candidate.relatedAddress = str(c.raddr);
    if (c.rport !== undefined) candidate.relatedPort = Number(c.rport);
    if (c.tcptype !== undefined && TCP_TYPES.has(str(c.tcptype)))
      candidate.tcpType = str(c.tcptype) as 'active' | 'passive' | 'so';
    out.push(candidate);
  }
  return out;
}

function fingerprintsOf(attributes: RawSection['attributes']): Fingerprint[] {
  const out: Fingerprint[] = [];
  for (const a of attributes) {
    if (a.name !== 'fingerprint' || a.value === undefined) continue;
    const m = /^(\S+) +([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*)\s*$/.exec(a.value);
    if (!m) continue;
    // RFC 8122 §5: the hash function name is case-insensitive; hex is upper case.
    out.push({ algorithm: m[1]!.toLowerCase(), value: m[2]!.toUpperCase() });
  }
  return out;
}

function msidOf(attributes: RawSection['attributes']): MediaStreamId | undefined {
  const a = attributes.find((x) => x.name === 'msid' && x.value !== undefined);
  if (!a?.value) return undefined;
  const [streamId, trackId] = a.value.trim().split(/\s+/);
  if (!streamId) return undefined;
  return trackId === undefined ? { streamId } : { streamId, trackId };
}

// Attributes the model keeps at the session level only; at the media level they are kept raw.
const SESSION_ONLY_ATTRIBUTES: ReadonlySet<string> = new Set([
  'extmap-allow-mixed',
  'ice-lite',
  'group',
  'msid-semantic',
]);

function otherAttributesOf(
  attributes: RawSection['attributes'],
  level: 'session' | 'media',
): OtherAttribute[] {
  return attributes
    .filter(
      (a) =>
        !MODELED_ATTRIBUTES.has(a.name) ||
        (level === 'media' && SESSION_ONLY_ATTRIBUTES.has(a.name)),
    )
    .map((a) => (a.value === undefined ? { name: a.name } : { name: a.name, value: a.value }));
}

function iceOf(
  raw: transform.SharedAttributes,
  session: transform.SharedAttributes,
  rawOptions: string | undefined,
): IceParameters | undefined {
  const ufrag = raw.iceUfrag ?? session.iceUfrag;
  const pwd = raw.icePwd ?? session.icePwd;
  if (ufrag === undefined || pwd === undefined) return undefined;
  return {
    ufrag: str(ufrag),
    pwd: str(pwd),
    // RFC 8839 §5.6 separates tokens with spaces (sdp-transform keeps only the first one);
    // libdatachannel writes commas.
    options: (rawOptions ?? '').split(/[\s,]+/).filter((o) => o.length > 0),
  };
}

function attributeValue(attributes: RawSection['attributes'], name: string): string | undefined {
  return attributes.find((a) => a.name === name)?.value;
}

function setupOf(value: unknown, mediaIndex: number): SetupRole | undefined {
  if (value === undefined) return undefined;
  const role = str(value).toLowerCase();
  if (!SETUP_ROLES.has(role))
    throw new SdpError('SDP_BAD_SETUP_ROLE', `unknown a=setup value ${JSON.stringify(role)}`, {
      mediaIndex,
    });
  return role as SetupRole;
}

/**
 * Parses an SDP body (RFC 8866) into the typed model. Throws `SdpError`: SDP_MALFORMED or
 * SDP_TOO_LARGE (answer 400), SDP_INVALID_MID (400) or SDP_BAD_SETUP_ROLE (488).
 */
export function parseSdp(text: string, options: ParseOptions = {}): SessionDescription {
  if (typeof text !== 'string') throw malformed('SDP body is not text');
  const maxLength = options.maxLength ?? 65536;
  if (text.length > maxLength)
    throw new SdpError(
      'SDP_TOO_LARGE',
      `SDP body of ${text.length} characters exceeds the limit of ${maxLength}`,
    );
  const { origin, sections } = scan(text, options.maxMediaSections ?? 64);
  let parsed: transform.SessionDescription;
  try {
    parsed = transform.parse(text);
  } catch (cause) {
    throw new SdpError('SDP_MALFORMED', 'SDP body could not be parsed', { cause });
  }
  const sessionRaw = sections[0]!;
  const sessionFingerprints = fingerprintsOf(sessionRaw.attributes);
  const sessionConnection = connectionOf(parsed.connection);
  const sessionDirection = parsed.direction;
  const sessionSetup = setupOf(parsed.setup, -1);

  const media: MediaSection[] = [];
  const mids = new Set<string>();
  for (let index = 0; index < sections.length - 1; index++) {
    const rawSection = sections[index + 1]!;
    const line = rawSection.mediaLine!;
    const raw = parsed.media[index];
    if (!raw) throw malformed('m= section lost while parsing', undefined, index);
    const isRtp = /RTP\//i.test(line.protocol);
    const connection = connectionOf(raw.connection) ?? sessionConnection;
    if (!connection && line.port !== 0)
      throw malformed(
        'm= section without a c= line at either level (RFC 8866 §5.7)',
        undefined,
        index,
      );
    const direction: MediaDirection = raw.direction ?? sessionDirection ?? 'sendrecv';
    const mid = raw.mid === undefined ? undefined : str(raw.mid);
    if (mid !== undefined) {
      if (mids.has(mid))
        throw new SdpError('SDP_INVALID_MID', `a=mid:${mid} appears twice`, { mediaIndex: index });
      mids.add(mid);
    }
    const fingerprints = fingerprintsOf(rawSection.attributes);
    const ice = iceOf(
      raw,
      parsed,
      attributeValue(rawSection.attributes, 'ice-options') ??
        attributeValue(sessionRaw.attributes, 'ice-options'),
    );
    const setup = setupOf(raw.setup, index) ?? sessionSetup;
    const msid = msidOf(rawSection.attributes);
    const section: { -readonly [K in keyof MediaSection]: MediaSection[K] } = {
      kind: line.kind,
      port: line.port,
      protocol: line.protocol,
      formats: line.formats,
      codecs: codecsOf(raw, line.formats, isRtp),
      bandwidth: bandwidthOf(raw.bandwidth),
      direction,
      rtcpMux: raw.rtcpMux !== undefined,
      rtcpReducedSize: raw.rtcpRsize !== undefined,
      candidates: candidatesOf(raw),
      endOfCandidates: raw.endOfCandidates !== undefined,
      fingerprints: fingerprints.length > 0 ? fingerprints : sessionFingerprints,
      crypto: (raw.crypto ?? []).map((c): CryptoAttribute => {
        const crypto = { tag: Number(c.id), suite: str(c.suite), keyParams: str(c.config) };
        return c.sessionConfig === undefined
          ? crypto
          : { ...crypto, sessionParams: str(c.sessionConfig) };
      }),
      ssrcs: (raw.ssrcs ?? []).map((s): SsrcAttribute => {
        const ssrc = { ssrc: Number(s.id), attribute: str(s.attribute) };
        return s.value === undefined ? ssrc : { ...ssrc, value: str(s.value) };
      }),
      ssrcGroups: (raw.ssrcGroups ?? []).map((g): SsrcGroup => ({
        semantics: str(g.semantics),
        ssrcs: str(g.ssrcs)
          .split(/\s+/)
          .filter((s) => s.length > 0)
          .map(Number),
      })),
      extensions: (raw.ext ?? []).map((e): HeaderExtension => {
        const ext: { -readonly [K in keyof HeaderExtension]: HeaderExtension[K] } = {
          id: Number(e.value),
          uri: str(e.uri),
        };
        if (e.direction !== undefined && DIRECTIONS.has(e.direction))
          ext.direction = e.direction as MediaDirection;
        if (e.config !== undefined) ext.attributes = str(e.config);
        return ext;
      }),
      bundleOnly: raw.bundleOnly !== undefined,
      otherAttributes: otherAttributesOf(rawSection.attributes, 'media'),
    };
    if (line.portCount !== undefined) section.portCount = line.portCount;
    if (connection) section.connection = connection;
    if (mid !== undefined) section.mid = mid;
    if (raw.rtcp) {
      const rtcpConnection =
        raw.rtcp.address === undefined
          ? undefined
          : ({
              addressType: raw.rtcp.ipVer === 6 ? 'IP6' : 'IP4',
              address: str(raw.rtcp.address),
            } as const);
      section.rtcp = rtcpConnection
        ? { port: Number(raw.rtcp.port), connection: rtcpConnection }
        : { port: Number(raw.rtcp.port) };
    }
    if (raw.ptime !== undefined && Number.isFinite(Number(raw.ptime)))
      section.ptime = Number(raw.ptime);
    if (raw.maxptime !== undefined && Number.isFinite(Number(raw.maxptime)))
      section.maxptime = Number(raw.maxptime);
    if (ice) section.ice = ice;
    if (setup) section.setup = setup;
    if (msid) section.msid = msid;
    if (raw.sctpPort !== undefined) section.sctpPort = Number(raw.sctpPort);
    if (raw.maxMessageSize !== undefined) section.maxMessageSize = Number(raw.maxMessageSize);
    media.push(section);
  }

  const groups: MediaGroup[] = (parsed.groups ?? []).map((g) => ({
    semantics: str(g.type),
    mids: str(g.mids)
      .split(/\s+/)
      .filter((m) => m.length > 0),
  }));
  for (const group of groups) {
    for (const mid of group.mids) {
      if (!mids.has(mid))
        throw new SdpError(
          'SDP_INVALID_MID',
          `a=group:${group.semantics} names mid ${JSON.stringify(mid)}, which no m= section has`,
        );
    }
  }

  const session: { -readonly [K in keyof SessionDescription]: SessionDescription[K] } = {
    origin,
    sessionName: parsed.name === undefined ? '-' : str(parsed.name),
    timing: { start: Number(parsed.timing?.start ?? 0), stop: Number(parsed.timing?.stop ?? 0) },
    bandwidth: bandwidthOf(parsed.bandwidth),
    iceLite: parsed.icelite !== undefined,
    groups,
    extmapAllowMixed: parsed.extmapAllowMixed !== undefined,
    media,
    otherAttributes: otherAttributesOf(sessionRaw.attributes, 'session'),
  };
  if (sessionConnection) session.connection = sessionConnection;
  if (parsed.msidSemantic)
    session.msidSemantic = {
      semantic: str(parsed.msidSemantic.semantic),
      token: str(parsed.msidSemantic.token),
    };
  return session;
}
