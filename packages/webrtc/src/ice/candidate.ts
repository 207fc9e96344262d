// ICE candidates as the SDP a=candidate line carries them (RFC 8839 §5.1).

export interface IceCandidate {
  readonly foundation: string;
  /** 1 = RTP; with rtcp-mux (RFC 8858) WebRTC only uses component 1. */
  readonly component: number;
  readonly transport: 'udp' | 'tcp';
  readonly priority: number;
  readonly address: string;
  readonly port: number;
  readonly type: 'host';
  /** RFC 6544 §4.5 TCP candidate type. */
  readonly tcpType?: 'passive';
}

/** RFC 8445 §5.1.2.1: priority = 2^24 type preference + 2^8 local preference + (256 − component). */
export function candidatePriority(
  typePreference: number,
  localPreference: number,
  component: number,
): number {
  return typePreference * 2 ** 24 + localPreference * 2 ** 8 + (256 - component);
}

/** The host candidate for one bound (or announced) address. */
export function hostCandidate(
  address: string,
  port: number,
  transport: 'udp' | 'tcp' = 'udp',
  localPreference = 65535,
): IceCandidate {
  // RFC 8445 §5.1.2.2 recommends 126 for host candidates; RFC 6544 §4.2 lowers TCP below UDP.
  const base: IceCandidate = {
    foundation: transport === 'udp' ? '1' : '2',
    component: 1,
    transport,
    priority: candidatePriority(
      126,
      transport === 'udp' ? localPreference : localPreference >> 2,
      1,
    ),
    address,
    port,
    type: 'host',
  };
  return transport === 'tcp' ? { ...base, tcpType: 'passive' } : base;
}

/** The value of an a=candidate attribute (without "a="). */
export function formatCandidate(c: IceCandidate): string {
  const tcp = c.tcpType ? ` tcptype ${c.tcpType}` : '';
  return `candidate:${c.foundation} ${c.component} ${c.transport} ${c.priority} ${c.address} ${c.port} typ ${c.type}${tcp}`;
}
