import * as transform from 'sdp-transform';
import type {
  ConnectionAddress,
  MediaSection,
  OtherAttribute,
  SessionDescription,
} from './model.js';

const ipVersion = (c: ConnectionAddress): number => (c.addressType === 'IP6' ? 6 : 4);
const sameConnection = (
  a: ConnectionAddress | undefined,
  b: ConnectionAddress | undefined,
): boolean =>
  a !== undefined && b !== undefined && a.addressType === b.addressType && a.address === b.address;

function rawAttributes(attributes: readonly OtherAttribute[]): { value: string }[] {
  return attributes.map((a) => ({
    value: a.value === undefined ? a.name : `${a.name}:${a.value}`,
  }));
}

function mediaLine(m: MediaSection): string {
  const port = m.portCount === undefined ? `${m.port}` : `${m.port}/${m.portCount}`;
  return `m=${m.kind} ${port} ${m.protocol} ${m.formats.join(' ')}`;
}

function toTransformMedia(
  m: MediaSection,
  sessionConnection: ConnectionAddress | undefined,
): transform.MediaDescription {
  const extra: { value: string }[] = [];
  const out: transform.MediaDescription = {
    type: m.kind,
    port: m.port,
    protocol: m.protocol,
    payloads: m.formats.join(' '),
    rtp: m.codecs.map((c) => {
      const rtp: transform.MediaAttributes['rtp'][number] = {
        payload: c.payloadType,
        codec: c.name,
        rate: c.clockRate,
      };
      if (c.channels > 1) rtp.encoding = c.channels;
      return rtp;
    }),
    fmtp: m.codecs.flatMap((c) =>
      c.fmtp === undefined ? [] : [{ payload: c.payloadType, config: c.fmtp }],
    ),
    direction: m.direction,
  };
  if (m.connection && !sameConnection(m.connection, sessionConnection))
    out.connection = { version: ipVersion(m.connection), ip: m.connection.address };
  if (m.bandwidth.length > 0)
    out.bandwidth = m.bandwidth.map((b) => ({ type: b.type, limit: b.value }));
  const feedback = m.codecs.flatMap((c) =>
    c.rtcpFeedback
      .filter((f) => f.type !== 'trr-int')
      .map((f) =>
        f.parameter === undefined
          ? { payload: c.payloadType, type: f.type }
          : { payload: c.payloadType, type: f.type, subtype: f.parameter },
      ),
  );
  if (feedback.length > 0) out.rtcpFb = feedback;
  const trrInt = m.codecs.flatMap((c) =>
    c.rtcpFeedback
      .filter((f) => f.type === 'trr-int')
      .map((f) => ({ payload: c.payloadType, value: Number(f.parameter) })),
  );
  if (trrInt.length > 0) out.rtcpFbTrrInt = trrInt;
  if (m.rtcp) {
    out.rtcp = m.rtcp.connection
      ? {
          port: m.rtcp.port,
          netType: 'IN',
          ipVer: ipVersion(m.rtcp.connection),
          address: m.rtcp.connection.address,
        }
      : { port: m.rtcp.port };
  }
  if (m.mid !== undefined) out.mid = m.mid;
  if (m.msid) {
    // sdp-transform writes "msid:<id> undefined" for a missing track id, so that form goes raw.
    if (m.msid.trackId === undefined) extra.push({ value: `msid:${m.msid.streamId}` });
    else out.msid = [{ id: m.msid.streamId, appdata: m.msid.trackId }];
  }
  if (m.ptime !== undefined) out.ptime = m.ptime;
  if (m.maxptime !== undefined) out.maxptime = m.maxptime;
  if (m.ice) {
    out.iceUfrag = m.ice.ufrag;
    out.icePwd = m.ice.pwd;
    if (m.ice.options.length > 0) out.iceOptions = m.ice.options.join(' ');
  }
  const [firstFingerprint, ...moreFingerprints] = m.fingerprints;
  if (firstFingerprint)
    out.fingerprint = { type: firstFingerprint.algorithm, hash: firstFingerprint.value };
  for (const f of moreFingerprints) extra.push({ value: `fingerprint:${f.algorithm} ${f.value}` });
  if (m.setup) out.setup = m.setup;
  if (m.candidates.length > 0) {
    out.candidates = m.candidates.map((c) => {
      const candidate: NonNullable<transform.MediaAttributes['candidates']>[number] = {
        foundation: c.foundation,
        component: c.component,
        transport: c.transport,
        priority: c.priority,
        ip: c.address,
        port: c.port,
        type: c.type,
      };
      if (c.relatedAddress !== undefined && c.relatedPort !== undefined) {
        candidate.raddr = c.relatedAddress;
        candidate.rport = c.relatedPort;
      }
      if (c.tcpType !== undefined) candidate.tcptype = c.tcpType;
      return candidate;
    });
  }
  if (m.endOfCandidates) out.endOfCandidates = 'end-of-candidates';
  if (m.crypto.length > 0) {
    out.crypto = m.crypto.map((c) =>
      c.sessionParams === undefined
        ? { id: c.tag, suite: c.suite, config: c.keyParams }
        : { id: c.tag, suite: c.suite, config: c.keyParams, sessionConfig: c.sessionParams },
    );
  }
  if (m.ssrcs.length > 0)
    out.ssrcs = m.ssrcs.map((s) =>
      s.value === undefined
        ? { id: s.ssrc, attribute: s.attribute }
        : { id: s.ssrc, attribute: s.attribute, value: s.value },
    );
  if (m.ssrcGroups.length > 0)
    out.ssrcGroups = m.ssrcGroups.map((g) => ({
      semantics: g.semantics,
      ssrcs: g.ssrcs.join(' '),
    }));
  if (m.extensions.length > 0) {
    out.ext = m.extensions.map((e) => {
      const ext: NonNullable<transform.SharedAttributes['ext']>[number] = {
        value: e.id,
        uri: e.uri,
      };
      if (e.direction !== undefined) ext.direction = e.direction;
      if (e.attributes !== undefined) ext.config = e.attributes;
      return ext;
    });
  }
  if (m.rtcpMux) out.rtcpMux = 'rtcp-mux';
  if (m.rtcpReducedSize) out.rtcpRsize = 'rtcp-rsize';
  if (m.bundleOnly) out.bundleOnly = 'bundle-only';
  if (m.sctpPort !== undefined) out.sctpPort = m.sctpPort;
  if (m.maxMessageSize !== undefined) out.maxMessageSize = m.maxMessageSize;
  const invalid = [...extra, ...rawAttributes(m.otherAttributes)];
  if (invalid.length > 0) out.invalid = invalid;
  return out;
}

/**
 * Writes the model as SDP text with CRLF line ends (RFC 8866 §5). Effective values are written
 * per m= section; c= goes to the session level when every section with a connection shares it.
 */
export function serializeSdp(session: SessionDescription): string {
  const connections = session.media.flatMap((m) => (m.connection ? [m.connection] : []));
  const first = connections[0];
  const shared =
    first !== undefined && connections.every((c) => sameConnection(c, first))
      ? first
      : session.connection;
  const description: transform.SessionDescription = {
    version: 0,
    origin: {
      username: session.origin.username,
      sessionId: session.origin.sessionId,
      sessionVersion: 0,
      netType: 'IN',
      ipVer: session.origin.addressType === 'IP6' ? 6 : 4,
      address: session.origin.address,
    },
    name: session.sessionName.length > 0 ? session.sessionName : '-',
    timing: { start: session.timing.start, stop: session.timing.stop },
    media: session.media.map((m) => toTransformMedia(m, shared)),
  };
  if (shared) description.connection = { version: ipVersion(shared), ip: shared.address };
  if (session.bandwidth.length > 0)
    description.bandwidth = session.bandwidth.map((b) => ({ type: b.type, limit: b.value }));
  if (session.iceLite) description.icelite = 'ice-lite';
  if (session.groups.length > 0)
    description.groups = session.groups.map((g) => ({ type: g.semantics, mids: g.mids.join(' ') }));
  if (session.msidSemantic)
    description.msidSemantic = {
      semantic: session.msidSemantic.semantic,
      token: session.msidSemantic.token,
    };
  if (session.extmapAllowMixed) description.extmapAllowMixed = 'extmap-allow-mixed';
  if (session.otherAttributes.length > 0)
    description.invalid = rawAttributes(session.otherAttributes);

  // The o= and m= lines are written here: sdp-transform prints the session version and the port
  // with %d, which loses versions above 2^53 and cannot express a port count.
  const lines = transform.write(description).split('\r\n');
  let mediaIndex = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('o=')) {
      const o = session.origin;
      lines[i] =
        `o=${o.username} ${o.sessionId} ${o.sessionVersion} IN ${o.addressType} ${o.address}`;
    } else if (line.startsWith('m=')) {
      const m = session.media[mediaIndex++];
      if (m) lines[i] = mediaLine(m);
    }
  }
  return lines.join('\r\n');
}
